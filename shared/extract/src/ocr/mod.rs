//! OCR: PaddleOCR's text detector and recogniser (ONNX), run by ONNX Runtime when its library is found
//! (see [`crate::onnxruntime`]) or else by rten, built in and pure Rust. The shipped models are
//! the repository's `models/ocr/` (see its SOURCE); any PaddleOCR detector and CTC recogniser with a
//! 48-pixel input height loads, with its character list in the recogniser's metadata (`character`) or else in `keys.txt`.
//!
//! The models are loaded once per process and shared; each page goes through detection (where are the
//! text lines), an optional deskew, recognition of each line, and CTC decoding into words with boxes.

mod batches;
mod ctc;
mod detect;
mod geometry;
pub mod network;
pub mod ort_network;
mod recognise;
mod scale;
#[cfg(feature = "tract")]
pub mod tract_network;

use network::Network;
use pagewire_core::ports::Word;
use std::path::Path;
use std::time::Instant;

pub use geometry::{deskew_angle, rotate};

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("the OCR models could not be loaded from {path}: {reason}")]
    Load { path: String, reason: String },
    #[error("the OCR model failed: {0}")]
    Run(String),
}

pub use crate::ocr_models::{
    describe_models, ALPHABET_FILE, DETECTOR_FILE, RECOGNISER_FILE, SOURCE_FILE,
};

/// Optional, beside the float recogniser: the same recogniser with 8-bit weights and activations
/// (`QLinearConv`, `QLinearMatMul`; made by scripts/ocr-quantise.sh). ONNX Runtime runs it for about
/// half the recogniser's CPU (BENCHMARKS.md, "OCR int8"); rten has no quantised operators and runs the
/// float one.
pub const INT8_RECOGNISER_FILE: &str = "rec.int8.onnx";

/// Which recogniser file an engine loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecogniserPrecision {
    /// `rec.onnx`, always.
    Float,
    /// `rec.int8.onnx` when the directory has one, else `rec.onnx`.
    Int8WhenPresent,
}

impl RecogniserPrecision {
    /// The recogniser file of `dir` to load.
    pub fn file_in(self, dir: &Path) -> std::path::PathBuf {
        let int8 = dir.join(INT8_RECOGNISER_FILE);
        match self {
            Self::Int8WhenPresent if int8.is_file() => int8,
            _ => dir.join(RECOGNISER_FILE),
        }
    }
}

/// Where the tuning knobs of the pipeline live. The defaults are the settings measured on the corpus with
/// the shipped models on ONNX Runtime (BENCHMARKS.md, "OCR as shipped"): no skew probe and detection at
/// 1088 px read the same fields as the probe and 1280 px, for about a fifth less CPU a page.
#[derive(Debug, Clone, Copy)]
pub struct OcrSettings {
    /// The detector sees the page scaled so its longer side is at most this (pixels, multiple of 32):
    /// 1088 px is about 93 dpi on an A4 page, so 150 and 200 dpi pages cost the same detection.
    pub detector_max_side: u32,
    /// With `skew_probe`, the skew is estimated on a smaller detection pass first, so a straight page is
    /// detected once at full size and a tilted one is detected at full size only after straightening.
    pub skew_probe_max_side: u32,
    /// With `false` (the default), the page is detected once at full size and its skew read from those
    /// lines; a skewed page's lines are boxed by turning each region's own pixels.
    pub skew_probe: bool,
    /// Pages whose estimated skew is above this (degrees) are straightened before reading.
    pub deskew_min_degrees: f32,
    /// Most lines recognised per model run (runs group lines of similar width, see `batches`).
    pub recogniser_batch: usize,
}

impl Default for OcrSettings {
    fn default() -> Self {
        Self {
            detector_max_side: 1088,
            skew_probe_max_side: 640,
            skew_probe: false,
            deskew_min_degrees: 0.3,
            recogniser_batch: 16,
        }
    }
}

/// What runs the networks; both read the same pages with the same pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InferenceEngine {
    OnnxRuntime,
    Rten,
}

impl std::fmt::Display for InferenceEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::OnnxRuntime => "ONNX Runtime",
            Self::Rten => "rten",
        })
    }
}

/// ONNX Runtime's intra-op threads per network: one measured the least CPU a page, and wall time no
/// worse than two on the shared cores (BENCHMARKS.md, "OCR engines side by side").
const ONNXRUNTIME_THREADS: usize = 1;

pub struct OcrEngine {
    inference: InferenceEngine,
    detector: Box<dyn Network>,
    recogniser: Box<dyn Network>,
    /// Index 0 is CTC's blank; the recogniser's classes map to these characters.
    alphabet: Vec<String>,
    settings: OcrSettings,
}

/// A recogniser whose input height or class count does not match what the pipeline feeds it would read
/// garbage (or index past the alphabet) on every page: refuse it at load, with the reason. Dimensions the
/// model leaves symbolic are checked at run time by the model itself.
/// `listed_in` names where the character list came from.
fn check_recogniser_shape(
    model: &dyn Network,
    alphabet_len: usize,
    listed_in: &str,
) -> Result<(), String> {
    let fixed = |dim: Option<&Option<usize>>| dim.copied().flatten();
    if let Some(input) = model.input_shape() {
        if let Some(height) = fixed(input.get(2)) {
            if height != recognise::HEIGHT as usize {
                return Err(format!(
                    "the recogniser takes lines {height} pixels high; pagewire feeds {} (a PaddleOCR \
                     v3-v6 recogniser)",
                    recognise::HEIGHT
                ));
            }
        }
    }
    if let Some(output) = model.output_shape() {
        if let Some(classes) = fixed(output.last()) {
            if classes != alphabet_len {
                return Err(format!(
                    "the recogniser has {classes} classes but its character list gives {alphabet_len} \
                     (blank and space included): the list in {listed_in} belongs to another model"
                ));
            }
        }
    }
    Ok(())
}

impl std::fmt::Debug for OcrEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrEngine")
            .field("inference", &self.inference)
            .field("alphabet_len", &self.alphabet.len())
            .field("settings", &self.settings)
            .finish()
    }
}

impl OcrEngine {
    pub fn load(dir: &Path) -> Result<Self, OcrError> {
        Self::load_with(dir, OcrSettings::default())
    }

    pub fn load_with(dir: &Path, settings: OcrSettings) -> Result<Self, OcrError> {
        Self::load_on(dir, settings, RecogniserPrecision::Float, |path| {
            Ok(Box::new(network::load_rten(path)?) as Box<dyn Network>)
        })
    }

    /// Loads the models of `dir` on ONNX Runtime from the library `onnxruntime` when given, else on rten.
    /// When the library or a model does not load on it, rten runs the models and the reason is logged:
    /// a broken library costs speed, never OCR.
    pub fn load_preferring(
        dir: &Path,
        settings: OcrSettings,
        onnxruntime: Option<&Path>,
    ) -> Result<Self, OcrError> {
        if let Some(library) = onnxruntime {
            let on_ort = ort_network::init(library).and_then(|environment| {
                Self::load_on(
                    dir,
                    settings,
                    RecogniserPrecision::Int8WhenPresent,
                    |path| {
                        let network =
                            ort_network::OrtNetwork::load(environment, path, ONNXRUNTIME_THREADS)?;
                        Ok(Box::new(network) as Box<dyn Network>)
                    },
                )
            });
            match on_ort {
                Ok(mut engine) => {
                    engine.inference = InferenceEngine::OnnxRuntime;
                    return Ok(engine);
                }
                Err(err) => tracing::error!(
                    error = %err,
                    "the OCR models did not load on ONNX Runtime; rten runs them"
                ),
            }
        }
        Self::load_with(dir, settings)
    }

    /// What runs the networks.
    pub fn inference(&self) -> InferenceEngine {
        self.inference
    }

    /// Loads the models of `dir` with another inference engine (`load` opens one ONNX file), the
    /// recogniser of the given precision.
    pub fn load_on(
        dir: &Path,
        settings: OcrSettings,
        precision: RecogniserPrecision,
        load: impl Fn(&Path) -> Result<Box<dyn Network>, OcrError>,
    ) -> Result<Self, OcrError> {
        let started = Instant::now();
        let detector = load(&dir.join(DETECTOR_FILE))?;
        let detector_ms = started.elapsed().as_millis();
        let recogniser_path = precision.file_in(dir);
        let recogniser = load(&recogniser_path)?;
        tracing::debug!(
            detector_ms,
            recogniser_ms = started.elapsed().as_millis() - detector_ms,
            "OCR models loaded"
        );
        // The recogniser's own list first: the int8 recogniser's classes are trimmed to a Latin alphabet
        // (scripts/ocr/trim_classes.py) and carry their list, while keys.txt lists the float one's.
        const METADATA: &str = "the recogniser's metadata";
        let listed = match recogniser.metadata("character") {
            Some(own) => Some((own, METADATA)),
            None => match std::fs::read_to_string(dir.join(ALPHABET_FILE)) {
                Ok(text) => Some((text, ALPHABET_FILE)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(OcrError::Load {
                        path: dir.join(ALPHABET_FILE).display().to_string(),
                        reason: e.to_string(),
                    })
                }
            },
        };
        let Some((listed, listed_in)) = listed else {
            return Err(OcrError::Load {
                path: dir.display().to_string(),
                reason: format!(
                    "no character list: neither {ALPHABET_FILE} nor the recogniser's metadata has one"
                ),
            });
        };
        let alphabet = ctc::alphabet(&listed);
        check_recogniser_shape(&*recogniser, alphabet.len(), listed_in).map_err(|reason| {
            OcrError::Load {
                path: recogniser_path.display().to_string(),
                reason,
            }
        })?;
        Ok(Self {
            inference: InferenceEngine::Rten,
            detector,
            recogniser,
            alphabet,
            settings,
        })
    }

    /// Classes of the recogniser (CTC blank and appended space included).
    pub fn alphabet_len(&self) -> usize {
        self.alphabet.len()
    }

    /// Whether the recogniser has a class for `character`.
    pub fn reads(&self, character: &str) -> bool {
        self.alphabet.iter().any(|c| c == character)
    }

    /// Reads a grey page image into words, boxes in fractions of the image (after deskewing, if any).
    pub fn read(&self, page: &image::GrayImage) -> Result<Vec<Word>, OcrError> {
        if page.width() < 8 || page.height() < 8 {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        let straightened;
        let (page, lines) = if self.settings.skew_probe {
            // The skew from a smaller detection pass, then one detection of the page as it will be read.
            let probe = OcrSettings {
                detector_max_side: self.settings.skew_probe_max_side,
                ..self.settings
            };
            let angle = deskew_angle(&detect::detect(&*self.detector, page, &probe)?.lines());
            let page = if angle.abs() >= self.settings.deskew_min_degrees {
                straightened = rotate(page, -angle);
                &straightened
            } else {
                page
            };
            (
                page,
                detect::detect(&*self.detector, page, &self.settings)?.lines(),
            )
        } else {
            // One detection at full size: the skew from its lines, and a skewed page's lines boxed as they
            // lie once the page is turned straight (each region's own pixels turned).
            let found = detect::detect(&*self.detector, page, &self.settings)?;
            let lines = found.lines();
            let angle = deskew_angle(&lines);
            if angle.abs() >= self.settings.deskew_min_degrees {
                straightened = rotate(page, -angle);
                (&straightened, found.lines_turned(-angle))
            } else {
                (page, lines)
            }
        };
        let detected_ms = started.elapsed().as_millis();
        let words = recognise::recognise(
            &*self.recogniser,
            &self.alphabet,
            page,
            &lines,
            self.settings.recogniser_batch,
        )?;
        // Durations and counts only: what a page says is never logged.
        tracing::debug!(
            detect_ms = detected_ms,
            recognise_ms = started.elapsed().as_millis() - detected_ms,
            lines = lines.len(),
            "OCR page read"
        );
        Ok(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/ocr")
    }

    /// A directory with the shipped models linked in and `keys` as the character list.
    fn models_with_keys(tag: &str, keys: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pagewire-ocr-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in [DETECTOR_FILE, RECOGNISER_FILE] {
            std::os::unix::fs::symlink(
                shipped().join(name).canonicalize().unwrap(),
                dir.join(name),
            )
            .unwrap();
        }
        std::fs::write(dir.join(ALPHABET_FILE), keys).unwrap();
        dir
    }

    #[test]
    fn the_shipped_models_load_with_a_latin_alphabet_and_a_foreign_character_list_is_refused() {
        let engine = OcrEngine::load(&shipped()).unwrap();
        assert!(engine.alphabet_len() > 1000, "{engine:?}");
        assert!(describe_models(&shipped()).unwrap().contains("PP-OCR"));
        let keys = std::fs::read_to_string(shipped().join(ALPHABET_FILE)).unwrap();
        for c in ["€", "£", "é", "ß", "ñ", "ç", "ø", "À"] {
            assert!(keys.lines().any(|l| l == c), "{c} is in the alphabet");
        }

        let wrong = models_with_keys("keys", "a\nb\nc\n");
        let err = OcrEngine::load(&wrong).unwrap_err().to_string();
        assert!(err.contains("classes") && err.contains("keys.txt"), "{err}");
        std::fs::remove_file(wrong.join(RECOGNISER_FILE)).unwrap();
        let err = describe_models(&wrong).unwrap_err().to_string();
        assert!(err.contains(RECOGNISER_FILE), "{err}");
        std::fs::remove_dir_all(&wrong).unwrap();
    }

    /// A network that only declares a character list and a class count (its runs are never asked for).
    struct DeclaredClasses {
        character: &'static str,
        classes: usize,
    }

    impl Network for DeclaredClasses {
        fn run(&self, _: rten_tensor::NdTensor<f32, 4>) -> Result<network::Output, OcrError> {
            Err(OcrError::Run("not run by this test".into()))
        }
        fn metadata(&self, key: &str) -> Option<String> {
            (key == "character").then(|| self.character.to_string())
        }
        fn output_shape(&self) -> Option<Vec<Option<usize>>> {
            Some(vec![None, None, Some(self.classes)])
        }
    }

    #[test]
    fn a_recogniser_carrying_its_own_character_list_is_read_with_it_and_not_with_keys_txt() {
        // The shipped directory's keys.txt lists 18,708 characters; the model's own list wins.
        let load = |classes| {
            OcrEngine::load_on(
                &shipped(),
                OcrSettings::default(),
                RecogniserPrecision::Float,
                |_| {
                    Ok(Box::new(DeclaredClasses {
                        character: "a\n€\né",
                        classes,
                    }) as Box<dyn Network>)
                },
            )
        };
        let engine = load(5).unwrap();
        assert_eq!(engine.alphabet, ["", "a", "€", "é", " "]);
        let err = load(18_710).unwrap_err().to_string();
        assert!(
            err.contains("18710 classes") && err.contains("gives 5") && err.contains("metadata"),
            "{err}"
        );
    }

    #[test]
    fn onnx_runtime_takes_the_int8_recogniser_when_there_is_one_and_rten_the_float_one() {
        let int8 = RecogniserPrecision::Int8WhenPresent;
        assert_eq!(
            int8.file_in(&shipped()),
            shipped().join(INT8_RECOGNISER_FILE)
        );
        assert_eq!(
            RecogniserPrecision::Float.file_in(&shipped()),
            shipped().join(RECOGNISER_FILE)
        );
        let float_only = models_with_keys("float-only", "a\n");
        assert_eq!(int8.file_in(&float_only), float_only.join(RECOGNISER_FILE));
        std::fs::remove_dir_all(&float_only).unwrap();
    }

    #[test]
    fn without_a_usable_onnx_runtime_library_rten_runs_the_models() {
        let settings = OcrSettings::default();
        let rten = OcrEngine::load_preferring(&shipped(), settings, None).unwrap();
        assert_eq!(rten.inference(), InferenceEngine::Rten);
        // A file that is not ONNX Runtime: the load falls back (logged) instead of failing OCR.
        let not_a_library = shipped().join(SOURCE_FILE);
        let fallback =
            OcrEngine::load_preferring(&shipped(), settings, Some(&not_a_library)).unwrap();
        assert_eq!(fallback.inference(), InferenceEngine::Rten);
        assert_eq!(fallback.alphabet_len(), rten.alphabet_len());
    }
}

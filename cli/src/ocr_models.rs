//! Where `pagewire` finds its OCR models, and the start-up line that says so. OCR is on by default: the
//! models are committed in the repository's `models/ocr/`, and a binary built from a clone knows where
//! that is. `PAGEWIRE_OCR_MODEL_DIR` overrides; set to an empty value, it turns OCR off.

use std::path::{Path, PathBuf};

/// The repository's shipped models, fixed at build time so `cargo run` finds them from any directory.
pub const REPOSITORY_MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/ocr");
/// A directory of this name beside the executable is used too: a binary copied elsewhere with its models.
pub const BESIDE_EXECUTABLE: &str = "ocr-models";

/// What the process reads images and scanned pages with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OcrModels {
    On { dir: PathBuf, description: String },
    Off { reason: String },
}

impl OcrModels {
    /// `env_value` is PAGEWIRE_OCR_MODEL_DIR as the environment has it (`None`: not set); `beside` is
    /// the executable's directory, when known.
    pub fn resolve(env_value: Option<&str>, beside: Option<&Path>) -> Self {
        match env_value {
            Some(value) if value.trim().is_empty() => Self::Off {
                reason: "PAGEWIRE_OCR_MODEL_DIR is set empty; unset it to use the shipped models"
                    .to_string(),
            },
            Some(value) => Self::checked(PathBuf::from(value), "PAGEWIRE_OCR_MODEL_DIR"),
            None => {
                let candidates = beside
                    .map(|dir| dir.join(BESIDE_EXECUTABLE))
                    .into_iter()
                    .chain(std::iter::once(PathBuf::from(REPOSITORY_MODELS)));
                let mut tried = Vec::new();
                for dir in candidates {
                    if dir.is_dir() {
                        return Self::checked(dir, "the shipped models");
                    }
                    tried.push(dir.display().to_string());
                }
                Self::Off {
                    reason: format!(
                        "no OCR models in {}; set PAGEWIRE_OCR_MODEL_DIR to the models/ocr directory of \
                         a pagewire clone (or copy it beside the binary as {BESIDE_EXECUTABLE})",
                        tried.join(" or ")
                    ),
                }
            }
        }
    }

    /// From the environment and the running executable.
    pub fn from_env() -> Self {
        let value = std::env::var("PAGEWIRE_OCR_MODEL_DIR").ok();
        let exe = std::env::current_exe().ok();
        Self::resolve(value.as_deref(), exe.as_deref().and_then(Path::parent))
    }

    fn checked(dir: PathBuf, origin: &str) -> Self {
        match pagewire_extract::ocr::describe_models(&dir) {
            Ok(description) => Self::On {
                dir: canonical(dir),
                description,
            },
            Err(err) => Self::Off {
                reason: format!("{origin}: {err}"),
            },
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        match self {
            Self::On { dir, .. } => Some(dir),
            Self::Off { .. } => None,
        }
    }

    /// One line for the start-up output.
    pub fn startup_line(&self) -> String {
        match self {
            Self::On { dir, description } => {
                format!("OCR on: {description} (from {})", dir.display())
            }
            Self::Off { reason } => {
                format!(
                    "OCR off: images and scanned pages will fail with ocr_unavailable ({reason})"
                )
            }
        }
    }
}

/// `cli/../models/ocr` reads better as the repository's path; an unresolvable path stays as it is.
fn canonical(dir: PathBuf) -> PathBuf {
    dir.canonicalize().unwrap_or(dir)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn models_in(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("det.onnx"), b"x").unwrap();
        std::fs::write(dir.join("rec.onnx"), b"x").unwrap();
        std::fs::write(dir.join("SOURCE"), "Test models v1\nmore\n").unwrap();
    }

    #[test]
    fn the_shipped_models_are_found_without_any_variable() {
        let found = OcrModels::resolve(None, None);
        let OcrModels::On { dir, description } = &found else {
            panic!("{found:?}");
        };
        assert!(dir.ends_with("models/ocr"), "{}", dir.display());
        assert!(description.contains("PP-OCR"), "{description}");
        assert!(found.startup_line().starts_with("OCR on: "));
    }

    #[test]
    fn the_variable_overrides_and_an_empty_one_turns_ocr_off() {
        let tmp = tempdir();
        models_in(&tmp.join("m"));
        let chosen = OcrModels::resolve(Some(tmp.join("m").to_str().unwrap()), None);
        assert_eq!(
            chosen.dir(),
            Some(tmp.join("m").canonicalize().unwrap().as_path())
        );
        assert!(chosen.startup_line().contains("Test models v1"));
        let off = OcrModels::resolve(Some(" "), None);
        assert_eq!(off.dir(), None);
        assert!(
            off.startup_line().contains("unset it"),
            "{}",
            off.startup_line()
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }

    #[test]
    fn models_beside_the_executable_come_first_and_a_broken_dir_says_what_is_missing() {
        let tmp = tempdir();
        models_in(&tmp.join(BESIDE_EXECUTABLE));
        let found = OcrModels::resolve(None, Some(&tmp));
        assert!(found.startup_line().contains("Test models v1"));
        std::fs::remove_file(tmp.join(BESIDE_EXECUTABLE).join("rec.onnx")).unwrap();
        let broken = OcrModels::resolve(None, Some(&tmp));
        assert_eq!(broken.dir(), None);
        assert!(
            broken.startup_line().contains("rec.onnx"),
            "{}",
            broken.startup_line()
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }

    /// A fresh directory under the system's temporary one (the caller removes it).
    pub(crate) fn tempdir() -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("pagewire-ocr-models-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

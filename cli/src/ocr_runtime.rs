//! Which engine `pagewire dev` runs the OCR models on. ONNX Runtime when its library is found: named by
//! `PAGEWIRE_ONNXRUNTIME_LIB`, beside the models, or in the user's cache, where the repository's
//! `models/onnxruntime/fetch.sh` puts it from the pinned PyPI wheel (run here on first start, with its
//! own line saying so). Otherwise rten, built in, and the start-up line says why and what to run.

use pagewire_extract::onnxruntime::{beside_models, locate, LIBRARY_VAR, RTEN_COST};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository's fetch script, fixed at build time like the models' path (`cargo run` from a clone).
pub const FETCH_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../models/onnxruntime/fetch.sh"
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OcrRuntime {
    OnnxRuntime { library: PathBuf },
    Rten { reason: String },
}

impl OcrRuntime {
    /// `env_value` is `PAGEWIRE_ONNXRUNTIME_LIB` (`None`: unset), `model_dir` the OCR models' directory;
    /// `fetch` is asked for the library only when neither names one, and returns its path or why not.
    pub fn resolve(
        env_value: Option<&str>,
        model_dir: Option<&Path>,
        fetch: impl FnOnce() -> Result<PathBuf, String>,
    ) -> Self {
        let beside: Vec<PathBuf> = model_dir.map(beside_models).into_iter().collect();
        match locate(env_value, &beside) {
            Ok(library) => Self::OnnxRuntime { library },
            // An explicit choice (a path, or empty for rten) is never second-guessed by a fetch.
            Err(reason) if env_value.is_some() => Self::Rten { reason },
            Err(_) => match fetch() {
                Ok(library) => Self::OnnxRuntime { library },
                Err(reason) => Self::Rten {
                    reason: format!(
                        "{reason}; run `bash {}` to fetch it, or set {LIBRARY_VAR}",
                        display(Path::new(FETCH_SCRIPT))
                    ),
                },
            },
        }
    }

    /// From the environment, fetching into the cache when the library is nowhere yet.
    pub fn from_env(model_dir: Option<&Path>) -> Self {
        let value = std::env::var(LIBRARY_VAR).ok();
        Self::resolve(value.as_deref(), model_dir, fetch_with_script)
    }

    pub fn library(&self) -> Option<&Path> {
        match self {
            Self::OnnxRuntime { library } => Some(library),
            Self::Rten { .. } => None,
        }
    }

    /// The engine half of the OCR start-up line.
    pub fn describe(&self) -> String {
        match self {
            Self::OnnxRuntime { library } => {
                format!("run by ONNX Runtime ({})", display(library))
            }
            Self::Rten { reason } => {
                format!("run by rten, {RTEN_COST} ({reason})")
            }
        }
    }
}

/// Runs the repository's fetch script; its progress line goes to this process's stderr, the path it
/// prints is the library.
fn fetch_with_script() -> Result<PathBuf, String> {
    let script = Path::new(FETCH_SCRIPT);
    if !script.is_file() {
        return Err(format!(
            "ONNX Runtime not found, and no fetch script at {} (a binary outside its clone)",
            display(script)
        ));
    }
    let output = Command::new("bash")
        .arg(script)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("ONNX Runtime not found, and its fetch did not start: {e}"))?;
    let printed = String::from_utf8_lossy(&output.stdout);
    match printed.lines().last().map(PathBuf::from) {
        Some(library) if output.status.success() && library.is_file() => Ok(library),
        _ => Err(format!(
            "ONNX Runtime not found, and its fetch failed ({})",
            output.status
        )),
    }
}

/// `cli/../scripts` reads better as the repository's path.
fn display(path: &Path) -> String {
    path.canonicalize()
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir() -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("pagewire-ocr-runtime-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn beside_the_models_then_the_fetch_and_an_explicit_choice_is_never_overridden() {
        let tmp = tempdir();
        let fetched = tmp.join("cache-libonnxruntime.so");
        std::fs::write(&fetched, b"x").unwrap();
        let fetch_ok = || Ok(fetched.clone());

        // Nothing beside the models: the fetch is asked.
        let chosen = OcrRuntime::resolve(None, Some(&tmp), fetch_ok);
        assert_eq!(chosen.library(), Some(fetched.as_path()));
        assert!(chosen.describe().starts_with("run by ONNX Runtime"));

        // Beside the models: used, and no fetch.
        std::fs::write(beside_models(&tmp), b"x").unwrap();
        let chosen = OcrRuntime::resolve(None, Some(&tmp), || panic!("no fetch needed"));
        assert_eq!(chosen.library(), Some(beside_models(&tmp).as_path()));

        // Empty selects rten, a wrong path says so; neither fetches.
        let rten = OcrRuntime::resolve(Some(""), Some(&tmp), || panic!("no fetch when chosen"));
        assert_eq!(rten.library(), None);
        assert!(rten.describe().contains("set empty"), "{}", rten.describe());
        let wrong = OcrRuntime::resolve(Some("/nonexistent/lib.so"), None, || panic!("no fetch"));
        assert!(
            wrong.describe().contains("is not a file"),
            "{}",
            wrong.describe()
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }

    #[test]
    fn a_failed_fetch_falls_back_to_rten_and_says_what_to_run() {
        let rten = OcrRuntime::resolve(None, None, || Err("offline".to_string()));
        assert_eq!(rten.library(), None);
        let line = rten.describe();
        assert!(line.contains("rten") && line.contains("offline"), "{line}");
        assert!(line.contains("models/onnxruntime/fetch.sh"), "{line}");
    }
}

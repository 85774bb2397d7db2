//! Where ONNX Runtime's shared library is, which decides the OCR inference engine: ONNX Runtime when
//! the library is found (about a third of rten's CPU a page, BENCHMARKS.md "OCR engines"), else rten,
//! which is built in. The library is never linked: the `ort` crate opens it at run time, so a binary
//! without it still reads every document.
//!
//! Path logic only (no feature needed), so configuration code can resolve it without the OCR crates.

use std::path::{Path, PathBuf};

/// The variable that names the library explicitly; set empty, it selects rten.
pub const LIBRARY_VAR: &str = "PAGEWIRE_ONNXRUNTIME_LIB";
/// The library's file name where it is looked for by default (beside the OCR models).
pub const LIBRARY_FILE: &str = "libonnxruntime.so";
/// What running the models on rten instead costs, for the start-up lines of `pagewire dev` and the
/// functions (measured in BENCHMARKS.md, "OCR as it ships").
pub const RTEN_COST: &str = "about 6 times ONNX Runtime's CPU a page";

/// The library to run the OCR models with, or why rten runs them.
///
/// `explicit` is [`LIBRARY_VAR`]'s value (`None`: unset); `defaults` are the places looked at
/// otherwise, in order (the OCR models' directory first: the Lambda layer carries the library there).
pub fn locate(explicit: Option<&str>, defaults: &[PathBuf]) -> Result<PathBuf, String> {
    match explicit {
        Some(value) if value.trim().is_empty() => Err(format!("{LIBRARY_VAR} is set empty")),
        Some(value) => {
            let path = PathBuf::from(value);
            if path.is_file() {
                Ok(path)
            } else {
                Err(format!("{LIBRARY_VAR}={value} is not a file"))
            }
        }
        None => defaults
            .iter()
            .find(|path| path.is_file())
            .cloned()
            .ok_or_else(|| {
                let tried: Vec<String> = defaults.iter().map(|p| p.display().to_string()).collect();
                format!("ONNX Runtime not found at {}", tried.join(" or "))
            }),
    }
}

/// The default place of the library beside the OCR models in `model_dir`.
pub fn beside_models(model_dir: &Path) -> PathBuf {
    model_dir.join(LIBRARY_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_wins_an_empty_one_selects_rten_and_defaults_are_tried_in_order() {
        let dir = std::env::temp_dir().join(format!("pagewire-ort-locate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let present = dir.join(LIBRARY_FILE);
        std::fs::write(&present, b"not really a library").unwrap();
        let absent = dir.join("elsewhere").join(LIBRARY_FILE);

        let explicit = present.to_str().unwrap();
        assert_eq!(locate(Some(explicit), &[]), Ok(present.clone()));
        let missing = locate(
            Some(absent.to_str().unwrap()),
            std::slice::from_ref(&present),
        );
        assert!(missing.unwrap_err().contains("is not a file"));
        assert!(locate(Some(" "), std::slice::from_ref(&present))
            .unwrap_err()
            .contains("set empty"));

        assert_eq!(
            locate(None, &[absent.clone(), present.clone()]),
            Ok(present.clone())
        );
        let none = locate(None, std::slice::from_ref(&absent)).unwrap_err();
        assert!(none.contains(&absent.display().to_string()), "{none}");
        assert_eq!(beside_models(&dir), present);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

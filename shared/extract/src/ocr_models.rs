//! The OCR model directory's layout, without the OCR crates (feature `ocr`), so start-up checks and
//! configuration can name and check the models in any build.

use std::path::Path;

/// Names of the model files inside the model directory (scripts/lib/ocr-models.sh writes them).
pub const DETECTOR_FILE: &str = "det.onnx";
pub const RECOGNISER_FILE: &str = "rec.onnx";
/// Optional: one character per line. Without it the recogniser's own metadata (`character`) is used.
pub const ALPHABET_FILE: &str = "keys.txt";
/// Optional: what the models are and where they come from; its first line names them in logs.
pub const SOURCE_FILE: &str = "SOURCE";

/// Checks that `dir` holds both models without loading them (a start-up check, cheap and free of the
/// models' memory) and returns the first line of its SOURCE, or the directory when it has none.
pub fn describe_models(dir: &Path) -> Result<String, String> {
    for name in [DETECTOR_FILE, RECOGNISER_FILE] {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(format!(
                "the OCR models could not be loaded from {}: no such file",
                path.display()
            ));
        }
    }
    let named = std::fs::read_to_string(dir.join(SOURCE_FILE))
        .ok()
        .and_then(|text| text.lines().next().map(str::trim).map(str::to_string))
        .filter(|line| !line.is_empty());
    Ok(named.unwrap_or_else(|| format!("unnamed models in {}", dir.display())))
}

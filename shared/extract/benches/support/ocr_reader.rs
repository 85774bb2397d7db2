//! The reader the benches measure: the default limits, with the OCR models the tests fetch, run by the
//! shipped engine (ONNX Runtime from `PAGEWIRE_ONNXRUNTIME_LIB`; unset or empty: rten).

use pagewire_core::Settings;
use pagewire_extract::{PagewireReader, ReaderLimits};
use std::path::PathBuf;

pub fn ocr_reader() -> PagewireReader {
    let models = std::env::var_os("PAGEWIRE_OCR_MODEL_DIR")
        .map(PathBuf::from)
        .expect("PAGEWIRE_OCR_MODEL_DIR must point at the OCR models (scripts/lib/ocr-models.sh)");
    let onnxruntime = std::env::var_os("PAGEWIRE_ONNXRUNTIME_LIB")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    PagewireReader::new(ReaderLimits::from_settings(&Settings::default()))
        .with_ocr_models(Some(&models))
        .with_onnxruntime(onnxruntime.as_deref())
}

use pagewire_lambda_kit::read_worker;
use std::process::ExitCode;

fn main() -> ExitCode {
    read_worker::lambda_main(|adapters| async move {
        log_ocr_models();
        let app = process_document::wire(&adapters)?;
        lambda_runtime::run(lambda_runtime::service_fn(|event| {
            process_document::handle(&app, event)
        }))
        .await
    })
}

/// One line at cold start saying whether OCR is on and with which models (the template's OcrModelLayer
/// unpacks them where PAGEWIRE_OCR_MODEL_DIR points), or exactly why it is off.
fn log_ocr_models() {
    match std::env::var("PAGEWIRE_OCR_MODEL_DIR") {
        Ok(dir) if !dir.trim().is_empty() => {
            match pagewire_extract::ocr::describe_models(std::path::Path::new(&dir)) {
                Ok(models) => tracing::info!(%models, %dir, "OCR on"),
                Err(err) => tracing::error!(
                    error = %err,
                    "OCR off: images and scanned pages will fail with ocr_unavailable (is the OCR layer attached?)"
                ),
            }
        }
        _ => tracing::warn!(
            "OCR off: PAGEWIRE_OCR_MODEL_DIR is empty; images and scanned pages will fail with ocr_unavailable"
        ),
    }
}

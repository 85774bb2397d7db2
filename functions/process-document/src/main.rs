use pagewire_lambda_kit::wiring::Adapters;
use pagewire_lambda_kit::{read_worker, telemetry};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Re-run as a read worker by this very function (see `read_worker`): no runtime, no logging on stdout.
    if let Some(exit) = read_worker::serve_if_asked() {
        return exit;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("starting the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    log_ocr_models();
    let mut adapters = Adapters::aws_from_env()?;
    if let Some(worker) = read_worker::this_executable() {
        adapters = adapters.with_read_worker(worker);
    }
    let app = process_document::wire(&adapters)?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        process_document::handle(&app, event)
    }))
    .await
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

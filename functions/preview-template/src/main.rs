use pagewire_lambda_kit::read_worker;
use std::process::ExitCode;

/// Reads each sample in a worker process of this binary, as process-document reads a job's document,
/// so a hostile sample fails alone with its reason.
fn main() -> ExitCode {
    read_worker::lambda_main(|adapters| async move {
        read_worker::log_ocr_setup();
        let app = preview_template::wire(&adapters)?;
        lambda_http::run(lambda_http::service_fn(|event| {
            preview_template::handle(&app, event)
        }))
        .await
    })
}

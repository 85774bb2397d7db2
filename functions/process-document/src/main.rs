use pagewire_lambda_kit::read_worker;
use std::process::ExitCode;

fn main() -> ExitCode {
    read_worker::lambda_main(|adapters| async move {
        read_worker::log_ocr_setup();
        let app = process_document::wire(&adapters)?;
        lambda_runtime::run(lambda_runtime::service_fn(|event| {
            process_document::handle(&app, event)
        }))
        .await
    })
}

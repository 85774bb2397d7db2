use pagewire_lambda_kit::{telemetry, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let services = process_document::wire(wiring::Wiring::aws_from_env()?)?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        process_document::handle(&services, event)
    }))
    .await
}

use pagewire_lambda_kit::{telemetry, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let services = deliver_webhook::wire(wiring::Wiring::aws_from_env()?)?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        deliver_webhook::handle(&services, event)
    }))
    .await
}

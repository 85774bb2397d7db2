use pagewire_lambda_kit::telemetry;
use pagewire_lambda_kit::wiring::Adapters;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let app = deliver_webhook::wire(&Adapters::aws_from_env()?)?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        deliver_webhook::handle(&app, event)
    }))
    .await
}

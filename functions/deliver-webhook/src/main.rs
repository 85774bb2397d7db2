use pagewire_core::SystemClock;
use pagewire_lambda_kit::{telemetry, wiring, Config};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = Config::from_env()?;
    let (services, _backend) = wiring::embedded(&config, Arc::new(SystemClock))?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        deliver_webhook::handle(&services, event)
    }))
    .await
}

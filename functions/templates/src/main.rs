use pagewire_core::SystemClock;
use pagewire_lambda_kit::{telemetry, wiring, Config};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = Config::from_env()?;
    let (services, _backend) = wiring::embedded(
        &config,
        std::path::Path::new(
            &std::env::var("PAGEWIRE_DATA_DIR").unwrap_or_else(|_| ".pagewire".into()),
        ),
        Arc::new(SystemClock),
    )?;
    lambda_http::run(lambda_http::service_fn(|req| {
        templates::handle(&services, req)
    }))
    .await
}

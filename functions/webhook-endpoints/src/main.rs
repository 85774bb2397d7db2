use pagewire_lambda_kit::{telemetry, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let services = wiring::aws_from_env().await?;
    lambda_http::run(lambda_http::service_fn(|event| {
        webhook_endpoints::handle(&services, event)
    }))
    .await
}

use pagewire_lambda_kit::{telemetry, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let services = templates::wire(wiring::Wiring::aws_from_env()?)?;
    lambda_http::run(lambda_http::service_fn(|event| {
        templates::handle(&services, event)
    }))
    .await
}

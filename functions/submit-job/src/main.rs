use pagewire_lambda_kit::{telemetry, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let services = submit_job::wire(wiring::Wiring::aws_from_env()?)?;
    lambda_http::run(lambda_http::service_fn(|event| {
        submit_job::handle(&services, event)
    }))
    .await
}

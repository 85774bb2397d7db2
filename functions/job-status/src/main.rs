use pagewire_lambda_kit::{telemetry, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let services = job_status::wire(wiring::Wiring::aws_from_env()?)?;
    lambda_http::run(lambda_http::service_fn(|event| {
        job_status::handle(&services, event)
    }))
    .await
}

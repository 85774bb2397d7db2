use pagewire_lambda_kit::telemetry;
use pagewire_lambda_kit::wiring::Adapters;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let app = job_results::wire(&Adapters::aws_from_env()?)?;
    lambda_http::run(lambda_http::service_fn(|event| {
        job_results::handle(&app, event)
    }))
    .await
}

use pagewire_lambda_kit::wiring::Adapters;
use pagewire_lambda_kit::{read_worker, telemetry};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Re-run as a read worker by this very function (see `read_worker`), as process-document is: a
    // sample is read under the same budget as a job's document.
    if let Some(exit) = read_worker::serve_if_asked() {
        return exit;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("starting the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let mut adapters = Adapters::aws_from_env()?;
    if let Some(worker) = read_worker::this_executable() {
        adapters = adapters.with_read_worker(worker);
    }
    let app = preview_template::wire(&adapters)?;
    lambda_http::run(lambda_http::service_fn(|event| {
        preview_template::handle(&app, event)
    }))
    .await
}

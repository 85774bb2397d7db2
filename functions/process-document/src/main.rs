use pagewire_lambda_kit::{read_worker, telemetry, wiring};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Re-run as a read worker by this very function (see `read_worker`): no runtime, no logging on stdout.
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

async fn run() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let mut wiring = wiring::Wiring::aws_from_env()?;
    if let Some(worker) = read_worker::this_executable() {
        wiring = wiring.with_read_worker(worker);
    }
    let services = process_document::wire(wiring)?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        process_document::handle(&services, event)
    }))
    .await
}

//! The binaries that read documents (process-document, `pagewire`, the tests' worker) can run as a read
//! worker: the same executable started with [`ARG`] serves documents on its stdin and stdout (see
//! `pagewire_extract::isolation`). So a Lambda package needs no second binary.

use crate::config::Config;
use crate::wiring::in_process_reader;
use pagewire_extract::isolation::{serve, WorkerCommand};
use std::process::ExitCode;

/// The argument that makes a binary a read worker.
pub const ARG: &str = "read-worker";

/// When this process was started as a read worker: serves documents until its parent lets go, and
/// returns the exit code. `None` otherwise. Call it first in `main`, before starting a runtime or
/// logging.
pub fn serve_if_asked() -> Option<ExitCode> {
    if std::env::args_os().nth(1).is_none_or(|arg| arg != ARG) {
        return None;
    }
    // Logs go to fd 1 as in the function, which the worker points at its stderr before reading anything
    // (the protocol has a descriptor of its own); the parent passes the lines on to its own stderr.
    crate::telemetry::init();
    Some(match Config::from_env() {
        Ok(config) => serve(&in_process_reader(&config)),
        Err(err) => {
            eprintln!("pagewire read worker: {err}");
            ExitCode::FAILURE
        }
    })
}

/// This executable as a read worker; `None` (logged) when the running executable cannot be found, and
/// documents are then read in process.
pub fn this_executable() -> Option<WorkerCommand> {
    match WorkerCommand::current_exe([ARG]) {
        Ok(command) => Some(command),
        Err(err) => {
            tracing::warn!(error = %err, "the executable's path is unknown: documents are read in process");
            None
        }
    }
}

/// `command` with the settings the worker's reader depends on passed explicitly, so it reads as this
/// process's reader would even when `config` did not come from the environment.
pub fn command_for(command: WorkerCommand, config: &Config) -> WorkerCommand {
    let command = command.env(
        "PAGEWIRE_MAX_PDF_PAGES",
        config.settings.max_pdf_pages.to_string(),
    );
    let command = match &config.ocr_model_dir {
        Some(dir) => command.env("PAGEWIRE_OCR_MODEL_DIR", dir),
        None => command.env("PAGEWIRE_OCR_MODEL_DIR", ""),
    };
    // Empty selects rten, so the worker runs the models on what this process chose.
    let library = config.onnxruntime_lib.clone().unwrap_or_default();
    command.env(pagewire_extract::onnxruntime::LIBRARY_VAR, library)
}

/// One line at cold start of a function that reads documents: whether OCR is on, with which models
/// (the template's OcrModelLayer unpacks them where PAGEWIRE_OCR_MODEL_DIR points) and on which engine
/// (ONNX Runtime from the same layer, else rten), or exactly why it is off.
pub fn log_ocr_setup() {
    use pagewire_extract::onnxruntime::{beside_models, locate, LIBRARY_VAR, RTEN_COST};
    let dir = match std::env::var("PAGEWIRE_OCR_MODEL_DIR") {
        Ok(dir) if !dir.trim().is_empty() => std::path::PathBuf::from(dir),
        _ => {
            tracing::warn!(
                "OCR off: PAGEWIRE_OCR_MODEL_DIR is empty; images and scanned pages will fail with ocr_unavailable"
            );
            return;
        }
    };
    let models = match pagewire_extract::ocr_models::describe_models(&dir) {
        Ok(models) => models,
        Err(err) => {
            tracing::error!(
                error = %err,
                "OCR off: images and scanned pages will fail with ocr_unavailable (is the OCR layer attached?)"
            );
            return;
        }
    };
    let library = locate(
        std::env::var(LIBRARY_VAR).ok().as_deref(),
        &[beside_models(&dir)],
    );
    let dir = dir.display();
    match library {
        Ok(library) => tracing::info!(
            %models,
            %dir,
            library = %library.display(),
            "OCR on, run by ONNX Runtime"
        ),
        Err(reason) => tracing::warn!(
            %models,
            %dir,
            %reason,
            cost = RTEN_COST,
            "OCR on, run by rten"
        ),
    }
}

/// The `main` of a Lambda function that reads documents: a read worker when started as one; else a
/// runtime, and `run` given the AWS adapters, reading in worker processes of this very executable.
pub fn lambda_main<F, Fut>(run: F) -> ExitCode
where
    F: FnOnce(crate::wiring::Adapters) -> Fut,
    Fut: std::future::Future<Output = Result<(), lambda_runtime::Error>>,
{
    // Re-run as a read worker by this very function: no runtime, no logging on stdout.
    if let Some(exit) = serve_if_asked() {
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
    let result = runtime.block_on(async {
        crate::telemetry::init();
        let mut adapters = crate::wiring::Adapters::aws_from_env()?;
        if let Some(worker) = this_executable() {
            adapters = adapters.with_read_worker(worker);
        }
        run(adapters).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

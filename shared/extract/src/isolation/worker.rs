//! The worker side: a process that applies its limits, then reads documents from stdin and answers on
//! stdout until its parent closes stdin. When the parent dies, its end of the pipe closes: an idle
//! worker exits, a busy one is ended by its CPU limit. (Not PR_SET_PDEATHSIG: that follows the parent's
//! *thread* that started the worker, and the pool starts workers from short-lived blocking threads.)

use super::protocol::{read_request, write_answer, HELLO, RECEIVED};
use pagewire_core::ports::DocumentReader;
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
use std::io::{BufReader, BufWriter, Write};
use std::process::ExitCode;

/// The worker's data limit in bytes, set by the parent.
pub const MEMORY_ENV: &str = "PAGEWIRE_READ_WORKER_MEMORY_BYTES";
/// The CPU seconds one read may use, set by the parent.
pub const CPU_ENV: &str = "PAGEWIRE_READ_WORKER_CPU_SECS";

/// Serves documents with `reader` until the parent closes stdin; the process's exit code.
pub fn serve(reader: &dyn DocumentReader) -> ExitCode {
    match serve_until_closed(reader) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pagewire read worker: {err}");
            ExitCode::FAILURE
        }
    }
}

fn serve_until_closed(reader: &dyn DocumentReader) -> std::io::Result<()> {
    let memory = env_number(MEMORY_ENV)?;
    let cpu_secs = env_number(CPU_ENV)?;
    if let Some(bytes) = memory {
        limit(Resource::Data, bytes)?;
    }
    // The answers get a descriptor of their own, and fd 1 becomes stderr: whatever a library prints
    // cannot corrupt the protocol.
    let answers = std::fs::File::from(rustix::io::dup(std::io::stdout())?);
    rustix::stdio::dup2_stdout(std::io::stderr())?;
    let mut output = BufWriter::new(answers);
    output.write_all(HELLO)?;
    output.flush()?;
    let mut input = BufReader::new(std::io::stdin().lock());
    while let Some((kind, bytes)) = read_request(&mut input)? {
        output.write_all(&[RECEIVED])?;
        output.flush()?;
        if let Some(secs) = cpu_secs {
            allow_more_cpu(secs)?;
        }
        let answer = reader.read(kind, &bytes);
        drop(bytes);
        write_answer(&mut output, &answer)?;
    }
    Ok(())
}

fn env_number(name: &str) -> std::io::Result<Option<u64>> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(text) => text.trim().parse().map(Some).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{name}={text:?} is not a number"),
            )
        }),
    }
}

/// Sets both the soft and hard limit, so the read cannot raise it again.
fn limit(resource: Resource, value: u64) -> std::io::Result<()> {
    let hard = getrlimit(resource)
        .maximum
        .map_or(value, |max| max.min(value));
    setrlimit(
        resource,
        Rlimit {
            current: Some(hard),
            maximum: Some(hard),
        },
    )?;
    Ok(())
}

/// RLIMIT_CPU counts the process's whole life, and the worker reads many documents: before each, the
/// soft limit moves to what has been used plus one read's budget (SIGXCPU at the soft limit).
fn allow_more_cpu(secs: u64) -> std::io::Result<()> {
    let used = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    let soft = (used.tv_sec.max(0) as u64)
        .saturating_add(secs)
        .saturating_add(1);
    let maximum = getrlimit(Resource::Cpu).maximum;
    setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(maximum.map_or(soft, |max| max.min(soft))),
            maximum,
        },
    )?;
    Ok(())
}

//! What reading in a worker process costs (BENCHMARKS.md, "Reading documents in isolation"), `--release`:
//! the time per document read in process and in an isolated worker (a one-page and a 20-page text PDF),
//! the time to start (and stop) a worker, and a worker's memory.
//!
//! The bench re-runs itself as the worker (`read-worker` argument), as process-document and `pagewire`
//! do. Run: `cargo bench -p pagewire-extract --bench isolation`.

use pagewire_core::model::FileKind;
use pagewire_core::ports::DocumentReader;
use pagewire_core::Settings;
use pagewire_extract::fixtures::{invoice_runs, positioned_pdf, text_pdf};
use pagewire_extract::isolation::{serve, IsolatedReader, ReadBudget, WorkerCommand};
use pagewire_extract::{PagewireReader, ReaderLimits};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WORKER_ARG: &str = "read-worker";

fn in_process() -> PagewireReader {
    PagewireReader::new(ReaderLimits::from_settings(&Settings::default()))
}

fn isolated() -> IsolatedReader {
    let command = WorkerCommand::current_exe([WORKER_ARG]).expect("this executable");
    let budget = ReadBudget::default_for(None, 1);
    IsolatedReader::new(command, budget, 1, Arc::new(in_process()))
}

/// Median and 99th percentile of `runs` timings of `work`, after a few unmeasured ones.
fn time(runs: usize, mut work: impl FnMut()) -> (Duration, Duration) {
    for _ in 0..runs / 20 + 1 {
        work();
    }
    let mut took: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    took.sort();
    (took[runs / 2], took[runs * 99 / 100])
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// The children of this process and their VmRSS / VmHWM (kB), from /proc.
fn children_memory() -> Vec<(u32, u64, u64)> {
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let field = |name: &str| -> Option<u64> {
            let line = status.lines().find(|l| l.starts_with(name))?;
            line.split_whitespace().nth(1)?.parse().ok()
        };
        if field("PPid:") == Some(me as u64) {
            found.push((
                pid,
                field("VmRSS:").unwrap_or(0),
                field("VmHWM:").unwrap_or(0),
            ));
        }
    }
    found
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some(WORKER_ARG) {
        return serve(&in_process());
    }
    let one_page = text_pdf(&[&[
        "ACME Corporation",
        "Invoice Number: INV-2024-001",
        "Invoice Date: March 15, 2024",
        "Total Due: $1,234.56",
    ]]);
    let twenty_pages = positioned_pdf(&vec![invoice_runs(); 20], None);
    let local = in_process();
    let pool = isolated();
    pool.warm_up().expect("a worker starts");
    for (name, pdf, runs) in [
        ("one-page text PDF", &one_page, 2000),
        ("20-page text PDF", &twenty_pages, 300),
    ] {
        let read = |reader: &dyn DocumentReader| {
            let doc = reader.read(FileKind::Pdf, pdf).expect("the PDF reads");
            assert!(!doc.pages.is_empty());
        };
        let (p50_local, p99_local) = time(runs, || read(&local));
        let (p50_iso, p99_iso) = time(runs, || read(&pool));
        println!(
            "{name} ({} bytes): in process p50 {} p99 {}; isolated p50 {} p99 {}; overhead p50 {}",
            pdf.len(),
            micros(p50_local),
            micros(p99_local),
            micros(p50_iso),
            micros(p99_iso),
            micros(p50_iso.saturating_sub(p50_local)),
        );
    }
    for (pid, rss, hwm) in children_memory() {
        println!("worker {pid} after those reads: VmRSS {rss} kB, peak VmHWM {hwm} kB");
    }
    drop(pool);
    let (start_p50, start_p99) = time(50, || {
        let pool = isolated();
        pool.warm_up().expect("a worker starts");
    });
    println!(
        "worker start (spawn, limits, ready) and stop: p50 {} p99 {}",
        micros(start_p50),
        micros(start_p99)
    );
    let fresh = isolated();
    fresh.warm_up().expect("a worker starts");
    for (pid, rss, _) in children_memory() {
        println!("fresh idle worker {pid}: VmRSS {rss} kB");
    }
    ExitCode::SUCCESS
}

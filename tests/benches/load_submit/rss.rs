//! This process's resident memory, from /proc, sampled in the background to catch the peak; and its CPU
//! time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// VmRSS in KiB (0 where /proc is not there).
pub fn current_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// CPU time this process has used (user + system), in seconds, from /proc (0 where it is missing): the
/// cost of the work whatever else the machine is running.
#[allow(dead_code)] // used by the end_to_end and delivery_throughput benches, not by load_submit
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // The kernel reports in USER_HZ, 100 on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

pub struct Sampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    pub fn start(every: Duration) -> Self {
        let peak = Arc::new(AtomicU64::new(current_kib()));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let task = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(current_kib(), Ordering::Relaxed);
                tokio::time::sleep(every).await;
            }
        });
        Self { peak, stop, task }
    }

    /// Stops sampling; returns the peak in KiB.
    pub async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.load(Ordering::Relaxed).max(current_kib())
    }
}

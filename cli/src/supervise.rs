//! Keeps `pagewire dev`'s background tasks (the HTTP server, the queue consumers, the purge) running: a task
//! that ends or panics is logged and started again after a short, growing pause, until shutdown. Without
//! this, one panic inside a consumer stopped delivery for good while the API kept accepting jobs.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The pause before the first restart; it doubles on each quick failure up to [`MAX_BACKOFF`].
pub const MIN_BACKOFF: Duration = Duration::from_millis(100);
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A task that ran this long before failing counts as healthy again: its next restart is quick.
const HEALTHY_RUN: Duration = Duration::from_secs(30);

/// How many times each supervised task has been restarted (for logs and tests).
#[derive(Debug, Default)]
pub struct Restarts(AtomicU64);

impl Restarts {
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The pause after a failure, given the previous pause and how long the task had run.
pub fn next_backoff(previous: Duration, ran_for: Duration) -> Duration {
    if ran_for >= HEALTHY_RUN {
        MIN_BACKOFF
    } else {
        (previous * 2).clamp(MIN_BACKOFF, MAX_BACKOFF)
    }
}

/// Runs `start()` as a task until `shutdown` turns true, starting it again whenever it ends or panics.
/// Each run gets its own shutdown receiver and must return soon after shutdown is signalled; the returned
/// handle finishes once the current run has.
pub fn supervise<F, Fut>(
    name: &'static str,
    shutdown: watch::Receiver<bool>,
    restarts: Arc<Restarts>,
    mut start: F,
) -> JoinHandle<()>
where
    F: FnMut(watch::Receiver<bool>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut stop = shutdown;
    tokio::spawn(async move {
        let mut backoff = Duration::ZERO;
        loop {
            let started = Instant::now();
            let run = tokio::spawn(start(stop.clone())).await;
            if *stop.borrow() {
                return;
            }
            match run {
                Ok(()) => tracing::error!(task = name, "background task ended; restarting it"),
                Err(err) if err.is_panic() => {
                    tracing::error!(task = name, "background task panicked; restarting it")
                }
                Err(_) => return,
            }
            restarts.0.fetch_add(1, Ordering::Relaxed);
            backoff = next_backoff(backoff, started.elapsed());
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => return,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn backoff_grows_on_quick_failures_and_resets_after_a_healthy_run() {
        let quick = Duration::from_millis(10);
        let mut pause = Duration::ZERO;
        let mut pauses = Vec::new();
        for _ in 0..8 {
            pause = next_backoff(pause, quick);
            pauses.push(pause.as_millis());
        }
        assert_eq!(pauses, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(next_backoff(MAX_BACKOFF, HEALTHY_RUN), MIN_BACKOFF);
    }

    #[tokio::test]
    async fn a_panicking_task_is_restarted_until_shutdown() {
        let (shutdown, rx) = watch::channel(false);
        let runs = Arc::new(AtomicUsize::new(0));
        let restarts = Arc::new(Restarts::default());
        let counted = runs.clone();
        let handle = supervise("test", rx, restarts.clone(), move |mut stop| {
            let run = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if run < 2 {
                    panic!("run {run} fails");
                }
                let _ = stop.changed().await;
            }
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        while runs.load(Ordering::SeqCst) < 3 {
            assert!(Instant::now() < deadline, "the task was not restarted");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(restarts.count(), 2);
        shutdown.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), handle)
            .await
            .expect("shutdown stops the supervisor")
            .unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 3, "no restart after shutdown");
    }
}

//! A fresh backend in a temporary directory and a manual clock; the domain items come from
//! `pagewire_core::fixtures`, shared with the port contract tests of the integration suite.

use chrono::Duration;
pub use pagewire_core::fixtures::*;
use pagewire_core::ManualClock;
use pagewire_embedded::{EmbeddedBackend, QueueLimits};
use std::sync::Arc;
use tempfile::TempDir;
pub struct Env {
    pub dir: TempDir,
    pub clock: Arc<ManualClock>,
    pub backend: EmbeddedBackend,
}

impl Env {
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Opens a second backend on the same directory, as a restarted process would.
    pub fn reopen(&self) -> EmbeddedBackend {
        EmbeddedBackend::open(self.dir.path(), self.clock.clone()).expect("reopen")
    }
}

pub fn env() -> Env {
    env_with(QueueLimits::default())
}

pub fn env_with(limits: QueueLimits) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(t0()));
    let backend = EmbeddedBackend::open_with(dir.path(), clock.clone(), limits).expect("open");
    Env {
        dir,
        clock,
        backend,
    }
}

//! WAL checkpoints on a thread of their own.
//!
//! Store calls run on the async runtime's threads ([`crate::db::Db::run`]), which must not wait on the
//! disk. SQLite's automatic checkpoint would do exactly that: the commit that fills the WAL past its limit
//! copies the pages back into the database file and fsyncs both, inside that caller's call. So the main
//! connection's automatic checkpoint is off and this thread, on a second connection to the same file,
//! checkpoints every [`CHECKPOINT_EVERY`]. A passive checkpoint never blocks the writer: it copies what no
//! reader still needs, and the WAL restarts from its beginning once everything has been copied.

use crate::db::BUSY_TIMEOUT;
use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Often enough that the WAL stays a few megabytes under a burst, rarely enough to cost nothing when idle.
pub(crate) const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The checkpoint thread; dropping it stops the thread (after at most one checkpoint in progress).
#[derive(Debug)]
pub(crate) struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    /// WAL frames copied into the database file so far (what tests watch).
    #[cfg_attr(not(test), allow(dead_code))]
    copied: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens the second connection and starts the thread. An error leaves the caller's connection as it
    /// was, with SQLite's automatic checkpoint, which is slower but correct.
    pub(crate) fn start(path: &Path) -> std::io::Result<Self> {
        let conn = Connection::open(path)
            .and_then(|conn| conn.busy_timeout(BUSY_TIMEOUT).map(|()| conn))
            .map_err(std::io::Error::other)?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let copied = Arc::new(AtomicU64::new(0));
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".to_string())
            .spawn({
                let (stop, copied) = (Arc::clone(&stop), Arc::clone(&copied));
                move || checkpoint_until_stopped(&conn, &stop, &copied)
            })?;
        Ok(Self {
            stop,
            copied,
            thread: Some(thread),
        })
    }

    /// WAL frames this thread has copied into the database file.
    #[cfg(test)]
    pub(crate) fn frames_copied(&self) -> u64 {
        self.copied.load(Ordering::Relaxed)
    }
}

fn checkpoint_until_stopped(conn: &Connection, stop: &(Mutex<bool>, Condvar), copied: &AtomicU64) {
    let (stopped, wake) = stop;
    let mut guard = stopped.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let (next, _) = wake
            .wait_timeout(guard, CHECKPOINT_EVERY)
            .unwrap_or_else(|p| p.into_inner());
        guard = next;
        if *guard {
            return;
        }
        // The row is (busy, frames in the WAL, frames copied); a failure is retried at the next tick.
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            row.get::<_, i64>(2)
        }) {
            Ok(frames) => {
                copied.fetch_add(u64::try_from(frames).unwrap_or(0), Ordering::Relaxed);
            }
            Err(err) => tracing::warn!(error = %err, "WAL checkpoint failed; retrying"),
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

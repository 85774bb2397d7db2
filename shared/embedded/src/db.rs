//! The one SQLite connection every embedded store shares: opening, schema, and the bridge that runs
//! blocking SQL off the async runtime and turns SQLite errors into [`StoreError`]s.

use crate::checkpoint::Checkpointer;
use chrono::{DateTime, Utc};
use pagewire_core::StoreError;
use rusqlite::{Connection, ErrorCode, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How long a statement waits for another process (say the CLI while `pagewire dev` runs) to release the
/// file before SQLite reports BUSY, which we surface as `Unavailable` so callers retry.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection: more than the distinct statements of the hot paths.
const STATEMENT_CACHE: usize = 128;

/// Every table is created idempotently at open, so a fresh directory and a reopened one take the same path.
/// Entities live as serde_json text in `body`; the other columns exist only to key, filter and order rows.
/// Times used for filtering are unix seconds (`expires_at`, as DynamoDB's TTL) and those used for ordering
/// are unix microseconds (`*_us`), with `rowid`/`seq` breaking ties in insertion order.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_expires ON jobs (expires_at);

CREATE TABLE IF NOT EXISTS documents (
    job_id      TEXT NOT NULL,
    id          TEXT NOT NULL,
    ordinal     INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (job_id, id)
);
CREATE INDEX IF NOT EXISTS documents_expires ON documents (expires_at);

CREATE TABLE IF NOT EXISTS deliveries (
    job_id      TEXT NOT NULL,
    webhook_id  TEXT NOT NULL,
    created_us  INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (job_id, webhook_id)
);
CREATE INDEX IF NOT EXISTS deliveries_expires ON deliveries (expires_at);

CREATE TABLE IF NOT EXISTS attempts (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id        TEXT,
    tenant_id     TEXT NOT NULL,
    endpoint_id   TEXT NOT NULL,
    attempted_us  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_job ON attempts (job_id, attempted_us);
CREATE INDEX IF NOT EXISTS attempts_endpoint ON attempts (tenant_id, endpoint_id, attempted_us);
CREATE INDEX IF NOT EXISTS attempts_expires ON attempts (expires_at);

CREATE TABLE IF NOT EXISTS tenants (
    id          TEXT PRIMARY KEY,
    credits     INTEGER NOT NULL,
    created_us  INTEGER NOT NULL,
    body        TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS charges (
    tenant_id   TEXT NOT NULL,
    charge_id   TEXT NOT NULL,
    pages       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, charge_id)
);

CREATE TABLE IF NOT EXISTS api_keys (
    key_hash    TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    body        TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS templates (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    created_us  INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE IF NOT EXISTS endpoints (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    template_id TEXT NOT NULL,
    created_us  INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE IF NOT EXISTS idempotency_keys (
    tenant_id   TEXT NOT NULL,
    key         TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expires ON idempotency_keys (expires_at);

CREATE TABLE IF NOT EXISTS messages (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    queue          TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    body           TEXT NOT NULL,
    visible_at_ms  INTEGER NOT NULL,
    receive_count  INTEGER NOT NULL DEFAULT 0,
    receipt_handle TEXT,
    created_at_ms  INTEGER NOT NULL,
    owner          TEXT NOT NULL DEFAULT '',
    turn           INTEGER NOT NULL DEFAULT 0
);
";

/// Columns added after the first release, with their definitions: a database created before them gets
/// them at open (existing rows take the default).
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("messages", "owner", "TEXT NOT NULL DEFAULT ''"),
    ("messages", "turn", "INTEGER NOT NULL DEFAULT 0"),
];

/// Indexes over added columns, created once the columns exist. The visibility and receipt indexes of the
/// first release are dropped: receives walk the turn index and receipts name their row (`queue.rs`), and
/// each index cost a page write on every send, receive and delete.
const LATER_INDEXES: &str = "
DROP INDEX IF EXISTS messages_visible;
DROP INDEX IF EXISTS messages_receipt;
CREATE INDEX IF NOT EXISTS messages_turn ON messages (queue, turn, seq);
CREATE INDEX IF NOT EXISTS messages_owner ON messages (queue, owner, turn);
";

/// The shared connection. One connection behind a mutex keeps every port call serialised within the
/// process (SQLite allows one writer anyway); WAL lets another process read meanwhile.
#[derive(Debug)]
pub(crate) struct Db {
    conn: Mutex<Connection>,
    /// Declared after `conn`, so its connection is the last one closed, and SQLite's last close copies
    /// whatever the WAL still holds into the file. Only tests look at it.
    #[cfg_attr(not(test), allow(dead_code))]
    checkpointer: Option<Checkpointer>,
}

impl Db {
    /// Opens (creating if needed) the database file and its schema.
    pub(crate) fn open(path: &Path) -> Result<Arc<Self>, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // journal_mode answers with the mode in force, so it has to be read back rather than just set.
        let _mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        add_missing_columns(&conn)?;
        conn.execute_batch(LATER_INDEXES)?;
        let checkpointer = match Checkpointer::start(path) {
            Ok(checkpointer) => {
                conn.pragma_update(None, "wal_autocheckpoint", 0)?;
                Some(checkpointer)
            }
            Err(err) => {
                tracing::warn!(error = %err, "no checkpoint thread; SQLite checkpoints in commits");
                None
            }
        };
        Ok(Arc::new(Self {
            conn: Mutex::new(conn),
            checkpointer,
        }))
    }

    /// Runs `work` with the connection, on the calling thread.
    ///
    /// Not on the blocking pool: the statements are short indexed reads and writes (the few scans, purging
    /// and dead letters, are bounded by their tables' retention), and handing each call to another thread
    /// and back cost more than the call itself: about half the CPU of a document end to end, in context
    /// switches (BENCHMARKS.md, "End to end"). What could take long, the WAL checkpoint with its fsyncs,
    /// runs on the [`Checkpointer`]'s thread instead. The lock is rarely contended: calls take
    /// microseconds, and measured under load about one in ten overlapped another.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let mut conn = self.lock();
        work(&mut conn).map_err(StoreError::from)
    }

    /// A panic while the lock was held leaves nothing half-done (an open transaction rolls back when it is
    /// dropped), so a poisoned lock is safe to take over.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn add_missing_columns(conn: &Connection) -> Result<(), rusqlite::Error> {
    for (table, column, definition) in ADDED_COLUMNS {
        let present: bool = conn.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
            [table, column],
            |row| row.get(0),
        )?;
        if !present {
            conn.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {column} {definition}"
            ))?;
        }
    }
    Ok(())
}

/// What a closure run by [`Db::run`] may fail with; `?` works on both SQLite and store errors inside it.
#[derive(Debug)]
pub(crate) enum DbError {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for DbError {
    fn from(err: rusqlite::Error) -> Self {
        DbError::Sql(err)
    }
}

impl From<StoreError> for DbError {
    fn from(err: StoreError) -> Self {
        DbError::Store(err)
    }
}

impl From<DbError> for StoreError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Store(store) => store,
            DbError::Sql(sql) => sql_error(sql),
        }
    }
}

/// BUSY and LOCKED mean another writer holds the file: the same call can succeed later. Everything else
/// (constraint, corrupt file, bad SQL) would fail again.
pub(crate) fn sql_error(err: rusqlite::Error) -> StoreError {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(err.to_string())
        }
        _ => StoreError::Permanent(err.to_string()),
    }
}

pub(crate) fn encode<T: Serialize>(item: &T) -> Result<String, StoreError> {
    serde_json::to_string(item)
        .map_err(|e| StoreError::Permanent(format!("cannot encode item: {e}")))
}

/// A row whose body no longer parses is corrupt: permanent, and the message names no content.
pub(crate) fn decode<T: DeserializeOwned>(body: &str) -> Result<T, DbError> {
    serde_json::from_str(body)
        .map_err(|e| DbError::Store(StoreError::Permanent(format!("corrupt stored item: {e}"))))
}

/// Versions are u64 in the domain and INTEGER (i64) in SQLite; no real version reaches 2^63.
pub(crate) fn version_column(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version)
        .map_err(|_| StoreError::Permanent(format!("version {version} out of range")))
}

/// The instant as unix seconds, the unit of the `expires_at` columns.
pub(crate) fn seconds(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// The instant as unix microseconds, the unit of the ordering columns.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// `Connection::execute` through the statement cache: the same few statements run for every document,
/// and parsing one costs more than running it.
pub(crate) fn execute_cached(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<usize, rusqlite::Error> {
    conn.prepare_cached(sql)?.execute(params)
}

/// `Connection::query_row` through the statement cache.
pub(crate) fn query_row_cached<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnOnce(&rusqlite::Row<'_>) -> Result<T, rusqlite::Error>,
) -> Result<T, rusqlite::Error> {
    conn.prepare_cached(sql)?.query_row(params, map)
}

/// The decoded `body` of every row `sql` selects (the body must be its first column).
pub(crate) fn query_bodies<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, DbError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |row| row.get::<_, String>(0))?;
    let mut items = Vec::new();
    for body in rows {
        items.push(decode(&body?)?);
    }
    Ok(items)
}

/// The decoded `body` of the row `sql` selects, if any.
pub(crate) fn query_body<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Option<T>, DbError> {
    // Cached: the same few statements run for every delivery, and preparing costs more than running them.
    let body: Option<String> = conn
        .prepare_cached(sql)?
        .query_row(params, |row| row.get(0))
        .optional()?;
    body.map(|b| decode(&b)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;

    #[test]
    fn busy_and_locked_are_retryable_and_the_rest_permanent() {
        let failure = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
        assert!(matches!(
            sql_error(failure(ffi::SQLITE_BUSY)),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            sql_error(failure(ffi::SQLITE_LOCKED)),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            sql_error(failure(ffi::SQLITE_CONSTRAINT)),
            StoreError::Permanent(_)
        ));
        assert!(matches!(
            sql_error(rusqlite::Error::QueryReturnedNoRows),
            StoreError::Permanent(_)
        ));
    }

    #[test]
    fn the_file_is_opened_in_wal_mode_with_normal_sync() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.sqlite3")).unwrap();
        let conn = db.lock();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 1));
    }

    #[test]
    fn a_database_from_before_the_fair_queue_gets_its_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,
                 message_id TEXT NOT NULL, body TEXT NOT NULL, visible_at_ms INTEGER NOT NULL,
                 receive_count INTEGER NOT NULL DEFAULT 0, receipt_handle TEXT,
                 created_at_ms INTEGER NOT NULL);
                 INSERT INTO messages (queue, message_id, body, visible_at_ms, created_at_ms)
                 VALUES ('process', 'm', '{}', 0, 0);",
            )
            .unwrap();
        }
        let db = Db::open(&path).unwrap();
        let conn = db.lock();
        let (owner, turn): (String, i64) = conn
            .query_row("SELECT owner, turn FROM messages", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((owner.as_str(), turn), ("", 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_calls_all_run_and_are_visible_to_other_connections() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        let db = Db::open(&path).unwrap();
        db.lock()
            .execute_batch("CREATE TABLE scratch (n INTEGER PRIMARY KEY)")
            .unwrap();
        let calls: Vec<_> = (0..300_i64)
            .map(|n| {
                let db = Arc::clone(&db);
                tokio::spawn(async move {
                    db.run(move |conn| {
                        conn.execute("INSERT INTO scratch (n) VALUES (?1)", [n])?;
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        let other = Connection::open(&path).unwrap();
        let seen: i64 = other
            .query_row("SELECT COUNT(*) FROM scratch", [], |r| r.get(0))
            .unwrap();
        assert_eq!(seen, 300);
    }

    #[tokio::test]
    async fn the_checkpoint_thread_copies_the_wal_and_commits_never_do() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.sqlite3")).unwrap();
        let auto: i64 = db
            .lock()
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap();
        assert_eq!(auto, 0);
        db.run(|conn| {
            conn.execute_batch(
                "CREATE TABLE scratch (n INTEGER PRIMARY KEY); INSERT INTO scratch VALUES (1);",
            )?;
            Ok(())
        })
        .await
        .unwrap();
        let checkpointer = db.checkpointer.as_ref().expect("a checkpoint thread");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while checkpointer.frames_copied() == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint within 20 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn a_poisoned_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.sqlite3")).unwrap();
        let poisoner = Arc::clone(&db);
        let _ = std::thread::spawn(move || {
            let _guard = poisoner.lock();
            panic!("poison the lock");
        })
        .join();
        assert!(db.conn.is_poisoned());
        let one = db
            .run(|conn| Ok(conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .await;
        assert_eq!(one, Ok(1));
    }
}

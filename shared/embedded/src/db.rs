//! The one SQLite connection every embedded store shares: opening, schema, the group commit that runs each
//! store call in its own savepoint of a shared transaction (see [`Db`]), and the mapping of SQLite errors
//! to [`StoreError`]s. Each call is atomic on its own: adapters need no transaction of their own.

use crate::checkpoint::Checkpointer;
use chrono::{DateTime, Utc};
use pagewire_core::model::records::{Versioned, VersionedWrite};
use pagewire_core::StoreError;
use rusqlite::{Connection, ErrorCode, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
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
    ("templates", "version", "INTEGER NOT NULL DEFAULT 0"),
    ("endpoints", "version", "INTEGER NOT NULL DEFAULT 0"),
    ("deliveries", "tenant_id", "TEXT NOT NULL DEFAULT ''"),
    ("deliveries", "endpoint_id", "TEXT NOT NULL DEFAULT ''"),
    // Set only while the delivery is failed (`records::failed_index_key`): recovery's index.
    ("deliveries", "failed_us", "INTEGER"),
];

/// Indexes over added columns, created once the columns exist (deliveries written before their columns
/// get them from their bodies first). The visibility and receipt indexes of the
/// first release are dropped: receives walk the turn index and receipts name their row (`queue.rs`), and
/// each index cost a page write on every send, receive and delete.
const LATER_INDEXES: &str = "
DROP INDEX IF EXISTS messages_visible;
DROP INDEX IF EXISTS messages_receipt;
CREATE INDEX IF NOT EXISTS messages_turn ON messages (queue, turn, seq);
CREATE INDEX IF NOT EXISTS messages_owner ON messages (queue, owner, turn);
UPDATE deliveries SET tenant_id = json_extract(body, '$.tenant_id'),
    endpoint_id = json_extract(body, '$.endpoint_id'),
    failed_us = CASE json_extract(body, '$.status') WHEN 'failed'
        THEN CAST(strftime('%s', json_extract(body, '$.updated_at')) AS INTEGER) * 1000000 END
    WHERE tenant_id = '';
CREATE INDEX IF NOT EXISTS deliveries_failed ON deliveries (tenant_id, endpoint_id, failed_us)
    WHERE failed_us IS NOT NULL;
";

/// Most store calls one transaction carries; a leader that finds more queued commits them in the next one.
const MAX_BATCH: usize = 128;

/// One caller's work, run inside the batch's transaction (or refused with the reason the transaction could
/// not start); it returns what to do once the batch is committed.
type Pending = Box<dyn FnOnce(Result<&mut Connection, StoreError>) -> Settle + Send>;
/// Hands the caller its result, given whether the batch committed.
type Settle = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// The shared connection, with group commit.
///
/// SQLite allows one writer, so every call of the process goes through this one connection; under load it
/// is the bottleneck, and a transaction costs more than the statements of a typical call (file locks, WAL
/// frames for every page touched). So calls are combined: a caller queues its work and, if nobody holds
/// the connection, becomes the leader and runs every queued call in one `BEGIN IMMEDIATE` transaction, each
/// inside its own savepoint so that one call's failure undoes only that call. A caller that finds the
/// connection taken does not block its thread: it waits for its result, which the leader hands out after the
/// commit. So a result is never seen before it is committed, exactly as with one transaction per call.
///
/// Calls run on the leader's thread, not the blocking pool: the statements are short indexed reads and
/// writes (the few scans, purging and dead letters, are bounded by their tables' retention), and handing
/// each call to another thread and back cost more than the call itself (BENCHMARKS.md, "End to end"). What
/// could take long, the WAL checkpoint with its fsyncs, runs on the [`Checkpointer`]'s thread instead.
pub(crate) struct Db {
    conn: Mutex<Connection>,
    pending: Mutex<VecDeque<Pending>>,
    /// Declared after `conn`, so its connection is the last one closed, and SQLite's last close copies
    /// whatever the WAL still holds into the file. Only tests look at it.
    #[cfg_attr(not(test), allow(dead_code))]
    checkpointer: Option<Checkpointer>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
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
            pending: Mutex::new(VecDeque::new()),
            checkpointer,
        }))
    }

    /// Runs `work` with the connection in a transaction (see [`Db`]) and returns its result once
    /// committed. An error from `work` undoes what `work` wrote and nothing else.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let (result_tx, result_rx) = tokio::sync::oneshot::channel();
        let pending: Pending = Box::new(move |conn| {
            let outcome = conn.and_then(|conn| in_savepoint(conn, work));
            Box::new(move |committed: Result<(), StoreError>| {
                // The caller may have stopped waiting (its task was cancelled): nothing to tell then.
                let _ = result_tx.send(committed.and(outcome));
            })
        });
        lock(&self.pending).push_back(pending);
        self.lead_while_needed();
        result_rx.await.map_err(|_| {
            StoreError::Unavailable("the store call was dropped before it ran".to_string())
        })?
    }

    /// Runs queued calls in batches for as long as some are queued and nobody else holds the connection.
    /// A caller that queues while a leader holds the connection leaves its call to that leader, which looks
    /// at the queue again after letting the connection go, so no call is left behind.
    fn lead_while_needed(&self) {
        loop {
            let mut conn = match self.conn.try_lock() {
                Ok(conn) => conn,
                Err(TryLockError::WouldBlock) => return,
                // Calls are caught (`in_savepoint`), so a panic never leaves a batch half-run.
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            };
            let batch: Vec<Pending> = {
                let mut queue = lock(&self.pending);
                let take = queue.len().min(MAX_BATCH);
                queue.drain(..take).collect()
            };
            let settles = run_batch(&mut conn, batch);
            drop(conn);
            for (settle, committed) in settles {
                settle(committed);
            }
            if lock(&self.pending).is_empty() {
                return;
            }
        }
    }

    /// Caps the database at about `max_bytes`, in whole pages and never below what the file holds. Past
    /// it a write fails as on a full disk (SQLITE_FULL: retryable, 503 to a client) until expired items
    /// are swept or the cap is raised. Returns the cap in force, in bytes.
    pub(crate) fn cap_size(&self, max_bytes: u64) -> Result<u64, rusqlite::Error> {
        let conn = lock(&self.conn);
        let page_size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let page_size = u64::try_from(page_size).unwrap_or(4096).max(1);
        let pages = (max_bytes / page_size).clamp(1, i64::MAX as u64);
        let capped: i64 = conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
            r.get(0)
        })?;
        Ok(u64::try_from(capped).unwrap_or(0).saturating_mul(page_size))
    }

    /// The connection itself, for tests that look at the file's settings.
    #[cfg(test)]
    fn lock(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }
}

/// A panic while a lock was held leaves nothing half-done (calls are caught, and an open transaction is
/// rolled back), so a poisoned lock is safe to take over.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs the calls in one transaction and pairs each call's settle with the commit's result.
fn run_batch(conn: &mut Connection, batch: Vec<Pending>) -> Vec<(Settle, Result<(), StoreError>)> {
    if batch.is_empty() {
        return Vec::new();
    }
    if let Err(err) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Another process held the file past the busy timeout: every call of the batch is refused with
        // that (BUSY is `Unavailable`, so callers retry); none has run.
        let failed = sql_error(err);
        return batch
            .into_iter()
            .map(|pending| (pending(Err(failed.clone())), Ok(())))
            .collect();
    }
    // On a full disk or an I/O error SQLite may roll the whole transaction back by itself: the calls run
    // so far are undone, and the ones after would run outside any transaction. So the batch stops there;
    // every call is told to retry, and none of the rest runs.
    let mut rolled_back: Option<StoreError> = None;
    let mut settles: Vec<Settle> = Vec::with_capacity(batch.len());
    for pending in batch {
        match &rolled_back {
            Some(err) => settles.push(pending(Err(err.clone()))),
            None => {
                settles.push(pending(Ok(&mut *conn)));
                if conn.is_autocommit() {
                    rolled_back = Some(StoreError::Unavailable(
                        "SQLite rolled the transaction back (disk full or I/O error)".to_string(),
                    ));
                }
            }
        }
    }
    let committed = match rolled_back {
        Some(err) => Err(err),
        None => conn.execute_batch("COMMIT").map_err(|err| {
            let failed = sql_error(err);
            let _ = conn.execute_batch("ROLLBACK");
            failed
        }),
    };
    settles
        .into_iter()
        .map(|settle| (settle, committed.clone()))
        .collect()
}

/// Runs one call inside a savepoint of the batch: kept if it succeeds, undone if it fails or panics.
fn in_savepoint<T, F>(conn: &mut Connection, work: F) -> Result<T, StoreError>
where
    F: FnOnce(&mut Connection) -> Result<T, DbError>,
{
    execute_cached(conn, "SAVEPOINT store_call", []).map_err(sql_error)?;
    let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(conn))) {
        Ok(outcome) => outcome.map_err(StoreError::from),
        Err(_) => Err(StoreError::Permanent(
            "a store call panicked; its writes were undone".to_string(),
        )),
    };
    if outcome.is_err() && conn.is_autocommit() {
        // SQLite rolled the whole transaction back (disk full): no savepoint is left to undo.
        return outcome;
    }
    if outcome.is_err() {
        execute_cached(conn, "ROLLBACK TO store_call", []).map_err(sql_error)?;
    }
    execute_cached(conn, "RELEASE store_call", []).map_err(sql_error)?;
    outcome
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

/// BUSY and LOCKED mean another writer holds the file, FULL that the disk (or the file's page limit) is
/// full: the same call can succeed later, once the writer is done or space is freed (expired items are
/// swept). Everything else (constraint, corrupt file, bad SQL) would fail again.
pub(crate) fn sql_error(err: rusqlite::Error) -> StoreError {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::DiskFull) => {
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
/// The stored form of an update under core's rule ([`VersionedWrite`]): the body at its next version, the
/// version the row must have now, and the one it gets.
pub(crate) fn versioned<T: Versioned + Serialize>(
    item: &T,
) -> Result<(String, i64, i64), StoreError> {
    let write = VersionedWrite::of(item)?;
    Ok((
        encode(&write.stored)?,
        version_column(write.expected)?,
        version_column(write.stored.version())?,
    ))
}

/// A conditional update that matched no row lost the race (or the item is gone): both are `Conflict`.
pub(crate) fn changed_one(changed: usize) -> Result<(), DbError> {
    if changed == 1 {
        Ok(())
    } else {
        Err(DbError::Store(StoreError::Conflict))
    }
}

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
            sql_error(failure(ffi::SQLITE_FULL)),
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
        let (dir, db) = with_scratch_table();
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
        let other = Connection::open(dir.path().join(SCRATCH_FILE)).unwrap();
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

    const SCRATCH_FILE: &str = "t.sqlite3";

    fn with_scratch_table() -> (tempfile::TempDir, Arc<Db>) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join(SCRATCH_FILE)).unwrap();
        db.lock()
            .execute_batch("CREATE TABLE scratch (n INTEGER PRIMARY KEY)")
            .unwrap();
        (dir, db)
    }

    async fn scratch_rows(db: &Arc<Db>, filter: &'static str) -> i64 {
        db.run(move |conn| {
            let sql = format!("SELECT COUNT(*) FROM scratch WHERE {filter}");
            Ok(conn.query_row(&sql, [], |r| r.get(0))?)
        })
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failing_call_undoes_only_its_own_writes() {
        let (_dir, db) = with_scratch_table();
        let calls: Vec<_> = (0..200_i64)
            .map(|n| {
                let db = Arc::clone(&db);
                tokio::spawn(async move {
                    db.run(move |conn| {
                        conn.execute("INSERT INTO scratch (n) VALUES (?1)", [n])?;
                        if n % 2 == 1 {
                            // Wrote, then failed: this write must not survive, the others' must.
                            return Err(DbError::Store(StoreError::Conflict));
                        }
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        for (n, call) in calls.into_iter().enumerate() {
            let result = call.await.unwrap();
            assert_eq!(result.is_ok(), n % 2 == 0, "call {n}: {result:?}");
        }
        assert_eq!(scratch_rows(&db, "n % 2 = 0").await, 100);
        assert_eq!(scratch_rows(&db, "n % 2 = 1").await, 0);
    }

    async fn write_blob(db: &Arc<Db>) -> Result<(), StoreError> {
        db.run(|conn| {
            conn.execute("INSERT INTO blobs (b) VALUES (zeroblob(1000000))", [])?;
            Ok(())
        })
        .await
    }

    #[tokio::test]
    async fn a_full_file_is_retryable_and_the_store_goes_on_once_there_is_room() {
        let (_dir, db) = with_scratch_table();
        db.lock()
            .execute_batch("CREATE TABLE blobs (b BLOB)")
            .unwrap();
        // The file may not grow: as a full disk does, SQLite answers SQLITE_FULL.
        let pages: i64 = db
            .lock()
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        db.lock()
            .execute_batch(&format!("PRAGMA max_page_count = {pages}"))
            .unwrap();
        let full = write_blob(&db).await;
        assert!(matches!(full, Err(StoreError::Unavailable(_))), "{full:?}");
        db.lock()
            .execute_batch("PRAGMA max_page_count = 1000000")
            .unwrap();
        write_blob(&db).await.unwrap();
        // The refused write left nothing behind; the later one is there once.
        let blobs: i64 = db
            .run(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM blobs", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(blobs, 1);
    }

    #[tokio::test]
    async fn a_panicking_call_fails_alone_and_the_store_goes_on() {
        let (_dir, db) = with_scratch_table();
        let panicked = db
            .run(|conn| -> Result<(), DbError> {
                conn.execute("INSERT INTO scratch (n) VALUES (1)", [])?;
                panic!("a bug inside a store call");
            })
            .await;
        assert!(
            matches!(panicked, Err(StoreError::Permanent(_))),
            "{panicked:?}"
        );
        db.run(|conn| {
            conn.execute("INSERT INTO scratch (n) VALUES (2)", [])?;
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(scratch_rows(&db, "1 = 1").await, 1);
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

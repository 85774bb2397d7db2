//! A job's records on SQLite: jobs, documents, deliveries and attempts, with DynamoDB's conditional-write
//! semantics (insert-if-absent, update-if-version-matches) expressed as SQL `WHERE` clauses.

use crate::db::{
    changed_one, decode, encode, execute_cached, micros, query_bodies, query_body, seconds,
    version_column, versioned, Db, DbError,
};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use pagewire_core::ids::{DocumentId, EndpointId, JobId, TenantId};
use pagewire_core::model::records::{
    failed_index_key, is_live, sort_deliveries, sort_documents, sort_failed_deliveries,
    sort_job_attempts, Versioned, VersionedWrite,
};
use pagewire_core::model::{Delivery, DeliveryAttempt, Document, IdempotencyRecord, Job};
use pagewire_core::ports::{
    AttemptLog, DeliveryRecords, DocumentRecords, IdempotencyKeys, JobRecords,
};
use pagewire_core::StoreError;
use rusqlite::params;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// How long an expired row is kept before [`SqliteJobStore::purge_expired`] deletes it. Reads already treat
/// expired items as gone; the grace only mirrors DynamoDB, whose TTL deletion lags by up to about two days.
pub const PURGE_GRACE: Duration = Duration::hours(48);

#[derive(Debug, Clone)]
pub struct SqliteJobStore {
    db: Arc<Db>,
}

impl SqliteJobStore {
    pub(crate) fn new(db: Arc<Db>) -> Self {
        Self { db }
    }

    /// Housekeeping: deletes jobs that expired more than [`PURGE_GRACE`] before `now` with all their
    /// documents, deliveries and attempts, and any other such row expired that long. Returns rows removed.
    pub async fn purge_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let cutoff = seconds(now - PURGE_GRACE);
        self.db
            .run(move |conn| {
                let mut removed = 0;
                for table in ["documents", "deliveries", "attempts"] {
                    removed += execute_cached(
                        conn,
                        &format!(
                            "DELETE FROM {table} WHERE expires_at < ?1
                             OR job_id IN (SELECT id FROM jobs WHERE expires_at < ?1)"
                        ),
                        params![cutoff],
                    )?;
                }
                removed += execute_cached(
                    conn,
                    "DELETE FROM jobs WHERE expires_at < ?1",
                    params![cutoff],
                )?;
                removed += execute_cached(
                    conn,
                    "DELETE FROM idempotency_keys WHERE expires_at < ?1",
                    params![cutoff],
                )?;
                Ok(removed)
            })
            .await
    }
}

/// The first `limit` items of a query (in its order) still live at `now`. The SQL filter is by whole
/// seconds; rows are read lazily and checked exactly, so a row that expired earlier within the current
/// second does not take one of the `limit` places.
fn first_live<T: DeserializeOwned>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
    (now, limit): (DateTime<Utc>, usize),
    expires_at: impl Fn(&T) -> DateTime<Utc>,
) -> Result<Vec<T>, DbError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut found = Vec::new();
    while found.len() < limit {
        let Some(row) = rows.next()? else { break };
        let item: T = decode(&row.get::<_, String>(0)?)?;
        if is_live(expires_at(&item), now) {
            found.push(item);
        }
    }
    Ok(found)
}

/// An attempt as its row's columns.
struct AttemptRow {
    job: Option<String>,
    tenant: String,
    endpoint: String,
    at: i64,
    expires: i64,
    body: String,
}

impl AttemptRow {
    fn of(attempt: &DeliveryAttempt) -> Result<Self, StoreError> {
        Ok(Self {
            job: attempt.job_id.map(|j| j.to_string()),
            tenant: attempt.tenant_id.to_string(),
            endpoint: attempt.endpoint_id.to_string(),
            at: micros(attempt.attempted_at),
            expires: seconds(attempt.expires_at),
            body: encode(attempt)?,
        })
    }

    fn insert(&self, conn: &rusqlite::Connection) -> Result<(), DbError> {
        execute_cached(
            conn,
            "INSERT INTO attempts (job_id, tenant_id, endpoint_id, attempted_us, expires_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                self.job,
                self.tenant,
                self.endpoint,
                self.at,
                self.expires,
                self.body
            ],
        )?;
        Ok(())
    }
}

/// A delivery as its row's columns: its keys, the endpoint it goes to, and `failed_us`, set only while
/// it is failed ([`failed_index_key`]), which recovery's partial index reads.
struct DeliveryRow {
    job: String,
    webhook: String,
    created: i64,
    version: i64,
    expires: i64,
    body: String,
    tenant: String,
    endpoint: String,
    failed: Option<i64>,
}

impl DeliveryRow {
    /// The row of `stored`, which carries the version to write.
    fn of(stored: &Delivery, version: i64) -> Result<Self, StoreError> {
        Ok(Self {
            job: stored.job_id.to_string(),
            webhook: stored.webhook_id.clone(),
            created: micros(stored.created_at),
            version,
            expires: seconds(stored.expires_at),
            body: encode(stored)?,
            tenant: stored.tenant_id.to_string(),
            endpoint: stored.endpoint_id.to_string(),
            failed: failed_index_key(stored),
        })
    }

    /// The row of `delivery`'s next version, and the version the stored row must have.
    fn update(delivery: &Delivery) -> Result<(Self, i64), StoreError> {
        let write = VersionedWrite::of(delivery)?;
        let row = Self::of(&write.stored, version_column(write.stored.version())?)?;
        Ok((row, version_column(write.expected)?))
    }

    /// Replaces the stored row if it still has version `expected`; returns the rows changed.
    fn replace(&self, conn: &rusqlite::Connection, expected: i64) -> Result<usize, DbError> {
        Ok(execute_cached(
            conn,
            "UPDATE deliveries SET body = ?1, version = ?2, expires_at = ?3, failed_us = ?4
             WHERE job_id = ?5 AND webhook_id = ?6 AND version = ?7",
            params![
                self.body,
                self.version,
                self.expires,
                self.failed,
                self.job,
                self.webhook,
                expected
            ],
        )?)
    }
}

#[async_trait]
impl JobRecords for SqliteJobStore {
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError> {
        let (id, tenant, version, expires, body) = (
            job.id.to_string(),
            job.tenant_id.to_string(),
            version_column(job.version)?,
            seconds(job.expires_at),
            encode(job)?,
        );
        self.db
            .run(move |conn| {
                let inserted = execute_cached(conn,
                    "INSERT INTO jobs (id, tenant_id, version, expires_at, body) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (id) DO NOTHING",
                    params![id, tenant, version, expires, body],
                )?;
                changed_one(inserted)
            })
            .await
    }

    async fn get_job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        let id = id.to_string();
        self.db
            .run(move |conn| query_body(conn, "SELECT body FROM jobs WHERE id = ?1", params![id]))
            .await
    }

    async fn update_job(&self, job: &Job) -> Result<(), StoreError> {
        let (body, expected, next) = versioned(job)?;
        let (id, expires) = (job.id.to_string(), seconds(job.expires_at));
        self.db
            .run(move |conn| {
                let changed = execute_cached(conn,
                    "UPDATE jobs SET body = ?1, version = ?2, expires_at = ?3 WHERE id = ?4 AND version = ?5",
                    params![body, next, expires, id, expected],
                )?;
                changed_one(changed)
            })
            .await
    }
}

#[async_trait]
impl DocumentRecords for SqliteJobStore {
    async fn insert_document(&self, document: &Document) -> Result<bool, StoreError> {
        let (job, id, ordinal, version, expires, body) = (
            document.job_id.to_string(),
            document.id.to_string(),
            document.ordinal,
            version_column(document.version)?,
            seconds(document.expires_at),
            encode(document)?,
        );
        self.db
            .run(move |conn| {
                let inserted = execute_cached(
                    conn,
                    "INSERT INTO documents (job_id, id, ordinal, version, expires_at, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (job_id, id) DO NOTHING",
                    params![job, id, ordinal, version, expires, body],
                )?;
                Ok(inserted == 1)
            })
            .await
    }

    async fn get_document(
        &self,
        job: JobId,
        id: DocumentId,
    ) -> Result<Option<Document>, StoreError> {
        let (job, id) = (job.to_string(), id.to_string());
        self.db
            .run(move |conn| {
                query_body(
                    conn,
                    "SELECT body FROM documents WHERE job_id = ?1 AND id = ?2",
                    params![job, id],
                )
            })
            .await
    }

    /// One query: the ids travel as a JSON array that SQLite's `json_each` unpacks.
    async fn get_documents(
        &self,
        job: JobId,
        ids: &[DocumentId],
    ) -> Result<Vec<Document>, StoreError> {
        let (job, ids) = (job.to_string(), encode(&ids)?);
        self.db
            .run(move |conn| {
                query_bodies(
                    conn,
                    "SELECT body FROM documents
                     WHERE job_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
                    params![job, ids],
                )
            })
            .await
    }

    async fn update_document(&self, document: &Document) -> Result<(), StoreError> {
        let (body, expected, next) = versioned(document)?;
        let (job, id, expires) = (
            document.job_id.to_string(),
            document.id.to_string(),
            seconds(document.expires_at),
        );
        self.db
            .run(move |conn| {
                let changed = execute_cached(
                    conn,
                    "UPDATE documents SET body = ?1, version = ?2, expires_at = ?3
                     WHERE job_id = ?4 AND id = ?5 AND version = ?6",
                    params![body, next, expires, job, id, expected],
                )?;
                changed_one(changed)
            })
            .await
    }

    async fn list_documents(
        &self,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Document>, StoreError> {
        let (job, floor) = (job.to_string(), seconds(now));
        let docs: Vec<Document> = self
            .db
            .run(move |conn| {
                query_bodies(
                    conn,
                    "SELECT body FROM documents WHERE job_id = ?1 AND expires_at >= ?2",
                    params![job, floor],
                )
            })
            .await?;
        let mut live: Vec<_> = docs
            .into_iter()
            .filter(|item| is_live(item.expires_at, now))
            .collect();
        sort_documents(&mut live);
        Ok(live)
    }
}

#[async_trait]
impl DeliveryRecords for SqliteJobStore {
    async fn insert_delivery(&self, delivery: &Delivery) -> Result<bool, StoreError> {
        let row = DeliveryRow::of(delivery, version_column(delivery.version)?)?;
        self.db
            .run(move |conn| {
                let inserted = execute_cached(conn,
                    "INSERT INTO deliveries
                     (job_id, webhook_id, created_us, version, expires_at, body, tenant_id, endpoint_id, failed_us)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (job_id, webhook_id) DO NOTHING",
                    params![row.job, row.webhook, row.created, row.version, row.expires, row.body,
                        row.tenant, row.endpoint, row.failed],
                )?;
                Ok(inserted == 1)
            })
            .await
    }

    async fn get_delivery(
        &self,
        job: JobId,
        webhook_id: &str,
    ) -> Result<Option<Delivery>, StoreError> {
        let (job, webhook) = (job.to_string(), webhook_id.to_string());
        self.db
            .run(move |conn| {
                query_body(
                    conn,
                    "SELECT body FROM deliveries WHERE job_id = ?1 AND webhook_id = ?2",
                    params![job, webhook],
                )
            })
            .await
    }

    async fn get_deliveries(
        &self,
        job: JobId,
        webhook_ids: &[String],
    ) -> Result<Vec<Delivery>, StoreError> {
        let (job, ids) = (job.to_string(), encode(&webhook_ids)?);
        self.db
            .run(move |conn| {
                query_bodies(
                    conn,
                    "SELECT body FROM deliveries
                     WHERE job_id = ?1 AND webhook_id IN (SELECT value FROM json_each(?2))",
                    params![job, ids],
                )
            })
            .await
    }

    async fn update_delivery(&self, delivery: &Delivery) -> Result<(), StoreError> {
        let (row, expected) = DeliveryRow::update(delivery)?;
        self.db
            .run(move |conn| changed_one(row.replace(conn, expected)?))
            .await
    }

    async fn list_deliveries(
        &self,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, StoreError> {
        let (job, floor) = (job.to_string(), seconds(now));
        let deliveries: Vec<Delivery> = self
            .db
            .run(move |conn| {
                query_bodies(
                    conn,
                    "SELECT body FROM deliveries WHERE job_id = ?1 AND expires_at >= ?2",
                    params![job, floor],
                )
            })
            .await?;
        let mut live: Vec<_> = deliveries
            .into_iter()
            .filter(|item| is_live(item.expires_at, now))
            .collect();
        sort_deliveries(&mut live);
        Ok(live)
    }

    async fn list_failed_deliveries(
        &self,
        tenant: TenantId,
        endpoint: EndpointId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let (tenant, endpoint) = (tenant.to_string(), endpoint.to_string());
        let (since_us, floor) = (micros(since), seconds(now));
        let mut failed: Vec<Delivery> = self
            .db
            .run(move |conn| {
                first_live(
                    conn,
                    "SELECT body FROM deliveries WHERE tenant_id = ?1 AND endpoint_id = ?2
                     AND failed_us IS NOT NULL AND failed_us >= ?3 AND expires_at >= ?4
                     ORDER BY failed_us DESC",
                    params![tenant, endpoint, since_us, floor],
                    (now, limit),
                    |d: &Delivery| d.expires_at,
                )
            })
            .await?;
        sort_failed_deliveries(&mut failed);
        Ok(failed)
    }
}

#[async_trait]
impl AttemptLog for SqliteJobStore {
    async fn append_attempt(&self, attempt: &DeliveryAttempt) -> Result<(), StoreError> {
        let row = AttemptRow::of(attempt)?;
        self.db.run(move |conn| row.insert(conn)).await
    }

    /// One transaction: the attempt is inserted, then the delivery updated under its version check. A
    /// conflict still commits the attempt, as the two separate calls would.
    async fn record_attempt(
        &self,
        attempt: &DeliveryAttempt,
        delivery: &Delivery,
    ) -> Result<(), StoreError> {
        let row = AttemptRow::of(attempt)?;
        let (delivery, expected) = DeliveryRow::update(delivery)?;
        // The attempt is kept even when the update loses: the conflict is told after the commit, not
        // by failing the call (which would undo the attempt's row too).
        let changed = self
            .db
            .run(move |conn| {
                row.insert(conn)?;
                delivery.replace(conn, expected)
            })
            .await?;
        changed_one(changed).map_err(StoreError::from)
    }

    /// Oldest first, as a timeline reads.
    async fn list_job_attempts(
        &self,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let (job, floor) = (job.to_string(), seconds(now));
        let attempts: Vec<DeliveryAttempt> = self
            .db
            .run(move |conn| {
                query_bodies(
                    conn,
                    "SELECT body FROM attempts WHERE job_id = ?1 AND expires_at >= ?2",
                    params![job, floor],
                )
            })
            .await?;
        let mut live: Vec<_> = attempts
            .into_iter()
            .filter(|item| is_live(item.expires_at, now))
            .collect();
        sort_job_attempts(&mut live);
        Ok(live)
    }

    async fn list_endpoint_attempts(
        &self,
        tenant: TenantId,
        endpoint: EndpointId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let (tenant, endpoint, floor) = (tenant.to_string(), endpoint.to_string(), seconds(now));
        self.db
            .run(move |conn| {
                first_live(
                    conn,
                    "SELECT body FROM attempts WHERE tenant_id = ?1 AND endpoint_id = ?2 AND expires_at >= ?3
                     ORDER BY attempted_us DESC, seq DESC",
                    params![tenant, endpoint, floor],
                    (now, limit),
                    |a: &DeliveryAttempt| a.expires_at,
                )
            })
            .await
    }
}

#[async_trait]
impl IdempotencyKeys for SqliteJobStore {
    async fn claim_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let (tenant, key, expires, body) = (
            record.tenant_id.to_string(),
            record.key.clone(),
            seconds(record.expires_at),
            encode(record)?,
        );
        self.db
            .run(move |conn| {
                // Read and write in one call (one savepoint of a `BEGIN IMMEDIATE` transaction, see
                // `Db`), so two claims of one key cannot both win.
                let existing: Option<IdempotencyRecord> = query_body(
                    conn,
                    "SELECT body FROM idempotency_keys WHERE tenant_id = ?1 AND key = ?2",
                    params![tenant, key],
                )?;
                if let Some(existing) = existing.filter(|r| !r.is_expired(now)) {
                    return Ok(Some(existing));
                }
                execute_cached(
                    conn,
                    "INSERT OR REPLACE INTO idempotency_keys (tenant_id, key, expires_at, body)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![tenant, key, expires, body],
                )?;
                Ok(None)
            })
            .await
    }

    async fn put_idempotency_record(&self, record: &IdempotencyRecord) -> Result<(), StoreError> {
        let (tenant, key, expires, body) = (
            record.tenant_id.to_string(),
            record.key.clone(),
            seconds(record.expires_at),
            encode(record)?,
        );
        self.db
            .run(move |conn| {
                execute_cached(
                    conn,
                    "INSERT OR REPLACE INTO idempotency_keys (tenant_id, key, expires_at, body)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![tenant, key, expires, body],
                )?;
                Ok(())
            })
            .await
    }

    async fn release_idempotency_key(&self, tenant: TenantId, key: &str) -> Result<(), StoreError> {
        let (tenant, key) = (tenant.to_string(), key.to_string());
        self.db
            .run(move |conn| {
                execute_cached(
                    conn,
                    "DELETE FROM idempotency_keys WHERE tenant_id = ?1 AND key = ?2",
                    params![tenant, key],
                )?;
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagewire_core::fixtures::{delivery, job, t0};
    use pagewire_core::model::DeliveryStatus;

    /// A database written before deliveries were indexed by endpoint: its failed deliveries are found by
    /// recovery once it is opened again.
    #[tokio::test]
    async fn deliveries_from_before_the_failed_index_are_indexed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        let j = job(t0(), t0() + Duration::days(1));
        let mut failed = delivery(&j, "msg_old", t0(), j.expires_at);
        failed.status = DeliveryStatus::Failed;
        failed.updated_at = t0() + Duration::hours(1);
        let pending = delivery(&j, "msg_pending", t0(), j.expires_at);
        {
            let old = rusqlite::Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE deliveries (job_id TEXT NOT NULL, webhook_id TEXT NOT NULL,
                 created_us INTEGER NOT NULL, version INTEGER NOT NULL, expires_at INTEGER NOT NULL,
                 body TEXT NOT NULL, PRIMARY KEY (job_id, webhook_id));",
            )
            .unwrap();
            for d in [&failed, &pending] {
                old.execute(
                    "INSERT INTO deliveries VALUES (?1, ?2, 0, 0, ?3, ?4)",
                    params![
                        d.job_id.to_string(),
                        d.webhook_id,
                        seconds(d.expires_at),
                        serde_json::to_string(d).unwrap()
                    ],
                )
                .unwrap();
            }
        }
        let store = SqliteJobStore::new(Db::open(&path).unwrap());
        let found = store
            .list_failed_deliveries(j.tenant_id, failed.endpoint_id, t0(), t0(), 10)
            .await
            .unwrap();
        assert_eq!(found, vec![failed.clone()]);
        let later = failed.updated_at + Duration::seconds(1);
        let none = store
            .list_failed_deliveries(j.tenant_id, failed.endpoint_id, later, t0(), 10)
            .await
            .unwrap();
        assert!(none.is_empty(), "since is compared with when it failed");
        assert!(store
            .list_failed_deliveries(j.tenant_id, pending.endpoint_id, t0(), t0(), 10)
            .await
            .unwrap()
            .is_empty());
    }
}

//! A job's records on the DynamoDB `jobs` table. Everything of a job lives under its partition
//! (`pk = JOB#<job>`), so the job, its documents, deliveries and attempt log expire together through the
//! TTL attribute `expires_at`. DynamoDB deletes expired items lazily, so lists leave out what is past
//! `expires_at` themselves. Attempts are also written under `EP#<tenant>#<endpoint>` for the endpoint's log.
//!
//! Updates are conditional on the stored `version`; inserts on the item not existing. A body too large for
//! an item (DynamoDB's limit is 400 KB) is written to the object store under `results/` and the item keeps
//! a pointer (`body_ref`).

use super::item::{
    conditional, decode, encode, epoch, get_item, is_condition_failure, key, n, number_attr,
    query_partition, s, string_attr, Item, BODY, EXPIRES_AT, PK, VERSION,
};
use crate::error::store_error;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use pagewire_core::ids::{DocumentId, EndpointId, JobId, TenantId};
use pagewire_core::model::records::{
    failed_index_key, is_live, sort_deliveries, sort_documents, sort_failed_deliveries,
    sort_job_attempts, Versioned, VersionedWrite,
};
use pagewire_core::model::{Delivery, DeliveryAttempt, Document, IdempotencyRecord, Job};
use pagewire_core::ports::{
    AttemptLog, DeliveryRecords, DocumentRecords, IdempotencyKeys, JobRecords, ObjectStore,
};
use pagewire_core::StoreError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Bodies up to this size stay in the item; larger ones go to the object store. It leaves room under
/// DynamoDB's 400 KB item limit for the keys and the other attributes.
pub const INLINE_BODY_LIMIT: usize = 350 * 1024;

const BODY_REF: &str = "body_ref";
const JOB_SK: &str = "#JOB";
const DOCUMENT: &str = "DOC#";
const DELIVERY: &str = "DEL#";
const ATTEMPT: &str = "ATT#";

/// The `jobs` table's sparse index of failed deliveries by endpoint (`infra/template.yaml`): only a
/// delivery that is failed carries its keys ([`failed_index_key`]), so the index holds just what
/// recovery looks for, and a delivery sent again leaves it.
pub const FAILED_BY_ENDPOINT_INDEX: &str = "failed-by-endpoint";
const FAILED_ENDPOINT: &str = "failed_endpoint";
const FAILED_AT: &str = "failed_us";

#[derive(Clone)]
pub struct DynamoJobStore {
    client: Client,
    table: String,
    overflow: Arc<dyn ObjectStore>,
}

impl DynamoJobStore {
    pub fn new(client: Client, table: impl Into<String>, overflow: Arc<dyn ObjectStore>) -> Self {
        Self {
            client,
            table: table.into(),
            overflow,
        }
    }

    /// The item for `value`: keys, version, TTL, the keys of the indexes it is in, and its body (inline,
    /// or written out with a pointer).
    async fn item<T: Serialize>(
        &self,
        pk: String,
        sk: String,
        value: &T,
        version: u64,
        expires_at: DateTime<Utc>,
        index: Item,
    ) -> Result<Item, StoreError> {
        let body = encode(value)?;
        let mut item = key(pk.clone(), sk);
        item.extend(index);
        item.insert(VERSION.into(), n(version));
        item.insert(EXPIRES_AT.into(), n(epoch(expires_at)));
        if body.len() <= INLINE_BODY_LIMIT {
            item.insert(BODY.into(), s(body));
        } else {
            // A fresh key per write: a writer that loses the version race must not overwrite the body
            // the winner points at. Orphans are removed by the bucket's lifecycle rule.
            let object_key = format!(
                "results/{}/{}.json",
                pk.trim_start_matches("JOB#"),
                uuid::Uuid::new_v4()
            );
            self.overflow
                .put(&object_key, Bytes::from(body), "application/json")
                .await?;
            item.insert(BODY_REF.into(), s(object_key));
        }
        Ok(item)
    }

    async fn body_of<T: DeserializeOwned>(&self, item: &Item) -> Result<T, StoreError> {
        if item.contains_key(BODY) {
            return decode(string_attr(item, BODY)?);
        }
        let object_key = string_attr(item, BODY_REF)?;
        let bytes = self.overflow.get(object_key).await?.ok_or_else(|| {
            StoreError::Permanent(format!("item body {object_key} is missing from the bucket"))
        })?;
        serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Permanent(format!("decoding item body: {e}")))
    }

    async fn get<T: DeserializeOwned>(
        &self,
        pk: String,
        sk: String,
    ) -> Result<Option<T>, StoreError> {
        match get_item(&self.client, &self.table, pk, sk).await? {
            Some(item) => Ok(Some(self.body_of(&item).await?)),
            None => Ok(None),
        }
    }

    /// Writes `item` unless one with its key exists; returns whether it was written.
    async fn insert(&self, item: Item) -> Result<bool, StoreError> {
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) if is_condition_failure(&err) => Ok(false),
            Err(err) => Err(store_error("PutItem", err)),
        }
    }

    /// Replaces the item under core's versioned-write rule ([`VersionedWrite`]).
    async fn replace<T: Versioned + Serialize>(
        &self,
        pk: String,
        sk: String,
        value: &T,
        expires_at: DateTime<Utc>,
        index: Item,
    ) -> Result<(), StoreError> {
        let write = VersionedWrite::of(value)?;
        let expected = write.expected;
        let item = self
            .item(
                pk,
                sk,
                &write.stored,
                write.stored.version(),
                expires_at,
                index,
            )
            .await?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_values(":expected", n(expected))
            .send()
            .await
            .map_err(|e| conditional("PutItem", e))?;
        Ok(())
    }

    /// The live items of a partition under `prefix`, decoded.
    async fn list<T: DeserializeOwned>(
        &self,
        pk: String,
        prefix: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<T>, StoreError> {
        let items =
            query_partition(&self.client, &self.table, &pk, prefix, true, |_| false).await?;
        let mut values = Vec::with_capacity(items.len());
        for item in items.iter().filter(|i| live(i, now)) {
            values.push(self.body_of(item).await?);
        }
        Ok(values)
    }
}

/// An `Idempotency-Key` of a tenant: its own partition, the key hashed so any printable key fits.
fn idempotency_key(tenant: TenantId, key: &str) -> Item {
    let hex = pagewire_core::policy::idempotency::sha256_hex(key.as_bytes());
    super::item::key(format!("IDEM#{tenant}#{hex}"), "#IDEM")
}

/// The keys of `delivery` in [`FAILED_BY_ENDPOINT_INDEX`]: none unless it is failed.
fn failed_index(delivery: &Delivery) -> Item {
    let mut keys = Item::new();
    if let Some(at) = failed_index_key(delivery) {
        keys.insert(
            FAILED_ENDPOINT.into(),
            s(format!("{}#{}", delivery.tenant_id, delivery.endpoint_id)),
        );
        keys.insert(FAILED_AT.into(), n(at));
    }
    keys
}

fn job_pk(job: JobId) -> String {
    format!("JOB#{job}")
}

fn endpoint_pk(tenant: TenantId, endpoint: EndpointId) -> String {
    format!("EP#{tenant}#{endpoint}")
}

/// Sort keys of attempts order by the attempt's time, then by when it was written (so of two attempts in
/// one microsecond the later write reads as newer), and a random tail keeps writers of other processes apart.
fn attempt_sk(attempt: &DeliveryAttempt) -> String {
    let micros = attempt.attempted_at.timestamp_micros().max(0);
    format!(
        "{ATTEMPT}{micros:020}#{:020}#{}",
        write_stamp(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Nanoseconds of the wall clock, strictly increasing within this process.
fn write_stamp() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// A first, whole-second check that an item is still live (DynamoDB's TTL may not have removed it yet);
/// callers check the decoded `expires_at` exactly.
fn live(item: &Item, now: DateTime<Utc>) -> bool {
    number_attr::<i64>(item, EXPIRES_AT).is_ok_and(|at| at >= epoch(now))
}

#[async_trait]
impl JobRecords for DynamoJobStore {
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError> {
        let item = self
            .item(
                job_pk(job.id),
                JOB_SK.into(),
                job,
                job.version,
                job.expires_at,
                Item::new(),
            )
            .await?;
        if self.insert(item).await? {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn get_job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.get(job_pk(id), JOB_SK.into()).await
    }

    async fn update_job(&self, job: &Job) -> Result<(), StoreError> {
        self.replace(
            job_pk(job.id),
            JOB_SK.into(),
            job,
            job.expires_at,
            Item::new(),
        )
        .await
    }
}

#[async_trait]
impl DocumentRecords for DynamoJobStore {
    async fn insert_document(&self, document: &Document) -> Result<bool, StoreError> {
        let item = self
            .item(
                job_pk(document.job_id),
                format!("{DOCUMENT}{}", document.id),
                document,
                document.version,
                document.expires_at,
                Item::new(),
            )
            .await?;
        self.insert(item).await
    }

    async fn get_document(
        &self,
        job: JobId,
        id: DocumentId,
    ) -> Result<Option<Document>, StoreError> {
        self.get(job_pk(job), format!("{DOCUMENT}{id}")).await
    }

    async fn update_document(&self, document: &Document) -> Result<(), StoreError> {
        self.replace(
            job_pk(document.job_id),
            format!("{DOCUMENT}{}", document.id),
            document,
            document.expires_at,
            Item::new(),
        )
        .await
    }

    async fn list_documents(
        &self,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Document>, StoreError> {
        let mut documents: Vec<Document> = self.list(job_pk(job), DOCUMENT, now).await?;
        documents.retain(|d| is_live(d.expires_at, now));
        sort_documents(&mut documents);
        Ok(documents)
    }
}

#[async_trait]
impl DeliveryRecords for DynamoJobStore {
    async fn insert_delivery(&self, delivery: &Delivery) -> Result<bool, StoreError> {
        let item = self
            .item(
                job_pk(delivery.job_id),
                format!("{DELIVERY}{}", delivery.webhook_id),
                delivery,
                delivery.version,
                delivery.expires_at,
                failed_index(delivery),
            )
            .await?;
        self.insert(item).await
    }

    async fn get_delivery(
        &self,
        job: JobId,
        webhook_id: &str,
    ) -> Result<Option<Delivery>, StoreError> {
        self.get(job_pk(job), format!("{DELIVERY}{webhook_id}"))
            .await
    }

    async fn update_delivery(&self, delivery: &Delivery) -> Result<(), StoreError> {
        self.replace(
            job_pk(delivery.job_id),
            format!("{DELIVERY}{}", delivery.webhook_id),
            delivery,
            delivery.expires_at,
            failed_index(delivery),
        )
        .await
    }

    async fn list_deliveries(
        &self,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut deliveries: Vec<Delivery> = self.list(job_pk(job), DELIVERY, now).await?;
        deliveries.retain(|d| is_live(d.expires_at, now));
        sort_deliveries(&mut deliveries);
        Ok(deliveries)
    }

    /// A query of the sparse index, newest failure first. Index reads are eventually consistent:
    /// recovery reads each delivery again before sending it.
    async fn list_failed_deliveries(
        &self,
        tenant: TenantId,
        endpoint: EndpointId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut found: Vec<Delivery> = Vec::new();
        if limit == 0 {
            return Ok(found);
        }
        let mut start: Option<Item> = None;
        'pages: loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(FAILED_BY_ENDPOINT_INDEX)
                .key_condition_expression("#ep = :ep AND #at >= :since")
                .expression_attribute_names("#ep", FAILED_ENDPOINT)
                .expression_attribute_names("#at", FAILED_AT)
                .expression_attribute_values(":ep", s(format!("{tenant}#{endpoint}")))
                .expression_attribute_values(":since", n(since.timestamp_micros()))
                .scan_index_forward(false)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| store_error("Query", e))?;
            for item in page
                .items
                .unwrap_or_default()
                .iter()
                .filter(|i| live(i, now))
            {
                let delivery: Delivery = self.body_of(item).await?;
                if is_live(delivery.expires_at, now) {
                    found.push(delivery);
                }
                if found.len() == limit {
                    break 'pages;
                }
            }
            match page.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => break,
            }
        }
        sort_failed_deliveries(&mut found);
        Ok(found)
    }
}

#[async_trait]
impl AttemptLog for DynamoJobStore {
    async fn append_attempt(&self, attempt: &DeliveryAttempt) -> Result<(), StoreError> {
        let sk = attempt_sk(attempt);
        let mut pks = vec![endpoint_pk(attempt.tenant_id, attempt.endpoint_id)];
        if let Some(job) = attempt.job_id {
            pks.push(job_pk(job));
        }
        let mut writes = Vec::with_capacity(pks.len());
        for pk in pks {
            let item = self
                .item(pk, sk.clone(), attempt, 0, attempt.expires_at, Item::new())
                .await?;
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .map_err(|e| StoreError::Permanent(format!("building attempt write: {e}")))?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        // Both copies or neither: the job's timeline and the endpoint's log must agree.
        self.client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
            .map_err(|e| store_error("TransactWriteItems", e))?;
        Ok(())
    }

    async fn list_job_attempts(
        &self,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let mut attempts: Vec<DeliveryAttempt> = self.list(job_pk(job), ATTEMPT, now).await?;
        attempts.retain(|a| is_live(a.expires_at, now));
        sort_job_attempts(&mut attempts);
        Ok(attempts)
    }

    async fn list_endpoint_attempts(
        &self,
        tenant: TenantId,
        endpoint: EndpointId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let enough = |items: &[Item]| items.iter().filter(|i| live(i, now)).count() >= limit;
        let items = query_partition(
            &self.client,
            &self.table,
            &endpoint_pk(tenant, endpoint),
            ATTEMPT,
            false,
            enough,
        )
        .await?;
        let mut attempts = Vec::new();
        for item in items.iter().filter(|i| live(i, now)) {
            let attempt: DeliveryAttempt = self.body_of(item).await?;
            if is_live(attempt.expires_at, now) {
                attempts.push(attempt);
            }
            if attempts.len() == limit {
                break;
            }
        }
        Ok(attempts)
    }
}

#[async_trait]
impl IdempotencyKeys for DynamoJobStore {
    async fn claim_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let mut item = idempotency_key(record.tenant_id, &record.key);
        item.insert(EXPIRES_AT.into(), n(epoch(record.expires_at)));
        item.insert(BODY.into(), s(encode(record)?));
        // Insert when absent; replace an expired record only if it is still the one read (its body is the
        // condition), so of two claims racing for an expired key one wins and the other sees the winner.
        for _ in 0..3 {
            let stored = self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(idempotency_key(record.tenant_id, &record.key)))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| store_error("GetItem", e))?
                .item;
            let mut put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .expression_attribute_names("#pk", PK);
            match stored {
                None => put = put.condition_expression("attribute_not_exists(#pk)"),
                Some(stored) => {
                    let seen = string_attr(&stored, BODY)?.to_string();
                    let existing: IdempotencyRecord = decode(&seen)?;
                    if !existing.is_expired(now) {
                        return Ok(Some(existing));
                    }
                    put = put
                        .condition_expression("attribute_exists(#pk) AND #body = :seen")
                        .expression_attribute_names("#body", BODY)
                        .expression_attribute_values(":seen", s(seen));
                }
            }
            match put.send().await {
                Ok(_) => return Ok(None),
                Err(err) if is_condition_failure(&err) => continue,
                Err(err) => return Err(store_error("PutItem", err)),
            }
        }
        Err(StoreError::Unavailable(
            "idempotency key contended, retry".to_string(),
        ))
    }

    async fn put_idempotency_record(&self, record: &IdempotencyRecord) -> Result<(), StoreError> {
        let mut item = idempotency_key(record.tenant_id, &record.key);
        item.insert(EXPIRES_AT.into(), n(epoch(record.expires_at)));
        item.insert(BODY.into(), s(encode(record)?));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| store_error("PutItem", e))?;
        Ok(())
    }

    async fn release_idempotency_key(&self, tenant: TenantId, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(idempotency_key(tenant, key)))
            .send()
            .await
            .map_err(|e| store_error("DeleteItem", e))?;
        Ok(())
    }
}

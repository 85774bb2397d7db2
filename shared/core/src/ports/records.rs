//! The records of a job's life, which expire with it: the job, its documents, their deliveries and the
//! attempt log, and the `Idempotency-Key` claims of submissions. One adapter may implement several of
//! these traits over one table; each use case asks only for the ones it touches.
//!
//! The rules every adapter honours, defined in [`crate::model::records`]: `get_*` return items even when
//! expired (stores delete lazily; callers decide with `is_expired`); `list_*` leave expired items out
//! ([`crate::model::records::is_live`]) and return them in the order [`crate::model::records`] sorts;
//! `update_*` succeed only when the stored `version` equals the given item's, and store the item with the
//! next version ([`crate::model::records::VersionedWrite`]); otherwise they fail with `Conflict`.

use crate::error::StoreError;
use crate::ids::{DocumentId, EndpointId, JobId, TenantId};
use crate::model::{Delivery, DeliveryAttempt, Document, IdempotencyRecord, Job};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait JobRecords: Send + Sync {
    /// Fails with `Conflict` when a job with this id exists.
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError>;
    async fn get_job(&self, id: JobId) -> Result<Option<Job>, StoreError>;
    async fn update_job(&self, job: &Job) -> Result<(), StoreError>;
}

#[async_trait]
pub trait DocumentRecords: Send + Sync {
    /// Inserts unless a document with this id exists; returns whether it was inserted.
    async fn insert_document(&self, document: &Document) -> Result<bool, StoreError>;
    async fn get_document(
        &self,
        job: JobId,
        id: DocumentId,
    ) -> Result<Option<Document>, StoreError>;
    /// The documents of `job` among `ids` (absent ones left out; expired ones included, as `get_document`
    /// does). One round trip where the store allows it; the default reads them one by one.
    async fn get_documents(
        &self,
        job: JobId,
        ids: &[DocumentId],
    ) -> Result<Vec<Document>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(document) = self.get_document(job, *id).await? {
                found.push(document);
            }
        }
        Ok(found)
    }
    async fn update_document(&self, document: &Document) -> Result<(), StoreError>;
    async fn list_documents(
        &self,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Document>, StoreError>;
}

#[async_trait]
pub trait DeliveryRecords: Send + Sync {
    /// Inserts unless a delivery with this `webhook_id` exists; returns whether it was inserted.
    async fn insert_delivery(&self, delivery: &Delivery) -> Result<bool, StoreError>;
    async fn get_delivery(
        &self,
        job: JobId,
        webhook_id: &str,
    ) -> Result<Option<Delivery>, StoreError>;
    /// The deliveries of `job` among `webhook_ids`, as [`DocumentRecords::get_documents`] does for
    /// documents.
    async fn get_deliveries(
        &self,
        job: JobId,
        webhook_ids: &[String],
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut found = Vec::with_capacity(webhook_ids.len());
        for id in webhook_ids {
            if let Some(delivery) = self.get_delivery(job, id).await? {
                found.push(delivery);
            }
        }
        Ok(found)
    }
    async fn update_delivery(&self, delivery: &Delivery) -> Result<(), StoreError>;
    async fn list_deliveries(
        &self,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// The deliveries to `endpoint` that are `failed` and were last changed (`updated_at`) at or after
    /// `since`: newest first ([`crate::model::records::sort_failed_deliveries`]), live at `now`, at most
    /// `limit`. Whether they were attempted or given up unsent (their endpoint was disabled) does not
    /// matter: stores index failed deliveries by endpoint, so this reads only those.
    async fn list_failed_deliveries(
        &self,
        tenant: TenantId,
        endpoint: EndpointId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError>;
}

/// Every attempt to send a webhook, kept for the job's retention.
#[async_trait]
pub trait AttemptLog: DeliveryRecords {
    async fn append_attempt(&self, attempt: &DeliveryAttempt) -> Result<(), StoreError>;
    /// Logs `attempt` and then updates `delivery` as [`DeliveryRecords::update_delivery`] does, in one
    /// round trip where the store allows it (the default makes the two calls). The attempt stays logged
    /// when the update fails with `Conflict` (it did happen).
    async fn record_attempt(
        &self,
        attempt: &DeliveryAttempt,
        delivery: &Delivery,
    ) -> Result<(), StoreError> {
        self.append_attempt(attempt).await?;
        self.update_delivery(delivery).await
    }
    async fn list_job_attempts(
        &self,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeliveryAttempt>, StoreError>;
    /// Newest first, at most `limit`.
    async fn list_endpoint_attempts(
        &self,
        tenant: TenantId,
        endpoint: EndpointId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DeliveryAttempt>, StoreError>;
}

/// `Idempotency-Key` claims of submissions and uploads.
#[async_trait]
pub trait IdempotencyKeys: Send + Sync {
    /// Conditional insert of a claim: stores `record` unless a live record (one not expired at `now`)
    /// exists for its (tenant, key), which is then returned and left untouched.
    async fn claim_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// Replaces the record of (tenant, key) (to store the response of the request that claimed it).
    async fn put_idempotency_record(&self, record: &IdempotencyRecord) -> Result<(), StoreError>;
    /// Removes the record of (tenant, key), so the key can be used again. Removing a missing one is fine.
    async fn release_idempotency_key(&self, tenant: TenantId, key: &str) -> Result<(), StoreError>;
}

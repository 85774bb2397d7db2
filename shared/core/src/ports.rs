//! The port traits. They speak domain types only and are shaped after what DynamoDB, S3 and SQS can do
//! (conditional writes, TTL, visibility timeouts), so the embedded and the AWS adapters share semantics.

use crate::error::StoreError;
use crate::ids::{DocumentId, EndpointId, JobId, TemplateId, TenantId};
use crate::model::{
    ApiKeyRecord, BoundingBox, Delivery, DeliveryAttempt, Document, FileKind, HttpMethod,
    IdempotencyRecord, Job, Template, Tenant, WebhookEndpoint,
};
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Jobs and everything that lives and expires with them: documents, deliveries, attempts.
///
/// `get_*` return items even when expired (stores delete lazily); callers decide with `is_expired`.
/// `list_*` leave expired items out. `update_*` succeed only when the stored `version` equals the
/// given item's `version`, and store it with `version + 1`; otherwise they fail with `Conflict`.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Fails with `Conflict` when a job with this id exists.
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError>;
    async fn get_job(&self, id: JobId) -> Result<Option<Job>, StoreError>;
    async fn update_job(&self, job: &Job) -> Result<(), StoreError>;

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

    /// Inserts unless a delivery with this `webhook_id` exists; returns whether it was inserted.
    async fn insert_delivery(&self, delivery: &Delivery) -> Result<bool, StoreError>;
    async fn get_delivery(
        &self,
        job: JobId,
        webhook_id: &str,
    ) -> Result<Option<Delivery>, StoreError>;
    /// The deliveries of `job` among `webhook_ids`, as [`JobStore::get_documents`] does for documents.
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

    async fn append_attempt(&self, attempt: &DeliveryAttempt) -> Result<(), StoreError>;
    /// Logs `attempt` and then updates `delivery` as `update_delivery` does. The attempt stays logged when
    /// the update fails with `Conflict` (it did happen). Adapters that can do both in one round trip
    /// override this; the default makes the two calls.
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

    /// Conditional insert of an `Idempotency-Key` claim: stores `record` unless a live record (one not
    /// expired at `now`) exists for its (tenant, key), which is then returned and left untouched.
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

/// The outcome of charging a document's pages to its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeOutcome {
    Charged {
        remaining: i64,
    },
    /// This charge id was charged before: nothing changed.
    AlreadyCharged,
    Insufficient {
        balance: i64,
    },
}

/// Long-lived configuration: tenants, API keys, credits, templates, webhook endpoints.
#[async_trait]
pub trait ConfigStore: Send + Sync {
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError>;
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError>;
    /// Adds (or with a negative delta removes) credits; returns the new balance.
    async fn add_credits(&self, id: TenantId, delta: i64) -> Result<i64, StoreError>;
    /// Atomically: unless `charge_id` was charged before, take `pages` credits when the balance allows.
    async fn charge_credits(
        &self,
        id: TenantId,
        charge_id: &str,
        pages: u32,
    ) -> Result<ChargeOutcome, StoreError>;

    async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;
    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError>;

    /// Inserts or replaces.
    async fn put_template(&self, template: &Template) -> Result<(), StoreError>;
    async fn get_template(
        &self,
        tenant: TenantId,
        id: TemplateId,
    ) -> Result<Option<Template>, StoreError>;
    async fn list_templates(&self, tenant: TenantId) -> Result<Vec<Template>, StoreError>;
    /// Returns whether it existed.
    async fn delete_template(&self, tenant: TenantId, id: TemplateId) -> Result<bool, StoreError>;

    /// Inserts or replaces.
    async fn put_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError>;
    async fn get_endpoint(
        &self,
        tenant: TenantId,
        id: EndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError>;
    async fn list_endpoints(
        &self,
        tenant: TenantId,
        template: Option<TemplateId>,
    ) -> Result<Vec<WebhookEndpoint>, StoreError>;
    /// Returns whether it existed.
    async fn delete_endpoint(&self, tenant: TenantId, id: EndpointId) -> Result<bool, StoreError>;
}

/// Blob storage with S3's semantics. Writing under `uploads/` or `documents/` triggers processing
/// (on AWS through the bucket's notification to the process queue; embedded, the adapter emulates it).
#[async_trait]
pub trait ObjectStore: Send + Sync {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError>;
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError>;
    /// The size in bytes of a stored object (S3's HeadObject), without reading it; `None` when absent.
    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.get(key).await?.map(|body| body.len() as u64))
    }
    /// Deleting a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Deletes several keys (S3's DeleteObjects); the default deletes one by one.
    async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        for key in keys {
            self.delete(key).await?;
        }
        Ok(())
    }
}

/// Where and how a client sends a file itself: an HTTP PUT of the raw bytes to `url`, with `headers`,
/// before `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTarget {
    pub url: String,
    pub method: String,
    /// Headers the request must carry as they are (they are part of what the URL's signature covers).
    pub headers: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
}

/// Grants time-limited URLs through which clients PUT one object each, without an API key: presigned S3
/// PUTs on AWS, signed local URLs in `pagewire dev`. The object lands in the [`ObjectStore`], so an upload
/// under `uploads/` starts processing like any other write there.
#[async_trait]
pub trait UploadUrls: Send + Sync {
    /// A URL for PUTting `key` with `content_type`, valid from `now` until `expires_at`.
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<UploadTarget, StoreError>;
}

/// A message as a consumer receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub message_id: String,
    /// Names this receipt of the message; needed to delete it or change its visibility.
    pub receipt_handle: String,
    pub body: String,
    /// How many times the message has been received, this time included.
    pub receive_count: u32,
}

/// A queue with SQS's semantics: at-least-once, delayed sends, visibility timeouts, and a dead-letter
/// queue that takes a message once it has been received `max_receive_count` times.
#[async_trait]
pub trait MessageQueue: Send + Sync {
    async fn send(&self, body: &str, delay: Duration) -> Result<(), StoreError>;
    /// As `send`, for the messages of `owner` (a tenant): a queue that shares its consumers fairly between
    /// owners serves them in turn, so one owner's backlog does not hold another's messages. The default
    /// ignores the owner.
    async fn send_for(&self, owner: &str, body: &str, delay: Duration) -> Result<(), StoreError> {
        let _ = owner;
        self.send(body, delay).await
    }
    async fn receive(
        &self,
        max: usize,
        visibility_timeout: Duration,
    ) -> Result<Vec<QueueMessage>, StoreError>;
    async fn delete(&self, receipt_handle: &str) -> Result<(), StoreError>;
    /// Deletes several received messages (SQS's DeleteMessageBatch); the default deletes one by one.
    async fn delete_batch(&self, receipt_handles: &[String]) -> Result<(), StoreError> {
        for receipt in receipt_handles {
            self.delete(receipt).await?;
        }
        Ok(())
    }
    /// Makes a received message visible again after `timeout` (SQS allows up to 12 hours).
    async fn change_visibility(
        &self,
        receipt_handle: &str,
        timeout: Duration,
    ) -> Result<(), StoreError>;
}

/// An HTTP request pagewire sends to a receiver (a webhook, or an auth-token URL).
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub method: HttpMethod,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct OutboundResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// At most a few KB: enough to read a token or show an error, never a receiver's whole page.
    pub body: Bytes,
}

impl OutboundResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("timed out")]
    Timeout,
    #[error("connection failed: {0}")]
    Connect(String),
    /// Refused before connecting: scheme, or the address is not a public one.
    #[error("refused: {0}")]
    Refused(String),
}

/// Sends requests to receivers. Never follows redirects.
#[async_trait]
pub trait WebhookTransport: Send + Sync {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, TransportError>;
}

/// One word of a page, where it is, and how sure the reader is of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub bbox: BoundingBox,
    /// 1.0 for a PDF's text layer; the recogniser's score (0..1) for OCR.
    pub confidence: f32,
}

/// Where a page's words came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    TextLayer,
    Ocr,
}

/// The words of one page, as read from a text layer or by OCR, in no particular order (the extraction
/// policy arranges them into lines).
#[derive(Debug, Clone, PartialEq)]
pub struct PageText {
    /// 1-based.
    pub number: u32,
    /// The page's width divided by its height: boxes are fractions of each, and comparing a horizontal
    /// gap with a line's height needs the ratio.
    pub aspect: f32,
    pub words: Vec<Word>,
    pub source: TextSource,
}

/// A document read into pages.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadDocument {
    pub kind: FileKind,
    pub pages: Vec<PageText>,
}

/// A file that could not be read, with a reason to show to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ReadFailure {
    pub code: &'static str,
    pub message: String,
}

impl ReadFailure {
    /// The code of a failure that is the reader's, not the document's (no worker process could be
    /// started): the document is not failed, its read is tried again later.
    pub const READER_UNAVAILABLE: &'static str = "reader_unavailable";

    pub fn is_transient(&self) -> bool {
        self.code == Self::READER_UNAVAILABLE
    }
}

/// One root-level entry of a ZIP batch, or the reason it was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ArchiveEntry {
    File { name: String, bytes: Bytes },
    Refused { name: String, reason: ReadFailure },
}

/// Turns bytes into pages of text. CPU-bound and synchronous: callers run it off the async runtime.
pub trait DocumentReader: Send + Sync {
    fn read(&self, kind: FileKind, bytes: &[u8]) -> Result<ReadDocument, ReadFailure>;
    /// `read` on behalf of `owner` (the tenant). A reader that queues documents for a few workers serves
    /// the owners in turn, so one tenant's backlog of heavy documents does not hold another tenant's.
    fn read_for(
        &self,
        owner: &str,
        kind: FileKind,
        bytes: &[u8],
    ) -> Result<ReadDocument, ReadFailure> {
        let _ = owner;
        self.read(kind, bytes)
    }
    /// Splits a ZIP batch into its root-level entries; the error refuses the whole archive.
    fn unpack(&self, bytes: &[u8]) -> Result<Vec<ArchiveEntry>, ReadFailure>;
}

//! Processing: from a stored file to finished documents, charged credits and queued deliveries.
//!
//! Triggered by "object created" events, which S3 and SQS deliver at least once. Every step is written
//! so that running it again changes nothing: document ids are derived, statuses only move forward,
//! credits are charged under the document's id, and finished documents are counted in a set.
//!
//! - `upload.rs`: an uploaded file becomes one document, or a ZIP batch many.
//! - `document.rs`: one document read, charged and extracted.
//! - `reading.rs`: the read and the extraction, shared with the template preview.
//! - `finish.rs`: a finished document's deliveries queued, and its job counted and ended.

mod document;
mod finish;
pub(crate) mod reading;
mod update;
mod upload;

use crate::clock::Clock;
use crate::delivery::DeliveryQueue;
use crate::error::CoreError;
use crate::ids::{DocumentId, JobId};
use crate::model::{Document, Job, Status};
use crate::object_keys::{parse_object_key, ObjectRef};
use crate::ports::{
    CreditLedger, DeliveryRecords, DocumentReader, DocumentRecords, EndpointRecords, JobRecords,
    ObjectStore, TemplateRecords,
};
use crate::settings::Settings;
use std::sync::Arc;

/// What processing touches: the job and its documents, the tenant's template, endpoints (to know who
/// wants the event) and balance, the stored files, the reader, and the deliveries it creates and queues.
#[derive(Clone)]
pub struct ProcessingPorts {
    pub jobs: Arc<dyn JobRecords>,
    pub documents: Arc<dyn DocumentRecords>,
    pub deliveries: Arc<dyn DeliveryRecords>,
    pub credits: Arc<dyn CreditLedger>,
    pub templates: Arc<dyn TemplateRecords>,
    pub endpoints: Arc<dyn EndpointRecords>,
    pub objects: Arc<dyn ObjectStore>,
    pub reader: Arc<dyn DocumentReader>,
    pub delivery_queue: DeliveryQueue,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

/// Handles one "object created" notification.
pub async fn object_created(s: &ProcessingPorts, key: &str) -> Result<(), CoreError> {
    match parse_object_key(key) {
        Some(ObjectRef::Upload { job, .. }) => upload::process_upload(s, job).await,
        Some(ObjectRef::Document { job, document }) => {
            document::process_stored_document(s, job, document).await
        }
        None => {
            tracing::warn!(key, "ignoring an object outside uploads/ and documents/");
            Ok(())
        }
    }
}

pub(crate) async fn live_job(s: &ProcessingPorts, id: JobId) -> Result<Option<Job>, CoreError> {
    let job = s.jobs.get_job(id).await?;
    Ok(job.filter(|j| !j.is_expired(s.clock.now())))
}

/// A `NEW` document of `job`, created `now`, its file stored under `key`.
pub(crate) fn new_document(
    job: &Job,
    id: DocumentId,
    ordinal: u32,
    name: String,
    key: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Document {
    Document {
        id,
        job_id: job.id,
        tenant_id: job.tenant_id,
        ordinal,
        file_name: name,
        object_key: key,
        file_kind: None,
        status: Status::New,
        pages: 0,
        credits_charged: 0,
        fields: None,
        error: None,
        deliveries_enqueued: false,
        object_deleted: false,
        created_at: now,
        updated_at: now,
        completed_at: None,
        expires_at: job.expires_at,
        version: 0,
    }
}

pub(crate) fn set_status(job: &mut Job, next: Status) -> bool {
    if job.status.job_may_become(next) {
        job.status = next;
        true
    } else {
        false
    }
}

pub(crate) async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CoreError::Internal(format!("reader task failed: {e}")))
}

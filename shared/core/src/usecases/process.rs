//! Processing: from a stored file to finished documents, charged credits and queued deliveries.
//!
//! Triggered by "object created" events, which S3 and SQS deliver at least once. Every step is written
//! so that running it again changes nothing: document ids are derived, statuses only move forward,
//! credits are charged under the document's id, and finished documents are counted in a set.

use crate::error::CoreError;
use crate::ids::{DocumentId, JobId};
use crate::model::{Document, Failure, FileKind, Job, Status};
use crate::policy::extraction::{CompiledTemplate, EXTRACTION_TIME_BUDGET};
use crate::policy::file_kind;
use crate::ports::{ArchiveEntry, ChargeOutcome, ReadDocument, ReadFailure};
use crate::services::Services;
use crate::usecases::deliver::release_file_if_delivered;
use crate::usecases::jobs::{enqueue, event_for, new_delivery};
use crate::usecases::keys::{document_key, parse_object_key, ObjectRef};
use crate::usecases::update::{modify_document_from, modify_job, modify_job_from};
use bytes::Bytes;
use std::collections::BTreeSet;

/// Handles one "object created" notification.
pub async fn object_created(s: &Services, key: &str) -> Result<(), CoreError> {
    match parse_object_key(key) {
        Some(ObjectRef::Upload { job, .. }) => process_upload(s, job).await,
        Some(ObjectRef::Document { job, document }) => {
            process_stored_document(s, job, document).await
        }
        None => {
            tracing::warn!(key, "ignoring an object outside uploads/ and documents/");
            Ok(())
        }
    }
}

async fn live_job(s: &Services, id: JobId) -> Result<Option<Job>, CoreError> {
    let job = s.jobs.get_job(id).await?;
    Ok(job.filter(|j| !j.is_expired(s.clock.now())))
}

async fn process_upload(s: &Services, job_id: JobId) -> Result<(), CoreError> {
    let Some(job) = live_job(s, job_id).await? else {
        tracing::warn!(%job_id, "upload of an unknown or expired job");
        return Ok(());
    };
    if job.status.is_job_terminal() {
        return Ok(());
    }
    if job.file_kind.is_none() {
        // Sent through an upload URL: nothing has checked its size yet, and reading an oversized file
        // could exhaust the function's memory, so look before reading.
        let Some(size) = s.objects.size(&job.upload_key).await? else {
            tracing::info!(%job_id, "upload already consumed");
            return Ok(());
        };
        let max = s.settings.max_upload_file_bytes;
        if size > max {
            return upload_refused(
                s,
                &job,
                Failure::new(
                    "file_too_large",
                    format!("the uploaded file has {size} bytes; at most {max} are accepted"),
                ),
            )
            .await;
        }
    }
    let Some(bytes) = s.objects.get(&job.upload_key).await? else {
        // Already split into documents (ZIP) or delivered and deleted: a repeated event.
        tracing::info!(%job_id, "upload already consumed");
        return Ok(());
    };
    let kind = job.file_kind.or_else(|| file_kind::sniff(&bytes));
    if kind == Some(FileKind::Zip) {
        return unzip(s, job, bytes).await;
    }
    let doc_id = DocumentId::derive(job.id, 0, &job.file_name);
    // Carried on as the latest copy, so the later writes of this job need no read first.
    let job = modify_job_from(s, job.id, Some(job.clone()), |j| {
        let moving = j.status.job_may_become(Status::ProcessingImage);
        if moving {
            j.status = Status::ProcessingImage;
        }
        let counted = j.documents_total.is_none();
        j.documents_total = Some(1);
        moving || counted
    })
    .await?
    .unwrap_or(job);
    let mut doc = new_document(
        s,
        &job,
        doc_id,
        0,
        job.file_name.clone(),
        job.upload_key.clone(),
    );
    // Stored already being processed: a fresh document needs no second write to start. A repeated event
    // finds it there and takes the checks of `process_document`.
    doc.status = Status::ProcessingImage;
    if s.jobs.insert_document(&doc).await? {
        let outcome = read_and_extract(s, &job, doc_id, bytes).await?;
        return finish_document(s, &job, doc_id, Some(doc), outcome).await;
    }
    process_document(s, &job, doc_id, None, bytes).await
}

fn new_document(
    s: &Services,
    job: &Job,
    id: DocumentId,
    ordinal: u32,
    name: String,
    key: String,
) -> Document {
    let now = s.clock.now();
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

async fn unzip(s: &Services, job: Job, bytes: Bytes) -> Result<(), CoreError> {
    modify_job(s, job.id, |j| set_status(j, Status::UnzippingFile)).await?;
    let reader = s.reader.clone();
    let unpacked = run_blocking(move || reader.unpack(&bytes)).await?;
    let entries = match unpacked {
        Ok(entries) if !entries.is_empty() => entries,
        Ok(_) => {
            return archive_failed(
                s,
                &job,
                ReadFailure {
                    code: "empty_archive",
                    message: "the ZIP has no files".into(),
                },
            )
            .await
        }
        Err(failure) => return archive_failed(s, &job, failure).await,
    };
    let total = entries.len() as u32;
    modify_job(s, job.id, |j| {
        let changed = set_status(j, Status::UnzipFileSuccess);
        let counted = j.documents_total.is_none();
        j.documents_total = Some(total);
        changed || counted
    })
    .await?;
    for (ordinal, entry) in entries.into_iter().enumerate() {
        match entry {
            ArchiveEntry::File { name, bytes } => {
                let id = DocumentId::derive(job.id, ordinal, &name);
                let doc = new_document(s, &job, id, ordinal as u32, name, document_key(job.id, id));
                s.jobs.insert_document(&doc).await?;
                // Storing the entry triggers its own processing event: one document, one webhook.
                s.objects
                    .put(&doc.object_key, bytes, "application/octet-stream")
                    .await?;
            }
            ArchiveEntry::Refused { name, reason } => {
                let id = DocumentId::derive(job.id, ordinal, &name);
                let mut doc = new_document(s, &job, id, ordinal as u32, name, String::new());
                doc.object_deleted = true;
                s.jobs.insert_document(&doc).await?;
                finish_document(
                    s,
                    &job,
                    id,
                    Some(doc),
                    Err(Failure::new(reason.code, reason.message)),
                )
                .await?;
            }
        }
    }
    s.objects.delete(&job.upload_key).await?;
    Ok(())
}

/// The archive as a whole could not be read: the job fails, and one failed document stands for the
/// archive so the failure reaches the webhooks too.
async fn archive_failed(s: &Services, job: &Job, failure: ReadFailure) -> Result<(), CoreError> {
    let reason = Failure::new(failure.code, failure.message);
    modify_job(s, job.id, |j| {
        let changed = set_status(j, Status::UnzipFileFailed);
        let counted = j.documents_total.is_none();
        j.documents_total = Some(1);
        j.error = Some(reason.clone());
        changed || counted
    })
    .await?;
    let id = DocumentId::derive(job.id, 0, &job.file_name);
    let doc = new_document(s, job, id, 0, job.file_name.clone(), job.upload_key.clone());
    s.jobs.insert_document(&doc).await?;
    finish_document(s, job, id, None, Err(reason)).await
}

/// An uploaded file refused as a whole before reading: one failed document stands for it, so the failure
/// reaches the webhooks, and the job fails.
async fn upload_refused(s: &Services, job: &Job, reason: Failure) -> Result<(), CoreError> {
    modify_job(s, job.id, |j| {
        let counted = j.documents_total.is_none();
        j.documents_total = Some(1);
        counted
    })
    .await?;
    let id = DocumentId::derive(job.id, 0, &job.file_name);
    let doc = new_document(s, job, id, 0, job.file_name.clone(), job.upload_key.clone());
    s.jobs.insert_document(&doc).await?;
    finish_document(s, job, id, None, Err(reason)).await
}

fn set_status(job: &mut Job, next: Status) -> bool {
    if job.status.job_may_become(next) {
        job.status = next;
        true
    } else {
        false
    }
}

async fn process_stored_document(
    s: &Services,
    job_id: JobId,
    doc_id: DocumentId,
) -> Result<(), CoreError> {
    let Some(job) = live_job(s, job_id).await? else {
        return Ok(());
    };
    let Some(doc) = s.jobs.get_document(job_id, doc_id).await? else {
        tracing::warn!(%job_id, %doc_id, "document object without a document record");
        return Ok(());
    };
    if doc.status.is_document_terminal() {
        return after_finish(s, &job, doc).await;
    }
    let Some(bytes) = s.objects.get(&doc.object_key).await? else {
        return Ok(());
    };
    process_document(s, &job, doc_id, Some(doc), bytes).await
}

/// Reads, charges and extracts one document, then finishes it. `known` is the document as just read.
async fn process_document(
    s: &Services,
    job: &Job,
    doc_id: DocumentId,
    known: Option<Document>,
    bytes: Bytes,
) -> Result<(), CoreError> {
    let Some(doc) = modify_document_from(s, job.id, doc_id, known, |d| {
        let moving = d.status.document_may_become(Status::ProcessingImage);
        if moving {
            d.status = Status::ProcessingImage;
        }
        moving
    })
    .await?
    else {
        return Ok(());
    };
    if doc.status.is_document_terminal() {
        return after_finish(s, job, doc).await;
    }
    // The first document of an archive moves its job on; the job as read tells whether that is still to do.
    if job.status == Status::UnzipFileSuccess {
        modify_job(s, job.id, |j| {
            j.status == Status::UnzipFileSuccess && set_status(j, Status::ProcessingImage)
        })
        .await?;
    }

    let outcome = read_and_extract(s, job, doc_id, bytes).await?;
    finish_document(s, job, doc_id, Some(doc), outcome).await
}

/// What a finished document holds: its kind, pages and fields, or why it failed.
type Outcome = Result<(FileKind, u32, Vec<crate::model::ExtractedField>), Failure>;

async fn read_and_extract(
    s: &Services,
    job: &Job,
    doc_id: DocumentId,
    bytes: Bytes,
) -> Result<Outcome, CoreError> {
    let Some(kind) = file_kind::sniff(&bytes) else {
        return Ok(Err(Failure::new(
            "unsupported_file_type",
            "the file is not a PDF, PNG, JPEG, TIFF or WebP (judged by its content)",
        )));
    };
    if kind == FileKind::Zip {
        return Ok(Err(Failure::new(
            "nested_archive",
            "a ZIP inside a ZIP is not processed",
        )));
    }
    let (reader, owner) = (s.reader.clone(), job.tenant_id.to_string());
    let read: Result<ReadDocument, ReadFailure> =
        run_blocking(move || reader.read_for(&owner, kind, &bytes)).await?;
    let read = match read {
        Ok(read) => read,
        Err(failure) if failure.is_transient() => {
            return Err(CoreError::Unavailable(failure.message))
        }
        Err(failure) => return Ok(Err(Failure::new(failure.code, failure.message))),
    };
    let pages = read.pages.len().max(1) as u32;
    if pages > s.settings.max_pdf_pages {
        return Ok(Err(Failure::new(
            "too_many_pages",
            format!(
                "the document has {pages} pages; at most {} are processed",
                s.settings.max_pdf_pages
            ),
        )));
    }
    let Some(template) = s
        .config
        .get_template(job.tenant_id, job.template_id)
        .await?
    else {
        return Ok(Err(Failure::new(
            "template_deleted",
            "the template was deleted before processing",
        )));
    };
    match s
        .config
        .charge_credits(job.tenant_id, &doc_id.to_string(), pages)
        .await?
    {
        ChargeOutcome::Charged { .. } | ChargeOutcome::AlreadyCharged => {}
        ChargeOutcome::Insufficient { balance } => {
            return Ok(Err(Failure::new(
                "insufficient_credits",
                format!(
                    "the document has {pages} pages but the account has {balance} credits left"
                ),
            )));
        }
    }
    // Matching is CPU work: off the async executor, within the document's time budget.
    let fields = run_blocking(move || {
        let deadline = std::time::Instant::now() + EXTRACTION_TIME_BUDGET;
        CompiledTemplate::new(&template)
            .extract(&read.pages, &|| std::time::Instant::now() >= deadline)
    })
    .await?;
    Ok(Ok((kind, pages, fields)))
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CoreError::Internal(format!("reader task failed: {e}")))
}

/// Moves a document to its terminal status (once), then queues its deliveries and counts it in its job.
/// `known` is the document as the caller last wrote it, if it holds it.
async fn finish_document(
    s: &Services,
    job: &Job,
    doc_id: DocumentId,
    known: Option<Document>,
    outcome: Outcome,
) -> Result<(), CoreError> {
    let now = s.clock.now();
    let expires_at = now + s.settings.retention;
    let Some(doc) = modify_document_from(s, job.id, doc_id, known, |d| {
        if d.status.is_document_terminal() {
            return false;
        }
        match &outcome {
            Ok((kind, pages, fields)) => {
                d.status = Status::ProcessImageSuccess;
                d.file_kind = Some(*kind);
                d.pages = *pages;
                d.credits_charged = *pages;
                d.fields = Some(fields.clone());
            }
            Err(failure) => {
                d.status = Status::ProcessImageFailed;
                d.error = Some(failure.clone());
            }
        }
        d.completed_at = Some(now);
        d.expires_at = expires_at;
        true
    })
    .await?
    else {
        return Ok(());
    };
    after_finish(s, job, doc).await
}

/// Everything that follows a document's terminal status; safe to run any number of times.
async fn after_finish(s: &Services, job: &Job, doc: Document) -> Result<(), CoreError> {
    if !doc.deliveries_enqueued {
        let event = event_for(&doc);
        let mut queued = 0;
        for endpoint_id in &job.endpoint_ids {
            let wanted = s
                .config
                .get_endpoint(job.tenant_id, *endpoint_id)
                .await?
                .is_none_or(|e| e.wants(event));
            if !wanted {
                continue;
            }
            let delivery = new_delivery(s, job, &doc, *endpoint_id, event);
            s.jobs.insert_delivery(&delivery).await?;
            enqueue(s, &delivery).await?;
            queued += 1;
        }
        let flagged = modify_document_from(s, job.id, doc.id, Some(doc.clone()), |d| {
            !std::mem::replace(&mut d.deliveries_enqueued, true)
        })
        .await?;
        if let Some(flagged) = flagged {
            // With nobody to deliver to (or every delivery already through), the file has served its
            // purpose; results stay for polling.
            release_file_if_delivered(s, job, &flagged).await?;
        }
        tracing::debug!(job_id = %job.id, document_id = %doc.id, queued, "deliveries queued");
    }
    count_finished(s, job, &doc).await
}

/// `job` is the caller's latest copy: for a one-document job it is current, and for an archive's
/// document a stale copy costs one refused write before the job is read afresh.
async fn count_finished(s: &Services, job: &Job, doc: &Document) -> Result<(), CoreError> {
    let (job_id, now) = (job.id, s.clock.now());
    let retention = s.settings.retention;
    let finished = modify_job_from(s, job_id, Some(job.clone()), |j| {
        if !j.completed_documents.insert(doc.id) {
            return false;
        }
        j.pages += doc.pages;
        j.credits_charged += doc.credits_charged;
        // A one-document job ends with its document, in the same write: nothing else to read.
        if j.documents_total == Some(1) {
            let outcome = JobOutcome {
                any_success: doc.status == Status::ProcessImageSuccess,
                failure: doc.error.clone(),
            };
            end_job(j, &outcome, now, retention);
        }
        true
    })
    .await?;
    let Some(job) = finished else { return Ok(()) };
    if job.status.is_job_terminal()
        || Some(job.completed_documents.len() as u32) != job.documents_total
    {
        return Ok(());
    }
    // Every document is done: the job succeeds when at least one document did.
    let docs = s.jobs.list_documents(job_id, now).await?;
    let done: BTreeSet<DocumentId> = job.completed_documents.clone();
    let outcome = JobOutcome {
        any_success: docs
            .iter()
            .any(|d| done.contains(&d.id) && d.status == Status::ProcessImageSuccess),
        failure: docs
            .iter()
            .filter(|d| d.status == Status::ProcessImageFailed)
            .min_by_key(|d| d.ordinal)
            .and_then(|d| d.error.clone()),
    };
    modify_job_from(s, job_id, Some(job), |j| {
        end_job(j, &outcome, now, retention)
    })
    .await?;
    Ok(())
}

/// How a job's documents ended: whether one succeeded, and the first failure's reason.
struct JobOutcome {
    any_success: bool,
    failure: Option<Failure>,
}

/// Moves a job whose documents are all done to `SUCCESS` (one document succeeded) or `FAILED`; `false`
/// when it has ended already.
fn end_job(
    j: &mut Job,
    outcome: &JobOutcome,
    now: chrono::DateTime<chrono::Utc>,
    retention: chrono::Duration,
) -> bool {
    let target = if outcome.any_success {
        Status::Success
    } else {
        Status::Failed
    };
    if j.status.is_job_terminal() {
        return false;
    }
    // A job still in UNZIPPING or NEW cannot jump; move it through PROCESSING IMAGE.
    if !j.status.job_may_become(target) {
        set_status(j, Status::ProcessingImage);
    }
    if !set_status(j, target) {
        return false;
    }
    if !outcome.any_success && j.error.is_none() {
        j.error = outcome.failure.clone();
    }
    j.completed_at = Some(now);
    j.expires_at = now + retention;
    true
}

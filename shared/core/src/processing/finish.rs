//! A document's end: its terminal status written once, its deliveries created and queued, its file
//! released when nobody waits for it, and its job counted and ended with the last document.

use super::update::{modify_document_from, modify_job_from};
use super::{set_status, ProcessingPorts};
use crate::delivery::files::release_file_if_delivered;
use crate::delivery::schedule::queue_document_deliveries;
use crate::error::CoreError;
use crate::ids::DocumentId;
use crate::model::{Document, Failure, FileKind, Job, Status};
use std::collections::BTreeSet;

/// What a finished document holds: its kind, pages and fields, or why it failed.
pub(super) type Outcome = Result<(FileKind, u32, Vec<crate::model::ExtractedField>), Failure>;

/// Moves a document to its terminal status (once), then queues its deliveries and counts it in its job.
/// `known` is the document as the caller last wrote it, if it holds it.
pub(super) async fn finish_document(
    s: &ProcessingPorts,
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
pub(super) async fn after_finish(
    s: &ProcessingPorts,
    job: &Job,
    doc: Document,
) -> Result<(), CoreError> {
    if !doc.deliveries_enqueued {
        let queued = queue_document_deliveries(
            s.endpoints.as_ref(),
            s.deliveries.as_ref(),
            &s.delivery_queue,
            s.clock.now(),
            job,
            &doc,
        )
        .await?;
        let flagged = modify_document_from(s, job.id, doc.id, Some(doc.clone()), |d| {
            !std::mem::replace(&mut d.deliveries_enqueued, true)
        })
        .await?;
        if let Some(flagged) = flagged {
            // With nobody to deliver to (or every delivery already through), the file has served its
            // purpose; results stay for polling.
            release_file_if_delivered(s.deliveries.as_ref(), s.objects.as_ref(), job, &flagged)
                .await?;
        }
        tracing::debug!(job_id = %job.id, document_id = %doc.id, queued, "deliveries queued");
    }
    count_finished(s, job, &doc).await
}

/// `job` is the caller's latest copy: for a one-document job it is current, and for an archive's
/// document a stale copy costs one refused write before the job is read afresh.
async fn count_finished(s: &ProcessingPorts, job: &Job, doc: &Document) -> Result<(), CoreError> {
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
    let docs = s.documents.list_documents(job_id, now).await?;
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

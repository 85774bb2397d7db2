//! An uploaded file: refused whole when too large, one document, or a ZIP batch split into documents that
//! are each stored (and so processed) on their own.

use super::document::{process_document, read_and_extract};
use super::finish::finish_document;
use super::update::{modify_job, modify_job_from};
use super::{live_job, new_document, run_blocking, set_status, ProcessingPorts};
use crate::error::CoreError;
use crate::ids::{DocumentId, JobId};
use crate::model::{Failure, FileKind, Job, Status};
use crate::object_keys::document_key;
use crate::policy::file_kind;
use crate::ports::{ArchiveEntry, ReadFailure};
use bytes::Bytes;

pub(super) async fn process_upload(s: &ProcessingPorts, job_id: JobId) -> Result<(), CoreError> {
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
    let (name, key) = (job.file_name.clone(), job.upload_key.clone());
    let mut doc = new_document(&job, doc_id, 0, name, key, s.clock.now());
    // Stored already being processed: a fresh document needs no second write to start. A repeated event
    // finds it there and takes the checks of `process_document`.
    doc.status = Status::ProcessingImage;
    if s.documents.insert_document(&doc).await? {
        let outcome = read_and_extract(s, &job, doc_id, bytes).await?;
        return finish_document(s, &job, doc_id, Some(doc), outcome).await;
    }
    process_document(s, &job, doc_id, None, bytes).await
}

async fn unzip(s: &ProcessingPorts, job: Job, bytes: Bytes) -> Result<(), CoreError> {
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
                let key = document_key(job.id, id);
                let doc = new_document(&job, id, ordinal as u32, name, key, s.clock.now());
                s.documents.insert_document(&doc).await?;
                // Storing the entry triggers its own processing event: one document, one webhook.
                s.objects
                    .put(&doc.object_key, bytes, "application/octet-stream")
                    .await?;
            }
            ArchiveEntry::Refused { name, reason } => {
                let id = DocumentId::derive(job.id, ordinal, &name);
                let mut doc =
                    new_document(&job, id, ordinal as u32, name, String::new(), s.clock.now());
                doc.object_deleted = true;
                s.documents.insert_document(&doc).await?;
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
async fn archive_failed(
    s: &ProcessingPorts,
    job: &Job,
    failure: ReadFailure,
) -> Result<(), CoreError> {
    let reason = Failure::new(failure.code, failure.message);
    modify_job(s, job.id, |j| {
        let changed = set_status(j, Status::UnzipFileFailed);
        let counted = j.documents_total.is_none();
        j.documents_total = Some(1);
        j.error = Some(reason.clone());
        changed || counted
    })
    .await?;
    failed_as_one_document(s, job, reason).await
}

/// An uploaded file refused as a whole before reading: one failed document stands for it, so the failure
/// reaches the webhooks, and the job fails.
async fn upload_refused(s: &ProcessingPorts, job: &Job, reason: Failure) -> Result<(), CoreError> {
    modify_job(s, job.id, |j| {
        let counted = j.documents_total.is_none();
        j.documents_total = Some(1);
        counted
    })
    .await?;
    failed_as_one_document(s, job, reason).await
}

/// One failed document that stands for a file refused as a whole, so the failure reaches the webhooks too.
async fn failed_as_one_document(
    s: &ProcessingPorts,
    job: &Job,
    reason: Failure,
) -> Result<(), CoreError> {
    let id = DocumentId::derive(job.id, 0, &job.file_name);
    let (name, key) = (job.file_name.clone(), job.upload_key.clone());
    let doc = new_document(job, id, 0, name, key, s.clock.now());
    s.documents.insert_document(&doc).await?;
    finish_document(s, job, id, None, Err(reason)).await
}

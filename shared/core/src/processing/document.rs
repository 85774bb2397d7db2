//! One document: read (in a worker, within its budget), charged, and its template's fields extracted.

use super::finish::{after_finish, finish_document, Outcome};
use super::reading::{extract_fields_of, page_count, read_document};
use super::update::{modify_document_from, modify_job};
use super::{live_job, set_status, ProcessingPorts};
use crate::error::CoreError;
use crate::ids::{DocumentId, JobId};
use crate::model::{Document, Failure, Job, Status};
use crate::ports::ChargeOutcome;
use bytes::Bytes;
use std::sync::Arc;

pub(super) async fn process_stored_document(
    s: &ProcessingPorts,
    job_id: JobId,
    doc_id: DocumentId,
) -> Result<(), CoreError> {
    let Some(job) = live_job(s, job_id).await? else {
        return Ok(());
    };
    let Some(doc) = s.documents.get_document(job_id, doc_id).await? else {
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
pub(super) async fn process_document(
    s: &ProcessingPorts,
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

pub(super) async fn read_and_extract(
    s: &ProcessingPorts,
    job: &Job,
    doc_id: DocumentId,
    bytes: Bytes,
) -> Result<Outcome, CoreError> {
    let read = match read_document(
        &s.reader,
        job.tenant_id.to_string(),
        bytes,
        s.settings.max_pdf_pages,
    )
    .await?
    {
        Ok(read) => read,
        Err(failure) => return Ok(Err(failure)),
    };
    let (kind, pages) = (read.kind, page_count(&read));
    let Some(template) = s
        .templates
        .get_template(job.tenant_id, job.template_id)
        .await?
    else {
        return Ok(Err(Failure::new(
            "template_deleted",
            "the template was deleted before processing",
        )));
    };
    match s
        .credits
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
    let fields = extract_fields_of(template, Arc::new(read)).await?;
    Ok(Ok((kind, pages, fields)))
}

//! Read-modify-write under the stores' version check, retried when another writer got there first.
//!
//! A caller that holds the item as its own last write left it may pass that copy (`*_from`): the first try
//! then writes without reading. The version check makes that safe: a stale copy loses with `Conflict` and
//! the item is read afresh. A copy is only trusted to write, never to decide there is nothing to change,
//! since another writer may have moved the item on since.

use super::ProcessingPorts;
use crate::error::{CoreError, StoreError};
use crate::ids::{DocumentId, JobId};
use crate::model::{Document, Job};

const MAX_TRIES: usize = 16;

/// Applies `change` to the stored job until the write lands. `change` returns `false` when there is nothing
/// to change. Returns the job as stored afterwards, or `None` when it does not exist.
pub(crate) async fn modify_job(
    s: &ProcessingPorts,
    id: JobId,
    change: impl FnMut(&mut Job) -> bool,
) -> Result<Option<Job>, CoreError> {
    modify_job_from(s, id, None, change).await
}

/// [`modify_job`] starting from `known`, the job as the caller last wrote or read it.
pub(crate) async fn modify_job_from(
    s: &ProcessingPorts,
    id: JobId,
    mut known: Option<Job>,
    mut change: impl FnMut(&mut Job) -> bool,
) -> Result<Option<Job>, CoreError> {
    for _ in 0..MAX_TRIES {
        let (mut job, fresh) = match known.take() {
            Some(job) => (job, false),
            None => match s.jobs.get_job(id).await? {
                Some(job) => (job, true),
                None => return Ok(None),
            },
        };
        if !change(&mut job) {
            if fresh {
                return Ok(Some(job));
            }
            continue;
        }
        job.updated_at = s.clock.now();
        match s.jobs.update_job(&job).await {
            Ok(()) => {
                job.version += 1;
                return Ok(Some(job));
            }
            Err(StoreError::Conflict) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(CoreError::Unavailable(format!(
        "job {id} kept changing under concurrent writers"
    )))
}

/// [`modify_job_from`] for a document.
pub(crate) async fn modify_document_from(
    s: &ProcessingPorts,
    job: JobId,
    id: DocumentId,
    mut known: Option<Document>,
    mut change: impl FnMut(&mut Document) -> bool,
) -> Result<Option<Document>, CoreError> {
    for _ in 0..MAX_TRIES {
        let (mut doc, fresh) = match known.take() {
            Some(doc) => (doc, false),
            None => match s.documents.get_document(job, id).await? {
                Some(doc) => (doc, true),
                None => return Ok(None),
            },
        };
        if !change(&mut doc) {
            if fresh {
                return Ok(Some(doc));
            }
            continue;
        }
        doc.updated_at = s.clock.now();
        match s.documents.update_document(&doc).await {
            Ok(()) => {
                doc.version += 1;
                return Ok(Some(doc));
            }
            Err(StoreError::Conflict) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(CoreError::Unavailable(format!(
        "document {id} kept changing under concurrent writers"
    )))
}

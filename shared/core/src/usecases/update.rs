//! Read-modify-write under the stores' version check, retried when another writer got there first.

use crate::error::{CoreError, StoreError};
use crate::ids::{DocumentId, JobId};
use crate::model::{Document, Job};
use crate::services::Services;

const MAX_TRIES: usize = 16;

/// Applies `change` to the stored job until the write lands. `change` returns `false` when there is nothing
/// to change. Returns the job as stored afterwards, or `None` when it does not exist.
pub(crate) async fn modify_job(
    s: &Services,
    id: JobId,
    mut change: impl FnMut(&mut Job) -> bool,
) -> Result<Option<Job>, CoreError> {
    for _ in 0..MAX_TRIES {
        let Some(mut job) = s.jobs.get_job(id).await? else {
            return Ok(None);
        };
        if !change(&mut job) {
            return Ok(Some(job));
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

/// The same for a document.
pub(crate) async fn modify_document(
    s: &Services,
    job: JobId,
    id: DocumentId,
    mut change: impl FnMut(&mut Document) -> bool,
) -> Result<Option<Document>, CoreError> {
    for _ in 0..MAX_TRIES {
        let Some(mut doc) = s.jobs.get_document(job, id).await? else {
            return Ok(None);
        };
        if !change(&mut doc) {
            return Ok(Some(doc));
        }
        doc.updated_at = s.clock.now();
        match s.jobs.update_document(&doc).await {
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

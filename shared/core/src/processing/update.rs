//! Read-modify-write under the stores' version check, retried when another writer got there first.
//!
//! A caller that holds the item as its own last write left it may pass that copy (`*_from`): the first try
//! then writes without reading. The version check makes that safe: a stale copy loses with `Conflict` and
//! the item is read afresh. A copy is only trusted to write, never to decide there is nothing to change,
//! since another writer may have moved the item on since.

use super::ProcessingPorts;
use crate::error::{CoreError, StoreError};
use crate::ids::{DocumentId, JobId};
use crate::model::records::Versioned;
use crate::model::{Document, Job};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

const MAX_TRIES: usize = 16;

/// A record processing rewrites: how to read it and write it back under its version check.
#[async_trait]
trait Rewritten: Versioned + Send {
    type Key: Copy + Send + Sync;
    async fn load(s: &ProcessingPorts, key: Self::Key) -> Result<Option<Self>, StoreError>;
    async fn store(&self, s: &ProcessingPorts) -> Result<(), StoreError>;
    /// Stamps a change made `now`.
    fn stamp(&mut self, now: DateTime<Utc>);
    fn what(key: Self::Key) -> String;
}

#[async_trait]
impl Rewritten for Job {
    type Key = JobId;
    async fn load(s: &ProcessingPorts, id: JobId) -> Result<Option<Self>, StoreError> {
        s.jobs.get_job(id).await
    }
    async fn store(&self, s: &ProcessingPorts) -> Result<(), StoreError> {
        s.jobs.update_job(self).await
    }
    fn stamp(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
    }
    fn what(id: JobId) -> String {
        format!("job {id}")
    }
}

#[async_trait]
impl Rewritten for Document {
    type Key = (JobId, DocumentId);
    async fn load(
        s: &ProcessingPorts,
        (job, id): (JobId, DocumentId),
    ) -> Result<Option<Self>, StoreError> {
        s.documents.get_document(job, id).await
    }
    async fn store(&self, s: &ProcessingPorts) -> Result<(), StoreError> {
        s.documents.update_document(self).await
    }
    fn stamp(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
    }
    fn what((_, id): (JobId, DocumentId)) -> String {
        format!("document {id}")
    }
}

/// Applies `change` to the stored record until the write lands, starting from `known` (the record as the
/// caller last wrote or read it) when given. `change` returns `false` when there is nothing to change.
/// Returns the record as stored afterwards, or `None` when it does not exist.
async fn modify<T: Rewritten>(
    s: &ProcessingPorts,
    key: T::Key,
    mut known: Option<T>,
    mut change: impl FnMut(&mut T) -> bool + Send,
) -> Result<Option<T>, CoreError> {
    for _ in 0..MAX_TRIES {
        let (mut item, fresh) = match known.take() {
            Some(item) => (item, false),
            None => match T::load(s, key).await? {
                Some(item) => (item, true),
                None => return Ok(None),
            },
        };
        if !change(&mut item) {
            if fresh {
                return Ok(Some(item));
            }
            continue;
        }
        item.stamp(s.clock.now());
        match item.store(s).await {
            Ok(()) => return Ok(Some(item.written())),
            Err(StoreError::Conflict) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(CoreError::Unavailable(format!(
        "{} kept changing under concurrent writers",
        T::what(key)
    )))
}

/// [`modify`] for a job, read first.
pub(crate) async fn modify_job(
    s: &ProcessingPorts,
    id: JobId,
    change: impl FnMut(&mut Job) -> bool + Send,
) -> Result<Option<Job>, CoreError> {
    modify(s, id, None, change).await
}

/// [`modify`] for a job, from the caller's copy.
pub(crate) async fn modify_job_from(
    s: &ProcessingPorts,
    id: JobId,
    known: Option<Job>,
    change: impl FnMut(&mut Job) -> bool + Send,
) -> Result<Option<Job>, CoreError> {
    modify(s, id, known, change).await
}

/// [`modify`] for a document, from the caller's copy.
pub(crate) async fn modify_document_from(
    s: &ProcessingPorts,
    job: JobId,
    id: DocumentId,
    known: Option<Document>,
    change: impl FnMut(&mut Document) -> bool + Send,
) -> Result<Option<Document>, CoreError> {
    modify(s, (job, id), known, change).await
}

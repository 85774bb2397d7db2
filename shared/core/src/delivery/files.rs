//! Stored files are deleted once nobody waits for them: every delivery of their document succeeded, or
//! there was nobody to deliver to. Results stay in the job's records for polling.

use super::batch::BatchContext;
use super::schedule::event_for;
use super::DeliveryPorts;
use crate::error::CoreError;
use crate::ids::JobId;
use crate::model::{DeliveryStatus, DeliveryTask, Document, Job};
use crate::ports::{DeliveryRecords, ObjectStore};
use std::collections::{BTreeMap, HashSet};

/// Deletes the stored files of the batch's documents whose every delivery has now succeeded; `delivered`
/// are the tasks this batch just recorded as succeeded. Point reads only (one batch read per job for the
/// other endpoints' deliveries) and one batch delete, so a large ZIP batch does not make each success
/// scan its whole job.
///
/// Best effort: a file left behind is removed by the bucket's lifecycle rule (locally, with its expired
/// job), so a failure here is logged and fails no delivery.
pub async fn release_files(s: &DeliveryPorts, context: &BatchContext, delivered: &[&DeliveryTask]) {
    let just_delivered: HashSet<&str> = delivered.iter().map(|t| t.webhook_id.as_str()).collect();
    let documents = delivered.iter().filter_map(|task| {
        let job = context.jobs.get(&task.job_id)?.as_ref()?;
        Some((job, context.documents.get(&task.document_id?)?))
    });
    let released = release(
        s.deliveries.as_ref(),
        s.objects.as_ref(),
        documents,
        &just_delivered,
    );
    if let Err(err) = released.await {
        tracing::warn!(error = %err, "could not delete delivered documents' files; the lifecycle rule will");
    }
}

/// The same for one document, once processing has queued all its deliveries (it may have none, or they
/// may all have succeeded already).
pub async fn release_file_if_delivered(
    deliveries: &dyn DeliveryRecords,
    objects: &dyn ObjectStore,
    job: &Job,
    doc: &Document,
) -> Result<(), CoreError> {
    release(
        deliveries,
        objects,
        std::iter::once((job, doc)),
        &HashSet::new(),
    )
    .await
}

async fn release<'a>(
    deliveries: &dyn DeliveryRecords,
    objects: &dyn ObjectStore,
    documents: impl Iterator<Item = (&'a Job, &'a Document)>,
    known_delivered: &HashSet<&str>,
) -> Result<(), CoreError> {
    // A document holds a file to delete once all its deliveries are queued (else one may come later).
    let candidates: Vec<(&Job, &Document, Vec<String>)> = documents
        .filter(|(_, doc)| {
            doc.deliveries_enqueued && !doc.object_deleted && !doc.object_key.is_empty()
        })
        .map(|(job, doc)| {
            let event = event_for(doc);
            let others = job
                .endpoint_ids
                .iter()
                .map(|e| DeliveryTask::webhook_id_for(job.id, doc.id, *e, event))
                .filter(|id| !known_delivered.contains(id.as_str()))
                .collect();
            (job, doc, others)
        })
        .collect();
    let mut to_read: BTreeMap<JobId, Vec<String>> = BTreeMap::new();
    for (job, _, others) in &candidates {
        to_read
            .entry(job.id)
            .or_default()
            .extend(others.iter().cloned());
    }
    let mut unfinished: HashSet<String> = HashSet::new();
    for (job, ids) in to_read.into_iter().filter(|(_, ids)| !ids.is_empty()) {
        // No record: that endpoint did not subscribe to the event.
        for other in deliveries.get_deliveries(job, &ids).await? {
            if other.status != DeliveryStatus::Succeeded {
                unfinished.insert(other.webhook_id);
            }
        }
    }
    let mut keys: Vec<String> = candidates
        .iter()
        .filter(|(_, _, others)| others.iter().all(|id| !unfinished.contains(id)))
        .map(|(_, doc, _)| doc.object_key.clone())
        .collect();
    keys.sort();
    keys.dedup();
    if !keys.is_empty() {
        objects.delete_many(&keys).await?;
    }
    Ok(())
}

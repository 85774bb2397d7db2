//! Creating deliveries and queuing their attempts: when a document finishes, and when a client asks for
//! a finished job's results again.

use super::queue::DeliveryQueue;
use crate::clock::Clock;
use crate::error::{CoreError, StoreError};
use crate::ids::{EndpointId, TenantId};
use crate::model::{Delivery, DeliveryStatus, DeliveryTask, Document, EventType, Job, Status};
use crate::ports::{DeliveryRecords, DocumentRecords, EndpointRecords, JobRecords};
use crate::queries::load_job;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// What sending a job's results again touches.
#[derive(Clone)]
pub struct RedeliveryPorts {
    pub jobs: Arc<dyn JobRecords>,
    pub documents: Arc<dyn DocumentRecords>,
    pub deliveries: Arc<dyn DeliveryRecords>,
    pub endpoints: Arc<dyn EndpointRecords>,
    pub delivery_queue: DeliveryQueue,
    pub clock: Arc<dyn Clock>,
}

/// The event a finished document is announced with.
pub fn event_for(doc: &Document) -> EventType {
    if doc.status == Status::ProcessImageSuccess {
        EventType::DocumentCompleted
    } else {
        EventType::DocumentFailed
    }
}

/// A pending delivery of `doc`'s `event` to `endpoint`, due `now`, kept as long as the document.
pub fn new_delivery(
    job: &Job,
    doc: &Document,
    endpoint: EndpointId,
    event: EventType,
    now: DateTime<Utc>,
) -> Delivery {
    let task = DeliveryTask {
        tenant_id: job.tenant_id,
        job_id: job.id,
        document_id: Some(doc.id),
        endpoint_id: endpoint,
        event_type: event,
        webhook_id: DeliveryTask::webhook_id_for(job.id, doc.id, endpoint, event),
        round: 0,
    };
    Delivery::pending(task, now, doc.expires_at)
}

/// Creates and queues the deliveries of a finished document to the job's endpoints that want its event
/// (an endpoint deleted since submission still gets its delivery, which then fails with a reason).
/// Returns how many were queued. Safe to repeat: a delivery that exists is queued again, not duplicated.
pub async fn queue_document_deliveries(
    endpoints: &dyn EndpointRecords,
    deliveries: &dyn DeliveryRecords,
    queue: &DeliveryQueue,
    now: DateTime<Utc>,
    job: &Job,
    doc: &Document,
) -> Result<usize, CoreError> {
    let event = event_for(doc);
    let mut queued = 0;
    for endpoint_id in &job.endpoint_ids {
        let wanted = endpoints
            .get_endpoint(job.tenant_id, *endpoint_id)
            .await?
            .is_none_or(|e| e.wants(event));
        if !wanted {
            continue;
        }
        let delivery = new_delivery(job, doc, *endpoint_id, event, now);
        deliveries.insert_delivery(&delivery).await?;
        queue.enqueue(&delivery).await?;
        queued += 1;
    }
    Ok(queued)
}

/// Sends a finished job's documents again, to all its endpoints or the named ones. The `webhook-id` of
/// each (document, endpoint, event) stays the same, so receivers can tell a redelivery from a new event.
/// Returns how many deliveries were queued.
pub async fn redeliver(
    s: &RedeliveryPorts,
    tenant: TenantId,
    id: &str,
    named: Option<Vec<String>>,
) -> Result<usize, CoreError> {
    let now = s.clock.now();
    let job = load_job(s.jobs.as_ref(), now, tenant, id).await?;
    let endpoints: Vec<EndpointId> = match named {
        None => job.endpoint_ids.clone(),
        Some(list) => {
            let mut ids = Vec::new();
            for (index, text) in list.iter().enumerate() {
                let at = format!("webhook_ids[{index}]");
                let endpoint =
                    crate::configuration::endpoints::find(s.endpoints.as_ref(), tenant, text)
                        .await
                        .map_err(|e| e.at(&at))?;
                if endpoint.template_id != job.template_id {
                    return Err(CoreError::invalid_at(
                        "webhook_not_for_template",
                        at,
                        format!(
                            "webhook endpoint {} belongs to another template",
                            endpoint.id
                        ),
                    ));
                }
                ids.push(endpoint.id);
            }
            ids
        }
    };
    let documents = s.documents.list_documents(job.id, now).await?;
    let mut queued = 0;
    for doc in documents.iter().filter(|d| d.status.is_document_terminal()) {
        let event = event_for(doc);
        for endpoint in &endpoints {
            let delivery = reopen_or_create(s, &job, doc, *endpoint, event, now).await?;
            s.delivery_queue.enqueue(&delivery).await?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// How many times a redelivery reads a delivery again when the delivery engine changed it meanwhile (an
/// attempt recorded between the read and the write). More than a few in a row means something is wrong.
const REDELIVERY_WRITES: usize = 5;

/// The delivery of `doc` to `endpoint` as stored after opening a new round of attempts on it, or created
/// when it never existed. Both writes are conditional: a copy changed meanwhile (the engine recorded an
/// attempt, another redelivery reopened it) is read again and reopened, never overwritten.
async fn reopen_or_create(
    s: &RedeliveryPorts,
    job: &Job,
    doc: &Document,
    endpoint: EndpointId,
    event: EventType,
    now: DateTime<Utc>,
) -> Result<Delivery, CoreError> {
    let webhook_id = DeliveryTask::webhook_id_for(job.id, doc.id, endpoint, event);
    for _ in 0..REDELIVERY_WRITES {
        let written = match s.deliveries.get_delivery(job.id, &webhook_id).await? {
            Some(mut existing) => {
                reopen(&mut existing, now, now);
                existing.expires_at = existing.expires_at.max(doc.expires_at);
                match s.deliveries.update_delivery(&existing).await {
                    Ok(()) => Some(existing),
                    Err(StoreError::Conflict) => None,
                    Err(other) => return Err(other.into()),
                }
            }
            None => {
                let fresh = new_delivery(job, doc, endpoint, event, now);
                // Not inserted: another request created it meanwhile; reopen that one.
                s.deliveries.insert_delivery(&fresh).await?.then_some(fresh)
            }
        };
        if let Some(delivery) = written {
            return Ok(delivery);
        }
    }
    Err(StoreError::Conflict.into())
}

/// A new round of attempts for a delivery sent again (same `webhook-id`), its first attempt due at `due`.
pub(crate) fn reopen(delivery: &mut Delivery, due: DateTime<Utc>, now: DateTime<Utc>) {
    delivery.round += 1;
    delivery.round_attempts = 0;
    delivery.status = DeliveryStatus::Pending;
    delivery.next_attempt_at = Some(due);
    delivery.updated_at = now;
}

//! A batch of delivery messages, as the queue hands them to the deliver-webhook function: the batch's
//! reads made up front, its attempts sent concurrently (receivers' latency, not CPU, is what a delivery
//! waits on), each message's fate decided, and delivered documents' files released.

use super::attempt::deliver_in;
use super::files::release_files;
use super::queue::DeliveryQueue;
use super::{DeliveryOutcome, DeliveryPorts};
use crate::error::CoreError;
use crate::ids::{DocumentId, EndpointId, JobId, TenantId};
use crate::model::{Delivery, DeliveryTask, Document, Job, WebhookEndpoint};
use futures_util::future::join_all;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tracing::Instrument;

/// One message of the delivery queue, as received.
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    pub message_id: String,
    /// Needed to delay the message's next showing; absent only in hand-made events.
    pub receipt: Option<String>,
    pub body: Option<String>,
}

/// What becomes of a message once its task ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageFate {
    /// Delivered, or nothing (more) to send: the queue deletes it.
    Done,
    /// Left on the queue (reported as a batch item failure): shown again after the delay set on it, or
    /// after the queue's own visibility timeout; after the last attempt the redrive policy moves it to
    /// the dead-letter queue.
    Stays,
}

/// Runs a batch of delivery messages; returns each message's id with its fate, in the batch's order.
pub async fn deliver_batch(
    s: &DeliveryPorts,
    messages: Vec<ReceivedMessage>,
) -> Vec<(String, MessageFate)> {
    let tasks: Vec<Option<DeliveryTask>> = messages
        .iter()
        .map(|m| m.body.as_deref().and_then(DeliveryQueue::parse))
        .collect();
    let known: Vec<DeliveryTask> = tasks.iter().flatten().cloned().collect();
    // Jobs and endpoints shared by the batch are read once; if that fails, every message stays.
    let context = match BatchContext::load(s, &known).await {
        Ok(context) => context,
        Err(err) => {
            tracing::error!(error = %err, "could not read the batch's jobs and endpoints");
            return messages
                .into_iter()
                .map(|m| (m.message_id, MessageFate::Stays))
                .collect();
        }
    };
    let context = &context;
    let runs = messages.iter().zip(&tasks).map(|(message, task)| {
        let span = tracing::info_span!("deliver_record", message_id = %message.message_id);
        async move {
            match task {
                Some(task) => run_one(s, context, message, task).await,
                None => {
                    tracing::error!(
                        "delivery message is not a delivery task; leaving it for the DLQ"
                    );
                    (MessageFate::Stays, false)
                }
            }
        }
        .instrument(span)
    });
    let outcomes = join_all(runs).await;
    let delivered: Vec<&DeliveryTask> = outcomes
        .iter()
        .zip(&tasks)
        .filter(|((_, delivered), _)| *delivered)
        .filter_map(|(_, task)| task.as_ref())
        .collect();
    release_files(s, context, &delivered).await;
    messages
        .into_iter()
        .zip(outcomes)
        .map(|(m, (fate, _))| (m.message_id, fate))
        .collect()
}

/// One message's task: its fate, and whether it was delivered just now.
async fn run_one(
    s: &DeliveryPorts,
    context: &BatchContext,
    message: &ReceivedMessage,
    task: &DeliveryTask,
) -> (MessageFate, bool) {
    let delay = match deliver_in(s, context, task).await {
        Ok(DeliveryOutcome::Delivered) => return (MessageFate::Done, true),
        Ok(DeliveryOutcome::Dropped(why)) => {
            tracing::info!(webhook_id = %task.webhook_id, why, "delivery message dropped");
            return (MessageFate::Done, false);
        }
        Ok(DeliveryOutcome::RetryIn(delay)) => delay,
        // Visible again at once, so the next receive exceeds maxReceiveCount and the queue dead-letters it.
        Ok(DeliveryOutcome::Exhausted) => Duration::ZERO,
        Err(err) => {
            // The queue's own visibility timeout brings it back.
            tracing::error!(error = %err, webhook_id = %task.webhook_id, "delivery failed before sending");
            return (MessageFate::Stays, false);
        }
    };
    if let Some(receipt) = message.receipt.as_deref() {
        if let Err(err) = s.delivery_queue.show_again(receipt, delay).await {
            tracing::warn!(error = %err, "could not delay the retry; the queue's default applies");
        }
    }
    (MessageFate::Stays, false)
}

/// What the messages of one batch need from the store, read up front in a few calls rather than a few per
/// message: their deliveries and documents, and the jobs and endpoints they share (a ZIP batch puts many
/// documents of one job, to the same endpoints, in one queue batch).
#[derive(Debug, Default)]
pub struct BatchContext {
    pub(super) deliveries: HashMap<String, Delivery>,
    pub(super) documents: HashMap<DocumentId, Document>,
    pub(super) jobs: HashMap<JobId, Option<Job>>,
    pub(super) endpoints: HashMap<(TenantId, EndpointId), Option<WebhookEndpoint>>,
}

impl BatchContext {
    pub async fn load(s: &DeliveryPorts, tasks: &[DeliveryTask]) -> Result<Self, CoreError> {
        let mut context = Self::default();
        let mut by_job: BTreeMap<JobId, (Vec<String>, Vec<DocumentId>)> = BTreeMap::new();
        for task in tasks {
            let (webhook_ids, documents) = by_job.entry(task.job_id).or_default();
            webhook_ids.push(task.webhook_id.clone());
            documents.extend(task.document_id);
            let key = (task.tenant_id, task.endpoint_id);
            if let std::collections::hash_map::Entry::Vacant(slot) = context.endpoints.entry(key) {
                slot.insert(s.endpoints.get_endpoint(key.0, key.1).await?);
            }
        }
        for (job, (webhook_ids, documents)) in by_job {
            context.jobs.insert(job, s.jobs.get_job(job).await?);
            for delivery in s.deliveries.get_deliveries(job, &webhook_ids).await? {
                context
                    .deliveries
                    .insert(delivery.webhook_id.clone(), delivery);
            }
            for document in s.documents.get_documents(job, &documents).await? {
                context.documents.insert(document.id, document);
            }
        }
        Ok(context)
    }
}

/// Delivers one task on its own, then releases its document's file when that was the last delivery.
pub async fn deliver(s: &DeliveryPorts, task: &DeliveryTask) -> Result<DeliveryOutcome, CoreError> {
    let context = BatchContext::load(s, std::slice::from_ref(task)).await?;
    let outcome = deliver_in(s, &context, task).await?;
    if outcome == DeliveryOutcome::Delivered {
        release_files(s, &context, &[task]).await;
    }
    Ok(outcome)
}

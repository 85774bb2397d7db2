//! Delivering one event to one endpoint: the whole decision of the deliver-webhook function for one queue
//! message. Send, log the attempt, record the outcome, and tell the queue what to do with the message.
//!
//! Queues deliver at least once, so two copies of one message can run at the same time. The delivery
//! record is written under a version check; whoever loses re-reads it, a success always wins, and a copy
//! that finds the other one already scheduled the next attempt steps aside, so copies do not multiply.

use crate::error::{CoreError, StoreError};
use crate::ids::{DocumentId, EndpointId, JobId, TenantId};
use crate::model::{
    Delivery, DeliveryAttempt, DeliveryStatus, DeliveryTask, Document, Job, WebhookEndpoint,
};
use crate::policy::retry::{next_retry_delay, FailedAttempt, MAX_ATTEMPTS};
use crate::policy::webhook_config::url_for_document;
use crate::services::Services;
use crate::usecases::jobs::event_for;
use crate::usecases::payload::document_event_body;
use crate::usecases::send::{send_signed, SendResult};
use chrono::{DateTime, Utc};
use rand::Rng;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// What the queue should do with the task's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// A 2xx was recorded: delete the message.
    Delivered,
    /// Make the message visible again after this delay.
    RetryIn(Duration),
    /// No attempt is left: the delivery is `failed`; the message goes on to the dead-letter queue.
    Exhausted,
    /// Nothing (more) to send: delete the message.
    Dropped(&'static str),
}

/// Queues time visibility in whole seconds, so a retry may come back a little early; within this much it
/// is sent, beyond it is put back until due.
const EARLY_TOLERANCE: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// Conflicting writers of one delivery record are copies of one message: a few rounds settle them.
const MAX_WRITE_TRIES: usize = 8;

/// What the messages of one batch need from the store, read up front in a few calls rather than a few per
/// message: their deliveries and documents, and the jobs and endpoints they share (a ZIP batch puts many
/// documents of one job, to the same endpoints, in one queue batch).
#[derive(Debug, Default)]
pub struct BatchContext {
    deliveries: HashMap<String, Delivery>,
    documents: HashMap<DocumentId, Document>,
    jobs: HashMap<JobId, Option<Job>>,
    endpoints: HashMap<(TenantId, EndpointId), Option<WebhookEndpoint>>,
}

impl BatchContext {
    pub async fn load(s: &Services, tasks: &[DeliveryTask]) -> Result<Self, CoreError> {
        let mut context = Self::default();
        let mut by_job: BTreeMap<JobId, (Vec<String>, Vec<DocumentId>)> = BTreeMap::new();
        for task in tasks {
            let (webhook_ids, documents) = by_job.entry(task.job_id).or_default();
            webhook_ids.push(task.webhook_id.clone());
            documents.push(task.document_id);
            let key = (task.tenant_id, task.endpoint_id);
            if let std::collections::hash_map::Entry::Vacant(slot) = context.endpoints.entry(key) {
                slot.insert(s.config.get_endpoint(key.0, key.1).await?);
            }
        }
        for (job, (webhook_ids, documents)) in by_job {
            context.jobs.insert(job, s.jobs.get_job(job).await?);
            for delivery in s.jobs.get_deliveries(job, &webhook_ids).await? {
                context
                    .deliveries
                    .insert(delivery.webhook_id.clone(), delivery);
            }
            for document in s.jobs.get_documents(job, &documents).await? {
                context.documents.insert(document.id, document);
            }
        }
        Ok(context)
    }
}

/// Delivers one task on its own, then releases its document's file when that was the last delivery.
pub async fn deliver(s: &Services, task: &DeliveryTask) -> Result<DeliveryOutcome, CoreError> {
    let context = BatchContext::load(s, std::slice::from_ref(task)).await?;
    let outcome = deliver_in(s, &context, task).await?;
    if outcome == DeliveryOutcome::Delivered {
        release_files(s, &context, &[task]).await;
    }
    Ok(outcome)
}

/// Delivers one task of a batch whose reads are in `context`. The caller then passes the delivered tasks
/// to [`release_files`].
pub async fn deliver_in(
    s: &Services,
    context: &BatchContext,
    task: &DeliveryTask,
) -> Result<DeliveryOutcome, CoreError> {
    let now = s.clock.now();
    let Some(delivery) = context.deliveries.get(&task.webhook_id).cloned() else {
        return Ok(DeliveryOutcome::Dropped("unknown delivery"));
    };
    if let Some(outcome) = before_sending(&delivery, task, now) {
        return Ok(outcome);
    }
    let job = match context.jobs.get(&task.job_id) {
        Some(Some(job)) if !job.is_expired(now) => job,
        _ => return Ok(DeliveryOutcome::Dropped("job expired")),
    };
    let Some(doc) = context.documents.get(&task.document_id) else {
        return Ok(DeliveryOutcome::Dropped("document expired"));
    };
    let endpoint = match context.endpoints.get(&(task.tenant_id, task.endpoint_id)) {
        Some(Some(e)) if e.enabled => e,
        found => {
            let why = if matches!(found, Some(Some(_))) {
                "endpoint disabled"
            } else {
                "endpoint deleted"
            };
            give_up(s, delivery, why).await?;
            return Ok(DeliveryOutcome::Dropped(why));
        }
    };

    let body = document_event_body(job, doc, task.event_type);
    let sent = match url_for_document(
        &endpoint.url,
        &doc.id.to_string(),
        s.settings.allow_http_webhooks,
    ) {
        Ok(url) => send_signed(s, endpoint, &task.webhook_id, url, body).await,
        Err(refused) => SendResult::refused(refused.0),
    };
    let attempt = sent.clone().into_attempt(
        &task.webhook_id,
        endpoint,
        Some(job.id),
        Some(doc.id),
        task.event_type,
        delivery.total_attempts + 1,
        now,
        s,
    );
    if sent.status_code == Some(410) {
        disable_endpoint(s, endpoint, "the receiver answered 410 Gone").await?;
    }
    let jitter = if s.settings.retry_jitter {
        rand::thread_rng().gen_range(-1.0..=1.0)
    } else {
        0.0
    };
    record(s, task, delivery, &attempt, &sent, jitter, now).await
}

/// What to do with a message without sending anything, when its delivery is settled, belongs to another
/// round, or is not due yet.
fn before_sending(
    delivery: &Delivery,
    task: &DeliveryTask,
    now: DateTime<Utc>,
) -> Option<DeliveryOutcome> {
    if delivery.expires_at <= now || delivery.tenant_id != task.tenant_id {
        return Some(DeliveryOutcome::Dropped("delivery expired"));
    }
    if delivery.round != task.round {
        return Some(DeliveryOutcome::Dropped("message of an earlier round"));
    }
    match delivery.status {
        DeliveryStatus::Succeeded => return Some(DeliveryOutcome::Dropped("already delivered")),
        // Only a delivery that used up its schedule belongs in the dead-letter queue; one refused for good
        // (410, a refused address, a deleted endpoint) has nothing to hand over.
        DeliveryStatus::Failed if delivery.round_attempts >= MAX_ATTEMPTS => {
            return Some(DeliveryOutcome::Exhausted)
        }
        DeliveryStatus::Failed => return Some(DeliveryOutcome::Dropped("failed permanently")),
        DeliveryStatus::Pending => {}
    }
    let due = delivery.next_attempt_at?;
    if due <= now + EARLY_TOLERANCE {
        return None;
    }
    // Early: a delay beyond what the queue can hold (12 h for SQS), or a copy of the message. Put it back
    // until due, rounded up to whole seconds.
    let wait = (due - now).to_std().unwrap_or_default();
    Some(DeliveryOutcome::RetryIn(Duration::from_secs(
        wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
    )))
}

/// The delivery after one more attempt, and what becomes of the message. Pure: the retry policy applied to
/// the attempt's result.
pub fn after_attempt(
    delivery: &Delivery,
    sent: &SendResult,
    jitter: f64,
    now: DateTime<Utc>,
) -> (Delivery, DeliveryOutcome) {
    let mut next = delivery.clone();
    next.round_attempts += 1;
    next.total_attempts += 1;
    next.updated_at = now;
    if sent.status_code.is_some() {
        next.last_status_code = sent.status_code;
    }
    next.last_error = sent.error.clone();
    let Some(failure) = sent.failure else {
        next.status = DeliveryStatus::Succeeded;
        next.next_attempt_at = None;
        return (next, DeliveryOutcome::Delivered);
    };
    match next_retry_delay(next.round_attempts, failure, jitter) {
        Some(delay) => {
            next.status = DeliveryStatus::Pending;
            next.next_attempt_at =
                Some(now + chrono::Duration::from_std(delay).unwrap_or_default());
            (next, DeliveryOutcome::RetryIn(delay))
        }
        None => {
            next.status = DeliveryStatus::Failed;
            next.next_attempt_at = None;
            let permanent = failure == FailedAttempt::Permanent
                || matches!(failure, FailedAttempt::Status { code: 410, .. });
            let outcome = if permanent {
                // Retrying cannot help and the attempt log says why: no dead letter to handle.
                DeliveryOutcome::Dropped("refused permanently")
            } else {
                DeliveryOutcome::Exhausted
            };
            (next, outcome)
        }
    }
}

/// Logs the attempt and writes its outcome onto the delivery, settling a race with another copy of the
/// message.
async fn record(
    s: &Services,
    task: &DeliveryTask,
    read: Delivery,
    attempt: &DeliveryAttempt,
    sent: &SendResult,
    jitter: f64,
    now: DateTime<Utc>,
) -> Result<DeliveryOutcome, CoreError> {
    let attempts_seen = read.round_attempts;
    let mut base = read;
    for tries in 0..MAX_WRITE_TRIES {
        let (next, outcome) = after_attempt(&base, sent, jitter, now);
        let written = if tries == 0 {
            s.jobs.record_attempt(attempt, &next).await
        } else {
            s.jobs.update_delivery(&next).await
        };
        match written {
            Ok(()) => return Ok(outcome),
            Err(StoreError::Conflict) => {}
            Err(other) => return Err(other.into()),
        }
        let Some(latest) = s.jobs.get_delivery(task.job_id, &task.webhook_id).await? else {
            return Ok(DeliveryOutcome::Dropped("delivery expired"));
        };
        if latest.round != task.round {
            return Ok(DeliveryOutcome::Dropped("redelivered meanwhile"));
        }
        if latest.status == DeliveryStatus::Succeeded {
            return Ok(DeliveryOutcome::Dropped("already delivered"));
        }
        if sent.failure.is_some() && latest.round_attempts > attempts_seen {
            return Ok(DeliveryOutcome::Dropped(
                "another copy of this message made the attempt count",
            ));
        }
        // A success overrides what the other copy wrote; anything else is applied to the latest state.
        base = latest;
    }
    Err(CoreError::Unavailable(format!(
        "delivery {} kept changing under concurrent writers",
        task.webhook_id
    )))
}

/// Marks a delivery failed without an attempt (its endpoint is gone or disabled). A concurrent writer's
/// state stands.
async fn give_up(s: &Services, mut delivery: Delivery, why: &str) -> Result<(), CoreError> {
    delivery.status = DeliveryStatus::Failed;
    delivery.last_error = Some(why.to_string());
    delivery.next_attempt_at = None;
    delivery.updated_at = s.clock.now();
    match s.jobs.update_delivery(&delivery).await {
        Ok(()) | Err(StoreError::Conflict) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

async fn disable_endpoint(
    s: &Services,
    endpoint: &WebhookEndpoint,
    why: &str,
) -> Result<(), CoreError> {
    let mut disabled = endpoint.clone();
    disabled.enabled = false;
    disabled.disabled_reason = Some(why.to_string());
    disabled.updated_at = s.clock.now();
    s.config.put_endpoint(&disabled).await?;
    Ok(())
}

/// Deletes the stored files of the batch's documents whose every delivery has now succeeded; `delivered`
/// are the tasks this batch just recorded as succeeded. Point reads only (one batch read per job for the
/// other endpoints' deliveries) and one batch delete, so a large ZIP batch does not make each success
/// scan its whole job.
///
/// Best effort: a file left behind is removed by the bucket's lifecycle rule (locally, with its expired
/// job), so a failure here is logged and fails no delivery.
pub async fn release_files(s: &Services, context: &BatchContext, delivered: &[&DeliveryTask]) {
    let just_delivered: HashSet<&str> = delivered.iter().map(|t| t.webhook_id.as_str()).collect();
    let documents = delivered.iter().filter_map(|task| {
        let job = context.jobs.get(&task.job_id)?.as_ref()?;
        Some((job, context.documents.get(&task.document_id)?))
    });
    if let Err(err) = release(s, documents, &just_delivered).await {
        tracing::warn!(error = %err, "could not delete delivered documents' files; the lifecycle rule will");
    }
}

/// The same for one document, once processing has queued all its deliveries (it may have none, or they
/// may all have succeeded already).
pub(crate) async fn release_file_if_delivered(
    s: &Services,
    job: &Job,
    doc: &Document,
) -> Result<(), CoreError> {
    release(s, std::iter::once((job, doc)), &HashSet::new()).await
}

async fn release<'a>(
    s: &Services,
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
        for other in s.jobs.get_deliveries(job, &ids).await? {
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
        s.objects.delete_many(&keys).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorClass, EventType};

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn pending() -> (Delivery, DeliveryTask) {
        let (tenant, job, doc, endpoint) = (
            TenantId::random(),
            JobId::random(),
            DocumentId::random(),
            EndpointId::random(),
        );
        let event = EventType::DocumentCompleted;
        let webhook_id = DeliveryTask::webhook_id_for(job, doc, endpoint, event);
        let delivery = Delivery {
            webhook_id: webhook_id.clone(),
            tenant_id: tenant,
            job_id: job,
            document_id: doc,
            endpoint_id: endpoint,
            event_type: event,
            status: DeliveryStatus::Pending,
            round: 0,
            round_attempts: 0,
            total_attempts: 0,
            last_status_code: None,
            last_error: None,
            next_attempt_at: Some(at(0)),
            created_at: at(0),
            updated_at: at(0),
            expires_at: at(86_400),
            version: 0,
        };
        let task = DeliveryTask {
            tenant_id: tenant,
            job_id: job,
            document_id: doc,
            endpoint_id: endpoint,
            event_type: event,
            webhook_id,
            round: 0,
        };
        (delivery, task)
    }

    fn answered(code: u16, retry_after: Option<u64>) -> SendResult {
        let ok = (200..300).contains(&code);
        SendResult {
            status_code: Some(code),
            latency_ms: 3,
            error_class: (!ok).then_some(ErrorClass::HttpStatus),
            error: (!ok).then(|| format!("receiver answered {code}")),
            failure: (!ok).then_some(FailedAttempt::Status {
                code,
                retry_after: retry_after.map(Duration::from_secs),
            }),
        }
    }

    #[test]
    fn a_failing_receiver_walks_the_whole_schedule_then_fails() {
        let (mut delivery, _) = pending();
        let mut now = at(0);
        let mut delays = Vec::new();
        loop {
            let (next, outcome) = after_attempt(&delivery, &answered(500, None), 0.0, now);
            delivery = next;
            match outcome {
                DeliveryOutcome::RetryIn(delay) => {
                    delays.push(delay.as_secs());
                    now = delivery.next_attempt_at.unwrap();
                    assert_eq!(delivery.status, DeliveryStatus::Pending);
                }
                other => {
                    assert_eq!(other, DeliveryOutcome::Exhausted);
                    break;
                }
            }
        }
        assert_eq!(delays, [5, 300, 1800, 7200, 18_000, 36_000]);
        assert_eq!(delivery.status, DeliveryStatus::Failed);
        assert_eq!(delivery.total_attempts, MAX_ATTEMPTS);
        assert_eq!(delivery.last_status_code, Some(500));
    }

    #[test]
    fn outcomes_by_answer() {
        let (delivery, _) = pending();
        let now = at(10);
        let (ok, outcome) = after_attempt(&delivery, &answered(204, None), 0.0, now);
        assert_eq!(outcome, DeliveryOutcome::Delivered);
        assert_eq!(
            (ok.status, ok.next_attempt_at),
            (DeliveryStatus::Succeeded, None)
        );

        let (gone, outcome) = after_attempt(&delivery, &answered(410, None), 0.0, now);
        assert_eq!(outcome, DeliveryOutcome::Dropped("refused permanently"));
        assert_eq!(gone.status, DeliveryStatus::Failed);

        let (_, outcome) = after_attempt(&delivery, &answered(503, Some(8)), 0.0, now);
        assert_eq!(outcome, DeliveryOutcome::RetryIn(Duration::from_secs(8)));

        let refused = SendResult::refused("127.0.0.1 is a loopback address".into());
        let (failed, outcome) = after_attempt(&delivery, &refused, 0.0, now);
        assert_eq!(outcome, DeliveryOutcome::Dropped("refused permanently"));
        assert_eq!(
            failed.last_error.as_deref(),
            Some("127.0.0.1 is a loopback address")
        );
    }

    #[test]
    fn messages_that_must_not_send() {
        let (delivery, task) = pending();
        assert_eq!(before_sending(&delivery, &task, at(0)), None);

        let mut stale = task.clone();
        stale.round = 1;
        assert_eq!(
            before_sending(&delivery, &stale, at(0)),
            Some(DeliveryOutcome::Dropped("message of an earlier round"))
        );
        let mut foreign = task.clone();
        foreign.tenant_id = TenantId::random();
        assert!(matches!(
            before_sending(&delivery, &foreign, at(0)),
            Some(DeliveryOutcome::Dropped(_))
        ));
        assert_eq!(
            before_sending(&delivery, &task, at(86_400)),
            Some(DeliveryOutcome::Dropped("delivery expired"))
        );

        // Not due: put back until due, in whole seconds; within a second early it is sent.
        let mut later = delivery.clone();
        later.next_attempt_at = Some(at(0) + chrono::Duration::milliseconds(20_300));
        assert_eq!(
            before_sending(&later, &task, at(0)),
            Some(DeliveryOutcome::RetryIn(Duration::from_secs(21)))
        );
        assert_eq!(before_sending(&later, &task, at(20)), None);

        let mut exhausted = delivery.clone();
        exhausted.status = DeliveryStatus::Failed;
        exhausted.round_attempts = MAX_ATTEMPTS;
        assert_eq!(
            before_sending(&exhausted, &task, at(0)),
            Some(DeliveryOutcome::Exhausted)
        );
        exhausted.round_attempts = 1;
        assert_eq!(
            before_sending(&exhausted, &task, at(0)),
            Some(DeliveryOutcome::Dropped("failed permanently"))
        );
    }
}

//! One attempt of one delivery: whether to send at all, then send, log and record.
//!
//! Queues deliver at least once, so two copies of one message can run at the same time. The delivery
//! record is written under a version check; whoever loses re-reads it, a success always wins, and a copy
//! that finds the other one already scheduled the next attempt steps aside, so copies do not multiply.

use super::batch::BatchContext;
use super::endpoint_state::disable_after_gone;
use super::outcome::{give_up, record};
use super::payload::document_event_body;
use super::sender::{send_signed, AttemptSubject, SendResult};
use super::{DeliveryOutcome, DeliveryPorts};
use crate::error::CoreError;
use crate::model::{Delivery, DeliveryStatus, DeliveryTask};
use crate::policy::retry::{FailedAttempt, MAX_ATTEMPTS};
use crate::policy::webhook_config::url_for_document;
use chrono::{DateTime, Utc};
use rand::Rng;
use std::time::Duration;

/// Queues time visibility in whole seconds, so a retry may come back a little early; within this much it
/// is sent, beyond it is put back until due.
const EARLY_TOLERANCE: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// Delivers one task of a batch whose reads are in `context`. The caller then passes the delivered tasks
/// to [`super::files::release_files`].
pub async fn deliver_in(
    s: &DeliveryPorts,
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
    let sent = match url_for_document(&endpoint.url, &doc.id.to_string(), s.sender.allow_http) {
        Ok(url) => send_signed(&s.sender, endpoint, &task.webhook_id, url, body).await,
        Err(refused) => SendResult::refused(refused.to_string()),
    };
    let subject = AttemptSubject {
        webhook_id: &task.webhook_id,
        endpoint,
        job: Some(job.id),
        document: Some(doc.id),
        event_type: task.event_type,
    };
    let attempt = sent.clone().into_attempt(
        subject,
        delivery.total_attempts + 1,
        now,
        s.settings.retention,
    );
    if sent.failure.is_some_and(FailedAttempt::is_gone) {
        disable_after_gone(s.endpoints.as_ref(), s.clock.as_ref(), endpoint).await?;
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
pub(super) fn before_sending(
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

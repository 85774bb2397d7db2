//! One attempt of one delivery: whether to send at all, then send, log and record.
//!
//! Queues deliver at least once, so two copies of one message can run at the same time. The delivery
//! record is written under a version check; whoever loses re-reads it, a success always wins, and a copy
//! that finds the other one already scheduled the next attempt steps aside, so copies do not multiply.

use super::batch::BatchContext;
use super::endpoint_events::{announce_switch_off, catch_up};
use super::endpoint_state::{count_settled, disable_after_gone, Settled};
use super::outcome::{give_up, record, REFUSED_PERMANENTLY};
use super::payload::{document_event_body, endpoint_disabled_body};
use super::sender::{send_signed, AttemptSubject, SendResult};
use super::{DeliveryOutcome, DeliveryPorts};
use crate::error::CoreError;
use crate::ids::{DocumentId, JobId};
use crate::model::{Delivery, DeliveryStatus, DeliveryTask};
use crate::policy::retry::{FailedAttempt, MAX_ATTEMPTS};
use crate::policy::webhook_config::url_for_document;
use bytes::Bytes;
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
    let event = match EventToSend::of(context, &delivery, task, now) {
        Ok(event) => event,
        Err(gone) => return Ok(DeliveryOutcome::Dropped(gone)),
    };
    let endpoint = match context.endpoints.get(&(task.tenant_id, task.endpoint_id)) {
        Some(Some(e)) if e.enabled => e,
        found => {
            let why = match found {
                Some(Some(off)) => {
                    if off.announcement_pending {
                        catch_up(s, off, now).await;
                    }
                    "endpoint disabled"
                }
                _ => "endpoint deleted",
            };
            give_up(s, delivery, why).await?;
            return Ok(DeliveryOutcome::Dropped(why));
        }
    };

    let sent = match url_for_document(&endpoint.url, &event.id_in_url, s.sender.allow_http) {
        Ok(url) => send_signed(&s.sender, endpoint, &task.webhook_id, url, event.body).await,
        Err(refused) => SendResult::refused(refused.to_string()),
    };
    let subject = AttemptSubject {
        webhook_id: &task.webhook_id,
        endpoint,
        job: event.job,
        document: event.document,
        event_type: task.event_type,
    };
    let attempt = sent.clone().into_attempt(
        subject,
        delivery.total_attempts + 1,
        now,
        s.settings.retention,
    );
    let gone = sent.failure.is_some_and(FailedAttempt::is_gone);
    let switched_off = if gone {
        disable_after_gone(s, endpoint, now).await
    } else {
        Ok(None)
    };
    let jitter = if s.settings.retry_jitter {
        rand::thread_rng().gen_range(-1.0..=1.0)
    } else {
        0.0
    };
    let outcome = record(s, task, delivery, &attempt, &sent, jitter, now).await?;
    let switched_off = match (gone, settled(&outcome)) {
        (false, Some(settled)) => count_settled(s, endpoint, settled, now).await,
        _ => switched_off,
    };
    // The attempt is recorded: a failure to update the endpoint is logged rather than sending the
    // delivery again (telling the others is caught up later, see `endpoint_events`).
    match switched_off {
        Ok(Some(disabled)) => announce_switch_off(s, &disabled, now).await,
        Ok(None) => {}
        Err(err) => {
            tracing::error!(error = %err, endpoint_id = %endpoint.id, "could not update the endpoint's state")
        }
    }
    Ok(outcome)
}

/// What one attempt sends: the body, what replaces `:id` in the URL, and the job and document the
/// attempt log names.
struct EventToSend {
    body: Bytes,
    id_in_url: String,
    job: Option<JobId>,
    document: Option<DocumentId>,
}

impl EventToSend {
    /// Refused (with why) when the job or document of a document event has expired.
    fn of(
        context: &BatchContext,
        delivery: &Delivery,
        task: &DeliveryTask,
        now: DateTime<Utc>,
    ) -> Result<Self, &'static str> {
        if let Some(notice) = &delivery.notice {
            return Ok(Self {
                body: endpoint_disabled_body(notice),
                id_in_url: notice.endpoint_id.to_string(),
                job: None,
                document: None,
            });
        }
        let job = match context.jobs.get(&task.job_id) {
            Some(Some(job)) if !job.is_expired(now) => job,
            _ => return Err("job expired"),
        };
        let doc = task
            .document_id
            .and_then(|id| context.documents.get(&id))
            .ok_or("document expired")?;
        Ok(Self {
            body: document_event_body(job, doc, task.event_type),
            id_in_url: doc.id.to_string(),
            job: Some(job.id),
            document: Some(doc.id),
        })
    }
}

/// How the failure rule counts an attempt's outcome: `None` while the delivery is still in play.
fn settled(outcome: &DeliveryOutcome) -> Option<Settled> {
    match outcome {
        DeliveryOutcome::Delivered => Some(Settled::Succeeded),
        DeliveryOutcome::Exhausted | DeliveryOutcome::Dropped(REFUSED_PERMANENTLY) => {
            Some(Settled::Failed)
        }
        _ => None,
    }
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

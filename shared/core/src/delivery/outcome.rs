//! What one attempt makes of a delivery: the retry policy applied to its result (pure), and the write
//! that records it, settling a race with another copy of the message.

use super::sender::SendResult;
use super::{DeliveryOutcome, DeliveryPorts};
use crate::error::{CoreError, StoreError};
use crate::model::{Delivery, DeliveryAttempt, DeliveryStatus, DeliveryTask};
use crate::policy::retry::next_retry_delay;
use chrono::{DateTime, Utc};

/// Why a delivery refused for good (a refused address, a 410) leaves the queue.
pub(super) const REFUSED_PERMANENTLY: &str = "refused permanently";

/// Conflicting writers of one delivery record are copies of one message: a few rounds settle them.
const MAX_WRITE_TRIES: usize = 8;

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
            let outcome = if failure.is_permanent() {
                // Retrying cannot help and the attempt log says why: no dead letter to handle.
                DeliveryOutcome::Dropped(REFUSED_PERMANENTLY)
            } else {
                DeliveryOutcome::Exhausted
            };
            (next, outcome)
        }
    }
}

/// Logs the attempt and writes its outcome onto the delivery, settling a race with another copy of the
/// message.
pub(super) async fn record(
    s: &DeliveryPorts,
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
            s.attempts.record_attempt(attempt, &next).await
        } else {
            s.deliveries.update_delivery(&next).await
        };
        match written {
            Ok(()) => return Ok(outcome),
            Err(StoreError::Conflict) => {}
            Err(other) => return Err(other.into()),
        }
        let Some(latest) = s
            .deliveries
            .get_delivery(task.job_id, &task.webhook_id)
            .await?
        else {
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
pub(super) async fn give_up(
    s: &DeliveryPorts,
    mut delivery: Delivery,
    why: &str,
) -> Result<(), CoreError> {
    delivery.status = DeliveryStatus::Failed;
    delivery.last_error = Some(why.to_string());
    delivery.next_attempt_at = None;
    delivery.updated_at = s.clock.now();
    match s.deliveries.update_delivery(&delivery).await {
        Ok(()) | Err(StoreError::Conflict) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

//! The delivery decisions, pure: what an attempt's answer does to a delivery, and which messages must not
//! send at all.

use super::attempt::before_sending;
use super::outcome::after_attempt;
use super::sender::SendResult;
use super::DeliveryOutcome;
use crate::ids::{DocumentId, EndpointId, JobId, TenantId};
use crate::model::{Delivery, DeliveryStatus, DeliveryTask, ErrorClass, EventType};
use crate::policy::retry::{FailedAttempt, MAX_ATTEMPTS};
use chrono::{DateTime, Utc};
use std::time::Duration;

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
    let task = DeliveryTask {
        tenant_id: tenant,
        job_id: job,
        document_id: Some(doc),
        endpoint_id: endpoint,
        event_type: event,
        webhook_id,
        round: 0,
    };
    let delivery = Delivery::pending(task.clone(), at(0), at(86_400));
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

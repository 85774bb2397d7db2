//! Changes the delivery engine makes to an endpoint: switching it off when its receiver answers 410 Gone
//! or its deliveries keep failing ([`crate::policy::endpoint_failures`]), and keeping the run of failures
//! that rule reads. Each is a conditional write of just that change over the latest copy, so a rotation
//! or an edit made meanwhile is kept, an endpoint deleted meanwhile stays deleted, and one the tenant
//! enabled or disabled meanwhile is judged on what the tenant left.

use super::DeliveryPorts;
use crate::configuration::endpoints::change_endpoint;
use crate::error::CoreError;
use crate::model::WebhookEndpoint;
use crate::policy::endpoint_failures::{after_failure, reason};
use chrono::{DateTime, Utc};

const GONE_REASON: &str = "the receiver answered 410 Gone";

/// How a delivery ended, as the failure rule counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settled {
    Succeeded,
    /// Failed for good: its schedule used up, or refused outright.
    Failed,
}

/// What one write did to the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Unchanged,
    Changed,
    SwitchedOff,
}

/// Disables `endpoint` (as the batch read it) after a 410. Returns the endpoint as this write switched it
/// off; `None` when it was disabled already or has been deleted since.
pub(super) async fn disable_after_gone(
    s: &DeliveryPorts,
    endpoint: &WebhookEndpoint,
    now: DateTime<Utc>,
) -> Result<Option<WebhookEndpoint>, CoreError> {
    apply(s, endpoint, |e| {
        if !e.enabled {
            return Change::Unchanged;
        }
        e.disable(GONE_REASON.to_string(), now);
        Change::SwitchedOff
    })
    .await
}

/// Counts a settled delivery against the endpoint: a success ends its run of failures (a write only when
/// there is one), a failure extends it and switches the endpoint off when the rule is met. Returns the
/// endpoint as this write switched it off, if it did.
pub(super) async fn count_settled(
    s: &DeliveryPorts,
    endpoint: &WebhookEndpoint,
    settled: Settled,
    now: DateTime<Utc>,
) -> Result<Option<WebhookEndpoint>, CoreError> {
    if settled == Settled::Succeeded && endpoint.failure_run.is_none() {
        return Ok(None);
    }
    let rule = s.settings.disable_rule;
    apply(s, endpoint, |e| match settled {
        Settled::Succeeded if e.failure_run.is_none() => Change::Unchanged,
        Settled::Succeeded => {
            e.failure_run = None;
            Change::Changed
        }
        // A disabled endpoint gets no attempts; what was in flight when it was switched off does not
        // start a new run.
        Settled::Failed if !e.enabled => Change::Unchanged,
        Settled::Failed => {
            let run = after_failure(e.failure_run, now);
            if rule.is_met(&run, now) {
                e.disable(reason(&run), now);
                e.failure_run = Some(run);
                Change::SwitchedOff
            } else {
                e.failure_run = Some(run);
                Change::Changed
            }
        }
    })
    .await
}

/// Writes `change` over the latest copy; returns the endpoint when the write that landed switched it off.
async fn apply(
    s: &DeliveryPorts,
    endpoint: &WebhookEndpoint,
    mut change: impl FnMut(&mut WebhookEndpoint) -> Change,
) -> Result<Option<WebhookEndpoint>, CoreError> {
    // The change runs again on every re-read copy; what it did to the copy that was written is what counts.
    let mut last = Change::Unchanged;
    let stored = change_endpoint(
        s.endpoints.as_ref(),
        s.clock.as_ref(),
        endpoint.clone(),
        |e| {
            last = change(e);
            last != Change::Unchanged
        },
    )
    .await?;
    if stored.is_none() {
        tracing::info!(endpoint_id = %endpoint.id, "endpoint deleted before its state could change");
    }
    Ok(stored.filter(|_| last == Change::SwitchedOff))
}

//! Endpoint recovery: after a receiver was down, one call sends again every delivery to it that ended
//! `failed` since a given time, each with its original `webhook-id`, so the receiver can tell what it
//! already has. Throttled: at most [`MAX_RECOVERED_PER_CALL`] per call, their first attempts spread
//! [`RECOVERY_SPACING`] apart, so a receiver just back up is not flooded; `more` says to call again.

use super::queue::DeliveryQueue;
use super::schedule::reopen;
use crate::clock::Clock;
use crate::configuration::endpoints::find;
use crate::error::CoreError;
use crate::ids::TenantId;
use crate::model::DeliveryStatus;
use crate::ports::{AttemptLog, EndpointRecords};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// Most deliveries one call sends again.
pub const MAX_RECOVERED_PER_CALL: usize = 100;
/// Between the first attempts of the deliveries one call sends again (100 take 20 s).
pub const RECOVERY_SPACING: Duration = Duration::from_millis(200);
/// Most attempts read from the endpoint's log (newest first) to find the failed deliveries.
const MAX_ATTEMPTS_SCANNED: usize = 5_000;

/// What recovering an endpoint touches: the endpoint, its attempt log and deliveries, the queue.
#[derive(Clone)]
pub struct RecoveryPorts {
    pub endpoints: Arc<dyn EndpointRecords>,
    pub attempts: Arc<dyn AttemptLog>,
    pub delivery_queue: DeliveryQueue,
    pub clock: Arc<dyn Clock>,
}

/// The answer of `POST /webhooks/{id}/recover`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recovery {
    /// Deliveries queued again by this call.
    pub queued: usize,
    /// Whether failed deliveries may remain (the per-call bound or the log's scan was reached).
    pub more: bool,
}

/// Sends again the deliveries to endpoint `id` that failed since `since` (what is older than the retention
/// is gone already; a `since` still to come finds nothing). A disabled endpoint is a conflict: enable it
/// first.
pub async fn recover_endpoint(
    s: &RecoveryPorts,
    tenant: TenantId,
    id: &str,
    since: DateTime<Utc>,
) -> Result<Recovery, CoreError> {
    let now = s.clock.now();
    let endpoint = find(s.endpoints.as_ref(), tenant, id).await?;
    if !endpoint.enabled {
        return Err(CoreError::Conflict {
            code: "webhook_disabled",
            message: "the endpoint is disabled: enable it before recovering its deliveries"
                .to_string(),
        });
    }
    let attempts = s
        .attempts
        .list_endpoint_attempts(tenant, endpoint.id, now, MAX_ATTEMPTS_SCANNED)
        .await?;
    let scan_full = attempts.len() >= MAX_ATTEMPTS_SCANNED;
    let mut seen = HashSet::new();
    let mut queued = 0;
    let mut more = false;
    // Newest first: the deliveries that failed last are sent first.
    for attempt in attempts.iter().filter(|a| a.attempted_at >= since) {
        // Test events have no job and no delivery to send again.
        let Some(job) = attempt.job_id else { continue };
        if !seen.insert(attempt.webhook_id.as_str()) {
            continue;
        }
        let Some(mut delivery) = s.attempts.get_delivery(job, &attempt.webhook_id).await? else {
            continue;
        };
        if delivery.status != DeliveryStatus::Failed || delivery.expires_at <= now {
            continue;
        }
        if queued == MAX_RECOVERED_PER_CALL {
            more = true;
            break;
        }
        let delay = RECOVERY_SPACING * queued as u32;
        let due = now + chrono::Duration::from_std(delay).unwrap_or_default();
        reopen(&mut delivery, due, now);
        s.attempts.update_delivery(&delivery).await?;
        s.delivery_queue.enqueue_after(&delivery, delay).await?;
        queued += 1;
    }
    Ok(Recovery {
        queued,
        more: more || scan_full,
    })
}

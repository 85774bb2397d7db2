//! Endpoint recovery: after a receiver was down, one call sends again every delivery to it that ended
//! `failed` since a given time, each with its original `webhook-id`, so the receiver can tell what it
//! already has. That includes deliveries never attempted, given up while the endpoint was disabled: the
//! stores list failed deliveries by endpoint ([`DeliveryRecords::list_failed_deliveries`]), not by the
//! attempt log. Throttled: at most [`MAX_RECOVERED_PER_CALL`] per call, their first attempts spread
//! [`RECOVERY_SPACING`] apart, so a receiver just back up is not flooded; `more` says to call again.

use super::queue::DeliveryQueue;
use super::schedule::reopen;
use crate::clock::Clock;
use crate::configuration::endpoints::find;
use crate::error::CoreError;
use crate::error::StoreError;
use crate::ids::TenantId;
use crate::model::DeliveryStatus;
use crate::ports::{DeliveryRecords, EndpointRecords};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// Most deliveries one call sends again.
pub const MAX_RECOVERED_PER_CALL: usize = 100;
/// Between the first attempts of the deliveries one call sends again (100 take 20 s).
pub const RECOVERY_SPACING: Duration = Duration::from_millis(200);
/// What recovering an endpoint touches: the endpoint, its deliveries, the queue.
#[derive(Clone)]
pub struct RecoveryPorts {
    pub endpoints: Arc<dyn EndpointRecords>,
    pub deliveries: Arc<dyn DeliveryRecords>,
    pub delivery_queue: DeliveryQueue,
    pub clock: Arc<dyn Clock>,
}

/// The answer of `POST /webhooks/{id}/recover`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recovery {
    /// Deliveries queued again by this call.
    pub queued: usize,
    /// Whether failed deliveries may remain (the per-call bound was reached).
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
    // One more than a call sends, to tell whether any remain.
    let failed = s
        .deliveries
        .list_failed_deliveries(tenant, endpoint.id, since, now, MAX_RECOVERED_PER_CALL + 1)
        .await?;
    let more = failed.len() > MAX_RECOVERED_PER_CALL;
    let mut queued = 0;
    // Newest first: the deliveries that failed last are sent first.
    for listed in failed.into_iter().take(MAX_RECOVERED_PER_CALL) {
        // The index may lag behind the delivery (DynamoDB's are eventually consistent): read it again,
        // and leave it if it is no longer failed.
        let Some(mut delivery) = s
            .deliveries
            .get_delivery(listed.job_id, &listed.webhook_id)
            .await?
        else {
            continue;
        };
        if delivery.status != DeliveryStatus::Failed || delivery.expires_at <= now {
            continue;
        }
        let delay = RECOVERY_SPACING * queued as u32;
        let due = now + chrono::Duration::from_std(delay).unwrap_or_default();
        reopen(&mut delivery, due, now);
        match s.deliveries.update_delivery(&delivery).await {
            Ok(()) => {}
            // Changed meanwhile (another recovery, a redelivery): it is someone else's now.
            Err(StoreError::Conflict) => continue,
            Err(other) => return Err(other.into()),
        }
        s.delivery_queue.enqueue_after(&delivery, delay).await?;
        queued += 1;
    }
    Ok(Recovery { queued, more })
}

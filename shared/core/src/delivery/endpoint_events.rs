//! Events about the tenant's endpoints: when pagewire switches one off, a `webhook.endpoint_disabled`
//! event goes to the tenant's other enabled endpoints that list it in their `event_types`. It is a
//! delivery like any other (same queue, retry schedule, signature, attempt log and recovery); it is kept
//! under a partition of its own ([`JobId::of_event`]) since no job or document is involved, and carries
//! what it tells ([`DisabledEndpointNotice`]), so every attempt sends the same body.
//!
//! The write that switches an endpoint off marks its announcement pending; queuing the event clears the
//! mark. An announcement cut short is made by the next delivery that finds the endpoint off
//! ([`catch_up`]), and the event's ids derive from the endpoint and when it was switched off, so making
//! it again finds the deliveries made the first time instead of doubling them.

use super::DeliveryPorts;
use crate::configuration::endpoints::change_endpoint;
use crate::error::CoreError;
use crate::ids::JobId;
use crate::model::{
    Delivery, DeliveryStatus, DeliveryTask, DisabledEndpointNotice, EventType, WebhookEndpoint,
};
use chrono::{DateTime, Utc};

/// Tells the tenant's other endpoints that `disabled` was switched off by the write that returned it,
/// then clears its pending mark. A failure is logged: the mark stays, so [`catch_up`] makes it later.
pub(super) async fn announce_switch_off(
    s: &DeliveryPorts,
    disabled: &WebhookEndpoint,
    now: DateTime<Utc>,
) {
    let told = match announce(s, disabled, Requeue::NewOnly, now).await {
        Ok(queued) => queued,
        Err(err) => {
            tracing::error!(error = %err, endpoint_id = %disabled.id,
                "endpoint switched off; its event could not be queued yet");
            return;
        }
    };
    match take_pending(s, disabled).await {
        Ok(_) => {
            tracing::info!(endpoint_id = %disabled.id, told, "endpoint switched off; others told")
        }
        // Told already; the mark only makes a later delivery look again.
        Err(err) => tracing::warn!(error = %err, endpoint_id = %disabled.id,
            "endpoint's announcement made but still marked pending"),
    }
}

/// Makes the announcement of `disabled` (as a delivery found it, switched off with its announcement
/// pending) that was cut short. The delivery that clears the mark makes it, so concurrent ones do not.
pub(super) async fn catch_up(s: &DeliveryPorts, disabled: &WebhookEndpoint, now: DateTime<Utc>) {
    let claimed_copy = match take_pending(s, disabled).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return,
        Err(err) => {
            tracing::warn!(error = %err, endpoint_id = %disabled.id, "could not claim a pending announcement");
            return;
        }
    };
    match announce(s, &claimed_copy, Requeue::Unsent, now).await {
        Ok(told) => {
            tracing::info!(endpoint_id = %disabled.id, told, "endpoint switched off earlier; others told now")
        }
        Err(err) => tracing::error!(error = %err, endpoint_id = %disabled.id,
            "endpoint switched off; its event could not be queued"),
    }
}

/// Clears the pending mark of `disabled`'s switch-off (the one it was read with: an endpoint enabled
/// since, or switched off again, is another story). Returns the endpoint as stored when this write cleared
/// it, so of concurrent callers exactly one gets it; `None` when it was not pending (any more) or is gone.
async fn take_pending(
    s: &DeliveryPorts,
    disabled: &WebhookEndpoint,
) -> Result<Option<WebhookEndpoint>, CoreError> {
    let at = disabled.disabled_at;
    let mut cleared = false;
    let stored = change_endpoint(
        s.endpoints.as_ref(),
        s.clock.as_ref(),
        disabled.clone(),
        |e| {
            // Run again on every re-read copy: what it did to the copy written is what counts.
            cleared = e.announcement_pending && !e.enabled && e.disabled_at == at;
            if cleared {
                e.announcement_pending = false;
            }
            cleared
        },
    )
    .await?;
    Ok(stored.filter(|_| cleared))
}

/// Which of the event's deliveries an announcement queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Requeue {
    /// Those it created: the first announcement.
    NewOnly,
    /// Also those created before and never attempted: an announcement cut short between creating a
    /// delivery and queuing it.
    Unsent,
}

/// Queues the `webhook.endpoint_disabled` event of `disabled` (as it was switched off) to every other
/// enabled endpoint of the tenant that subscribes to it. Returns how many were queued.
async fn announce(
    s: &DeliveryPorts,
    disabled: &WebhookEndpoint,
    requeue: Requeue,
    now: DateTime<Utc>,
) -> Result<usize, CoreError> {
    let disabled_at = disabled.disabled_at.unwrap_or(now);
    let notice = DisabledEndpointNotice {
        endpoint_id: disabled.id,
        template_id: disabled.template_id,
        name: disabled.name.clone(),
        url: disabled.url.clone(),
        reason: disabled.disabled_reason.clone().unwrap_or_default(),
        disabled_at,
        failing_since: disabled.failure_run.map(|run| run.since),
        failed_deliveries: disabled.failure_run.map(|run| run.failures),
    };
    let event = EventType::EndpointDisabled;
    let partition = JobId::of_event(&format!(
        "{}:{}:{}",
        event.as_str(),
        disabled.id,
        disabled_at.timestamp_micros()
    ));
    let recipients = s
        .endpoints
        .list_endpoints(disabled.tenant_id, None)
        .await?
        .into_iter()
        .filter(|e| e.id != disabled.id && e.enabled && e.wants(event));
    let mut queued = 0;
    for recipient in recipients {
        let task = DeliveryTask {
            tenant_id: disabled.tenant_id,
            job_id: partition,
            document_id: None,
            endpoint_id: recipient.id,
            event_type: event,
            webhook_id: DeliveryTask::webhook_id_for_notice(partition, recipient.id, event),
            round: 0,
        };
        let mut delivery = Delivery::pending(task, now, now + s.settings.retention);
        delivery.notice = Some(notice.clone());
        if !s.deliveries.insert_delivery(&delivery).await? {
            let existing = s
                .deliveries
                .get_delivery(delivery.job_id, &delivery.webhook_id)
                .await?;
            let unsent = existing.is_some_and(|d| {
                d.status == DeliveryStatus::Pending && d.total_attempts == 0 && d.round == 0
            });
            if requeue == Requeue::NewOnly || !unsent {
                continue;
            }
        }
        s.delivery_queue.enqueue(&delivery).await?;
        queued += 1;
    }
    Ok(queued)
}

//! Events about the tenant's endpoints: when pagewire switches one off, a `webhook.endpoint_disabled`
//! event goes to the tenant's other enabled endpoints that list it in their `event_types`. It is a
//! delivery like any other (same queue, retry schedule, signature, attempt log and recovery); it is kept
//! under a partition of its own ([`JobId::of_event`]) since no job or document is involved, and carries
//! what it tells ([`DisabledEndpointNotice`]), so every attempt sends the same body.

use super::DeliveryPorts;
use crate::error::CoreError;
use crate::ids::JobId;
use crate::model::{Delivery, DeliveryTask, DisabledEndpointNotice, EventType, WebhookEndpoint};
use chrono::{DateTime, Utc};

/// Queues the `webhook.endpoint_disabled` event of `disabled` (as it was switched off) to every other
/// enabled endpoint of the tenant that subscribes to it. Returns how many were queued. Safe to repeat: the
/// event's ids derive from the endpoint and the time it was switched off, so a delivery that exists is
/// queued again, not duplicated.
pub(super) async fn announce_disabled(
    s: &DeliveryPorts,
    disabled: &WebhookEndpoint,
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
        s.deliveries.insert_delivery(&delivery).await?;
        s.delivery_queue.enqueue(&delivery).await?;
        queued += 1;
    }
    tracing::info!(endpoint_id = %disabled.id, queued, "endpoint switched off; other endpoints told");
    Ok(queued)
}

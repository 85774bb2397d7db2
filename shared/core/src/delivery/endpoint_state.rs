//! Changes the delivery engine makes to an endpoint: switching it off when its receiver answers 410 Gone.
//! Each is a conditional write of just that change over the latest copy, so a rotation or an edit made
//! meanwhile is kept, and an endpoint deleted meanwhile stays deleted.

use crate::clock::Clock;
use crate::configuration::endpoints::change_endpoint;
use crate::error::CoreError;
use crate::model::WebhookEndpoint;
use crate::ports::EndpointRecords;

const GONE_REASON: &str = "the receiver answered 410 Gone";

/// Disables `endpoint` (as the batch read it) after a 410. Nothing to do when it is already disabled or
/// has been deleted since.
pub(super) async fn disable_after_gone(
    endpoints: &dyn EndpointRecords,
    clock: &dyn Clock,
    endpoint: &WebhookEndpoint,
) -> Result<(), CoreError> {
    let changed = change_endpoint(endpoints, clock, endpoint.clone(), |e| {
        if !e.enabled {
            return false;
        }
        e.enabled = false;
        e.disabled_reason = Some(GONE_REASON.to_string());
        true
    })
    .await?;
    if changed.is_none() {
        tracing::info!(endpoint_id = %endpoint.id, "endpoint deleted before it could be disabled");
    }
    Ok(())
}

//! Webhook endpoints: CRUD, secret rotation, test events and the attempt log. Every change of a stored
//! endpoint is a conditional write of that change over the latest copy ([`change_endpoint`]).

use super::endpoint_input::{
    check_endpoint, not_found, parse_method, EndpointInput, EndpointPatch,
};
use super::MAX_WRITE_TRIES;
use crate::clock::Clock;
use crate::delivery::payload::test_event_body;
use crate::delivery::sender::{send_signed, AttemptSubject, SendResult, WebhookSender};
use crate::error::{CoreError, StoreError};
use crate::ids::{EndpointId, TemplateId, TenantId};
use crate::model::records::Versioned;
use crate::model::{DeliveryAttempt, EventType, RetiredSecret, WebhookEndpoint};
use crate::policy::signature::generate_secret;
use crate::policy::webhook_config::url_for_document;
use crate::ports::{AttemptLog, EndpointRecords, TemplateRecords};
use crate::settings::Settings;
use std::sync::Arc;

/// What the webhook endpoints API touches: endpoints, their template (to check it exists), the attempt
/// log, and the sender of test events.
#[derive(Clone)]
pub struct EndpointPorts {
    pub templates: Arc<dyn TemplateRecords>,
    pub endpoints: Arc<dyn EndpointRecords>,
    pub attempts: Arc<dyn AttemptLog>,
    pub sender: WebhookSender,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

pub async fn create(
    s: &EndpointPorts,
    tenant: TenantId,
    input: EndpointInput,
) -> Result<WebhookEndpoint, CoreError> {
    let template_id = TemplateId::parse_given(&input.template_id)?;
    if s.templates
        .get_template(tenant, template_id)
        .await?
        .is_none()
    {
        return Err(CoreError::not_found(
            "template_not_found",
            "no template with this id",
        ));
    }
    let now = s.clock.now();
    let endpoint = WebhookEndpoint {
        id: EndpointId::random(),
        tenant_id: tenant,
        template_id,
        name: input.name.trim().to_string(),
        url: input.url,
        method: parse_method(input.method.as_deref())?,
        headers: input.headers,
        enabled: input.enabled.unwrap_or(true),
        disabled_reason: None,
        disabled_at: None,
        failure_run: None,
        announcement_pending: false,
        event_types: input.event_types.unwrap_or_default(),
        auth: input.auth.unwrap_or_default(),
        secret: generate_secret(),
        previous_secret: None,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    check_endpoint(&s.settings, &endpoint)?;
    s.endpoints.insert_endpoint(&endpoint).await?;
    Ok(endpoint)
}

/// An endpoint of this tenant; malformed, unknown and foreign ids are all not found.
pub async fn get(
    s: &EndpointPorts,
    tenant: TenantId,
    id: &str,
) -> Result<WebhookEndpoint, CoreError> {
    find(s.endpoints.as_ref(), tenant, id).await
}

/// [`get`] over the endpoint records alone (other capabilities name endpoints too).
pub async fn find(
    endpoints: &dyn EndpointRecords,
    tenant: TenantId,
    id: &str,
) -> Result<WebhookEndpoint, CoreError> {
    let id = EndpointId::parse(id).ok_or_else(not_found)?;
    endpoints
        .get_endpoint(tenant, id)
        .await?
        .ok_or_else(not_found)
}

/// Applies `change` to the stored endpoint, starting from `known` (as the caller read it), until a
/// conditional write of the result lands: a copy changed meanwhile is read again and the change applied
/// to it, so no concurrent change is lost. `change` returns `Ok(false)` when there is nothing to change.
/// Returns the endpoint as stored afterwards, or `None` when it has been deleted.
pub async fn change_endpoint(
    endpoints: &dyn EndpointRecords,
    clock: &dyn Clock,
    known: WebhookEndpoint,
    mut change: impl FnMut(&mut WebhookEndpoint) -> bool,
) -> Result<Option<WebhookEndpoint>, CoreError> {
    try_change_endpoint(endpoints, clock, known, |e| Ok(change(e))).await
}

/// [`change_endpoint`] with a change that may refuse (a patch that makes the endpoint invalid).
pub async fn try_change_endpoint(
    endpoints: &dyn EndpointRecords,
    clock: &dyn Clock,
    known: WebhookEndpoint,
    mut change: impl FnMut(&mut WebhookEndpoint) -> Result<bool, CoreError>,
) -> Result<Option<WebhookEndpoint>, CoreError> {
    let (tenant, id) = (known.tenant_id, known.id);
    let mut current = Some(known);
    for _ in 0..MAX_WRITE_TRIES {
        let mut endpoint = match current.take() {
            Some(endpoint) => endpoint,
            None => match endpoints.get_endpoint(tenant, id).await? {
                Some(endpoint) => endpoint,
                None => return Ok(None),
            },
        };
        if !change(&mut endpoint)? {
            return Ok(Some(endpoint));
        }
        endpoint.updated_at = clock.now();
        match endpoints.update_endpoint(&endpoint).await {
            Ok(()) => return Ok(Some(endpoint.written())),
            Err(StoreError::Conflict) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Err(CoreError::Unavailable(format!(
        "webhook endpoint {id} kept changing under concurrent writers"
    )))
}

pub async fn list(
    s: &EndpointPorts,
    tenant: TenantId,
    template: Option<&str>,
) -> Result<Vec<WebhookEndpoint>, CoreError> {
    let template = match template {
        None => None,
        Some(t) => Some(TemplateId::parse_given(t)?),
    };
    Ok(s.endpoints.list_endpoints(tenant, template).await?)
}

pub async fn update(
    s: &EndpointPorts,
    tenant: TenantId,
    id: &str,
    patch: EndpointPatch,
) -> Result<WebhookEndpoint, CoreError> {
    let endpoint = get(s, tenant, id).await?;
    let method = patch
        .method
        .as_deref()
        .map(|m| parse_method(Some(m)))
        .transpose()?;
    let changed = try_change_endpoint(s.endpoints.as_ref(), s.clock.as_ref(), endpoint, |e| {
        if let Some(name) = &patch.name {
            e.name = name.trim().to_string();
        }
        if let Some(url) = &patch.url {
            e.url = url.clone();
        }
        if let Some(method) = method {
            e.method = method;
        }
        if let Some(headers) = &patch.headers {
            e.headers = headers.clone();
        }
        if let Some(enabled) = patch.enabled {
            e.set_enabled_by_tenant(enabled);
        }
        if let Some(events) = &patch.event_types {
            e.event_types = events.clone();
        }
        if let Some(auth) = &patch.auth {
            e.auth = auth.clone();
        }
        check_endpoint(&s.settings, e)?;
        Ok(true)
    })
    .await?;
    changed.ok_or_else(not_found)
}

pub async fn delete(s: &EndpointPorts, tenant: TenantId, id: &str) -> Result<(), CoreError> {
    let endpoint = get(s, tenant, id).await?;
    s.endpoints.delete_endpoint(tenant, endpoint.id).await?;
    Ok(())
}

/// A new signing secret; the old one keeps signing (beside the new) for the rotation grace period.
pub async fn rotate_secret(
    s: &EndpointPorts,
    tenant: TenantId,
    id: &str,
) -> Result<WebhookEndpoint, CoreError> {
    let endpoint = get(s, tenant, id).await?;
    let grace = s.settings.secret_rotation_grace;
    let changed = change_endpoint(s.endpoints.as_ref(), s.clock.as_ref(), endpoint, |e| {
        e.previous_secret = Some(RetiredSecret {
            secret: e.secret.clone(),
            valid_until: s.clock.now() + grace,
        });
        e.secret = generate_secret();
        true
    })
    .await?;
    changed.ok_or_else(not_found)
}

/// Sends a signed `webhook.test` event now, records the attempt and reports how it went.
pub async fn send_test(
    s: &EndpointPorts,
    tenant: TenantId,
    id: &str,
) -> Result<DeliveryAttempt, CoreError> {
    let endpoint = get(s, tenant, id).await?;
    let now = s.clock.now();
    let webhook_id = format!("msg_test_{}", uuid::Uuid::new_v4().simple());
    let body = test_event_body(&endpoint, now);
    let sent = match url_for_document(&endpoint.url, "test", s.sender.allow_http) {
        Ok(url) => send_signed(&s.sender, &endpoint, &webhook_id, url, body).await,
        Err(refused) => SendResult::refused(refused.to_string()),
    };
    let subject = AttemptSubject {
        webhook_id: &webhook_id,
        endpoint: &endpoint,
        job: None,
        document: None,
        event_type: EventType::WebhookTest,
    };
    let attempt = sent.into_attempt(subject, 1, now, s.settings.retention);
    s.attempts.append_attempt(&attempt).await?;
    Ok(attempt)
}

/// The newest attempts made to this endpoint (at most `limit`, newest first).
pub async fn attempts(
    s: &EndpointPorts,
    tenant: TenantId,
    id: &str,
    limit: Option<&str>,
) -> Result<Vec<DeliveryAttempt>, CoreError> {
    let limit = attempt_list_limit(limit)?;
    let endpoint = get(s, tenant, id).await?;
    Ok(s.attempts
        .list_endpoint_attempts(tenant, endpoint.id, s.clock.now(), limit)
        .await?)
}

/// The most attempts one listing returns, and how many when the caller does not say.
pub const MAX_ATTEMPTS_LISTED: usize = 500;
const DEFAULT_ATTEMPTS_LISTED: usize = 100;

/// `?limit=` of the attempt listing: absent means the default; anything but an integer from 1 to
/// [`MAX_ATTEMPTS_LISTED`] is refused, so a typo is not quietly read as the default.
pub fn attempt_list_limit(raw: Option<&str>) -> Result<usize, CoreError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_ATTEMPTS_LISTED);
    };
    raw.parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_ATTEMPTS_LISTED).contains(n))
        .ok_or_else(|| {
            CoreError::invalid_at(
                "invalid_limit",
                "limit",
                format!("must be an integer from 1 to {MAX_ATTEMPTS_LISTED}"),
            )
        })
}

//! Webhook endpoints: CRUD, secret rotation, test events and the attempt log.

use crate::error::CoreError;
use crate::ids::{EndpointId, TemplateId, TenantId};
use crate::model::{
    DeliveryAttempt, EndpointAuth, EventType, HttpMethod, RetiredSecret, WebhookEndpoint,
};
use crate::policy::signature::generate_secret;
use crate::policy::ssrf::AddressPolicy;
use crate::policy::webhook_config::{
    check_header, check_literal_host, check_url, url_for_document,
};
use crate::services::Services;
use crate::usecases::send::{send_signed, SendResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The body of `POST /webhooks`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    pub template_id: String,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub event_types: Option<Vec<EventType>>,
    #[serde(default)]
    pub auth: Option<EndpointAuth>,
}

/// The body of `PATCH /webhooks/{id}` (and `PUT`): only the given fields change.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub method: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    pub enabled: Option<bool>,
    pub event_types: Option<Vec<EventType>>,
    pub auth: Option<EndpointAuth>,
}

/// How an endpoint is shown. The secret only where the caller asked for one endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointView {
    pub id: EndpointId,
    pub template_id: TemplateId,
    pub name: String,
    pub url: String,
    pub method: HttpMethod,
    pub headers: BTreeMap<String, String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub event_types: Vec<EventType>,
    pub auth: EndpointAuth,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl EndpointView {
    pub fn new(e: &WebhookEndpoint, with_secret: bool) -> Self {
        Self {
            id: e.id,
            template_id: e.template_id,
            name: e.name.clone(),
            url: e.url.clone(),
            method: e.method,
            headers: e.headers.clone(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            event_types: e.event_types.clone(),
            auth: e.auth.clone(),
            secret: with_secret.then(|| e.secret.clone()),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

fn invalid(message: impl Into<String>) -> CoreError {
    CoreError::invalid("invalid_webhook", message)
}

fn not_found() -> CoreError {
    CoreError::not_found("webhook_not_found", "no webhook endpoint with this id")
}

fn parse_method(text: Option<&str>) -> Result<HttpMethod, CoreError> {
    match text {
        None => Ok(HttpMethod::Post),
        Some(m) => HttpMethod::parse(m)
            .ok_or_else(|| invalid("method must be POST, PUT, PATCH, GET or DELETE")),
    }
}

fn check_endpoint(s: &Services, e: &WebhookEndpoint) -> Result<(), CoreError> {
    let name = e.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(invalid("name must have 1 to 200 characters"));
    }
    let allow_http = s.settings.allow_http_webhooks;
    let addresses = AddressPolicy::from_settings(&s.settings);
    let url = check_url(&e.url, allow_http).map_err(|r| invalid(r.0))?;
    check_literal_host(&url, addresses).map_err(|r| invalid(r.0))?;
    if e.headers.len() > 50 {
        return Err(invalid("at most 50 custom headers"));
    }
    for (k, v) in &e.headers {
        check_header(k, v).map_err(|r| invalid(r.0))?;
    }
    if e.event_types.contains(&EventType::WebhookTest) {
        return Err(invalid(
            "webhook.test is sent on request only and cannot be subscribed to",
        ));
    }
    match &e.auth {
        EndpointAuth::None => {}
        EndpointAuth::Fixed { authorization } => {
            check_header("Authorization", authorization)
                .map_err(|_| invalid("authorization has CR or LF"))?;
        }
        EndpointAuth::TokenUrl {
            url,
            headers,
            token_attribute,
            scheme,
            ..
        } => {
            let url =
                check_url(url, allow_http).map_err(|r| invalid(format!("auth url: {}", r.0)))?;
            check_literal_host(&url, addresses)
                .map_err(|r| invalid(format!("auth url: {}", r.0)))?;
            for (k, v) in headers {
                check_header(k, v).map_err(|r| invalid(format!("auth header: {}", r.0)))?;
            }
            if token_attribute.trim().is_empty() {
                return Err(invalid("auth token_attribute is required"));
            }
            if scheme.chars().any(|c| c.is_control() || c == ' ') {
                return Err(invalid("auth scheme must be a single word"));
            }
        }
    }
    Ok(())
}

pub async fn create(
    s: &Services,
    tenant: TenantId,
    input: EndpointInput,
) -> Result<WebhookEndpoint, CoreError> {
    let template_id = TemplateId::parse(&input.template_id)
        .ok_or_else(|| CoreError::not_found("template_not_found", "no template with this id"))?;
    if s.config.get_template(tenant, template_id).await?.is_none() {
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
        event_types: input.event_types.unwrap_or_default(),
        auth: input.auth.unwrap_or_default(),
        secret: generate_secret(),
        previous_secret: None,
        created_at: now,
        updated_at: now,
    };
    check_endpoint(s, &endpoint)?;
    s.config.put_endpoint(&endpoint).await?;
    Ok(endpoint)
}

/// An endpoint of this tenant; malformed, unknown and foreign ids are all not found.
pub async fn get(s: &Services, tenant: TenantId, id: &str) -> Result<WebhookEndpoint, CoreError> {
    let id = EndpointId::parse(id).ok_or_else(not_found)?;
    s.config
        .get_endpoint(tenant, id)
        .await?
        .ok_or_else(not_found)
}

pub async fn list(
    s: &Services,
    tenant: TenantId,
    template: Option<&str>,
) -> Result<Vec<WebhookEndpoint>, CoreError> {
    let template = match template {
        None => None,
        Some(t) => Some(TemplateId::parse(t).ok_or_else(|| invalid("template_id is not a UUID"))?),
    };
    Ok(s.config.list_endpoints(tenant, template).await?)
}

pub async fn update(
    s: &Services,
    tenant: TenantId,
    id: &str,
    patch: EndpointPatch,
) -> Result<WebhookEndpoint, CoreError> {
    let mut endpoint = get(s, tenant, id).await?;
    if let Some(name) = patch.name {
        endpoint.name = name.trim().to_string();
    }
    if let Some(url) = patch.url {
        endpoint.url = url;
    }
    if let Some(method) = patch.method {
        endpoint.method = parse_method(Some(&method))?;
    }
    if let Some(headers) = patch.headers {
        endpoint.headers = headers;
    }
    if let Some(enabled) = patch.enabled {
        endpoint.enabled = enabled;
        endpoint.disabled_reason = None;
    }
    if let Some(events) = patch.event_types {
        endpoint.event_types = events;
    }
    if let Some(auth) = patch.auth {
        endpoint.auth = auth;
    }
    endpoint.updated_at = s.clock.now();
    check_endpoint(s, &endpoint)?;
    s.config.put_endpoint(&endpoint).await?;
    Ok(endpoint)
}

pub async fn delete(s: &Services, tenant: TenantId, id: &str) -> Result<(), CoreError> {
    let endpoint = get(s, tenant, id).await?;
    s.config.delete_endpoint(tenant, endpoint.id).await?;
    Ok(())
}

/// A new signing secret; the old one keeps signing (beside the new) for the rotation grace period.
pub async fn rotate_secret(
    s: &Services,
    tenant: TenantId,
    id: &str,
) -> Result<WebhookEndpoint, CoreError> {
    let mut endpoint = get(s, tenant, id).await?;
    let now = s.clock.now();
    endpoint.previous_secret = Some(RetiredSecret {
        secret: endpoint.secret.clone(),
        valid_until: now + s.settings.secret_rotation_grace,
    });
    endpoint.secret = generate_secret();
    endpoint.updated_at = now;
    s.config.put_endpoint(&endpoint).await?;
    Ok(endpoint)
}

/// Sends a signed `webhook.test` event now, records the attempt and reports how it went.
pub async fn send_test(
    s: &Services,
    tenant: TenantId,
    id: &str,
) -> Result<DeliveryAttempt, CoreError> {
    let endpoint = get(s, tenant, id).await?;
    let now = s.clock.now();
    let webhook_id = format!("msg_test_{}", uuid::Uuid::new_v4().simple());
    let body = crate::usecases::payload::test_event_body(&endpoint, now);
    let sent = match url_for_document(&endpoint.url, "test", s.settings.allow_http_webhooks) {
        Ok(url) => send_signed(s, &endpoint, &webhook_id, url, body).await,
        Err(refused) => SendResult::refused(refused.0),
    };
    let attempt = sent.into_attempt(
        &webhook_id,
        &endpoint,
        None,
        None,
        EventType::WebhookTest,
        1,
        now,
        s,
    );
    s.jobs.append_attempt(&attempt).await?;
    Ok(attempt)
}

/// The newest attempts made to this endpoint (at most `limit`, newest first).
pub async fn attempts(
    s: &Services,
    tenant: TenantId,
    id: &str,
    limit: usize,
) -> Result<Vec<DeliveryAttempt>, CoreError> {
    let endpoint = get(s, tenant, id).await?;
    Ok(s.jobs
        .list_endpoint_attempts(tenant, endpoint.id, s.clock.now(), limit.clamp(1, 500))
        .await?)
}

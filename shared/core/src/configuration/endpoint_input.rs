//! What clients send to create or change an endpoint, how an endpoint is shown, and the rules an endpoint
//! must keep to be stored.

use crate::error::CoreError;
use crate::ids::{EndpointId, TemplateId};
use crate::model::{EndpointAuth, EventType, HttpMethod, WebhookEndpoint};
use crate::policy::ssrf::AddressPolicy;
use crate::policy::text_limits::name_refusal;
use crate::policy::webhook_config::{
    check_field_value, check_header, check_literal_host, check_url, is_token, ConfigRefused,
};
use crate::settings::Settings;
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
    /// When pagewire switched it off (with `disabled_reason`).
    pub disabled_at: Option<chrono::DateTime<chrono::Utc>>,
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
            disabled_at: e.disabled_at,
            event_types: e.event_types.clone(),
            auth: e.auth.clone(),
            secret: with_secret.then(|| e.secret.clone()),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

pub(super) fn invalid(path: impl std::fmt::Display, message: impl std::fmt::Display) -> CoreError {
    CoreError::invalid_at("invalid_webhook", path, message)
}

fn refused(r: ConfigRefused) -> CoreError {
    invalid(r.field, r.why)
}

pub(super) fn not_found() -> CoreError {
    CoreError::not_found("webhook_not_found", "no webhook endpoint with this id")
}

pub(super) fn parse_method(text: Option<&str>) -> Result<HttpMethod, CoreError> {
    match text {
        None => Ok(HttpMethod::Post),
        Some(m) => HttpMethod::parse(m)
            .ok_or_else(|| invalid("method", "must be POST, PUT, PATCH, GET or DELETE")),
    }
}

pub(super) fn check_endpoint(settings: &Settings, e: &WebhookEndpoint) -> Result<(), CoreError> {
    if let Some(why) = name_refusal(&e.name, 200) {
        return Err(invalid("name", why));
    }
    let allow_http = settings.allow_http_webhooks;
    let addresses = AddressPolicy::from_settings(settings);
    let url = check_url(&e.url, allow_http).map_err(refused)?;
    check_literal_host(&url, addresses).map_err(refused)?;
    if e.headers.len() > 50 {
        return Err(invalid("headers", "at most 50 custom headers"));
    }
    for (k, v) in &e.headers {
        check_header(k, v).map_err(refused)?;
    }
    if let Some(index) = e
        .event_types
        .iter()
        .position(|t| *t == EventType::WebhookTest)
    {
        return Err(invalid(
            format_args!("event_types[{index}]"),
            "webhook.test is sent on request only and cannot be subscribed to",
        ));
    }
    match &e.auth {
        EndpointAuth::None => {}
        EndpointAuth::Fixed { authorization } => {
            check_field_value(authorization).map_err(|why| invalid("auth.authorization", why))?;
        }
        EndpointAuth::TokenUrl {
            url,
            headers,
            token_attribute,
            scheme,
            ..
        } => {
            let under_auth = |r: ConfigRefused| refused(r.under("auth"));
            let url = check_url(url, allow_http).map_err(under_auth)?;
            check_literal_host(&url, addresses).map_err(under_auth)?;
            for (k, v) in headers {
                check_header(k, v).map_err(under_auth)?;
            }
            if token_attribute.trim().is_empty() {
                return Err(invalid("auth.token_attribute", "is required"));
            }
            // Empty sends the token alone.
            if !scheme.is_empty() && !is_token(scheme) {
                return Err(invalid(
                    "auth.scheme",
                    "must be one word of letters, digits or !#$%&'*+-.^_`|~",
                ));
            }
        }
    }
    Ok(())
}

use super::EventType;
use crate::ids::{EndpointId, TemplateId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "GET" => Some(HttpMethod::Get),
            "POST" => Some(HttpMethod::Post),
            "PUT" => Some(HttpMethod::Put),
            "PATCH" => Some(HttpMethod::Patch),
            "DELETE" => Some(HttpMethod::Delete),
            _ => None,
        }
    }
}

/// How pagewire authenticates itself to the receiver, on top of the signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EndpointAuth {
    #[default]
    None,
    /// A fixed `Authorization` header value.
    Fixed { authorization: String },
    /// A token fetched from `url` at delivery time and sent as `Authorization: {scheme} {token}`.
    TokenUrl {
        url: String,
        #[serde(default = "default_token_method")]
        method: HttpMethod,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        #[serde(default)]
        body: Option<Value>,
        token_attribute: String,
        #[serde(default = "default_scheme")]
        scheme: String,
    },
}

fn default_token_method() -> HttpMethod {
    HttpMethod::Post
}

fn default_scheme() -> String {
    "Bearer".to_string()
}

/// A signing key that was replaced but still signs until `valid_until`, so receivers can roll over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredSecret {
    pub secret: String,
    pub valid_until: DateTime<Utc>,
}

/// Where and how the results of a template's documents are pushed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: EndpointId,
    pub tenant_id: TenantId,
    pub template_id: TemplateId,
    pub name: String,
    /// May contain `:id`, replaced by the document id at delivery time.
    pub url: String,
    pub method: HttpMethod,
    pub headers: BTreeMap<String, String>,
    pub enabled: bool,
    /// Why the endpoint was switched off, when pagewire did it (a 410 from the receiver, or a long run of
    /// failed deliveries: [`crate::policy::endpoint_failures`]).
    pub disabled_reason: Option<String>,
    /// When pagewire switched it off (set with `disabled_reason`).
    #[serde(default)]
    pub disabled_at: Option<DateTime<Utc>>,
    /// The deliveries that failed for good since the last success: what the disable rule reads. Cleared by
    /// a success and by enabling the endpoint.
    #[serde(default)]
    pub failure_run: Option<FailureRun>,
    /// Switched off by pagewire, and the tenant's other endpoints not yet told: set by the write that
    /// switches it off, cleared once the `webhook.endpoint_disabled` deliveries are queued. Should that be
    /// cut short (a crash, a store error), the next delivery that finds the endpoint off tells them.
    #[serde(default)]
    pub announcement_pending: bool,
    pub event_types: Vec<EventType>,
    pub auth: EndpointAuth,
    /// `whsec_` + base64 of the key bytes, as Standard Webhooks libraries expect.
    pub secret: String,
    pub previous_secret: Option<RetiredSecret>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change, so a change made meanwhile is never overwritten (see `model::records`).
    #[serde(default)]
    pub version: u64,
}

impl WebhookEndpoint {
    /// The secrets that sign a message sent at `now`: the current one, then a retired one still in grace.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let Some(old) = &self.previous_secret {
            if old.valid_until > now {
                secrets.push(old.secret.as_str());
            }
        }
        secrets
    }

    /// Whether the endpoint subscribes to `event`. No list means every document event: an event about
    /// the account (`webhook.endpoint_disabled`) has another body, which a receiver written for documents
    /// would misread, so it goes only to endpoints that list it.
    pub fn wants(&self, event: EventType) -> bool {
        if self.event_types.is_empty() {
            return event.is_about_a_document();
        }
        self.event_types.contains(&event)
    }

    /// Switched off by pagewire at `at`, for `reason`; the failure run ends with it.
    pub fn disable(&mut self, reason: String, at: DateTime<Utc>) {
        self.enabled = false;
        self.disabled_reason = Some(reason);
        self.disabled_at = Some(at);
        self.failure_run = None;
        self.announcement_pending = true;
    }

    /// Enabled or disabled by the tenant: whatever pagewire recorded about an earlier switch-off, and
    /// the failures that led to it, no longer apply.
    pub fn set_enabled_by_tenant(&mut self, enabled: bool) {
        self.enabled = enabled;
        self.disabled_reason = None;
        self.disabled_at = None;
        self.failure_run = None;
        self.announcement_pending = false;
    }
}

/// Deliveries to one endpoint that failed for good in a row, with no success between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureRun {
    /// When the first of them failed.
    pub since: DateTime<Utc>,
    pub failures: u32,
}

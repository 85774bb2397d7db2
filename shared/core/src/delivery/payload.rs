//! The bytes of webhook bodies. Built once per event from stored state, so every attempt sends, and
//! signs, the same body.

use crate::model::{
    DisabledEndpointNotice, Document, EventType, ExtractedField, Failure, Job, WebhookEndpoint,
};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

/// A document event, with the fields receivers of such services already parse (`job_id`, `template_id`, `static_values`, `result`) first.
#[derive(Debug, Serialize)]
pub struct DocumentEvent<'a> {
    pub job_id: String,
    pub template_id: String,
    pub static_values: &'a Map<String, Value>,
    pub result: Option<Map<String, Value>>,
    /// Each value with its page, box, text read, confidence and warnings, in template order.
    pub fields: Option<&'a [ExtractedField]>,
    #[serde(rename = "type")]
    pub event_type: &'static str,
    pub document_id: String,
    pub file_name: &'a str,
    pub status: &'static str,
    pub pages: u32,
    pub error: Option<&'a Failure>,
    pub timestamp: DateTime<Utc>,
}

pub fn document_event_body(job: &Job, doc: &Document, event: EventType) -> Bytes {
    let body = DocumentEvent {
        job_id: job.id.to_string(),
        template_id: job.template_id.to_string(),
        static_values: &job.static_values,
        result: doc.result(),
        fields: doc.fields.as_deref(),
        event_type: event.as_str(),
        document_id: doc.id.to_string(),
        file_name: &doc.file_name,
        status: doc.status.as_str(),
        pages: doc.pages,
        error: doc.error.as_ref(),
        timestamp: doc.completed_at.unwrap_or(doc.updated_at),
    };
    // Serialising plain structs and maps of JSON values cannot fail.
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

pub fn test_event_body(endpoint: &WebhookEndpoint, now: DateTime<Utc>) -> Bytes {
    let body = serde_json::json!({
        "type": EventType::WebhookTest.as_str(),
        "endpoint_id": endpoint.id.to_string(),
        "template_id": endpoint.template_id.to_string(),
        "timestamp": now,
    });
    Bytes::from(body.to_string())
}

/// A `webhook.endpoint_disabled` event: which endpoint pagewire switched off, why and when. Its
/// `timestamp` is when it was switched off, so every attempt sends the same bytes.
#[derive(Debug, Serialize)]
pub struct EndpointDisabledEvent<'a> {
    #[serde(rename = "type")]
    pub event_type: &'static str,
    pub endpoint_id: String,
    pub endpoint_name: &'a str,
    pub template_id: String,
    pub url: &'a str,
    pub reason: &'a str,
    pub disabled_at: DateTime<Utc>,
    pub failing_since: Option<DateTime<Utc>>,
    pub failed_deliveries: Option<u32>,
    pub timestamp: DateTime<Utc>,
}

pub fn endpoint_disabled_body(notice: &DisabledEndpointNotice) -> Bytes {
    let body = EndpointDisabledEvent {
        event_type: EventType::EndpointDisabled.as_str(),
        endpoint_id: notice.endpoint_id.to_string(),
        endpoint_name: &notice.name,
        template_id: notice.template_id.to_string(),
        url: &notice.url,
        reason: &notice.reason,
        disabled_at: notice.disabled_at,
        failing_since: notice.failing_since,
        failed_deliveries: notice.failed_deliveries,
        timestamp: notice.disabled_at,
    };
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

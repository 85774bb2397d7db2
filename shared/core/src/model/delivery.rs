use crate::ids::{DocumentId, EndpointId, JobId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "document.completed")]
    DocumentCompleted,
    #[serde(rename = "document.failed")]
    DocumentFailed,
    #[serde(rename = "webhook.test")]
    WebhookTest,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::DocumentCompleted => "document.completed",
            EventType::DocumentFailed => "document.failed",
            EventType::WebhookTest => "webhook.test",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

/// The queue message that asks for one event to be sent to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryTask {
    pub tenant_id: TenantId,
    pub job_id: JobId,
    pub document_id: DocumentId,
    pub endpoint_id: EndpointId,
    pub event_type: EventType,
    pub webhook_id: String,
    /// Bumped by a redelivery; a message of an older round is stale and dropped.
    pub round: u32,
}

impl DeliveryTask {
    /// The `webhook-id` header: the same for every attempt and redelivery of one event to one endpoint,
    /// so receivers can de-duplicate.
    pub fn webhook_id_for(
        job: JobId,
        document: DocumentId,
        endpoint: EndpointId,
        event: EventType,
    ) -> String {
        let digest =
            Sha256::digest(format!("{job}:{document}:{endpoint}:{}", event.as_str()).as_bytes());
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("msg_{hex}")
    }

    /// The task that sends the current round of `delivery`.
    pub fn of(delivery: &Delivery) -> Self {
        Self {
            tenant_id: delivery.tenant_id,
            job_id: delivery.job_id,
            document_id: delivery.document_id,
            endpoint_id: delivery.endpoint_id,
            event_type: delivery.event_type,
            webhook_id: delivery.webhook_id.clone(),
            round: delivery.round,
        }
    }
}

/// The state of one event to one endpoint, across its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub webhook_id: String,
    pub tenant_id: TenantId,
    pub job_id: JobId,
    pub document_id: DocumentId,
    pub endpoint_id: EndpointId,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub round: u32,
    /// Attempts made in the current round; the retry schedule is indexed by it.
    pub round_attempts: u32,
    pub total_attempts: u32,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub version: u64,
}

/// What went wrong with an attempt, coarse enough to show and to decide on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The receiver answered with a non-2xx status.
    HttpStatus,
    /// The receiver answered with a redirect, which is never followed.
    Redirect,
    Timeout,
    Connect,
    /// The URL or its resolved address was refused before any connection (scheme, SSRF rules).
    Refused,
    /// Fetching the auth token failed.
    Auth,
}

/// One try at sending one event to one endpoint. Holds no body and no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    pub webhook_id: String,
    pub tenant_id: TenantId,
    pub endpoint_id: EndpointId,
    pub job_id: Option<JobId>,
    pub document_id: Option<DocumentId>,
    pub event_type: EventType,
    pub attempt: u32,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error_class: Option<ErrorClass>,
    pub error: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_id_is_stable_and_distinct_per_event_and_endpoint() {
        let (j, d, e) = (JobId::random(), DocumentId::random(), EndpointId::random());
        let a = DeliveryTask::webhook_id_for(j, d, e, EventType::DocumentCompleted);
        assert_eq!(
            a,
            DeliveryTask::webhook_id_for(j, d, e, EventType::DocumentCompleted)
        );
        assert_ne!(
            a,
            DeliveryTask::webhook_id_for(j, d, EndpointId::random(), EventType::DocumentCompleted)
        );
        assert_ne!(
            a,
            DeliveryTask::webhook_id_for(j, d, e, EventType::DocumentFailed)
        );
        assert!(a.starts_with("msg_") && a.len() == 36);
    }
}

use crate::ids::{DocumentId, EndpointId, JobId, TemplateId, TenantId};
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
    /// Another endpoint of the tenant was switched off by pagewire (410 Gone, or a long run of failures).
    #[serde(rename = "webhook.endpoint_disabled")]
    EndpointDisabled,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::DocumentCompleted => "document.completed",
            EventType::DocumentFailed => "document.failed",
            EventType::WebhookTest => "webhook.test",
            EventType::EndpointDisabled => "webhook.endpoint_disabled",
        }
    }

    /// Whether the event announces a document (what an endpoint without an `event_types` list gets).
    pub fn is_about_a_document(self) -> bool {
        matches!(
            self,
            EventType::DocumentCompleted | EventType::DocumentFailed
        )
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
    /// See [`Delivery::job_id`].
    pub job_id: JobId,
    /// `None` for an event that is not about a document.
    pub document_id: Option<DocumentId>,
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
        stable_webhook_id(&format!("{job}:{document}:{endpoint}:{}", event.as_str()))
    }

    /// The `webhook-id` of an event about an endpoint (kept under `partition`, see [`Delivery::job_id`])
    /// to the endpoint `recipient`: the same for every attempt and recovery.
    pub fn webhook_id_for_notice(
        partition: JobId,
        recipient: EndpointId,
        event: EventType,
    ) -> String {
        stable_webhook_id(&format!(
            "notice:{partition}:{recipient}:{}",
            event.as_str()
        ))
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

fn stable_webhook_id(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("msg_{hex}")
}

/// What a `webhook.endpoint_disabled` event says, stored with each of its deliveries so every attempt
/// (and a recovery) sends the same body: the endpoint pagewire switched off, why and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisabledEndpointNotice {
    pub endpoint_id: EndpointId,
    pub template_id: TemplateId,
    pub name: String,
    pub url: String,
    pub reason: String,
    pub disabled_at: DateTime<Utc>,
    /// When its deliveries started failing without a success since (the failure rule only).
    pub failing_since: Option<DateTime<Utc>>,
    /// How many deliveries in a row had failed for good (the failure rule only).
    pub failed_deliveries: Option<u32>,
}

/// The state of one event to one endpoint, across its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub webhook_id: String,
    pub tenant_id: TenantId,
    /// The partition the delivery is kept under (its expiry unit): the job of the document it
    /// announces, or for an event about an endpoint an id derived from that event
    /// ([`JobId::of_event`]), under which no job is stored.
    pub job_id: JobId,
    /// `None` for an event that is not about a document.
    pub document_id: Option<DocumentId>,
    pub endpoint_id: EndpointId,
    pub event_type: EventType,
    /// The disabled endpoint a `webhook.endpoint_disabled` delivery tells about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<DisabledEndpointNotice>,
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

impl Delivery {
    /// The first round of `task`'s delivery, its first attempt due `now`, kept until `expires_at`.
    pub fn pending(task: DeliveryTask, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Self {
        Self {
            webhook_id: task.webhook_id,
            tenant_id: task.tenant_id,
            job_id: task.job_id,
            document_id: task.document_id,
            endpoint_id: task.endpoint_id,
            event_type: task.event_type,
            notice: None,
            status: DeliveryStatus::Pending,
            round: 0,
            round_attempts: 0,
            total_attempts: 0,
            last_status_code: None,
            last_error: None,
            next_attempt_at: Some(now),
            created_at: now,
            updated_at: now,
            expires_at,
            version: 0,
        }
    }
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

    #[test]
    fn notice_webhook_ids_differ_per_recipient_and_from_document_ids() {
        let (partition, e) = (JobId::random(), EndpointId::random());
        let a = DeliveryTask::webhook_id_for_notice(partition, e, EventType::EndpointDisabled);
        assert_eq!(
            a,
            DeliveryTask::webhook_id_for_notice(partition, e, EventType::EndpointDisabled)
        );
        assert_ne!(
            a,
            DeliveryTask::webhook_id_for_notice(
                partition,
                EndpointId::random(),
                EventType::EndpointDisabled
            )
        );
        assert!(a.starts_with("msg_") && a.len() == 36);
    }

    #[test]
    fn only_document_events_go_to_endpoints_without_a_list() {
        assert!(EventType::DocumentCompleted.is_about_a_document());
        assert!(EventType::DocumentFailed.is_about_a_document());
        assert!(!EventType::EndpointDisabled.is_about_a_document());
        assert!(!EventType::WebhookTest.is_about_a_document());
    }

    #[test]
    fn a_delivery_stored_before_notices_existed_still_reads() {
        let old = serde_json::json!({
            "webhook_id": "msg_x", "tenant_id": TenantId::random(), "job_id": JobId::random(),
            "document_id": DocumentId::random(), "endpoint_id": EndpointId::random(),
            "event_type": "document.completed", "status": "failed", "round": 0, "round_attempts": 7,
            "total_attempts": 7, "last_status_code": 500, "last_error": null, "next_attempt_at": null,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "expires_at": "2026-01-02T00:00:00Z", "version": 3
        });
        let read: Delivery = serde_json::from_value(old).expect("old delivery");
        assert!(read.document_id.is_some() && read.notice.is_none());
    }
}

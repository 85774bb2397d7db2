//! `GET /job-status` and `GET /jobs/{id}`: where a job and each of its documents and deliveries stand.

use super::{load_job, QueryPorts};
use crate::error::CoreError;
use crate::ids::{DocumentId, EndpointId, JobId, TemplateId, TenantId};
use crate::model::{Delivery, DeliveryAttempt, DeliveryStatus, EventType, Failure, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    pub endpoint_id: EndpointId,
    pub webhook_id: String,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentStatusView {
    pub document_id: DocumentId,
    pub file_name: String,
    pub status: Status,
    pub pages: u32,
    pub error: Option<Failure>,
    pub deliveries: Vec<DeliveryView>,
}

/// The answer of `GET /job-status`.
#[derive(Debug, Clone, Serialize)]
pub struct JobStatusView {
    pub job_id: JobId,
    pub template_id: TemplateId,
    pub status: Status,
    pub file_name: String,
    pub pages: u32,
    pub credits_charged: u32,
    pub documents_total: Option<u32>,
    pub documents_completed: u32,
    pub static_values: Map<String, Value>,
    pub error: Option<Failure>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub documents: Vec<DocumentStatusView>,
    /// Only in `GET /jobs/{id}`: every delivery attempt of the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<DeliveryAttempt>>,
}

pub async fn job_status(
    s: &QueryPorts,
    tenant: TenantId,
    id: &str,
    with_attempts: bool,
) -> Result<JobStatusView, CoreError> {
    let now = s.clock.now();
    let job = load_job(s.jobs.as_ref(), now, tenant, id).await?;
    let documents = s.documents.list_documents(job.id, now).await?;
    let deliveries = s.deliveries.list_deliveries(job.id, now).await?;
    let attempts = if with_attempts {
        Some(s.attempts.list_job_attempts(job.id, now).await?)
    } else {
        None
    };
    let documents = documents
        .into_iter()
        .map(|d| DocumentStatusView {
            document_id: d.id,
            file_name: d.file_name.clone(),
            status: d.status,
            pages: d.pages,
            error: d.error.clone(),
            deliveries: deliveries
                .iter()
                .filter(|x| x.document_id == Some(d.id))
                .map(delivery_view)
                .collect(),
        })
        .collect();
    Ok(JobStatusView {
        job_id: job.id,
        template_id: job.template_id,
        status: job.status,
        file_name: job.file_name,
        pages: job.pages,
        credits_charged: job.credits_charged,
        documents_total: job.documents_total,
        documents_completed: job.completed_documents.len() as u32,
        static_values: job.static_values,
        error: job.error,
        created_at: job.created_at,
        completed_at: job.completed_at,
        expires_at: job.expires_at,
        documents,
        attempts,
    })
}

fn delivery_view(d: &Delivery) -> DeliveryView {
    DeliveryView {
        endpoint_id: d.endpoint_id,
        webhook_id: d.webhook_id.clone(),
        event_type: d.event_type,
        status: d.status,
        attempts: d.total_attempts,
        last_status_code: d.last_status_code,
        last_error: d.last_error.clone(),
        next_attempt_at: d.next_attempt_at,
    }
}

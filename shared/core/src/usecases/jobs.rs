//! Reading a job back: status, results (JSON and CSV), and sending its results again.

use crate::error::CoreError;
use crate::ids::{DocumentId, EndpointId, JobId, TemplateId, TenantId};
use crate::model::{
    Delivery, DeliveryAttempt, DeliveryStatus, DeliveryTask, Document, EventType, ExtractedField,
    Failure, Job, Status,
};
use crate::services::Services;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// A job of this tenant that has not expired. Malformed, unknown and foreign ids are not found; an
/// expired job is gone.
pub async fn load_job(s: &Services, tenant: TenantId, id: &str) -> Result<Job, CoreError> {
    let not_found = || CoreError::not_found("job_not_found", "no job with this id");
    let id = JobId::parse(id).ok_or_else(not_found)?;
    let job = s
        .jobs
        .get_job(id)
        .await?
        .filter(|j| j.tenant_id == tenant)
        .ok_or_else(not_found)?;
    if job.is_expired(s.clock.now()) {
        return Err(CoreError::Gone {
            code: "job_expired",
            message: "this job's results were kept for 24 hours and have expired".to_string(),
        });
    }
    Ok(job)
}

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
    s: &Services,
    tenant: TenantId,
    id: &str,
    with_attempts: bool,
) -> Result<JobStatusView, CoreError> {
    let job = load_job(s, tenant, id).await?;
    let now = s.clock.now();
    let mut documents = s.jobs.list_documents(job.id, now).await?;
    documents.sort_by_key(|d| d.ordinal);
    let deliveries = s.jobs.list_deliveries(job.id, now).await?;
    let attempts = if with_attempts {
        Some(s.jobs.list_job_attempts(job.id, now).await?)
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
                .filter(|x| x.document_id == d.id)
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

#[derive(Debug, Clone, Serialize)]
pub struct DocumentResultView {
    pub document_id: DocumentId,
    pub file_name: String,
    pub status: Status,
    pub pages: u32,
    pub result: Option<Map<String, Value>>,
    /// Each value with the page it was found on, the text it was read from, and a confidence.
    pub fields: Option<Vec<ExtractedField>>,
    pub error: Option<Failure>,
}

/// The JSON answer of `POST /v1/job-results`.
#[derive(Debug, Clone, Serialize)]
pub struct JobResultsView {
    pub job_id: JobId,
    pub template_id: TemplateId,
    pub status: Status,
    pub static_values: Map<String, Value>,
    pub completed_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub documents: Vec<DocumentResultView>,
}

pub async fn job_results(
    s: &Services,
    tenant: TenantId,
    id: &str,
) -> Result<JobResultsView, CoreError> {
    let job = load_job(s, tenant, id).await?;
    let mut documents = s.jobs.list_documents(job.id, s.clock.now()).await?;
    documents.sort_by_key(|d| d.ordinal);
    Ok(JobResultsView {
        job_id: job.id,
        template_id: job.template_id,
        status: job.status,
        static_values: job.static_values,
        completed_at: job.completed_at,
        expires_at: job.expires_at,
        documents: documents.iter().map(result_view).collect(),
    })
}

fn result_view(d: &Document) -> DocumentResultView {
    DocumentResultView {
        document_id: d.id,
        file_name: d.file_name.clone(),
        status: d.status,
        pages: d.pages,
        result: d.result(),
        fields: d.fields.clone(),
        error: d.error.clone(),
    }
}

/// One row per document: job_id, document_id, file_name, status, pages, the static values, then the
/// template's fields in template order.
pub fn results_csv(results: &JobResultsView) -> Result<String, CoreError> {
    let mut field_names: Vec<String> = Vec::new();
    for doc in &results.documents {
        for field in doc.fields.iter().flatten() {
            if !field_names.contains(&field.name) {
                field_names.push(field.name.clone());
            }
        }
    }
    let static_names: Vec<&String> = results.static_values.keys().collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = ["job_id", "document_id", "file_name", "status", "pages"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(static_names.iter().map(|s| s.to_string()));
    header.extend(field_names.iter().cloned());
    let csv_err = |e: csv::Error| CoreError::Internal(format!("csv: {e}"));
    out.write_record(&header).map_err(csv_err)?;
    for doc in &results.documents {
        let mut row = vec![
            results.job_id.to_string(),
            doc.document_id.to_string(),
            doc.file_name.clone(),
            doc.status.to_string(),
            doc.pages.to_string(),
        ];
        row.extend(
            static_names
                .iter()
                .map(|k| cell(results.static_values.get(*k))),
        );
        let result = doc.result.clone().unwrap_or_default();
        row.extend(field_names.iter().map(|name| cell(result.get(name))));
        out.write_record(&row).map_err(csv_err)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| CoreError::Internal(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| CoreError::Internal(format!("csv: {e}")))
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Sends a finished job's documents again, to all its endpoints or the named ones. The `webhook-id` of
/// each (document, endpoint, event) stays the same, so receivers can tell a redelivery from a new event.
/// Returns how many deliveries were queued.
pub async fn redeliver(
    s: &Services,
    tenant: TenantId,
    id: &str,
    named: Option<Vec<String>>,
) -> Result<usize, CoreError> {
    let job = load_job(s, tenant, id).await?;
    let endpoints: Vec<EndpointId> = match named {
        None => job.endpoint_ids.clone(),
        Some(list) => {
            let mut ids = Vec::new();
            for text in list {
                let endpoint = crate::usecases::endpoints::get(s, tenant, &text).await?;
                if endpoint.template_id != job.template_id {
                    return Err(CoreError::invalid(
                        "webhook_not_for_template",
                        format!(
                            "webhook endpoint {} belongs to another template",
                            endpoint.id
                        ),
                    ));
                }
                ids.push(endpoint.id);
            }
            ids
        }
    };
    let now = s.clock.now();
    let documents = s.jobs.list_documents(job.id, now).await?;
    let mut queued = 0;
    for doc in documents.iter().filter(|d| d.status.is_document_terminal()) {
        let event = event_for(doc);
        for endpoint in &endpoints {
            let webhook_id = DeliveryTask::webhook_id_for(job.id, doc.id, *endpoint, event);
            let delivery = match s.jobs.get_delivery(job.id, &webhook_id).await? {
                Some(mut existing) => {
                    existing.round += 1;
                    existing.round_attempts = 0;
                    existing.status = DeliveryStatus::Pending;
                    existing.next_attempt_at = Some(now);
                    existing.updated_at = now;
                    existing.expires_at = existing.expires_at.max(doc.expires_at);
                    s.jobs.update_delivery(&existing).await?;
                    existing
                }
                None => {
                    let fresh = new_delivery(s, &job, doc, *endpoint, event);
                    s.jobs.insert_delivery(&fresh).await?;
                    fresh
                }
            };
            enqueue(s, &delivery).await?;
            queued += 1;
        }
    }
    Ok(queued)
}

pub(crate) fn event_for(doc: &Document) -> EventType {
    if doc.status == Status::ProcessImageSuccess {
        EventType::DocumentCompleted
    } else {
        EventType::DocumentFailed
    }
}

pub(crate) fn new_delivery(
    s: &Services,
    job: &Job,
    doc: &Document,
    endpoint: EndpointId,
    event: EventType,
) -> Delivery {
    let now = s.clock.now();
    Delivery {
        webhook_id: DeliveryTask::webhook_id_for(job.id, doc.id, endpoint, event),
        tenant_id: job.tenant_id,
        job_id: job.id,
        document_id: doc.id,
        endpoint_id: endpoint,
        event_type: event,
        status: DeliveryStatus::Pending,
        round: 0,
        round_attempts: 0,
        total_attempts: 0,
        last_status_code: None,
        last_error: None,
        next_attempt_at: Some(now),
        created_at: now,
        updated_at: now,
        expires_at: doc.expires_at,
        version: 0,
    }
}

pub(crate) async fn enqueue(s: &Services, delivery: &Delivery) -> Result<(), CoreError> {
    let task = DeliveryTask {
        tenant_id: delivery.tenant_id,
        job_id: delivery.job_id,
        document_id: delivery.document_id,
        endpoint_id: delivery.endpoint_id,
        event_type: delivery.event_type,
        webhook_id: delivery.webhook_id.clone(),
        round: delivery.round,
    };
    let body = serde_json::to_string(&task).map_err(|e| CoreError::Internal(e.to_string()))?;
    s.delivery_queue
        .send_for(&task.tenant_id.to_string(), &body, Duration::ZERO)
        .await?;
    Ok(())
}

//! `POST /v1/job-results` as JSON: each document's values, with where each was found.

use super::{load_job, QueryPorts};
use crate::error::CoreError;
use crate::ids::{DocumentId, JobId, TemplateId, TenantId};
use crate::model::{Document, ExtractedField, Failure, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

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
    s: &QueryPorts,
    tenant: TenantId,
    id: &str,
) -> Result<JobResultsView, CoreError> {
    let now = s.clock.now();
    let job = load_job(s.jobs.as_ref(), now, tenant, id).await?;
    let documents = s.documents.list_documents(job.id, now).await?;
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

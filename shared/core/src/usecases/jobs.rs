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

/// CSV columns: job_id, document_id, file_name, status, pages, the static values, then the template's
/// fields in template order, then one `<field>__warnings` column per field holding its warning codes
/// separated by `;` (empty when none). A `table` field gives one column per table column
/// (`<field>.<column>`) and one CSV row per line item, the document's other values repeated on each;
/// a document without line items keeps one row. A list (`"match": "all"`) is a JSON array in its cell.
pub fn results_csv(results: &JobResultsView) -> Result<String, CoreError> {
    let mut field_names: Vec<String> = Vec::new();
    // The columns of each table field, in the order first met.
    let mut table_columns: Vec<(String, Vec<String>)> = Vec::new();
    for doc in &results.documents {
        for field in doc.fields.iter().flatten() {
            if !field_names.contains(&field.name) {
                field_names.push(field.name.clone());
            }
            if let Some(rows) = table_rows(&field.value) {
                let at = match table_columns.iter().position(|(n, _)| *n == field.name) {
                    Some(at) => at,
                    None => {
                        table_columns.push((field.name.clone(), Vec::new()));
                        table_columns.len() - 1
                    }
                };
                for key in rows.iter().flat_map(|r| r.keys()) {
                    if !table_columns[at].1.contains(key) {
                        table_columns[at].1.push(key.clone());
                    }
                }
            }
        }
    }
    let columns_of = |name: &str| {
        table_columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.as_slice())
    };
    let static_names: Vec<&String> = results.static_values.keys().collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = ["job_id", "document_id", "file_name", "status", "pages"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(static_names.iter().map(|s| s.to_string()));
    for name in &field_names {
        match columns_of(name) {
            Some(columns) => header.extend(columns.iter().map(|c| format!("{name}.{c}"))),
            None => header.push(name.clone()),
        }
    }
    header.extend(field_names.iter().map(|name| format!("{name}__warnings")));
    let csv_err = |e: csv::Error| CoreError::Internal(format!("csv: {e}"));
    out.write_record(&header).map_err(csv_err)?;
    for doc in &results.documents {
        let fields: Vec<Option<&ExtractedField>> = field_names
            .iter()
            .map(|name| doc.fields.iter().flatten().find(|f| f.name == *name))
            .collect();
        let line_items = fields
            .iter()
            .flatten()
            .filter_map(|f| table_rows(&f.value))
            .map(|rows| rows.len())
            .max()
            .unwrap_or(0)
            .max(1);
        for item in 0..line_items {
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
            for (name, field) in field_names.iter().zip(&fields) {
                let value = field.map(|f| &f.value);
                match columns_of(name) {
                    Some(columns) => {
                        let line = value
                            .and_then(table_rows)
                            .and_then(|rows| rows.get(item).copied());
                        row.extend(columns.iter().map(|c| cell(line.and_then(|l| l.get(c)))));
                    }
                    None => row.push(cell(value)),
                }
            }
            row.extend(
                fields
                    .iter()
                    .map(|f| f.map(ExtractedField::warning_codes).unwrap_or_default()),
            );
            out.write_record(&row).map_err(csv_err)?;
        }
    }
    let bytes = out
        .into_inner()
        .map_err(|e| CoreError::Internal(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| CoreError::Internal(format!("csv: {e}")))
}

/// The line items of a `table` field's value: a list of objects.
fn table_rows(value: &Value) -> Option<Vec<&Map<String, Value>>> {
    let list = value.as_array()?;
    let rows: Vec<&Map<String, Value>> = list.iter().filter_map(Value::as_object).collect();
    (!rows.is_empty() && rows.len() == list.len()).then_some(rows)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FieldWarning, WarningCode};
    use serde_json::json;

    fn field(name: &str, value: Value, warnings: Vec<WarningCode>) -> ExtractedField {
        ExtractedField {
            name: name.into(),
            value,
            raw: None,
            page: Some(1),
            bbox: None,
            confidence: Some(1.0),
            warnings: warnings
                .into_iter()
                .map(|code| FieldWarning::new(code, "m"))
                .collect(),
        }
    }

    #[test]
    fn csv_has_warning_columns_and_one_row_per_line_item() {
        let doc = |fields: Vec<ExtractedField>| DocumentResultView {
            document_id: DocumentId::random(),
            file_name: "a.pdf".into(),
            status: Status::ProcessImageSuccess,
            pages: 1,
            result: None,
            fields: Some(fields),
            error: None,
        };
        let items = json!([
            {"description": "Widget, blue", "qty": 2},
            {"description": "Gadget", "qty": 1}
        ]);
        let docs = vec![
            doc(vec![
                field(
                    "total",
                    json!(1234),
                    vec![
                        WarningCode::AmbiguousDecimalSeparator,
                        WarningCode::LowOcrConfidence,
                    ],
                ),
                field("items", items, vec![]),
                field("refs", json!(["A", "B"]), vec![]),
            ]),
            doc(vec![
                field("total", Value::Null, vec![]),
                field("items", Value::Null, vec![]),
                field("refs", Value::Null, vec![]),
            ]),
        ];
        let mut static_values = Map::new();
        static_values.insert("batch".into(), json!(7));
        let view = JobResultsView {
            job_id: JobId::random(),
            template_id: TemplateId::random(),
            status: Status::Success,
            static_values,
            completed_at: None,
            expires_at: Utc::now(),
            documents: docs,
        };
        let text = results_csv(&view).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header[5..],
            [
                "batch",
                "total",
                "items.description",
                "items.qty",
                "refs",
                "total__warnings",
                "items__warnings",
                "refs__warnings"
            ]
        );
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().skip(5).map(String::from).collect())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec![
                    "7",
                    "1234",
                    "Widget, blue",
                    "2",
                    "[\"A\",\"B\"]",
                    "ambiguous_decimal_separator;low_ocr_confidence",
                    "",
                    ""
                ],
                vec![
                    "7",
                    "1234",
                    "Gadget",
                    "1",
                    "[\"A\",\"B\"]",
                    "ambiguous_decimal_separator;low_ocr_confidence",
                    "",
                    ""
                ],
                vec!["7", "", "", "", "", "", "", ""],
            ]
        );
    }
}

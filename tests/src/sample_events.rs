//! The sample AWS events of `events/` (one folder per function): the fixed ids they name, the items those
//! ids stand for, seeded into a backend before the events run, and running one event through its
//! function's handler exactly as the Lambda runtime would deserialize it.

use aws_lambda_events::sqs::SqsEvent;
use chrono::{DateTime, Duration, Utc};
use lambda_http::request::LambdaRequest;
use lambda_http::{RequestExt, Response};
use lambda_runtime::{Context, LambdaEvent};
use pagewire_cli::functions::Functions;
use pagewire_core::fixtures;
use pagewire_core::ids::{DocumentId, EndpointId, JobId, TemplateId, TenantId};
use pagewire_core::model::{
    ApiKeyRecord, DateOrder, DeliveryStatus, DeliveryTask, EventType, ExtractedField, FieldSpec,
    Job, Status,
};
use pagewire_core::object_keys::upload_key;
use pagewire_core::policy::api_key::{display_prefix, hash_api_key};
use pagewire_core::Clock;
use pagewire_lambda_kit::routes::{self, RouteKey};
use pagewire_lambda_kit::wiring::Storage;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The ids written into the event files. Changing one means changing the events too.
pub mod ids {
    /// A sample key of the right shape; it opens nothing anywhere but a test's own backend.
    pub const API_KEY: &str = "pw_cGFnZXdpcmUgc2FtcGxlIGV2ZW50cyBrZXkgMDAwMDE";
    pub const TENANT: &str = "3f6c2a1e-8b4d-4c7a-9e2f-5a1b7c3d9e01";
    /// Submissions, finished jobs and the main endpoint use it.
    pub const TEMPLATE_INVOICES: &str = "5b2e9c14-7a3f-4d61-8c0b-2e4f6a8d1c01";
    /// Rewritten by `templates/update.json`; owns the endpoints the webhook events change.
    pub const TEMPLATE_RECEIPTS: &str = "5b2e9c14-7a3f-4d61-8c0b-2e4f6a8d1c02";
    /// Deleted by `templates/delete.json`.
    pub const TEMPLATE_RETIRED: &str = "5b2e9c14-7a3f-4d61-8c0b-2e4f6a8d1c03";
    /// The invoices endpoint; it points at the test's local receiver.
    pub const ENDPOINT_MAIN: &str = "9d4a7e2b-1c6f-4b83-a5e0-7f3c2d1b8e01";
    /// Changed by the update, patch and rotate-secret events.
    pub const ENDPOINT_RECEIPTS: &str = "9d4a7e2b-1c6f-4b83-a5e0-7f3c2d1b8e02";
    /// Deleted by `webhook-endpoints/delete.json`.
    pub const ENDPOINT_RETIRED: &str = "9d4a7e2b-1c6f-4b83-a5e0-7f3c2d1b8e03";
    /// A finished job with one delivered document: polled, exported and redelivered.
    pub const JOB_DONE: &str = "c81f3a5e-2d7b-4e9c-b046-1a5d3e7f9c01";
    pub const DOCUMENT_DONE: &str = "e4b19d2a-6c3f-4a85-9d70-3b2e1f4a5c01";
    /// A finished job whose one delivery is pending: `deliver-webhook/delivery.json` sends it.
    pub const JOB_DELIVER: &str = "c81f3a5e-2d7b-4e9c-b046-1a5d3e7f9c02";
    pub const DOCUMENT_DELIVER: &str = "e4b19d2a-6c3f-4a85-9d70-3b2e1f4a5c02";
    /// New jobs with a stored upload, one per S3 notification event.
    pub const JOB_VIA_SQS: &str = "c81f3a5e-2d7b-4e9c-b046-1a5d3e7f9c03";
    pub const JOB_VIA_SQS_MOTO: &str = "c81f3a5e-2d7b-4e9c-b046-1a5d3e7f9c04";
    pub const JOB_VIA_S3: &str = "c81f3a5e-2d7b-4e9c-b046-1a5d3e7f9c05";
    /// Named by an event and never seeded.
    pub const JOB_UNKNOWN: &str = "c81f3a5e-2d7b-4e9c-b046-1a5d3e7f9cff";
}

pub const TENANT_CREDITS: i64 = 100;
/// The seeded endpoints' signing secret: `whsec_` + base64 of 32 fixed bytes.
pub const SEEDED_SECRET: &str = "whsec_c2FtcGxlIGV2ZW50cyBzaWduaW5nIHNlY3JldCAwMDE=";

pub fn tenant_id() -> TenantId {
    TenantId::parse(ids::TENANT).expect("fixed id")
}
pub fn template_id(text: &str) -> TemplateId {
    TemplateId::parse(text).expect("fixed id")
}
pub fn endpoint_id(text: &str) -> EndpointId {
    EndpointId::parse(text).expect("fixed id")
}
pub fn job_id(text: &str) -> JobId {
    JobId::parse(text).expect("fixed id")
}
pub fn document_id(text: &str) -> DocumentId {
    DocumentId::parse(text).expect("fixed id")
}

/// The `webhook-id` of the pending delivery that `deliver-webhook/delivery.json` carries.
pub fn pending_webhook_id() -> String {
    DeliveryTask::webhook_id_for(
        job_id(ids::JOB_DELIVER),
        document_id(ids::DOCUMENT_DELIVER),
        endpoint_id(ids::ENDPOINT_MAIN),
        EventType::DocumentCompleted,
    )
}

/// The webhook id of the delivery of the finished job, already succeeded.
pub fn done_webhook_id() -> String {
    DeliveryTask::webhook_id_for(
        job_id(ids::JOB_DONE),
        document_id(ids::DOCUMENT_DONE),
        endpoint_id(ids::ENDPOINT_MAIN),
        EventType::DocumentCompleted,
    )
}

pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// Every event file as `function/case.json`, sorted. Anything else under `events/` but its README is an
/// error, so a stray file cannot sit there untested.
pub fn event_files() -> Vec<String> {
    let mut files = Vec::new();
    for function in std::fs::read_dir(events_dir()).expect("events/ exists") {
        let function = function.expect("directory entry").path();
        let function_name = function.file_name().unwrap().to_string_lossy().to_string();
        if function.is_file() {
            assert_eq!(
                function_name, "README.md",
                "unexpected file events/{function_name}"
            );
            continue;
        }
        for case in std::fs::read_dir(&function).expect("function folder") {
            let case = case.expect("directory entry").path();
            let case_name = case.file_name().unwrap().to_string_lossy().to_string();
            assert!(
                case.is_file() && case_name.ends_with(".json"),
                "events/{function_name}/{case_name} is not an event file (*.json)"
            );
            files.push(format!("{function_name}/{case_name}"));
        }
    }
    files.sort();
    files
}

/// What a function answered to one event.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// An API request: the status, the content type and the body (JSON, or the text as a JSON string).
    Http {
        status: u16,
        content_type: String,
        body: Value,
    },
    /// An SQS (or S3) event: the message ids reported as batch item failures.
    Batch(Vec<String>),
}

/// The API functions and their routes: each event of theirs must be for one of these routes.
pub fn http_functions() -> &'static [(&'static str, Vec<RouteKey>)] {
    pagewire_cli::server::api_functions()
}

/// The route an API Gateway event is for, checked against the function's route table: `routeKey`,
/// `rawPath` and `requestContext.http` must agree, as API Gateway makes them.
pub fn route_of(function: &str, event: &Value) -> RouteKey {
    let routes = http_functions()
        .iter()
        .find(|(name, _)| *name == function)
        .map(|(_, routes)| routes)
        .unwrap_or_else(|| panic!("{function} is not an API function"));
    assert_eq!(event["version"], "2.0", "payload format 2.0");
    assert_eq!(event["requestContext"]["stage"], "$default");
    assert_eq!(event["routeKey"], event["requestContext"]["routeKey"]);
    assert_eq!(event["rawPath"], event["requestContext"]["http"]["path"]);
    let route_key = event["routeKey"].as_str().expect("routeKey");
    let raw_path = event["rawPath"].as_str().expect("rawPath");
    let method = event["requestContext"]["http"]["method"]
        .as_str()
        .expect("http.method");
    let route = *routes
        .iter()
        .find(|r| format!("{} {}", r.method, r.pattern) == route_key)
        .unwrap_or_else(|| panic!("routeKey {route_key:?} is not a route of {function}"));
    assert_eq!(route.method, method, "routeKey and http.method agree");
    assert!(
        routes::match_path(route.pattern, raw_path).is_some(),
        "rawPath {raw_path} matches {route_key}"
    );
    for (name, value) in event["headers"].as_object().expect("headers") {
        assert_eq!(
            *name,
            name.to_ascii_lowercase(),
            "HTTP API lower-cases header names"
        );
        assert!(value.is_string());
    }
    route
}

/// Feeds one event file through its function's `handle`, deserialized with the types the runtime uses.
/// Runs one event file through its function's handler, on the app that function wires.
pub async fn run_event(f: &Functions, file: &str) -> Outcome {
    let text = std::fs::read_to_string(events_dir().join(file)).expect("event file");
    let (function, _) = file.split_once('/').expect("function/case.json");
    match function {
        "process-document" => {
            let payload: Value = serde_json::from_str(&text).expect("event is JSON");
            let response = process_document::handle(
                &f.process_document,
                LambdaEvent::new(payload, Context::default()),
            )
            .await
            .unwrap_or_else(|e| panic!("{file}: the invocation failed: {e}"));
            batch_failures(response)
        }
        "deliver-webhook" => {
            let event: SqsEvent = serde_json::from_str(&text).expect("event is an SqsEvent");
            let response = deliver_webhook::handle(
                &f.deliver_webhook,
                LambdaEvent::new(event, Context::default()),
            )
            .await
            .unwrap_or_else(|e| panic!("{file}: the invocation failed: {e}"));
            batch_failures(response)
        }
        _ => {
            let value: Value = serde_json::from_str(&text).expect("event is JSON");
            route_of(function, &value);
            let lambda_request: LambdaRequest =
                serde_json::from_str(&text).expect("event is an API Gateway request");
            let request: lambda_http::Request = lambda_request.into();
            assert!(
                matches!(
                    request.request_context_ref(),
                    Some(lambda_http::request::RequestContext::ApiGatewayV2(_))
                ),
                "{file} reads as an HTTP API (payload 2.0) request"
            );
            let response = match function {
                "submit-job" => submit_job::handle(&f.submit_job, request).await,
                "job-status" => job_status::handle(&f.job_status, request).await,
                "job-results" => job_results::handle(&f.job_results, request).await,
                "templates" => templates::handle(&f.templates, request).await,
                "preview-template" => preview_template::handle(&f.preview_template, request).await,
                "webhook-endpoints" => {
                    webhook_endpoints::handle(&f.webhook_endpoints, request).await
                }
                other => panic!("events/{other}/ is not named after a function"),
            }
            .unwrap_or_else(|e| panic!("{file}: the handler failed: {e}"));
            http_outcome(response)
        }
    }
}

fn batch_failures(response: aws_lambda_events::sqs::SqsBatchResponse) -> Outcome {
    Outcome::Batch(
        response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect(),
    )
}

fn http_outcome(response: Response<lambda_http::Body>) -> Outcome {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes: &[u8] = response.body().as_ref();
    let body = if content_type.starts_with("application/json") {
        serde_json::from_slice(bytes).expect("a JSON response is JSON")
    } else {
        Value::String(String::from_utf8_lossy(bytes).into_owned())
    };
    Outcome::Http {
        status: response.status().as_u16(),
        content_type,
        body,
    }
}

/// The invoice every sample event submits or refers to: the same bytes as in the submission events.
/// The PDF inside the committed events (the JSON submission's `actual_image`): the events were generated
/// once, so the seeded uploads must be those bytes, not a fresh rendering of the fixture.
pub fn sample_pdf() -> Vec<u8> {
    use base64::Engine;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../events/submit-job/json-base64.json"
    );
    let event: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("event file"))
        .expect("event JSON");
    let body: Value =
        serde_json::from_str(event["body"].as_str().expect("body")).expect("body JSON");
    base64::engine::general_purpose::STANDARD
        .decode(body["actual_image"].as_str().expect("actual_image"))
        .expect("base64 PDF")
}

fn invoice_fields() -> Vec<FieldSpec> {
    serde_json::from_value(json!([
        {"name": "invoice_number", "type": "text", "rule": {"kind": "label", "label": "Invoice Number:"}},
        {"name": "invoice_date", "type": "date", "rule": {"kind": "label", "label": "Invoice Date:"}},
        {"name": "total", "type": "money", "rule": {"kind": "regex", "pattern": "Total Due:\\s*(\\S+)"}}
    ]))
    .expect("field specs")
}

fn extracted(name: &str, value: Value, raw: &str, page: u32) -> ExtractedField {
    ExtractedField {
        name: name.to_string(),
        value,
        raw: Some(raw.to_string()),
        page: Some(page),
        confidence: Some(1.0),
        bbox: None,
        warnings: vec![],
    }
}

/// Puts into the backend every item the events name. `receiver_url` is where the main endpoint sends
/// (a local receiver; `:id` becomes the document id), so no event reaches beyond this machine.
pub async fn seed(s: &Storage, clock: &dyn Clock, receiver_url: &str) {
    let now = clock.now();
    let expires = now + Duration::hours(24);
    let tenant = tenant_id();

    let mut row = fixtures::tenant(TENANT_CREDITS, now);
    row.id = tenant;
    s.tenants.insert_tenant(&row).await.expect("tenant");
    s.api_keys
        .insert_api_key(&ApiKeyRecord {
            key_hash: hash_api_key(ids::API_KEY),
            tenant_id: tenant,
            display_prefix: display_prefix(ids::API_KEY),
            created_at: now,
        })
        .await
        .expect("api key");

    for (id, name, fields) in [
        (ids::TEMPLATE_INVOICES, "Invoices", invoice_fields()),
        (ids::TEMPLATE_RECEIPTS, "Receipts", vec![]),
        (ids::TEMPLATE_RETIRED, "Old purchase orders", vec![]),
    ] {
        let mut template = fixtures::template(tenant, name, now);
        template.id = template_id(id);
        template.fields = fields;
        template.date_order = Some(DateOrder::MonthDayYear);
        s.templates
            .insert_template(&template)
            .await
            .expect("template");
    }
    for (id, template, name, url) in [
        (
            ids::ENDPOINT_MAIN,
            ids::TEMPLATE_INVOICES,
            "ERP",
            receiver_url,
        ),
        (
            ids::ENDPOINT_RECEIPTS,
            ids::TEMPLATE_RECEIPTS,
            "Receipts",
            "https://example.com/receipts/:id",
        ),
        (
            ids::ENDPOINT_RETIRED,
            ids::TEMPLATE_RECEIPTS,
            "Old archive",
            "https://example.com/old/:id",
        ),
    ] {
        let mut endpoint = fixtures::endpoint(tenant, template_id(template), name, now);
        endpoint.id = endpoint_id(id);
        endpoint.url = url.to_string();
        endpoint.secret = SEEDED_SECRET.to_string();
        s.endpoints
            .insert_endpoint(&endpoint)
            .await
            .expect("endpoint");
    }

    seed_finished_job(
        s,
        ids::JOB_DONE,
        ids::DOCUMENT_DONE,
        DeliveryStatus::Succeeded,
        now,
        expires,
    )
    .await;
    seed_finished_job(
        s,
        ids::JOB_DELIVER,
        ids::DOCUMENT_DELIVER,
        DeliveryStatus::Pending,
        now,
        expires,
    )
    .await;
    for id in [ids::JOB_VIA_SQS, ids::JOB_VIA_SQS_MOTO, ids::JOB_VIA_S3] {
        let job = new_job(id, now, expires);
        s.jobs.insert_job(&job).await.expect("job");
        s.objects
            .put(&job.upload_key, sample_pdf().into(), "application/pdf")
            .await
            .expect("upload");
    }
}

fn new_job(id: &str, now: DateTime<Utc>, expires: DateTime<Utc>) -> Job {
    let mut job = fixtures::job(now, expires);
    job.id = job_id(id);
    job.tenant_id = tenant_id();
    job.template_id = template_id(ids::TEMPLATE_INVOICES);
    job.upload_key = upload_key(job.tenant_id, job.id);
    job.endpoint_ids = vec![endpoint_id(ids::ENDPOINT_MAIN)];
    job.static_values = json!({"company_name": "Acme Corp"})
        .as_object()
        .cloned()
        .expect("object");
    job
}

/// A job processed into one successful two-page document, with its delivery to the main endpoint in
/// `delivery_status` (and, when sent, its attempt logged). Its upload is still stored while undelivered.
async fn seed_finished_job(
    s: &Storage,
    job: &str,
    document: &str,
    delivery_status: DeliveryStatus,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) {
    let mut job = new_job(job, now, expires);
    let doc_id = document_id(document);
    job.status = Status::Success;
    job.documents_total = Some(1);
    job.completed_documents.insert(doc_id);
    job.pages = 2;
    job.credits_charged = 2;
    job.completed_at = Some(now);
    s.jobs.insert_job(&job).await.expect("finished job");

    let delivered = delivery_status == DeliveryStatus::Succeeded;
    let mut doc = fixtures::document(&job, 0, expires);
    doc.id = doc_id;
    doc.object_key = job.upload_key.clone();
    doc.status = Status::ProcessImageSuccess;
    doc.pages = 2;
    doc.credits_charged = 2;
    doc.fields = Some(vec![
        extracted("invoice_number", json!("INV-2024-001"), "INV-2024-001", 1),
        extracted("invoice_date", json!("2024-03-15"), "March 15, 2024", 1),
        extracted("total", json!(1234.56), "$1,234.56", 2),
    ]);
    doc.deliveries_enqueued = true;
    doc.object_deleted = delivered;
    doc.completed_at = Some(now);
    assert!(s.documents.insert_document(&doc).await.expect("document"));
    if !delivered {
        s.objects
            .put(&job.upload_key, sample_pdf().into(), "application/pdf")
            .await
            .expect("upload");
    }

    let endpoint = endpoint_id(ids::ENDPOINT_MAIN);
    let webhook_id =
        DeliveryTask::webhook_id_for(job.id, doc.id, endpoint, EventType::DocumentCompleted);
    let mut delivery = fixtures::delivery(&job, &webhook_id, now, expires);
    delivery.document_id = Some(doc.id);
    delivery.endpoint_id = endpoint;
    delivery.status = delivery_status;
    if delivered {
        delivery.round_attempts = 1;
        delivery.total_attempts = 1;
        delivery.last_status_code = Some(200);
        let mut attempt = fixtures::attempt(job.tenant_id, endpoint, Some(job.id), 1, now, expires);
        attempt.webhook_id = webhook_id.clone();
        attempt.document_id = Some(doc.id);
        attempt.event_type = EventType::DocumentCompleted;
        s.attempts.append_attempt(&attempt).await.expect("attempt");
    } else {
        delivery.next_attempt_at = Some(now);
    }
    assert!(s
        .deliveries
        .insert_delivery(&delivery)
        .await
        .expect("delivery"));
}

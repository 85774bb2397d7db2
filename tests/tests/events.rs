//! Every sample AWS event under `events/` through its function's handler, on both backends. The outcome
//! of each (status code, or batch item failures) is fixed in one table; what each event should have done
//! is then checked in its response, in the stores, on the delivery queue and at the local receiver.

use integration_tests::on_both_backends;
use integration_tests::receiver::Receiver;
use integration_tests::sample_events::{
    self as events, document_id, endpoint_id, http_functions, ids, job_id, template_id, tenant_id,
    Outcome,
};
use integration_tests::stack::{Backend, TestEnv};
use pagewire_core::model::{DeliveryStatus, DeliveryTask, Status};
use pagewire_core::object_keys::upload_key;
use pagewire_core::policy::signature;
use pagewire_lambda_kit::wiring::Storage;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// What a function must answer to one event file.
#[derive(Debug)]
enum Expected {
    /// An API Gateway request: the response status.
    Http(u16),
    /// An SQS or S3 event: exactly these message ids reported as batch item failures.
    Batch(&'static [&'static str]),
}
use Expected::{Batch, Http};

/// One line per file under `events/`, sorted by path.
const EXPECTED: &[(&str, Expected)] = &[
    ("deliver-webhook/delivery.json", Batch(&[])),
    (
        "deliver-webhook/malformed-body.json",
        Batch(&["e7286420-0007-4c1b-9e7f-5a4d3c2b1a07"]),
    ),
    ("job-results/redeliver.json", Http(202)),
    ("job-results/results-by-path.json", Http(200)),
    ("job-results/results-csv.json", Http(200)),
    ("job-results/results-json.json", Http(200)),
    ("job-status/job-status.json", Http(200)),
    ("job-status/job.json", Http(200)),
    ("job-status/unknown-job.json", Http(404)),
    ("preview-template/preview.json", Http(200)),
    ("process-document/s3-object-created.json", Batch(&[])),
    (
        "process-document/sqs-not-json.json",
        Batch(&["346350b8-0004-4c1b-9e7f-5a4d3c2b1a04"]),
    ),
    (
        "process-document/sqs-s3-object-created-moto.json",
        Batch(&[]),
    ),
    ("process-document/sqs-s3-object-created.json", Batch(&[])),
    ("process-document/sqs-s3-test-event.json", Batch(&[])),
    ("submit-job/create-upload.json", Http(201)),
    ("submit-job/json-base64.json", Http(202)),
    ("submit-job/missing-api-key.json", Http(401)),
    ("submit-job/multipart.json", Http(202)),
    ("templates/create.json", Http(201)),
    ("templates/delete.json", Http(204)),
    ("templates/get.json", Http(200)),
    ("templates/list.json", Http(200)),
    ("templates/update.json", Http(200)),
    ("webhook-endpoints/create.json", Http(201)),
    ("webhook-endpoints/delete.json", Http(204)),
    ("webhook-endpoints/deliveries.json", Http(200)),
    ("webhook-endpoints/get.json", Http(200)),
    ("webhook-endpoints/list.json", Http(200)),
    ("webhook-endpoints/patch.json", Http(200)),
    ("webhook-endpoints/recover.json", Http(202)),
    ("webhook-endpoints/rotate-secret.json", Http(200)),
    ("webhook-endpoints/test.json", Http(200)),
    ("webhook-endpoints/update.json", Http(200)),
];

#[test]
fn every_event_file_has_exactly_one_expectation() {
    let listed: Vec<&str> = EXPECTED.iter().map(|(file, _)| *file).collect();
    let mut sorted = listed.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        listed, sorted,
        "EXPECTED is sorted and names each file once"
    );
    assert_eq!(events::event_files(), listed);
}

#[test]
fn the_api_events_cover_every_route_of_every_api_function() {
    for (function, routes) in http_functions() {
        let mut covered = Vec::new();
        for file in events::event_files() {
            if file.starts_with(&format!("{function}/")) {
                let text = std::fs::read_to_string(events::events_dir().join(&file)).unwrap();
                covered.push(events::route_of(
                    function,
                    &serde_json::from_str(&text).unwrap(),
                ));
            }
        }
        for route in routes {
            assert!(
                covered.contains(route),
                "no event in events/{function}/ for {} {}",
                route.method,
                route.pattern
            );
        }
    }
}

async fn every_event_through_its_handler(backend: Backend) {
    let receiver = Receiver::start().await;
    let env = TestEnv::new(backend).await;
    let stack = pagewire_cli::backend::open(&env.options())
        .await
        .expect("backend");
    let s = &stack.storage;
    events::seed(s, &*env.options().clock, &receiver.url("/hooks/:id")).await;

    let mut outcomes = BTreeMap::new();
    for file in events::event_files() {
        let expected = EXPECTED
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, e)| e)
            .unwrap_or_else(|| panic!("events/{file} has no expectation in EXPECTED"));
        // Each event runs on what its own function wires, as on Lambda; the checks read the whole stack.
        let outcome = events::run_event(&stack.functions, &file).await;
        match (expected, &outcome) {
            (Http(code), Outcome::Http { status, body, .. }) => {
                assert_eq!(status, code, "{file} ({backend:?}): {body}");
            }
            (Batch(ids), Outcome::Batch(failed)) => {
                assert_eq!(failed, ids, "{file} ({backend:?}): batch item failures");
            }
            _ => panic!("{file}: expected {expected:?}, got {outcome:?}"),
        }
        outcomes.insert(file, outcome);
    }

    let answers = Answers(&outcomes);
    check_submissions(s, &answers).await;
    check_polling(&answers);
    check_templates(s, &answers).await;
    check_endpoints(s, &answers, &receiver).await;
    check_processing(s).await;
    check_delivery_queue(&*stack.delivery_queue).await;
    check_receiver(s, &receiver).await;
}

on_both_backends!(every_event_through_its_handler);

struct Answers<'a>(&'a BTreeMap<String, Outcome>);

impl Answers<'_> {
    fn body(&self, file: &str) -> &Value {
        match &self.0[file] {
            Outcome::Http { body, .. } => body,
            other => panic!("{file}: not an HTTP answer: {other:?}"),
        }
    }

    fn content_type(&self, file: &str) -> &str {
        match &self.0[file] {
            Outcome::Http { content_type, .. } => content_type,
            other => panic!("{file}: not an HTTP answer: {other:?}"),
        }
    }
}

/// Both submissions stored a NEW job with the exact PDF the event carried (base64 JSON, and a base64
/// API Gateway body holding a multipart form).
async fn check_submissions(s: &Storage, answers: &Answers<'_>) {
    for (file, file_name, static_values) in [
        (
            "submit-job/json-base64.json",
            "invoice-2024-001.pdf",
            json!({"company_name": "Acme Corp", "batch": 7}),
        ),
        (
            "submit-job/multipart.json",
            "scan-0001.pdf",
            json!({"company_name": "Acme Corp"}),
        ),
    ] {
        let accepted = answers.body(file);
        assert_eq!(accepted["template_id"], ids::TEMPLATE_INVOICES, "{file}");
        assert_eq!(accepted["static_values"], static_values, "{file}");
        let id = job_id(accepted["job_id"].as_str().expect("job_id"));
        let job = s.jobs.get_job(id).await.unwrap().expect("job stored");
        assert_eq!(job.tenant_id, tenant_id());
        assert_eq!(job.status, Status::New);
        assert_eq!(job.file_name, file_name, "{file}");
        assert_eq!(job.endpoint_ids, vec![endpoint_id(ids::ENDPOINT_MAIN)]);
        let stored = s.objects.get(&job.upload_key).await.unwrap();
        assert_eq!(
            stored.as_deref(),
            Some(&events::sample_pdf()[..]),
            "{file}: the stored upload is the submitted PDF"
        );
    }
    assert_eq!(
        answers.body("submit-job/missing-api-key.json")["error"]["code"],
        "missing_api_key"
    );
    // The upload: a NEW job waiting for its file, and where to PUT it.
    let created = answers.body("submit-job/create-upload.json");
    assert_eq!(created["status"], "NEW");
    assert_eq!(created["upload"]["method"], "PUT");
    let job = s
        .jobs
        .get_job(job_id(created["job_id"].as_str().expect("job_id")))
        .await
        .unwrap()
        .expect("job stored");
    assert_eq!(
        (job.status, job.file_name.as_str(), job.file_kind),
        (Status::New, "scan-2024-044.pdf", None)
    );
    assert_eq!(s.objects.get(&job.upload_key).await.unwrap(), None);
}

fn check_polling(answers: &Answers<'_>) {
    let status = answers.body("job-status/job-status.json");
    assert_eq!(status["job_id"], ids::JOB_DONE);
    assert_eq!(status["status"], "SUCCESS");
    assert_eq!(status["documents"][0]["document_id"], ids::DOCUMENT_DONE);
    assert_eq!(status["documents"][0]["status"], "PROCESS IMAGE SUCCESS");
    assert!(status.get("attempts").is_none());
    let job = answers.body("job-status/job.json");
    assert_eq!(job["job_id"], ids::JOB_DONE);
    assert_eq!(job["attempts"][0]["webhook_id"], events::done_webhook_id());
    assert_eq!(
        answers.body("job-status/unknown-job.json")["error"]["code"],
        "job_not_found"
    );

    let results = answers.body("job-results/results-json.json");
    assert_eq!(results["job_id"], ids::JOB_DONE);
    assert_eq!(
        results["documents"][0]["result"],
        json!({"invoice_number": "INV-2024-001", "invoice_date": "2024-03-15", "total": 1234.56})
    );
    for file in [
        "job-results/results-csv.json",
        "job-results/results-by-path.json",
    ] {
        assert!(answers.content_type(file).starts_with("text/csv"), "{file}");
        let csv = answers.body(file).as_str().expect("text").to_string();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines,
            vec![
                "job_id,document_id,file_name,status,pages,company_name,invoice_number,invoice_date,total,\
                 invoice_number__warnings,invoice_date__warnings,total__warnings".to_string(),
                format!("{},{},invoice.pdf,PROCESS IMAGE SUCCESS,2,Acme Corp,INV-2024-001,2024-03-15,1234.56,,,", ids::JOB_DONE, ids::DOCUMENT_DONE),
            ],
            "{file}"
        );
    }
    assert_eq!(
        answers.body("job-results/redeliver.json"),
        &json!({"queued": 1})
    );
}

async fn check_templates(s: &Storage, answers: &Answers<'_>) {
    let tenant = tenant_id();
    let listed: Vec<&str> = answers.body("templates/list.json")["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert!(listed.contains(&ids::TEMPLATE_INVOICES), "{listed:?}");

    let created = answers.body("templates/create.json");
    assert_eq!(created["name"], "Purchase orders");
    assert_eq!(created["fields"].as_array().map(Vec::len), Some(3));
    let created_id = template_id(created["id"].as_str().expect("id"));
    assert!(s
        .templates
        .get_template(tenant, created_id)
        .await
        .unwrap()
        .is_some());

    let got = answers.body("templates/get.json");
    assert_eq!(got["id"], ids::TEMPLATE_INVOICES);
    assert_eq!(got["fields"][0]["name"], "invoice_number");

    let updated = answers.body("templates/update.json");
    assert_eq!(updated["id"], ids::TEMPLATE_RECEIPTS);
    assert_eq!(updated["name"], "Receipts (2025)");
    let stored = s
        .templates
        .get_template(tenant, template_id(ids::TEMPLATE_RECEIPTS))
        .await
        .unwrap()
        .expect("receipts template");
    assert_eq!(stored.name, "Receipts (2025)");
    assert_eq!(stored.fields.len(), 2);

    assert!(s
        .templates
        .get_template(tenant, template_id(ids::TEMPLATE_RETIRED))
        .await
        .unwrap()
        .is_none());
}

async fn check_endpoints(s: &Storage, answers: &Answers<'_>, receiver: &Receiver) {
    let tenant = tenant_id();
    let listed = answers.body("webhook-endpoints/list.json")["webhooks"]
        .as_array()
        .expect("webhooks")
        .clone();
    let listed_ids: Vec<&str> = listed.iter().filter_map(|w| w["id"].as_str()).collect();
    assert_eq!(listed_ids, vec![ids::ENDPOINT_MAIN]);
    assert!(
        listed.iter().all(|w| w.get("secret").is_none()),
        "lists never show secrets"
    );

    let created = answers.body("webhook-endpoints/create.json");
    assert_eq!(created["template_id"], ids::TEMPLATE_RECEIPTS);
    assert_eq!(created["url"], "https://example.com/pagewire/receipts/:id");
    assert_eq!(created["auth"]["type"], "fixed");
    assert!(created["secret"]
        .as_str()
        .is_some_and(|s| s.starts_with("whsec_")));

    let got = answers.body("webhook-endpoints/get.json");
    assert_eq!(got["id"], ids::ENDPOINT_MAIN);
    assert_eq!(got["url"], receiver.url("/hooks/:id"));
    assert_eq!(got["secret"], events::SEEDED_SECRET);

    let updated = answers.body("webhook-endpoints/update.json");
    assert_eq!(updated["name"], "Receipts archive");
    assert_eq!(updated["method"], "PUT");
    assert_eq!(updated["headers"], json!({"x-source": "pagewire"}));
    assert_eq!(
        answers.body("webhook-endpoints/patch.json")["enabled"],
        false
    );

    let rotated = answers.body("webhook-endpoints/rotate-secret.json");
    assert_eq!(rotated["id"], ids::ENDPOINT_RECEIPTS);
    assert_ne!(rotated["secret"], events::SEEDED_SECRET);
    let receipts = s
        .endpoints
        .get_endpoint(tenant, endpoint_id(ids::ENDPOINT_RECEIPTS))
        .await
        .unwrap()
        .expect("receipts endpoint");
    assert_eq!(
        receipts.previous_secret.map(|p| p.secret).as_deref(),
        Some(events::SEEDED_SECRET),
        "the old secret keeps signing during the grace period"
    );
    assert!(s
        .endpoints
        .get_endpoint(tenant, endpoint_id(ids::ENDPOINT_RETIRED))
        .await
        .unwrap()
        .is_none());

    // Every delivery to it succeeded: nothing to send again.
    assert_eq!(
        *answers.body("webhook-endpoints/recover.json"),
        json!({"queued": 0, "more": false})
    );
    let test = answers.body("webhook-endpoints/test.json");
    assert_eq!(test["event_type"], "webhook.test");
    assert_eq!(test["status_code"], 200);
    let deliveries = answers.body("webhook-endpoints/deliveries.json")["deliveries"]
        .as_array()
        .expect("deliveries")
        .clone();
    assert!(
        deliveries
            .iter()
            .any(|a| a["webhook_id"] == events::done_webhook_id().as_str()),
        "{deliveries:?}"
    );
}

/// Each S3 notification (through SQS as S3 sends it, as moto sends it, and straight from S3) processed
/// its job's upload: two pages read, charged once, fields extracted, one delivery queued (not sent).
async fn check_processing(s: &Storage) {
    let now = chrono::Utc::now();
    for id in [ids::JOB_VIA_SQS, ids::JOB_VIA_SQS_MOTO, ids::JOB_VIA_S3] {
        let job = s.jobs.get_job(job_id(id)).await.unwrap().expect("job");
        assert_eq!(job.status, Status::Success, "{id}: {:?}", job.error);
        assert_eq!(job.pages, 2);
        let documents = s.documents.list_documents(job.id, now).await.unwrap();
        assert_eq!(documents.len(), 1);
        assert_eq!(
            documents[0]
                .result()
                .and_then(|r| r.get("invoice_number").cloned()),
            Some(json!("INV-2024-001"))
        );
        let deliveries = s.deliveries.list_deliveries(job.id, now).await.unwrap();
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0].endpoint_id, endpoint_id(ids::ENDPOINT_MAIN));
        assert_eq!(deliveries[0].status, DeliveryStatus::Pending);
    }
    let tenant = s
        .tenants
        .get_tenant(tenant_id())
        .await
        .unwrap()
        .expect("tenant");
    assert_eq!(
        tenant.credits,
        events::TENANT_CREDITS - 3 * 2,
        "three processed two-page uploads; the test event and the non-JSON message charge nothing"
    );
}

/// The processed jobs and the redelivery queued their delivery tasks; nothing else did.
async fn check_delivery_queue(queue: &dyn pagewire_core::ports::QueueConsumer) {
    let mut queued = Vec::new();
    loop {
        let batch = queue.receive(10, Duration::from_secs(60)).await.unwrap();
        if batch.is_empty() {
            break;
        }
        for message in batch {
            let task: DeliveryTask = serde_json::from_str(&message.body).expect("delivery task");
            assert_eq!(task.endpoint_id, endpoint_id(ids::ENDPOINT_MAIN));
            queued.push(task.job_id.to_string());
        }
    }
    queued.sort();
    assert_eq!(
        queued,
        vec![
            ids::JOB_DONE,
            ids::JOB_VIA_SQS,
            ids::JOB_VIA_SQS_MOTO,
            ids::JOB_VIA_S3
        ]
    );
}

/// The receiver got exactly the signed delivery of `deliver-webhook/delivery.json` and the test event.
async fn check_receiver(s: &Storage, receiver: &Receiver) {
    let received = receiver.received();
    assert_eq!(received.len(), 2, "{received:?}");
    let delivery = received
        .iter()
        .find(|r| r.header("webhook-id") == Some(events::pending_webhook_id().as_str()))
        .expect("the queued delivery was sent");
    assert_eq!(delivery.path, format!("/hooks/{}", ids::DOCUMENT_DELIVER));
    let payload = delivery.json();
    assert_eq!(payload["type"], "document.completed");
    assert_eq!(payload["job_id"], ids::JOB_DELIVER);
    assert_eq!(payload["result"]["invoice_number"], "INV-2024-001");
    let timestamp: i64 = delivery
        .header("webhook-timestamp")
        .and_then(|t| t.parse().ok())
        .expect("timestamp");
    assert!(signature::verify(
        events::SEEDED_SECRET,
        &events::pending_webhook_id(),
        timestamp,
        &delivery.body,
        delivery.header("webhook-signature").expect("signature"),
    ));
    let test = received
        .iter()
        .find(|r| r.path == "/hooks/test")
        .expect("the test event was sent");
    assert_eq!(test.json()["type"], "webhook.test");

    let job = job_id(ids::JOB_DELIVER);
    let stored = s
        .deliveries
        .get_delivery(job, &events::pending_webhook_id())
        .await
        .unwrap()
        .expect("delivery");
    assert_eq!(stored.status, DeliveryStatus::Succeeded);
    assert_eq!(stored.last_status_code, Some(200));
    assert!(
        s.objects
            .get(&upload_key(tenant_id(), job))
            .await
            .unwrap()
            .is_none(),
        "the file is deleted once every endpoint got its document"
    );
    // The file is deleted without rewriting the document (deleting again is harmless), so the document
    // itself still reads as delivered and intact.
    let doc = s
        .documents
        .get_document(job, document_id(ids::DOCUMENT_DELIVER))
        .await
        .unwrap()
        .expect("document");
    assert_eq!(doc.status, Status::ProcessImageSuccess);
}

//! The document processing engine end to end: the invoice read in every form with exact values, ZIP
//! batches with hostile entries, credits running out mid-batch, OCR without models, and the alphabet each
//! OCR engine reads with.
//!
//! Needs the OCR models and ONNX Runtime: `scripts/test.sh` sets PAGEWIRE_OCR_MODEL_DIR and
//! PAGEWIRE_ONNXRUNTIME_LIB.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::receiver::Receiver;
use integration_tests::stack::{ocr_model_dir, onnxruntime_lib, with_shipped_ocr};
use integration_tests::stack::{options, TestApp};
use pagewire_core::processing::object_created;
use pagewire_core::SystemClock;
use pagewire_extract::fixtures;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

async fn ocr_app(dir: &Path) -> TestApp {
    let mut options = options(dir, Arc::new(SystemClock));
    with_shipped_ocr(&mut options.config);
    TestApp::start_with(options).await
}

/// OCR on rten, the engine used when ONNX Runtime's library is not found.
async fn rten_app(dir: &Path) -> TestApp {
    let mut options = options(dir, Arc::new(SystemClock));
    with_shipped_ocr(&mut options.config);
    options.config.onnxruntime_lib = None;
    TestApp::start_with(options).await
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every rule kind and type, on the invoice of `pagewire_extract::fixtures::invoice_runs`.
async fn invoice_template(app: &TestApp, key: &str) -> String {
    let (status, body) = app
        .call(
            "POST",
            "/templates",
            Some(key),
            Some(json!({
                "name": "Invoice (all rules)",
                "date_order": "day_month_year",
                "fields": [
                    {"name": "vendor", "type": "text", "rule": {"kind": "region", "page": 1, "x": 0.05, "y": 0.03, "width": 0.5, "height": 0.06}},
                    {"name": "invoice_number", "type": "text", "rule": {"kind": "label", "label": "Invoice Number:"}},
                    {"name": "invoice_date", "type": "date", "rule": {"kind": "label", "label": "Invoice Date:"}},
                    {"name": "due_date", "type": "date", "rule": {"kind": "label", "label": "Due Date:"}},
                    {"name": "customer", "type": "text", "rule": {"kind": "label", "label": "Bill To:", "direction": "below"}},
                    {"name": "quantity", "type": "number", "rule": {"kind": "label", "label": "Qty", "direction": "below"}},
                    {"name": "total", "type": "money", "rule": {"kind": "regex", "pattern": "Total Due:\\s*(\\S+)"}},
                    {"name": "po_number", "type": "text", "rule": {"kind": "label", "label": "PO Number:"}}
                ]
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn expected_invoice() -> Value {
    json!({
        "vendor": "ACME Corporation",
        "invoice_number": "INV-2024-001",
        "invoice_date": "2024-03-15",
        "due_date": "2024-04-14",
        "customer": "Globex Ltd",
        "quantity": 10,
        "total": 1234.56,
        "po_number": null
    })
}

async fn submit(app: &TestApp, key: &str, template: &str, bytes: &[u8], name: &str) -> String {
    let (status, body) = app
        .call(
            "POST",
            "/process-job",
            Some(key),
            Some(json!({
                "template_id": template,
                "actual_image": STANDARD.encode(bytes),
                "file_name": name,
                "static_values": {"batch": "b-1"}
            })),
        )
        .await;
    assert_eq!(status, 202, "{name}: {body}");
    body["job_id"].as_str().unwrap().to_string()
}

async fn results(app: &TestApp, key: &str, job: &str) -> Value {
    let (code, view) = app
        .call(
            "POST",
            "/v1/job-results",
            Some(key),
            Some(json!({"job_id": job})),
        )
        .await;
    assert_eq!(code, 200, "{view}");
    view
}

/// The job's results as CSV (`POST /v1/job-results` with `result_format: csv`).
async fn results_csv(app: &TestApp, key: &str, job: &str) -> String {
    app.client
        .post(app.url("/v1/job-results"))
        .header("x-auth", key)
        .body(json!({"job_id": job, "result_format": "csv"}).to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn field<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no field {name} in {doc}"))
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        if name.ends_with('/') {
            out.add_directory(*name, deflated).unwrap();
        } else {
            out.start_file(*name, deflated).unwrap();
            out.write_all(data).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

/// A ZIP with one stored (uncompressed) entry whose bytes were damaged after writing: its CRC fails.
fn zip_with_corrupt_entry(entries: &[(&str, &[u8])], corrupt: (&str, &[u8])) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        out.start_file(*name, deflated).unwrap();
        out.write_all(data).unwrap();
    }
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    out.start_file(corrupt.0, stored).unwrap();
    out.write_all(corrupt.1).unwrap();
    let mut bytes = out.finish().unwrap().into_inner();
    let at = bytes
        .windows(corrupt.1.len())
        .position(|w| w == corrupt.1)
        .expect("stored entry present");
    bytes[at + corrupt.1.len() / 2] ^= 0xff;
    bytes
}

#[tokio::test]
async fn the_invoice_reads_the_same_in_every_form() {
    let dir = tempfile::tempdir().unwrap();
    the_invoice_in_every_form(ocr_app(dir.path()).await).await;
}

/// The fallback engine reads the same values: a machine without ONNX Runtime loses speed, not fields.
#[tokio::test]
async fn the_invoice_reads_the_same_in_every_form_on_rten() {
    let dir = tempfile::tempdir().unwrap();
    the_invoice_in_every_form(rten_app(dir.path()).await).await;
}

async fn the_invoice_in_every_form(app: TestApp) {
    let key = app.tenant("acme", 100).await;
    let template = invoice_template(&app, &key).await;
    let scan = fixture("invoice-scan.jpg");
    let forms: Vec<(&str, Vec<u8>)> = vec![
        ("invoice.pdf", fixtures::invoice_pdf()),
        ("invoice.png", fixture("invoice.png")),
        ("invoice.jpg", fixture("invoice.jpg")),
        ("invoice-scan.jpg", scan.clone()),
        // A scanned PDF: the skewed, noisy scan is the page's only content.
        (
            "invoice-scan.pdf",
            fixtures::image_pdf(&scan, 1240, 1754, true),
        ),
    ];
    let mut jobs = Vec::new();
    for (name, bytes) in &forms {
        jobs.push((*name, submit(&app, &key, &template, bytes, name).await));
    }
    app.stack.drain().await;

    let mut total_boxes = Vec::new();
    for (name, job) in &jobs {
        let view = app.job_status(&key, job).await;
        assert_eq!(view["status"], "SUCCESS", "{name}: {view}");
        assert_eq!(view["pages"], 1, "{name}");
        let res = results(&app, &key, job).await;
        let doc = &res["documents"][0];
        assert_eq!(doc["status"], "PROCESS IMAGE SUCCESS", "{name}");
        assert_eq!(doc["result"], expected_invoice(), "{name}: {doc}");
        for f in doc["fields"].as_array().unwrap() {
            if f["value"].is_null() {
                assert_eq!(
                    (f["page"].clone(), f["box"].clone()),
                    (Value::Null, Value::Null)
                );
                continue;
            }
            assert_eq!(f["page"], 1, "{name}: {f}");
            let b = &f["box"];
            let (x, y, w, h) = (
                b["x"].as_f64().unwrap(),
                b["y"].as_f64().unwrap(),
                b["width"].as_f64().unwrap(),
                b["height"].as_f64().unwrap(),
            );
            assert!(
                x >= 0.0 && y >= 0.0 && w > 0.0 && h > 0.0 && x + w <= 1.0 && y + h <= 1.0,
                "{name}: {f}"
            );
            let confidence = f["confidence"].as_f64().unwrap();
            if name.ends_with(".pdf") && *name == "invoice.pdf" {
                assert_eq!(confidence, 1.0, "a text layer is certain");
                // Every value of the text layer is right: nothing may be flagged against it.
                assert_eq!(f["warnings"], json!([]), "{name}: {f}");
            } else {
                assert!(confidence > 0.5 && confidence <= 1.0, "{name}: {f}");
            }
        }
        total_boxes.push((*name, field(doc, "total")["box"].clone()));
    }
    // The text layer and the straight renders put the total in the same place on the page.
    let pdf_box = &total_boxes[0].1;
    for (name, b) in &total_boxes[1..3] {
        for k in ["x", "y"] {
            let d = (b[k].as_f64().unwrap() - pdf_box[k].as_f64().unwrap()).abs();
            assert!(d < 0.02, "{name}: {k} differs by {d}: {b} vs {pdf_box}");
        }
    }
    assert_eq!(app.credits("acme").await, 100 - 5);
    app.stack.stop().await;
}

#[tokio::test]
async fn a_zip_batch_gives_one_document_per_entry_and_refuses_bad_entries_alone() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let app = ocr_app(dir.path()).await;
    let key = app.tenant("acme", 100).await;
    let template = invoice_template(&app, &key).await;
    let (code, hook) = app
        .call(
            "POST",
            "/webhooks",
            Some(&key),
            Some(json!({"template_id": template, "name": "r", "url": receiver.url("/h")})),
        )
        .await;
    assert_eq!(code, 201, "{hook}");

    let invoice = fixtures::invoice_pdf();
    let twenty: Vec<Vec<String>> = (1..=20)
        .map(|p| vec![format!("Page {p} of the long report")])
        .collect();
    let twenty_refs: Vec<Vec<&str>> = twenty
        .iter()
        .map(|p| p.iter().map(String::as_str).collect())
        .collect();
    let twenty_pages: Vec<&[&str]> = twenty_refs.iter().map(Vec::as_slice).collect();
    let long_pdf = fixtures::text_pdf(&twenty_pages);
    let truncated = &invoice[..invoice.len() / 2];
    let png = fixture("invoice.png");
    let zeros = vec![0u8; 5 << 20];
    let entries: Vec<(&str, &[u8])> = vec![
        ("invoice \"final\", v2.pdf", &invoice),
        ("invoice.png", &png),
        ("report.pdf", &long_pdf),
        ("truncated.pdf", truncated),
        ("notes.txt", b"just some text, not a document"),
        ("folder/", b""),
        ("folder/inner.pdf", &invoice),
        ("../evil.pdf", &invoice),
        ("bomb.pdf", &zeros),
    ];
    let archive = zip_with_corrupt_entry(&entries, ("broken.pdf", &fixtures::text_pdf(&[&["x"]])));
    let job = submit(&app, &key, &template, &archive, "batch.zip").await;
    assert_eq!(app.job_status(&key, &job).await["status"], "NEW");

    // The upload event unzips: every root entry is a document; refused entries are final at once.
    let tenant = app.tenant_of(&key).await;
    let upload = format!("uploads/{tenant}/{job}/source");
    object_created(&app.stack.functions.process_document.processing, &upload)
        .await
        .unwrap();
    let view = app.job_status(&key, &job).await;
    assert_eq!(view["status"], "UNZIP FILE SUCCESS", "{view}");
    assert_eq!(view["documents_total"], 9);
    let by_name = |view: &Value, name: &str| -> Value {
        view["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["file_name"] == name)
            .unwrap_or_else(|| panic!("no document {name}: {view}"))
            .clone()
    };
    for (name, code) in [
        ("folder/inner.pdf", "entry_in_folder"),
        ("../evil.pdf", "unsafe_entry_name"),
        ("bomb.pdf", "suspicious_ratio"),
        ("broken.pdf", "corrupt_entry"),
    ] {
        let doc = by_name(&view, name);
        assert_eq!(
            (doc["status"].as_str(), doc["error"]["code"].as_str()),
            (Some("PROCESS IMAGE FAILED"), Some(code)),
            "{name}: {doc}"
        );
    }
    assert_eq!(by_name(&view, "invoice.png")["status"], "NEW");

    // A repeated upload event changes nothing; then every document is processed.
    object_created(&app.stack.functions.process_document.processing, &upload)
        .await
        .unwrap();
    app.stack.drain().await;
    let view = app.job_status(&key, &job).await;
    assert_eq!(view["status"], "SUCCESS", "{view}");
    for (name, want_status, code, pages) in [
        (
            "invoice \"final\", v2.pdf",
            "PROCESS IMAGE SUCCESS",
            None,
            1,
        ),
        ("invoice.png", "PROCESS IMAGE SUCCESS", None, 1),
        ("report.pdf", "PROCESS IMAGE SUCCESS", None, 20),
        (
            "truncated.pdf",
            "PROCESS IMAGE FAILED",
            Some("truncated_pdf"),
            0,
        ),
        (
            "notes.txt",
            "PROCESS IMAGE FAILED",
            Some("unsupported_file_type"),
            0,
        ),
    ] {
        let doc = by_name(&view, name);
        assert_eq!(
            (
                doc["status"].as_str(),
                doc["error"]["code"].as_str(),
                doc["pages"].as_u64()
            ),
            (Some(want_status), code, Some(pages)),
            "{name}: {doc}"
        );
    }
    assert_eq!(view["pages"], 22);
    assert_eq!(view["credits_charged"], 22);
    assert_eq!(app.credits("acme").await, 100 - 22);

    // One webhook per document, each with its own document id.
    let received = receiver.received();
    assert_eq!(received.len(), 9);
    let mut ids: Vec<String> = received
        .iter()
        .map(|h| h.json()["document_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 9);
    let res = results(&app, &key, &job).await;
    let png_doc = res["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["file_name"] == "invoice.png")
        .unwrap();
    assert_eq!(png_doc["result"], expected_invoice());

    // CSV: one row per document, quoted where needed, fields in template order.
    let csv = results_csv(&app, &key, &job).await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "job_id,document_id,file_name,status,pages,batch,vendor,invoice_number,invoice_date,due_date,customer,quantity,total,po_number,\
         vendor__warnings,invoice_number__warnings,invoice_date__warnings,due_date__warnings,customer__warnings,\
         quantity__warnings,total__warnings,po_number__warnings"
    );
    assert_eq!(lines.len(), 1 + 9);
    let quoted = lines
        .iter()
        .find(|l| l.contains("v2.pdf"))
        .expect("the quoted row");
    assert!(
        quoted.contains(",\"invoice \"\"final\"\", v2.pdf\",PROCESS IMAGE SUCCESS,1,b-1,ACME Corporation,INV-2024-001,2024-03-15,2024-04-14,Globex Ltd,10,1234.56,"),
        "{quoted}"
    );
    app.stack.stop().await;
}

#[tokio::test]
async fn an_archive_that_expands_too_far_fails_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path(), Arc::new(SystemClock));
    options.config.settings.max_zip_uncompressed_bytes = 1 << 20;
    let app = TestApp::start_with(options).await;
    let key = app.tenant("acme", 10).await;
    let template = invoice_template(&app, &key).await;
    let chunk = vec![b'A'; 700 << 10];
    let archive = zip_of(&[("a.pdf", &chunk), ("b.pdf", &chunk)]);
    let job = submit(&app, &key, &template, &archive, "bomb.zip").await;
    app.stack.drain().await;
    let view = app.job_status(&key, &job).await;
    assert_eq!(view["status"], "FAILED", "{view}");
    assert_eq!(view["error"]["code"], "archive_too_large");
    assert_eq!(view["documents"][0]["error"]["code"], "archive_too_large");
    assert_eq!(view["credits_charged"], 0);
    assert_eq!(app.credits("acme").await, 10);
    app.stack.stop().await;
}

#[tokio::test]
async fn credits_run_out_mid_batch_and_repeated_events_charge_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path()).await;
    let key = app.tenant("small", 3).await;
    let template = invoice_template(&app, &key).await;
    let pdfs: Vec<Vec<u8>> = (1..=5)
        .map(|i| fixtures::text_pdf(&[&[&format!("Invoice Number: INV-{i}")]]))
        .collect();
    let names: Vec<String> = (1..=5).map(|i| format!("{i}.pdf")).collect();
    let entries: Vec<(&str, &[u8])> = names
        .iter()
        .map(String::as_str)
        .zip(pdfs.iter().map(Vec::as_slice))
        .collect();
    let job = submit(&app, &key, &template, &zip_of(&entries), "five.zip").await;
    app.stack.drain().await;
    let view = app.job_status(&key, &job).await;
    assert_eq!(view["status"], "SUCCESS", "{view}");
    let docs = view["documents"].as_array().unwrap();
    let succeeded = docs
        .iter()
        .filter(|d| d["status"] == "PROCESS IMAGE SUCCESS")
        .count();
    let starved: Vec<&Value> = docs
        .iter()
        .filter(|d| d["error"]["code"] == "insufficient_credits")
        .collect();
    assert_eq!((succeeded, starved.len()), (3, 2), "{view}");
    assert!(starved
        .iter()
        .all(|d| d["status"] == "PROCESS IMAGE FAILED"));
    assert_eq!(view["credits_charged"], 3);
    assert_eq!(app.credits("small").await, 0);

    // S3 and SQS deliver at least once: the same events again charge nothing and change nothing.
    let results_before = results(&app, &key, &job).await;
    for doc in docs {
        let key = format!("documents/{job}/{}", doc["document_id"].as_str().unwrap());
        object_created(&app.stack.functions.process_document.processing, &key)
            .await
            .unwrap();
    }
    app.stack.drain().await;
    assert_eq!(app.credits("small").await, 0);
    assert_eq!(
        results(&app, &key, &job).await["documents"],
        results_before["documents"]
    );

    // With the balance at 0, the next submission is refused up front.
    let (code, body) = app
        .call(
            "POST",
            "/process-job",
            Some(&key),
            Some(json!({"template_id": template, "actual_image": STANDARD.encode(&pdfs[0])})),
        )
        .await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (402, Some("insufficient_credits"))
    );
    app.stack.stop().await;
}

#[tokio::test]
async fn images_without_ocr_models_fail_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path()).await;
    let key = app.tenant("acme", 10).await;
    let template = invoice_template(&app, &key).await;
    let png = submit(&app, &key, &template, &fixture("invoice.png"), "a.png").await;
    let scan = fixtures::image_pdf(&fixture("invoice-scan.jpg"), 1240, 1754, true);
    let scanned_pdf = submit(&app, &key, &template, &scan, "scan.pdf").await;
    let text_pdf = submit(&app, &key, &template, &fixtures::invoice_pdf(), "text.pdf").await;
    app.stack.drain().await;
    for job in [&png, &scanned_pdf] {
        let view = app.job_status(&key, job).await;
        assert_eq!(view["status"], "FAILED", "{view}");
        assert_eq!(view["documents"][0]["error"]["code"], "ocr_unavailable");
    }
    let res = results(&app, &key, &text_pdf).await;
    assert_eq!(res["documents"][0]["result"], expected_invoice());
    assert_eq!(app.credits("acme").await, 10 - 1);
    app.stack.stop().await;
}

#[tokio::test]
async fn templates_with_bad_rules_are_refused_with_a_clear_400() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path()).await;
    let key = app.tenant("acme", 10).await;
    let template = invoice_template(&app, &key).await;
    let field =
        |rule: Value| json!({"name": "x", "fields": [{"name": "f", "type": "text", "rule": rule}]});
    for (body, words) in [
        (
            field(json!({"kind": "regex", "pattern": "Total: ([0-9]+"})),
            "regular expression",
        ),
        (
            field(json!({"kind": "region", "x": 0.5, "y": 0.5, "width": 0.7, "height": 0.1})),
            "region",
        ),
        (
            field(
                json!({"kind": "region", "page": 0, "x": 0.1, "y": 0.1, "width": 0.1, "height": 0.1}),
            ),
            "numbered from 1",
        ),
        (field(json!({"kind": "label", "label": ""})), "label"),
    ] {
        for (method, path) in [
            ("POST", "/templates".to_string()),
            ("PUT", format!("/templates/{template}")),
        ] {
            let (code, err) = app
                .call(method, &path, Some(&key), Some(body.clone()))
                .await;
            assert_eq!(
                (code, err["error"]["code"].as_str()),
                (400, Some("invalid_template")),
                "{body}"
            );
            let message = err["error"]["message"].as_str().unwrap();
            assert!(message.contains(words), "{message}");
        }
    }
    app.stack.stop().await;
}

/// An invoice as users send them, in a text PDF of two pages: two labels on one line, a value run into
/// another column's label, a German date, an ambiguous amount, references on both pages, and line
/// items that go on over the page break without a repeated header.
fn real_world_invoice() -> Vec<u8> {
    use fixtures::Text;
    let page_one = vec![
        Text::new(
            50.0,
            60.0,
            12.0,
            "Invoice Number: QX-58213  Rechnungsdatum: 7. Mai 2014",
        ),
        Text::new(50.0, 80.0, 12.0, "Order ID: OD3041750960 Billing Address"),
        Text::new(50.0, 100.0, 12.0, "Discount: 1.234"),
        Text::new(50.0, 120.0, 12.0, "Ref: A-1"),
        Text::new(50.0, 160.0, 12.0, "Description"),
        Text::new(320.0, 160.0, 12.0, "Qty"),
        Text::new(450.0, 160.0, 12.0, "Amount"),
        Text::new(50.0, 180.0, 12.0, "Widgets"),
        Text::new(320.0, 180.0, 12.0, "10"),
        Text::new(450.0, 180.0, 12.0, "1.000,00 EUR"),
        Text::new(50.0, 780.0, 9.0, "Page 1 of 2"),
    ];
    let page_two = vec![
        Text::new(50.0, 60.0, 12.0, "Ref: B-2"),
        Text::new(50.0, 100.0, 12.0, "Service fee"),
        Text::new(320.0, 100.0, 12.0, "1"),
        Text::new(450.0, 100.0, 12.0, "234,56 EUR"),
        Text::new(320.0, 140.0, 12.0, "Total: EUR 1.234,56"),
    ];
    fixtures::positioned_pdf(&[page_one, page_two], None)
}

#[tokio::test]
async fn labels_sharing_a_line_languages_match_modes_and_line_items_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path()).await;
    let key = app.tenant("acme", 10).await;
    let (code, body) = app
        .call(
            "POST",
            "/templates",
            Some(&key),
            Some(json!({
                "name": "Real world",
                "fields": [
                    {"name": "number", "type": "text", "rule": {"kind": "label", "label": "Invoice Number:"}},
                    {"name": "date", "type": "date", "rule": {"kind": "label", "label": "Rechnungsdatum:"}},
                    {"name": "order", "type": "text", "rule": {"kind": "label", "label": "Order ID:"}},
                    {"name": "discount", "type": "money", "rule": {"kind": "label", "label": "Discount:"}},
                    {"name": "ref", "type": "text", "rule": {"kind": "label", "label": "Ref:"}},
                    {"name": "refs", "type": "text", "match": "all", "rule": {"kind": "label", "label": "Ref:"}},
                    {"name": "refs_joined", "type": "text", "match": "join", "separator": "+", "rule": {"kind": "label", "label": "Ref:"}},
                    {"name": "total", "type": "money", "match": "last", "rule": {"kind": "regex", "pattern": "Total:\\s*(.+)"}},
                    {"name": "items", "type": "table", "rule": {"kind": "table", "stop": ["Total"], "columns": [
                        {"name": "description", "header": "Description"},
                        {"name": "qty", "header": "Qty", "type": "number"},
                        {"name": "amount", "header": "Amount", "type": "money"}
                    ]}}
                ]
            })),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    assert_eq!(
        (
            body["date_order"].clone(),
            body["decimal_separator"].clone()
        ),
        (Value::Null, Value::Null)
    );
    assert_eq!(body["fields"][5]["match"], "all");
    let template = body["id"].as_str().unwrap().to_string();
    let job = submit(&app, &key, &template, &real_world_invoice(), "real.pdf").await;
    app.stack.drain().await;
    let res = results(&app, &key, &job).await;
    let doc = &res["documents"][0];
    assert_eq!(doc["status"], "PROCESS IMAGE SUCCESS", "{doc}");
    let got: Vec<(String, Value, Value)> = doc["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let codes: Vec<Value> = f["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["code"].clone())
                .collect();
            (
                f["name"].as_str().unwrap().to_string(),
                f["value"].clone(),
                Value::from(codes),
            )
        })
        .collect();
    let want: Vec<(String, Value, Value)> = vec![
        ("number", json!("QX-58213"), json!([])),
        ("date", json!("2014-05-07"), json!([])),
        (
            "order",
            json!("OD3041750960 Billing Address"),
            json!(["ran_into_label"]),
        ),
        (
            "discount",
            json!(1234),
            json!(["ambiguous_decimal_separator"]),
        ),
        ("ref", json!("A-1"), json!(["multiple_different_matches"])),
        ("refs", json!(["A-1", "B-2"]), json!([])),
        ("refs_joined", json!("A-1+B-2"), json!([])),
        ("total", json!(1234.56), json!([])),
        (
            "items",
            json!([
                {"description": "Widgets", "qty": 10, "amount": 1000},
                {"description": "Service fee", "qty": 1, "amount": 234.56}
            ]),
            json!([]),
        ),
    ]
    .into_iter()
    .map(|(n, v, w)| (n.to_string(), v, w))
    .collect();
    assert_eq!(got, want);

    // CSV: one row per line item, the document's other values repeated, warnings per field.
    let csv = results_csv(&app, &key, &job).await;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    assert_eq!(
        rows.iter()
            .map(|r| r[column("items.amount")].to_string())
            .collect::<Vec<_>>(),
        vec!["1000", "234.56"]
    );
    assert_eq!(rows[1][column("number")].to_string(), "QX-58213");
    assert_eq!(
        rows[1][column("discount__warnings")].to_string(),
        "ambiguous_decimal_separator"
    );
    assert_eq!(rows[0][column("refs")].to_string(), "[\"A-1\",\"B-2\"]");
    app.stack.stop().await;
}

/// ONNX Runtime's int8 recogniser is trimmed to a Latin alphabet and carries it (scripts/ocr/trim_classes.py):
/// it loads with that list, which has the product's characters; rten's float recogniser keeps the full one.
#[test]
fn onnx_runtime_reads_with_the_latin_alphabet_and_rten_with_the_full_one() {
    use pagewire_extract::ocr::{InferenceEngine, OcrEngine, OcrSettings};
    let settings = OcrSettings::default();
    let library = onnxruntime_lib();
    let ort = OcrEngine::load_preferring(&ocr_model_dir(), settings, Some(&library)).unwrap();
    assert_eq!(ort.inference(), InferenceEngine::OnnxRuntime);
    let rten = OcrEngine::load_preferring(&ocr_model_dir(), settings, None).unwrap();
    assert_eq!(rten.inference(), InferenceEngine::Rten);
    for c in [
        "A", "z", "7", "€", "£", "¥", "₹", "é", "ß", "ñ", "ł", "Œ", "–", "“", "…", "°", "½", " ",
    ] {
        assert!(ort.reads(c) && rten.reads(c), "{c}");
    }
    assert!(!ort.reads("的") && rten.reads("的"));
    assert!(ort.alphabet_len() < 500 && rten.alphabet_len() > 18_000);
}

//! `POST /templates/preview` on both backends: the fields a preview shows are the ones a job extracts
//! from the same file (a PDF's text layer and an OCR'd PNG), nothing is stored, queued, charged or sent,
//! its bounds hold, and every bad request is a clear 4xx.
//!
//! Needs the OCR models: `scripts/test.sh` fetches them and sets PAGEWIRE_OCR_MODEL_DIR.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::on_both_backends;
use integration_tests::receiver::Receiver;
use integration_tests::stack::with_shipped_ocr;
use integration_tests::stack::{invoice_pdf, Backend, TestApp, TestEnv};
use pagewire_cli::DevOptions;
use serde_json::{json, Value};
use std::path::Path;

on_both_backends!(
    a_preview_shows_what_a_job_extracts_and_stores_nothing,
    bad_previews_are_clear_4xx,
    previews_are_bounded_in_pages,
);

async fn start(backend: Backend, tune: impl FnOnce(&mut DevOptions)) -> (TestEnv, TestApp) {
    let env = TestEnv::new(backend).await;
    let mut options = env.options();
    with_shipped_ocr(&mut options.config);
    tune(&mut options);
    let app = TestApp::start_with(options).await;
    // On AWS the bucket's `s3:TestEvent` waits on the process queue: consumed now, the queues are
    // empty, and a later drain counts only what the test caused.
    app.stack.drain().await;
    (env, app)
}

fn png_fixture() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invoice.png");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fields of the PNG invoice fixture, one of each rule kind that reads a single value.
fn inline_template() -> Value {
    json!({
        "name": "Invoice (studio)",
        "date_order": "day_month_year",
        "fields": [
            {"name": "invoice_number", "type": "text", "rule": {"kind": "label", "label": "Invoice Number:"}},
            {"name": "invoice_date", "type": "date", "rule": {"kind": "label", "label": "Invoice Date:"}},
            {"name": "total", "type": "money", "rule": {"kind": "regex", "pattern": "Total Due:\\s*(\\S+)"}},
            {"name": "vendor", "type": "text", "rule": {"kind": "region", "page": 1, "x": 0.05, "y": 0.03, "width": 0.5, "height": 0.06}}
        ]
    })
}

async fn preview(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    app.call("POST", "/templates/preview", Some(key), Some(body))
        .await
}

async fn credits(app: &TestApp) -> i64 {
    app.stack.storage.tenants.list_tenants().await.unwrap()[0].credits
}

async fn job_fields(app: &TestApp, key: &str, template: &str, file: &[u8]) -> Value {
    let job = app.submit_bytes(key, template, file).await;
    app.stack.drain().await;
    let results = app.job_results(key, &job).await;
    let doc = &results["documents"][0];
    assert_eq!(doc["status"], "PROCESS IMAGE SUCCESS", "{doc}");
    doc["fields"].clone()
}

async fn a_preview_shows_what_a_job_extracts_and_stores_nothing(backend: Backend) {
    let receiver = Receiver::start().await;
    let (_env, app) = start(backend, |_| {}).await;
    let key = app.tenant("acme", 100).await;
    let stored = app.invoice_template(&key).await;
    app.webhook(
        &key,
        json!({"template_id": stored, "name": "r", "url": receiver.url("/hook")}),
    )
    .await;
    let pdf = invoice_pdf();
    let png = png_fixture();

    // A stored template on the two-page PDF: the words of its text layer, each in its page.
    let (status, shown) = preview(
        &app,
        &key,
        json!({"template_id": stored, "file": STANDARD.encode(&pdf)}),
    )
    .await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["file_kind"], "pdf");
    let pages = shown["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 2);
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page["number"], i + 1);
        assert_eq!(page["source"], "text_layer");
        assert!(page["aspect"].as_f64().unwrap() > 0.5, "{page}");
        for word in page["words"].as_array().unwrap() {
            assert_eq!(word["confidence"], 1.0);
            let b = &word["box"];
            let (x, y) = (b["x"].as_f64().unwrap(), b["y"].as_f64().unwrap());
            let right = x + b["width"].as_f64().unwrap();
            let bottom = y + b["height"].as_f64().unwrap();
            assert!(
                x >= 0.0 && y >= 0.0 && right <= 1.0 && bottom <= 1.0,
                "{word}"
            );
        }
    }
    let words = |n: usize| -> Vec<&str> {
        pages[n]["words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["text"].as_str().unwrap())
            .collect()
    };
    assert!(words(0).contains(&"INV-2024-001"), "{:?}", words(0));
    assert!(words(1).contains(&"$1,234.56"), "{:?}", words(1));
    let by_name = |fields: &Value, name: &str| {
        fields
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        by_name(&shown["fields"], "invoice_number")["value"],
        "INV-2024-001"
    );
    assert_eq!(by_name(&shown["fields"], "total")["page"], 2);

    // The same template inline, unsaved, on the OCR'd PNG.
    let templates_before = app.call("GET", "/templates", Some(&key), None).await.1;
    let (status, shown_png) = preview(
        &app,
        &key,
        json!({"template": inline_template(), "file": STANDARD.encode(&png)}),
    )
    .await;
    assert_eq!(status, 200, "{shown_png}");
    assert_eq!(shown_png["file_kind"], "png");
    assert_eq!(shown_png["pages"][0]["source"], "ocr");
    assert_eq!(by_name(&shown_png["fields"], "total")["value"], 1234.56);
    assert_eq!(
        app.call("GET", "/templates", Some(&key), None).await.1,
        templates_before,
        "an inline template is not saved"
    );

    // Nothing was stored or queued (no upload to process, no delivery), charged, or sent.
    assert_eq!(app.stack.drain().await, 0, "a preview queues nothing");
    assert_eq!(credits(&app).await, 100, "a preview is free");
    assert!(receiver.received().is_empty(), "a preview sends no webhook");

    // A job on the same files extracts exactly the fields the previews showed.
    assert_eq!(job_fields(&app, &key, &stored, &pdf).await, shown["fields"]);
    let (status, saved) = app
        .call("POST", "/templates", Some(&key), Some(inline_template()))
        .await;
    assert_eq!(status, 201, "{saved}");
    let saved = saved["id"].as_str().unwrap();
    assert_eq!(
        job_fields(&app, &key, saved, &png).await,
        shown_png["fields"]
    );
    app.stack.stop().await;
}

async fn bad_previews_are_clear_4xx(backend: Backend) {
    let (_env, app) = start(backend, |_| {}).await;
    let key = app.tenant("acme", 100).await;
    let stored = app.invoice_template(&key).await;
    let pdf = STANDARD.encode(invoice_pdf());
    let cases: Vec<(&str, Option<&str>, Value, u16, &str)> = vec![
        (
            "no key",
            None,
            json!({"template_id": stored, "file": pdf}),
            401,
            "missing_api_key",
        ),
        (
            "no file",
            Some(&key),
            json!({"template_id": stored}),
            400,
            "missing_field",
        ),
        (
            "no template",
            Some(&key),
            json!({"file": pdf}),
            400,
            "missing_field",
        ),
        (
            "both templates",
            Some(&key),
            json!({"template_id": stored, "template": inline_template(), "file": pdf}),
            400,
            "missing_field",
        ),
        (
            "unknown template",
            Some(&key),
            json!({"template_id": "5b2e9c14-7a3f-4d61-8c0b-2e4f6a8d1c99", "file": pdf}),
            404,
            "template_not_found",
        ),
        (
            "malformed template id",
            Some(&key),
            json!({"template_id": "nope", "file": pdf}),
            404,
            "template_not_found",
        ),
        (
            "bad regex",
            Some(&key),
            json!({"file": pdf, "template": {"name": "t", "fields": [
                {"name": "a", "type": "text", "rule": {"kind": "regex", "pattern": "("}}]}}),
            400,
            "invalid_template",
        ),
        (
            "not base64",
            Some(&key),
            json!({"template_id": stored, "file": "%%%"}),
            400,
            "invalid_base64",
        ),
        (
            "not a document",
            Some(&key),
            json!({"template_id": stored, "file": STANDARD.encode(b"just some text")}),
            415,
            "unsupported_file_type",
        ),
        (
            "a truncated PDF",
            Some(&key),
            json!({"template_id": stored, "file": STANDARD.encode(b"%PDF-1.4\n1 0 obj\n<<")}),
            400,
            "unreadable_file",
        ),
        (
            "unknown field",
            Some(&key),
            json!({"template_id": stored, "file": pdf, "x": 1}),
            400,
            "invalid_field",
        ),
    ];
    for (what, key, body, status, code) in cases {
        let (got, answer) = app
            .call("POST", "/templates/preview", key, Some(body))
            .await;
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{what}: {answer}"
        );
    }
    let (got, answer) = app
        .call("POST", "/templates/preview", Some(&key), None)
        .await;
    assert_eq!(
        (got, &answer["error"]["code"]),
        (400, &json!("malformed_json")),
        "{answer}"
    );
    // As on API Gateway, a GET of the path is the templates function's: no template has that id.
    let (got, answer) = app
        .call("GET", "/templates/preview", Some(&key), None)
        .await;
    assert_eq!(
        (got, &answer["error"]["code"]),
        (404, &json!("template_not_found")),
        "{answer}"
    );
    assert_eq!(app.stack.drain().await, 0);
    app.stack.stop().await;
}

async fn previews_are_bounded_in_pages(backend: Backend) {
    let (_env, app) = start(backend, |options| {
        options.config.settings.preview.max_pages = 2;
        options.config.settings.preview.pages_per_minute = 5;
    })
    .await;
    let key = app.tenant("acme", 100).await;
    let stored = app.invoice_template(&key).await;
    let three_pages =
        pagewire_extract::reader::fixtures::text_pdf(&[&["Invoice Number: A-1"], &["b"], &["c"]]);
    let (status, answer) = preview(
        &app,
        &key,
        json!({"template_id": stored, "file": STANDARD.encode(three_pages)}),
    )
    .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (413, &json!("too_many_pages")),
        "{answer}"
    );

    // 5 pages a minute: the refused sample counted one, then the two-page invoice twice (5: the second
    // was admitted with budget left), then refused until the minute ends.
    let body = json!({"template_id": stored, "file": STANDARD.encode(invoice_pdf())});
    for n in 0..2 {
        let (status, answer) = preview(&app, &key, body.clone()).await;
        assert_eq!(status, 200, "preview {n}: {answer}");
    }
    let response = app
        .client
        .post(app.url("/templates/preview"))
        .header("x-auth", &key)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429, "{:?}", response.headers());
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Another tenant has its own budget.
    let other = app.tenant("globex", 10).await;
    let other_template = app.invoice_template(&other).await;
    let (status, _) = preview(
        &app,
        &other,
        json!({"template_id": other_template, "file": STANDARD.encode(invoice_pdf())}),
    )
    .await;
    assert_eq!(status, 200);
    app.stack.stop().await;
}

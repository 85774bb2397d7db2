//! The API's guards against clients that retry and clients that flood: `Idempotency-Key` on submissions and
//! the per-tenant rate limit.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::stack::{invoice_pdf, Backend, TestApp, TestEnv};
use serde_json::{json, Value};
use std::time::Duration;

async fn submit(app: &TestApp, key: &str, idem: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url("/process-job"))
        .header("x-auth", key)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(idem) = idem {
        req = req.header("idempotency-key", idem);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn multipart(app: &TestApp, key: &str, idem: &str, template: &str) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .text("template_id", template.to_string())
        .part(
            "actual_image",
            reqwest::multipart::Part::bytes(invoice_pdf()).file_name("invoice.pdf"),
        );
    let resp = app
        .client
        .post(app.url("/process-job"))
        .header("x-auth", key)
        .header("idempotency-key", idem)
        .multipart(form)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Uploads the stack has queued for processing: one per job created. (S3 also sends a test event when the
/// bucket's notification is set up; it creates no object.)
async fn queued_uploads(app: &TestApp) -> usize {
    let mut total = 0;
    loop {
        let batch = app
            .stack
            .process_queue
            .receive(10, Duration::from_secs(600))
            .await
            .expect("receive");
        if batch.is_empty() {
            return total;
        }
        total += batch
            .iter()
            .filter(|m| m.body.contains("ObjectCreated"))
            .count();
    }
}

async fn idempotency_key_replays_the_first_answer_and_creates_nothing(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start().await;
    let key = app.tenant("acme", 100).await;
    let other = app.tenant("other", 100).await;
    let template = app.invoice_template(&key).await;
    let other_template = app.invoice_template(&other).await;
    let pdf = STANDARD.encode(invoice_pdf());
    let body = json!({"template_id": template, "actual_image": pdf, "static_values": {"ref": 7}});

    let (status, first) = submit(&app, &key, Some("order-7"), &body).await;
    assert_eq!(status, 202, "{first}");
    let (status, again) = submit(&app, &key, Some("order-7"), &body).await;
    assert_eq!((status, &again), (202, &first));
    // The same content as multipart is the same request.
    let (status, same_in_multipart) = multipart(&app, &key, "order-7", &template).await;
    assert_eq!(status, 409, "other static_values: {same_in_multipart}");
    // A multipart file part carries its file name; the JSON twin names it too.
    let plain = json!({"template_id": template, "actual_image": pdf, "file_name": "invoice.pdf"});
    let (status, plain_first) = submit(&app, &key, Some("plain"), &plain).await;
    assert_eq!(status, 202);
    let (status, plain_multipart) = multipart(&app, &key, "plain", &template).await;
    assert_eq!((status, &plain_multipart), (202, &plain_first));

    // Another body under a used key is refused; another tenant's same key is its own.
    let changed =
        json!({"template_id": template, "actual_image": pdf, "static_values": {"ref": 8}});
    let (status, reused) = submit(&app, &key, Some("order-7"), &changed).await;
    assert_eq!(status, 409);
    assert_eq!(reused["error"]["code"], "idempotency_key_reused");
    let foreign = json!({"template_id": other_template, "actual_image": pdf});
    let (status, theirs) = submit(&app, &other, Some("order-7"), &foreign).await;
    assert_eq!(status, 202, "{theirs}");
    assert_ne!(theirs["job_id"], first["job_id"]);

    // A refused request frees its key: fixing the body and retrying with the same key works.
    let broken = json!({"template_id": template, "actual_image": "%%%"});
    let (status, _) = submit(&app, &key, Some("fix-me"), &broken).await;
    assert_eq!(status, 400);
    let (status, _) = submit(&app, &key, Some("fix-me"), &plain).await;
    assert_eq!(status, 202);

    // Requests that differ never replay each other, however close their fingerprints' parts: no
    // webhooks (`[]`) is not an empty id (`[""]`), which is refused on its own.
    let no_hooks = json!({"template_id": template, "actual_image": pdf, "webhook_ids": []});
    let (status, none_chosen) = submit(&app, &key, Some("ids"), &no_hooks).await;
    assert_eq!(status, 202, "{none_chosen}");
    let empty_id = json!({"template_id": template, "actual_image": pdf, "webhook_ids": [""]});
    let (status, reused) = submit(&app, &key, Some("ids"), &empty_id).await;
    assert_eq!(
        (status, reused["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    let (status, refused) = submit(&app, &key, Some("ids-2"), &empty_id).await;
    assert_eq!(
        (status, refused["error"]["message"].as_str()),
        (400, Some("webhook_ids[0]: \"\" is not a UUID"))
    );

    // Without a key every submission is a new job.
    let (_, a) = submit(&app, &key, None, &plain).await;
    let (_, b) = submit(&app, &key, None, &plain).await;
    assert_ne!(a["job_id"], b["job_id"]);

    // order-7, plain, other tenant's order-7, fix-me, ids, two without a key: seven jobs, no more.
    assert_eq!(queued_uploads(&app).await, 7);

    let (status, bad) = submit(&app, &key, Some("has space"), &plain).await;
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (400, Some("invalid_idempotency_key"))
    );
}

/// One file per request: a second file part is a 400 that names it, and nothing is created.
async fn a_second_file_part_is_refused_by_name_and_creates_nothing(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start().await;
    let key = app.tenant("acme", 100).await;
    let template = app.invoice_template(&key).await;
    let pdf = || reqwest::multipart::Part::bytes(invoice_pdf()).file_name("invoice.pdf");
    let forms = [
        (
            reqwest::multipart::Form::new()
                .text("template_id", template.clone())
                .part("actual_image", pdf())
                .part("actual_image", pdf().file_name("other.pdf")),
            r#"part "actual_image" is a second file after part "actual_image""#,
        ),
        (
            reqwest::multipart::Form::new()
                .part("actual_image", pdf())
                .part("receipt", pdf())
                .text("template_id", template.clone()),
            r#"part "receipt" is a second file after part "actual_image""#,
        ),
    ];
    for (form, names) in forms {
        let resp = app
            .client
            .post(app.url("/process-job"))
            .header("x-auth", &key)
            .header("idempotency-key", "two-files")
            .multipart(form)
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), 400);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "too_many_files", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{message}");
    }
    assert_eq!(queued_uploads(&app).await, 0);
    // The refusal freed the key: the same request with one file goes through.
    let (status, body) = multipart(&app, &key, "two-files", &template).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(queued_uploads(&app).await, 1);
}

integration_tests::on_both_backends!(
    idempotency_key_replays_the_first_answer_and_creates_nothing,
    a_second_file_part_is_refused_by_name_and_creates_nothing
);

/// The limiter is per process and the same on either backend, so the embedded one shows it.
#[tokio::test]
async fn a_tenant_over_its_rate_gets_429_with_retry_after() {
    use pagewire_core::policy::rate_limit::RateLimit;
    use pagewire_core::ManualClock;
    use std::sync::Arc;

    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let env = TestEnv::with_clock(Backend::Embedded, clock.clone()).await;
    let mut options = env.options();
    options.config.settings.api_rate_limit = RateLimit {
        per_second: 1,
        burst: 3,
    };
    let app = TestApp::start_with(options).await;
    let key = app.tenant("acme", 10).await;
    let other = app.tenant("other", 10).await;

    for _ in 0..3 {
        assert_eq!(app.call("GET", "/templates", Some(&key), None).await.0, 200);
    }
    let resp = app
        .client
        .get(app.url("/templates"))
        .header("x-auth", &key)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited");

    // Other tenants are not slowed down; unauthenticated requests are refused before counting.
    assert_eq!(
        app.call("GET", "/templates", Some(&other), None).await.0,
        200
    );
    assert_eq!(app.call("GET", "/templates", None, None).await.0, 401);

    clock.advance(chrono::Duration::seconds(1));
    assert_eq!(app.call("GET", "/templates", Some(&key), None).await.0, 200);
    assert_eq!(app.call("GET", "/templates", Some(&key), None).await.0, 429);
}

/// A store that cannot take another write (here the embedded database at its size cap, as on a full
/// disk) answers 503 with `Retry-After`, never a 500; what it answered 202 for is kept, and the same
/// request goes through once there is room.
#[tokio::test]
async fn a_full_store_answers_503_with_retry_after_and_loses_nothing() {
    let env = TestEnv::new(Backend::Embedded).await;
    let app = env.start().await;
    let key = app.tenant("acme", 1_000).await;
    let template = app.invoice_template(&key).await;
    let store = app.stack.embedded.clone().expect("the embedded backend");
    // Capped at what the file holds: its free pages are the only room left.
    store.cap_database_size(0).expect("cap");
    let body = json!({"template_id": template, "actual_image": STANDARD.encode(invoice_pdf()),
        "static_values": {"padding": "x".repeat(3_000)}});
    let mut accepted = Vec::new();
    let refused = loop {
        assert!(accepted.len() < 500, "the capped database never filled up");
        let resp = app
            .client
            .post(app.url("/process-job"))
            .header("x-auth", &key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let retry_after = resp.headers().get("retry-after").cloned();
        let answer: Value = resp.json().await.unwrap_or(Value::Null);
        match status {
            202 => accepted.push(answer["job_id"].as_str().unwrap().to_string()),
            _ => break (status, retry_after, answer),
        }
    };
    let (status, retry_after, answer) = refused;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["error"]["code"], "service_unavailable", "{answer}");
    let seconds: u64 = retry_after
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(seconds >= 1, "{seconds}");
    // Room again: the same request is taken, and every job answered 202 before is there.
    store.cap_database_size(u64::MAX).expect("uncap");
    let (status, again) = submit(&app, &key, None, &body).await;
    assert_eq!(status, 202, "{again}");
    for job in &accepted {
        let (status, view) = app
            .call("GET", &format!("/jobs/{job}"), Some(&key), None)
            .await;
        assert_eq!(status, 200, "{job}: {view}");
    }
    app.stack.stop().await;
}

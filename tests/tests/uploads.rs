//! `POST /uploads` on both backends: the job is created `NEW` with a URL, the client PUTs the file there
//! (a presigned S3 PUT into the emulator, or `pagewire dev`'s local URL), and processing and delivery
//! follow as for `POST /process-job`.

use chrono::{Duration, SubsecRound, Utc};
use integration_tests::on_both_backends;
use integration_tests::receiver::Receiver;
use integration_tests::stack::{invoice_pdf, Backend, TestApp, TestEnv};
use pagewire_core::ids::JobId;
use pagewire_core::processing::object_created;
use pagewire_core::ManualClock;
use serde_json::{json, Value};
use std::sync::Arc;

/// A stack with a tenant, the invoice template and a webhook to `receiver`.
struct Setup {
    app: TestApp,
    key: String,
    template: String,
}

async fn setup(env: &TestEnv, receiver: &Receiver) -> Setup {
    let app = env.start().await;
    let key = app.tenant("acme", 100).await;
    let template = app.invoice_template(&key).await;
    app.webhook(
        &key,
        json!({"template_id": template, "name": "hook", "url": receiver.url("/hooks/:id")}),
    )
    .await;
    Setup { app, key, template }
}

async fn create(s: &Setup, body: Value, idempotency_key: Option<&str>) -> (u16, Value) {
    let mut req = s
        .app
        .client
        .post(s.app.url("/uploads"))
        .header("x-auth", &s.key)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(k) = idempotency_key {
        req = req.header("idempotency-key", k);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// PUTs `bytes` to the created upload's URL with the headers it lists.
async fn put_file(app: &TestApp, created: &Value, bytes: Vec<u8>) -> (u16, String) {
    let upload = &created["upload"];
    assert_eq!(upload["method"], "PUT");
    let mut req = app.client.put(upload["url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        req = req.header(name.as_str(), value.as_str().unwrap());
    }
    let resp = req.body(bytes).send().await.unwrap();
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

async fn status_of(s: &Setup, job: &str) -> (u16, Value) {
    s.app
        .call(
            "GET",
            &format!("/job-status?job_id={job}"),
            Some(&s.key),
            None,
        )
        .await
}

async fn upload_is_processed_and_delivered_once(backend: Backend) {
    let receiver = Receiver::start().await;
    let env = TestEnv::new(backend).await;
    let s = setup(&env, &receiver).await;
    let before = Utc::now().trunc_subsecs(0);
    let (status, created) = create(
        &s,
        json!({"template_id": s.template, "file_name": "big-invoice.pdf",
               "static_values": {"batch": 3}, "file_size": invoice_pdf().len()}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "NEW");
    assert_eq!(created["template_id"], s.template);
    assert_eq!(created["static_values"], json!({"batch": 3}));
    let job = created["job_id"].as_str().unwrap().to_string();
    let upload = &created["upload"];
    assert_eq!(upload["max_bytes"], 100 * 1024 * 1024);
    assert_eq!(
        upload["headers"]["content-type"],
        "application/octet-stream"
    );
    let expires: chrono::DateTime<Utc> = upload["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(
        expires >= before + Duration::minutes(59) && expires <= Utc::now() + Duration::hours(1)
    );
    let url = upload["url"].as_str().unwrap();
    match backend {
        Backend::Embedded => assert!(url.starts_with(&s.app.url("/local-uploads/")), "{url}"),
        Backend::Aws => {
            assert!(
                url.contains("/uploads/") && url.contains(&format!("/{job}/source?")),
                "{url}"
            );
            assert!(
                url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=3600"),
                "{url}"
            );
        }
    }

    // Nothing arrived yet: the job is NEW, and stays so however often the queues run.
    s.app.stack.drain().await;
    let (code, view) = status_of(&s, &job).await;
    assert_eq!(
        (code, view["status"].as_str()),
        (200, Some("NEW")),
        "{view}"
    );
    assert_eq!(s.app.job(&s.key, &job).await["status"], "NEW");

    let (code, text) = put_file(&s.app, &created, invoice_pdf()).await;
    assert_eq!(code, 200, "{text}");
    assert!(
        s.app.stack.drain().await >= 2,
        "processing and delivery ran"
    );
    let (_, view) = status_of(&s, &job).await;
    assert_eq!(view["status"], "SUCCESS", "{view}");
    assert_eq!(view["pages"], 2);
    let hits = receiver.received();
    assert_eq!(hits.len(), 1);
    let body = hits[0].json();
    assert_eq!(body["type"], "document.completed");
    assert_eq!(body["job_id"], job.as_str());
    assert_eq!(body["file_name"], "big-invoice.pdf");
    assert_eq!(body["static_values"], json!({"batch": 3}));
    assert_eq!(body["result"]["invoice_number"], "INV-2024-001");

    // S3 and SQS deliver at least once: the same notification again maps to the same job and changes
    // nothing (no second document, webhook or charge).
    let stored = s
        .app
        .stack
        .storage
        .jobs
        .get_job(JobId::parse(&job).unwrap())
        .await
        .unwrap()
        .unwrap();
    let processing = &s.app.stack.functions.process_document.processing;
    object_created(processing, &stored.upload_key)
        .await
        .unwrap();
    s.app.stack.drain().await;
    assert_eq!(receiver.received().len(), 1);
    let (_, again) = status_of(&s, &job).await;
    assert_eq!(again["documents"].as_array().unwrap().len(), 1);
    assert_eq!(again["credits_charged"], 2);
}

async fn upload_never_sent_stays_new_until_it_expires(backend: Backend) {
    let receiver = Receiver::start().await;
    let t0 = Utc::now().trunc_subsecs(0);
    let clock = Arc::new(ManualClock::new(t0));
    let env = TestEnv::with_clock(backend, clock.clone()).await;
    let s = setup(&env, &receiver).await;
    let (status, created) = create(&s, json!({"template_id": s.template}), None).await;
    assert_eq!(status, 201, "{created}");
    let job = created["job_id"].as_str().unwrap().to_string();
    for hours in [1, 12, 23] {
        clock.set(t0 + Duration::hours(hours));
        s.app.stack.drain().await;
        let (code, view) = status_of(&s, &job).await;
        assert_eq!(
            (code, view["status"].as_str()),
            (200, Some("NEW")),
            "{view}"
        );
    }
    clock.set(t0 + Duration::hours(24));
    let (code, view) = status_of(&s, &job).await;
    assert_eq!(
        (code, view["error"]["code"].as_str()),
        (410, Some("job_expired"))
    );
    assert!(receiver.received().is_empty());
}

async fn oversized_files_are_refused(backend: Backend) {
    const MAX: u64 = 64 * 1024;
    let receiver = Receiver::start().await;
    let env = TestEnv::new(backend).await;
    let app = env
        .start_adjusted(|o| o.config.settings.max_upload_file_bytes = MAX)
        .await;
    let key = app.tenant("acme", 100).await;
    let template = app.invoice_template(&key).await;
    app.webhook(
        &key,
        json!({"template_id": template, "name": "hook", "url": receiver.url("/h")}),
    )
    .await;
    let s = Setup { app, key, template };

    // Announced too large: refused before any byte is sent.
    let (status, body) = create(
        &s,
        json!({"template_id": s.template, "file_size": MAX + 1}),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("file_too_large")),
        "{body}"
    );

    // Not announced, and sent too large.
    let (status, created) = create(&s, json!({"template_id": s.template}), None).await;
    assert_eq!(status, 201, "{created}");
    let job = created["job_id"].as_str().unwrap().to_string();
    assert_eq!(created["upload"]["max_bytes"], MAX);
    let mut big = invoice_pdf();
    big.resize(MAX as usize + 1, b' ');
    let (code, text) = put_file(&s.app, &created, big).await;
    s.app.stack.drain().await;
    let (_, view) = status_of(&s, &job).await;
    match backend {
        // The dev server refuses the body itself, and the job still waits for a file.
        Backend::Embedded => {
            assert_eq!(code, 413, "{text}");
            assert!(text.contains("file_too_large"), "{text}");
            assert_eq!(view["status"], "NEW", "{view}");
            assert!(receiver.received().is_empty());
        }
        // S3 takes any size a presigned PUT sends; processing refuses the file before reading it.
        Backend::Aws => {
            assert_eq!(code, 200, "{text}");
            assert_eq!(view["status"], "FAILED", "{view}");
            assert_eq!(view["documents"][0]["error"]["code"], "file_too_large");
            let hits = receiver.received();
            assert_eq!(hits.len(), 1);
            assert_eq!(hits[0].json()["type"], "document.failed");
        }
    }
    assert_eq!(view["credits_charged"], 0);
}

async fn idempotency_key_replays_the_first_upload(backend: Backend) {
    let receiver = Receiver::start().await;
    let env = TestEnv::new(backend).await;
    let s = setup(&env, &receiver).await;
    let body = json!({"template_id": s.template, "file_name": "a.pdf"});
    let (first_status, first) = create(&s, body.clone(), Some("upload-1")).await;
    assert_eq!(first_status, 201, "{first}");
    let (again_status, again) = create(&s, body.clone(), Some("upload-1")).await;
    assert_eq!(again_status, 201);
    assert_eq!(
        again, first,
        "the first answer, replayed: same job, same URL"
    );

    let (status, other) = create(
        &s,
        json!({"template_id": s.template, "file_name": "b.pdf"}),
        Some("upload-1"),
    )
    .await;
    assert_eq!(
        (status, other["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    // The key belongs to an /uploads request: /process-job under it is another request.
    let resp = s
        .app
        .client
        .post(s.app.url("/process-job"))
        .header("x-auth", &s.key)
        .header("idempotency-key", "upload-1")
        .header("content-type", "application/json")
        .body(json!({"template_id": s.template, "actual_image": base64_pdf()}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 409);

    // Without a key, every request is a new job.
    let (_, a) = create(&s, body.clone(), None).await;
    let (_, b) = create(&s, body, None).await;
    assert_ne!(a["job_id"], b["job_id"]);
    assert_ne!(a["job_id"], first["job_id"]);

    // The replayed URL still works, once.
    let (code, text) = put_file(&s.app, &first, invoice_pdf()).await;
    assert_eq!(code, 200, "{text}");
    s.app.stack.drain().await;
    let (_, view) = status_of(&s, first["job_id"].as_str().unwrap()).await;
    assert_eq!(view["status"], "SUCCESS", "{view}");
    assert_eq!(receiver.received().len(), 1);
}

async fn uploads_are_checked_like_submissions(backend: Backend) {
    let receiver = Receiver::start().await;
    let env = TestEnv::new(backend).await;
    let s = setup(&env, &receiver).await;
    let cases = [
        (json!({}), 400, "missing_field"),
        (json!({"template_id": "nope"}), 400, "invalid_template_id"),
        (
            json!({"template_id": uuid::Uuid::new_v4().to_string()}),
            404,
            "template_not_found",
        ),
        (
            json!({"template_id": s.template, "webhook_ids": [uuid::Uuid::new_v4().to_string()]}),
            404,
            "webhook_not_found",
        ),
        (
            json!({"template_id": s.template, "static_values": [1]}),
            400,
            "invalid_static_values",
        ),
        (
            json!({"template_id": s.template, "file_size": 0}),
            400,
            "empty_file",
        ),
    ];
    for (body, status, code) in cases {
        let (got, answer) = create(&s, body.clone(), None).await;
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    let (status, _) = s
        .app
        .call(
            "POST",
            "/uploads",
            None,
            Some(json!({"template_id": s.template})),
        )
        .await;
    assert_eq!(status, 401);
    // No credits: refused at once, as /process-job does.
    let broke = s.app.tenant("broke", 0).await;
    let broke_template = s.app.invoice_template(&broke).await;
    let (status, body) = s
        .app
        .call(
            "POST",
            "/uploads",
            Some(&broke),
            Some(json!({"template_id": broke_template})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (402, Some("insufficient_credits"))
    );
}

fn base64_pdf() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(invoice_pdf())
}

on_both_backends!(
    upload_is_processed_and_delivered_once,
    upload_never_sent_stays_new_until_it_expires,
    oversized_files_are_refused,
    idempotency_key_replays_the_first_upload,
    uploads_are_checked_like_submissions,
);

// The emulator does not check presigned URLs' signatures or expiry (real S3 answers 403 to both), so the
// refusals of altered, expired and reused URLs are tested on the dev server's local URLs.

#[tokio::test]
async fn local_upload_urls_refuse_altered_expired_and_reused_tokens() {
    let receiver = Receiver::start().await;
    let t0 = Utc::now().trunc_subsecs(0);
    let clock = Arc::new(ManualClock::new(t0));
    let env = TestEnv::with_clock(Backend::Embedded, clock.clone()).await;
    let s = setup(&env, &receiver).await;
    let (_, created) = create(&s, json!({"template_id": s.template}), None).await;
    let url = created["upload"]["url"].as_str().unwrap().to_string();
    let put = |url: String, content_type: &'static str| {
        let client = s.app.client.clone();
        async move {
            let resp = client
                .put(url)
                .header("content-type", content_type)
                .body(invoice_pdf())
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            (
                status,
                body["error"]["code"].as_str().unwrap_or("").to_string(),
            )
        }
    };
    let ok = "application/octet-stream";

    // Altered: one character of the signature, or of the claims.
    let (base, token) = url.rsplit_once('/').unwrap();
    let (claims, tag) = token.split_once('.').unwrap();
    let flip = |text: &str| {
        let mut chars: Vec<char> = text.chars().collect();
        chars[3] = if chars[3] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    for bad in [
        format!("{base}/{claims}.{}", flip(tag)),
        format!("{base}/{}.{tag}", flip(claims)),
        format!("{base}/not-a-token"),
        format!("{base}/"),
    ] {
        assert_eq!(
            put(bad.clone(), ok).await,
            (403, "invalid_upload_url".into()),
            "{bad}"
        );
    }
    // Without the headers the upload listed.
    assert_eq!(put(url.clone(), "application/pdf").await.0, 403);
    // Not a PUT.
    let get = s.app.client.get(&url).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
    // The 405 says what the route takes (RFC 9110).
    assert_eq!(get.headers()["allow"], "PUT");

    // Expired: one hour after it was made.
    clock.set(t0 + Duration::hours(1));
    assert_eq!(
        put(url.clone(), ok).await,
        (403, "upload_url_expired".into())
    );
    clock.set(t0 + Duration::minutes(59));
    assert_eq!(put(url.clone(), ok).await.0, 200);
    // Used: the file is there; the same URL cannot replace it.
    assert_eq!(
        put(url.clone(), ok).await,
        (409, "upload_already_received".into())
    );
    s.app.stack.drain().await;
    assert_eq!(put(url, ok).await, (409, "upload_already_received".into()));
    assert_eq!(receiver.received().len(), 1);
}

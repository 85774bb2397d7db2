//! Every bad submission gets its exact status and error code, never a 500 or a silent drop.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::receiver::Receiver;
use integration_tests::stack::{invoice_pdf, Backend, TestEnv};
use serde_json::{json, Value};

/// (what, API key, body, expected status, expected error code)
type Case<'a> = (&'a str, Option<&'a str>, Option<String>, u16, &'a str);

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}

async fn submissions_are_refused_with_exact_status_and_code(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start().await;
    let receiver = Receiver::start().await;
    let key = app.tenant("acme", 100).await;
    let other = app.tenant("other", 100).await;
    let broke = app.tenant("broke", 0).await;
    let template = app.invoice_template(&key).await;
    let foreign_template = app.invoice_template(&other).await;
    let broke_template = app.invoice_template(&broke).await;
    let (_, foreign_hook) = app
        .call(
            "POST",
            "/webhooks",
            Some(&other),
            Some(json!({"template_id": foreign_template, "name": "x", "url": receiver.url("/x")})),
        )
        .await;
    let pdf = STANDARD.encode(invoice_pdf());
    let submit = |t: &str, file: &str| json!({"template_id": t, "actual_image": file});

    let cases: Vec<Case> = vec![
        ("no key", None, Some(submit(&template, &pdf).to_string()), 401, "missing_api_key"),
        ("wrong key", Some("pw_not-a-real-key"), Some(submit(&template, &pdf).to_string()), 401, "invalid_api_key"),
        ("malformed json", Some(&key), Some("{\"template_id\": ".to_string()), 400, "malformed_json"),
        ("bad base64", Some(&key), Some(submit(&template, "%%%not base64%%%").to_string()), 400, "invalid_base64"),
        (
            "unknown template",
            Some(&key),
            Some(submit("00000000-0000-4000-8000-000000000000", &pdf).to_string()),
            404,
            "template_not_found",
        ),
        ("foreign template", Some(&key), Some(submit(&foreign_template, &pdf).to_string()), 404, "template_not_found"),
        ("malformed template id", Some(&key), Some(submit("nope", &pdf).to_string()), 400, "invalid_template_id"),
        (
            "foreign webhook",
            Some(&key),
            Some(json!({"template_id": template, "actual_image": pdf, "webhook_ids": [foreign_hook["id"]]}).to_string()),
            404,
            "webhook_not_found",
        ),
        (
            "unsupported type by content",
            Some(&key),
            Some(json!({"template_id": template, "actual_image": STANDARD.encode("just text"), "file_name": "x.pdf"}).to_string()),
            415,
            "unsupported_file_type",
        ),
        ("empty file", Some(&key), Some(submit(&template, "").to_string()), 400, "empty_file"),
        ("missing template_id", Some(&key), Some(json!({"actual_image": pdf}).to_string()), 400, "missing_field"),
        ("missing file", Some(&key), Some(json!({"template_id": template}).to_string()), 400, "missing_field"),
        (
            "static_values not an object",
            Some(&key),
            Some(json!({"template_id": template, "actual_image": pdf, "static_values": [1]}).to_string()),
            400,
            "invalid_static_values",
        ),
        ("no credits", Some(&broke), Some(submit(&broke_template, &pdf).to_string()), 402, "insufficient_credits"),
        (
            "oversized body",
            Some(&key),
            Some(submit(&template, &"A".repeat(7 * 1024 * 1024)).to_string()),
            413,
            "payload_too_large",
        ),
    ];
    for (name, auth, body, want_status, want_code) in cases {
        let mut req = app
            .client
            .post(app.url("/process-job"))
            .header("content-type", "application/json");
        if let Some(auth) = auth {
            req = req.header("x-auth", auth);
        }
        let resp = req.body(body.unwrap_or_default()).send().await.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert_eq!(
            (status, code(&body)),
            (want_status, want_code),
            "{name}: {body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{name}"
        );
    }

    // Bearer works as well as x-auth; unknown routes and methods are clear too.
    let resp = app
        .client
        .get(app.url("/templates"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (status, body) = app.call("GET", "/nowhere", Some(&key), None).await;
    assert_eq!((status, code(&body)), (404, "route_not_found"));
    let (status, body) = app.call("DELETE", "/process-job", Some(&key), None).await;
    assert_eq!((status, code(&body)), (405, "method_not_allowed"));
    // A 405 says which methods the path has (RFC 9110: `Allow` is required).
    for (method, path, allow) in [
        ("DELETE", "/process-job", "POST"),
        ("PATCH", "/templates", "GET, POST"),
        ("POST", "/jobs/00000000-0000-4000-8000-000000000000", "GET"),
        (
            "POST",
            "/templates/00000000-0000-4000-8000-000000000000",
            "GET, PUT, DELETE",
        ),
    ] {
        let resp = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .header("x-auth", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 405, "{method} {path}");
        let header = resp.headers().get("allow").map(|v| v.to_str().unwrap());
        assert_eq!(header, Some(allow), "{method} {path}");
    }

    // Nothing was created by the refused submissions: the account was not charged.
    app.stack.drain().await;
    let acme = app.stack.storage.tenants.list_tenants().await.unwrap();
    assert_eq!(acme.iter().find(|t| t.name == "acme").unwrap().credits, 100);
    app.stack.stop().await;
}

async fn bad_configuration_is_refused(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start().await;
    let key = app.tenant("acme", 10).await;
    let template = app.invoice_template(&key).await;
    let bad_templates = [
        json!({"name": "x", "fields": [{"name": "a", "type": "text", "rule": {"kind": "regex", "pattern": "("}}]}),
        json!({"name": "x", "fields": [{"name": "a", "type": "colour", "rule": {"kind": "label", "label": "A"}}]}),
        json!({"name": ""}),
    ];
    for body in bad_templates {
        let (status, err) = app
            .call("POST", "/templates", Some(&key), Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body}: {err}");
    }
    // Shape errors name the field by its path, in JSON's words; integer fields take `1.0`.
    let region = |group: Value| {
        json!({"name": "r", "fields": [
            {"name": "a", "type": "text", "rule": {"kind": "regex", "pattern": "A(\\d)", "group": group}},
            {"name": "b", "type": "text", "rule": {"kind": "region", "page": 1.0, "x": 0.05, "y": 0.1, "width": 0.3, "height": 0.025}},
        ]})
    };
    let shape_errors = [
        (
            region(json!(1.5)),
            "invalid_field",
            "fields[0].rule.group: expected an integer",
        ),
        (
            json!({"name": "r", "fields": [{"name": "a", "type": "text", "rule": {"label": "A"}}]}),
            "missing_field",
            "fields[0].rule.kind: is required",
        ),
    ];
    for (body, want_code, want_message) in shape_errors {
        let (status, err) = app.call("POST", "/templates", Some(&key), Some(body)).await;
        assert_eq!(
            (status, code(&err), err["error"]["message"].as_str()),
            (400, want_code, Some(want_message))
        );
    }
    // A region's coordinates come back as they were given, from the answer and from storage.
    let (status, created) = app
        .call("POST", "/templates", Some(&key), Some(region(json!(1.0))))
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, stored) = app
        .call(
            "GET",
            &format!("/templates/{}", created["id"].as_str().unwrap()),
            Some(&key),
            None,
        )
        .await;
    for view in [&created, &stored] {
        assert_eq!(view["fields"][0]["rule"]["group"], json!(1));
        assert_eq!(
            view["fields"][1]["rule"],
            json!({"kind": "region", "page": 1, "x": 0.05, "y": 0.1, "width": 0.3, "height": 0.025})
        );
    }

    // A malformed template id is the same mistake, and the same answer, on every route.
    let (status, err) = app
        .call("GET", "/webhooks?template_id=nope", Some(&key), None)
        .await;
    assert_eq!((status, code(&err)), (400, "invalid_template_id"), "{err}");
    let (status, err) = app
        .call(
            "POST",
            "/webhooks",
            Some(&key),
            Some(json!({"template_id": "nope", "name": "h", "url": "https://example.com/"})),
        )
        .await;
    assert_eq!((status, code(&err)), (400, "invalid_template_id"), "{err}");

    let bad_hooks = [
        json!({"template_id": template, "name": "h", "url": "https://example.com/", "headers": {"X-A": "a\u{1}b"}}),
        json!({"template_id": template, "name": "h", "url": "https://example.com/", "headers": {"X-A": "a\u{7f}"}}),
        json!({"template_id": template, "name": "h", "url": "https://example.com/", "headers": {"X\u{e9}": "a"}}),
        json!({"template_id": template, "name": "h", "url": "https://example.com/", "auth": {"type": "fixed", "authorization": "Bearer \u{1}x"}}),
        json!({"template_id": template, "name": "h", "url": "ftp://example.com/"}),
        json!({"template_id": template, "name": "h", "url": "https://example.com/", "headers": {"webhook-signature": "x"}}),
        json!({"template_id": template, "name": "h", "url": "https://example.com/", "headers": {"X-A": "a\r\nB: c"}}),
        json!({"template_id": template, "name": "h", "url": "https://example.com/", "method": "TRACE"}),
    ];
    for body in bad_hooks {
        let (status, err) = app
            .call("POST", "/webhooks", Some(&key), Some(body.clone()))
            .await;
        assert_eq!((status, code(&err)), (400, "invalid_webhook"), "{body}");
    }
    // An update is held to the same rules, and leaves the endpoint as it was.
    let (status, hook) = app
        .call("POST", "/webhooks", Some(&key), Some(json!({"template_id": template, "name": "h", "url": "https://example.com/", "headers": {"X-A": "ok"}})))
        .await;
    assert_eq!(status, 201, "{hook}");
    let path = format!("/webhooks/{}", hook["id"].as_str().unwrap());
    for patch in [
        json!({"headers": {"X-A": "bad\u{7f}"}}),
        json!({"auth": {"type": "fixed", "authorization": "x\u{0}"}}),
    ] {
        let (status, err) = app
            .call("PATCH", &path, Some(&key), Some(patch.clone()))
            .await;
        assert_eq!(
            (status, code(&err)),
            (400, "invalid_webhook"),
            "{patch}: {err}"
        );
    }
    let (_, kept) = app.call("GET", &path, Some(&key), None).await;
    assert_eq!(kept["headers"], json!({"X-A": "ok"}));

    // Every refusal names its field first; lengths count characters, as the spec's maxLength does.
    let hook = |extra: Value| {
        let mut body = json!({"template_id": template, "name": "h", "url": "https://example.com/"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let refusals = [
        ("/templates", json!({"name": "ü".repeat(201)}), "name: "),
        (
            "/templates",
            json!({"name": "t", "fields": [{"name": "a", "type": "text", "rule": {"kind": "label", "label": " "}}]}),
            "fields[0].rule.label: ",
        ),
        (
            "/webhooks",
            hook(json!({"name": "é".repeat(201)})),
            "name: ",
        ),
        (
            "/webhooks",
            hook(json!({"url": "ftp://example.com/"})),
            "url: ",
        ),
        (
            "/webhooks",
            hook(json!({"headers": {"X-A": "a\u{1}"}})),
            "headers.X-A: ",
        ),
        ("/webhooks", hook(json!({"method": "TRACE"})), "method: "),
        (
            "/webhooks",
            hook(json!({"event_types": ["document.completed", "webhook.test"]})),
            "event_types[1]: ",
        ),
        (
            "/webhooks",
            hook(json!({"auth": {"type": "token_url", "url": "ftp://x/", "token_attribute": "t"}})),
            "auth.url: ",
        ),
    ];
    for (route, body, path) in refusals {
        let (status, err) = app
            .call("POST", route, Some(&key), Some(body.clone()))
            .await;
        let message = err["error"]["message"].as_str().unwrap_or_default();
        assert!(
            status == 400 && message.starts_with(path),
            "{body}: {status} {err}"
        );
    }
    for (route, body) in [
        ("/templates", json!({"name": "ü".repeat(200)})),
        ("/webhooks", hook(json!({"name": "é".repeat(200)}))),
    ] {
        let (status, err) = app.call("POST", route, Some(&key), Some(body)).await;
        assert_eq!(status, 201, "{err}");
    }

    // A listing's limit is an integer in range, never quietly the default.
    let deliveries = format!("{path}/deliveries");
    for bad in ["abc", "0", "501", "1.5", ""] {
        let (status, err) = app
            .call(
                "GET",
                &format!("{deliveries}?limit={bad}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(
            (status, code(&err)),
            (400, "invalid_limit"),
            "limit={bad}: {err}"
        );
    }
    for good in ["1", "500"] {
        let (status, _) = app
            .call(
                "GET",
                &format!("{deliveries}?limit={good}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(status, 200, "limit={good}");
    }
    app.stack.stop().await;
}

async fn unreadable_documents_fail_with_a_reason_and_cost_nothing(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start().await;
    let key = app.tenant("acme", 10).await;
    let template = app.invoice_template(&key).await;
    let pdf = invoice_pdf();
    let truncated = STANDARD.encode(&pdf[..pdf.len() / 2]);
    let (status, accepted) = app
        .call(
            "POST",
            "/process-job",
            Some(&key),
            Some(json!({"template_id": template, "actual_image": truncated})),
        )
        .await;
    assert_eq!(status, 202);
    app.stack.drain().await;
    let job = accepted["job_id"].as_str().unwrap();
    let (_, view) = app
        .call(
            "GET",
            &format!("/job-status?job_id={job}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(view["status"], "FAILED");
    assert_eq!(view["documents"][0]["status"], "PROCESS IMAGE FAILED");
    assert_eq!(view["documents"][0]["error"]["code"], "truncated_pdf");
    assert_eq!(view["error"]["code"], "truncated_pdf");
    assert_eq!(view["credits_charged"], 0);
    app.stack.stop().await;
}

/// A ZIP whose entries repeat a name (Python's `zipfile` writes such files): every entry of the name
/// is its own failed document saying why, none is dropped or read as another, and the others are read.
async fn repeated_zip_entry_names_are_each_refused_never_dropped(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start().await;
    let key = app.tenant("acme", 10).await;
    let template = app.invoice_template(&key).await;
    let pdf = invoice_pdf();
    let archive = pagewire_extract::hostile::repeated_names_zip(&[
        ("invoice.pdf", &pdf),
        ("other.pdf", &pdf),
        ("invoice.pdf", b"%PDF-1.4 not the same file"),
    ]);
    let (status, accepted) = app
        .call(
            "POST",
            "/process-job",
            Some(&key),
            Some(json!({"template_id": template, "actual_image": STANDARD.encode(&archive), "file_name": "batch.zip"})),
        )
        .await;
    assert_eq!(status, 202, "{accepted}");
    app.stack.drain().await;
    let job = accepted["job_id"].as_str().unwrap();
    let view = app.job_status(&key, job).await;
    assert_eq!(view["status"], "SUCCESS", "{view}");
    assert_eq!(view["documents_total"], 3, "{view}");
    let documents = view["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 3, "{view}");
    let seen: Vec<(&str, &str, Option<&str>)> = documents
        .iter()
        .map(|d| {
            (
                d["file_name"].as_str().unwrap(),
                d["status"].as_str().unwrap(),
                d["error"]["code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "invoice.pdf",
                "PROCESS IMAGE FAILED",
                Some("duplicate_entry_name")
            ),
            ("other.pdf", "PROCESS IMAGE SUCCESS", None),
            (
                "invoice.pdf",
                "PROCESS IMAGE FAILED",
                Some("duplicate_entry_name")
            ),
        ]
    );
    assert_ne!(documents[0]["document_id"], documents[2]["document_id"]);
    let message = documents[0]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("2 entries") && message.contains("\"invoice.pdf\""),
        "{message}"
    );
    // Only the one document read is charged: its pages, and nothing for the refused entries.
    assert!(documents[1]["pages"].as_u64().unwrap() > 0, "{view}");
    assert_eq!(view["credits_charged"], documents[1]["pages"], "{view}");
    assert_eq!(documents[0]["pages"], 0, "{view}");
    app.stack.stop().await;
}

integration_tests::on_both_backends!(
    submissions_are_refused_with_exact_status_and_code,
    bad_configuration_is_refused,
    unreadable_documents_fail_with_a_reason_and_cost_nothing,
    repeated_zip_entry_names_are_each_refused_never_dropped,
);

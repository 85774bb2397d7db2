//! The main job end to end, on both backends: template, webhook, submissions (JSON and multipart),
//! processing, signed delivery, polling, tenant isolation and a restart.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::receiver::Receiver;
use integration_tests::signature::verify;
use integration_tests::stack::{invoice_pdf, Backend, TestEnv};
use serde_json::{json, Value};

async fn submit_process_deliver_poll_and_restart(backend: Backend) {
    let receiver = Receiver::start().await;
    let env = TestEnv::new(backend).await;
    let app = env.start().await;
    let key = app.tenant("acme", 100).await;
    let other_key = app.tenant("other", 100).await;
    let template_id = app.invoice_template(&key).await;

    let (status, hook) = app
        .call(
            "POST",
            "/webhooks",
            Some(&key),
            Some(json!({"template_id": template_id, "name": "prod", "url": receiver.url("/hooks/:id")})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let webhook_id = hook["id"].as_str().unwrap().to_string();

    // JSON with base64.
    let static_values = json!({"company_name": "Acme Corp", "batch": 7});
    let (status, accepted) = app
        .call(
            "POST",
            "/process-job",
            Some(&key),
            Some(json!({
                "template_id": template_id,
                "actual_image": STANDARD.encode(invoice_pdf()),
                "file_name": "invoice.pdf",
                "static_values": static_values,
                "webhook_ids": [webhook_id],
            })),
        )
        .await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["template_id"], template_id);
    assert_eq!(accepted["static_values"], static_values);
    let json_job = accepted["job_id"].as_str().unwrap().to_string();

    // Multipart with a file part.
    let form = reqwest::multipart::Form::new()
        .text("template_id", template_id.clone())
        .text("static_values", r#"{"company_name":"Acme Corp"}"#)
        .part(
            "actual_image",
            reqwest::multipart::Part::bytes(invoice_pdf()).file_name("scan.pdf"),
        );
    let resp = app
        .client
        .post(app.url("/process-job"))
        .header("x-auth", &key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    let multipart_job = resp.json::<Value>().await.unwrap()["job_id"]
        .as_str()
        .unwrap()
        .to_string();

    // Nothing has run yet: the jobs are NEW.
    for job in [&json_job, &multipart_job] {
        let (status, view) = app
            .call(
                "GET",
                &format!("/job-status?job_id={job}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!((status, view["status"].as_str()), (200, Some("NEW")));
    }
    assert!(
        app.stack.drain().await >= 4,
        "two processing and two delivery messages"
    );

    // Processed: SUCCESS, one credit per page.
    for job in [&json_job, &multipart_job] {
        let (_, view) = app
            .call(
                "GET",
                &format!("/job-status?job_id={job}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(view["status"], "SUCCESS", "{view}");
        assert_eq!(view["pages"], 2);
        assert_eq!(view["credits_charged"], 2);
        assert_eq!(view["documents"][0]["status"], "PROCESS IMAGE SUCCESS");
    }
    assert_eq!(app.credits("acme").await, 96);

    // Delivered: one signed POST per document, with the seeds' fields.
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    for hit in &received {
        let id = hit.header("webhook-id").unwrap();
        let ts = hit.header("webhook-timestamp").unwrap();
        let sig = hit.header("webhook-signature").unwrap();
        assert!(
            verify(&secret, id, ts, &hit.body, sig),
            "signature must verify"
        );
        assert!(pagewire_core::policy::signature::verify(
            &secret,
            id,
            ts.parse().unwrap(),
            &hit.body,
            sig
        ));
        assert_eq!(hit.method, "POST");
        let body = hit.json();
        assert_eq!(body["template_id"], template_id);
        assert_eq!(body["type"], "document.completed");
        assert_eq!(
            hit.path,
            format!("/hooks/{}", body["document_id"].as_str().unwrap())
        );
        assert_eq!(
            body["result"],
            json!({"invoice_number": "INV-2024-001", "invoice_date": "2024-03-15", "total": 1234.56, "po_number": null})
        );
    }
    let json_hit = received
        .iter()
        .find(|h| h.json()["job_id"] == json_job.as_str())
        .unwrap();
    assert_eq!(json_hit.json()["static_values"], static_values);
    assert_eq!(json_hit.json()["file_name"], "invoice.pdf");

    // Polling agrees with the webhook: JSON and CSV.
    let (status, results) = app
        .call(
            "POST",
            "/v1/job-results",
            Some(&key),
            Some(json!({"job_id": json_job, "result_format": "json"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(results["documents"][0]["result"], json_hit.json()["result"]);
    assert_eq!(results["documents"][0]["fields"][2]["page"], 2);
    let csv = app
        .client
        .post(app.url("/v1/job-results"))
        .header("x-auth", &key)
        .body(json!({"job_id": json_job, "result_format": "csv"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "job_id,document_id,file_name,status,pages,batch,company_name,invoice_number,invoice_date,total,po_number,\
         invoice_number__warnings,invoice_date__warnings,total__warnings,po_number__warnings"
    );
    let document_id = results["documents"][0]["document_id"].as_str().unwrap();
    assert_eq!(
        lines[1],
        format!("{json_job},{document_id},invoice.pdf,PROCESS IMAGE SUCCESS,2,7,Acme Corp,INV-2024-001,2024-03-15,1234.56,,,,,")
    );
    let (_, by_path) = app
        .call(
            "GET",
            &format!("/jobs/{json_job}/results?format=json"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(by_path["documents"], results["documents"]);
    let (_, detailed) = app
        .call("GET", &format!("/jobs/{json_job}"), Some(&key), None)
        .await;
    assert_eq!(detailed["attempts"][0]["status_code"], 200);
    assert_eq!(
        detailed["documents"][0]["deliveries"][0]["status"],
        "succeeded"
    );

    // Another tenant sees nothing.
    for (method, path, body) in [
        ("GET", format!("/job-status?job_id={json_job}"), None),
        ("GET", format!("/jobs/{json_job}"), None),
        (
            "POST",
            "/v1/job-results".to_string(),
            Some(json!({"job_id": json_job})),
        ),
        ("GET", format!("/templates/{template_id}"), None),
        ("GET", format!("/webhooks/{webhook_id}"), None),
    ] {
        let (status, err) = app.call(method, &path, Some(&other_key), body).await;
        assert_eq!(status, 404, "{path}: {err}");
    }

    // A restart keeps templates, endpoints and results.
    app.stack.stop().await;
    let app = env.start().await;
    let (status, list) = app.call("GET", "/templates", Some(&key), None).await;
    assert_eq!(status, 200);
    assert_eq!(list["templates"][0]["id"], template_id);
    let (status, again) = app
        .call("GET", &format!("/webhooks/{webhook_id}"), Some(&key), None)
        .await;
    assert_eq!(
        (status, again["secret"].as_str()),
        (200, Some(secret.as_str()))
    );
    let (status, after) = app
        .call(
            "POST",
            "/v1/job-results",
            Some(&key),
            Some(json!({"job_id": json_job})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(after["documents"], results["documents"]);
    app.stack.stop().await;
}

async fn files_are_deleted_after_delivery_and_results_expire(backend: Backend) {
    use chrono::Utc;
    use pagewire_core::ManualClock;
    use std::sync::Arc;

    let clock = Arc::new(ManualClock::new(Utc::now()));
    let receiver = Receiver::start().await;
    let env = TestEnv::with_clock(backend, clock.clone()).await;
    let app = env.start().await;
    let key = app.tenant("acme", 10).await;
    let template_id = app.invoice_template(&key).await;
    app.call(
        "POST",
        "/webhooks",
        Some(&key),
        Some(json!({"template_id": template_id, "name": "r", "url": receiver.url("/h")})),
    )
    .await;
    let (_, accepted) = app
        .call(
            "POST",
            "/process-job",
            Some(&key),
            Some(
                json!({"template_id": template_id, "actual_image": STANDARD.encode(invoice_pdf())}),
            ),
        )
        .await;
    let job = accepted["job_id"].as_str().unwrap().to_string();
    let tenant = app.tenant_of(&key).await;
    let upload = format!("uploads/{tenant}/{job}/source");
    assert!(app
        .stack
        .storage
        .objects
        .get(&upload)
        .await
        .unwrap()
        .is_some());
    app.stack.drain().await;
    assert_eq!(receiver.received().len(), 1);
    assert!(
        app.stack
            .storage
            .objects
            .get(&upload)
            .await
            .unwrap()
            .is_none(),
        "file deleted once delivered"
    );

    clock.advance(chrono::Duration::hours(25));
    let (status, err) = app
        .call(
            "GET",
            &format!("/job-status?job_id={job}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (410, Some("job_expired"))
    );
    let (status, _) = app
        .call(
            "POST",
            "/v1/job-results",
            Some(&key),
            Some(json!({"job_id": job})),
        )
        .await;
    assert_eq!(status, 410);
    app.stack.stop().await;
}

integration_tests::on_both_backends!(
    submit_process_deliver_poll_and_restart,
    files_are_deleted_after_delivery_and_results_expire,
);

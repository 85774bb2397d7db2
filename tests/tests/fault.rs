//! The receiver fails during a load and comes back: a few hundred submissions from concurrent clients
//! while the receiver first answers, then answers 503, then is down (connections refused); then it comes
//! back and a manual clock is stepped through the retry schedule. Every webhook arrives, none is lost,
//! and each document keeps one webhook-id across all its attempts.

use chrono::{Duration, SubsecRound, Utc};
use integration_tests::receiver::Receiver;
use integration_tests::stack::{invoice_pdf, options, TestApp};
use pagewire_core::ManualClock;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const PER_PHASE: usize = 100;
const CLIENTS: usize = 8;

/// `count` submissions from `CLIENTS` concurrent clients; returns the job ids.
async fn submit_concurrently(
    app: &TestApp,
    key: &str,
    template: &str,
    count: usize,
) -> Vec<String> {
    use base64::Engine;
    let body = json!({
        "template_id": template,
        "actual_image": base64::engine::general_purpose::STANDARD.encode(invoice_pdf()),
    })
    .to_string();
    let url = app.url("/process-job");
    let clients = (0..CLIENTS).map(|c| {
        let (client, url, body, key) = (
            app.client.clone(),
            url.clone(),
            body.clone(),
            key.to_string(),
        );
        async move {
            let mut jobs = Vec::new();
            for _ in (c..count).step_by(CLIENTS) {
                let resp = client
                    .post(&url)
                    .header("x-auth", &key)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status().as_u16(), 202);
                let accepted: Value = resp.json().await.unwrap();
                jobs.push(accepted["job_id"].as_str().unwrap().to_string());
            }
            jobs
        }
    });
    futures_util::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[tokio::test]
async fn webhooks_survive_a_receiver_outage_during_a_load() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc::now().trunc_subsecs(0);
    let clock = Arc::new(ManualClock::new(t0));
    let mut opts = options(dir.path(), clock.clone());
    // The default per-tenant rate limit (100/s) would refuse a burst of this size.
    opts.config.settings.api_rate_limit.per_second = 0;
    let app = TestApp::start_with(opts).await;
    let key = app.tenant("acme", 10_000).await;
    let template = app.invoice_template(&key).await;
    let rx = Receiver::start().await;
    app.webhook(
        &key,
        json!({"template_id": template, "name": "hook", "url": rx.url("/hooks/:id")}),
    )
    .await;

    // Up: delivered at the first attempt.
    let mut jobs = submit_concurrently(&app, &key, &template, PER_PHASE).await;
    app.stack.drain().await;
    assert_eq!(rx.received().len(), PER_PHASE);

    // Overloaded: every attempt answered 503 (the receiver sees each webhook-id).
    rx.answer_all(503);
    jobs.extend(submit_concurrently(&app, &key, &template, PER_PHASE).await);
    app.stack.drain().await;
    assert_eq!(rx.received().len(), 2 * PER_PHASE);

    // Down: new deliveries and the retries of the 503s meet a closed port.
    rx.go_down().await;
    jobs.extend(submit_concurrently(&app, &key, &template, PER_PHASE).await);
    app.stack.drain().await;
    clock.set(t0 + Duration::seconds(5));
    app.stack.drain().await;
    assert_eq!(
        rx.received().len(),
        2 * PER_PHASE,
        "nothing reached a down receiver"
    );

    // Back: the retry schedule brings every webhook, within the schedule's 17.6 hours.
    rx.answer_all(200);
    rx.come_back().await;
    let total = 3 * PER_PHASE;
    let delivered = |rx: &Receiver| {
        rx.received()
            .iter()
            .filter(|hit| hit.json()["type"] == "document.completed")
            .count()
    };
    let mut waited = Duration::seconds(5);
    let mut ok_documents = BTreeSet::new();
    while ok_documents.len() < total {
        assert!(
            waited < Duration::hours(18),
            "{} of {total} documents delivered",
            ok_documents.len()
        );
        waited += Duration::minutes(5);
        clock.set(t0 + waited);
        app.stack.drain().await;
        // A document is through once an attempt for it came while the receiver answered 200.
        ok_documents = delivered_documents(&app, &key, &jobs).await;
    }
    assert!(delivered(&rx) >= total);

    // One webhook-id per document across every attempt the receiver saw, and the stored one is the same.
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for hit in rx.received() {
        let doc = hit.json()["document_id"].as_str().unwrap().to_string();
        ids.entry(doc)
            .or_default()
            .insert(hit.header("webhook-id").unwrap().to_string());
    }
    assert_eq!(ids.len(), total, "every document reached the receiver");
    assert!(
        ids.values().all(|set| set.len() == 1),
        "one webhook-id per document"
    );
    let mut job_set = BTreeSet::new();
    for job in &jobs {
        assert!(job_set.insert(job.clone()), "job ids are unique");
        let view = app.job(&key, job).await;
        assert_eq!(view["status"], "SUCCESS");
        let doc = &view["documents"][0];
        let delivery = &doc["deliveries"][0];
        assert_eq!(delivery["status"], "succeeded", "{view}");
        let seen = &ids[doc["document_id"].as_str().unwrap()];
        assert!(seen.contains(delivery["webhook_id"].as_str().unwrap()));
    }
    // The later phases needed retries: 503 then refused connections then a 200.
    let retried = jobs[PER_PHASE..2 * PER_PHASE].first().unwrap();
    let delivery = app.job(&key, retried).await["documents"][0]["deliveries"][0].clone();
    assert!(delivery["attempts"].as_u64().unwrap() >= 3, "{delivery}");
}

/// The documents of `jobs` whose delivery succeeded, as the API reports them.
async fn delivered_documents(app: &TestApp, key: &str, jobs: &[String]) -> BTreeSet<String> {
    let mut done = BTreeSet::new();
    for job in jobs {
        let view = app.job(key, job).await;
        for doc in view["documents"].as_array().unwrap() {
            if doc["deliveries"][0]["status"] == "succeeded" {
                done.insert(doc["document_id"].as_str().unwrap().to_string());
            }
        }
    }
    done
}

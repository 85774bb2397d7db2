//! pagewire's signatures checked by an independent implementation: the `standardwebhooks` reference
//! library from PyPI, in the virtualenv scripts/test.sh builds, run on deliveries captured from the real
//! stack (a plain one, a rotated one carrying two signatures, and one after the rotation's grace period).

use chrono::{Duration, Utc};
use integration_tests::receiver::{Received, Receiver};
use integration_tests::stack::{options, TestApp};
use pagewire_core::ManualClock;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

fn python() -> PathBuf {
    let venv = std::env::var("PAGEWIRE_VENV").unwrap_or_else(|_| {
        panic!(
            "PAGEWIRE_VENV is not set: run the suite with scripts/test.sh, which builds the Python \
             test tools (the standardwebhooks library) and exports it"
        )
    });
    let python = PathBuf::from(venv).join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test.sh to build the test virtualenv",
        python.display()
    );
    python
}

/// A case for the Python checker, and what it must find.
struct Case {
    what: &'static str,
    secret: String,
    hit: Received,
    fresh: bool,
    verified: Option<bool>,
    signed: bool,
}

fn case_json(case: &Case) -> Value {
    let header = |name| case.hit.header(name).unwrap_or_default().to_string();
    json!({
        "secret": case.secret,
        "headers": {
            "webhook-id": header("webhook-id"),
            "webhook-timestamp": header("webhook-timestamp"),
            "webhook-signature": header("webhook-signature"),
        },
        "body": String::from_utf8(case.hit.body.to_vec()).unwrap(),
        "fresh": case.fresh,
    })
}

#[tokio::test]
async fn the_standard_webhooks_library_verifies_captured_deliveries() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    // The library checks timestamps against its own clock: start the manual clock at the real time.
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::start_with(options(dir.path(), clock.clone())).await;
    let key = app.tenant("acme", 100).await;
    let template = app.invoice_template(&key).await;
    let rx = Receiver::start().await;
    let hook = app
        .webhook(
            &key,
            json!({"template_id": template, "name": "r", "url": rx.url("/hooks/:id")}),
        )
        .await;
    let id = hook["id"].as_str().unwrap().to_string();
    let old = hook["secret"].as_str().unwrap().to_string();

    app.submit(&key, &template).await;
    app.stack.drain().await;
    let (status, rotated) = app
        .call(
            "POST",
            &format!("/webhooks/{id}/rotate-secret"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let new = rotated["secret"].as_str().unwrap().to_string();
    app.submit(&key, &template).await;
    app.stack.drain().await;
    app.call("POST", &format!("/webhooks/{id}/test"), Some(&key), None)
        .await;
    clock.advance(Duration::hours(24) + Duration::seconds(1));
    app.call("POST", &format!("/webhooks/{id}/test"), Some(&key), None)
        .await;
    let hits = rx.received();
    assert_eq!(hits.len(), 4);
    assert_eq!(
        hits[1]
            .header("webhook-signature")
            .unwrap()
            .split(' ')
            .count(),
        2
    );
    let mut tampered = hits[1].clone();
    tampered.body = bytes::Bytes::from(
        String::from_utf8(tampered.body.to_vec())
            .unwrap()
            .replace("INV-2024-001", "INV-2024-002"),
    );

    let case = |what, secret: &str, hit: &Received, fresh, verified, signed| Case {
        what,
        secret: secret.to_string(),
        hit: hit.clone(),
        fresh,
        verified,
        signed,
    };
    let cases = [
        case("plain delivery", &old, &hits[0], true, Some(true), true),
        case(
            "plain delivery, a later key",
            &new,
            &hits[0],
            true,
            Some(false),
            false,
        ),
        case(
            "rotated delivery, new key",
            &new,
            &hits[1],
            true,
            Some(true),
            true,
        ),
        case(
            "rotated delivery, old key",
            &old,
            &hits[1],
            true,
            Some(true),
            true,
        ),
        case(
            "rotated test event, new key",
            &new,
            &hits[2],
            true,
            Some(true),
            true,
        ),
        case(
            "rotated test event, old key",
            &old,
            &hits[2],
            true,
            Some(true),
            true,
        ),
        case(
            "after the grace period, new key",
            &new,
            &hits[3],
            false,
            None,
            true,
        ),
        case(
            "after the grace period, old key",
            &old,
            &hits[3],
            false,
            None,
            false,
        ),
        case("tampered body", &new, &tampered, true, Some(false), false),
    ];
    let input = dir.path().join("cases.json");
    let payload: Vec<Value> = cases.iter().map(case_json).collect();
    std::fs::write(&input, serde_json::to_vec(&payload).unwrap()).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/python/verify_standard_webhooks.py"
    );
    let output = Command::new(&python)
        .arg(script)
        .arg(&input)
        .output()
        .expect("run the Python checker");
    assert!(
        output.status.success(),
        "checker failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.len(), cases.len());
    for (case, result) in cases.iter().zip(&results) {
        assert_eq!(result["verified"].as_bool(), case.verified, "{}", case.what);
        assert_eq!(
            result["signed"].as_bool(),
            Some(case.signed),
            "{}",
            case.what
        );
    }
    app.stack.stop().await;
}

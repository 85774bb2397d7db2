//! A receiver answers `410 Gone` while its tenant changes the same endpoint: the engine disables the
//! endpoint with a conditional write of just that change, so the tenant's change is kept (a rotated
//! secret, an edited name) and a deleted endpoint stays deleted. On both backends.

use integration_tests::receiver::{Receiver, Reply};
use integration_tests::stack::{Backend, TestApp, TestEnv};
use serde_json::{json, Value};
use std::time::Duration;

/// What the tenant does while the 410 is on its way.
#[derive(Debug, Clone, Copy)]
enum Change {
    RotateSecret,
    Rename,
    Delete,
}

struct Raced {
    app: TestApp,
    key: String,
    endpoint: String,
    /// The endpoint as the change answered it (absent for a delete).
    changed: Option<Value>,
    _env: TestEnv,
}

/// Sends a job's webhook to a receiver that holds its `410` for a while, makes `change` through the API
/// meanwhile, then lets the attempt finish.
async fn race(backend: Backend, change: Change) -> Raced {
    let env = TestEnv::new(backend).await;
    let app = env.start().await;
    let key = app.tenant("acme", 100).await;
    let template = app.invoice_template(&key).await;
    let rx = Receiver::start().await;
    rx.reply([Reply::status(410).after(Duration::from_millis(600))]);
    let endpoint = app
        .webhook(
            &key,
            json!({"template_id": template, "name": "erp", "url": rx.url("/hooks/:id")}),
        )
        .await["id"]
        .as_str()
        .expect("endpoint id")
        .to_string();
    app.submit(&key, &template).await;

    let path = format!("/webhooks/{endpoint}");
    let tenant_change = async {
        // The attempt is in flight once the receiver has the request (it answers 600 ms later).
        for _ in 0..200 {
            if !rx.received().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(rx.received().len(), 1, "the webhook reached the receiver");
        let (status, body) = match change {
            Change::RotateSecret => {
                app.call("POST", &format!("{path}/rotate-secret"), Some(&key), None)
                    .await
            }
            Change::Rename => {
                app.call(
                    "PATCH",
                    &path,
                    Some(&key),
                    Some(json!({"name": "erp-renamed"})),
                )
                .await
            }
            Change::Delete => app.call("DELETE", &path, Some(&key), None).await,
        };
        assert!(
            (200..300).contains(&status),
            "{change:?} answered {status}: {body}"
        );
        // The change landed before the receiver's answer did.
        assert_eq!(rx.received().len(), 1);
        (!matches!(change, Change::Delete)).then_some(body)
    };
    let (_, changed) = tokio::join!(app.stack.drain(), tenant_change);
    Raced {
        app,
        key,
        endpoint,
        changed,
        _env: env,
    }
}

async fn endpoint_now(r: &Raced) -> (u16, Value) {
    r.app
        .call(
            "GET",
            &format!("/webhooks/{}", r.endpoint),
            Some(&r.key),
            None,
        )
        .await
}

async fn a_410_keeps_a_rotation_made_meanwhile(backend: Backend) {
    let r = race(backend, Change::RotateSecret).await;
    let rotated = r.changed.clone().expect("rotation answer");
    let (status, now) = endpoint_now(&r).await;
    assert_eq!(status, 200, "{now}");
    assert_eq!(now["enabled"], false, "the 410 disabled it: {now}");
    assert!(now["disabled_reason"]
        .as_str()
        .unwrap_or("")
        .contains("410"));
    assert_eq!(now["secret"], rotated["secret"], "the rotated secret stays");
    r.app.stack.stop().await;
}

async fn a_410_keeps_an_edit_made_meanwhile(backend: Backend) {
    let r = race(backend, Change::Rename).await;
    let (status, now) = endpoint_now(&r).await;
    assert_eq!(status, 200, "{now}");
    assert_eq!(now["enabled"], false, "the 410 disabled it: {now}");
    assert_eq!(now["name"], "erp-renamed", "the edit stays");
    r.app.stack.stop().await;
}

async fn a_410_does_not_bring_back_an_endpoint_deleted_meanwhile(backend: Backend) {
    let r = race(backend, Change::Delete).await;
    let (status, body) = endpoint_now(&r).await;
    assert_eq!(status, 404, "the deleted endpoint stays deleted: {body}");
    let (_, list) = r.app.call("GET", "/webhooks", Some(&r.key), None).await;
    assert_eq!(list["webhooks"], json!([]), "{list}");
    r.app.stack.stop().await;
}

integration_tests::on_both_backends!(
    a_410_keeps_a_rotation_made_meanwhile,
    a_410_keeps_an_edit_made_meanwhile,
    a_410_does_not_bring_back_an_endpoint_deleted_meanwhile,
);

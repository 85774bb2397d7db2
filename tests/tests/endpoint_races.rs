//! A receiver answers `410 Gone` while its tenant changes the same endpoint: the engine disables the
//! endpoint with a conditional write of just that change, so the tenant's change is kept (a rotated
//! secret, an edited name) and a deleted endpoint stays deleted. On both backends.

use integration_tests::api::EndpointChange;
use integration_tests::receiver::{Gate, Receiver, Reply};
use integration_tests::stack::{Backend, TestApp, TestEnv};
use serde_json::{json, Value};

struct Raced {
    app: TestApp,
    key: String,
    endpoint: String,
    /// The endpoint as the change answered it (absent for a delete).
    changed: Option<Value>,
    _env: TestEnv,
}

/// Sends a job's webhook to a receiver that holds its `410` until `change` is made through the API, then
/// lets the attempt finish.
async fn race(backend: Backend, change: EndpointChange) -> Raced {
    let env = TestEnv::new(backend).await;
    let app = env.start().await;
    let key = app.tenant("acme", 100).await;
    let template = app.invoice_template(&key).await;
    let rx = Receiver::start().await;
    let gate = Gate::new();
    rx.reply([Reply::status(410).held_at(&gate)]);
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

    // Runs once the attempt is in flight: the receiver has the request and holds its answer.
    let tenant_change = async {
        assert_eq!(rx.received().len(), 1, "the webhook reached the receiver");
        let (status, body) = app.change_endpoint(&key, &endpoint, &change).await;
        assert!(
            (200..300).contains(&status),
            "{change:?} answered {status}: {body}"
        );
        // The change landed before the receiver's answer did.
        assert_eq!(rx.received().len(), 1);
        (!matches!(change, EndpointChange::Delete)).then_some(body)
    };
    let changed = app.drain_while_held(&gate, tenant_change).await;
    Raced {
        app,
        key,
        endpoint,
        changed,
        _env: env,
    }
}

async fn endpoint_now(r: &Raced) -> (u16, Value) {
    r.app.endpoint_view(&r.key, &r.endpoint).await
}

async fn a_410_keeps_a_rotation_made_meanwhile(backend: Backend) {
    let r = race(backend, EndpointChange::RotateSecret).await;
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
    let r = race(
        backend,
        EndpointChange::Edit(json!({"name": "erp-renamed"})),
    )
    .await;
    let (status, now) = endpoint_now(&r).await;
    assert_eq!(status, 200, "{now}");
    assert_eq!(now["enabled"], false, "the 410 disabled it: {now}");
    assert_eq!(now["name"], "erp-renamed", "the edit stays");
    r.app.stack.stop().await;
}

async fn a_410_does_not_bring_back_an_endpoint_deleted_meanwhile(backend: Backend) {
    let r = race(backend, EndpointChange::Delete).await;
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

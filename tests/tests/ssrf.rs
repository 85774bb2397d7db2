//! Webhooks and auth-token fetches reach public addresses only. Every refused target here has a listener
//! (or none can exist) and the listener must record no connection: refused means never connected.

use integration_tests::receiver::Receiver;
use integration_tests::stack::{options, TestApp};
use pagewire_core::model::HttpMethod;
use pagewire_core::policy::ssrf::AddressPolicy;
use pagewire_core::ports::{OutboundRequest, TransportError, WebhookTransport};
use pagewire_webhook_http::{HttpTransport, StaticLookup};
use serde_json::json;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

fn request(url: &str) -> OutboundRequest {
    OutboundRequest {
        method: HttpMethod::Post,
        url: url.parse().unwrap(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: bytes::Bytes::from_static(b"{}"),
        timeout: Duration::from_secs(5),
    }
}

async fn refusal(transport: &HttpTransport, url: &str) -> String {
    match transport.send(request(url)).await {
        Err(TransportError::Refused(why)) => why,
        other => panic!("{url} was not refused: {other:?}"),
    }
}

#[tokio::test]
async fn internal_addresses_are_refused_before_any_connection() {
    let v4 = Receiver::start().await;
    let v6 = Receiver::start_on("[::1]:0".parse().unwrap()).await;
    let (p4, p6) = (v4.addr.unwrap().port(), v6.addr.unwrap().port());
    let lookup = Arc::new(StaticLookup::new([
        (
            "hooks.customer.test".to_string(),
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()],
        ),
        (
            "metadata.customer.test".to_string(),
            vec!["169.254.169.254".parse::<IpAddr>().unwrap()],
        ),
    ]));
    let strict = HttpTransport::with_lookup(AddressPolicy::STRICT, lookup.clone()).unwrap();
    // (url, words the reason must hold)
    let table = [
        (
            format!("http://127.0.0.1:{p4}/h"),
            "127.0.0.1 is a loopback address",
        ),
        (
            format!("http://10.0.0.1:{p4}/h"),
            "10.0.0.1 is a private address",
        ),
        (
            "http://169.254.169.254/latest/meta-data/".into(),
            "169.254.169.254 is a link-local address",
        ),
        (format!("http://[::1]:{p6}/h"), "::1 is a loopback address"),
        (
            format!("http://[::ffff:127.0.0.1]:{p4}/h"),
            "::ffff:127.0.0.1 is a loopback address",
        ),
        (
            "http://[::ffff:169.254.169.254]/".into(),
            "is a link-local address",
        ),
        (
            format!("http://2130706433:{p4}/h"),
            "127.0.0.1 is a loopback address",
        ),
        (
            format!("http://0.0.0.0:{p4}/h"),
            "0.0.0.0 is an unspecified address",
        ),
        (
            format!("http://[::]:{p6}/h"),
            ":: is an unspecified address",
        ),
        ("http://100.64.0.1/".into(), "carrier-grade NAT"),
        ("http://224.0.0.1/".into(), "multicast"),
        ("http://192.0.2.1/".into(), "reserved"),
        (
            format!("http://hooks.customer.test:{p4}/h"),
            "hooks.customer.test resolves to 127.0.0.1, a loopback address",
        ),
        (
            "http://metadata.customer.test/".into(),
            "a link-local address",
        ),
    ];
    for (url, reason) in &table {
        let why = refusal(&strict, url).await;
        assert!(why.contains(reason), "{url}: {why}");
    }
    // The system resolver's `localhost` is judged the same way.
    let system = HttpTransport::new(AddressPolicy::STRICT).unwrap();
    let why = refusal(&system, &format!("http://localhost:{p4}/h")).await;
    assert!(
        why.starts_with("localhost resolves to") && why.contains("loopback"),
        "{why}"
    );
    assert_eq!(lookup.lookups(), 2, "one lookup per name, no second one");
    assert_eq!(
        (v4.connections(), v6.connections()),
        (0, 0),
        "never connected"
    );

    // The dev flag opens loopback, and only loopback: the listeners do answer when allowed.
    let dev = AddressPolicy {
        allow_loopback: true,
        allow_private: false,
    };
    let local = HttpTransport::with_lookup(dev, lookup.clone()).unwrap();
    for url in [
        format!("http://127.0.0.1:{p4}/h"),
        format!("http://[::1]:{p6}/h"),
        format!("http://hooks.customer.test:{p4}/h"),
    ] {
        let answer = local.send(request(&url)).await.unwrap();
        assert_eq!(answer.status, 200, "{url}");
    }
    assert!(v4.connections() >= 1 && v6.connections() == 1);
    let before = v4.connections();
    for url in [
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[::ffff:169.254.169.254]/".to_string(),
        "http://10.0.0.1/".to_string(),
        format!("http://0.0.0.0:{p4}/h"),
        "http://metadata.customer.test/".to_string(),
    ] {
        refusal(&local, &url).await;
    }
    assert_eq!(v4.connections(), before);
}

#[tokio::test]
async fn refused_targets_fail_the_delivery_with_the_reason_and_are_never_contacted() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), Arc::new(pagewire_core::SystemClock));
    opts.config.settings.allow_loopback_webhooks = false;
    let app = TestApp::start_with(opts).await;
    let key = app.tenant("acme", 100).await;
    let template = app.invoice_template(&key).await;
    let listener = Receiver::start().await;
    let v6 = Receiver::start_on("[::1]:0".parse().unwrap()).await;
    let port = listener.addr.unwrap().port();
    let hook = |url: String, auth: serde_json::Value| json!({"template_id": template, "name": "x", "url": url, "auth": auth});
    let none = json!({"type": "none"});

    // Address literals and `:id` tricks are refused when the endpoint is created.
    let refused = [
        (
            hook(format!("http://127.0.0.1:{port}/h"), none.clone()),
            "127.0.0.1, a loopback address",
        ),
        (
            hook("http://10.0.0.1/h".into(), none.clone()),
            "a private address",
        ),
        (
            hook(
                "http://169.254.169.254/latest/meta-data/".into(),
                none.clone(),
            ),
            "a link-local address",
        ),
        (
            hook(
                format!("http://[::1]:{}/h", v6.addr.unwrap().port()),
                none.clone(),
            ),
            "a loopback address",
        ),
        (
            hook(format!("http://[::ffff:127.0.0.1]:{port}/h"), none.clone()),
            "a loopback address",
        ),
        (
            hook("http://:id/h".into(), none.clone()),
            ":id may only appear in the path or query",
        ),
        (
            hook("http://:id.evil.test/h".into(), none.clone()),
            ":id may only appear in the path or query",
        ),
        (
            hook("http://evil.test::id/h".into(), none.clone()),
            ":id may only appear in the path or query",
        ),
        (
            hook(
                "http://example.com/h".into(),
                json!({"type": "token_url", "url": format!("http://127.0.0.1:{port}/login"), "token_attribute": "t"}),
            ),
            "auth.url: points to 127.0.0.1, a loopback address",
        ),
    ];
    for (body, reason) in refused {
        let (status, err) = app
            .call("POST", "/webhooks", Some(&key), Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{body}: {message}");
    }

    // A host name is judged when it is resolved, at delivery: `localhost` is refused there, for the
    // webhook and for an auth URL, and the attempt log says why.
    let by_name = app
        .webhook(
            &key,
            hook(format!("http://localhost:{port}/hooks/:id"), none.clone()),
        )
        .await;
    let job = app.submit(&key, &template).await;
    app.stack.drain().await;
    let view = app.job(&key, &job).await;
    let attempt = &view["attempts"][0];
    assert_eq!(attempt["error_class"], "refused");
    let error = attempt["error"].as_str().unwrap();
    assert!(
        error.contains("localhost resolves to") && error.contains("loopback"),
        "{error}"
    );
    let delivery = &view["documents"][0]["deliveries"][0];
    assert_eq!(
        delivery["status"], "failed",
        "a refused address is not retried"
    );
    let (_, test) = app
        .call(
            "POST",
            &format!("/webhooks/{}/test", by_name["id"].as_str().unwrap()),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(test["error_class"], "refused");

    let (status, _) = app
        .call(
            "DELETE",
            &format!("/webhooks/{}", by_name["id"].as_str().unwrap()),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 204);
    app.webhook(
        &key,
        hook(
            "http://example.com/h".into(),
            json!({"type": "token_url", "url": format!("http://localhost:{port}/login"), "token_attribute": "t"}),
        ),
    )
    .await;
    let job = app.submit(&key, &template).await;
    app.stack.drain().await;
    let view = app.job(&key, &job).await;
    let attempt = &view["attempts"][0];
    assert_eq!(attempt["error_class"], "auth");
    let error = attempt["error"].as_str().unwrap();
    assert!(
        error.starts_with("auth url refused: localhost resolves to"),
        "{error}"
    );
    assert_eq!(view["documents"][0]["deliveries"][0]["status"], "failed");

    assert_eq!(
        (listener.connections(), v6.connections()),
        (0, 0),
        "never connected"
    );
    app.stack.stop().await;
}

//! Endpoint events on both backends: an endpoint pagewire switches off (410 Gone, or the rule on a long
//! run of failed deliveries) is announced by a signed, retried `webhook.endpoint_disabled` to the
//! tenant's other endpoints that list it, and never to itself or to those without it; its state says
//! why and since when; recovery finds what was given up while it was off; and the rule racing the
//! tenant's own change leaves one consistent state. Retries are stepped on a manual clock.

use chrono::{DateTime, Duration, Utc};
use integration_tests::api::{stepped_with_acme as start, Account};
use integration_tests::on_both_backends;
use integration_tests::receiver::{Gate, Receiver, Reply};
use integration_tests::signature::verify_received;
use integration_tests::stack::{Backend, TestApp, TestEnv};
use pagewire_cli::DevOptions;
use pagewire_core::ids::EndpointId;
use pagewire_core::policy::endpoint_failures::DisableRule;
use serde_json::{json, Value};

on_both_backends!(
    a_410_is_announced_to_subscribed_endpoints_signed_and_retried,
    a_long_run_of_failures_switches_the_endpoint_off,
    recovery_finds_deliveries_given_up_while_the_endpoint_was_off,
    the_rule_switching_off_while_the_tenant_edits_keeps_the_edit_and_announces_once,
    an_endpoint_the_tenant_disabled_meanwhile_is_not_announced,
    an_announcement_cut_short_is_made_by_the_next_delivery_that_finds_the_endpoint_off,
);

/// Seconds from a delivery's creation to each of its retries, with jitter off (the retry policy's
/// schedule added up); the last is its seventh and final attempt.
const RETRIES_AT: [i64; 6] = [5, 305, 2_105, 9_305, 27_305, 63_305];
const EVENT: &str = "webhook.endpoint_disabled";

fn rule(failures: u32, hours: i64) -> impl FnOnce(&mut DevOptions) {
    move |o| {
        o.config.settings.disable_rule = DisableRule {
            failures,
            span: Duration::hours(hours),
        }
    }
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

fn id(endpoint: &Value) -> &str {
    endpoint["id"].as_str().unwrap()
}

/// An endpoint that listens for endpoint events only.
async fn watcher(app: &TestApp, acme: &Account, rx: &Receiver) -> Value {
    app.endpoint(acme, &rx.url("/ops/:id"), json!({"event_types": [EVENT]}))
        .await
}

/// Runs the first attempt of the deliveries submitted at `base` seconds, then every retry up to the final
/// one.
async fn through_the_schedule(app: &TestApp, base: i64) {
    app.drain().await;
    for at in RETRIES_AT {
        app.at(base + at).await;
    }
}

async fn a_410_is_announced_to_subscribed_endpoints_signed_and_retried(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let (gone, ops, docs) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    gone.answer(&[410]);
    ops.answer(&[500, 200]);
    let main = app.endpoint(&acme, &gone.url("/h/:id"), json!({})).await;
    let watch = watcher(&app, &acme, &ops).await;
    // No `event_types`: every document event, but not this account event.
    app.endpoint(&acme, &docs.url("/docs"), json!({})).await;
    app.submit(&acme.key, &acme.template).await;
    app.drain().await;

    let (_, disabled) = app.endpoint_view(&acme.key, id(&main)).await;
    assert_eq!(disabled["enabled"], false);
    assert!(disabled["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("410"));
    assert_eq!(time(&disabled["disabled_at"]), app.t0());
    let tenant = app.tenant_of(&acme.key).await;
    let stored = app
        .stack
        .storage
        .endpoints
        .get_endpoint(tenant, EndpointId::parse(id(&main)).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.announcement_pending, "told, so nothing to catch up");

    let first = ops.received();
    assert_eq!(first.len(), 1, "one event, answered 500");
    let event = first[0].json();
    assert_eq!(
        first[0].path,
        format!("/ops/{}", id(&main)),
        ":id is the disabled endpoint"
    );
    assert_eq!(event["type"], EVENT);
    assert_eq!(event["endpoint_id"], main["id"]);
    assert_eq!(event["endpoint_name"], main["name"]);
    assert_eq!(event["template_id"], json!(acme.template));
    assert_eq!(event["url"], main["url"]);
    assert_eq!(event["reason"], disabled["disabled_reason"]);
    assert_eq!(time(&event["disabled_at"]), app.t0());
    assert_eq!(event["failing_since"], Value::Null);
    assert!(verify_received(
        watch["secret"].as_str().unwrap(),
        &first[0]
    ));

    app.at(5).await;
    let both = ops.received();
    assert_eq!(both.len(), 2, "retried on the schedule");
    assert_eq!(both[1].header("webhook-id"), both[0].header("webhook-id"));
    assert_eq!(both[1].body, both[0].body, "the same event, byte for byte");
    assert!(verify_received(watch["secret"].as_str().unwrap(), &both[1]));
    let (_, log) = app.endpoint_deliveries(&acme.key, id(&watch)).await;
    let log = log["deliveries"].as_array().unwrap().clone();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log
        .iter()
        .all(|a| a["event_type"] == EVENT && a["job_id"].is_null()));
    assert_eq!(
        (
            log[0]["status_code"].as_u64(),
            log[1]["status_code"].as_u64()
        ),
        (Some(200), Some(500))
    );

    // Never to the endpoint itself, and not to an endpoint that did not list it.
    assert_eq!(gone.received().len(), 1);
    let plain: Vec<Value> = docs.received().iter().map(|r| r.json()).collect();
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0]["type"], "document.completed");
    app.stack.stop().await;
}

async fn a_long_run_of_failures_switches_the_endpoint_off(backend: Backend) {
    // Two deliveries failed for good in a row, over at least an hour.
    let (_env, app, acme) = start(backend, rule(2, 1)).await;
    let (failing, ops) = (Receiver::start().await, Receiver::start().await);
    failing.answer_all(500);
    let main = app.endpoint(&acme, &failing.url("/h"), json!({})).await;
    watcher(&app, &acme, &ops).await;

    // One delivery fails for good; then one succeeds, which ends the run.
    app.submit(&acme.key, &acme.template).await;
    through_the_schedule(&app, 0).await;
    let second = RETRIES_AT[5] + 3_600;
    app.at(second).await;
    failing.answer(&[200]);
    app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    // Two more fail for good at the same instant: two in a row, but not for an hour yet.
    app.submit(&acme.key, &acme.template).await;
    app.submit(&acme.key, &acme.template).await;
    through_the_schedule(&app, second).await;
    let (_, view) = app.endpoint_view(&acme.key, id(&main)).await;
    assert_eq!(
        view["enabled"], true,
        "the success ended the first run: {view}"
    );
    assert!(ops.received().is_empty());

    // A third, an hour later: three in a row over more than an hour.
    let third = second + RETRIES_AT[5] + 3_600;
    app.at(third).await;
    app.submit(&acme.key, &acme.template).await;
    through_the_schedule(&app, third).await;
    let switched_off = app.t0() + Duration::seconds(third + RETRIES_AT[5]);
    let (_, view) = app.endpoint_view(&acme.key, id(&main)).await;
    assert_eq!(view["enabled"], false, "{view}");
    let reason = view["disabled_reason"].as_str().unwrap();
    assert!(reason.contains("in a row: 3,"), "{reason}");
    assert_eq!(time(&view["disabled_at"]), switched_off);

    let told = ops.received();
    assert_eq!(told.len(), 1, "announced once");
    let event = told[0].json();
    assert_eq!(event["type"], EVENT);
    assert_eq!(event["endpoint_id"], main["id"]);
    assert_eq!(event["failed_deliveries"], 3);
    assert_eq!(
        time(&event["failing_since"]),
        app.t0() + Duration::seconds(second + RETRIES_AT[5])
    );
    assert_eq!(time(&event["disabled_at"]), switched_off);
    app.stack.stop().await;
}

async fn recovery_finds_deliveries_given_up_while_the_endpoint_was_off(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let key = Some(acme.key.as_str());
    let rx = Receiver::start().await;
    // Two deliveries wait for their retry when a third's receiver answers 410.
    rx.answer(&[500, 500, 410]);
    let hook = app.endpoint(&acme, &rx.url("/h/:id"), json!({})).await;
    let path = format!("/webhooks/{}", id(&hook));
    let waiting = [
        app.submit(&acme.key, &acme.template).await,
        app.submit(&acme.key, &acme.template).await,
    ];
    app.drain().await;
    app.at(3).await;
    let gone = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    // Their retries come while it is off: given up unsent, after their last logged attempt.
    app.at(5).await;
    assert_eq!(rx.received().len(), 3);
    for job in &waiting {
        let delivery = app.delivery(&acme.key, job).await;
        assert_eq!(
            (delivery["status"].as_str(), delivery["attempts"].as_u64()),
            (Some("failed"), Some(1)),
            "{delivery}"
        );
        assert_eq!(delivery["last_error"], "endpoint disabled");
    }

    let (status, enabled) = app
        .call("PATCH", &path, key, Some(json!({"enabled": true})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&enabled["disabled_reason"], &enabled["disabled_at"]),
        (&Value::Null, &Value::Null)
    );
    // Since after their only attempts: the attempt log alone would find the 410's delivery only.
    let since = json!({"since": (app.t0() + Duration::seconds(1)).to_rfc3339()});
    let recover = format!("{path}/recover");
    let (status, queued) = app.call("POST", &recover, key, Some(since.clone())).await;
    assert_eq!((status, queued), (202, json!({"queued": 3, "more": false})));
    // Their first attempts are spread 200 ms apart.
    app.at(6).await;
    let hits = rx.received();
    assert_eq!(hits.len(), 6);
    let ids = |from: usize, to: usize| -> std::collections::BTreeSet<String> {
        hits[from..to]
            .iter()
            .map(|h| h.header("webhook-id").unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(3, 6), ids(0, 3), "each again, with its own webhook-id");
    for job in waiting.iter().chain([&gone]) {
        assert_eq!(app.delivery(&acme.key, job).await["status"], "succeeded");
    }
    let (_, again) = app.call("POST", &recover, key, Some(since)).await;
    assert_eq!(again, json!({"queued": 0, "more": false}));
    app.stack.stop().await;
}

/// An endpoint on a rule that switches it off at its first delivery failed for good, a watcher, and
/// one delivery whose final attempt is held in flight while `change` is made through the API.
async fn race(backend: Backend, change: Value) -> (TestEnv, TestApp, Account, Value, Receiver) {
    let (env, app, acme) = start(backend, rule(1, 0)).await;
    let (rx, ops) = (Receiver::start().await, Receiver::start().await);
    let gate = Gate::new();
    rx.reply(
        std::iter::repeat_with(|| Reply::status(500))
            .take(RETRIES_AT.len())
            .chain([Reply::status(500).held_at(&gate)]),
    );
    let main = app
        .endpoint(&acme, &rx.url("/h"), json!({"name": "erp"}))
        .await;
    watcher(&app, &acme, &ops).await;
    app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    for at in &RETRIES_AT[..5] {
        app.at(*at).await;
    }
    app.set_clock(app.t0() + Duration::seconds(RETRIES_AT[5]));
    let path = format!("/webhooks/{}", id(&main));
    let tenant_change = async {
        let (status, body) = app
            .call("PATCH", &path, Some(&acme.key), Some(change.clone()))
            .await;
        assert_eq!(status, 200, "{body}");
    };
    app.drain_while_held(&gate, tenant_change).await;
    assert_eq!(rx.received().len(), 7);
    (env, app, acme, main, ops)
}

async fn the_rule_switching_off_while_the_tenant_edits_keeps_the_edit_and_announces_once(
    backend: Backend,
) {
    // The tenant's write lands first; the rule's then applies to the edited endpoint.
    let change = json!({"enabled": true, "name": "erp-renamed"});
    let (_env, app, acme, main, ops) = race(backend, change).await;
    let (_, view) = app.endpoint_view(&acme.key, id(&main)).await;
    assert_eq!(view["enabled"], false, "{view}");
    assert_eq!(view["name"], "erp-renamed", "the edit stays");
    assert!(view["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("in a row: 1,"));
    let told = ops.received();
    assert_eq!(told.len(), 1, "announced once");
    assert_eq!(told[0].json()["endpoint_name"], "erp-renamed");

    // Enabled again by the tenant: nothing of the switch-off is left, and nothing more is announced.
    let path = format!("/webhooks/{}", id(&main));
    let (status, view) = app
        .call(
            "PATCH",
            &path,
            Some(&acme.key),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            &view["enabled"],
            &view["disabled_reason"],
            &view["disabled_at"]
        ),
        (&json!(true), &Value::Null, &Value::Null)
    );
    app.drain().await;
    assert_eq!(ops.received().len(), 1);
    app.stack.stop().await;
}

async fn an_endpoint_the_tenant_disabled_meanwhile_is_not_announced(backend: Backend) {
    let (_env, app, acme, main, ops) = race(backend, json!({"enabled": false})).await;
    let (_, view) = app.endpoint_view(&acme.key, id(&main)).await;
    assert_eq!(
        (&view["enabled"], &view["disabled_reason"]),
        (&json!(false), &Value::Null),
        "the tenant's switch-off stands, without a reason of pagewire's: {view}"
    );
    app.drain().await;
    assert!(ops.received().is_empty(), "the tenant knows: no event");
    app.stack.stop().await;
}

async fn an_announcement_cut_short_is_made_by_the_next_delivery_that_finds_the_endpoint_off(
    backend: Backend,
) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let (rx, ops) = (Receiver::start().await, Receiver::start().await);
    rx.answer_all(500);
    let main = app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    watcher(&app, &acme, &ops).await;
    // Two deliveries wait for their retry.
    app.submit(&acme.key, &acme.template).await;
    app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    assert_eq!(rx.received().len(), 2);
    // The endpoint is switched off, and the process stops before telling anyone (as after a crash).
    let tenant = app.tenant_of(&acme.key).await;
    let endpoints = &app.stack.storage.endpoints;
    let id = EndpointId::parse(id(&main)).unwrap();
    let mut off = endpoints.get_endpoint(tenant, id).await.unwrap().unwrap();
    off.disable("the receiver answered 410 Gone".to_string(), app.t0());
    endpoints.update_endpoint(&off).await.unwrap();

    // Both retries find it off: one of them tells the watcher, once; neither is sent.
    app.at(5).await;
    assert_eq!(rx.received().len(), 2);
    let told = ops.received();
    assert_eq!(told.len(), 1, "told once");
    assert_eq!(told[0].json()["endpoint_id"], main["id"]);
    assert_eq!(time(&told[0].json()["disabled_at"]), app.t0());
    let stored = endpoints.get_endpoint(tenant, id).await.unwrap().unwrap();
    assert!(!stored.announcement_pending, "the mark is cleared");
    app.at(3_600).await;
    assert_eq!(ops.received().len(), 1);
    app.stack.stop().await;
}

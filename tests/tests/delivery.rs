//! The delivery engine on both backends, through the real handlers, against scripted local receivers.
//! Retry delays are stepped on a manual clock, never slept.

use chrono::{DateTime, Duration, Utc};
use integration_tests::api::{stepped_with_acme as start, Account, EndpointChange};
use integration_tests::on_both_backends;
use integration_tests::receiver::{Gate, Receiver, Reply};
use integration_tests::signature::verify_received;
use integration_tests::stack::{Backend, TestApp};
use pagewire_core::ids::JobId;
use pagewire_core::model::DeliveryTask;
use serde_json::{json, Value};

on_both_backends!(
    failures_are_retried_on_schedule_with_one_webhook_id_until_a_2xx,
    jittered_delays_stay_within_twenty_percent,
    gone_disables_the_endpoint_and_stops_every_attempt,
    recovery_sends_the_failed_deliveries_again_with_their_ids,
    a_slow_receiver_times_out_and_waits_at_least_a_minute,
    a_200_whose_body_is_slow_is_the_answer_and_not_sent_again,
    redirects_are_not_followed_and_count_as_failures,
    retry_after_is_honoured_within_one_and_two_delays,
    an_auth_url_token_is_fetched_once_reused_and_refetched_after_a_401,
    a_rotated_secret_signs_beside_the_new_one_for_24_hours,
    endpoint_options_shape_the_request,
    redelivery_and_test_events_keep_their_ids_and_are_logged,
    the_file_goes_once_every_endpoint_has_a_2xx_or_at_once_without_endpoints,
    duplicate_copies_of_a_message_settle_on_one_outcome,
    an_endpoint_changed_while_an_attempt_is_in_flight_keeps_the_change,
);

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

fn codes(attempts: &Value) -> Vec<Value> {
    attempts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect()
}

async fn failures_are_retried_on_schedule_with_one_webhook_id_until_a_2xx(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let rx = Receiver::start().await;
    rx.answer(&[500, 500, 200]);
    let hook = app.endpoint(&acme, &rx.url("/hooks/:id"), json!({})).await;
    let secret = hook["secret"].as_str().unwrap();
    let job = app.submit(&acme.key, &acme.template).await;

    app.drain().await;
    assert_eq!(rx.received().len(), 1);
    let pending = app.delivery(&acme.key, &job).await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(
        time(&pending["next_attempt_at"]),
        app.t0() + Duration::seconds(5)
    );
    assert!(app.stored_file(&job).await, "kept until delivered");

    app.at(4).await;
    assert_eq!(rx.received().len(), 1, "not before 5 s");
    app.at(5).await;
    assert_eq!(rx.received().len(), 2);
    let pending = app.delivery(&acme.key, &job).await;
    assert_eq!(
        time(&pending["next_attempt_at"]),
        app.t0() + Duration::seconds(305)
    );
    app.at(304).await;
    assert_eq!(rx.received().len(), 2, "not before 5 min more");
    app.at(305).await;
    let hits = rx.received();
    assert_eq!(hits.len(), 3);

    // One webhook-id for every attempt; a fresh timestamp on each, each signed over what was sent.
    let id = hits[0].header("webhook-id").unwrap();
    assert!(id.starts_with("msg_"));
    let stamps: Vec<i64> = hits
        .iter()
        .map(|hit| {
            assert_eq!(hit.header("webhook-id"), Some(id));
            assert!(verify_received(secret, hit));
            hit.header("webhook-timestamp").unwrap().parse().unwrap()
        })
        .collect();
    let t0 = app.t0().timestamp();
    assert_eq!(stamps, [t0, t0 + 5, t0 + 305]);
    assert_eq!(hits[0].body, hits[2].body, "the same event, byte for byte");
    assert_eq!(
        rx.connections(),
        1,
        "one keep-alive connection serves every attempt"
    );

    // The attempt log, per job and per endpoint.
    let view = app.job(&acme.key, &job).await;
    let attempts = &view["attempts"];
    assert_eq!(codes(attempts), [json!(500), json!(500), json!(200)]);
    assert_eq!(attempts[0]["error_class"], "http_status");
    assert_eq!(attempts[0]["error"], "receiver answered 500");
    assert_eq!(attempts[2]["error_class"], Value::Null);
    assert_eq!(
        time(&attempts[1]["attempted_at"]),
        app.t0() + Duration::seconds(5)
    );
    assert!(attempts[2]["latency_ms"].is_u64());
    let delivery = &view["documents"][0]["deliveries"][0];
    assert_eq!(
        (delivery["status"].as_str(), delivery["attempts"].as_u64()),
        (Some("succeeded"), Some(3))
    );
    let (status, log) = app
        .endpoint_deliveries(&acme.key, hook["id"].as_str().unwrap())
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        codes(&log["deliveries"]),
        [json!(200), json!(500), json!(500)],
        "newest first"
    );
    assert!(!app.stored_file(&job).await, "deleted once delivered");
    app.stack.stop().await;
}

async fn jittered_delays_stay_within_twenty_percent(backend: Backend) {
    let (_env, app, acme) = start(backend, |o| o.config.settings.retry_jitter = true).await;
    let rx = Receiver::start().await;
    rx.answer(&[500]);
    app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    let job = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    let due = time(&app.delivery(&acme.key, &job).await["next_attempt_at"]);
    assert!(
        due >= app.t0() + Duration::seconds(4) && due <= app.t0() + Duration::seconds(6),
        "{due} is not within 5 s +-20 %"
    );
    app.set_clock(due - Duration::milliseconds(1500));
    app.drain().await;
    assert_eq!(rx.received().len(), 1);
    app.set_clock(due);
    app.drain().await;
    assert_eq!(rx.received().len(), 2);
    assert_eq!(app.delivery(&acme.key, &job).await["status"], "succeeded");
    app.stack.stop().await;
}

async fn recovery_sends_the_failed_deliveries_again_with_their_ids(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let key = Some(acme.key.as_str());
    let rx = Receiver::start().await;
    // The receiver was gone: the delivery failed and the endpoint was switched off.
    rx.answer(&[410]);
    let hook = app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    let path = format!("/webhooks/{}", hook["id"].as_str().unwrap());
    let recover = format!("{path}/recover");
    let job = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    assert_eq!(app.delivery(&acme.key, &job).await["status"], "failed");
    let since = json!({"since": app.t0().to_rfc3339()});

    let (status, err) = app.call("POST", &recover, key, Some(since.clone())).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("webhook_disabled"))
    );
    let (status, _) = app
        .call("PATCH", &path, key, Some(json!({"enabled": true})))
        .await;
    assert_eq!(status, 200);
    for (body, message) in [
        (json!({"since": "yesterday"}), "since: "),
        (json!({}), "since: is required"),
    ] {
        let (status, err) = app.call("POST", &recover, key, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {err}");
        let text = err["error"]["message"].as_str().unwrap();
        assert!(text.starts_with(message), "{body}: {text}");
    }
    // Failures before `since` are left alone.
    app.at(10).await;
    let later = json!({"since": (app.t0() + Duration::seconds(5)).to_rfc3339()});
    let (status, none) = app.call("POST", &recover, key, Some(later)).await;
    assert_eq!((status, none), (202, json!({"queued": 0, "more": false})));
    // A `since` still to come finds nothing either.
    let future = json!({"since": (app.t0() + Duration::hours(1)).to_rfc3339()});
    let (status, none) = app.call("POST", &recover, key, Some(future)).await;
    assert_eq!((status, none), (202, json!({"queued": 0, "more": false})));

    let (status, queued) = app.call("POST", &recover, key, Some(since.clone())).await;
    assert_eq!((status, queued), (202, json!({"queued": 1, "more": false})));
    app.drain().await;
    let hits = rx.received();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].header("webhook-id"), hits[0].header("webhook-id"));
    assert_eq!(app.delivery(&acme.key, &job).await["status"], "succeeded");
    // Nothing failed is left: a second call queues nothing.
    let (_, again) = app.call("POST", &recover, key, Some(since)).await;
    assert_eq!(again, json!({"queued": 0, "more": false}));
    app.stack.stop().await;
}

async fn gone_disables_the_endpoint_and_stops_every_attempt(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let rx = Receiver::start().await;
    rx.answer(&[410]);
    let hook = app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    let hook_id = hook["id"].as_str().unwrap();
    let job = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    assert_eq!(rx.received().len(), 1);
    let delivery = app.delivery(&acme.key, &job).await;
    assert_eq!(delivery["status"], "failed");
    assert_eq!(delivery["next_attempt_at"], Value::Null);
    let (_, endpoint) = app.endpoint_view(&acme.key, hook_id).await;
    assert_eq!(endpoint["enabled"], false);
    assert!(endpoint["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("410"));
    let dead = app.dead_letters().await;
    assert!(dead.is_empty(), "nothing to hand to the dead-letter queue");

    // Nothing more goes out: not on the schedule, not on a redelivery.
    app.at(3600).await;
    let (status, queued) = app.redeliver(&acme.key, &job).await;
    assert_eq!((status, queued["queued"].as_u64()), (202, Some(1)));
    app.drain().await;
    app.at(7200).await;
    assert_eq!(rx.received().len(), 1);
    assert_eq!(
        app.delivery(&acme.key, &job).await["last_error"],
        "endpoint disabled"
    );
    app.stack.stop().await;
}

async fn a_200_whose_body_is_slow_is_the_answer_and_not_sent_again(backend: Backend) {
    let (_env, app, acme) = start(backend, |o| {
        o.config.settings.webhook_timeout = std::time::Duration::from_millis(300)
    })
    .await;
    let rx = Receiver::start().await;
    rx.reply([Reply::status(200)
        .json(json!({"received": true}))
        .slow_body(std::time::Duration::from_secs(3))]);
    app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    let job = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    let view = app.job(&acme.key, &job).await;
    assert_eq!(codes(&view["attempts"]), [json!(200)]);
    assert_eq!(view["attempts"][0]["error_class"], Value::Null);
    assert_eq!(app.delivery(&acme.key, &job).await["status"], "succeeded");
    // Nothing is sent again, even after the retry delays.
    app.at(120).await;
    assert_eq!(rx.received().len(), 1);
    app.stack.stop().await;
}

async fn a_slow_receiver_times_out_and_waits_at_least_a_minute(backend: Backend) {
    let (_env, app, acme) = start(backend, |o| {
        o.config.settings.webhook_timeout = std::time::Duration::from_millis(300)
    })
    .await;
    let rx = Receiver::start().await;
    rx.reply([Reply::status(200).after(std::time::Duration::from_secs(3))]);
    app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    let job = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    let view = app.job(&acme.key, &job).await;
    let attempt = &view["attempts"][0];
    assert_eq!(attempt["error_class"], "timeout");
    assert_eq!(attempt["status_code"], Value::Null);
    assert!(attempt["latency_ms"].as_u64().unwrap() >= 250);
    let delivery = &view["documents"][0]["deliveries"][0];
    assert_eq!(
        time(&delivery["next_attempt_at"]),
        app.t0() + Duration::seconds(60),
        "the 60 s floor, not the 5 s step"
    );
    app.at(59).await;
    assert_eq!(rx.received().len(), 1);
    app.at(60).await;
    assert_eq!(rx.received().len(), 2);
    assert_eq!(app.delivery(&acme.key, &job).await["status"], "succeeded");
    app.stack.stop().await;
}

async fn redirects_are_not_followed_and_count_as_failures(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let (rx, elsewhere) = (Receiver::start().await, Receiver::start().await);
    rx.reply([Reply::status(301).header("location", &elsewhere.url("/moved"))]);
    app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    let job = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    let view = app.job(&acme.key, &job).await;
    let attempt = &view["attempts"][0];
    assert_eq!(
        (
            attempt["status_code"].as_u64(),
            attempt["error_class"].as_str()
        ),
        (Some(301), Some("redirect"))
    );
    assert_eq!(attempt["error"], "redirect 301 not followed");
    assert_eq!(view["documents"][0]["deliveries"][0]["status"], "pending");
    assert_eq!(
        (elsewhere.received().len(), elsewhere.connections()),
        (0, 0)
    );
    app.at(5).await;
    assert_eq!(app.delivery(&acme.key, &job).await["status"], "succeeded");
    assert_eq!(elsewhere.connections(), 0);
    app.stack.stop().await;
}

async fn retry_after_is_honoured_within_one_and_two_delays(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let rx = Receiver::start().await;
    rx.reply([
        // 5 s step: asks for an hour, gets 2 x 5 s.
        Reply::status(503).header("retry-after", "3600"),
        // 5 min step: asks for 400 s, gets it.
        Reply::status(503).header("retry-after", "400"),
        // 30 min step: a 429 asking for 1 s gets the step itself.
        Reply::status(429).header("retry-after", "1"),
        Reply::status(200),
    ]);
    app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    let job = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    let mut now = 0;
    for (wait, sent_before) in [(10, 1), (400, 2), (1800, 3)] {
        let due = time(&app.delivery(&acme.key, &job).await["next_attempt_at"]);
        assert_eq!(
            due,
            app.t0() + Duration::seconds(now + wait),
            "after {sent_before}"
        );
        app.at(now + wait - 2).await;
        assert_eq!(rx.received().len(), sent_before, "early");
        now += wait;
        app.at(now).await;
        assert_eq!(rx.received().len(), sent_before + 1);
    }
    assert_eq!(app.delivery(&acme.key, &job).await["status"], "succeeded");
    app.stack.stop().await;
}

async fn an_auth_url_token_is_fetched_once_reused_and_refetched_after_a_401(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let (rx, auth) = (Receiver::start().await, Receiver::start().await);
    let token = |t: &str| Reply::status(200).json(json!({"access_token": t, "expires_in": 3600}));
    auth.reply([
        token("tok-1"),
        token("tok-2"),
        token("tok-3"),
        token("tok-4"),
    ]);
    let hook = app
        .endpoint(
            &acme,
            &rx.url("/h"),
            json!({"auth": {
                "type": "token_url",
                "url": auth.url("/login"),
                "method": "POST",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
                "body": {"username": "root", "password": "root"},
                "token_attribute": "access_token"
            }}),
        )
        .await;
    let bearer = |i: usize| rx.received()[i].header("authorization").map(str::to_string);

    // Two deliveries, one fetch.
    let (a, b) = (
        app.submit(&acme.key, &acme.template).await,
        app.submit(&acme.key, &acme.template).await,
    );
    app.drain().await;
    let logins = auth.received();
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].method, "POST");
    assert_eq!(logins[0].body, "password=root&username=root");
    assert_eq!(
        logins[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(rx.received().len(), 2);
    assert_eq!(bearer(0).as_deref(), Some("Bearer tok-1"));
    assert_eq!(bearer(1).as_deref(), Some("Bearer tok-1"));

    // The receiver refuses the cached token: a new one is fetched and the event sent again, in one attempt.
    rx.answer(&[401]);
    let c = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    assert_eq!(auth.received().len(), 2);
    assert_eq!(bearer(2).as_deref(), Some("Bearer tok-1"));
    assert_eq!(bearer(3).as_deref(), Some("Bearer tok-2"));
    let view = app.job(&acme.key, &c).await;
    assert_eq!(codes(&view["attempts"]), [json!(200)]);

    // Expired (reused until 60 s before its hour is up): fetched again.
    app.at(3540).await;
    let d = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    assert_eq!(auth.received().len(), 3);
    assert_eq!(bearer(4).as_deref(), Some("Bearer tok-3"));

    // A freshly fetched token that is refused too ends the attempt (no loop); the retry fetches again.
    rx.answer(&[401, 401]);
    let e = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    assert_eq!(auth.received().len(), 4);
    assert_eq!(bearer(6).as_deref(), Some("Bearer tok-4"));
    let delivery = app.delivery(&acme.key, &e).await;
    assert_eq!(
        (
            delivery["status"].as_str(),
            delivery["last_status_code"].as_u64()
        ),
        (Some("pending"), Some(401))
    );

    // Tokens never reach the attempt log.
    for job in [&a, &b, &c, &d, &e] {
        let text = app.job(&acme.key, job).await.to_string();
        assert!(!text.contains("tok-"), "{text}");
    }
    let (_, log) = app
        .endpoint_deliveries(&acme.key, hook["id"].as_str().unwrap())
        .await;
    assert!(!log.to_string().contains("tok-"));
    app.stack.stop().await;
}

async fn a_rotated_secret_signs_beside_the_new_one_for_24_hours(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let rx = Receiver::start().await;
    let hook = app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    let id = hook["id"].as_str().unwrap();
    let old = hook["secret"].as_str().unwrap().to_string();
    let (status, rotated) = app
        .change_endpoint(&acme.key, id, &EndpointChange::RotateSecret)
        .await;
    assert_eq!(status, 200);
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);

    app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    let (shared, key) = (&app, acme.key.as_str());
    let test = |at| async move {
        shared.set_clock(shared.t0() + at);
        let (status, attempt) = shared.test_endpoint(key, id).await;
        assert_eq!((status, attempt["status_code"].as_u64()), (200, Some(200)));
    };
    test(Duration::hours(24) - Duration::seconds(1)).await;
    test(Duration::hours(24)).await;
    let hits = rx.received();
    assert_eq!(hits.len(), 3);
    for hit in &hits[..2] {
        let header = hit.header("webhook-signature").unwrap();
        assert_eq!(header.split(' ').count(), 2, "{header}");
        assert!(verify_received(&new, hit) && verify_received(&old, hit));
    }
    assert_eq!(hits[1].json()["type"], "webhook.test");
    let last = &hits[2];
    assert_eq!(
        last.header("webhook-signature").unwrap().split(' ').count(),
        1
    );
    assert!(verify_received(&new, last));
    assert!(!verify_received(&old, last), "the old key stops after 24 h");
    app.stack.stop().await;
}

async fn endpoint_options_shape_the_request(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let rx = Receiver::start().await;
    app.endpoint(
        &acme,
        &rx.url("/docs/:id/result"),
        json!({
            "method": "PUT",
            "headers": {"X-Api-Key": "k-123", "Content-Type": "text/plain"},
            "auth": {"type": "fixed", "authorization": "Token abc"}
        }),
    )
    .await;
    let job = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    let hit = &rx.received()[0];
    let document_id = app.job(&acme.key, &job).await["documents"][0]["document_id"].clone();
    assert_eq!(hit.method, "PUT");
    assert_eq!(
        hit.path,
        format!("/docs/{}/result", document_id.as_str().unwrap())
    );
    assert_eq!(hit.header("x-api-key"), Some("k-123"));
    assert_eq!(hit.header("authorization"), Some("Token abc"));
    assert_eq!(hit.header("content-type"), Some("application/json"));
    assert_eq!(hit.json()["document_id"], document_id);

    // What creation refuses, with the reason.
    let refused = [
        (json!({"method": "TRACE"}), "method"),
        (
            json!({"headers": {"Host": "evil.example"}}),
            "set by pagewire",
        ),
        (
            json!({"headers": {"webhook-signature": "v1,x"}}),
            "set by pagewire",
        ),
        (
            json!({"headers": {"Content-Length": "1"}}),
            "set by pagewire",
        ),
        (
            json!({"headers": {"X-Evil": "a\r\nInjected: 1"}}),
            "headers.X-Evil: the value has a control character",
        ),
        (
            json!({"auth": {"type": "fixed", "authorization": "a\nb"}}),
            "auth.authorization: the value has a control character",
        ),
    ];
    for (extra, reason) in refused {
        let mut body = json!({"template_id": acme.template, "name": "x", "url": rx.url("/h")});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, err) = app
            .call("POST", "/webhooks", Some(&acme.key), Some(body))
            .await;
        assert_eq!(status, 400, "{extra}: {err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{extra}: {message}");
    }
    app.stack.stop().await;
}

async fn redelivery_and_test_events_keep_their_ids_and_are_logged(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let rx = Receiver::start().await;
    let hook = app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    let hook_id = hook["id"].as_str().unwrap();
    let job = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    let (status, queued) = app.redeliver(&acme.key, &job).await;
    assert_eq!((status, queued["queued"].as_u64()), (202, Some(1)));
    app.drain().await;
    let hits = rx.received();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].header("webhook-id"), hits[1].header("webhook-id"));
    assert_eq!(
        codes(&app.job(&acme.key, &job).await["attempts"]),
        [json!(200), json!(200)]
    );

    let (status, attempt) = app.test_endpoint(&acme.key, hook_id).await;
    assert_eq!(status, 200);
    assert_eq!(attempt["event_type"], "webhook.test");
    let test_hit = &rx.received()[2];
    assert_eq!(test_hit.json()["type"], "webhook.test");
    assert!(verify_received(hook["secret"].as_str().unwrap(), test_hit));
    assert_eq!(
        test_hit.header("webhook-id"),
        attempt["webhook_id"].as_str()
    );
    let (_, log) = app.endpoint_deliveries(&acme.key, hook_id).await;
    assert_eq!(log["deliveries"].as_array().unwrap().len(), 3);
    assert_eq!(log["deliveries"][0]["event_type"], "webhook.test");
    app.stack.stop().await;
}

async fn the_file_goes_once_every_endpoint_has_a_2xx_or_at_once_without_endpoints(
    backend: Backend,
) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let (fast, flaky) = (Receiver::start().await, Receiver::start().await);
    flaky.answer(&[500]);
    app.endpoint(&acme, &fast.url("/h"), json!({})).await;
    app.endpoint(&acme, &flaky.url("/h"), json!({})).await;
    let job = app.submit(&acme.key, &acme.template).await;
    app.drain().await;
    assert_eq!((fast.received().len(), flaky.received().len()), (1, 1));
    assert!(app.stored_file(&job).await, "one endpoint still waits");
    app.at(5).await;
    assert_eq!(flaky.received().len(), 2);
    assert!(!app.stored_file(&job).await);

    // A template without endpoints: nothing to wait for; the results stay for polling.
    let (_bare_env, bare, bare_acme) = start(backend, |_| {}).await;
    let job = bare.submit(&bare_acme.key, &bare_acme.template).await;
    bare.drain().await;
    assert!(!bare.stored_file(&job).await);
    let (status, results) = bare
        .call(
            "GET",
            &format!("/jobs/{job}/results"),
            Some(&bare_acme.key),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        results["documents"][0]["result"]["invoice_number"],
        "INV-2024-001"
    );
    app.stack.stop().await;
    bare.stack.stop().await;
}

/// Processes a job without delivering it; returns the task its delivery message carries.
async fn processed(app: &TestApp, acme: &Account) -> DeliveryTask {
    let job = app.submit(&acme.key, &acme.template).await;
    pagewire_cli::pump::pump_once(
        &app.stack.functions,
        &*app.stack.process_queue,
        "process",
        pagewire_cli::pump::Consumer::ProcessDocument,
    )
    .await;
    let deliveries = app
        .stack
        .storage
        .deliveries
        .list_deliveries(JobId::parse(&job).unwrap(), app.clock.now())
        .await
        .unwrap();
    DeliveryTask::of(&deliveries[0])
}

async fn duplicate_copies_of_a_message_settle_on_one_outcome(backend: Backend) {
    use pagewire_core::delivery::{deliver, DeliveryOutcome};
    use std::time::Duration as Wait;
    let (_env, app, acme) = start(backend, |_| {}).await;
    let rx = Receiver::start().await;
    app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    let s = &app.stack.functions.deliver_webhook.delivery;
    let status = |task: &DeliveryTask| {
        let task = task.clone();
        async move {
            let d = s
                .deliveries
                .get_delivery(task.job_id, &task.webhook_id)
                .await
                .unwrap()
                .unwrap();
            (d.status, d.round_attempts)
        }
    };
    use pagewire_core::model::DeliveryStatus::{Pending, Succeeded};

    // One copy after the other: the second finds the retry scheduled and sends nothing.
    let task = processed(&app, &acme).await;
    rx.answer(&[500]);
    let first = deliver(s, &task).await.unwrap();
    let second = deliver(s, &task).await.unwrap();
    assert_eq!(first, DeliveryOutcome::RetryIn(Wait::from_secs(5)));
    assert_eq!(second, DeliveryOutcome::RetryIn(Wait::from_secs(5)));
    assert_eq!(rx.received().len(), 1);

    // Both copies in flight at once (the receiver holds each answer, so both read the record before either
    // writes). The answer that lands first is written first; the other copy re-reads and settles.
    // (first answer, second answer, expected outcomes, expected record)
    let cases = [
        (
            Reply::status(500).after(Wait::from_millis(50)),
            Reply::status(200).after(Wait::from_millis(400)),
            [
                DeliveryOutcome::RetryIn(Wait::from_secs(5)),
                DeliveryOutcome::Delivered,
            ],
            (Succeeded, 2),
        ),
        (
            Reply::status(200).after(Wait::from_millis(50)),
            Reply::status(500).after(Wait::from_millis(400)),
            [
                DeliveryOutcome::Delivered,
                DeliveryOutcome::Dropped("already delivered"),
            ],
            (Succeeded, 1),
        ),
        (
            Reply::status(500).after(Wait::from_millis(50)),
            Reply::status(500).after(Wait::from_millis(400)),
            [
                DeliveryOutcome::RetryIn(Wait::from_secs(5)),
                DeliveryOutcome::Dropped("another copy of this message made the attempt count"),
            ],
            (Pending, 1),
        ),
    ];
    for (quick, slow, outcomes, record) in cases {
        let task = processed(&app, &acme).await;
        let before = rx.received().len();
        rx.reply([quick, slow]);
        let (a, b) = tokio::join!(deliver(s, &task), deliver(s, &task));
        let mut got = [a.unwrap(), b.unwrap()];
        // Which copy got which answer is up to the scheduler; order the outcomes by when they were written.
        got.sort_by_key(|o| !outcomes[0].eq(o));
        assert_eq!(got, outcomes);
        assert_eq!(rx.received().len(), before + 2, "both copies sent");
        assert_eq!(status(&task).await, record);
    }
    app.stack.stop().await;
}

async fn an_endpoint_changed_while_an_attempt_is_in_flight_keeps_the_change(backend: Backend) {
    let (_env, app, acme) = start(backend, |_| {}).await;
    let rx = Receiver::start().await;
    let gate = Gate::new();
    rx.reply([Reply::status(200).held_at(&gate)]);
    let hook = app.endpoint(&acme, &rx.url("/h"), json!({})).await;
    let id = hook["id"].as_str().unwrap();
    let job = app.submit(&acme.key, &acme.template).await;
    let (logged_in_flight, rotated, edited) = app
        .drain_while_held(&gate, async {
            // The request is at the receiver and its answer held.
            let logged = app.job(&acme.key, &job).await["attempts"].clone();
            let rotated = app
                .change_endpoint(&acme.key, id, &EndpointChange::RotateSecret)
                .await;
            let edited = app
                .change_endpoint(
                    &acme.key,
                    id,
                    &EndpointChange::Edit(json!({"name": "renamed"})),
                )
                .await;
            (logged, rotated, edited)
        })
        .await;
    assert_eq!(
        logged_in_flight,
        json!([]),
        "an attempt is logged once answered"
    );
    assert_eq!((rotated.0, edited.0), (200, 200), "{rotated:?} {edited:?}");
    assert_eq!(rx.received().len(), 1);
    assert_eq!(app.delivery(&acme.key, &job).await["status"], "succeeded");
    let (status, endpoint) = app.endpoint_view(&acme.key, id).await;
    assert_eq!(status, 200);
    assert_eq!(endpoint["name"], "renamed");
    assert_eq!(endpoint["secret"], rotated.1["secret"]);
    assert_ne!(endpoint["secret"], hook["secret"]);
    assert_eq!(endpoint["enabled"], true);
    app.stack.stop().await;
}

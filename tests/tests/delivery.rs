//! The delivery engine on the embedded backend, through the real handlers, against scripted local
//! receivers. Retry delays are stepped on a manual clock, never slept.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use integration_tests::receiver::{Receiver, Reply};
use integration_tests::signature::verify_received;
use integration_tests::stack::{options, TestApp};
use pagewire_cli::DevOptions;
use pagewire_core::ids::JobId;
use pagewire_core::model::DeliveryTask;
use pagewire_core::{Clock, ManualClock};
use serde_json::{json, Value};
use std::sync::Arc;

struct Harness {
    _dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    t0: DateTime<Utc>,
    app: TestApp,
    key: String,
    template: String,
}

async fn harness(tweak: impl FnOnce(&mut DevOptions)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc::now().trunc_subsecs(0);
    let clock = Arc::new(ManualClock::new(t0));
    let mut opts = options(dir.path(), clock.clone());
    tweak(&mut opts);
    let app = TestApp::start_with(opts).await;
    let key = app.tenant("acme", 1000).await;
    let template = app.invoice_template(&key).await;
    Harness {
        _dir: dir,
        clock,
        t0,
        app,
        key,
        template,
    }
}

impl Harness {
    async fn hook(&self, url: &str, extra: Value) -> Value {
        let mut body = json!({"template_id": self.template, "name": "receiver", "url": url});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        self.app.webhook(&self.key, body).await
    }

    async fn submit(&self) -> String {
        self.app.submit(&self.key, &self.template).await
    }

    async fn drain(&self) {
        self.app.stack.drain().await;
    }

    /// Moves the clock to `t0 + secs` and runs every due message.
    async fn at(&self, secs: i64) {
        self.clock.set(self.t0 + Duration::seconds(secs));
        self.drain().await;
    }

    async fn job(&self, job: &str) -> Value {
        self.app.job(&self.key, job).await
    }

    /// The first delivery of the job's first document.
    async fn delivery(&self, job: &str) -> Value {
        self.job(job).await["documents"][0]["deliveries"][0].clone()
    }

    async fn stored_file(&self, job: &str) -> bool {
        let job = JobId::parse(job).unwrap();
        let docs = self
            .app
            .stack
            .storage
            .documents
            .list_documents(job, self.clock.now())
            .await
            .unwrap();
        let key = &docs[0].object_key;
        self.app
            .stack
            .storage
            .objects
            .get(key)
            .await
            .unwrap()
            .is_some()
    }
}

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

#[tokio::test]
async fn failures_are_retried_on_schedule_with_one_webhook_id_until_a_2xx() {
    let h = harness(|_| {}).await;
    let rx = Receiver::start().await;
    rx.answer(&[500, 500, 200]);
    let hook = h.hook(&rx.url("/hooks/:id"), json!({})).await;
    let secret = hook["secret"].as_str().unwrap();
    let job = h.submit().await;

    h.drain().await;
    assert_eq!(rx.received().len(), 1);
    let pending = h.delivery(&job).await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(
        time(&pending["next_attempt_at"]),
        h.t0 + Duration::seconds(5)
    );
    assert!(h.stored_file(&job).await, "kept until delivered");

    h.at(4).await;
    assert_eq!(rx.received().len(), 1, "not before 5 s");
    h.at(5).await;
    assert_eq!(rx.received().len(), 2);
    let pending = h.delivery(&job).await;
    assert_eq!(
        time(&pending["next_attempt_at"]),
        h.t0 + Duration::seconds(305)
    );
    h.at(304).await;
    assert_eq!(rx.received().len(), 2, "not before 5 min more");
    h.at(305).await;
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
    let t0 = h.t0.timestamp();
    assert_eq!(stamps, [t0, t0 + 5, t0 + 305]);
    assert_eq!(hits[0].body, hits[2].body, "the same event, byte for byte");
    assert_eq!(
        rx.connections(),
        1,
        "one keep-alive connection serves every attempt"
    );

    // The attempt log, per job and per endpoint.
    let view = h.job(&job).await;
    let attempts = &view["attempts"];
    assert_eq!(codes(attempts), [json!(500), json!(500), json!(200)]);
    assert_eq!(attempts[0]["error_class"], "http_status");
    assert_eq!(attempts[0]["error"], "receiver answered 500");
    assert_eq!(attempts[2]["error_class"], Value::Null);
    assert_eq!(
        time(&attempts[1]["attempted_at"]),
        h.t0 + Duration::seconds(5)
    );
    assert!(attempts[2]["latency_ms"].is_u64());
    let delivery = &view["documents"][0]["deliveries"][0];
    assert_eq!(
        (delivery["status"].as_str(), delivery["attempts"].as_u64()),
        (Some("succeeded"), Some(3))
    );
    let (status, log) = h
        .app
        .call(
            "GET",
            &format!("/webhooks/{}/deliveries", hook["id"].as_str().unwrap()),
            Some(&h.key),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        codes(&log["deliveries"]),
        [json!(200), json!(500), json!(500)],
        "newest first"
    );
    assert!(!h.stored_file(&job).await, "deleted once delivered");
    h.app.stack.stop().await;
}

#[tokio::test]
async fn jittered_delays_stay_within_twenty_percent() {
    let h = harness(|o| o.config.settings.retry_jitter = true).await;
    let rx = Receiver::start().await;
    rx.answer(&[500]);
    h.hook(&rx.url("/h"), json!({})).await;
    let job = h.submit().await;
    h.drain().await;
    let due = time(&h.delivery(&job).await["next_attempt_at"]);
    assert!(
        due >= h.t0 + Duration::seconds(4) && due <= h.t0 + Duration::seconds(6),
        "{due} is not within 5 s +-20 %"
    );
    h.clock.set(due - Duration::milliseconds(1500));
    h.drain().await;
    assert_eq!(rx.received().len(), 1);
    h.clock.set(due);
    h.drain().await;
    assert_eq!(rx.received().len(), 2);
    assert_eq!(h.delivery(&job).await["status"], "succeeded");
    h.app.stack.stop().await;
}

#[tokio::test]
async fn recovery_sends_the_failed_deliveries_again_with_their_ids() {
    let h = harness(|_| {}).await;
    let rx = Receiver::start().await;
    // The receiver was gone: the delivery failed and the endpoint was switched off.
    rx.answer(&[410]);
    let hook = h.hook(&rx.url("/h"), json!({})).await;
    let path = format!("/webhooks/{}", hook["id"].as_str().unwrap());
    let recover = format!("{path}/recover");
    let job = h.submit().await;
    h.drain().await;
    assert_eq!(h.delivery(&job).await["status"], "failed");
    let since = json!({"since": h.t0.to_rfc3339()});

    let (status, err) = h
        .app
        .call("POST", &recover, Some(&h.key), Some(since.clone()))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("webhook_disabled"))
    );
    let (status, _) = h
        .app
        .call("PATCH", &path, Some(&h.key), Some(json!({"enabled": true})))
        .await;
    assert_eq!(status, 200);
    for (body, message) in [
        (json!({"since": "yesterday"}), "since: "),
        (json!({}), "since: is required"),
        (
            json!({"since": (h.t0 + Duration::hours(1)).to_rfc3339()}),
            "since: expected a time in the past",
        ),
    ] {
        let (status, err) = h
            .app
            .call("POST", &recover, Some(&h.key), Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body}: {err}");
        let text = err["error"]["message"].as_str().unwrap();
        assert!(text.starts_with(message), "{body}: {text}");
    }
    // Failures before `since` are left alone.
    h.at(10).await;
    let later = json!({"since": (h.t0 + Duration::seconds(5)).to_rfc3339()});
    let (status, none) = h
        .app
        .call("POST", &recover, Some(&h.key), Some(later))
        .await;
    assert_eq!((status, none), (202, json!({"queued": 0, "more": false})));

    let (status, queued) = h
        .app
        .call("POST", &recover, Some(&h.key), Some(since.clone()))
        .await;
    assert_eq!((status, queued), (202, json!({"queued": 1, "more": false})));
    h.drain().await;
    let hits = rx.received();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].header("webhook-id"), hits[0].header("webhook-id"));
    assert_eq!(h.delivery(&job).await["status"], "succeeded");
    // Nothing failed is left: a second call queues nothing.
    let (_, again) = h
        .app
        .call("POST", &recover, Some(&h.key), Some(since))
        .await;
    assert_eq!(again, json!({"queued": 0, "more": false}));
    h.app.stack.stop().await;
}

#[tokio::test]
async fn gone_disables_the_endpoint_and_stops_every_attempt() {
    let h = harness(|_| {}).await;
    let rx = Receiver::start().await;
    rx.answer(&[410]);
    let hook = h.hook(&rx.url("/h"), json!({})).await;
    let hook_id = hook["id"].as_str().unwrap();
    let job = h.submit().await;
    h.drain().await;
    assert_eq!(rx.received().len(), 1);
    let delivery = h.delivery(&job).await;
    assert_eq!(delivery["status"], "failed");
    assert_eq!(delivery["next_attempt_at"], Value::Null);
    let (_, endpoint) = h
        .app
        .call("GET", &format!("/webhooks/{hook_id}"), Some(&h.key), None)
        .await;
    assert_eq!(endpoint["enabled"], false);
    assert!(endpoint["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("410"));
    let dead = h
        .app
        .stack
        .embedded
        .as_ref()
        .expect("embedded backend")
        .delivery_queue
        .dead_letters()
        .await
        .unwrap();
    assert!(dead.is_empty(), "nothing to hand to the dead-letter queue");

    // Nothing more goes out: not on the schedule, not on a redelivery.
    h.at(3600).await;
    let (status, queued) = h
        .app
        .call(
            "POST",
            &format!("/jobs/{job}/redeliver"),
            Some(&h.key),
            None,
        )
        .await;
    assert_eq!((status, queued["queued"].as_u64()), (202, Some(1)));
    h.drain().await;
    h.at(7200).await;
    assert_eq!(rx.received().len(), 1);
    assert_eq!(h.delivery(&job).await["last_error"], "endpoint disabled");
    h.app.stack.stop().await;
}

#[tokio::test]
async fn a_200_whose_body_is_slow_is_the_answer_and_not_sent_again() {
    let h = harness(|o| o.config.settings.webhook_timeout = std::time::Duration::from_millis(300))
        .await;
    let rx = Receiver::start().await;
    rx.reply([Reply::status(200)
        .json(json!({"received": true}))
        .slow_body(std::time::Duration::from_secs(3))]);
    h.hook(&rx.url("/h"), json!({})).await;
    let job = h.submit().await;
    h.drain().await;
    let view = h.job(&job).await;
    assert_eq!(codes(&view["attempts"]), [json!(200)]);
    assert_eq!(view["attempts"][0]["error_class"], Value::Null);
    assert_eq!(h.delivery(&job).await["status"], "succeeded");
    // Nothing is sent again, even after the retry delays.
    h.at(120).await;
    assert_eq!(rx.received().len(), 1);
    h.app.stack.stop().await;
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_waits_at_least_a_minute() {
    let h = harness(|o| o.config.settings.webhook_timeout = std::time::Duration::from_millis(300))
        .await;
    let rx = Receiver::start().await;
    rx.reply([Reply::status(200).after(std::time::Duration::from_secs(3))]);
    h.hook(&rx.url("/h"), json!({})).await;
    let job = h.submit().await;
    h.drain().await;
    let view = h.job(&job).await;
    let attempt = &view["attempts"][0];
    assert_eq!(attempt["error_class"], "timeout");
    assert_eq!(attempt["status_code"], Value::Null);
    assert!(attempt["latency_ms"].as_u64().unwrap() >= 250);
    let delivery = &view["documents"][0]["deliveries"][0];
    assert_eq!(
        time(&delivery["next_attempt_at"]),
        h.t0 + Duration::seconds(60),
        "the 60 s floor, not the 5 s step"
    );
    h.at(59).await;
    assert_eq!(rx.received().len(), 1);
    h.at(60).await;
    assert_eq!(rx.received().len(), 2);
    assert_eq!(h.delivery(&job).await["status"], "succeeded");
    h.app.stack.stop().await;
}

#[tokio::test]
async fn redirects_are_not_followed_and_count_as_failures() {
    let h = harness(|_| {}).await;
    let (rx, elsewhere) = (Receiver::start().await, Receiver::start().await);
    rx.reply([Reply::status(301).header("location", &elsewhere.url("/moved"))]);
    h.hook(&rx.url("/h"), json!({})).await;
    let job = h.submit().await;
    h.drain().await;
    let view = h.job(&job).await;
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
    h.at(5).await;
    assert_eq!(h.delivery(&job).await["status"], "succeeded");
    assert_eq!(elsewhere.connections(), 0);
    h.app.stack.stop().await;
}

#[tokio::test]
async fn retry_after_is_honoured_within_one_and_two_delays() {
    let h = harness(|_| {}).await;
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
    h.hook(&rx.url("/h"), json!({})).await;
    let job = h.submit().await;
    h.drain().await;
    let mut now = 0;
    for (wait, sent_before) in [(10, 1), (400, 2), (1800, 3)] {
        let due = time(&h.delivery(&job).await["next_attempt_at"]);
        assert_eq!(
            due,
            h.t0 + Duration::seconds(now + wait),
            "after {sent_before}"
        );
        h.at(now + wait - 2).await;
        assert_eq!(rx.received().len(), sent_before, "early");
        now += wait;
        h.at(now).await;
        assert_eq!(rx.received().len(), sent_before + 1);
    }
    assert_eq!(h.delivery(&job).await["status"], "succeeded");
    h.app.stack.stop().await;
}

#[tokio::test]
async fn an_auth_url_token_is_fetched_once_reused_and_refetched_after_a_401() {
    let h = harness(|_| {}).await;
    let (rx, auth) = (Receiver::start().await, Receiver::start().await);
    let token = |t: &str| Reply::status(200).json(json!({"access_token": t, "expires_in": 3600}));
    auth.reply([
        token("tok-1"),
        token("tok-2"),
        token("tok-3"),
        token("tok-4"),
    ]);
    let hook = h
        .hook(
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
    let (a, b) = (h.submit().await, h.submit().await);
    h.drain().await;
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
    let c = h.submit().await;
    h.drain().await;
    assert_eq!(auth.received().len(), 2);
    assert_eq!(bearer(2).as_deref(), Some("Bearer tok-1"));
    assert_eq!(bearer(3).as_deref(), Some("Bearer tok-2"));
    let view = h.job(&c).await;
    assert_eq!(codes(&view["attempts"]), [json!(200)]);

    // Expired (reused until 60 s before its hour is up): fetched again.
    h.at(3540).await;
    let d = h.submit().await;
    h.drain().await;
    assert_eq!(auth.received().len(), 3);
    assert_eq!(bearer(4).as_deref(), Some("Bearer tok-3"));

    // A freshly fetched token that is refused too ends the attempt (no loop); the retry fetches again.
    rx.answer(&[401, 401]);
    let e = h.submit().await;
    h.drain().await;
    assert_eq!(auth.received().len(), 4);
    assert_eq!(bearer(6).as_deref(), Some("Bearer tok-4"));
    let delivery = h.delivery(&e).await;
    assert_eq!(
        (
            delivery["status"].as_str(),
            delivery["last_status_code"].as_u64()
        ),
        (Some("pending"), Some(401))
    );

    // Tokens never reach the attempt log.
    for job in [&a, &b, &c, &d, &e] {
        let text = h.job(job).await.to_string();
        assert!(!text.contains("tok-"), "{text}");
    }
    let (_, log) = h
        .app
        .call(
            "GET",
            &format!("/webhooks/{}/deliveries", hook["id"].as_str().unwrap()),
            Some(&h.key),
            None,
        )
        .await;
    assert!(!log.to_string().contains("tok-"));
    h.app.stack.stop().await;
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one_for_24_hours() {
    let h = harness(|_| {}).await;
    let rx = Receiver::start().await;
    let hook = h.hook(&rx.url("/h"), json!({})).await;
    let id = hook["id"].as_str().unwrap();
    let old = hook["secret"].as_str().unwrap().to_string();
    let (status, rotated) = h
        .app
        .call(
            "POST",
            &format!("/webhooks/{id}/rotate-secret"),
            Some(&h.key),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);

    h.submit().await;
    h.drain().await;
    let hr = &h;
    let test = |at| async move {
        let h = hr;
        h.clock.set(h.t0 + at);
        let (status, attempt) = h
            .app
            .call("POST", &format!("/webhooks/{id}/test"), Some(&h.key), None)
            .await;
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
    h.app.stack.stop().await;
}

#[tokio::test]
async fn endpoint_options_shape_the_request() {
    let h = harness(|_| {}).await;
    let rx = Receiver::start().await;
    h.hook(
        &rx.url("/docs/:id/result"),
        json!({
            "method": "PUT",
            "headers": {"X-Api-Key": "k-123", "Content-Type": "text/plain"},
            "auth": {"type": "fixed", "authorization": "Token abc"}
        }),
    )
    .await;
    let job = h.submit().await;
    h.drain().await;
    let hit = &rx.received()[0];
    let document_id = h.job(&job).await["documents"][0]["document_id"].clone();
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
        let mut body = json!({"template_id": h.template, "name": "x", "url": rx.url("/h")});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, err) = h
            .app
            .call("POST", "/webhooks", Some(&h.key), Some(body))
            .await;
        assert_eq!(status, 400, "{extra}: {err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{extra}: {message}");
    }
    h.app.stack.stop().await;
}

#[tokio::test]
async fn redelivery_and_test_events_keep_their_ids_and_are_logged() {
    let h = harness(|_| {}).await;
    let rx = Receiver::start().await;
    let hook = h.hook(&rx.url("/h"), json!({})).await;
    let hook_id = hook["id"].as_str().unwrap();
    let job = h.submit().await;
    h.drain().await;
    let (status, queued) = h
        .app
        .call(
            "POST",
            &format!("/jobs/{job}/redeliver"),
            Some(&h.key),
            None,
        )
        .await;
    assert_eq!((status, queued["queued"].as_u64()), (202, Some(1)));
    h.drain().await;
    let hits = rx.received();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].header("webhook-id"), hits[1].header("webhook-id"));
    assert_eq!(
        codes(&h.job(&job).await["attempts"]),
        [json!(200), json!(200)]
    );

    let (status, attempt) = h
        .app
        .call(
            "POST",
            &format!("/webhooks/{hook_id}/test"),
            Some(&h.key),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(attempt["event_type"], "webhook.test");
    let test_hit = &rx.received()[2];
    assert_eq!(test_hit.json()["type"], "webhook.test");
    assert!(verify_received(hook["secret"].as_str().unwrap(), test_hit));
    assert_eq!(
        test_hit.header("webhook-id"),
        attempt["webhook_id"].as_str()
    );
    let (_, log) = h
        .app
        .call(
            "GET",
            &format!("/webhooks/{hook_id}/deliveries"),
            Some(&h.key),
            None,
        )
        .await;
    assert_eq!(log["deliveries"].as_array().unwrap().len(), 3);
    assert_eq!(log["deliveries"][0]["event_type"], "webhook.test");
    h.app.stack.stop().await;
}

#[tokio::test]
async fn the_file_goes_once_every_endpoint_has_a_2xx_or_at_once_without_endpoints() {
    let h = harness(|_| {}).await;
    let (fast, flaky) = (Receiver::start().await, Receiver::start().await);
    flaky.answer(&[500]);
    h.hook(&fast.url("/h"), json!({})).await;
    h.hook(&flaky.url("/h"), json!({})).await;
    let job = h.submit().await;
    h.drain().await;
    assert_eq!((fast.received().len(), flaky.received().len()), (1, 1));
    assert!(h.stored_file(&job).await, "one endpoint still waits");
    h.at(5).await;
    assert_eq!(flaky.received().len(), 2);
    assert!(!h.stored_file(&job).await);

    // A template without endpoints: nothing to wait for; the results stay for polling.
    let bare = harness(|_| {}).await;
    let job = bare.submit().await;
    bare.drain().await;
    assert!(!bare.stored_file(&job).await);
    let (status, results) = bare
        .app
        .call(
            "GET",
            &format!("/jobs/{job}/results"),
            Some(&bare.key),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        results["documents"][0]["result"]["invoice_number"],
        "INV-2024-001"
    );
    h.app.stack.stop().await;
    bare.app.stack.stop().await;
}

/// Processes a job without delivering it; returns the task its delivery message carries.
async fn processed(h: &Harness) -> DeliveryTask {
    let job = h.submit().await;
    pagewire_cli::pump::pump_once(
        &h.app.stack.functions,
        &*h.app.stack.process_queue,
        "process",
        pagewire_cli::pump::Consumer::ProcessDocument,
    )
    .await;
    let deliveries = h
        .app
        .stack
        .storage
        .deliveries
        .list_deliveries(JobId::parse(&job).unwrap(), h.clock.now())
        .await
        .unwrap();
    DeliveryTask::of(&deliveries[0])
}

#[tokio::test]
async fn duplicate_copies_of_a_message_settle_on_one_outcome() {
    use pagewire_core::delivery::{deliver, DeliveryOutcome};
    use std::time::Duration as Wait;
    let h = harness(|_| {}).await;
    let rx = Receiver::start().await;
    h.hook(&rx.url("/h"), json!({})).await;
    let s = &h.app.stack.functions.deliver_webhook.delivery;
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
    let task = processed(&h).await;
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
        let task = processed(&h).await;
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
    h.app.stack.stop().await;
}

//! What only the AWS backend can show: at-least-once delivery by S3 and SQS changes nothing visible, and a
//! delivery whose attempts are exhausted lands in the real dead-letter queue through the redrive policy.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use integration_tests::moto;
use integration_tests::receiver::Receiver;
use integration_tests::stack::{invoice_pdf, Backend, TestApp, TestEnv};
use lambda_runtime::{Context, LambdaEvent};
use pagewire_cli::pump::{pump_once, sqs_event, Consumer};
use pagewire_core::ids::JobId;
use pagewire_core::model::{DeliveryStatus, DeliveryTask};
use pagewire_core::ManualClock;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// A tenant with 10 credits, the invoice template and one webhook to `receiver`; returns the API key.
async fn tenant_with_webhook(app: &TestApp, receiver: &Receiver) -> String {
    let key = app.tenant("acme", 10).await;
    let template_id = app.invoice_template(&key).await;
    let (status, hook) = app
        .call(
            "POST",
            "/webhooks",
            Some(&key),
            Some(json!({"template_id": template_id, "name": "r", "url": receiver.url("/hook")})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let (status, accepted) = app
        .call(
            "POST",
            "/process-job",
            Some(&key),
            Some(
                json!({"template_id": template_id, "actual_image": STANDARD.encode(invoice_pdf())}),
            ),
        )
        .await;
    assert_eq!(status, 202, "{accepted}");
    key
}

#[tokio::test]
async fn repeated_s3_and_sqs_events_change_nothing_visible() {
    let receiver = Receiver::start().await;
    let env = TestEnv::new(Backend::Aws).await;
    let aws = env.aws.clone().unwrap();
    let app = env.start().await;
    let key = tenant_with_webhook(&app, &receiver).await;
    let sqs = moto::clients().await;

    // The bucket's notification, as moto put it on the process queue, kept to be delivered again.
    // (S3 also puts an `s3:TestEvent` there when the notification is configured; the handler skips it.)
    let notifications: Vec<String> = moto::peek(&sqs, &aws.process_queue_url)
        .await
        .into_iter()
        .filter(|body| body.contains("\"Records\""))
        .collect();
    assert_eq!(notifications.len(), 1, "one notification for the upload");
    let record: serde_json::Value = serde_json::from_str(&notifications[0]).unwrap();
    assert_eq!(record["Records"][0]["eventSource"], "aws:s3");
    assert!(
        pump_once(
            &app.stack.functions,
            &*app.stack.process_queue,
            "process",
            Consumer::ProcessDocument
        )
        .await
            >= 1
    );
    let delivery_url = aws.resources.delivery_queue_url.clone().unwrap();
    let deliveries = moto::peek(&sqs, &delivery_url).await;
    assert_eq!(
        deliveries.len(),
        1,
        "one delivery message for one document x one endpoint"
    );
    let task: DeliveryTask = serde_json::from_str(&deliveries[0]).unwrap();
    app.stack.drain().await;
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(app.credits("acme").await, 8, "two pages, two credits");
    let job = task.job_id;
    let status_before = job_view(&app, &key, job).await;

    // S3 and SQS deliver at least once: the same notification and the same delivery message again.
    app.stack
        .process_queue
        .send(&notifications[0], Duration::ZERO)
        .await
        .unwrap();
    app.stack
        .delivery_queue
        .send(&deliveries[0], Duration::ZERO)
        .await
        .unwrap();
    assert!(
        app.stack.drain().await >= 2,
        "both duplicates were consumed"
    );

    assert_eq!(app.credits("acme").await, 8, "no second charge");
    assert_eq!(
        receiver.received().len(),
        1,
        "a delivered event is not sent again"
    );
    assert_eq!(
        receiver.received()[0].header("webhook-id"),
        Some(task.webhook_id.as_str())
    );
    assert!(
        moto::peek(&sqs, &delivery_url).await.is_empty(),
        "no new delivery message"
    );
    let status_after = job_view(&app, &key, job).await;
    assert_eq!(status_after["status"], "SUCCESS");
    assert_eq!(
        status_after["documents"], status_before["documents"],
        "nothing regressed"
    );
    let stored = app
        .stack
        .storage
        .deliveries
        .list_deliveries(job, Utc::now())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].webhook_id, task.webhook_id);
    assert_eq!(stored[0].status, DeliveryStatus::Succeeded);
    app.stack.stop().await;
}

async fn job_view(app: &TestApp, key: &str, job: JobId) -> serde_json::Value {
    let (status, body) = app
        .call("GET", &format!("/jobs/{job}"), Some(key), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_delivery_whose_attempts_are_exhausted_lands_in_the_dead_letter_queue() {
    let receiver = Receiver::start().await;
    receiver.answer(&[500; 10]);
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let env = TestEnv::with_clock(Backend::Aws, clock.clone()).await;
    let aws = env.aws.clone().unwrap();
    let app = env.start().await;
    tenant_with_webhook(&app, &receiver).await;
    pump_once(
        &app.stack.functions,
        &*app.stack.process_queue,
        "process",
        Consumer::ProcessDocument,
    )
    .await;

    // Lambda's event source mapping, with time made to pass: each failed record's retry delay is cut to
    // zero on the queue, and the manual clock jumps to the delivery's next attempt.
    let queue = &app.stack.delivery_queue;
    let mut receives = 0;
    let mut task: Option<DeliveryTask> = None;
    loop {
        let messages = queue.receive(10, Duration::from_secs(300)).await.unwrap();
        if messages.is_empty() {
            break;
        }
        assert_eq!(messages.len(), 1);
        receives += 1;
        assert!(
            receives <= aws.delivery_max_receives,
            "SQS hands a message out at most maxReceiveCount times"
        );
        assert_eq!(messages[0].receive_count, receives);
        let current: DeliveryTask = serde_json::from_str(&messages[0].body).unwrap();
        task.get_or_insert(current);
        let event = sqs_event(&messages, "delivery");
        let response = deliver_webhook::handle(
            &app.stack.functions.deliver_webhook,
            LambdaEvent::new(event, Context::default()),
        )
        .await
        .unwrap();
        assert_eq!(
            response.batch_item_failures.len(),
            1,
            "a failed attempt is reported as a batch failure"
        );
        queue
            .change_visibility(&messages[0].receipt_handle, Duration::ZERO)
            .await
            .unwrap();
        let task = task.as_ref().unwrap();
        let delivery = app
            .stack
            .storage
            .deliveries
            .get_delivery(task.job_id, &task.webhook_id)
            .await
            .unwrap()
            .unwrap();
        if let Some(next) = delivery.next_attempt_at {
            clock.set(next);
        }
    }
    let task = task.unwrap();
    let hits = receiver.received();
    assert_eq!(hits.len(), 7, "seven attempts in all");
    assert!(hits
        .iter()
        .all(|h| h.header("webhook-id") == Some(task.webhook_id.as_str())));
    let delivery = app
        .stack
        .storage
        .deliveries
        .get_delivery(task.job_id, &task.webhook_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(delivery.status, DeliveryStatus::Failed);
    assert_eq!(delivery.total_attempts, 7);
    let sqs = moto::clients().await;
    let dead = moto::peek(&sqs, &aws.delivery_dlq_url).await;
    assert_eq!(dead.len(), 1, "the message is in the DLQ");
    let dead_task: DeliveryTask = serde_json::from_str(&dead[0]).unwrap();
    assert_eq!(dead_task.webhook_id, task.webhook_id);
    app.stack.stop().await;
}

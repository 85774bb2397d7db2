//! A consumer that panics is restarted, and the messages it held are handled after all.

use integration_tests::receiver::Receiver;
use integration_tests::stack::{options, TestApp};
use pagewire_cli::consumer::FaultPoint;
use pagewire_cli::pump::Consumer;
use pagewire_core::SystemClock;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DOCUMENTS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panicking_consumers_are_restarted_and_their_queues_drain() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), Arc::new(SystemClock));
    opts.background_consumers = true;
    opts.poll_interval = Duration::from_millis(50);
    // The processing loop dies twice with a batch in hand; two deliveries panic inside their handling.
    let (loop_panics, message_panics) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (lp, mp) = (loop_panics.clone(), message_panics.clone());
    opts.consumer_fault = Some(Arc::new(move |consumer, point| match (consumer, point) {
        (Consumer::ProcessDocument, FaultPoint::Received)
            if lp.fetch_add(1, Ordering::SeqCst) < 2 =>
        {
            panic!("test hook: the process consumer dies with its batch in hand")
        }
        (Consumer::DeliverWebhook, FaultPoint::Handling)
            if mp.fetch_add(1, Ordering::SeqCst) < 2 =>
        {
            panic!("test hook: a delivery's handling panics")
        }
        _ => {}
    }));
    let app = TestApp::start_with(opts).await;
    let key = app.tenant("acme", 100).await;
    let template = app.invoice_template(&key).await;
    let rx = Receiver::start().await;
    app.webhook(
        &key,
        json!({"template_id": template, "name": "hook", "url": rx.url("/hooks/:id")}),
    )
    .await;
    let mut jobs = Vec::new();
    for _ in 0..DOCUMENTS {
        jobs.push(app.submit(&key, &template).await);
    }

    let deadline = Instant::now() + Duration::from_secs(30);
    let embedded = app.stack.embedded.clone().unwrap();
    loop {
        let delivered = rx.received().len();
        let queued = embedded.process_queue.depth().await.unwrap()
            + embedded.delivery_queue.depth().await.unwrap();
        if delivered >= DOCUMENTS && queued == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{delivered} of {DOCUMENTS} webhooks, {queued} messages still queued"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        loop_panics.load(Ordering::SeqCst) > 2,
        "the process loop ran again after dying"
    );
    assert!(
        message_panics.load(Ordering::SeqCst) > 2,
        "deliveries went on after the panics"
    );
    assert_eq!(
        app.stack.restarts.count(),
        2,
        "the process consumer was restarted twice"
    );
    for job in &jobs {
        assert_eq!(app.job(&key, job).await["status"], "SUCCESS");
    }
    assert!(embedded
        .process_queue
        .dead_letters()
        .await
        .unwrap()
        .is_empty());
    assert!(embedded
        .delivery_queue
        .dead_letters()
        .await
        .unwrap()
        .is_empty());
    // Each document once per webhook-id, however often its message came round.
    let mut ids: Vec<String> = rx
        .received()
        .iter()
        .map(|hit| hit.header("webhook-id").unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), DOCUMENTS);
    app.stack.stop().await;
}

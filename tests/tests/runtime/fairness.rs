//! One tenant's heavy document and hanging receiver do not hold another tenant's work: while tenant A has a
//! long document in processing and webhooks waiting on a receiver that never answers, tenant B's one-page
//! PDF is delivered within seconds. On both backends' queues.

use integration_tests::receiver::Receiver;
use integration_tests::stack::{Backend, TestApp, TestEnv};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// How long tenant B may wait for its webhook.
const B_WITHIN: Duration = Duration::from_secs(5);

/// A receiver that accepts connections and never answers (it reads nothing and writes nothing).
struct HangingReceiver {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl HangingReceiver {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/:id", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        Self { url, connections }
    }
}

/// A long PDF: many pages full of text, so reading and extracting it takes a while.
fn heavy_pdf() -> Vec<u8> {
    let line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit 1234.56 Invoice Number: X";
    let page: Vec<&str> = std::iter::repeat_n(line, 60).collect();
    let pages: Vec<&[&str]> = std::iter::repeat_n(page.as_slice(), 400).collect();
    pagewire_extract::reader::fixtures::text_pdf(&pages)
}

async fn job_status(app: &TestApp, key: &str, job: &str) -> String {
    app.job(key, job).await["status"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn another_tenant_is_not_held(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let mut options = env.options();
    options.background_consumers = true;
    options.poll_interval = Duration::from_millis(50);
    options.process_concurrency = 2;
    options.delivery_concurrency = 8;
    options.config.settings.api_rate_limit.per_second = 0;
    options.config.settings.webhook_timeout = Duration::from_secs(10);
    let app = TestApp::start_with(options).await;

    // Tenant A: webhooks to a receiver that never answers, then a long document.
    let hanging = HangingReceiver::start().await;
    let key_a = app.tenant("a", 100_000).await;
    let template_a = app.invoice_template(&key_a).await;
    app.webhook(
        &key_a,
        json!({"template_id": template_a, "name": "hangs", "url": hanging.url}),
    )
    .await;
    for _ in 0..4 {
        app.submit(&key_a, &template_a).await;
    }
    let heavy = app.submit_bytes(&key_a, &template_a, &heavy_pdf()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while job_status(&app, &key_a, &heavy).await != "PROCESSING IMAGE"
        || hanging.connections.load(Ordering::SeqCst) == 0
    {
        assert!(
            Instant::now() < deadline,
            "tenant A's document and webhooks never got going"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Tenant B: one page, to a receiver that answers at once.
    let rx_b = Receiver::start().await;
    let key_b = app.tenant("b", 10).await;
    let template_b = app.invoice_template(&key_b).await;
    app.webhook(
        &key_b,
        json!({"template_id": template_b, "name": "ok", "url": rx_b.url("/hooks/:id")}),
    )
    .await;
    let started = Instant::now();
    let job_b = app.submit(&key_b, &template_b).await;
    while rx_b.received().is_empty() {
        assert!(
            started.elapsed() < B_WITHIN,
            "tenant B's webhook took longer than {B_WITHIN:?} (job {})",
            job_status(&app, &key_b, &job_b).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let waited = started.elapsed();
    // B went past A's work rather than after it.
    assert_eq!(
        job_status(&app, &key_a, &heavy).await,
        "PROCESSING IMAGE",
        "tenant A's long document was still being read when B's webhook left"
    );
    assert_eq!(rx_b.received()[0].json()["job_id"], job_b.as_str());
    println!("{backend:?}: tenant B's webhook after {waited:?}");
    app.stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_is_not_held_on_the_embedded_backend() {
    another_tenant_is_not_held(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_is_not_held_on_the_aws_backend() {
    another_tenant_is_not_held(Backend::Aws).await;
}

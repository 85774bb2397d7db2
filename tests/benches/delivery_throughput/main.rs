//! Delivery throughput: queue message -> signed request to a local keep-alive receiver -> 2xx recorded,
//! through the deliver-webhook handler on the embedded backend (what `pagewire dev` runs).
//!
//!   cargo bench -p integration-tests --bench delivery_throughput
//!
//! Setup (not timed): ZIP batches of one-page invoices go through processing, which queues one delivery
//! per document. Timed: `consumers` loops, each receiving batches of 10 from the delivery queue and
//! handing them to the handler, until every delivery is recorded as succeeded.
//!
//! Under `cargo test` (no `--bench` argument) it runs a small round as a smoke test.

#[path = "../load_submit/rss.rs"]
#[allow(dead_code)] // this bench reads the CPU time only
mod rss;
mod timed;

use base64::Engine;
use chrono::Utc;
use integration_tests::receiver::Receiver;
use integration_tests::stack::{options, TestApp};
use pagewire_cli::functions::Functions;
use pagewire_cli::pump::{pump_once, Consumer};
use pagewire_core::ids::JobId;
use pagewire_core::model::DeliveryStatus;
use pagewire_core::ports::QueueConsumer;
use pagewire_core::SystemClock;
use pagewire_lambda_kit::wiring::Adapters;
use pagewire_lambda_kit::Config;
use serde_json::json;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

struct Round {
    jobs: usize,
    documents_per_job: usize,
    consumers: usize,
}

fn zip_of_invoices(count: usize) -> Vec<u8> {
    let pdf = integration_tests::stack::invoice_pdf();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..count {
        zip.start_file(format!("invoice-{i:04}.pdf"), options)
            .unwrap();
        zip.write_all(&pdf).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

async fn process_all(app: &TestApp) {
    while pump_once(
        &app.stack.functions,
        &*app.stack.process_queue,
        "process",
        Consumer::ProcessDocument,
    )
    .await
        > 0
    {}
}

/// Seeds a round, then times its deliveries. Returns (deliveries, seconds, CPU seconds).
async fn run(
    app: &TestApp,
    config: &Config,
    key: &str,
    template: &str,
    round: &Round,
    timings: Option<Arc<timed::Timings>>,
) -> (usize, f64, f64) {
    let batch =
        base64::engine::general_purpose::STANDARD.encode(zip_of_invoices(round.documents_per_job));
    let mut jobs = Vec::new();
    for _ in 0..round.jobs {
        let (status, accepted) = app
            .call(
                "POST",
                "/process-job",
                Some(key),
                Some(json!({"template_id": template, "actual_image": batch, "file_name": "batch.zip"})),
            )
            .await;
        assert_eq!(status, 202, "{accepted}");
        jobs.push(JobId::parse(accepted["job_id"].as_str().unwrap()).unwrap());
    }
    process_all(app).await;
    let expected = round.jobs * round.documents_per_job;
    let queued = app
        .stack
        .embedded
        .as_ref()
        .expect("embedded backend")
        .delivery_queue
        .depth()
        .await
        .unwrap();
    assert_eq!(queued, expected, "one delivery message per document");

    let embedded_queue = app
        .stack
        .embedded
        .as_ref()
        .expect("embedded backend")
        .delivery_queue
        .clone();
    let timed_functions;
    let (functions, queue): (&Functions, Arc<dyn QueueConsumer>) = match &timings {
        Some(t) => {
            let storage = timed::wrap(&app.stack.storage, t);
            let adapters = Adapters::new(config, storage, Arc::new(SystemClock));
            let mut wired = Functions::wire(&adapters).unwrap();
            let sender = &mut wired.deliver_webhook.delivery.sender;
            sender.transport = timed::wrap_transport(sender.transport.clone(), t);
            timed_functions = wired;
            (&timed_functions, timed::wrap_consumer(embedded_queue, t))
        }
        None => (&*app.stack.functions, embedded_queue),
    };
    println!("delivery_throughput: {expected} deliveries queued; timing starts");
    std::io::stdout().flush().unwrap();
    let cpu_before = rss::cpu_seconds();
    let started = Instant::now();
    let consumers = (0..round.consumers).map(|_| async {
        while pump_once(functions, &*queue, "delivery", Consumer::DeliverWebhook).await > 0 {}
    });
    futures_util::future::join_all(consumers).await;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = rss::cpu_seconds() - cpu_before;

    let s = &app.stack.storage;
    let (mut delivered, mut files_left) = (0, 0);
    for job in jobs {
        let deliveries = s.deliveries.list_deliveries(job, Utc::now()).await.unwrap();
        delivered += deliveries
            .iter()
            .filter(|d| d.status == DeliveryStatus::Succeeded)
            .count();
        for doc in s.documents.list_documents(job, Utc::now()).await.unwrap() {
            files_left += usize::from(s.objects.get(&doc.object_key).await.unwrap().is_some());
        }
    }
    assert_eq!(delivered, expected, "every delivery recorded as a 2xx");
    assert_eq!(files_left, 0, "every delivered document's file deleted");
    (delivered, seconds, cpu)
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let rounds: Vec<Round> = if benchmarking {
        [1, 4]
            .into_iter()
            .map(|consumers| Round {
                jobs: 20,
                documents_per_job: 100,
                consumers,
            })
            .collect()
    } else {
        vec![Round {
            jobs: 2,
            documents_per_job: 10,
            consumers: 2,
        }]
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let opts = options(dir.path(), Arc::new(SystemClock));
        let config = opts.config.clone();
        let app = TestApp::start_with(opts).await;
        let key = app.tenant("bench", 1_000_000).await;
        let template = app.invoice_template(&key).await;
        let receiver = Receiver::start().await;
        app.webhook(
            &key,
            json!({"template_id": template, "name": "bench", "url": receiver.url("/hooks/:id")}),
        )
        .await;
        let breakdown = std::env::var_os("PAGEWIRE_BENCH_BREAKDOWN").is_some();
        for round in &rounds {
            let connections = receiver.connections();
            let timings = breakdown.then(|| Arc::new(timed::Timings::default()));
            let (n, seconds, cpu) = run(&app, &config, &key, &template, round, timings.clone()).await;
            println!(
                "delivery_throughput: {n} deliveries, {} consumer(s) x batches of 10: {seconds:.3} s = {:.0} deliveries/s; \
                 CPU {:.0} us per delivery (receiver included); {} new receiver connection(s)",
                round.consumers,
                n as f64 / seconds,
                cpu * 1e6 / n as f64,
                receiver.connections() - connections,
            );
            if let Some(t) = timings {
                println!("{}", t.report(n));
            }
        }
        app.stack.stop().await;
    });
}

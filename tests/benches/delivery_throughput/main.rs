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
use integration_tests::receiver::Receiver;
use integration_tests::stack::{options, TestApp};
use pagewire_cli::pump::{pump_once, Consumer};
use pagewire_core::ids::JobId;
use pagewire_core::model::DeliveryStatus;
use pagewire_core::ports::MessageQueue;
use pagewire_core::{Services, SystemClock};
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
    let s = &app.stack.services;
    while pump_once(
        s,
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

    let (s, queue): (Services, Arc<dyn MessageQueue>) = match &timings {
        Some(t) => (
            timed::wrap(&app.stack.services, t.clone()),
            timed::wrap_queue(
                app.stack
                    .embedded
                    .as_ref()
                    .expect("embedded backend")
                    .delivery_queue
                    .clone(),
                t.clone(),
            ),
        ),
        None => (
            app.stack.services.clone(),
            app.stack
                .embedded
                .as_ref()
                .expect("embedded backend")
                .delivery_queue
                .clone(),
        ),
    };
    println!("delivery_throughput: {expected} deliveries queued; timing starts");
    std::io::stdout().flush().unwrap();
    let cpu_before = rss::cpu_seconds();
    let started = Instant::now();
    let consumers = (0..round.consumers).map(|_| async {
        while pump_once(&s, &*queue, "delivery", Consumer::DeliverWebhook).await > 0 {}
    });
    futures_util::future::join_all(consumers).await;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = rss::cpu_seconds() - cpu_before;

    let s = &app.stack.services;
    let (mut delivered, mut files_left) = (0, 0);
    for job in jobs {
        let deliveries = s.jobs.list_deliveries(job, s.clock.now()).await.unwrap();
        delivered += deliveries
            .iter()
            .filter(|d| d.status == DeliveryStatus::Succeeded)
            .count();
        for doc in s.jobs.list_documents(job, s.clock.now()).await.unwrap() {
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
        let app = TestApp::start_with(options(dir.path(), Arc::new(SystemClock))).await;
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
            let (n, seconds, cpu) = run(&app, &key, &template, round, timings.clone()).await;
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

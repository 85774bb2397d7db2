//! End to end through `pagewire dev`: N one-page text PDFs submitted by C concurrent keep-alive clients, each
//! timed from the moment its submission is sent to the arrival of its webhook at a local receiver. Reports
//! the accept rate, webhooks per second, p50/p99/max of that latency, and the CPU time this process spent
//! per document (server, processing, delivery, and the clients and receiver too: everything is in-process).
//!
//!   cargo bench -p integration-tests --bench end_to_end -- --documents 2000 --clients 8
//!
//! Under `cargo test` (no `--bench` argument) it runs a small bounded round with the same checks. The
//! API's per-tenant rate limit is off (it would cap one tenant at 100 requests/s). Bounded: at most 100,000
//! documents, and a deadline for the webhooks.

#[path = "../load_submit/bench_stack.rs"]
mod bench_stack;
#[path = "../load_submit/receiver.rs"]
mod receiver;
#[path = "../load_submit/rss.rs"]
mod rss;

use base64::Engine;
use bench_stack::BenchStack;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MAX_DOCUMENTS: usize = 100_000;

struct Round {
    documents: usize,
    clients: usize,
    process_concurrency: Option<usize>,
    delivery_concurrency: Option<usize>,
}

fn round_from_args() -> Round {
    let args: Vec<String> = std::env::args().collect();
    let benchmarking = args.iter().any(|a| a == "--bench");
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let documents = if benchmarking { 2_000 } else { 100 };
    Round {
        documents: value("--documents")
            .unwrap_or(documents)
            .clamp(1, MAX_DOCUMENTS),
        clients: value("--clients").unwrap_or(8).max(1),
        process_concurrency: value("--process-concurrency"),
        delivery_concurrency: value("--delivery-concurrency"),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Sends submissions until `next` passes `total`; returns (job id, when it was sent, accept latency).
async fn client_loop(
    client: reqwest::Client,
    url: String,
    key: String,
    body: Arc<String>,
    next: Arc<AtomicUsize>,
    total: usize,
) -> Vec<(String, Instant, Duration)> {
    let mut done = Vec::new();
    while next.fetch_add(1, Ordering::Relaxed) < total {
        let sent = Instant::now();
        let resp = client
            .post(&url)
            .header("x-auth", &key)
            .header("content-type", "application/json")
            .body(body.as_str().to_owned())
            .send()
            .await
            .expect("submission sent");
        let status = resp.status().as_u16();
        let answer: Value = resp.json().await.expect("submission answer is JSON");
        assert_eq!(status, 202, "{answer}");
        let job = answer["job_id"].as_str().expect("job_id").to_string();
        done.push((job, sent, sent.elapsed()));
    }
    done
}

async fn run(round: Round) {
    let mut concurrency = (0, 0);
    let BenchStack {
        stack,
        key,
        template,
        receiver,
        client,
        ..
    } = bench_stack::start(round.clients, |options| {
        if let Some(n) = round.process_concurrency {
            options.process_concurrency = n.max(1);
        }
        if let Some(n) = round.delivery_concurrency {
            options.delivery_concurrency = n.max(1);
        }
        concurrency = (options.process_concurrency, options.delivery_concurrency);
    })
    .await;
    let base = stack.base_url();

    let pdf = pagewire_extract::reader::fixtures::text_pdf(&[&[
        "ACME Corporation",
        "Invoice Number: INV-2024-001",
        "Total Due: $1,234.56",
    ]]);
    let body = Arc::new(
        json!({
            "template_id": template,
            "file_name": "invoice.pdf",
            "actual_image": base64::engine::general_purpose::STANDARD.encode(&pdf),
        })
        .to_string(),
    );
    println!(
        "end_to_end: {} one-page PDFs ({} bytes) from {} clients; processing {} and delivering {} at a time",
        round.documents,
        pdf.len(),
        round.clients,
        concurrency.0,
        concurrency.1
    );
    let sampler = rss::Sampler::start(Duration::from_millis(200));
    let cpu_start = rss::cpu_seconds();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..round.clients)
        .map(|_| {
            tokio::spawn(client_loop(
                client.clone(),
                format!("{base}/process-job"),
                key.clone(),
                body.clone(),
                next.clone(),
                round.documents,
            ))
        })
        .collect();
    let mut submitted = Vec::with_capacity(round.documents);
    for task in tasks {
        submitted.extend(task.await.expect("client task"));
    }
    let accept_seconds = started.elapsed().as_secs_f64();

    let deadline = Instant::now() + Duration::from_secs(60 + round.documents as u64 / 20);
    while receiver.documents() < round.documents {
        assert!(
            Instant::now() < deadline,
            "only {} of {} webhooks arrived in time",
            receiver.documents(),
            round.documents
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let all_seconds = started.elapsed().as_secs_f64();
    let cpu = Duration::from_secs_f64(rss::cpu_seconds() - cpu_start);
    let rss_peak = sampler.stop().await;

    let arrivals = receiver.first_arrivals();
    let mut latencies: Vec<Duration> = submitted
        .iter()
        .map(|(job, sent, _)| {
            arrivals
                .get(job)
                .expect("every job has its webhook")
                .saturating_duration_since(*sent)
        })
        .collect();
    latencies.sort();
    let mut accept: Vec<Duration> = submitted.iter().map(|(_, _, l)| *l).collect();
    accept.sort();
    let jobs: HashSet<String> = submitted.iter().map(|(job, _, _)| job.clone()).collect();
    let report = receiver.report(&jobs);
    stack.stop().await;

    println!(
        "end_to_end: accepted {} in {accept_seconds:.2} s = {:.0}/s (accept latency p50 {:.1} ms, p99 {:.1} ms)",
        round.documents,
        round.documents as f64 / accept_seconds,
        ms(percentile(&accept, 0.50)),
        ms(percentile(&accept, 0.99)),
    );
    println!(
        "end_to_end: every webhook {all_seconds:.2} s after the first submission = {:.0} webhooks/s",
        round.documents as f64 / all_seconds
    );
    println!(
        "end_to_end: submission to webhook p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap()),
    );
    println!(
        "end_to_end: CPU {:.2} s = {:.2} ms per document (whole process); RSS peak {} MiB",
        cpu.as_secs_f64(),
        ms(cpu) / round.documents as f64,
        rss_peak / 1024
    );
    assert_eq!(
        jobs.len(),
        round.documents,
        "every submission got its own job"
    );
    println!(
        "end_to_end: {} documents, {} webhook requests ({} repeats with the same webhook-id), {} receiver connections",
        report.documents, report.requests, report.same_id_repeats, report.connections
    );
    assert_eq!(report.lost_jobs, 0, "jobs without a webhook");
    assert_eq!(report.unknown_jobs, 0, "webhooks for jobs nobody submitted");
    assert_eq!(
        report.documents_with_several_ids, 0,
        "documents delivered under more than one webhook-id"
    );
}

fn main() {
    let round = round_from_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(round));
}

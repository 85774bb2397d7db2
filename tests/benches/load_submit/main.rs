//! Submission load: N small PDFs sent by C concurrent keep-alive clients to `pagewire dev` on 127.0.0.1
//! (embedded backend, background consumers, system clock, in this process), then waiting for every webhook
//! at a local keep-alive receiver. It checks that no job and no webhook is lost, that each document's
//! webhook comes with one `webhook-id` (a repeat may only reuse it), and samples this process's RSS.
//!
//!   cargo bench -p integration-tests --bench load_submit -- --submissions 20000 --clients 16
//!
//! Under `cargo test` (no `--bench` argument) it runs a small bounded round with the same checks.
//! The API's per-tenant rate limit is off: it would cap one tenant at 100 requests/s.

mod bench_stack;
mod receiver;
mod rss;

use base64::Engine;
use bench_stack::BenchStack;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Round {
    submissions: usize,
    clients: usize,
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
    let (submissions, clients) = if benchmarking { (20_000, 16) } else { (200, 8) };
    Round {
        submissions: value("--submissions").unwrap_or(submissions),
        clients: value("--clients").unwrap_or(clients).max(1),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Sends submissions until `next` passes `total`; returns (job id, latency) of each, in any order.
async fn client_loop(
    client: reqwest::Client,
    url: String,
    key: String,
    template: String,
    pdf: Arc<String>,
    next: Arc<AtomicUsize>,
    total: usize,
) -> Vec<(String, Duration)> {
    let mut done = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            return done;
        }
        let body = format!(
            r#"{{"template_id":"{template}","file_name":"invoice-{i}.pdf","actual_image":"{pdf}"}}"#
        );
        let started = Instant::now();
        let resp = client
            .post(&url)
            .header("x-auth", &key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("submission sent");
        let status = resp.status().as_u16();
        let answer: Value = resp.json().await.expect("submission answer is JSON");
        let latency = started.elapsed();
        assert_eq!(status, 202, "submission {i}: {answer}");
        let job = answer["job_id"].as_str().expect("job_id").to_string();
        done.push((job, latency));
    }
}

async fn run(round: Round) {
    let BenchStack {
        stack,
        key,
        template,
        receiver,
        client,
        ..
    } = bench_stack::start(round.clients, |_| {}).await;
    let base = stack.base_url();

    let pdf = Arc::new(
        base64::engine::general_purpose::STANDARD.encode(integration_tests::stack::invoice_pdf()),
    );
    let sampler = rss::Sampler::start(Duration::from_millis(200));
    let rss_start = rss::current_kib();
    println!(
        "load_submit: {} submissions of a {}-byte PDF from {} concurrent clients",
        round.submissions,
        integration_tests::stack::invoice_pdf().len(),
        round.clients
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..round.clients)
        .map(|_| {
            tokio::spawn(client_loop(
                client.clone(),
                format!("{base}/process-job"),
                key.clone(),
                template.clone(),
                pdf.clone(),
                next.clone(),
                round.submissions,
            ))
        })
        .collect();
    let mut results = Vec::with_capacity(round.submissions);
    for task in tasks {
        results.extend(task.await.expect("client task"));
    }
    let submit_seconds = started.elapsed().as_secs_f64();
    let rss_after_submit = rss::current_kib();

    let jobs: HashSet<String> = results.iter().map(|(job, _)| job.clone()).collect();
    assert_eq!(
        jobs.len(),
        round.submissions,
        "every submission got its own job id"
    );
    let mut latencies: Vec<Duration> = results.iter().map(|(_, l)| *l).collect();
    latencies.sort();

    // Every webhook, bounded in time: processing and delivery run in the background meanwhile.
    let deadline = Instant::now() + Duration::from_secs(60 + round.submissions as u64 / 20);
    let mut last_report = Instant::now();
    while receiver.documents() < round.submissions {
        assert!(
            Instant::now() < deadline,
            "only {} of {} webhooks arrived in time",
            receiver.documents(),
            round.submissions
        );
        if last_report.elapsed() > Duration::from_secs(10) {
            println!(
                "load_submit: {} of {} webhooks after {:.0} s",
                receiver.documents(),
                round.submissions,
                started.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all_seconds = started.elapsed().as_secs_f64();
    // A little longer, so a late duplicate would be seen too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_end = rss::current_kib();
    let rss_peak = sampler.stop().await;
    let report = receiver.report(&jobs);
    stack.stop().await;

    println!(
        "load_submit: submitted {} in {submit_seconds:.2} s = {:.0} submissions/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        round.submissions,
        round.submissions as f64 / submit_seconds,
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap()),
    );
    println!(
        "load_submit: every webhook in {all_seconds:.2} s after the first submission; {} documents, {} requests, {} repeats with the same webhook-id, {} receiver connections",
        report.documents, report.requests, report.same_id_repeats, report.connections
    );
    println!(
        "load_submit: RSS start {} MiB, after submitting {} MiB, end {} MiB, peak {} MiB",
        rss_start / 1024,
        rss_after_submit / 1024,
        rss_end / 1024,
        rss_peak / 1024
    );
    assert_eq!(report.lost_jobs, 0, "jobs without a webhook");
    assert_eq!(report.unknown_jobs, 0, "webhooks for jobs nobody submitted");
    assert_eq!(
        report.documents_with_several_ids, 0,
        "documents delivered under more than one webhook-id"
    );
    assert_eq!(report.documents, round.submissions, "one document per job");
    println!("load_submit: no lost jobs, no lost webhooks, no webhook-id changes");
}

fn main() {
    let round = round_from_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(round));
}

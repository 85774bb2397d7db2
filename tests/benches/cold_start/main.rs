//! Cold start of each Lambda function's real binary: the process is started as Lambda starts it, with
//! `AWS_LAMBDA_RUNTIME_API` pointing at a local Runtime API (runtime_api.rs), its environment naming the
//! template's resources in the emulator, and timed from spawn to its first `invocation/next` (init: SDK
//! clients, configuration, runtime) and to its answer to one real event (first event handled).
//!
//!   scripts/bench-cold-start.sh      # builds the release binaries, starts moto, fetches the OCR models
//!
//! which runs `cargo test -p integration-tests --bench cold_start -- --measure <binaries dir> [runs]`.
//! process-document is timed on a fresh text-PDF job and on a fresh PNG job (OCR); the OCR model load is
//! read from the function's own "OCR models loaded" log line.
//!
//! Without `--measure` (under `cargo test`) it checks the Runtime API against the real runtime client:
//! this binary starts itself as an echo function and must get its event and answer through it.

mod runtime_api;

use aws_lambda_events::sqs::SqsEvent;
use bytes::Bytes;
use integration_tests::moto::AwsTestResources;
use integration_tests::receiver::Receiver;
use integration_tests::sample_events::{self, ids};
use integration_tests::template::{workspace_root, Template};
use pagewire_aws::AwsClients;
use pagewire_core::ports::QueueConsumer;
use pagewire_core::submission::{submit_job, Submission, SubmissionPorts};
use pagewire_core::SystemClock;
use pagewire_lambda_kit::config::Config;
use pagewire_lambda_kit::wiring;
use runtime_api::{Outcome, RuntimeApi};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One function start: milliseconds to the first `next`, to the answer, and what it logged.
struct Start {
    init_ms: f64,
    handled_ms: f64,
    outcome: Outcome,
    log: String,
}

/// Starts `binary` with `env`, serves it `event`, and stops it once it answered.
async fn start_once(binary: &Path, args: &[&str], env: &[(String, String)], event: Bytes) -> Start {
    let api = RuntimeApi::start(event).await;
    let mut command = std::process::Command::new(binary);
    command
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let spawned = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
    // The pipes are drained on their own threads so a chatty function never blocks on a full pipe.
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut pipe| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    })
    .collect();
    let finished = api.wait(Duration::from_secs(120)).await;
    let _ = child.kill();
    let _ = child.wait();
    let log: String = readers
        .into_iter()
        .map(|r| r.join().unwrap_or_default())
        .collect();
    let Some((asked_at, answered_at, outcome)) = finished else {
        panic!(
            "{} answered no event within 120 s; its log:\n{log}",
            binary.display()
        );
    };
    let asked_at = asked_at.expect("an answer comes after a `next`");
    Start {
        init_ms: (asked_at - spawned).as_secs_f64() * 1000.0,
        handled_ms: (answered_at - spawned).as_secs_f64() * 1000.0,
        outcome,
        log,
    }
}

fn lambda_env(function: &str, memory: i64) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("AWS_LAMBDA_FUNCTION_NAME", function.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory.to_string()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/pagewire/bench/{function}"),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "cold-start".to_string()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // The SDK's own variables (the emulator's endpoint, dummy credentials, region) pass through.
    for key in [
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "PATH",
    ] {
        if let Ok(value) = std::env::var(key) {
            env.push((key.to_string(), value));
        }
    }
    env
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Whether an answer is a success: a 2xx API response, or an SQS batch with no failed item.
fn succeeded(outcome: &Outcome) -> bool {
    let Outcome::Response(body) = outcome else {
        return false;
    };
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    if let Some(status) = answer.get("statusCode").and_then(|s| s.as_u64()) {
        return (200..300).contains(&status);
    }
    answer
        .get("batchItemFailures")
        .and_then(|f| f.as_array())
        .is_some_and(|f| f.is_empty())
}

/// A fresh job for `file`, and the S3 notification of its upload as the process queue hands it out,
/// wrapped in the SQS event Lambda would send.
async fn fresh_notification(
    s: &SubmissionPorts,
    process_queue: &dyn QueueConsumer,
    file: Vec<u8>,
    name: &str,
) -> Bytes {
    let accepted = submit_job(
        s,
        sample_events::tenant_id(),
        Submission {
            template_id: Some(ids::TEMPLATE_INVOICES.to_string()),
            file: Some(file.into()),
            file_name: Some(name.to_string()),
            static_values: None,
            webhook_ids: None,
        },
    )
    .await
    .expect("submission");
    let job = accepted.job_id.to_string();
    for _ in 0..50 {
        let messages = process_queue
            .receive(10, Duration::from_secs(3600))
            .await
            .expect("receive");
        if let Some(mine) = messages.iter().find(|m| m.body.contains(&job)) {
            let event: SqsEvent =
                pagewire_cli::pump::sqs_event(std::slice::from_ref(mine), "process");
            return serde_json::to_vec(&event).expect("event").into();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no notification for job {job} reached the process queue");
}

async fn measure(binaries: &Path, runs: usize, only: Option<&str>) {
    let load_before = load_average();
    let template = Template::load();
    let stack = AwsTestResources::create().await;
    let clients = AwsClients::from_env().await;
    let mut config = Config::from_lookup(|_| None).expect("defaults");
    config.resources = stack.resources.clone();
    config.settings.allow_http_webhooks = true;
    config.settings.allow_loopback_webhooks = true;
    let storage = wiring::aws_storage(&config, &clients).expect("storage");
    let clock = Arc::new(SystemClock);
    let submission = wiring::Adapters::new(&config, storage.clone(), clock.clone())
        .submission()
        .expect("submission");
    let receiver = Receiver::start().await;
    sample_events::seed(&storage, &*clock, &receiver.url("/hooks/:id")).await;
    let process_queue = pagewire_aws::SqsQueue::new(clients.sqs(), &stack.process_queue_url);
    let ocr_dir = std::env::var("PAGEWIRE_OCR_MODEL_DIR")
        .expect("PAGEWIRE_OCR_MODEL_DIR: scripts/bench-cold-start.sh fetches the OCR models");
    let onnxruntime = std::env::var("PAGEWIRE_ONNXRUNTIME_LIB")
        .expect("PAGEWIRE_ONNXRUNTIME_LIB: scripts/bench-cold-start.sh fetches ONNX Runtime");

    let events = workspace_root().join("events");
    let cases: [(&str, &str, Option<&str>); 8] = [
        ("submit-job", "submit-job/json-base64.json", None),
        ("job-status", "job-status/job.json", None),
        ("job-results", "job-results/results-json.json", None),
        ("templates", "templates/list.json", None),
        ("webhook-endpoints", "webhook-endpoints/list.json", None),
        ("deliver-webhook", "deliver-webhook/delivery.json", None),
        ("process-document", "", Some("pdf")),
        ("process-document", "", Some("png")),
    ];
    println!("cold start, {runs} starts each, load average before: {load_before}");
    println!("| function | event | binary | init (spawn -> first next), median [min-max] | first event handled, median [min-max] | OCR model load |");
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    for (function, file, document) in cases {
        if only.is_some_and(|only| only != function) {
            continue;
        }
        let binary = binaries.join(function);
        let size = std::fs::metadata(&binary)
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (build the release binaries first)",
                    binary.display()
                )
            })
            .len();
        let (_, resource) = template.function_by_binary(function);
        let memory = template
            .function_property(resource, "MemorySize")
            .int()
            .unwrap_or(128);
        let mut env = lambda_env(function, memory);
        env.extend(
            stack
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        env.push(("PAGEWIRE_ALLOW_HTTP_WEBHOOKS".into(), "true".into()));
        env.push(("PAGEWIRE_ALLOW_PRIVATE_WEBHOOKS".into(), "true".into()));
        if function == "process-document" {
            env.push(("PAGEWIRE_OCR_MODEL_DIR".into(), ocr_dir.clone()));
            // The engine the layer gives it (scripts/bench-cold-start.sh fetches ONNX Runtime).
            env.push(("PAGEWIRE_ONNXRUNTIME_LIB".into(), onnxruntime.clone()));
        }
        let (mut init, mut handled, mut model_load) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let event: Bytes = match document {
                Some("pdf") => {
                    fresh_notification(
                        &submission,
                        &process_queue,
                        integration_tests::stack::invoice_pdf(),
                        "invoice.pdf",
                    )
                    .await
                }
                Some(_) => {
                    let png = std::fs::read(workspace_root().join("tests/fixtures/invoice.png"))
                        .expect("PNG fixture");
                    fresh_notification(&submission, &process_queue, png, "invoice.png").await
                }
                None => std::fs::read(events.join(file)).expect("event file").into(),
            };
            let start = start_once(&binary, &[], &env, event).await;
            assert!(
                succeeded(&start.outcome),
                "{function} did not handle its event: {:?}\n{}",
                start.outcome,
                start.log
            );
            init.push(start.init_ms);
            handled.push(start.handled_ms);
            if let Some(line) = start.log.lines().find(|l| l.contains("OCR models loaded")) {
                let millis: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
                if let Some(ms) = millis["fields"]["millis"].as_f64() {
                    model_load.push(ms);
                }
            }
        }
        let range = |v: &[f64]| {
            let lo = v.iter().cloned().fold(f64::MAX, f64::min);
            let hi = v.iter().cloned().fold(0.0, f64::max);
            format!("[{lo:.0}-{hi:.0}]")
        };
        let event = document
            .map(|d| format!("fresh {d} job"))
            .unwrap_or_else(|| file.to_string());
        let ocr = if model_load.is_empty() {
            "not loaded".to_string()
        } else {
            format!(
                "{:.0} ms {}",
                median(&mut model_load.clone()),
                range(&model_load)
            )
        };
        println!(
            "| {function} | {event} | {:.2} MiB | {:.1} ms {} | {:.1} ms {} | {ocr} |",
            size as f64 / 1048576.0,
            median(&mut init.clone()),
            range(&init),
            median(&mut handled.clone()),
            range(&handled),
        );
    }
    println!("load average after: {}", load_average());
}

/// `cargo test` mode: this binary as an echo function behind the Runtime API.
async fn check_runtime_api() {
    let me = std::env::current_exe().expect("own path");
    let event = Bytes::from_static(br#"{"ping":"cold start"}"#);
    let start = start_once(
        &me,
        &["--as-echo-function"],
        &lambda_env("echo", 128),
        event.clone(),
    )
    .await;
    match &start.outcome {
        Outcome::Response(body) => assert_eq!(body, &event, "the echo function answers its event"),
        Outcome::Error(body) => panic!("the echo function failed: {body:?}\n{}", start.log),
    }
    assert!(start.init_ms > 0.0 && start.init_ms <= start.handled_ms);
    println!(
        "Runtime API check: the runtime client asked after {:.1} ms and answered after {:.1} ms",
        start.init_ms, start.handled_ms
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    if args.iter().any(|a| a == "--as-echo-function") {
        runtime
            .block_on(lambda_runtime::run(lambda_runtime::service_fn(
                |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
                    Ok::<_, lambda_runtime::Error>(event.payload)
                },
            )))
            .expect("echo function");
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--measure") {
        let binaries = args
            .get(at + 1)
            .map(PathBuf::from)
            .expect("--measure <directory of the release binaries> [starts per function]");
        let runs = args.get(at + 2).and_then(|r| r.parse().ok()).unwrap_or(5);
        // `--only FUNCTION` measures one function (its binary alone needs building).
        let only = args
            .iter()
            .position(|a| a == "--only")
            .and_then(|i| args.get(i + 1));
        runtime.block_on(measure(&binaries, runs, only.map(String::as_str)));
        return;
    }
    runtime.block_on(check_runtime_api());
}

//! A `pagewire dev` stack per test, in its own temporary data directory, with an HTTP client.

use crate::moto::AwsTestResources;
use pagewire_cli::{DevOptions, DevStack};
use pagewire_core::configuration::tenants::create_tenant;
use pagewire_core::{Clock, SystemClock};
use pagewire_extract::isolation::{ReadBudget, WorkerCommand};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// The storage a test's stack runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite and files in a temporary directory.
    Embedded,
    /// The AWS adapters over fresh tables, bucket and queues in the emulator.
    Aws,
}

/// Where a test's stack keeps its state: a temporary directory and, on AWS, its own emulator resources.
/// Starting it again (a restart) finds the same state.
pub struct TestEnv {
    pub backend: Backend,
    pub clock: Arc<dyn Clock>,
    pub aws: Option<AwsTestResources>,
    dir: tempfile::TempDir,
}

impl TestEnv {
    pub async fn new(backend: Backend) -> Self {
        Self::with_clock(backend, Arc::new(SystemClock)).await
    }

    pub async fn with_clock(backend: Backend, clock: Arc<dyn Clock>) -> Self {
        let aws = match backend {
            Backend::Embedded => None,
            Backend::Aws => Some(AwsTestResources::create().await),
        };
        Self {
            backend,
            clock,
            aws,
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// Options as [`options`] gives them, on this environment's backend.
    pub fn options(&self) -> DevOptions {
        let mut options = options(self.dir.path(), self.clock.clone());
        if let Some(aws) = &self.aws {
            options.config.resources = aws.resources.clone();
            options.aws_process_queue_url = Some(aws.process_queue_url.clone());
        }
        options
    }

    pub async fn start(&self) -> TestApp {
        TestApp::start_with(self.options()).await
    }
}

pub struct TestApp {
    pub stack: DevStack,
    pub client: reqwest::Client,
}

/// Makes a stack read each document in worker processes started by `worker` (the tests' read worker,
/// [`crate::test_read_worker!`], has crash hooks) under `budget`, with at most `workers` workers, as
/// `pagewire dev` reads in `pagewire read-worker`.
pub fn isolate_reads(
    options: &mut DevOptions,
    worker: WorkerCommand,
    budget: ReadBudget,
    workers: usize,
) {
    let isolation = &mut options.config.read_isolation;
    isolation.worker = Some(worker);
    isolation.budget = budget;
    isolation.workers = workers;
}

/// Options for a stack whose queues are drained by the test itself (deterministic), allowing webhooks
/// to a local http receiver (as `pagewire dev --allow-http-webhooks --allow-loopback-webhooks` does), with
/// retry delays unjittered so tests can step the clock to the exact instant of each retry.
pub fn options(dir: &Path, clock: Arc<dyn Clock>) -> DevOptions {
    let mut options = DevOptions::new(dir.to_path_buf(), clock);
    options.background_consumers = false;
    options.config.settings.allow_http_webhooks = true;
    options.config.settings.allow_loopback_webhooks = true;
    options.config.settings.retry_jitter = false;
    options
}

impl TestApp {
    pub async fn start(dir: &Path) -> TestApp {
        Self::start_with(options(dir, Arc::new(SystemClock))).await
    }

    pub async fn start_with(options: DevOptions) -> TestApp {
        let stack = DevStack::start(options).await.expect("stack starts");
        TestApp {
            stack,
            client: reqwest::Client::new(),
        }
    }

    /// A new tenant with `credits`; returns its API key.
    pub async fn tenant(&self, name: &str, credits: i64) -> String {
        create_tenant(&self.stack.tenants, name, credits)
            .await
            .expect("tenant")
            .api_key
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.stack.base_url())
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method.parse().unwrap(), self.url(path));
        if let Some(key) = key {
            req = req.header("x-auth", key);
        }
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Creates a webhook endpoint; returns its view (with `id` and `secret`).
    pub async fn webhook(&self, key: &str, body: Value) -> Value {
        let (status, hook) = self.call("POST", "/webhooks", Some(key), Some(body)).await;
        assert_eq!(status, 201, "{hook}");
        hook
    }

    /// Submits the invoice PDF against `template`; returns the job id.
    pub async fn submit(&self, key: &str, template: &str) -> String {
        self.submit_bytes(key, template, &invoice_pdf()).await
    }

    /// Submits `file` (as JSON with base64) against `template`; returns the job id.
    pub async fn submit_bytes(&self, key: &str, template: &str, file: &[u8]) -> String {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(file);
        let (status, accepted) = self
            .call(
                "POST",
                "/process-job",
                Some(key),
                Some(serde_json::json!({"template_id": template, "actual_image": encoded})),
            )
            .await;
        assert_eq!(status, 202, "{accepted}");
        accepted["job_id"].as_str().unwrap().to_string()
    }

    /// `GET /job-status?job_id=`: the job's status with its documents.
    pub async fn job_status(&self, key: &str, job: &str) -> Value {
        let (code, view) = self
            .call("GET", &format!("/job-status?job_id={job}"), Some(key), None)
            .await;
        assert_eq!(code, 200, "{view}");
        view
    }

    /// `POST /v1/job-results` (JSON): the job's documents with their results and fields.
    pub async fn job_results(&self, key: &str, job: &str) -> Value {
        let (code, results) = self
            .call(
                "POST",
                "/v1/job-results",
                Some(key),
                Some(serde_json::json!({"job_id": job})),
            )
            .await;
        assert_eq!(code, 200, "{results}");
        results
    }

    /// `GET /jobs/{id}`: the job with its documents, deliveries and every attempt.
    pub async fn job(&self, key: &str, job: &str) -> Value {
        let (status, view) = self
            .call("GET", &format!("/jobs/{job}"), Some(key), None)
            .await;
        assert_eq!(status, 200, "{view}");
        view
    }

    /// A template reading the invoice fixture's number, date and total.
    pub async fn invoice_template(&self, key: &str) -> String {
        let (status, body) = self
            .call(
                "POST",
                "/templates",
                Some(key),
                Some(serde_json::json!({
                    "name": "Invoices",
                    "date_order": "month_day_year",
                    "fields": [
                        {"name": "invoice_number", "type": "text", "rule": {"kind": "label", "label": "Invoice Number:"}},
                        {"name": "invoice_date", "type": "date", "rule": {"kind": "label", "label": "Invoice Date:"}},
                        {"name": "total", "type": "money", "rule": {"kind": "regex", "pattern": "Total Due:\\s*(\\S+)"}},
                        {"name": "po_number", "type": "text", "rule": {"kind": "label", "label": "PO Number:"}}
                    ]
                })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }
}

pub fn invoice_pdf() -> Vec<u8> {
    pagewire_extract::reader::fixtures::text_pdf(&[
        &[
            "ACME Corporation",
            "Invoice Number: INV-2024-001",
            "Invoice Date: March 15, 2024",
        ],
        &["Total Due: $1,234.56"],
    ])
}

/// The OCR models the tests read images with, from `PAGEWIRE_OCR_MODEL_DIR` (scripts/test.sh sets it).
pub fn ocr_model_dir() -> std::path::PathBuf {
    let dir = std::env::var_os("PAGEWIRE_OCR_MODEL_DIR")
        .map(std::path::PathBuf::from)
        .expect(
            "PAGEWIRE_OCR_MODEL_DIR must point at the OCR models: run the tests with scripts/test.sh, \
             or first `. scripts/lib/ocr-models.sh && pagewire_ocr_models`",
        );
    assert!(
        dir.join("det.onnx").is_file() && dir.join("rec.onnx").is_file(),
        "PAGEWIRE_OCR_MODEL_DIR={} has no det.onnx and rec.onnx",
        dir.display()
    );
    dir
}

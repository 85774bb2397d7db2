//! A `pagewire dev` stack per test, in its own temporary data directory, with an HTTP client, on either
//! backend; on a manual clock when a scenario steps time (retries, expiry).

use crate::clocked_queue::ClockedQueue;
use crate::moto::AwsTestResources;
use chrono::{DateTime, SubsecRound, Utc};
use pagewire_cli::functions::Functions;
use pagewire_cli::pump::{pump_once, Consumer};
use pagewire_cli::{DevOptions, DevStack};
use pagewire_core::configuration::tenants::create_tenant;
use pagewire_core::ids::{JobId, TenantId};
use pagewire_core::policy::api_key::hash_api_key;
use pagewire_core::{Clock, ManualClock, SystemClock};
use pagewire_extract::isolation::{ReadBudget, WorkerCommand};
use pagewire_lambda_kit::wiring::Adapters;
use pagewire_lambda_kit::Config;
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

/// A manual clock and the instant it started at, so a scenario speaks of "5 s after the start".
#[derive(Clone)]
pub struct SteppedClock {
    pub clock: Arc<ManualClock>,
    /// Now, in whole seconds (as `webhook-timestamp` counts), when the clock was made.
    pub t0: DateTime<Utc>,
}

impl SteppedClock {
    pub fn starting_now() -> Self {
        let t0 = Utc::now().trunc_subsecs(0);
        Self {
            clock: Arc::new(ManualClock::new(t0)),
            t0,
        }
    }

    /// `secs` after the start.
    pub fn after(&self, secs: i64) -> DateTime<Utc> {
        self.t0 + chrono::Duration::seconds(secs)
    }
}

/// Where a test's stack keeps its state: a temporary directory and, on AWS, its own emulator resources.
/// Starting it again (a restart) finds the same state.
pub struct TestEnv {
    pub backend: Backend,
    pub clock: Arc<dyn Clock>,
    /// The manual clock `clock` is, for an environment made by [`TestEnv::stepped`].
    pub stepped: Option<SteppedClock>,
    pub aws: Option<AwsTestResources>,
    dir: tempfile::TempDir,
}

impl TestEnv {
    pub async fn new(backend: Backend) -> Self {
        Self::with_clock(backend, Arc::new(SystemClock)).await
    }

    /// An environment on a manual clock starting now, stepped by [`TestApp::at`].
    pub async fn stepped(backend: Backend) -> Self {
        let stepped = SteppedClock::starting_now();
        let mut env = Self::with_clock(backend, stepped.clock.clone()).await;
        env.stepped = Some(stepped);
        env
    }

    pub async fn with_clock(backend: Backend, clock: Arc<dyn Clock>) -> Self {
        let aws = match backend {
            Backend::Embedded => None,
            Backend::Aws => Some(AwsTestResources::create().await),
        };
        Self {
            backend,
            clock,
            stepped: None,
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
        self.start_adjusted(|_| {}).await
    }

    /// Starts a stack on this environment with [`TestEnv::options`] changed by `adjust`.
    pub async fn start_adjusted(&self, adjust: impl FnOnce(&mut DevOptions)) -> TestApp {
        let mut options = self.options();
        adjust(&mut options);
        let mut app = TestApp::start_with(options).await;
        app.stepped = self.stepped.clone();
        app.aws = self.aws.clone();
        app
    }
}

/// A stack started for a test, the client that calls it, and what the test drives it by.
pub struct TestApp {
    pub stack: DevStack,
    pub client: reqwest::Client,
    /// The manual clock the stack runs on, when it was started from [`TestEnv::stepped`].
    pub stepped: Option<SteppedClock>,
    /// The emulator's resources, when it was started from a [`TestEnv`] on AWS.
    pub aws: Option<AwsTestResources>,
    /// The clock the stack runs on.
    pub clock: Arc<dyn Clock>,
    /// What [`TestApp::drain`] runs the queues with, on the AWS backend (see [`ClockedConsumers`]).
    clocked: Option<ClockedConsumers>,
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
        let (config, clock) = (options.config.clone(), options.clock.clone());
        let stack = DevStack::start(options).await.expect("stack starts");
        let clocked = match stack.embedded {
            Some(_) => None,
            None => Some(ClockedConsumers::wire(&stack, &config, clock.clone())),
        };
        TestApp {
            stack,
            client: reqwest::Client::new(),
            stepped: None,
            aws: None,
            clock,
            clocked,
        }
    }

    /// Runs both consumers until neither queue has a due message, as the stack's own `drain` does; on AWS
    /// the retry delays of the delivery queue are counted on the stack's clock (see [`ClockedQueue`]), so a
    /// manual clock drives retries on both backends.
    pub async fn drain(&self) -> usize {
        let Some(clocked) = &self.clocked else {
            return self.stack.drain().await;
        };
        let mut total = 0;
        loop {
            let handled = pump_once(
                &clocked.functions,
                &*self.stack.process_queue,
                "process",
                Consumer::ProcessDocument,
            )
            .await
                + pump_once(
                    &clocked.functions,
                    &*clocked.delivery_queue,
                    "delivery",
                    Consumer::DeliverWebhook,
                )
                .await;
            if handled == 0 {
                return total;
            }
            total += handled;
        }
    }

    /// Drains the queues while `meanwhile` runs at the moment a request held at `gate` reaches its
    /// receiver (see [`crate::receiver::Reply::held_at`]): the attempt is in flight, its answer not yet
    /// read. The gate opens once `meanwhile` is done, and the drain goes on to its end. Returns what
    /// `meanwhile` returned. For races between a delivery's outcome and another client's change.
    pub async fn drain_while_held<T>(
        &self,
        gate: &crate::receiver::Gate,
        meanwhile: impl std::future::Future<Output = T>,
    ) -> T {
        let act = async {
            gate.reached().await;
            let out = meanwhile.await;
            gate.open();
            out
        };
        let (_, out) = tokio::join!(self.drain(), act);
        out
    }

    fn stepped(&self) -> &SteppedClock {
        self.stepped
            .as_ref()
            .expect("a stack on a manual clock (TestEnv::stepped)")
    }

    /// The manual clock's start.
    pub fn t0(&self) -> DateTime<Utc> {
        self.stepped().t0
    }

    /// Sets the manual clock to `at`, without running anything.
    pub fn set_clock(&self, at: DateTime<Utc>) {
        self.stepped().clock.set(at);
    }

    /// Moves the manual clock to `secs` after its start and runs every message then due.
    pub async fn at(&self, secs: i64) {
        self.set_clock(self.stepped().after(secs));
        self.drain().await;
    }

    /// The tenant the API key `key` belongs to.
    pub async fn tenant_of(&self, key: &str) -> TenantId {
        self.stack
            .storage
            .api_keys
            .find_api_key(&hash_api_key(key))
            .await
            .unwrap()
            .expect("a known API key")
            .tenant_id
    }

    /// The credits the tenant named `name` has left.
    pub async fn credits(&self, name: &str) -> i64 {
        let tenants = self.stack.storage.tenants.list_tenants().await.unwrap();
        tenants
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no tenant named {name}"))
            .credits
    }

    /// Whether the file of the job's first document is still stored.
    pub async fn stored_file(&self, job: &str) -> bool {
        let storage = &self.stack.storage;
        let job = JobId::parse(job).unwrap();
        let docs = storage
            .documents
            .list_documents(job, self.clock.now())
            .await
            .unwrap();
        storage
            .objects
            .get(&docs[0].object_key)
            .await
            .unwrap()
            .is_some()
    }

    /// The bodies in the delivery queue's dead-letter queue, on either backend.
    pub async fn dead_letters(&self) -> Vec<String> {
        match (&self.stack.embedded, &self.aws) {
            (Some(embedded), _) => embedded.delivery_queue.dead_letters().await.unwrap(),
            (None, Some(aws)) => {
                crate::moto::peek(&crate::moto::clients().await, &aws.delivery_dlq_url).await
            }
            (None, None) => {
                panic!("an AWS stack started from a TestEnv knows its dead-letter queue")
            }
        }
    }

    /// A new tenant with `credits`; returns its API key.
    pub async fn tenant(&self, name: &str, credits: i64) -> String {
        create_tenant(&self.stack.tenants, name, credits)
            .await
            .expect("tenant")
            .api_key
    }
}

/// Every function wired over the stack's storage again, with its delivery queue seen through a
/// [`ClockedQueue`] on the stack's clock: what [`TestApp::drain`] pumps on AWS, and the one place the tests
/// wire functions themselves.
struct ClockedConsumers {
    functions: Functions,
    delivery_queue: Arc<ClockedQueue>,
}

impl ClockedConsumers {
    fn wire(stack: &DevStack, config: &Config, clock: Arc<dyn Clock>) -> Self {
        let delivery_queue = Arc::new(ClockedQueue::new(
            stack.delivery_queue.clone(),
            clock.clone(),
        ));
        let mut storage = stack.storage.clone();
        storage.delivery_sink = delivery_queue.clone();
        let functions = Functions::wire(&Adapters::new(config, storage, clock))
            .expect("the functions wire over the stack's storage");
        Self {
            functions,
            delivery_queue,
        }
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

/// ONNX Runtime's library, the engine the tests read images with as `pagewire dev` and the functions
/// do, from `PAGEWIRE_ONNXRUNTIME_LIB` (scripts/test.sh fetches it by pinned hash and sets it).
pub fn onnxruntime_lib() -> std::path::PathBuf {
    let library = std::env::var_os(pagewire_extract::onnxruntime::LIBRARY_VAR)
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .expect(
            "PAGEWIRE_ONNXRUNTIME_LIB must name libonnxruntime.so: run the tests with scripts/test.sh, \
             or first `. scripts/lib/onnxruntime.sh && pagewire_onnxruntime`",
        );
    assert!(
        library.is_file(),
        "PAGEWIRE_ONNXRUNTIME_LIB={} is not a file",
        library.display()
    );
    library
}

/// OCR as shipped: the models of [`ocr_model_dir`] run by ONNX Runtime ([`onnxruntime_lib`]).
pub fn with_shipped_ocr(config: &mut pagewire_lambda_kit::Config) {
    config.ocr_model_dir = Some(ocr_model_dir());
    config.onnxruntime_lib = Some(onnxruntime_lib());
}

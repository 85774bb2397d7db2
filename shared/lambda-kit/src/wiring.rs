//! Building [`Services`] from adapters, once per process (a Lambda cold start).
//!
//! Each function wires only what its handler uses (its crate's `wire` says which): the document reader
//! carries the OCR engine and the PDF and ZIP parsers, the webhook client an HTTP stack of its own, the
//! delivery queue the SQS client, and a binary links only what it wires. The job, configuration and
//! object stores serve every function. What a function leaves out is an [`Unwired`] adapter, which
//! refuses every call; a test runs every sample event through each function's own wiring, on both
//! backends.

use crate::config::{required, Config, ConfigError};
use crate::unwired::Unwired;
use pagewire_aws::{
    AwsClients, DynamoConfigStore, DynamoJobStore, S3ObjectStore, S3UploadUrls, SqsQueue,
};
use pagewire_core::policy::ssrf::AddressPolicy;
use pagewire_core::ports::{ConfigStore, JobStore, MessageQueue, ObjectStore, UploadUrls};
use pagewire_core::{Clock, RateLimiter, Services, SystemClock};
use pagewire_extract::isolation::IsolatedReader;
use pagewire_extract::{PagewireReader, ReaderLimits};
use pagewire_webhook_http::HttpTransport;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("building the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("opening the storage backend: {0}")]
    Storage(String),
}

/// The storage side of [`Services`]: what differs between the AWS and the embedded backend.
#[derive(Clone)]
pub struct Storage {
    pub jobs: Arc<dyn JobStore>,
    pub config: Arc<dyn ConfigStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub uploads: Arc<dyn UploadUrls>,
    pub delivery_queue: Arc<dyn MessageQueue>,
}

impl Storage {
    /// The storage `services` run on.
    pub fn of(services: &Services) -> Self {
        Self {
            jobs: services.jobs.clone(),
            config: services.config.clone(),
            objects: services.objects.clone(),
            uploads: services.uploads.clone(),
            delivery_queue: services.delivery_queue.clone(),
        }
    }
}

/// Where the ports a function may leave out come from when it asks for them.
enum Optional {
    /// Built on demand from the SDK clients, so that only the functions that ask link them.
    Aws(Box<AwsClients>),
    /// Already built (the embedded backend, or AWS adapters built by [`aws_storage`]).
    Built {
        uploads: Arc<dyn UploadUrls>,
        delivery_queue: Arc<dyn MessageQueue>,
    },
}

/// Services under construction: the job, configuration and object stores are wired; upload URLs, the
/// delivery queue, the document reader and the webhook client are [`Unwired`] until asked for.
pub struct Wiring {
    config: Config,
    services: Services,
    optional: Optional,
}

impl Wiring {
    pub fn new(config: &Config, storage: Storage, clock: Arc<dyn Clock>) -> Self {
        let optional = Optional::Built {
            uploads: storage.uploads,
            delivery_queue: storage.delivery_queue,
        };
        Self::with_stores(
            config,
            storage.jobs,
            storage.config,
            storage.objects,
            optional,
            clock,
        )
    }

    fn with_stores(
        config: &Config,
        jobs: Arc<dyn JobStore>,
        config_store: Arc<dyn ConfigStore>,
        objects: Arc<dyn ObjectStore>,
        optional: Optional,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let unwired = Arc::new(Unwired);
        Self {
            config: config.clone(),
            services: Services {
                jobs,
                config: config_store,
                objects,
                uploads: unwired.clone(),
                delivery_queue: unwired.clone(),
                transport: unwired.clone(),
                reader: unwired,
                clock,
                settings: config.settings.clone(),
                rate_limiter: Arc::new(RateLimiter::new(config.settings.api_rate_limit)),
                auth_tokens: Default::default(),
            },
            optional,
        }
    }

    /// What a function's `main` starts from: configuration from the environment, SDK clients built once
    /// from the credentials Lambda puts there, the AWS stores, on the system clock.
    pub fn aws_from_env() -> Result<Self, WiringError> {
        let config = Config::from_env()?;
        let clients = AwsClients::from_lambda_environment();
        let objects = s3_objects(&config, &clients)?;
        let jobs = dynamo_jobs(&config, &clients, objects.clone())?;
        let config_store = dynamo_config(&config, &clients)?;
        Ok(Self::with_stores(
            &config,
            jobs,
            config_store,
            objects,
            Optional::Aws(Box::new(clients)),
            Arc::new(SystemClock),
        ))
    }

    /// Reads documents in worker processes started by `worker` (when [`Self::with_document_reader`] is
    /// called and the configuration has workers).
    pub fn with_read_worker(mut self, worker: pagewire_extract::isolation::WorkerCommand) -> Self {
        self.config.read_isolation.worker = Some(worker);
        self
    }

    /// Grants upload URLs (presigned S3 PUTs on AWS).
    pub fn with_upload_urls(mut self) -> Result<Self, WiringError> {
        self.services.uploads = match &self.optional {
            Optional::Aws(clients) => s3_upload_urls(&self.config, clients)?,
            Optional::Built { uploads, .. } => uploads.clone(),
        };
        Ok(self)
    }

    /// Puts deliveries on the delivery queue and changes their visibility (SQS on AWS).
    pub fn with_delivery_queue(mut self) -> Result<Self, WiringError> {
        self.services.delivery_queue = match &self.optional {
            Optional::Aws(clients) => sqs_delivery_queue(&self.config, clients)?,
            Optional::Built { delivery_queue, .. } => delivery_queue.clone(),
        };
        Ok(self)
    }

    /// Reads documents: PDF text layers, OCR of images and scans, ZIP batches. Each document is read in
    /// a worker process under the configured budget when the configuration names a worker command (see
    /// [`crate::read_worker`]), else in this process.
    pub fn with_document_reader(mut self) -> Self {
        let in_process = Arc::new(in_process_reader(&self.config));
        let isolation = &self.config.read_isolation;
        self.services.reader = match &isolation.worker {
            Some(command) if isolation.isolates() => Arc::new(IsolatedReader::new(
                crate::read_worker::command_for(command.clone(), &self.config),
                isolation.budget,
                isolation.workers,
                in_process,
            )),
            _ => in_process,
        };
        self
    }

    /// Sends webhooks, to public addresses only unless the settings allow more.
    pub fn with_webhook_client(mut self) -> Result<Self, WiringError> {
        self.services.transport = Arc::new(HttpTransport::new(AddressPolicy::from_settings(
            &self.config.settings,
        ))?);
        Ok(self)
    }

    pub fn services(self) -> Services {
        self.services
    }
}

/// The reader that runs in this process: what a read worker serves with, and what reads when there is
/// no worker.
pub fn in_process_reader(config: &Config) -> PagewireReader {
    PagewireReader::new(ReaderLimits::from_settings(&config.settings))
        .with_ocr_models(config.ocr_model_dir.as_deref())
}

/// Services over `storage` with everything wired: what a whole local stack (`pagewire dev`) runs on.
pub fn services(
    config: &Config,
    storage: Storage,
    clock: Arc<dyn Clock>,
) -> Result<Services, WiringError> {
    Ok(Wiring::new(config, storage, clock)
        .with_upload_urls()?
        .with_delivery_queue()?
        .with_document_reader()
        .with_webhook_client()?
        .services())
}

/// The AWS adapters over the tables, bucket and queue that `config` names.
pub fn aws_storage(config: &Config, clients: &AwsClients) -> Result<Storage, WiringError> {
    let objects = s3_objects(config, clients)?;
    Ok(Storage {
        jobs: dynamo_jobs(config, clients, objects.clone())?,
        config: dynamo_config(config, clients)?,
        objects,
        uploads: s3_upload_urls(config, clients)?,
        delivery_queue: sqs_delivery_queue(config, clients)?,
    })
}

fn s3_objects(config: &Config, clients: &AwsClients) -> Result<Arc<dyn ObjectStore>, WiringError> {
    let bucket = required(&config.resources.bucket, "PAGEWIRE_BUCKET")?;
    Ok(Arc::new(S3ObjectStore::new(clients.s3.clone(), bucket)))
}

/// Job bodies over 350 KB go to `objects`.
fn dynamo_jobs(
    config: &Config,
    clients: &AwsClients,
    objects: Arc<dyn ObjectStore>,
) -> Result<Arc<dyn JobStore>, WiringError> {
    let table = required(&config.resources.jobs_table, "PAGEWIRE_JOBS_TABLE")?;
    Ok(Arc::new(DynamoJobStore::new(
        clients.dynamodb.clone(),
        table,
        objects,
    )))
}

fn dynamo_config(
    config: &Config,
    clients: &AwsClients,
) -> Result<Arc<dyn ConfigStore>, WiringError> {
    let table = required(&config.resources.config_table, "PAGEWIRE_CONFIG_TABLE")?;
    Ok(Arc::new(DynamoConfigStore::new(
        clients.dynamodb.clone(),
        table,
    )))
}

fn s3_upload_urls(
    config: &Config,
    clients: &AwsClients,
) -> Result<Arc<dyn UploadUrls>, WiringError> {
    let bucket = required(&config.resources.bucket, "PAGEWIRE_BUCKET")?;
    Ok(Arc::new(S3UploadUrls::new(clients.s3.clone(), bucket)))
}

fn sqs_delivery_queue(
    config: &Config,
    clients: &AwsClients,
) -> Result<Arc<dyn MessageQueue>, WiringError> {
    let url = required(
        &config.resources.delivery_queue_url,
        "PAGEWIRE_DELIVERY_QUEUE_URL",
    )?;
    Ok(Arc::new(SqsQueue::new(clients.sqs(), url)))
}

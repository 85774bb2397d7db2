//! Building [`Services`] from adapters, once per process (a Lambda cold start).
//!
//! Each function wires only what its handler uses (its crate's `wire` says which): the document reader
//! carries the OCR engine and the PDF and ZIP parsers, the webhook client an HTTP stack of its own, and a
//! binary links only what it wires. What a function leaves out is an [`Unwired`] adapter, which refuses
//! every call; a test runs every sample event through each function's own wiring, on both backends.

use crate::config::{required, Config, ConfigError};
use crate::transport::HttpTransport;
use crate::unwired::Unwired;
use pagewire_aws::{
    AwsClients, DynamoConfigStore, DynamoJobStore, S3ObjectStore, S3UploadUrls, SqsQueue,
};
use pagewire_core::policy::ssrf::AddressPolicy;
use pagewire_core::ports::{ConfigStore, JobStore, MessageQueue, ObjectStore, UploadUrls};
use pagewire_core::{Clock, RateLimiter, Services, SystemClock};
use pagewire_extract::{PagewireReader, ReaderLimits};
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

/// Services under construction: the stores are wired; the document reader and the webhook client are
/// [`Unwired`] until asked for.
pub struct Wiring {
    config: Config,
    services: Services,
}

impl Wiring {
    pub fn new(config: &Config, storage: Storage, clock: Arc<dyn Clock>) -> Self {
        let unwired = Arc::new(Unwired);
        Self {
            config: config.clone(),
            services: Services {
                jobs: storage.jobs,
                config: storage.config,
                objects: storage.objects,
                uploads: storage.uploads,
                delivery_queue: storage.delivery_queue,
                transport: unwired.clone(),
                reader: unwired,
                clock,
                settings: config.settings.clone(),
                rate_limiter: Arc::new(RateLimiter::new(config.settings.api_rate_limit)),
                auth_tokens: Default::default(),
            },
        }
    }

    /// What a function's `main` starts from: configuration from the environment, SDK clients built once
    /// from the credentials Lambda puts there, the AWS adapters, on the system clock.
    pub fn aws_from_env() -> Result<Self, WiringError> {
        let config = Config::from_env()?;
        let clients = AwsClients::from_lambda_environment();
        let storage = aws_storage(&config, &clients)?;
        Ok(Self::new(&config, storage, Arc::new(SystemClock)))
    }

    /// Reads documents: PDF text layers, OCR of images and scans, ZIP batches.
    pub fn with_document_reader(mut self) -> Self {
        self.services.reader = Arc::new(
            PagewireReader::new(ReaderLimits::from_settings(&self.config.settings))
                .with_ocr_models(self.config.ocr_model_dir.as_deref()),
        );
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

/// Services over `storage` with everything wired: what a whole local stack (`pagewire dev`) runs on.
pub fn services(
    config: &Config,
    storage: Storage,
    clock: Arc<dyn Clock>,
) -> Result<Services, WiringError> {
    Ok(Wiring::new(config, storage, clock)
        .with_document_reader()
        .with_webhook_client()?
        .services())
}

/// The AWS adapters over the tables, bucket and queue that `config` names.
pub fn aws_storage(config: &Config, clients: &AwsClients) -> Result<Storage, WiringError> {
    let r = &config.resources;
    let bucket = required(&r.bucket, "PAGEWIRE_BUCKET")?;
    let objects: Arc<dyn ObjectStore> = Arc::new(S3ObjectStore::new(clients.s3.clone(), bucket));
    Ok(Storage {
        jobs: Arc::new(DynamoJobStore::new(
            clients.dynamodb.clone(),
            required(&r.jobs_table, "PAGEWIRE_JOBS_TABLE")?,
            objects.clone(),
        )),
        config: Arc::new(DynamoConfigStore::new(
            clients.dynamodb.clone(),
            required(&r.config_table, "PAGEWIRE_CONFIG_TABLE")?,
        )),
        objects,
        uploads: Arc::new(S3UploadUrls::new(clients.s3.clone(), bucket)),
        delivery_queue: Arc::new(SqsQueue::new(
            clients.sqs.clone(),
            required(&r.delivery_queue_url, "PAGEWIRE_DELIVERY_QUEUE_URL")?,
        )),
    })
}

//! Building [`Services`] from adapters, once per process (a Lambda cold start).

use crate::config::{required, Config, ConfigError};
use crate::transport::HttpTransport;
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
pub struct Storage {
    pub jobs: Arc<dyn JobStore>,
    pub config: Arc<dyn ConfigStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub uploads: Arc<dyn UploadUrls>,
    pub delivery_queue: Arc<dyn MessageQueue>,
}

/// Services over `storage`, with the webhook client and the document reader every backend shares.
pub fn services(
    config: &Config,
    storage: Storage,
    clock: Arc<dyn Clock>,
) -> Result<Services, WiringError> {
    Ok(Services {
        jobs: storage.jobs,
        config: storage.config,
        objects: storage.objects,
        uploads: storage.uploads,
        delivery_queue: storage.delivery_queue,
        transport: Arc::new(HttpTransport::new(AddressPolicy::from_settings(
            &config.settings,
        ))?),
        reader: Arc::new(
            PagewireReader::new(ReaderLimits::from_settings(&config.settings))
                .with_ocr_models(config.ocr_model_dir.as_deref()),
        ),
        clock,
        settings: config.settings.clone(),
        rate_limiter: Arc::new(RateLimiter::new(config.settings.api_rate_limit)),
        auth_tokens: Default::default(),
    })
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

/// What every function's `main` needs: configuration from the environment, SDK clients built once, the
/// AWS adapters, on the system clock.
pub async fn aws_from_env() -> Result<Services, WiringError> {
    let config = Config::from_env()?;
    let clients = AwsClients::from_env().await;
    let storage = aws_storage(&config, &clients)?;
    services(&config, storage, Arc::new(SystemClock))
}

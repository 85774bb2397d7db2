//! The storage a local stack runs on: the embedded backend (SQLite + files, the default of `pagewire dev`)
//! or the AWS adapters over existing tables, bucket and queues (an emulator or a real account).

use crate::functions::Functions;
use crate::local_upload::LocalUploads;
use pagewire_aws::{AwsClients, SqsQueue};
use pagewire_core::configuration::TenantPorts;
use pagewire_core::ports::{MessageSink, QueueConsumer};
use pagewire_core::Clock;
use pagewire_embedded::{EmbeddedBackend, LocalUploadUrls};
use pagewire_lambda_kit::wiring::{self, Adapters, Storage, WiringError};
use pagewire_lambda_kit::Config;
use std::path::Path;
use std::sync::Arc;

/// A queue as the local stack's consumers use it: received from, deleted from, and delayed.
pub trait LocalQueue: QueueConsumer + MessageSink {}

impl<Q: QueueConsumer + MessageSink + ?Sized> LocalQueue for Q {}

/// The storage, each function's app over it, and the two queues a local stack pumps into the processing
/// and delivery handlers, as Lambda's event source mappings do on AWS.
pub struct Backend {
    /// Every storage port: what the tests' checks use.
    pub storage: Storage,
    /// The operator's tenant commands.
    pub tenants: TenantPorts,
    /// What each function wires, over the same storage: what requests and queue messages run on.
    pub functions: Arc<Functions>,
    pub process_queue: Arc<dyn LocalQueue>,
    pub delivery_queue: Arc<dyn LocalQueue>,
    /// Set on the embedded backend: its queues can wake consumers and it purges expired rows itself.
    pub embedded: Option<Arc<EmbeddedBackend>>,
    /// Set on the embedded backend: what receives the files sent to its upload URLs.
    pub local_uploads: Option<Arc<LocalUploads>>,
}

/// The backend `options` ask for: AWS when a process queue URL is given, else embedded, with local upload
/// URLs on `options.port`.
pub async fn open(options: &crate::DevOptions) -> Result<Backend, WiringError> {
    open_at(options, &format!("http://127.0.0.1:{}", options.port)).await
}

/// As [`open`], with the embedded backend's upload URLs under `base_url` (the dev server's address).
pub async fn open_at(options: &crate::DevOptions, base_url: &str) -> Result<Backend, WiringError> {
    match &options.aws_process_queue_url {
        None => {
            let backend = embedded(
                &options.config,
                &options.data_dir,
                base_url,
                options.clock.clone(),
            )?;
            if let (Some(max), Some(store)) = (options.max_database_bytes, &backend.embedded) {
                let capped = store
                    .cap_database_size(max)
                    .map_err(|e| WiringError::Storage(e.to_string()))?;
                tracing::info!(bytes = capped, "database size capped");
            }
            Ok(backend)
        }
        Some(url) => aws(&options.config, url, options.clock.clone()).await,
    }
}

pub fn embedded(
    config: &Config,
    data_dir: &Path,
    base_url: &str,
    clock: Arc<dyn Clock>,
) -> Result<Backend, WiringError> {
    let backend = Arc::new(
        EmbeddedBackend::open(data_dir, clock.clone())
            .map_err(|e| WiringError::Storage(e.to_string()))?,
    );
    let urls = Arc::new(
        LocalUploadUrls::open(data_dir, base_url)
            .map_err(|e| WiringError::Storage(format!("the upload URL key: {e}")))?,
    );
    let storage = Storage::of(
        backend.jobs.clone(),
        backend.config.clone(),
        backend.objects.clone(),
        urls.clone(),
        backend.delivery_queue.clone(),
    );
    let adapters = Adapters::new(config, storage.clone(), clock);
    Ok(Backend {
        functions: Arc::new(Functions::wire(&adapters)?),
        tenants: adapters.tenant_config()?,
        storage,
        process_queue: backend.process_queue.clone(),
        delivery_queue: backend.delivery_queue.clone(),
        local_uploads: Some(Arc::new(LocalUploads {
            urls,
            objects: backend.objects.clone(),
        })),
        embedded: Some(backend),
    })
}

/// The AWS adapters over the resources `config` names; `process_queue_url` is the queue the bucket
/// notifies (on AWS only the event source mapping reads it, so the functions' config doesn't carry it).
pub async fn aws(
    config: &Config,
    process_queue_url: &str,
    clock: Arc<dyn Clock>,
) -> Result<Backend, WiringError> {
    let clients = AwsClients::from_env().await;
    let storage = wiring::aws_storage(config, &clients)?;
    let adapters = Adapters::new(config, storage.clone(), clock);
    let delivery_queue_url = config
        .resources
        .delivery_queue_url
        .clone()
        .ok_or_else(|| WiringError::Storage("PAGEWIRE_DELIVERY_QUEUE_URL is not set".into()))?;
    Ok(Backend {
        functions: Arc::new(Functions::wire(&adapters)?),
        tenants: adapters.tenant_config()?,
        storage,
        process_queue: Arc::new(SqsQueue::new(clients.sqs(), process_queue_url)),
        delivery_queue: Arc::new(SqsQueue::new(clients.sqs(), delivery_queue_url)),
        embedded: None,
        local_uploads: None,
    })
}

/// The tenant commands' ports on the AWS backend alone (no queue pumping).
pub async fn aws_tenants(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<TenantPorts, WiringError> {
    let clients = AwsClients::from_env().await;
    Adapters::new(config, wiring::aws_storage(config, &clients)?, clock).tenant_config()
}

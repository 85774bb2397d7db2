//! Building each capability's ports from adapters, once per process (a Lambda cold start).
//!
//! A function's `wire` asks [`Adapters`] for exactly the `*Ports` structs of the capabilities it serves
//! (`adapters.delivery()?`, `adapters.access()?` ...), so what a function can touch is its wiring's type,
//! checked by the compiler, and a binary links only the adapters its capabilities name: the document
//! reader (OCR, PDF and ZIP parsers) only where processing is wired, the webhook client only where
//! webhooks are sent, the SQS client only where deliveries are queued.

use crate::config::{required, Config, ConfigError};
use pagewire_aws::{
    AwsClients, DynamoConfigStore, DynamoJobStore, S3ObjectStore, S3UploadUrls, SqsQueue,
};
use pagewire_core::access::AccessPorts;
use pagewire_core::configuration::{EndpointPorts, TemplatePorts, TenantPorts};
use pagewire_core::delivery::{
    DeliveryPorts, DeliveryQueue, RecoveryPorts, RedeliveryPorts, WebhookSender,
};
use pagewire_core::policy::ssrf::AddressPolicy;
use pagewire_core::ports::{
    ApiKeyRecords, AttemptLog, CreditLedger, DeliveryRecords, DocumentReader, DocumentRecords,
    EndpointRecords, IdempotencyKeys, JobRecords, MessageSink, ObjectStore, TemplateRecords,
    TenantRecords, UploadUrls,
};
use pagewire_core::preview::page_budget::PreviewPageBudget;
use pagewire_core::preview::PreviewPorts;
use pagewire_core::processing::ProcessingPorts;
use pagewire_core::queries::QueryPorts;
use pagewire_core::submission::SubmissionPorts;
use pagewire_core::{Clock, RateLimiter, SystemClock};
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

/// Every storage port, already built: what `pagewire dev` opens (the embedded backend, or the AWS
/// adapters against an emulator) and hands to each function's wiring.
#[derive(Clone)]
pub struct Storage {
    pub jobs: Arc<dyn JobRecords>,
    pub documents: Arc<dyn DocumentRecords>,
    pub deliveries: Arc<dyn DeliveryRecords>,
    pub attempts: Arc<dyn AttemptLog>,
    pub idempotency: Arc<dyn IdempotencyKeys>,
    pub tenants: Arc<dyn TenantRecords>,
    pub api_keys: Arc<dyn ApiKeyRecords>,
    pub credits: Arc<dyn CreditLedger>,
    pub templates: Arc<dyn TemplateRecords>,
    pub endpoints: Arc<dyn EndpointRecords>,
    pub objects: Arc<dyn ObjectStore>,
    pub uploads: Arc<dyn UploadUrls>,
    pub delivery_sink: Arc<dyn MessageSink>,
}

impl Storage {
    /// Storage over one store of a job's records and one of configuration (each adapter struct implements
    /// all the traits of its table).
    pub fn of<J, C>(
        job_store: Arc<J>,
        config_store: Arc<C>,
        objects: Arc<dyn ObjectStore>,
        uploads: Arc<dyn UploadUrls>,
        delivery_sink: Arc<dyn MessageSink>,
    ) -> Self
    where
        J: JobRecords + DocumentRecords + AttemptLog + IdempotencyKeys + 'static,
        C: TenantRecords
            + ApiKeyRecords
            + CreditLedger
            + TemplateRecords
            + EndpointRecords
            + 'static,
    {
        Self {
            jobs: job_store.clone(),
            documents: job_store.clone(),
            deliveries: job_store.clone(),
            attempts: job_store.clone(),
            idempotency: job_store,
            tenants: config_store.clone(),
            api_keys: config_store.clone(),
            credits: config_store.clone(),
            templates: config_store.clone(),
            endpoints: config_store,
            objects,
            uploads,
            delivery_sink,
        }
    }
}

/// Where the storage ports come from.
enum Source {
    /// Built on demand from the SDK clients, so each function links only the adapters it asks for.
    Aws(Box<AwsClients>),
    Built(Storage),
}

/// The adapters a function's wiring picks its capabilities' ports from.
pub struct Adapters {
    config: Config,
    clock: Arc<dyn Clock>,
    source: Source,
}

impl Adapters {
    /// Over storage already built (`pagewire dev`, tests).
    pub fn new(config: &Config, storage: Storage, clock: Arc<dyn Clock>) -> Self {
        Self {
            config: config.clone(),
            clock,
            source: Source::Built(storage),
        }
    }

    /// What a function's `main` starts from: configuration from the environment, SDK clients built once
    /// from the credentials Lambda puts there, on the system clock.
    pub fn aws_from_env() -> Result<Self, WiringError> {
        Ok(Self {
            config: Config::from_env()?,
            clock: Arc::new(SystemClock),
            source: Source::Aws(Box::new(AwsClients::from_lambda_environment())),
        })
    }

    /// Reads documents in worker processes started by `worker` (when the configuration has workers).
    pub fn with_read_worker(mut self, worker: pagewire_extract::isolation::WorkerCommand) -> Self {
        self.config.read_isolation.worker = Some(worker);
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    // --- the capabilities, each with exactly the ports it names ---

    pub fn access(&self) -> Result<AccessPorts, WiringError> {
        Ok(AccessPorts {
            api_keys: self.api_keys()?,
            rate_limiter: Arc::new(RateLimiter::new(self.config.settings.api_rate_limit)),
            clock: self.clock(),
        })
    }

    pub fn submission(&self) -> Result<SubmissionPorts, WiringError> {
        Ok(SubmissionPorts {
            jobs: self.jobs()?,
            idempotency: self.idempotency()?,
            tenants: self.tenants()?,
            templates: self.templates()?,
            endpoints: self.endpoints()?,
            objects: self.objects()?,
            uploads: self.uploads()?,
            clock: self.clock(),
            settings: self.config.settings.clone(),
        })
    }

    pub fn processing(&self) -> Result<ProcessingPorts, WiringError> {
        Ok(ProcessingPorts {
            jobs: self.jobs()?,
            documents: self.documents()?,
            deliveries: self.deliveries()?,
            credits: self.credits()?,
            templates: self.templates()?,
            endpoints: self.endpoints()?,
            objects: self.objects()?,
            reader: self.document_reader(),
            delivery_queue: self.delivery_queue()?,
            clock: self.clock(),
            settings: self.config.settings.clone(),
        })
    }

    /// The template preview: the tenant's templates and the same document reader processing uses, so
    /// a preview reads a sample as a job would.
    pub fn preview(&self) -> Result<PreviewPorts, WiringError> {
        Ok(PreviewPorts {
            templates: self.templates()?,
            reader: self.document_reader(),
            page_budget: Arc::new(PreviewPageBudget::new(
                self.config.settings.preview.pages_per_minute,
            )),
            clock: self.clock(),
            settings: self.config.settings.clone(),
        })
    }

    pub fn delivery(&self) -> Result<DeliveryPorts, WiringError> {
        Ok(DeliveryPorts {
            jobs: self.jobs()?,
            documents: self.documents()?,
            deliveries: self.deliveries()?,
            attempts: self.attempts()?,
            endpoints: self.endpoints()?,
            objects: self.objects()?,
            sender: self.webhook_sender()?,
            delivery_queue: self.delivery_queue()?,
            clock: self.clock(),
            settings: self.config.settings.clone(),
        })
    }

    pub fn redelivery(&self) -> Result<RedeliveryPorts, WiringError> {
        Ok(RedeliveryPorts {
            jobs: self.jobs()?,
            documents: self.documents()?,
            deliveries: self.deliveries()?,
            endpoints: self.endpoints()?,
            delivery_queue: self.delivery_queue()?,
            clock: self.clock(),
        })
    }

    pub fn recovery(&self) -> Result<RecoveryPorts, WiringError> {
        Ok(RecoveryPorts {
            endpoints: self.endpoints()?,
            deliveries: self.deliveries()?,
            delivery_queue: self.delivery_queue()?,
            clock: self.clock(),
        })
    }

    pub fn queries(&self) -> Result<QueryPorts, WiringError> {
        Ok(QueryPorts {
            jobs: self.jobs()?,
            documents: self.documents()?,
            deliveries: self.deliveries()?,
            attempts: self.attempts()?,
            clock: self.clock(),
        })
    }

    pub fn template_config(&self) -> Result<TemplatePorts, WiringError> {
        Ok(TemplatePorts {
            templates: self.templates()?,
            endpoints: self.endpoints()?,
            clock: self.clock(),
        })
    }

    pub fn endpoint_config(&self) -> Result<EndpointPorts, WiringError> {
        Ok(EndpointPorts {
            templates: self.templates()?,
            endpoints: self.endpoints()?,
            attempts: self.attempts()?,
            sender: self.webhook_sender()?,
            clock: self.clock(),
            settings: self.config.settings.clone(),
        })
    }

    pub fn tenant_config(&self) -> Result<TenantPorts, WiringError> {
        Ok(TenantPorts {
            tenants: self.tenants()?,
            api_keys: self.api_keys()?,
            credits: self.credits()?,
            clock: self.clock(),
        })
    }

    // --- single ports ---

    /// Reads documents: PDF text layers, OCR of images and scans, ZIP batches. Each document is read in
    /// a worker process under the configured budget when the configuration names a worker command (see
    /// [`crate::read_worker`]), else in this process.
    pub fn document_reader(&self) -> Arc<dyn DocumentReader> {
        let in_process = Arc::new(in_process_reader(&self.config));
        let isolation = &self.config.read_isolation;
        match &isolation.worker {
            Some(command) if isolation.isolates() => Arc::new(IsolatedReader::new(
                crate::read_worker::command_for(command.clone(), &self.config),
                isolation.budget,
                isolation.workers,
                in_process,
            )),
            _ => in_process,
        }
    }

    /// Sends webhooks, to public addresses only unless the settings allow more.
    pub fn webhook_sender(&self) -> Result<WebhookSender, WiringError> {
        let transport = HttpTransport::new(AddressPolicy::from_settings(&self.config.settings))?;
        Ok(WebhookSender::new(
            Arc::new(transport),
            self.clock(),
            &self.config.settings,
        ))
    }

    pub fn delivery_queue(&self) -> Result<DeliveryQueue, WiringError> {
        let sink: Arc<dyn MessageSink> = match &self.source {
            Source::Aws(clients) => sqs_delivery_queue(&self.config, clients)?,
            Source::Built(storage) => storage.delivery_sink.clone(),
        };
        Ok(DeliveryQueue::new(sink))
    }

    pub fn objects(&self) -> Result<Arc<dyn ObjectStore>, WiringError> {
        match &self.source {
            Source::Aws(clients) => s3_objects(&self.config, clients),
            Source::Built(storage) => Ok(storage.objects.clone()),
        }
    }

    pub fn uploads(&self) -> Result<Arc<dyn UploadUrls>, WiringError> {
        match &self.source {
            Source::Aws(clients) => s3_upload_urls(&self.config, clients),
            Source::Built(storage) => Ok(storage.uploads.clone()),
        }
    }

    fn job_store(&self, clients: &AwsClients) -> Result<Arc<DynamoJobStore>, WiringError> {
        dynamo_jobs(&self.config, clients, s3_objects(&self.config, clients)?)
    }

    fn config_store(&self, clients: &AwsClients) -> Result<Arc<DynamoConfigStore>, WiringError> {
        dynamo_config(&self.config, clients)
    }
}

/// The port getters of [`Adapters`]: from the built storage, or a new AWS adapter over the shared
/// clients (cheap: the adapters hold clones of the SDK clients).
macro_rules! ports {
    ($($name:ident: $trait:ident from $store:ident),+ $(,)?) => {
        impl Adapters {
            $(
                pub fn $name(&self) -> Result<Arc<dyn $trait>, WiringError> {
                    match &self.source {
                        Source::Aws(clients) => Ok(self.$store(clients)?),
                        Source::Built(storage) => Ok(storage.$name.clone()),
                    }
                }
            )+
        }
    };
}

ports!(
    jobs: JobRecords from job_store,
    documents: DocumentRecords from job_store,
    deliveries: DeliveryRecords from job_store,
    attempts: AttemptLog from job_store,
    idempotency: IdempotencyKeys from job_store,
    tenants: TenantRecords from config_store,
    api_keys: ApiKeyRecords from config_store,
    credits: CreditLedger from config_store,
    templates: TemplateRecords from config_store,
    endpoints: EndpointRecords from config_store,
);

/// The reader that runs in this process: what a read worker serves with, and what reads when there is
/// no worker.
pub fn in_process_reader(config: &Config) -> PagewireReader {
    PagewireReader::new(ReaderLimits::from_settings(&config.settings))
        .with_ocr_models(config.ocr_model_dir.as_deref())
        .with_onnxruntime(config.onnxruntime_lib.as_deref())
}

/// The AWS adapters over the tables, bucket and queue that `config` names.
pub fn aws_storage(config: &Config, clients: &AwsClients) -> Result<Storage, WiringError> {
    let objects = s3_objects(config, clients)?;
    Ok(Storage::of(
        dynamo_jobs(config, clients, objects.clone())?,
        dynamo_config(config, clients)?,
        objects,
        s3_upload_urls(config, clients)?,
        sqs_delivery_queue(config, clients)?,
    ))
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
) -> Result<Arc<DynamoJobStore>, WiringError> {
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
) -> Result<Arc<DynamoConfigStore>, WiringError> {
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
) -> Result<Arc<dyn MessageSink>, WiringError> {
    let url = required(
        &config.resources.delivery_queue_url,
        "PAGEWIRE_DELIVERY_QUEUE_URL",
    )?;
    Ok(Arc::new(SqsQueue::new(clients.sqs(), url)))
}

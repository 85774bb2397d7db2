//! Building [`Services`] from adapters, once per process.

use crate::config::Config;
use crate::transport::HttpTransport;
use pagewire_core::{Clock, Services};
use pagewire_embedded::EmbeddedBackend;
use pagewire_extract::{PagewireReader, ReaderLimits};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error("opening the embedded backend: {0}")]
    Embedded(#[from] pagewire_embedded::EmbeddedError),
    #[error("building the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// The services of the embedded backend (SQLite + files), and the backend itself for its queues.
pub fn embedded(
    config: &Config,
    data_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<(Services, EmbeddedBackend), WiringError> {
    let backend = EmbeddedBackend::open(data_dir, clock.clone())?;
    let services = Services {
        jobs: backend.jobs.clone(),
        config: backend.config.clone(),
        objects: backend.objects.clone(),
        delivery_queue: backend.delivery_queue.clone(),
        transport: Arc::new(HttpTransport::new(config.settings.allow_private_webhooks)?),
        reader: Arc::new(
            PagewireReader::new(ReaderLimits::from_settings(&config.settings))
                .with_ocr_models(config.ocr_model_dir.as_deref()),
        ),
        clock,
        settings: config.settings.clone(),
    };
    Ok((services, backend))
}

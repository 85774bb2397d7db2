//! `pagewire dev`: the whole stack in one process on the embedded backend. The API, the process-document
//! function and the deliver-webhook function all run through the same handlers as on AWS.

use crate::backend::{self, Backend};
use crate::functions::FunctionServices;
use crate::local_upload::{is_local_upload, serve_local_upload, LocalUploads};
use crate::pump::{pump_once, Consumer};
use crate::server::serve_hyper;
use crate::static_files::StaticSite;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use pagewire_core::ports::MessageQueue;
use pagewire_core::{Clock, Services};
use pagewire_embedded::EmbeddedBackend;
use pagewire_lambda_kit::{wiring, Config};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

#[derive(Clone)]
pub struct DevOptions {
    pub config: Config,
    /// Where the embedded backend keeps its SQLite database and files.
    pub data_dir: PathBuf,
    /// Run on the AWS adapters (the resources in `config.resources`) instead of the embedded backend; the
    /// value is the URL of the queue the bucket notifies.
    pub aws_process_queue_url: Option<String>,
    /// 0 picks a free port.
    pub port: u16,
    /// The built dashboard served at `/`; `None` serves the API alone.
    pub dashboard_dir: Option<PathBuf>,
    pub clock: Arc<dyn Clock>,
    /// How often the queue consumers look for delayed messages that became due.
    pub poll_interval: Duration,
    /// Run the queue consumers in the background (tests that step a manual clock turn this off and call
    /// [`DevStack::drain`] instead).
    pub background_consumers: bool,
}

impl DevOptions {
    pub fn new(data_dir: PathBuf, clock: Arc<dyn Clock>) -> Self {
        let config =
            Config::from_lookup(|_| None).unwrap_or_else(|_| unreachable!("defaults parse"));
        Self {
            config,
            data_dir,
            aws_process_queue_url: None,
            port: 0,
            dashboard_dir: None,
            clock,
            poll_interval: Duration::from_millis(200),
            background_consumers: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error(transparent)]
    Wiring(#[from] wiring::WiringError),
    #[error("binding 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
}

pub struct DevStack {
    pub addr: SocketAddr,
    /// Everything wired, for checks and CLI commands; requests and messages run on `functions`.
    pub services: Services,
    pub functions: Arc<FunctionServices>,
    pub process_queue: Arc<dyn MessageQueue>,
    pub delivery_queue: Arc<dyn MessageQueue>,
    /// The embedded backend, when the stack runs on it.
    pub embedded: Option<Arc<EmbeddedBackend>>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl DevStack {
    pub async fn start(options: DevOptions) -> Result<Self, DevError> {
        // Bound first: the embedded backend's upload URLs name the server's address.
        let listener = TcpListener::bind(("127.0.0.1", options.port))
            .await
            .map_err(|source| DevError::Bind {
                port: options.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| DevError::Bind {
            port: options.port,
            source,
        })?;
        let Backend {
            services,
            functions,
            process_queue,
            delivery_queue,
            embedded,
            local_uploads,
        } = backend::open_at(&options, &format!("http://{addr}")).await?;
        let (shutdown, _) = watch::channel(false);
        let site = options
            .dashboard_dir
            .clone()
            .map(StaticSite::new)
            .map(Arc::new);
        let mut tasks = vec![tokio::spawn(serve(
            listener,
            services.clone(),
            functions.clone(),
            site,
            local_uploads,
            shutdown.subscribe(),
        ))];
        if options.background_consumers {
            for (queue, name, wake, consumer) in [
                (
                    process_queue.clone(),
                    "process",
                    embedded.as_ref().map(|b| b.process_queue.notifier()),
                    Consumer::ProcessDocument,
                ),
                (
                    delivery_queue.clone(),
                    "delivery",
                    embedded.as_ref().map(|b| b.delivery_queue.notifier()),
                    Consumer::DeliverWebhook,
                ),
            ] {
                let rx = shutdown.subscribe();
                tasks.push(tokio::spawn(consume(
                    functions.consumer(consumer).clone(),
                    queue,
                    name,
                    wake,
                    consumer,
                    options.poll_interval,
                    rx,
                )));
            }
            if let Some(backend) = &embedded {
                tasks.push(tokio::spawn(purge(
                    backend.clone(),
                    services.clock.clone(),
                    shutdown.subscribe(),
                )));
            }
        }
        Ok(Self {
            addr,
            services,
            functions,
            process_queue,
            delivery_queue,
            embedded,
            shutdown,
            tasks,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs both consumers until neither queue has a due message (for tests driving a manual clock).
    pub async fn drain(&self) -> usize {
        let mut total = 0;
        loop {
            let processed = pump_once(
                &self.functions.process_document,
                &*self.process_queue,
                "process",
                Consumer::ProcessDocument,
            )
            .await
                + pump_once(
                    &self.functions.deliver_webhook,
                    &*self.delivery_queue,
                    "delivery",
                    Consumer::DeliverWebhook,
                )
                .await;
            if processed == 0 {
                return total;
            }
            total += processed;
        }
    }

    /// Stops the server and the consumers and waits for them.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn serve(
    listener: TcpListener,
    services: Services,
    functions: Arc<FunctionServices>,
    site: Option<Arc<StaticSite>>,
    local_uploads: Option<Arc<LocalUploads>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let services = services.clone();
                let functions = functions.clone();
                let site = site.clone();
                let local_uploads = local_uploads.clone();
                let mut stop = shutdown.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let services = services.clone();
                        let functions = functions.clone();
                        let site = site.clone();
                        let local_uploads = local_uploads.clone();
                        async move {
                            let response = match &local_uploads {
                                Some(uploads) if is_local_upload(req.uri().path()) => {
                                    serve_local_upload(&services, uploads, req).await
                                }
                                _ => serve_hyper(&functions, site.as_deref(), req).await,
                            };
                            Ok::<_, std::convert::Infallible>(response)
                        }
                    });
                    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stop.changed() => conn.as_mut().graceful_shutdown(),
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    connections.abort_all();
}

/// Pumps `queue` into `consumer` until shutdown; between empty receives it waits for `wake` (the embedded
/// queues signal new messages) or the poll interval.
async fn consume(
    services: Services,
    queue: Arc<dyn MessageQueue>,
    name: &'static str,
    wake: Option<Arc<Notify>>,
    consumer: Consumer,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let wake = wake.unwrap_or_default();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let handled = pump_once(&services, &*queue, name, consumer).await;
        if handled > 0 {
            continue;
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Expired jobs read as gone at once; this removes their rows and files later, as DynamoDB's TTL does.
async fn purge(
    backend: Arc<EmbeddedBackend>,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match backend.jobs.purge_expired(clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "purged expired jobs"),
            Err(err) => tracing::warn!(error = %err, "purge failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

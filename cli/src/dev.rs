//! `pagewire dev`: the whole stack in one process on the embedded backend. The API, the process-document
//! function and the deliver-webhook function all run through the same handlers as on AWS.

use crate::backend::{self, Backend, LocalQueue};
use crate::consumer::{consume, ConsumerConfig, FaultHook};
use crate::functions::Functions;
use crate::http_front::{accept_loop, HttpLimits};
use crate::local_upload::{is_local_upload, serve_local_upload, LocalUploads};
use crate::pump::{pump_once, Consumer};
use crate::server::serve_hyper;
use crate::static_files::StaticSite;
use crate::supervise::{supervise, Restarts};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use pagewire_core::configuration::TenantPorts;
use pagewire_core::Clock;
use pagewire_embedded::EmbeddedBackend;
use pagewire_lambda_kit::config::available_cores;
use pagewire_lambda_kit::wiring::{self, Storage};
use pagewire_lambda_kit::Config;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
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
    /// Documents in flight at the same time. Most of a document's time is store calls; the reading itself,
    /// the CPU-bound part, is bounded separately by the read workers (`PAGEWIRE_READ_WORKERS`, one per core
    /// by default), which serve the tenants waiting for them in turn.
    pub process_concurrency: usize,
    /// Webhooks sent at the same time (they mostly wait on receivers).
    pub delivery_concurrency: usize,
    /// Timeouts and the connection cap of the HTTP front.
    pub http: HttpLimits,
    /// Test hook into the background consumers (see [`crate::consumer::FaultPoint`]).
    pub consumer_fault: Option<FaultHook>,
    /// The embedded database's cap, in bytes (`--max-database-mb`); `None` lets it grow with the disk.
    pub max_database_bytes: Option<u64>,
}

/// Processing concurrency by default: 16 documents in flight per core (16 to 128). With one per core the
/// store calls of a few documents at a time could not keep two cores busy: a burst of one-page PDFs left
/// processing at 650/s against 1,050/s with 32 in flight (BENCHMARKS.md, "End to end").
pub fn default_process_concurrency() -> usize {
    (available_cores() * 16).clamp(16, 128)
}

/// Delivery concurrency by default: a webhook mostly waits (up to 15 s on a slow receiver), so many more
/// than the cores, within what one process's sockets comfortably allow.
pub fn default_delivery_concurrency() -> usize {
    (available_cores() * 16).clamp(16, 128)
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
            process_concurrency: default_process_concurrency(),
            delivery_concurrency: default_delivery_concurrency(),
            http: HttpLimits::default(),
            consumer_fault: None,
            max_database_bytes: None,
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
    /// Every storage port, for checks; requests and messages run on `functions`.
    pub storage: Storage,
    /// The operator's tenant commands.
    pub tenants: TenantPorts,
    pub functions: Arc<Functions>,
    pub process_queue: Arc<dyn LocalQueue>,
    pub delivery_queue: Arc<dyn LocalQueue>,
    /// The embedded backend, when the stack runs on it.
    pub embedded: Option<Arc<EmbeddedBackend>>,
    /// Restarts of the supervised background tasks so far.
    pub restarts: Arc<Restarts>,
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
            storage,
            tenants,
            functions,
            process_queue,
            delivery_queue,
            embedded,
            local_uploads,
        } = backend::open_at(&options, &format!("http://{addr}")).await?;
        let (shutdown, _) = watch::channel(false);
        let restarts = Arc::new(Restarts::default());
        let site = options
            .dashboard_dir
            .clone()
            .map(StaticSite::new)
            .map(Arc::new);
        let front = Front {
            functions: functions.clone(),
            site,
            local_uploads,
            limits: options.http.clone(),
        };
        let listener = Arc::new(listener);
        let mut tasks = vec![supervise(
            "http server",
            shutdown.subscribe(),
            restarts.clone(),
            move |stop| serve(listener.clone(), front.clone(), stop),
        )];
        if options.background_consumers {
            for (queue, name, wake, consumer, concurrency) in [
                (
                    process_queue.clone(),
                    "process",
                    embedded.as_ref().map(|b| b.process_queue.notifier()),
                    Consumer::ProcessDocument,
                    options.process_concurrency,
                ),
                (
                    delivery_queue.clone(),
                    "delivery",
                    embedded.as_ref().map(|b| b.delivery_queue.notifier()),
                    Consumer::DeliverWebhook,
                    options.delivery_concurrency,
                ),
            ] {
                let functions = functions.clone();
                let config = ConsumerConfig {
                    consumer,
                    queue_name: name,
                    concurrency,
                    poll: options.poll_interval,
                    fault: options.consumer_fault.clone(),
                };
                tasks.push(supervise(
                    name,
                    shutdown.subscribe(),
                    restarts.clone(),
                    move |stop| {
                        consume(
                            functions.clone(),
                            queue.clone(),
                            wake.clone(),
                            config.clone(),
                            stop,
                        )
                    },
                ));
            }
            if let Some(backend) = &embedded {
                let (backend, clock) = (backend.clone(), options.clock.clone());
                tasks.push(supervise(
                    "purge",
                    shutdown.subscribe(),
                    restarts.clone(),
                    move |stop| purge(backend.clone(), clock.clone(), stop),
                ));
            }
        }
        Ok(Self {
            addr,
            storage,
            tenants,
            functions,
            process_queue,
            delivery_queue,
            embedded,
            restarts,
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
                &self.functions,
                &*self.process_queue,
                "process",
                Consumer::ProcessDocument,
            )
            .await
                + pump_once(
                    &self.functions,
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

/// What the HTTP server needs for every connection.
#[derive(Clone)]
struct Front {
    functions: Arc<Functions>,
    site: Option<Arc<StaticSite>>,
    local_uploads: Option<Arc<LocalUploads>>,
    limits: HttpLimits,
}

async fn serve(listener: Arc<TcpListener>, front: Front, shutdown: watch::Receiver<bool>) {
    let limits = front.limits.clone();
    let stop = shutdown.clone();
    accept_loop(listener, limits, shutdown, move |stream, close| {
        serve_connection(front.clone(), stream, close, stop.clone())
    })
    .await;
}

/// Serves HTTP/1.1 on one connection until the client leaves, a limit cuts it off, or it is asked to close
/// (shutdown, or the connection cap making room), in which case it finishes the request in progress.
async fn serve_connection(
    front: Front,
    stream: TcpStream,
    close: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let header_read_timeout = front.limits.header_read_timeout;
    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let front = front.clone();
        async move {
            let response = match &front.local_uploads {
                Some(uploads) if is_local_upload(req.uri().path()) => {
                    serve_local_upload(
                        &front.functions.submit_job.submission,
                        uploads,
                        front.limits.body_stall_timeout,
                        req,
                    )
                    .await
                }
                _ => serve_hyper(&front.functions, front.site.as_deref(), &front.limits, req).await,
            };
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = close.notified() => {}
        _ = stop.changed() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
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

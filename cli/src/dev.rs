//! `pagewire dev`: the whole stack in one process on the embedded backend. The API, the process-document
//! function and the deliver-webhook function all run through the same handlers as on AWS.

use crate::pump::{pump_once, Consumer};
use crate::server::serve_hyper;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use pagewire_core::{Clock, Services};
use pagewire_embedded::{EmbeddedBackend, SqliteQueue};
use pagewire_lambda_kit::{wiring, Config};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Clone)]
pub struct DevOptions {
    pub config: Config,
    /// Where the embedded backend keeps its SQLite database and files.
    pub data_dir: PathBuf,
    /// 0 picks a free port.
    pub port: u16,
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
            port: 0,
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
    pub services: Services,
    pub backend: Arc<EmbeddedBackend>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl DevStack {
    pub async fn start(options: DevOptions) -> Result<Self, DevError> {
        let (services, backend) =
            wiring::embedded(&options.config, &options.data_dir, options.clock.clone())?;
        let backend = Arc::new(backend);
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
        let (shutdown, _) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(serve(
            listener,
            services.clone(),
            shutdown.subscribe(),
        ))];
        if options.background_consumers {
            for (queue, consumer) in [
                (backend.process_queue.clone(), Consumer::ProcessDocument),
                (backend.delivery_queue.clone(), Consumer::DeliverWebhook),
            ] {
                let rx = shutdown.subscribe();
                tasks.push(tokio::spawn(consume(
                    services.clone(),
                    queue,
                    consumer,
                    options.poll_interval,
                    rx,
                )));
            }
            tasks.push(tokio::spawn(purge(
                backend.clone(),
                services.clock.clone(),
                shutdown.subscribe(),
            )));
        }
        Ok(Self {
            addr,
            services,
            backend,
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
                &self.services,
                &*self.backend.process_queue,
                "process",
                Consumer::ProcessDocument,
            )
            .await
                + pump_once(
                    &self.services,
                    &*self.backend.delivery_queue,
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

async fn serve(listener: TcpListener, services: Services, mut shutdown: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let services = services.clone();
                let mut stop = shutdown.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| {
                        let services = services.clone();
                        async move { Ok::<_, std::convert::Infallible>(serve_hyper(&services, req).await) }
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

async fn consume(
    services: Services,
    queue: Arc<SqliteQueue>,
    consumer: Consumer,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let name = queue.name().to_string();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let handled = pump_once(&services, &*queue, &name, consumer).await;
        if handled > 0 {
            continue;
        }
        tokio::select! {
            _ = queue.notified() => {}
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

//! The dev server's connections: what API Gateway's front door does on AWS. A client that sends its headers
//! slowly, keeps a connection idle, or stops sending its body is cut off after a bounded time; the number
//! of open connections is capped, and when the cap is reached the oldest connections are asked to close
//! (idle ones go at once, busy ones after their response), so idle connections cannot lock new clients
//! out; and a failing `accept` (out of file descriptors) pauses instead of spinning.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};

/// The bounds of the HTTP front.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// A request's headers must arrive within this. hyper starts the same timer while a keep-alive
    /// connection waits for its next request, so it is also the idle timeout.
    pub header_read_timeout: Duration,
    /// The longest pause allowed between two pieces of a request body.
    pub body_stall_timeout: Duration,
    /// A whole request body must arrive within this (6 MB at about 50 KB/s).
    pub body_deadline: Duration,
    /// Open connections at most.
    pub max_connections: usize,
    /// When full, how long a new connection waits for older ones to close before it is answered 503.
    pub full_wait: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_stall_timeout: Duration::from_secs(10),
            body_deadline: Duration::from_secs(120),
            max_connections: 512,
            full_wait: Duration::from_secs(1),
        }
    }
}

/// The first pause after a failed `accept`; it doubles up to [`MAX_ACCEPT_PAUSE`] while failures go on.
const MIN_ACCEPT_PAUSE: Duration = Duration::from_millis(10);
const MAX_ACCEPT_PAUSE: Duration = Duration::from_secs(1);

/// The pause after the `failures`-th failed `accept` in a row (1 for the first).
pub fn accept_pause(failures: u32) -> Duration {
    MIN_ACCEPT_PAUSE
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(MAX_ACCEPT_PAUSE)
}

/// The open connections, oldest first, each with the signal that asks it to close.
struct Registry {
    slots: Arc<Semaphore>,
    open: Mutex<BTreeMap<u64, Arc<Notify>>>,
}

impl Registry {
    /// Asks the oldest connection not asked yet to close once idle.
    fn shed_oldest(&self) {
        let oldest = self
            .open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_first();
        if let Some((_, close)) = oldest {
            close.notify_one();
        }
    }
}

/// Accepts connections on `listener` until `shutdown`, serving each with `serve_connection(stream, close)`:
/// the future must serve HTTP on the stream and close gracefully when `close` is notified. Returns once
/// every connection has ended.
pub async fn accept_loop<S, Fut>(
    listener: Arc<TcpListener>,
    limits: HttpLimits,
    mut shutdown: watch::Receiver<bool>,
    serve_connection: S,
) where
    S: Fn(TcpStream, Arc<Notify>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let registry = Arc::new(Registry {
        slots: Arc::new(Semaphore::new(limits.max_connections.max(1))),
        open: Mutex::new(BTreeMap::new()),
    });
    let mut connections = tokio::task::JoinSet::new();
    let mut next_id: u64 = 0;
    let mut failures: u32 = 0;
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                failures = 0;
                stream
            }
            Err(err) => {
                // Out of file descriptors (EMFILE) and the like: retrying at once would spin.
                failures = failures.saturating_add(1);
                let pause = accept_pause(failures);
                tracing::warn!(error = %err, pause_ms = pause.as_millis() as u64, "accept failed");
                tokio::select! {
                    _ = tokio::time::sleep(pause) => continue,
                    _ = shutdown.changed() => break,
                }
            }
        };
        next_id += 1;
        let id = next_id;
        let (registry, serve_connection) = (registry.clone(), serve_connection.clone());
        let full_wait = limits.full_wait;
        connections.spawn(async move {
            let _ = stream.set_nodelay(true);
            let Some(slot) = take_slot(&registry, full_wait).await else {
                refuse(stream).await;
                return;
            };
            let close = Arc::new(Notify::new());
            registry
                .open
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id, close.clone());
            serve_connection(stream, close).await;
            registry
                .open
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            drop(slot);
        });
    }
    // Connections were told to close by the same shutdown signal; give them a moment to finish.
    let finish = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), finish)
        .await
        .is_err()
    {
        connections.abort_all();
    }
}

/// A connection slot, asking the oldest connections to close when none is free; `None` when none frees in
/// time.
async fn take_slot(registry: &Registry, wait: Duration) -> Option<OwnedSemaphorePermit> {
    if let Ok(slot) = registry.slots.clone().try_acquire_owned() {
        return Some(slot);
    }
    registry.shed_oldest();
    tokio::time::timeout(wait, registry.slots.clone().acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
}

/// What a connection over the cap is told before it is closed.
fn full_response() -> Vec<u8> {
    let body = r#"{"error":{"code":"too_many_connections","message":"the server has too many open connections; try again in a moment"}}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\n\
         retry-after: 1\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Answers 503 on a connection that got no slot, then closes it.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&full_response())).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_pauses_grow_and_are_capped() {
        let pauses: Vec<u128> = (1..=9).map(|n| accept_pause(n).as_millis()).collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        assert_eq!(accept_pause(u32::MAX), MAX_ACCEPT_PAUSE);
    }

    #[test]
    fn the_refusal_is_a_well_formed_response() {
        let bytes = full_response();
        let text = std::str::from_utf8(&bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503"));
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(body.len(), length);
        serde_json::from_str::<serde_json::Value>(body).unwrap();
    }
}

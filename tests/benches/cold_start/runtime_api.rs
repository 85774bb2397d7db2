//! A Lambda Runtime API on 127.0.0.1 that hands one event to the first `invocation/next` and records
//! when the function asked for it (its init is over) and when it posted the answer. Later `next` calls
//! wait forever, as on Lambda between invocations; the harness then stops the process.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub const REQUEST_ID: &str = "7c1d3f7e-0000-4000-8000-00000000c01d";

/// How the one invocation ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Response(Bytes),
    /// `invocation/{id}/error` or `init/error`, with the runtime's error body.
    Error(Bytes),
}

#[derive(Default)]
struct State {
    event: Bytes,
    handed_out: bool,
    asked_at: Option<Instant>,
    finished: Option<(Instant, Outcome)>,
}

#[derive(Clone)]
pub struct RuntimeApi {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    finished: Arc<Notify>,
}

impl RuntimeApi {
    /// Serves `event` to the first function that asks for one.
    pub async fn start(event: Bytes) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let api = RuntimeApi {
            addr: listener.local_addr().expect("address"),
            state: Arc::new(Mutex::new(State {
                event,
                ..Default::default()
            })),
            finished: Arc::new(Notify::new()),
        };
        let shared = api.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let shared = shared.clone();
                        async move { Ok::<_, std::convert::Infallible>(shared.answer(req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        api
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// When the function first asked for an event, and when and how it finished it; `None` until it
    /// finishes or `timeout` passes.
    pub async fn wait(&self, timeout: Duration) -> Option<(Option<Instant>, Instant, Outcome)> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.finished.notified();
            {
                let state = self.state.lock().unwrap();
                if let Some((at, outcome)) = &state.finished {
                    return Some((state.asked_at, *at, outcome.clone()));
                }
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            // Timestamps are taken on arrival, so how soon this wakes changes no figure.
            let _ = tokio::time::timeout(left.min(Duration::from_millis(50)), notified).await;
        }
    }

    async fn answer(
        &self,
        req: hyper::Request<hyper::body::Incoming>,
    ) -> hyper::Response<Full<Bytes>> {
        let arrived = Instant::now();
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let path = parts.uri.path();
        if parts.method == hyper::Method::GET && path == "/2018-06-01/runtime/invocation/next" {
            let event = {
                let mut state = self.state.lock().unwrap();
                state.asked_at.get_or_insert(arrived);
                if state.handed_out {
                    None
                } else {
                    state.handed_out = true;
                    Some(state.event.clone())
                }
            };
            let Some(event) = event else {
                // The next invocation never comes.
                std::future::pending::<()>().await;
                unreachable!()
            };
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 300_000;
            return hyper::Response::builder()
                .header("content-type", "application/json")
                .header("lambda-runtime-aws-request-id", REQUEST_ID)
                .header("lambda-runtime-deadline-ms", deadline.to_string())
                .header(
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:cold-start",
                )
                .header(
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000",
                )
                .body(Full::new(event))
                .unwrap();
        }
        let outcome = if path == format!("/2018-06-01/runtime/invocation/{REQUEST_ID}/response") {
            Some(Outcome::Response(body))
        } else if path == format!("/2018-06-01/runtime/invocation/{REQUEST_ID}/error")
            || path == "/2018-06-01/runtime/init/error"
        {
            Some(Outcome::Error(body))
        } else {
            None
        };
        let Some(outcome) = outcome else {
            let mut not_found = hyper::Response::new(Full::new(Bytes::new()));
            *not_found.status_mut() = hyper::StatusCode::NOT_FOUND;
            return not_found;
        };
        self.state
            .lock()
            .unwrap()
            .finished
            .get_or_insert((arrived, outcome));
        self.finished.notify_waiters();
        let mut accepted = hyper::Response::new(Full::new(Bytes::new()));
        *accepted.status_mut() = hyper::StatusCode::ACCEPTED;
        accepted
    }
}

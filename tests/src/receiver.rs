//! A webhook receiver on 127.0.0.1:0 that records every request and connection, and answers with
//! scripted replies (status, headers, body, delay, a gate to wait at) before falling back to 200. It can go
//! down (its port refuses connections and open ones are cut) and come back on the same address.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// How long [`Gate::reached`] waits for a request before it fails the test (a sender that never comes
/// would otherwise hang it).
const GATE_PATIENCE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// How long to wait before answering (a slow receiver).
    pub delay: Duration,
    /// Where the answer waits, after the delay, until the test opens it.
    pub gate: Option<Gate>,
}

/// A point where a scripted reply holds its answer: the request has arrived and is recorded, and the
/// sender waits for the answer until the test opens the gate. Meanwhile the test can act on what the
/// request is about (rotate, edit or delete the endpoint that sent it, say) and so order a race.
#[derive(Debug, Clone)]
pub struct Gate {
    reached: Arc<watch::Sender<bool>>,
    open: Arc<watch::Sender<bool>>,
}

impl Default for Gate {
    fn default() -> Self {
        Self {
            reached: Arc::new(watch::channel(false).0),
            open: Arc::new(watch::channel(false).0),
        }
    }
}

impl Gate {
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits until a request held by this gate has arrived; panics after 30 s without one.
    pub async fn reached(&self) {
        let mut reached = self.reached.subscribe();
        tokio::time::timeout(GATE_PATIENCE, reached.wait_for(|r| *r))
            .await
            .expect("a request reached the gate within 30 s")
            .expect("the gate is alive");
    }

    /// Lets every held answer, and any later one, go out.
    pub fn open(&self) {
        self.open.send_replace(true);
    }

    /// Whether a request has reached the gate.
    pub fn is_reached(&self) -> bool {
        *self.reached.borrow()
    }

    async fn hold(&self) {
        self.reached.send_replace(true);
        let mut open = self.open.subscribe();
        let _ = open.wait_for(|o| *o).await;
    }
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Bytes::from_static(b"ok"),
            delay: Duration::ZERO,
            gate: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn json(mut self, value: serde_json::Value) -> Self {
        self.body = Bytes::from(value.to_string());
        self.header("content-type", "application/json")
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Holds the answer at `gate` until the test opens it.
    pub fn held_at(mut self, gate: &Gate) -> Self {
        self.gate = Some(gate.clone());
        self
    }
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub addr: Option<SocketAddr>,
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    connections: Arc<AtomicUsize>,
    /// The status answered once the script is used up (0 means 200).
    fallback: Arc<AtomicU16>,
    /// The accept loop; it owns every connection's task, so aborting it cuts them all.
    server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Receiver {
    /// Starts a receiver on 127.0.0.1; it answers 200 unless replies were scripted.
    pub async fn start() -> Receiver {
        Self::start_on("127.0.0.1:0".parse().expect("address")).await
    }

    /// Starts a receiver on `addr` (say `[::1]:0`).
    pub async fn start_on(addr: SocketAddr) -> Receiver {
        let listener = TcpListener::bind(addr).await.expect("bind receiver");
        let receiver = Receiver {
            addr: Some(listener.local_addr().expect("addr")),
            ..Default::default()
        };
        receiver.serve(listener);
        receiver
    }

    fn serve(&self, listener: TcpListener) {
        let shared = self.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let shared = shared.clone();
                        async move { Ok::<_, std::convert::Infallible>(shared.answer_one(req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
                // Finished connections leave the set as they go.
                while connections.try_join_next().is_some() {}
            }
        });
        *self.server.lock().unwrap() = Some(task);
    }

    /// Goes down: the port stops listening (connections are refused) and open connections are cut.
    pub async fn go_down(&self) {
        let task = self.server.lock().unwrap().take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }

    /// Comes back on the same address.
    pub async fn come_back(&self) {
        let addr = self.addr.expect("started");
        let listener = TcpListener::bind(addr).await.expect("bind receiver again");
        self.serve(listener);
    }

    /// Once the script is used up, answer `status` (200 again with `answer_all(200)`).
    pub fn answer_all(&self, status: u16) {
        self.fallback.store(status, Ordering::SeqCst);
    }

    async fn answer_one(
        &self,
        req: hyper::Request<hyper::body::Incoming>,
    ) -> hyper::Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let headers = parts
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        self.received.lock().unwrap().push(Received {
            method: parts.method.to_string(),
            path: parts.uri.path().to_string(),
            headers,
            body,
        });
        let reply = self.script.lock().unwrap().pop_front().unwrap_or_else(|| {
            match self.fallback.load(Ordering::SeqCst) {
                0 => Reply::status(200),
                status => Reply::status(status),
            }
        });
        if !reply.delay.is_zero() {
            tokio::time::sleep(reply.delay).await;
        }
        if let Some(gate) = &reply.gate {
            gate.hold().await;
        }
        let mut resp = hyper::Response::new(Full::new(reply.body));
        *resp.status_mut() = hyper::StatusCode::from_u16(reply.status).unwrap();
        for (name, value) in &reply.headers {
            resp.headers_mut().insert(
                hyper::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                hyper::header::HeaderValue::from_str(value).unwrap(),
            );
        }
        resp
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr.expect("started"))
    }

    /// The next requests get these statuses, in order.
    pub fn answer(&self, statuses: &[u16]) {
        self.reply(statuses.iter().map(|s| Reply::status(*s)));
    }

    /// The next requests get these replies, in order.
    pub fn reply(&self, replies: impl IntoIterator<Item = Reply>) {
        self.script.lock().unwrap().extend(replies);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// TCP connections accepted so far (keep-alive reuses one for many requests).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

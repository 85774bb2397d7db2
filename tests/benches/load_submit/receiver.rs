//! A lean webhook receiver for the load benches: it keeps only what the checks need (which webhook-ids came
//! for which document of which job, and when each job's first webhook arrived), not the bodies, so its
//! memory does not grow with the payloads.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::net::TcpListener;

#[derive(Deserialize)]
struct Hook {
    job_id: String,
    document_id: String,
}

#[derive(Default)]
struct Seen {
    /// (job, document) -> the webhook-ids it came with.
    ids: HashMap<(String, String), HashSet<String>>,
    /// job -> when its first webhook arrived.
    first_arrival: HashMap<String, Instant>,
    requests: usize,
}

#[derive(Clone)]
pub struct HookReceiver {
    addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    connections: Arc<AtomicUsize>,
}

pub struct Report {
    pub documents: usize,
    pub requests: usize,
    pub same_id_repeats: usize,
    pub documents_with_several_ids: usize,
    pub lost_jobs: usize,
    pub unknown_jobs: usize,
    pub connections: usize,
}

impl HookReceiver {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Self {
            addr: listener.local_addr().unwrap(),
            seen: Default::default(),
            connections: Default::default(),
        };
        let shared = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::Relaxed);
                let seen = shared.seen.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let seen = seen.clone();
                        async move {
                            let id = req
                                .headers()
                                .get("webhook-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string();
                            let body = req.into_body().collect().await.map(|b| b.to_bytes());
                            let hook = body
                                .ok()
                                .and_then(|b| serde_json::from_slice::<Hook>(&b).ok());
                            let status = match hook {
                                Some(hook) => {
                                    let mut seen = seen.lock().unwrap();
                                    seen.requests += 1;
                                    seen.first_arrival
                                        .entry(hook.job_id.clone())
                                        .or_insert_with(Instant::now);
                                    seen.ids
                                        .entry((hook.job_id, hook.document_id))
                                        .or_default()
                                        .insert(id);
                                    200
                                }
                                None => 400,
                            };
                            let mut resp = hyper::Response::new(Full::new(Bytes::new()));
                            *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        receiver
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks/:id", self.addr)
    }

    /// Documents that got at least one webhook.
    pub fn documents(&self) -> usize {
        self.seen.lock().unwrap().ids.len()
    }

    /// When each job's first webhook arrived.
    #[allow(dead_code)] // used by the end_to_end bench, not by load_submit
    pub fn first_arrivals(&self) -> HashMap<String, Instant> {
        self.seen.lock().unwrap().first_arrival.clone()
    }

    pub fn report(&self, submitted: &HashSet<String>) -> Report {
        let seen = self.seen.lock().unwrap();
        let delivered_jobs: HashSet<&String> = seen.ids.keys().map(|(job, _)| job).collect();
        Report {
            documents: seen.ids.len(),
            requests: seen.requests,
            same_id_repeats: seen.requests - seen.ids.values().map(HashSet::len).sum::<usize>(),
            documents_with_several_ids: seen.ids.values().filter(|ids| ids.len() > 1).count(),
            lost_jobs: submitted
                .iter()
                .filter(|job| !delivered_jobs.contains(job))
                .count(),
            unknown_jobs: delivered_jobs
                .iter()
                .filter(|job| !submitted.contains(**job))
                .count(),
            connections: self.connections.load(Ordering::Relaxed),
        }
    }
}

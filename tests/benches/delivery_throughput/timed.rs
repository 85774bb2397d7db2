//! Port decorators that add up the time spent in each call on the delivery path, to show where a
//! delivery's time goes (`PAGEWIRE_BENCH_BREAKDOWN=1`). Calls overlap (a batch's records run
//! concurrently), so the per-call means are latencies, not shares of the wall time.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use pagewire_core::ids::{DocumentId, EndpointId, JobId, TemplateId, TenantId};
use pagewire_core::model::{Delivery, DeliveryAttempt, Document, Job, WebhookEndpoint};
use pagewire_core::ports::{
    AttemptLog, DeliveryRecords, DocumentRecords, EndpointRecords, JobRecords, MessageSink,
    ObjectStore, OutboundRequest, OutboundResponse, QueueConsumer, QueueMessage, TransportError,
    WebhookTransport,
};
use pagewire_core::StoreError;
use pagewire_lambda_kit::wiring::Storage;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Timings(Mutex<BTreeMap<&'static str, (u64, Duration)>>);

impl Timings {
    async fn time<T>(&self, name: &'static str, call: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let out = call.await;
        let mut map = self.0.lock().unwrap();
        let entry = map.entry(name).or_default();
        entry.0 += 1;
        entry.1 += started.elapsed();
        out
    }

    pub fn report(&self, deliveries: usize) -> String {
        let map = self.0.lock().unwrap();
        let mut lines = vec![format!(
            "  {:<34} {:>8} {:>10}",
            "port call", "per dlv", "mean us"
        )];
        for (name, (count, total)) in map.iter() {
            lines.push(format!(
                "  {name:<34} {:>8.2} {:>10.1}",
                *count as f64 / deliveries as f64,
                total.as_secs_f64() * 1e6 / *count as f64,
            ));
        }
        lines.join("\n")
    }
}

pub struct Timed<T: ?Sized> {
    inner: Arc<T>,
    t: Arc<Timings>,
}

fn timed<T: ?Sized>(inner: Arc<T>, t: &Arc<Timings>) -> Arc<Timed<T>> {
    Arc::new(Timed {
        inner,
        t: t.clone(),
    })
}

/// `storage` with every port the delivery path uses wrapped.
pub fn wrap(storage: &Storage, t: &Arc<Timings>) -> Storage {
    let mut w = storage.clone();
    w.jobs = timed(storage.jobs.clone(), t);
    w.documents = timed(storage.documents.clone(), t);
    w.deliveries = timed(storage.deliveries.clone(), t);
    w.attempts = timed(storage.attempts.clone(), t);
    w.endpoints = timed(storage.endpoints.clone(), t);
    w.objects = timed(storage.objects.clone(), t);
    w.delivery_sink = timed(storage.delivery_sink.clone(), t);
    w
}

pub fn wrap_consumer(q: Arc<dyn QueueConsumer>, t: &Arc<Timings>) -> Arc<dyn QueueConsumer> {
    timed(q, t)
}

pub fn wrap_transport(
    transport: Arc<dyn WebhookTransport>,
    t: &Arc<Timings>,
) -> Arc<dyn WebhookTransport> {
    timed(transport, t)
}

/// Implements `$port` for `Timed<$inner>` by timing each call of the inner port under `port.method`.
macro_rules! timed_port {
    ($port:ident for $inner:ty { $(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)+ }) => {
        #[async_trait]
        impl $port for Timed<$inner> {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    let label = concat!(stringify!($port), ".", stringify!($name));
                    self.t.time(label, self.inner.$name($($arg),*)).await
                }
            )+
        }
    };
}

timed_port!(JobRecords for dyn JobRecords {
    fn insert_job(&self, job: &Job) -> Result<(), StoreError>;
    fn get_job(&self, id: JobId) -> Result<Option<Job>, StoreError>;
    fn update_job(&self, job: &Job) -> Result<(), StoreError>;
});

timed_port!(DocumentRecords for dyn DocumentRecords {
    fn insert_document(&self, d: &Document) -> Result<bool, StoreError>;
    fn get_document(&self, j: JobId, id: DocumentId) -> Result<Option<Document>, StoreError>;
    fn get_documents(&self, j: JobId, ids: &[DocumentId]) -> Result<Vec<Document>, StoreError>;
    fn update_document(&self, d: &Document) -> Result<(), StoreError>;
    fn list_documents(&self, j: JobId, now: DateTime<Utc>) -> Result<Vec<Document>, StoreError>;
});

macro_rules! timed_deliveries {
    ($inner:ty) => {
        timed_port!(DeliveryRecords for $inner {
            fn insert_delivery(&self, d: &Delivery) -> Result<bool, StoreError>;
            fn get_delivery(&self, j: JobId, id: &str) -> Result<Option<Delivery>, StoreError>;
            fn get_deliveries(&self, j: JobId, ids: &[String]) -> Result<Vec<Delivery>, StoreError>;
            fn update_delivery(&self, d: &Delivery) -> Result<(), StoreError>;
            fn list_deliveries(&self, j: JobId, now: DateTime<Utc>) -> Result<Vec<Delivery>, StoreError>;
            fn list_failed_deliveries(&self, t: TenantId, e: EndpointId, since: DateTime<Utc>, now: DateTime<Utc>, limit: usize) -> Result<Vec<Delivery>, StoreError>;
        });
    };
}
timed_deliveries!(dyn DeliveryRecords);
timed_deliveries!(dyn AttemptLog);

timed_port!(AttemptLog for dyn AttemptLog {
    fn append_attempt(&self, a: &DeliveryAttempt) -> Result<(), StoreError>;
    fn record_attempt(&self, a: &DeliveryAttempt, d: &Delivery) -> Result<(), StoreError>;
    fn list_job_attempts(&self, j: JobId, now: DateTime<Utc>) -> Result<Vec<DeliveryAttempt>, StoreError>;
    fn list_endpoint_attempts(
        &self,
        t: TenantId,
        e: EndpointId,
        now: DateTime<Utc>,
        limit: usize
    ) -> Result<Vec<DeliveryAttempt>, StoreError>;
});

timed_port!(EndpointRecords for dyn EndpointRecords {
    fn insert_endpoint(&self, e: &WebhookEndpoint) -> Result<(), StoreError>;
    fn update_endpoint(&self, e: &WebhookEndpoint) -> Result<(), StoreError>;
    fn get_endpoint(&self, t: TenantId, id: EndpointId) -> Result<Option<WebhookEndpoint>, StoreError>;
    fn list_endpoints(
        &self,
        t: TenantId,
        template: Option<TemplateId>
    ) -> Result<Vec<WebhookEndpoint>, StoreError>;
    fn delete_endpoint(&self, t: TenantId, id: EndpointId) -> Result<bool, StoreError>;
});

timed_port!(ObjectStore for dyn ObjectStore {
    fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError>;
    fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError>;
    fn delete(&self, key: &str) -> Result<(), StoreError>;
    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError>;
});

timed_port!(MessageSink for dyn MessageSink {
    fn send(&self, body: &str, delay: Duration) -> Result<(), StoreError>;
    fn send_for(&self, owner: &str, body: &str, delay: Duration) -> Result<(), StoreError>;
    fn change_visibility(&self, receipt: &str, hide: Duration) -> Result<(), StoreError>;
});

timed_port!(QueueConsumer for dyn QueueConsumer {
    fn receive(&self, max: usize, hide: Duration) -> Result<Vec<QueueMessage>, StoreError>;
    fn delete(&self, receipt: &str) -> Result<(), StoreError>;
    fn delete_batch(&self, receipts: &[String]) -> Result<(), StoreError>;
});

timed_port!(WebhookTransport for dyn WebhookTransport {
    fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, TransportError>;
});

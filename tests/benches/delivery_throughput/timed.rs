//! Port decorators that add up the time spent in each call on the delivery path, to show where a
//! delivery's time goes (`PAGEWIRE_BENCH_BREAKDOWN=1`). Calls overlap (a batch's records run
//! concurrently), so the per-call means are latencies, not shares of the wall time.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use pagewire_core::ids::{DocumentId, EndpointId, JobId, TemplateId, TenantId};
use pagewire_core::model::{
    ApiKeyRecord, Delivery, DeliveryAttempt, Document, IdempotencyRecord, Job, Template, Tenant,
    WebhookEndpoint,
};
use pagewire_core::ports::{
    ChargeOutcome, ConfigStore, JobStore, MessageQueue, ObjectStore, OutboundRequest,
    OutboundResponse, QueueMessage, TransportError, WebhookTransport,
};
use pagewire_core::{Services, StoreError};
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
            "  {:<26} {:>8} {:>10}",
            "port call", "per dlv", "mean us"
        )];
        for (name, (count, total)) in map.iter() {
            lines.push(format!(
                "  {name:<26} {:>8.2} {:>10.1}",
                *count as f64 / deliveries as f64,
                total.as_secs_f64() * 1e6 / *count as f64,
            ));
        }
        lines.join("\n")
    }
}

struct Timed<T: ?Sized> {
    inner: Arc<T>,
    t: Arc<Timings>,
}

/// `s` with every port the delivery path uses wrapped.
pub fn wrap(s: &Services, t: Arc<Timings>) -> Services {
    let mut w = s.clone();
    w.jobs = Arc::new(Timed {
        inner: s.jobs.clone(),
        t: t.clone(),
    });
    w.config = Arc::new(Timed {
        inner: s.config.clone(),
        t: t.clone(),
    });
    w.objects = Arc::new(Timed {
        inner: s.objects.clone(),
        t: t.clone(),
    });
    w.delivery_queue = wrap_queue(s.delivery_queue.clone(), t.clone());
    w.transport = Arc::new(Timed {
        inner: s.transport.clone(),
        t,
    });
    w
}

pub fn wrap_queue(q: Arc<dyn MessageQueue>, t: Arc<Timings>) -> Arc<dyn MessageQueue> {
    Arc::new(Timed { inner: q, t })
}

#[async_trait]
impl JobStore for Timed<dyn JobStore> {
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError> {
        self.t
            .time("jobs.insert_job", self.inner.insert_job(job))
            .await
    }
    async fn get_job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.t.time("jobs.get_job", self.inner.get_job(id)).await
    }
    async fn update_job(&self, job: &Job) -> Result<(), StoreError> {
        self.t
            .time("jobs.update_job", self.inner.update_job(job))
            .await
    }
    async fn insert_document(&self, d: &Document) -> Result<bool, StoreError> {
        self.t
            .time("jobs.insert_document", self.inner.insert_document(d))
            .await
    }
    async fn get_document(&self, j: JobId, id: DocumentId) -> Result<Option<Document>, StoreError> {
        self.t
            .time("jobs.get_document", self.inner.get_document(j, id))
            .await
    }
    async fn get_documents(
        &self,
        j: JobId,
        ids: &[DocumentId],
    ) -> Result<Vec<Document>, StoreError> {
        self.t
            .time("jobs.get_documents", self.inner.get_documents(j, ids))
            .await
    }
    async fn update_document(&self, d: &Document) -> Result<(), StoreError> {
        self.t
            .time("jobs.update_document", self.inner.update_document(d))
            .await
    }
    async fn list_documents(
        &self,
        j: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Document>, StoreError> {
        self.t
            .time("jobs.list_documents", self.inner.list_documents(j, now))
            .await
    }
    async fn insert_delivery(&self, d: &Delivery) -> Result<bool, StoreError> {
        self.t
            .time("jobs.insert_delivery", self.inner.insert_delivery(d))
            .await
    }
    async fn get_delivery(&self, j: JobId, id: &str) -> Result<Option<Delivery>, StoreError> {
        self.t
            .time("jobs.get_delivery", self.inner.get_delivery(j, id))
            .await
    }
    async fn get_deliveries(&self, j: JobId, ids: &[String]) -> Result<Vec<Delivery>, StoreError> {
        self.t
            .time("jobs.get_deliveries", self.inner.get_deliveries(j, ids))
            .await
    }
    async fn update_delivery(&self, d: &Delivery) -> Result<(), StoreError> {
        self.t
            .time("jobs.update_delivery", self.inner.update_delivery(d))
            .await
    }
    async fn list_deliveries(
        &self,
        j: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.t
            .time("jobs.list_deliveries", self.inner.list_deliveries(j, now))
            .await
    }
    async fn append_attempt(&self, a: &DeliveryAttempt) -> Result<(), StoreError> {
        self.t
            .time("jobs.append_attempt", self.inner.append_attempt(a))
            .await
    }
    async fn record_attempt(&self, a: &DeliveryAttempt, d: &Delivery) -> Result<(), StoreError> {
        self.t
            .time("jobs.record_attempt", self.inner.record_attempt(a, d))
            .await
    }
    async fn list_job_attempts(
        &self,
        j: JobId,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        self.inner.list_job_attempts(j, now).await
    }
    async fn list_endpoint_attempts(
        &self,
        t: TenantId,
        e: EndpointId,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        self.inner.list_endpoint_attempts(t, e, now, limit).await
    }
    async fn claim_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.t
            .time(
                "jobs.claim_idempotency_key",
                self.inner.claim_idempotency_key(record, now),
            )
            .await
    }
    async fn put_idempotency_record(&self, record: &IdempotencyRecord) -> Result<(), StoreError> {
        self.t
            .time(
                "jobs.put_idempotency_record",
                self.inner.put_idempotency_record(record),
            )
            .await
    }
    async fn release_idempotency_key(&self, tenant: TenantId, key: &str) -> Result<(), StoreError> {
        self.t
            .time(
                "jobs.release_idempotency_key",
                self.inner.release_idempotency_key(tenant, key),
            )
            .await
    }
}

#[async_trait]
impl ConfigStore for Timed<dyn ConfigStore> {
    async fn insert_tenant(&self, t: &Tenant) -> Result<(), StoreError> {
        self.inner.insert_tenant(t).await
    }
    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        self.inner.get_tenant(id).await
    }
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        self.inner.list_tenants().await
    }
    async fn add_credits(&self, id: TenantId, delta: i64) -> Result<i64, StoreError> {
        self.inner.add_credits(id, delta).await
    }
    async fn charge_credits(
        &self,
        id: TenantId,
        charge: &str,
        pages: u32,
    ) -> Result<ChargeOutcome, StoreError> {
        self.inner.charge_credits(id, charge, pages).await
    }
    async fn insert_api_key(&self, k: &ApiKeyRecord) -> Result<(), StoreError> {
        self.inner.insert_api_key(k).await
    }
    async fn find_api_key(&self, h: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.inner.find_api_key(h).await
    }
    async fn put_template(&self, t: &Template) -> Result<(), StoreError> {
        self.inner.put_template(t).await
    }
    async fn get_template(
        &self,
        t: TenantId,
        id: TemplateId,
    ) -> Result<Option<Template>, StoreError> {
        self.inner.get_template(t, id).await
    }
    async fn list_templates(&self, t: TenantId) -> Result<Vec<Template>, StoreError> {
        self.inner.list_templates(t).await
    }
    async fn delete_template(&self, t: TenantId, id: TemplateId) -> Result<bool, StoreError> {
        self.inner.delete_template(t, id).await
    }
    async fn put_endpoint(&self, e: &WebhookEndpoint) -> Result<(), StoreError> {
        self.t
            .time("config.put_endpoint", self.inner.put_endpoint(e))
            .await
    }
    async fn get_endpoint(
        &self,
        t: TenantId,
        id: EndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        self.t
            .time("config.get_endpoint", self.inner.get_endpoint(t, id))
            .await
    }
    async fn list_endpoints(
        &self,
        t: TenantId,
        template: Option<TemplateId>,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        self.inner.list_endpoints(t, template).await
    }
    async fn delete_endpoint(&self, t: TenantId, id: EndpointId) -> Result<bool, StoreError> {
        self.inner.delete_endpoint(t, id).await
    }
}

#[async_trait]
impl ObjectStore for Timed<dyn ObjectStore> {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError> {
        self.inner.put(key, body, content_type).await
    }
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        self.inner.get(key).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.t.time("objects.delete", self.inner.delete(key)).await
    }
    async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.t
            .time("objects.delete_many", self.inner.delete_many(keys))
            .await
    }
}

#[async_trait]
impl MessageQueue for Timed<dyn MessageQueue> {
    async fn send(&self, body: &str, delay: Duration) -> Result<(), StoreError> {
        self.t
            .time("queue.send", self.inner.send(body, delay))
            .await
    }
    async fn receive(&self, max: usize, hide: Duration) -> Result<Vec<QueueMessage>, StoreError> {
        self.t
            .time("queue.receive", self.inner.receive(max, hide))
            .await
    }
    async fn delete(&self, receipt: &str) -> Result<(), StoreError> {
        self.t
            .time("queue.delete", self.inner.delete(receipt))
            .await
    }
    async fn delete_batch(&self, receipts: &[String]) -> Result<(), StoreError> {
        self.t
            .time("queue.delete_batch", self.inner.delete_batch(receipts))
            .await
    }
    async fn change_visibility(&self, receipt: &str, hide: Duration) -> Result<(), StoreError> {
        self.t
            .time(
                "queue.change_visibility",
                self.inner.change_visibility(receipt, hide),
            )
            .await
    }
}

#[async_trait]
impl WebhookTransport for Timed<dyn WebhookTransport> {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, TransportError> {
        self.t
            .time("transport.send", self.inner.send(request))
            .await
    }
}

//! Minimal valid domain items for tests of adapters and use cases (feature `fixtures`): every port
//! implementation is tested with the same items.

use crate::ids::{DocumentId, EndpointId, JobId, TemplateId, TenantId};
use crate::model::{
    DateOrder, Delivery, DeliveryAttempt, DeliveryTask, Document, EndpointAuth, EventType,
    FileKind, HttpMethod, Job, Status, Template, Tenant, WebhookEndpoint,
};
use chrono::{DateTime, TimeZone, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// A fixed start time, so tests read the same on every run.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date")
}

pub fn job(now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Job {
    let (id, tenant_id) = (JobId::random(), TenantId::random());
    Job {
        id,
        tenant_id,
        template_id: TemplateId::random(),
        status: Status::New,
        file_name: "invoice.pdf".to_string(),
        file_kind: Some(FileKind::Pdf),
        upload_key: format!("uploads/{tenant_id}/{id}/source"),
        static_values: serde_json::Map::new(),
        endpoint_ids: vec![],
        documents_total: None,
        completed_documents: BTreeSet::new(),
        pages: 0,
        credits_charged: 0,
        error: None,
        created_at: now,
        updated_at: now,
        completed_at: None,
        expires_at,
        version: 0,
    }
}

pub fn document(job: &Job, ordinal: u32, expires_at: DateTime<Utc>) -> Document {
    let id = DocumentId::derive(job.id, ordinal as usize, "invoice.pdf");
    Document {
        id,
        job_id: job.id,
        tenant_id: job.tenant_id,
        ordinal,
        file_name: "invoice.pdf".to_string(),
        object_key: format!("documents/{}/{id}", job.id),
        file_kind: Some(FileKind::Pdf),
        status: Status::New,
        pages: 0,
        credits_charged: 0,
        fields: None,
        error: None,
        deliveries_enqueued: false,
        object_deleted: false,
        created_at: job.created_at,
        updated_at: job.created_at,
        completed_at: None,
        expires_at,
        version: 0,
    }
}

pub fn delivery(
    job: &Job,
    webhook_id: &str,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Delivery {
    let task = DeliveryTask {
        tenant_id: job.tenant_id,
        job_id: job.id,
        document_id: Some(DocumentId::random()),
        endpoint_id: EndpointId::random(),
        event_type: EventType::DocumentCompleted,
        webhook_id: webhook_id.to_string(),
        round: 0,
    };
    let mut delivery = Delivery::pending(task, created_at, expires_at);
    delivery.next_attempt_at = None;
    delivery
}

pub fn attempt(
    tenant: TenantId,
    endpoint: EndpointId,
    job: Option<JobId>,
    number: u32,
    attempted_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> DeliveryAttempt {
    DeliveryAttempt {
        webhook_id: "msg_test".to_string(),
        tenant_id: tenant,
        endpoint_id: endpoint,
        job_id: job,
        document_id: None,
        event_type: EventType::WebhookTest,
        attempt: number,
        attempted_at,
        status_code: Some(200),
        latency_ms: 12,
        error_class: None,
        error: None,
        expires_at,
    }
}

pub fn tenant(credits: i64, created_at: DateTime<Utc>) -> Tenant {
    Tenant {
        id: TenantId::random(),
        name: "Acme".to_string(),
        credits,
        created_at,
    }
}

pub fn template(tenant: TenantId, name: &str, created_at: DateTime<Utc>) -> Template {
    Template {
        id: TemplateId::random(),
        tenant_id: tenant,
        name: name.to_string(),
        fields: vec![],
        date_order: Some(DateOrder::default()),
        decimal_separator: None,
        created_at,
        updated_at: created_at,
        version: 0,
    }
}

pub fn endpoint(
    tenant: TenantId,
    template: TemplateId,
    name: &str,
    created_at: DateTime<Utc>,
) -> WebhookEndpoint {
    WebhookEndpoint {
        id: EndpointId::random(),
        tenant_id: tenant,
        template_id: template,
        name: name.to_string(),
        url: "https://example.com/hook/:id".to_string(),
        method: HttpMethod::Post,
        headers: BTreeMap::new(),
        enabled: true,
        disabled_reason: None,
        disabled_at: None,
        failure_run: None,
        announcement_pending: false,
        event_types: vec![],
        auth: EndpointAuth::None,
        secret: "whsec_c2VjcmV0".to_string(),
        previous_secret: None,
        created_at,
        updated_at: created_at,
        version: 0,
    }
}

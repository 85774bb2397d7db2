//! Sending one event to one endpoint: sign, send, record, and decide what happens next.

use crate::error::{CoreError, StoreError};
use crate::ids::{DocumentId, JobId};
use crate::model::{
    Delivery, DeliveryAttempt, DeliveryStatus, DeliveryTask, EndpointAuth, ErrorClass, EventType,
    WebhookEndpoint,
};
use crate::policy::retry::{next_retry_delay, parse_retry_after, FailedAttempt};
use crate::policy::signature::signature_header;
use crate::policy::webhook_config::url_for_document;
use crate::ports::{OutboundRequest, TransportError};
use crate::services::Services;
use crate::usecases::payload::document_event_body;
use crate::usecases::update::modify_document;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use rand::Rng;
use std::time::{Duration, Instant};

/// What the queue should do with the task's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// A 2xx was recorded: delete the message.
    Delivered,
    /// Make the message visible again after this delay.
    RetryIn(Duration),
    /// No attempt is left: the delivery is `failed`; the message goes on to the dead-letter queue.
    Exhausted,
    /// Nothing to send (already delivered, stale round, job expired, endpoint gone): delete the message.
    Dropped(&'static str),
}

/// How one HTTP attempt went.
#[derive(Debug, Clone)]
pub struct SendResult {
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error_class: Option<ErrorClass>,
    pub error: Option<String>,
    /// `None` when the receiver answered 2xx.
    pub failure: Option<FailedAttempt>,
}

impl SendResult {
    fn refused(why: String) -> Self {
        Self {
            status_code: None,
            latency_ms: 0,
            error_class: Some(ErrorClass::Refused),
            error: Some(why),
            failure: Some(FailedAttempt::Permanent),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn into_attempt(
        self,
        webhook_id: &str,
        endpoint: &WebhookEndpoint,
        job: Option<JobId>,
        document: Option<DocumentId>,
        event_type: EventType,
        attempt: u32,
        at: DateTime<Utc>,
        s: &Services,
    ) -> DeliveryAttempt {
        DeliveryAttempt {
            webhook_id: webhook_id.to_string(),
            tenant_id: endpoint.tenant_id,
            endpoint_id: endpoint.id,
            job_id: job,
            document_id: document,
            event_type,
            attempt,
            attempted_at: at,
            status_code: self.status_code,
            latency_ms: self.latency_ms,
            error_class: self.error_class,
            error: self.error,
            expires_at: at + s.settings.retention,
        }
    }
}

const USER_AGENT: &str = concat!("pagewire/", env!("CARGO_PKG_VERSION"));

/// Signs `body` with the endpoint's secrets and sends it to `url_text` (already `:id`-substituted or not).
pub async fn send_signed(
    s: &Services,
    endpoint: &WebhookEndpoint,
    webhook_id: &str,
    url_text: &str,
    body: Bytes,
) -> SendResult {
    let allow_http = s.settings.allow_http_webhooks;
    let url = match crate::policy::webhook_config::check_url(url_text, allow_http) {
        Ok(url) => url,
        Err(refused) => return SendResult::refused(refused.0),
    };
    let now = s.clock.now();
    let timestamp = now.timestamp();
    let signature =
        match signature_header(&endpoint.signing_secrets(now), webhook_id, timestamp, &body) {
            Ok(sig) => sig,
            Err(e) => return SendResult::refused(e.to_string()),
        };
    let mut headers: Vec<(String, String)> = endpoint
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    headers.retain(|(k, _)| {
        !k.eq_ignore_ascii_case("content-type") && !k.eq_ignore_ascii_case("user-agent")
    });
    headers.push(("content-type".into(), "application/json".into()));
    headers.push(("user-agent".into(), USER_AGENT.into()));
    headers.push(("webhook-id".into(), webhook_id.to_string()));
    headers.push(("webhook-timestamp".into(), timestamp.to_string()));
    headers.push(("webhook-signature".into(), signature));
    match authorization(s, &endpoint.auth).await {
        Ok(Some(value)) => {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
            headers.push(("authorization".into(), value));
        }
        Ok(None) => {}
        Err(result) => return result,
    }
    let request = OutboundRequest {
        method: endpoint.method,
        url,
        headers,
        body,
        timeout: s.settings.webhook_timeout,
    };
    let started = Instant::now();
    let sent = s.transport.send(request).await;
    let latency_ms = started.elapsed().as_millis() as u64;
    match sent {
        Ok(resp) if (200..300).contains(&resp.status) => SendResult {
            status_code: Some(resp.status),
            latency_ms,
            error_class: None,
            error: None,
            failure: None,
        },
        Ok(resp) => {
            let redirect = (300..400).contains(&resp.status);
            let retry_after = resp.header("retry-after").and_then(parse_retry_after);
            SendResult {
                status_code: Some(resp.status),
                latency_ms,
                error_class: Some(if redirect {
                    ErrorClass::Redirect
                } else {
                    ErrorClass::HttpStatus
                }),
                error: Some(if redirect {
                    format!("redirect {} not followed", resp.status)
                } else {
                    format!("receiver answered {}", resp.status)
                }),
                failure: Some(if redirect {
                    FailedAttempt::Transient
                } else {
                    FailedAttempt::Status {
                        code: resp.status,
                        retry_after,
                    }
                }),
            }
        }
        Err(err) => transport_failure(err, latency_ms),
    }
}

fn transport_failure(err: TransportError, latency_ms: u64) -> SendResult {
    let (class, failure) = match &err {
        TransportError::Timeout => (ErrorClass::Timeout, FailedAttempt::Timeout),
        TransportError::Connect(_) => (ErrorClass::Connect, FailedAttempt::Transient),
        TransportError::Refused(_) => (ErrorClass::Refused, FailedAttempt::Permanent),
    };
    SendResult {
        status_code: None,
        latency_ms,
        error_class: Some(class),
        error: Some(err.to_string()),
        failure: Some(failure),
    }
}

/// The `Authorization` value for the endpoint's auth mode; a failed token fetch is a failed attempt.
async fn authorization(s: &Services, auth: &EndpointAuth) -> Result<Option<String>, SendResult> {
    match auth {
        EndpointAuth::None => Ok(None),
        EndpointAuth::Fixed { authorization } => Ok(Some(authorization.clone())),
        EndpointAuth::TokenUrl {
            url,
            method,
            headers,
            body,
            token_attribute,
            scheme,
        } => {
            let auth_failed = |why: String| SendResult {
                status_code: None,
                latency_ms: 0,
                error_class: Some(ErrorClass::Auth),
                error: Some(why),
                failure: Some(FailedAttempt::Transient),
            };
            let url = crate::policy::webhook_config::check_url(url, s.settings.allow_http_webhooks)
                .map_err(|r| SendResult::refused(format!("auth url: {}", r.0)))?;
            let mut hdrs: Vec<(String, String)> = headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let payload = match body {
                None => Bytes::new(),
                Some(serde_json::Value::String(text)) => Bytes::from(text.clone()),
                Some(json) => {
                    if !hdrs
                        .iter()
                        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                    {
                        hdrs.push(("content-type".into(), "application/json".into()));
                    }
                    Bytes::from(json.to_string())
                }
            };
            let request = OutboundRequest {
                method: *method,
                url,
                headers: hdrs,
                body: payload,
                timeout: s.settings.webhook_timeout,
            };
            let resp = s
                .transport
                .send(request)
                .await
                .map_err(|e| auth_failed(format!("auth url: {e}")))?;
            if !(200..300).contains(&resp.status) {
                return Err(auth_failed(format!("auth url answered {}", resp.status)));
            }
            let json: serde_json::Value = serde_json::from_slice(&resp.body)
                .map_err(|_| auth_failed("auth url did not answer JSON".to_string()))?;
            let token = json
                .get(token_attribute)
                .and_then(|v| v.as_str())
                .filter(|t| !t.is_empty() && !t.contains(['\r', '\n']))
                .ok_or_else(|| {
                    auth_failed(format!(
                        "auth response has no string attribute {token_attribute:?}"
                    ))
                })?;
            Ok(Some(format!("{scheme} {token}")))
        }
    }
}

/// Delivers one task: the whole decision of the deliver-webhook function for one queue message.
pub async fn deliver(s: &Services, task: &DeliveryTask) -> Result<DeliveryOutcome, CoreError> {
    let now = s.clock.now();
    let Some(mut delivery) = s.jobs.get_delivery(task.job_id, &task.webhook_id).await? else {
        return Ok(DeliveryOutcome::Dropped("unknown delivery"));
    };
    if delivery.expires_at <= now || delivery.tenant_id != task.tenant_id {
        return Ok(DeliveryOutcome::Dropped("delivery expired"));
    }
    if delivery.round != task.round {
        return Ok(DeliveryOutcome::Dropped("message of an earlier round"));
    }
    match delivery.status {
        DeliveryStatus::Succeeded => return Ok(DeliveryOutcome::Dropped("already delivered")),
        DeliveryStatus::Failed => return Ok(DeliveryOutcome::Exhausted),
        DeliveryStatus::Pending => {}
    }
    let job = match s.jobs.get_job(task.job_id).await? {
        Some(job) if !job.is_expired(now) => job,
        _ => return Ok(DeliveryOutcome::Dropped("job expired")),
    };
    let Some(doc) = s.jobs.get_document(task.job_id, task.document_id).await? else {
        return Ok(DeliveryOutcome::Dropped("document expired"));
    };
    let endpoint = match s
        .config
        .get_endpoint(task.tenant_id, task.endpoint_id)
        .await?
    {
        Some(e) if e.enabled => e,
        found => {
            let why = if found.is_some() {
                "endpoint disabled"
            } else {
                "endpoint deleted"
            };
            finish(
                s,
                &mut delivery,
                DeliveryStatus::Failed,
                None,
                Some(why.to_string()),
                None,
            )
            .await?;
            return Ok(DeliveryOutcome::Dropped(why));
        }
    };

    let body = document_event_body(&job, &doc, task.event_type);
    let sent = match url_for_document(
        &endpoint.url,
        &doc.id.to_string(),
        s.settings.allow_http_webhooks,
    ) {
        Ok(url) => send_signed(s, &endpoint, &task.webhook_id, url.as_str(), body).await,
        Err(refused) => SendResult::refused(refused.0),
    };
    let attempt_no = delivery.total_attempts + 1;
    let attempt = sent.clone().into_attempt(
        &task.webhook_id,
        &endpoint,
        Some(job.id),
        Some(doc.id),
        task.event_type,
        attempt_no,
        now,
        s,
    );
    s.jobs.append_attempt(&attempt).await?;
    delivery.round_attempts += 1;
    delivery.total_attempts += 1;

    let Some(failure) = sent.failure else {
        finish(
            s,
            &mut delivery,
            DeliveryStatus::Succeeded,
            sent.status_code,
            None,
            None,
        )
        .await?;
        release_document_file(s, job.id, doc.id).await?;
        return Ok(DeliveryOutcome::Delivered);
    };
    if sent.status_code == Some(410) {
        disable_endpoint(s, &endpoint, "the receiver answered 410 Gone").await?;
    }
    let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
    match next_retry_delay(delivery.round_attempts, failure, jitter) {
        Some(delay) => {
            let next = now + chrono::Duration::from_std(delay).unwrap_or_default();
            finish(
                s,
                &mut delivery,
                DeliveryStatus::Pending,
                sent.status_code,
                sent.error,
                Some(next),
            )
            .await?;
            Ok(DeliveryOutcome::RetryIn(delay))
        }
        None => {
            finish(
                s,
                &mut delivery,
                DeliveryStatus::Failed,
                sent.status_code,
                sent.error,
                None,
            )
            .await?;
            if sent.status_code == Some(410) || failure == FailedAttempt::Permanent {
                // Retrying cannot help and the attempt log says why: no dead letter to handle.
                Ok(DeliveryOutcome::Dropped("refused permanently"))
            } else {
                Ok(DeliveryOutcome::Exhausted)
            }
        }
    }
}

async fn finish(
    s: &Services,
    delivery: &mut Delivery,
    status: DeliveryStatus,
    code: Option<u16>,
    error: Option<String>,
    next: Option<DateTime<Utc>>,
) -> Result<(), CoreError> {
    delivery.status = status;
    if code.is_some() {
        delivery.last_status_code = code;
    }
    delivery.last_error = error;
    delivery.next_attempt_at = next;
    delivery.updated_at = s.clock.now();
    match s.jobs.update_delivery(delivery).await {
        Ok(()) => {
            delivery.version += 1;
            Ok(())
        }
        // Another copy of the same message got there first; its write stands.
        Err(StoreError::Conflict) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

async fn disable_endpoint(
    s: &Services,
    endpoint: &WebhookEndpoint,
    why: &str,
) -> Result<(), CoreError> {
    let mut disabled = endpoint.clone();
    disabled.enabled = false;
    disabled.disabled_reason = Some(why.to_string());
    disabled.updated_at = s.clock.now();
    s.config.put_endpoint(&disabled).await?;
    Ok(())
}

/// Deletes a document's stored file once every endpoint it was sent to answered 2xx.
pub(crate) async fn release_document_file(
    s: &Services,
    job: JobId,
    document: DocumentId,
) -> Result<(), CoreError> {
    let deliveries = s.jobs.list_deliveries(job, s.clock.now()).await?;
    let all_delivered = deliveries
        .iter()
        .filter(|d| d.document_id == document)
        .all(|d| d.status == DeliveryStatus::Succeeded);
    if !all_delivered {
        return Ok(());
    }
    let Some(doc) = s.jobs.get_document(job, document).await? else {
        return Ok(());
    };
    if doc.object_deleted {
        return Ok(());
    }
    s.objects.delete(&doc.object_key).await?;
    modify_document(s, job, document, |d| {
        !std::mem::replace(&mut d.object_deleted, true)
    })
    .await?;
    Ok(())
}

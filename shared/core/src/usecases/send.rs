//! One signed HTTP request to a receiver, with its auth, and how it went. Shared by queued deliveries and
//! `POST /webhooks/{id}/test`; what happens next is decided by the caller.

use crate::auth_tokens::{AuthFingerprint, AuthToken, FetchFailed, ObtainedToken, TokenKey};
use crate::ids::{DocumentId, JobId};
use crate::model::{
    DeliveryAttempt, EndpointAuth, ErrorClass, EventType, HttpMethod, WebhookEndpoint,
};
use crate::policy::auth_token::{read_grant, token_request_body};
use crate::policy::retry::{parse_retry_after, FailedAttempt};
use crate::policy::signature::signature_header;
use crate::policy::webhook_config::check_url;
use crate::ports::{OutboundRequest, OutboundResponse, TransportError};
use crate::services::Services;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::Instant;
use url::Url;

const USER_AGENT: &str = concat!("pagewire/", env!("CARGO_PKG_VERSION"));

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct SendResult {
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error_class: Option<ErrorClass>,
    /// A short reason for the attempt log: never a body, a token or a secret.
    pub error: Option<String>,
    /// `None` when the receiver answered 2xx.
    pub failure: Option<FailedAttempt>,
}

impl SendResult {
    pub fn refused(why: String) -> Self {
        Self {
            status_code: None,
            latency_ms: 0,
            error_class: Some(ErrorClass::Refused),
            error: Some(why),
            failure: Some(FailedAttempt::Permanent),
        }
    }

    fn auth_failed(why: String, latency_ms: u64, failure: FailedAttempt) -> Self {
        Self {
            status_code: None,
            latency_ms,
            error_class: Some(ErrorClass::Auth),
            error: Some(why),
            failure: Some(failure),
        }
    }

    fn from_response(resp: &OutboundResponse, latency_ms: u64) -> Self {
        let status = resp.status;
        if (200..300).contains(&status) {
            return Self {
                status_code: Some(status),
                latency_ms,
                error_class: None,
                error: None,
                failure: None,
            };
        }
        let redirect = (300..400).contains(&status);
        Self {
            status_code: Some(status),
            latency_ms,
            error_class: Some(if redirect {
                ErrorClass::Redirect
            } else {
                ErrorClass::HttpStatus
            }),
            error: Some(if redirect {
                format!("redirect {status} not followed")
            } else {
                format!("receiver answered {status}")
            }),
            failure: Some(if redirect {
                FailedAttempt::Transient
            } else {
                FailedAttempt::Status {
                    code: status,
                    retry_after: resp.header("retry-after").and_then(parse_retry_after),
                }
            }),
        }
    }

    fn from_transport_error(err: TransportError, latency_ms: u64) -> Self {
        let (class, failure) = match &err {
            TransportError::Timeout => (ErrorClass::Timeout, FailedAttempt::Timeout),
            TransportError::Connect(_) => (ErrorClass::Connect, FailedAttempt::Transient),
            TransportError::Refused(_) => (ErrorClass::Refused, FailedAttempt::Permanent),
        };
        Self {
            status_code: None,
            latency_ms,
            error_class: Some(class),
            error: Some(err.to_string()),
            failure: Some(failure),
        }
    }

    /// The attempt-log entry of this result.
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

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Signs `body` with the endpoint's secrets (the retired one too, during its grace period) and sends it to
/// `url`, which the caller has checked and `:id`-substituted. With a token-URL auth, a 401 on a reused
/// token fetches a new one and sends once more within the same attempt.
pub async fn send_signed(
    s: &Services,
    endpoint: &WebhookEndpoint,
    webhook_id: &str,
    url: Url,
    body: Bytes,
) -> SendResult {
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
        .filter(|(k, _)| {
            !k.eq_ignore_ascii_case("content-type") && !k.eq_ignore_ascii_case("user-agent")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    headers.push(("content-type".into(), "application/json".into()));
    headers.push(("user-agent".into(), USER_AGENT.into()));
    headers.push(("webhook-id".into(), webhook_id.to_string()));
    headers.push(("webhook-timestamp".into(), timestamp.to_string()));
    headers.push(("webhook-signature".into(), signature));
    let request = |authorization: Option<String>| {
        let mut headers = headers.clone();
        if let Some(value) = authorization {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
            headers.push(("authorization".into(), value));
        }
        OutboundRequest {
            method: endpoint.method,
            url: url.clone(),
            headers,
            body: body.clone(),
            timeout: s.settings.webhook_timeout,
        }
    };

    let started = Instant::now();
    match &endpoint.auth {
        EndpointAuth::None => send(s, request(None), started).await.0,
        EndpointAuth::Fixed { authorization } => {
            send(s, request(Some(authorization.clone())), started)
                .await
                .0
        }
        EndpointAuth::TokenUrl { scheme, .. } => {
            let key = TokenKey {
                tenant: endpoint.tenant_id,
                endpoint: endpoint.id,
            };
            let header = |token: &AuthToken| match scheme.trim() {
                "" => token.expose().to_string(),
                scheme => format!("{scheme} {}", token.expose()),
            };
            let mut obtained = match obtain_token(s, endpoint, key).await {
                Ok(obtained) => obtained,
                Err(result) => return with_latency(result, started),
            };
            loop {
                let (result, status) =
                    send(s, request(Some(header(&obtained.token))), started).await;
                if status != Some(401) {
                    return result;
                }
                s.auth_tokens.invalidate(key, &obtained.token).await;
                if obtained.fresh {
                    return result;
                }
                // The reused token was refused: fetch another and try it once.
                obtained = match obtain_token(s, endpoint, key).await {
                    Ok(obtained) => obtained,
                    Err(result) => return with_latency(result, started),
                };
            }
        }
    }
}

fn with_latency(mut result: SendResult, started: Instant) -> SendResult {
    result.latency_ms = elapsed_ms(started);
    result
}

/// Sends and classifies; also returns the status code to let the caller react to a 401.
async fn send(
    s: &Services,
    request: OutboundRequest,
    started: Instant,
) -> (SendResult, Option<u16>) {
    match s.transport.send(request).await {
        Ok(resp) => (
            SendResult::from_response(&resp, elapsed_ms(started)),
            Some(resp.status),
        ),
        Err(err) => (
            SendResult::from_transport_error(err, elapsed_ms(started)),
            None,
        ),
    }
}

/// The endpoint's token from the cache, or fetched from its auth URL.
async fn obtain_token(
    s: &Services,
    endpoint: &WebhookEndpoint,
    key: TokenKey,
) -> Result<ObtainedToken, SendResult> {
    let EndpointAuth::TokenUrl {
        url,
        method,
        headers,
        body,
        token_attribute,
        ..
    } = &endpoint.auth
    else {
        return Err(SendResult::refused("endpoint has no auth url".into()));
    };
    let url = check_url(url, s.settings.allow_http_webhooks)
        .map_err(|r| SendResult::refused(format!("auth url: {}", r.0)))?;
    let now = s.clock.now();
    let fetch = || async {
        let response = s
            .transport
            .send(token_request(
                s,
                *method,
                url.clone(),
                headers,
                body.as_ref(),
            ))
            .await;
        match response {
            Ok(resp) => read_grant(resp.status, &resp.body, token_attribute, now)
                .map(|grant| (AuthToken::new(&grant.token), grant.reuse_until))
                .map_err(|refused| FetchFailed::transient(refused.to_string())),
            Err(TransportError::Refused(why)) => Err(FetchFailed {
                reason: format!("auth url refused: {why}"),
                permanent: true,
            }),
            Err(err) => Err(FetchFailed::transient(format!("fetching the token: {err}"))),
        }
    };
    s.auth_tokens
        .get_or_fetch(key, AuthFingerprint::of(&endpoint.auth), now, fetch)
        .await
        .map_err(|failed| {
            let failure = if failed.permanent {
                FailedAttempt::Permanent
            } else {
                FailedAttempt::Transient
            };
            SendResult::auth_failed(failed.reason, 0, failure)
        })
}

fn token_request(
    s: &Services,
    method: HttpMethod,
    url: Url,
    headers: &BTreeMap<String, String>,
    body: Option<&serde_json::Value>,
) -> OutboundRequest {
    let encoded = token_request_body(headers, body);
    let mut headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(content_type) = encoded.content_type {
        headers.push(("content-type".into(), content_type.into()));
    }
    headers.push(("user-agent".into(), USER_AGENT.into()));
    OutboundRequest {
        method,
        url,
        headers,
        body: Bytes::from(encoded.bytes),
        timeout: s.settings.webhook_timeout,
    }
}

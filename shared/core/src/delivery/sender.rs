//! One signed HTTP request to a receiver, with its auth, and how it went. Shared by queued deliveries and
//! `POST /webhooks/{id}/test`; what happens next is decided by the caller.

pub use super::send_result::{AttemptSubject, SendResult};
use super::token_cache::{
    AuthFingerprint, AuthToken, AuthTokenCache, FetchFailed, ObtainedToken, TokenKey,
};
use crate::clock::Clock;
use crate::model::{EndpointAuth, HttpMethod, WebhookEndpoint};
use crate::policy::auth_token::{read_grant, token_request_body};
use crate::policy::retry::FailedAttempt;
use crate::policy::signature::signature_header;
use crate::policy::webhook_config::check_url;
use crate::ports::{OutboundRequest, TransportError, WebhookTransport};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

const USER_AGENT: &str = concat!("pagewire/", env!("CARGO_PKG_VERSION"));

/// Sends signed requests to receivers: the webhook client, the receivers' auth tokens (reused across
/// invocations like the HTTP connection pool), and the settings that bound a request.
#[derive(Clone)]
pub struct WebhookSender {
    pub transport: Arc<dyn WebhookTransport>,
    pub auth_tokens: Arc<AuthTokenCache>,
    pub clock: Arc<dyn Clock>,
    /// How long a receiver has to answer.
    pub timeout: Duration,
    /// Whether `http://` URLs are allowed (`pagewire dev` against a local receiver).
    pub allow_http: bool,
}

impl WebhookSender {
    pub fn new(
        transport: Arc<dyn WebhookTransport>,
        clock: Arc<dyn Clock>,
        settings: &crate::settings::Settings,
    ) -> Self {
        Self {
            transport,
            auth_tokens: Arc::default(),
            clock,
            timeout: settings.webhook_timeout,
            allow_http: settings.allow_http_webhooks,
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
    s: &WebhookSender,
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
            timeout: s.timeout,
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
    s: &WebhookSender,
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
    s: &WebhookSender,
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
        return Err(SendResult::refused(
            "auth.url: the endpoint has none".into(),
        ));
    };
    let url = check_url(url, s.allow_http)
        .map_err(|r| SendResult::refused(r.under("auth").to_string()))?;
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
    s: &WebhookSender,
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
        timeout: s.timeout,
    }
}

//! The HTTP client that sends webhooks and auth-token requests: one keep-alive pool per process (built
//! once per cold start, reused by every invocation), redirects never followed, no proxy, and connections
//! only to addresses the SSRF policy accepts. Literal addresses are judged here; names are resolved once,
//! by the vetting resolver, and the connection goes to what it returned.

mod resolver;

pub use resolver::{HostLookup, StaticLookup, SystemLookup};

use async_trait::async_trait;
use pagewire_core::model::HttpMethod;
use pagewire_core::policy::ssrf::{kind_phrase, AddressPolicy};
use pagewire_core::ports::{OutboundRequest, OutboundResponse, TransportError, WebhookTransport};
use resolver::{AddressRefused, VettingResolver};
use std::error::Error as StdError;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// The most of a receiver's answer pagewire reads (enough for a token or an error line).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Idle keep-alive connections kept per receiver host.
const MAX_IDLE_PER_HOST: usize = 64;

pub struct HttpTransport {
    client: reqwest::Client,
    policy: AddressPolicy,
}

impl HttpTransport {
    /// Built once per process: the pool is what makes keep-alive work across invocations.
    pub fn new(policy: AddressPolicy) -> Result<Self, reqwest::Error> {
        Self::with_lookup(policy, Arc::new(SystemLookup))
    }

    /// The same, resolving names through `lookup` (tests map names to chosen addresses).
    pub fn with_lookup(
        policy: AddressPolicy,
        lookup: Arc<dyn HostLookup>,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve and connect on its own, past the address checks.
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(MAX_IDLE_PER_HOST)
            .tcp_nodelay(true)
            .dns_resolver(Arc::new(VettingResolver { policy, lookup }))
            .build()?;
        Ok(Self { client, policy })
    }
}

fn method(m: HttpMethod) -> reqwest::Method {
    match m {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
        HttpMethod::Put => reqwest::Method::PUT,
        HttpMethod::Patch => reqwest::Method::PATCH,
        HttpMethod::Delete => reqwest::Method::DELETE,
    }
}

fn literal_ip(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

fn refused_in_chain(err: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn StdError + 'static)> = err.source();
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<AddressRefused>() {
            return Some(refused.0.clone());
        }
        source = e.source();
    }
    None
}

#[async_trait]
impl WebhookTransport for HttpTransport {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, TransportError> {
        match request.url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(TransportError::Refused(format!(
                    "scheme {other} is not http(s)"
                )))
            }
        }
        // Literal addresses skip the resolver, so they are judged here, before any connection.
        if let Some(ip) = literal_ip(&request.url) {
            if let Some(kind) = self.policy.refusal(ip) {
                return Err(TransportError::Refused(format!(
                    "{ip} is {}",
                    kind_phrase(kind)
                )));
            }
        }
        let mut builder = self
            .client
            .request(method(request.method), request.url)
            .timeout(request.timeout)
            .body(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let mut response = builder.send().await.map_err(|e| {
            if let Some(why) = refused_in_chain(&e) {
                TransportError::Refused(why)
            } else if e.is_timeout() {
                TransportError::Timeout
            } else {
                TransportError::Connect(short_error(&e))
            }
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_string(), v.to_string()))
            })
            .collect();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() < MAX_RESPONSE_BYTES => {
                    let room = MAX_RESPONSE_BYTES - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                // The rest of a long answer is not needed; dropping the response closes that connection.
                Ok(Some(_)) | Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(TransportError::Timeout),
                Err(_) => break,
            }
        }
        Ok(OutboundResponse {
            status,
            headers,
            body: body.into(),
        })
    }
}

/// An error line without URLs' query strings or anything a receiver sent.
fn short_error(e: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut source: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = source {
        text = err.to_string();
        source = err.source();
    }
    text.chars().take(200).collect()
}

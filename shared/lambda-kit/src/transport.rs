//! The HTTP client that sends webhooks: one keep-alive pool per process, redirects never followed,
//! and connections only to addresses the SSRF rules accept. Names are resolved once, by the vetting
//! resolver below, and the connection goes to what it returned: a second lookup cannot swap the address.

use async_trait::async_trait;
use pagewire_core::model::HttpMethod;
use pagewire_core::policy::ssrf::blocked_reason;
use pagewire_core::ports::{OutboundRequest, OutboundResponse, TransportError, WebhookTransport};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The most of a receiver's answer pagewire reads (enough for a token or an error line).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct AddressRefused(String);

/// Resolves a host and keeps only the addresses webhooks may reach.
struct VettingResolver {
    allow_private: bool,
}

impl Resolve for VettingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let vetted: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || blocked_reason(a.ip()).is_none())
                .collect();
            if vetted.is_empty() {
                let why = found
                    .first()
                    .and_then(|a| blocked_reason(a.ip()))
                    .map(|r| format!("{host} resolves to a {r} address"))
                    .unwrap_or_else(|| format!("{host} has no address"));
                return Err(Box::new(AddressRefused(why)) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(vetted.into_iter()) as Addrs)
        })
    }
}

pub struct HttpTransport {
    client: reqwest::Client,
    allow_private: bool,
}

impl HttpTransport {
    /// Built once per process: the pool is what makes keep-alive work across invocations.
    pub fn new(allow_private: bool) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .dns_resolver(Arc::new(VettingResolver { allow_private }))
            .build()?;
        Ok(Self {
            client,
            allow_private,
        })
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
        // Literal addresses skip the resolver, so they are vetted here.
        if let Some(ip) = literal_ip(&request.url) {
            if let Some(reason) = blocked_reason(ip).filter(|_| !self.allow_private) {
                return Err(TransportError::Refused(format!(
                    "{ip} is a {reason} address"
                )));
            }
        }
        let mut builder = self
            .client
            .request(method(request.method), request.url.clone())
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

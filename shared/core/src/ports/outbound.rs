//! Requests pagewire sends to receivers' servers: webhooks and auth-token calls.

use crate::model::HttpMethod;
use async_trait::async_trait;
use bytes::Bytes;
use std::time::Duration;

/// An HTTP request pagewire sends to a receiver (a webhook, or an auth-token URL).
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub method: HttpMethod,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct OutboundResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// At most a few KB: enough to read a token or show an error, never a receiver's whole page.
    pub body: Bytes,
}

impl OutboundResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("timed out")]
    Timeout,
    #[error("connection failed: {0}")]
    Connect(String),
    /// Refused before connecting: scheme, or the address is not a public one.
    #[error("refused: {0}")]
    Refused(String),
}

/// Sends requests to receivers. Never follows redirects.
#[async_trait]
pub trait WebhookTransport: Send + Sync {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, TransportError>;
}

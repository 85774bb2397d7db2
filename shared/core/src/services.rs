//! The set of ports a use case may reach, built once per process (per Lambda cold start) and lent to
//! every handler invocation.

use crate::auth_tokens::AuthTokenCache;
use crate::clock::Clock;
use crate::ports::{
    ConfigStore, DocumentReader, JobStore, MessageQueue, ObjectStore, UploadUrls, WebhookTransport,
};
use crate::rate_limiter::RateLimiter;
use crate::settings::Settings;
use std::sync::Arc;

#[derive(Clone)]
pub struct Services {
    pub jobs: Arc<dyn JobStore>,
    pub config: Arc<dyn ConfigStore>,
    pub objects: Arc<dyn ObjectStore>,
    /// Grants `POST /uploads` clients a URL to PUT their file to.
    pub uploads: Arc<dyn UploadUrls>,
    pub delivery_queue: Arc<dyn MessageQueue>,
    pub transport: Arc<dyn WebhookTransport>,
    pub reader: Arc<dyn DocumentReader>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    /// This process's per-tenant request buckets, built from `settings.api_rate_limit`.
    pub rate_limiter: Arc<RateLimiter>,
    /// Receivers' auth tokens, reused across invocations like the HTTP connection pool.
    pub auth_tokens: Arc<AuthTokenCache>,
}

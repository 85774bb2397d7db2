//! The tunable limits and policies of the domain. Adapters and entry points fill them from the
//! environment (`Config::from_env` in lambda-kit, flags in the CLI).

use crate::policy::endpoint_failures::DisableRule;
use crate::policy::rate_limit::RateLimit;
use chrono::Duration as TimeSpan;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How long results stay readable after a job completes (and a job that never completes stays).
    pub retention: TimeSpan,
    /// Largest file accepted inline by `POST /process-job`.
    pub max_inline_file_bytes: usize,
    /// Largest file accepted through `POST /uploads` (a presigned PUT, or `pagewire dev`'s local URL).
    pub max_upload_file_bytes: u64,
    /// How long an upload URL stays usable.
    pub upload_url_ttl: TimeSpan,
    /// Largest `static_values` object, serialised.
    pub max_static_values_bytes: usize,
    /// Largest number of pages a PDF may have.
    pub max_pdf_pages: u32,
    /// ZIP batch limits.
    pub max_zip_entries: usize,
    pub max_zip_uncompressed_bytes: u64,
    /// Webhook requests may go to `http://` URLs (local development only).
    pub allow_http_webhooks: bool,
    /// Webhook requests may go to loopback and private (RFC 1918, CGNAT, unique-local) addresses (local
    /// development only). Link-local (cloud metadata), multicast and reserved addresses stay refused.
    pub allow_private_webhooks: bool,
    /// Webhook requests may go to loopback addresses only (`pagewire dev --allow-loopback-webhooks`).
    pub allow_loopback_webhooks: bool,
    /// The request timeout of one delivery attempt (and of an auth-token fetch).
    pub webhook_timeout: Duration,
    /// Spread retry delays by +-20 %. Always on in production; tests that assert exact delays turn it off.
    pub retry_jitter: bool,
    /// How long a signing secret keeps signing after it was rotated out.
    pub secret_rotation_grace: TimeSpan,
    /// When an endpoint whose deliveries keep failing is switched off.
    pub disable_rule: DisableRule,
    /// Requests per tenant to the API, per process (`per_second` 0 turns it off). On Lambda every warm
    /// instance counts on its own; API Gateway's throttling is the global limit.
    pub api_rate_limit: RateLimit,
    /// Bounds of the template preview (free, so bounded in pages instead of charged).
    pub preview: PreviewLimits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreviewLimits {
    /// Most pages one sample may have.
    pub max_pages: u32,
    /// Pages a tenant may preview per minute, per process.
    pub pages_per_minute: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            retention: TimeSpan::hours(24),
            max_inline_file_bytes: 6 * 1024 * 1024,
            max_upload_file_bytes: 100 * 1024 * 1024,
            upload_url_ttl: TimeSpan::hours(1),
            max_static_values_bytes: 16 * 1024,
            max_pdf_pages: 500,
            max_zip_entries: 1_000,
            max_zip_uncompressed_bytes: 1 << 30,
            allow_http_webhooks: false,
            allow_private_webhooks: false,
            allow_loopback_webhooks: false,
            webhook_timeout: Duration::from_secs(15),
            retry_jitter: true,
            secret_rotation_grace: TimeSpan::hours(24),
            disable_rule: DisableRule::default(),
            api_rate_limit: RateLimit {
                per_second: 100,
                burst: 200,
            },
            preview: PreviewLimits {
                max_pages: 5,
                pages_per_minute: 30,
            },
        }
    }
}

//! Access: which tenant an API key belongs to, and whether that tenant may make another request now.

pub mod tenant_buckets;

use crate::clock::Clock;
use crate::error::CoreError;
use crate::ids::TenantId;
use crate::policy::api_key::hash_api_key;
use crate::ports::ApiKeyRecords;
use std::sync::Arc;
use tenant_buckets::RateLimiter;

/// What the front of every API function needs.
#[derive(Clone)]
pub struct AccessPorts {
    pub api_keys: Arc<dyn ApiKeyRecords>,
    /// This process's per-tenant request buckets.
    pub rate_limiter: Arc<RateLimiter>,
    pub clock: Arc<dyn Clock>,
}

/// The tenant a presented API key belongs to.
pub async fn authenticate(s: &AccessPorts, presented: Option<&str>) -> Result<TenantId, CoreError> {
    let key = presented
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| CoreError::Unauthenticated {
            code: "missing_api_key",
            message:
                "an API key is required, in the x-auth header or as Authorization: Bearer <key>"
                    .to_string(),
        })?;
    let record = s.api_keys.find_api_key(&hash_api_key(key)).await?;
    record
        .map(|r| r.tenant_id)
        .ok_or_else(|| CoreError::Unauthenticated {
            code: "invalid_api_key",
            message: "the API key is not valid".to_string(),
        })
}

/// [`authenticate`], then one request taken from the tenant's bucket (429 when it is empty).
pub async fn admit(s: &AccessPorts, presented: Option<&str>) -> Result<TenantId, CoreError> {
    let tenant = authenticate(s, presented).await?;
    s.rate_limiter.check(tenant, s.clock.now())?;
    Ok(tenant)
}

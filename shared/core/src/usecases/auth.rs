use crate::error::CoreError;
use crate::ids::TenantId;
use crate::policy::api_key::hash_api_key;
use crate::services::Services;

/// The tenant a presented API key belongs to.
pub async fn authenticate(s: &Services, presented: Option<&str>) -> Result<TenantId, CoreError> {
    let key = presented
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| CoreError::Unauthenticated {
            code: "missing_api_key",
            message:
                "an API key is required, in the x-auth header or as Authorization: Bearer <key>"
                    .to_string(),
        })?;
    let record = s.config.find_api_key(&hash_api_key(key)).await?;
    record
        .map(|r| r.tenant_id)
        .ok_or_else(|| CoreError::Unauthenticated {
            code: "invalid_api_key",
            message: "the API key is not valid".to_string(),
        })
}

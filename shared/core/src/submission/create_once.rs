//! `Idempotency-Key` for the requests that create a job (`POST /process-job`, `POST /uploads`).

use crate::error::CoreError;
use crate::ids::TenantId;
use crate::model::{IdempotencyRecord, StoredResponse};
use crate::policy::idempotency::check_key;
use crate::submission::SubmissionPorts;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

/// How long a claim holds a key while its request runs: a request that died mid-way frees it after this.
const CLAIM_TTL_MINUTES: i64 = 5;

/// Runs `create` under `key`. The first accepted request under a key is answered again, and nothing
/// created, for every retry with the same content (`request_sha256`) within the retention period; the key
/// with other content is a 409 `idempotency_key_reused`. A request that fails frees its key (a refused
/// request created nothing, and retrying it with the same key is the client's natural fix). Keys are per
/// tenant and shared by the routes, whose fingerprints differ, so a key reused across routes is a 409 too.
/// `status` is the success status stored with the answer.
pub(crate) async fn create_once<T, Fut>(
    s: &SubmissionPorts,
    tenant: TenantId,
    key: &str,
    request_sha256: String,
    status: u16,
    create: Fut,
) -> Result<T, CoreError>
where
    T: Serialize + DeserializeOwned,
    Fut: Future<Output = Result<T, CoreError>>,
{
    check_key(key).map_err(|m| CoreError::invalid("invalid_idempotency_key", m))?;
    let now = s.clock.now();
    let claim = IdempotencyRecord {
        tenant_id: tenant,
        key: key.to_string(),
        request_sha256: request_sha256.clone(),
        response: None,
        created_at: now,
        expires_at: now + chrono::Duration::minutes(CLAIM_TTL_MINUTES),
    };
    if let Some(existing) = s.idempotency.claim_idempotency_key(&claim, now).await? {
        if existing.request_sha256 != request_sha256 {
            return Err(CoreError::Conflict {
                code: "idempotency_key_reused",
                message: "this Idempotency-Key was used with another request body".to_string(),
            });
        }
        return match existing.response {
            Some(stored) => serde_json::from_str(&stored.body)
                .map_err(|e| CoreError::Internal(format!("stored idempotent response: {e}"))),
            None => Err(CoreError::Conflict {
                code: "idempotency_key_in_use",
                message: "a request with this Idempotency-Key is still running; retry shortly"
                    .to_string(),
            }),
        };
    }
    let created = match create.await {
        Ok(created) => created,
        Err(err) => {
            if let Err(release) = s.idempotency.release_idempotency_key(tenant, key).await {
                tracing::warn!(error = %release, "could not free an idempotency key");
            }
            return Err(err);
        }
    };
    let body = serde_json::to_string(&created).map_err(|e| CoreError::Internal(e.to_string()))?;
    let done = IdempotencyRecord {
        response: Some(StoredResponse { status, body }),
        expires_at: now + s.settings.retention,
        ..claim
    };
    // The job exists now: failing the request here would make the client retry and, once the claim
    // lapses, create twice. The claim still guards retries meanwhile.
    if let Err(err) = s.idempotency.put_idempotency_record(&done).await {
        tracing::warn!(error = %err, "could not store an idempotent response");
    }
    Ok(created)
}

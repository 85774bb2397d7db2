use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A tenant's `Idempotency-Key` and the request it was first used with. While that request runs the record
/// is a short-lived claim (`response` is `None`); once it was accepted, it holds the answer for 24 hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub tenant_id: TenantId,
    pub key: String,
    /// Hex SHA-256 of the request's content, to tell a retry from another request under the same key.
    pub request_sha256: String,
    pub response: Option<StoredResponse>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The answer given to the first request, replayed as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    /// The JSON body.
    pub body: String,
}

impl IdempotencyRecord {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

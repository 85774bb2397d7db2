use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    /// Pages this tenant may still have processed (1 credit per page).
    pub credits: i64,
    pub created_at: DateTime<Utc>,
}

/// An API key as stored: only its SHA-256, never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub key_hash: String,
    pub tenant_id: TenantId,
    /// The first characters of the key, enough for a person to tell keys apart in a listing.
    pub display_prefix: String,
    pub created_at: DateTime<Utc>,
}

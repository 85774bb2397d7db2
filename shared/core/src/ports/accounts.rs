//! Tenants, their API keys and their credit balance.

use crate::error::StoreError;
use crate::ids::TenantId;
use crate::model::{ApiKeyRecord, Tenant};
use async_trait::async_trait;

#[async_trait]
pub trait TenantRecords: Send + Sync {
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError>;
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError>;
}

#[async_trait]
pub trait ApiKeyRecords: Send + Sync {
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;
    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError>;
}

/// The outcome of charging a document's pages to its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeOutcome {
    Charged {
        remaining: i64,
    },
    /// This charge id was charged before: nothing changed.
    AlreadyCharged,
    Insufficient {
        balance: i64,
    },
}

#[async_trait]
pub trait CreditLedger: Send + Sync {
    /// Adds (or with a negative delta removes) credits; returns the new balance.
    async fn add_credits(&self, id: TenantId, delta: i64) -> Result<i64, StoreError>;
    /// Atomically: unless `charge_id` was charged before, take `pages` credits when the balance allows.
    async fn charge_credits(
        &self,
        id: TenantId,
        charge_id: &str,
        pages: u32,
    ) -> Result<ChargeOutcome, StoreError>;
}

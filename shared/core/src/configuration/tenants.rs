//! Tenants, their API keys and credits (operator actions: the CLI, not the public API).

use crate::clock::Clock;
use crate::error::CoreError;
use crate::ids::TenantId;
use crate::model::{ApiKeyRecord, Tenant};
use crate::policy::api_key::{display_prefix, generate_api_key, hash_api_key};
use crate::policy::text_limits::name_refusal;
use crate::ports::{ApiKeyRecords, CreditLedger, TenantRecords};
use std::sync::Arc;

/// What the operator's tenant commands touch.
#[derive(Clone)]
pub struct TenantPorts {
    pub tenants: Arc<dyn TenantRecords>,
    pub api_keys: Arc<dyn ApiKeyRecords>,
    pub credits: Arc<dyn CreditLedger>,
    pub clock: Arc<dyn Clock>,
}

/// A new tenant and its first API key, which is shown this once.
#[derive(Debug, Clone)]
pub struct CreatedTenant {
    pub tenant: Tenant,
    pub api_key: String,
}

pub async fn create_tenant(
    s: &TenantPorts,
    name: &str,
    credits: i64,
) -> Result<CreatedTenant, CoreError> {
    if let Some(why) = name_refusal(name, 200) {
        return Err(CoreError::invalid_at("invalid_name", "name", why));
    }
    let name = name.trim();
    let tenant = Tenant {
        id: TenantId::random(),
        name: name.to_string(),
        credits,
        created_at: s.clock.now(),
    };
    s.tenants.insert_tenant(&tenant).await?;
    let api_key = issue_api_key(s, tenant.id).await?;
    Ok(CreatedTenant { tenant, api_key })
}

/// A new API key for an existing tenant.
pub async fn issue_api_key(s: &TenantPorts, tenant: TenantId) -> Result<String, CoreError> {
    if s.tenants.get_tenant(tenant).await?.is_none() {
        return Err(CoreError::not_found(
            "tenant_not_found",
            format!("no tenant {tenant}"),
        ));
    }
    let key = generate_api_key();
    let record = ApiKeyRecord {
        key_hash: hash_api_key(&key),
        tenant_id: tenant,
        display_prefix: display_prefix(&key),
        created_at: s.clock.now(),
    };
    s.api_keys.insert_api_key(&record).await?;
    Ok(key)
}

pub async fn add_credits(s: &TenantPorts, tenant: TenantId, delta: i64) -> Result<i64, CoreError> {
    if s.tenants.get_tenant(tenant).await?.is_none() {
        return Err(CoreError::not_found(
            "tenant_not_found",
            format!("no tenant {tenant}"),
        ));
    }
    Ok(s.credits.add_credits(tenant, delta).await?)
}

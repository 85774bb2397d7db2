//! `pagewire tenant ...`: operator commands on the embedded backend.

use pagewire_core::configuration::tenants::{self, TenantPorts};
use pagewire_core::ids::TenantId;
use pagewire_core::CoreError;

pub async fn create(s: &TenantPorts, name: &str, credits: i64) -> Result<String, CoreError> {
    let created = tenants::create_tenant(s, name, credits).await?;
    Ok(format!(
        "tenant {} ({}) with {} credits\napi key (shown once): {}",
        created.tenant.id, created.tenant.name, created.tenant.credits, created.api_key
    ))
}

pub async fn list(s: &TenantPorts) -> Result<String, CoreError> {
    let tenants = s.tenants.list_tenants().await?;
    let mut out = format!("{:<36}  {:>10}  name\n", "id", "credits");
    for t in tenants {
        out.push_str(&format!("{:<36}  {:>10}  {}\n", t.id, t.credits, t.name));
    }
    Ok(out)
}

fn parse_tenant(id: &str) -> Result<TenantId, CoreError> {
    TenantId::parse(id)
        .ok_or_else(|| CoreError::invalid("invalid_tenant_id", "the tenant id must be a UUID"))
}

pub async fn add_credits(s: &TenantPorts, id: &str, delta: i64) -> Result<String, CoreError> {
    let balance = tenants::add_credits(s, parse_tenant(id)?, delta).await?;
    Ok(format!("tenant {id} now has {balance} credits"))
}

pub async fn new_key(s: &TenantPorts, id: &str) -> Result<String, CoreError> {
    let key = tenants::issue_api_key(s, parse_tenant(id)?).await?;
    Ok(format!("api key (shown once): {key}"))
}

/// The tenant `pagewire dev` works as: the first one, created on first start. Returns it with a fresh key.
pub async fn dev_tenant(s: &TenantPorts) -> Result<(TenantId, String, bool), CoreError> {
    let existing = s.tenants.list_tenants().await?;
    if let Some(first) = existing.iter().min_by_key(|t| t.created_at) {
        let key = tenants::issue_api_key(s, first.id).await?;
        return Ok((first.id, key, false));
    }
    let created = tenants::create_tenant(s, "dev", 1_000).await?;
    Ok((created.tenant.id, created.api_key, true))
}

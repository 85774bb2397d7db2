//! Configuration on SQLite: tenants with their credit balance, charges, API keys, templates, endpoints.

use crate::db::{
    changed_one, decode, encode, execute_cached, micros, query_bodies, query_body,
    query_row_cached, version_column, versioned, Db, DbError,
};
use async_trait::async_trait;
use pagewire_core::ids::{EndpointId, TemplateId, TenantId};
use pagewire_core::model::records::{sort_endpoints, sort_templates, sort_tenants};
use pagewire_core::model::{ApiKeyRecord, Template, Tenant, WebhookEndpoint};
use pagewire_core::ports::{
    ApiKeyRecords, ChargeOutcome, CreditLedger, EndpointRecords, TemplateRecords, TenantRecords,
};
use pagewire_core::StoreError;
use rusqlite::{params, OptionalExtension, Row};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct SqliteConfigStore {
    db: Arc<Db>,
}

impl SqliteConfigStore {
    pub(crate) fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

/// The balance lives in its own column (it changes without the rest of the tenant), so the stored body's
/// `credits` is stale by design and replaced by the column on every read.
fn tenant_from_row(row: &Row<'_>) -> Result<Tenant, DbError> {
    let body: String = row.get(0)?;
    let credits: i64 = row.get(1)?;
    let mut tenant: Tenant = decode(&body)?;
    tenant.credits = credits;
    Ok(tenant)
}

/// The tenant's credit balance; a missing tenant is `Permanent` (see `add_credits`).
fn credit_balance(conn: &rusqlite::Connection, id: &str) -> Result<i64, DbError> {
    let balance: Option<i64> = query_row_cached(
        conn,
        "SELECT credits FROM tenants WHERE id = ?1",
        params![id],
        |row| row.get(0),
    )
    .optional()?;
    balance.ok_or_else(|| missing_tenant(id))
}

fn missing_tenant(id: &str) -> DbError {
    DbError::Store(StoreError::Permanent(format!("no tenant {id}")))
}

#[async_trait]
impl TenantRecords for SqliteConfigStore {
    /// Fails with `Conflict` when a tenant with this id exists.
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let (id, credits, created, body) = (
            tenant.id.to_string(),
            tenant.credits,
            micros(tenant.created_at),
            encode(tenant)?,
        );
        self.db
            .run(move |conn| {
                let inserted = execute_cached(
                    conn,
                    "INSERT INTO tenants (id, credits, created_us, body) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO NOTHING",
                    params![id, credits, created, body],
                )?;
                if inserted == 1 {
                    Ok(())
                } else {
                    Err(DbError::Store(StoreError::Conflict))
                }
            })
            .await
    }

    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        let id = id.to_string();
        self.db
            .run(move |conn| {
                let mut stmt =
                    conn.prepare_cached("SELECT body, credits FROM tenants WHERE id = ?1")?;
                let mut rows = stmt.query(params![id])?;
                match rows.next()? {
                    Some(row) => Ok(Some(tenant_from_row(row)?)),
                    None => Ok(None),
                }
            })
            .await
    }

    /// Oldest first.
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        self.db
            .run(move |conn| {
                let mut stmt = conn.prepare_cached("SELECT body, credits FROM tenants")?;
                let mut rows = stmt.query([])?;
                let mut tenants = Vec::new();
                while let Some(row) = rows.next()? {
                    tenants.push(tenant_from_row(row)?);
                }
                sort_tenants(&mut tenants);
                Ok(tenants)
            })
            .await
    }
}

#[async_trait]
impl CreditLedger for SqliteConfigStore {
    /// A missing tenant is `Permanent` (not `Conflict`, which callers read as "retry"): asking again
    /// cannot make it exist. Overflow is refused the same way.
    async fn add_credits(&self, id: TenantId, delta: i64) -> Result<i64, StoreError> {
        let id = id.to_string();
        self.db
            .run(move |conn| {
                let balance = credit_balance(conn, &id)?;
                let next = balance.checked_add(delta).ok_or_else(|| {
                    DbError::Store(StoreError::Permanent("credit balance overflow".to_string()))
                })?;
                execute_cached(
                    conn,
                    "UPDATE tenants SET credits = ?1 WHERE id = ?2",
                    params![next, id],
                )?;
                Ok(next)
            })
            .await
    }

    /// One transaction: the charge row and the balance change land together or not at all, so a repeated
    /// event charges once. A missing tenant is `Permanent`, as in `add_credits`.
    async fn charge_credits(
        &self,
        id: TenantId,
        charge_id: &str,
        pages: u32,
    ) -> Result<ChargeOutcome, StoreError> {
        let (id, charge_id) = (id.to_string(), charge_id.to_string());
        self.db
            .run(move |conn| {
                let charged_before: Option<i64> = query_row_cached(
                    conn,
                    "SELECT 1 FROM charges WHERE tenant_id = ?1 AND charge_id = ?2",
                    params![id, charge_id],
                    |row| row.get(0),
                )
                .optional()?;
                if charged_before.is_some() {
                    return Ok(ChargeOutcome::AlreadyCharged);
                }
                let balance = credit_balance(conn, &id)?;
                let pages = i64::from(pages);
                if balance < pages {
                    return Ok(ChargeOutcome::Insufficient { balance });
                }
                let remaining = balance - pages;
                execute_cached(
                    conn,
                    "UPDATE tenants SET credits = ?1 WHERE id = ?2",
                    params![remaining, id],
                )?;
                execute_cached(
                    conn,
                    "INSERT INTO charges (tenant_id, charge_id, pages) VALUES (?1, ?2, ?3)",
                    params![id, charge_id, pages],
                )?;
                Ok(ChargeOutcome::Charged { remaining })
            })
            .await
    }
}

#[async_trait]
impl ApiKeyRecords for SqliteConfigStore {
    /// Fails with `Conflict` when a key with this hash exists.
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let (hash, tenant, body) = (
            key.key_hash.clone(),
            key.tenant_id.to_string(),
            encode(key)?,
        );
        self.db
            .run(move |conn| {
                let inserted = execute_cached(
                    conn,
                    "INSERT INTO api_keys (key_hash, tenant_id, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (key_hash) DO NOTHING",
                    params![hash, tenant, body],
                )?;
                if inserted == 1 {
                    Ok(())
                } else {
                    Err(DbError::Store(StoreError::Conflict))
                }
            })
            .await
    }

    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let hash = key_hash.to_string();
        self.db
            .run(move |conn| {
                query_body(
                    conn,
                    "SELECT body FROM api_keys WHERE key_hash = ?1",
                    params![hash],
                )
            })
            .await
    }
}

#[async_trait]
impl TemplateRecords for SqliteConfigStore {
    /// Fails with `Conflict` when a template with this id exists.
    async fn insert_template(&self, template: &Template) -> Result<(), StoreError> {
        let (tenant, id, created, version, body) = (
            template.tenant_id.to_string(),
            template.id.to_string(),
            micros(template.created_at),
            version_column(template.version)?,
            encode(template)?,
        );
        self.db
            .run(move |conn| {
                let inserted = execute_cached(
                    conn,
                    "INSERT INTO templates (tenant_id, id, created_us, version, body)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant_id, id) DO NOTHING",
                    params![tenant, id, created, version, body],
                )?;
                changed_one(inserted)
            })
            .await
    }

    async fn update_template(&self, template: &Template) -> Result<(), StoreError> {
        let (body, expected, next) = versioned(template)?;
        let (tenant, id) = (template.tenant_id.to_string(), template.id.to_string());
        self.db
            .run(move |conn| {
                let changed = execute_cached(
                    conn,
                    "UPDATE templates SET body = ?1, version = ?2
                     WHERE tenant_id = ?3 AND id = ?4 AND version = ?5",
                    params![body, next, tenant, id, expected],
                )?;
                changed_one(changed)
            })
            .await
    }

    async fn get_template(
        &self,
        tenant: TenantId,
        id: TemplateId,
    ) -> Result<Option<Template>, StoreError> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.db
            .run(move |conn| {
                query_body(
                    conn,
                    "SELECT body FROM templates WHERE tenant_id = ?1 AND id = ?2",
                    params![tenant, id],
                )
            })
            .await
    }

    /// Oldest first.
    async fn list_templates(&self, tenant: TenantId) -> Result<Vec<Template>, StoreError> {
        let tenant = tenant.to_string();
        let mut templates: Vec<Template> = self
            .db
            .run(move |conn| {
                query_bodies(
                    conn,
                    "SELECT body FROM templates WHERE tenant_id = ?1",
                    params![tenant],
                )
            })
            .await?;
        sort_templates(&mut templates);
        Ok(templates)
    }

    async fn delete_template(&self, tenant: TenantId, id: TemplateId) -> Result<bool, StoreError> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.db
            .run(move |conn| {
                let deleted = execute_cached(
                    conn,
                    "DELETE FROM templates WHERE tenant_id = ?1 AND id = ?2",
                    params![tenant, id],
                )?;
                Ok(deleted > 0)
            })
            .await
    }
}

#[async_trait]
impl EndpointRecords for SqliteConfigStore {
    /// Fails with `Conflict` when an endpoint with this id exists.
    async fn insert_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError> {
        let (tenant, id, template, created, version, body) = (
            endpoint.tenant_id.to_string(),
            endpoint.id.to_string(),
            endpoint.template_id.to_string(),
            micros(endpoint.created_at),
            version_column(endpoint.version)?,
            encode(endpoint)?,
        );
        self.db
            .run(move |conn| {
                let inserted = execute_cached(
                    conn,
                    "INSERT INTO endpoints (tenant_id, id, template_id, created_us, version, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant_id, id) DO NOTHING",
                    params![tenant, id, template, created, version, body],
                )?;
                changed_one(inserted)
            })
            .await
    }

    async fn update_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError> {
        let (body, expected, next) = versioned(endpoint)?;
        let (tenant, id, template) = (
            endpoint.tenant_id.to_string(),
            endpoint.id.to_string(),
            endpoint.template_id.to_string(),
        );
        self.db
            .run(move |conn| {
                let changed = execute_cached(
                    conn,
                    "UPDATE endpoints SET template_id = ?1, body = ?2, version = ?3
                     WHERE tenant_id = ?4 AND id = ?5 AND version = ?6",
                    params![template, body, next, tenant, id, expected],
                )?;
                changed_one(changed)
            })
            .await
    }

    async fn get_endpoint(
        &self,
        tenant: TenantId,
        id: EndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.db
            .run(move |conn| {
                query_body(
                    conn,
                    "SELECT body FROM endpoints WHERE tenant_id = ?1 AND id = ?2",
                    params![tenant, id],
                )
            })
            .await
    }

    /// Oldest first; only those of `template` when given.
    async fn list_endpoints(
        &self,
        tenant: TenantId,
        template: Option<TemplateId>,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let (tenant, template) = (tenant.to_string(), template.map(|t| t.to_string()));
        let mut endpoints: Vec<WebhookEndpoint> = self
            .db
            .run(move |conn| {
                query_bodies(
                    conn,
                    "SELECT body FROM endpoints WHERE tenant_id = ?1 AND (?2 IS NULL OR template_id = ?2)",
                    params![tenant, template],
                )
            })
            .await?;
        sort_endpoints(&mut endpoints);
        Ok(endpoints)
    }

    async fn delete_endpoint(&self, tenant: TenantId, id: EndpointId) -> Result<bool, StoreError> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.db
            .run(move |conn| {
                let deleted = execute_cached(
                    conn,
                    "DELETE FROM endpoints WHERE tenant_id = ?1 AND id = ?2",
                    params![tenant, id],
                )?;
                Ok(deleted > 0)
            })
            .await
    }
}

//! Tenants, credits, API keys, templates and endpoints on the DynamoDB `config` table. Keys:
//! - tenant `TENANT#<id>` / `#TENANT`, with the balance in its own number attribute `credits` (it changes
//!   without the rest of the tenant, so the body's copy is stale by design and replaced on every read);
//! - charge markers `TENANT#<id>` / `CHARGE#<charge id>`, written in one transaction with the balance change,
//!   the only items that expire (TTL attribute `expires_at`, see [`CHARGE_MARKER_DAYS`]);
//! - templates and endpoints `TENANT#<id>` / `TEMPLATE#<id>`, `ENDPOINT#<id>`: one query lists a tenant's;
//! - API keys `APIKEY#<sha-256>` / `#APIKEY`: the lookup on every request is one strongly consistent read.

use super::item::{
    conditional, decode, encode, epoch, get_item, is_condition_failure, key, n, number_attr,
    query_partition, s, string_attr, Item, BODY, EXPIRES_AT, PK, SK, VERSION,
};
use crate::error::store_error;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, ReturnValue, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use pagewire_core::ids::{EndpointId, TemplateId, TenantId};
use pagewire_core::model::records::{
    sort_endpoints, sort_templates, sort_tenants, Versioned, VersionedWrite,
};
use pagewire_core::model::{ApiKeyRecord, Template, Tenant, WebhookEndpoint};
use pagewire_core::ports::{
    ApiKeyRecords, ChargeOutcome, CreditLedger, EndpointRecords, TemplateRecords, TenantRecords,
};
use pagewire_core::StoreError;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;

const CREDITS: &str = "credits";
const TENANT_SK: &str = "#TENANT";
const API_KEY_SK: &str = "#APIKEY";
const TEMPLATE: &str = "TEMPLATE#";
const ENDPOINT: &str = "ENDPOINT#";
const CHARGE: &str = "CHARGE#";
/// How long a charge marker is kept before DynamoDB's TTL removes it. A repeated event can only charge a
/// document again while its job exists (processing skips an expired job), and a job lives at most 36 h
/// (the template's RetentionHours maximum); 14 days also outlasts every queue that can hold such an
/// event (the process DLQ keeps messages 14 days). Measured from the wall clock, as TTL is.
pub const CHARGE_MARKER_DAYS: i64 = 14;
/// Transactions tried before a charge reports the backend as busy.
const CHARGE_ATTEMPTS: u32 = 8;

#[derive(Clone, Debug)]
pub struct DynamoConfigStore {
    client: Client,
    table: String,
}

fn tenant_pk(id: TenantId) -> String {
    format!("TENANT#{id}")
}

fn tenant_from(item: &Item) -> Result<Tenant, StoreError> {
    let mut tenant: Tenant = decode(string_attr(item, BODY)?)?;
    tenant.credits = number_attr(item, CREDITS)?;
    Ok(tenant)
}

impl DynamoConfigStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn get_item(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        get_item(&self.client, &self.table, pk, sk.to_string()).await
    }

    async fn get_body<T: DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, StoreError> {
        match self.get_item(pk, sk).await? {
            Some(item) => Ok(Some(decode(string_attr(&item, BODY)?)?)),
            None => Ok(None),
        }
    }

    fn body_item<T: Serialize>(pk: String, sk: &str, value: &T) -> Result<Item, StoreError> {
        let mut item = key(pk, sk);
        item.insert(BODY.into(), s(encode(value)?));
        Ok(item)
    }

    /// Writes a versioned item (a template, an endpoint) unless one with its key exists.
    async fn insert_versioned<T: Versioned + Serialize>(
        &self,
        pk: String,
        sk: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let mut item = Self::body_item(pk, sk, value)?;
        item.insert(VERSION.into(), n(value.version()));
        self.put(item, true).await
    }

    /// Replaces a versioned item under core's rule ([`VersionedWrite`]): only the copy it was read as, so
    /// a concurrent change is not overwritten and a deleted item is not written back. Items stored before
    /// versions existed have no `version` attribute and count as version 0.
    async fn replace_versioned<T: Versioned + Serialize>(
        &self,
        pk: String,
        sk: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let write = VersionedWrite::of(value)?;
        let mut item = Self::body_item(pk, sk, &write.stored)?;
        item.insert(VERSION.into(), n(write.stored.version()));
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_values(":expected", n(write.expected));
        put = if write.expected == 0 {
            put.condition_expression(
                "attribute_exists(#pk) AND (attribute_not_exists(#version) OR #version = :expected)",
            )
            .expression_attribute_names("#pk", PK)
        } else {
            put.condition_expression("#version = :expected")
        };
        put.send().await.map_err(|e| conditional("PutItem", e))?;
        Ok(())
    }

    async fn put(&self, item: Item, only_if_new: bool) -> Result<(), StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        if only_if_new {
            put = put
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK);
        }
        put.send().await.map_err(|e| conditional("PutItem", e))?;
        Ok(())
    }

    /// Deletes and reports whether the item existed.
    async fn delete(&self, pk: String, sk: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| store_error("DeleteItem", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// A tenant's items of one kind, oldest first.
    async fn list_bodies<T: DeserializeOwned>(
        &self,
        tenant: TenantId,
        prefix: &str,
    ) -> Result<Vec<T>, StoreError> {
        let items = query_partition(
            &self.client,
            &self.table,
            &tenant_pk(tenant),
            prefix,
            true,
            |_| false,
        )
        .await?;
        items
            .iter()
            .map(|item| decode(string_attr(item, BODY)?))
            .collect()
    }
}

#[async_trait]
impl TenantRecords for DynamoConfigStore {
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let mut item = Self::body_item(tenant_pk(tenant.id), TENANT_SK, tenant)?;
        item.insert(CREDITS.into(), n(tenant.credits));
        self.put(item, true).await
    }

    async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        self.get_item(tenant_pk(id), TENANT_SK)
            .await?
            .map(|item| tenant_from(&item))
            .transpose()
    }

    /// An administrative listing (the CLI): a scan, which no request path uses.
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let mut tenants = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("#sk = :sk")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":sk", s(TENANT_SK))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| store_error("Scan", e))?;
            for item in page.items.unwrap_or_default() {
                tenants.push(tenant_from(&item)?);
            }
            match page.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => break,
            }
        }
        sort_tenants(&mut tenants);
        Ok(tenants)
    }
}

#[async_trait]
impl CreditLedger for DynamoConfigStore {
    async fn add_credits(&self, id: TenantId, delta: i64) -> Result<i64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(id), TENANT_SK)))
            .update_expression("SET #credits = #credits + :delta")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#credits", CREDITS)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":delta", n(delta))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|err| {
                if is_condition_failure(&err) {
                    StoreError::Permanent(format!("no tenant {id}"))
                } else {
                    store_error("UpdateItem", err)
                }
            })?;
        number_attr(&out.attributes.unwrap_or_default(), CREDITS)
    }

    /// One transaction writes the charge marker (only if new) and takes the pages from the balance (only
    /// if enough): a repeated event charges once. When the transaction is cancelled, a strongly consistent
    /// read tells which condition failed.
    async fn charge_credits(
        &self,
        id: TenantId,
        charge_id: &str,
        pages: u32,
    ) -> Result<ChargeOutcome, StoreError> {
        // Concurrent charges of one tenant cancel each other's transactions (DynamoDB reports a
        // conflict rather than queueing them); a few quick retries with jitter resolve that here, so the
        // port keeps the embedded adapter's contract.
        for attempt in 0..CHARGE_ATTEMPTS {
            if let Some(outcome) = self.try_charge(id, charge_id, pages).await? {
                return Ok(outcome);
            }
            let pause = rand::thread_rng().gen_range(5..=25) * u64::from(attempt + 1);
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        }
        Err(StoreError::Unavailable(
            "charge kept conflicting with concurrent writes".to_string(),
        ))
    }
}

#[async_trait]
impl ApiKeyRecords for DynamoConfigStore {
    async fn insert_api_key(&self, record: &ApiKeyRecord) -> Result<(), StoreError> {
        let item = Self::body_item(format!("APIKEY#{}", record.key_hash), API_KEY_SK, record)?;
        self.put(item, true).await
    }

    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.get_body(format!("APIKEY#{key_hash}"), API_KEY_SK)
            .await
    }
}

#[async_trait]
impl TemplateRecords for DynamoConfigStore {
    async fn insert_template(&self, template: &Template) -> Result<(), StoreError> {
        let sk = format!("{TEMPLATE}{}", template.id);
        self.insert_versioned(tenant_pk(template.tenant_id), &sk, template)
            .await
    }

    async fn update_template(&self, template: &Template) -> Result<(), StoreError> {
        let sk = format!("{TEMPLATE}{}", template.id);
        self.replace_versioned(tenant_pk(template.tenant_id), &sk, template)
            .await
    }

    async fn get_template(
        &self,
        tenant: TenantId,
        id: TemplateId,
    ) -> Result<Option<Template>, StoreError> {
        self.get_body(tenant_pk(tenant), &format!("{TEMPLATE}{id}"))
            .await
    }

    async fn list_templates(&self, tenant: TenantId) -> Result<Vec<Template>, StoreError> {
        let mut templates: Vec<Template> = self.list_bodies(tenant, TEMPLATE).await?;
        sort_templates(&mut templates);
        Ok(templates)
    }

    async fn delete_template(&self, tenant: TenantId, id: TemplateId) -> Result<bool, StoreError> {
        self.delete(tenant_pk(tenant), &format!("{TEMPLATE}{id}"))
            .await
    }
}

#[async_trait]
impl EndpointRecords for DynamoConfigStore {
    async fn insert_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError> {
        let sk = format!("{ENDPOINT}{}", endpoint.id);
        self.insert_versioned(tenant_pk(endpoint.tenant_id), &sk, endpoint)
            .await
    }

    async fn update_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError> {
        let sk = format!("{ENDPOINT}{}", endpoint.id);
        self.replace_versioned(tenant_pk(endpoint.tenant_id), &sk, endpoint)
            .await
    }

    async fn get_endpoint(
        &self,
        tenant: TenantId,
        id: EndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        self.get_body(tenant_pk(tenant), &format!("{ENDPOINT}{id}"))
            .await
    }

    async fn list_endpoints(
        &self,
        tenant: TenantId,
        template: Option<TemplateId>,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let mut endpoints: Vec<WebhookEndpoint> = self.list_bodies(tenant, ENDPOINT).await?;
        endpoints.retain(|e| template.is_none_or(|t| e.template_id == t));
        sort_endpoints(&mut endpoints);
        Ok(endpoints)
    }

    async fn delete_endpoint(&self, tenant: TenantId, id: EndpointId) -> Result<bool, StoreError> {
        self.delete(tenant_pk(tenant), &format!("{ENDPOINT}{id}"))
            .await
    }
}

impl DynamoConfigStore {
    /// One charge transaction: `None` when it was cancelled by a concurrent write and should be retried.
    async fn try_charge(
        &self,
        id: TenantId,
        charge_id: &str,
        pages: u32,
    ) -> Result<Option<ChargeOutcome>, StoreError> {
        let marker = Put::builder()
            .table_name(&self.table)
            .set_item(Some(key(tenant_pk(id), format!("{CHARGE}{charge_id}"))))
            .item("pages", n(pages))
            .item(
                EXPIRES_AT,
                n(epoch(
                    chrono::Utc::now() + chrono::Duration::days(CHARGE_MARKER_DAYS),
                )),
            )
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(|e| StoreError::Permanent(format!("building charge: {e}")))?;
        let debit = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(id), TENANT_SK)))
            .update_expression("SET #credits = #credits - :pages")
            .condition_expression("attribute_exists(#pk) AND #credits >= :pages")
            .expression_attribute_names("#credits", CREDITS)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pages", n(pages))
            .build()
            .map_err(|e| StoreError::Permanent(format!("building charge: {e}")))?;
        let outcome = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(marker).build())
            .transact_items(TransactWriteItem::builder().update(debit).build())
            .send()
            .await;
        match outcome {
            Ok(_) => {
                let tenant = self
                    .get_tenant(id)
                    .await?
                    .ok_or_else(|| StoreError::Permanent(format!("no tenant {id}")))?;
                Ok(Some(ChargeOutcome::Charged {
                    remaining: tenant.credits,
                }))
            }
            Err(err)
                if crate::error::service_code(&err) == Some("TransactionCanceledException") =>
            {
                if self
                    .get_item(tenant_pk(id), &format!("{CHARGE}{charge_id}"))
                    .await?
                    .is_some()
                {
                    return Ok(Some(ChargeOutcome::AlreadyCharged));
                }
                let tenant = self
                    .get_tenant(id)
                    .await?
                    .ok_or_else(|| StoreError::Permanent(format!("no tenant {id}")))?;
                if tenant.credits < i64::from(pages) {
                    Ok(Some(ChargeOutcome::Insufficient {
                        balance: tenant.credits,
                    }))
                } else {
                    // Cancelled by a concurrent write that has since gone through.
                    Ok(None)
                }
            }
            Err(err) => Err(store_error("TransactWriteItems", err)),
        }
    }
}

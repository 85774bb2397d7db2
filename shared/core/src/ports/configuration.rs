//! What a tenant configures: templates and webhook endpoints. Both are versioned like a job's records
//! ([`crate::model::records::VersionedWrite`]): `insert_*` fails with `Conflict` when the id exists,
//! `update_*` only replaces the copy it was read as, so a concurrent change is never overwritten and a
//! deleted item never comes back.

use crate::error::StoreError;
use crate::ids::{EndpointId, TemplateId, TenantId};
use crate::model::{Template, WebhookEndpoint};
use async_trait::async_trait;

#[async_trait]
pub trait TemplateRecords: Send + Sync {
    async fn insert_template(&self, template: &Template) -> Result<(), StoreError>;
    /// Fails with `Conflict` when the stored version is not `template.version` (changed or deleted).
    async fn update_template(&self, template: &Template) -> Result<(), StoreError>;
    async fn get_template(
        &self,
        tenant: TenantId,
        id: TemplateId,
    ) -> Result<Option<Template>, StoreError>;
    /// Oldest first ([`crate::model::records::sort_templates`]).
    async fn list_templates(&self, tenant: TenantId) -> Result<Vec<Template>, StoreError>;
    /// Returns whether it existed.
    async fn delete_template(&self, tenant: TenantId, id: TemplateId) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait EndpointRecords: Send + Sync {
    async fn insert_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError>;
    /// Fails with `Conflict` when the stored version is not `endpoint.version` (changed or deleted).
    async fn update_endpoint(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError>;
    async fn get_endpoint(
        &self,
        tenant: TenantId,
        id: EndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError>;
    /// Oldest first ([`crate::model::records::sort_endpoints`]); only those of `template` when given.
    async fn list_endpoints(
        &self,
        tenant: TenantId,
        template: Option<TemplateId>,
    ) -> Result<Vec<WebhookEndpoint>, StoreError>;
    /// Returns whether it existed.
    async fn delete_endpoint(&self, tenant: TenantId, id: EndpointId) -> Result<bool, StoreError>;
}

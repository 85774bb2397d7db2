//! Templates: the fields to extract and how. Validation lives in `template_rules.rs`.

use super::template_rules::{validate, TemplateInput};
use super::MAX_WRITE_TRIES;
use crate::clock::Clock;
use crate::error::{CoreError, StoreError};
use crate::ids::{TemplateId, TenantId};
use crate::model::records::Versioned;
use crate::model::{FieldSpec, Template};
use crate::ports::{EndpointRecords, TemplateRecords};
use std::sync::Arc;

/// What the templates API touches: templates, and the endpoints deleted with their template.
#[derive(Clone)]
pub struct TemplatePorts {
    pub templates: Arc<dyn TemplateRecords>,
    pub endpoints: Arc<dyn EndpointRecords>,
    pub clock: Arc<dyn Clock>,
}

fn not_found() -> CoreError {
    CoreError::not_found("template_not_found", "no template with this id")
}

pub async fn create(
    s: &TemplatePorts,
    tenant: TenantId,
    input: TemplateInput,
) -> Result<Template, CoreError> {
    let template = unsaved(tenant, input, s.clock.now())?;
    s.templates.insert_template(&template).await?;
    Ok(template)
}

/// The new template `input` describes, checked and given an id, but not stored (what `create` stores,
/// and what the template preview runs for an inline template).
pub fn unsaved(
    tenant: TenantId,
    input: TemplateInput,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Template, CoreError> {
    validate(&input)?;
    Ok(Template {
        id: TemplateId::random(),
        tenant_id: tenant,
        name: input.name.trim().to_string(),
        fields: trimmed(input.fields),
        date_order: input.date_order,
        decimal_separator: input.decimal_separator,
        created_at: now,
        updated_at: now,
        version: 0,
    })
}

fn trimmed(fields: Vec<FieldSpec>) -> Vec<FieldSpec> {
    fields
        .into_iter()
        .map(|f| FieldSpec {
            name: f.name.trim().to_string(),
            ..f
        })
        .collect()
}

/// A template of this tenant; an id that is malformed, unknown or another tenant's is not found.
pub async fn get(s: &TemplatePorts, tenant: TenantId, id: &str) -> Result<Template, CoreError> {
    let id = TemplateId::parse(id).ok_or_else(not_found)?;
    s.templates
        .get_template(tenant, id)
        .await?
        .ok_or_else(not_found)
}

pub async fn list(s: &TemplatePorts, tenant: TenantId) -> Result<Vec<Template>, CoreError> {
    Ok(s.templates.list_templates(tenant).await?)
}

pub async fn update(
    s: &TemplatePorts,
    tenant: TenantId,
    id: &str,
    input: TemplateInput,
) -> Result<Template, CoreError> {
    validate(&input)?;
    let fields = trimmed(input.fields);
    // A `PUT` replaces the whole template: each try starts from the stored copy, so the write only refuses
    // to bring back a template deleted meanwhile (then not found) and never loses a version.
    for _ in 0..MAX_WRITE_TRIES {
        let existing = get(s, tenant, id).await?;
        let template = Template {
            name: input.name.trim().to_string(),
            fields: fields.clone(),
            date_order: input.date_order,
            decimal_separator: input.decimal_separator,
            updated_at: s.clock.now(),
            ..existing
        };
        match s.templates.update_template(&template).await {
            Ok(()) => return Ok(template.written()),
            Err(StoreError::Conflict) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(CoreError::Unavailable(format!(
        "template {id} kept changing under concurrent writers"
    )))
}

/// Deletes the template and its webhook endpoints. Jobs already submitted keep their results.
pub async fn delete(s: &TemplatePorts, tenant: TenantId, id: &str) -> Result<(), CoreError> {
    let template = get(s, tenant, id).await?;
    for endpoint in s
        .endpoints
        .list_endpoints(tenant, Some(template.id))
        .await?
    {
        s.endpoints.delete_endpoint(tenant, endpoint.id).await?;
    }
    s.templates.delete_template(tenant, template.id).await?;
    Ok(())
}

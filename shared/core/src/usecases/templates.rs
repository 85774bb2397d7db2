//! Templates: the fields to extract and how.

use crate::error::CoreError;
use crate::ids::{TemplateId, TenantId};
use crate::model::{DateOrder, FieldRule, FieldSpec, Template};
use crate::policy::extraction::compile_pattern;
use crate::services::Services;
use serde::Deserialize;
use std::collections::HashSet;

const MAX_FIELDS: usize = 200;

/// The body of `POST /templates` and `PUT /templates/{id}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    #[serde(default)]
    pub date_order: DateOrder,
}

fn invalid(message: impl Into<String>) -> CoreError {
    CoreError::invalid("invalid_template", message)
}

/// Refuses what would fail later: empty or duplicate names, empty labels, patterns that do not compile.
pub fn validate(input: &TemplateInput) -> Result<(), CoreError> {
    let name = input.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(invalid("name must have 1 to 200 characters"));
    }
    if input.fields.len() > MAX_FIELDS {
        return Err(invalid(format!(
            "a template has at most {MAX_FIELDS} fields"
        )));
    }
    let mut seen = HashSet::new();
    for field in &input.fields {
        let fname = field.name.trim();
        if fname.is_empty() || fname.len() > 100 || fname.chars().any(char::is_control) {
            return Err(invalid(
                "every field needs a name of 1 to 100 printable characters",
            ));
        }
        if !seen.insert(fname.to_string()) {
            return Err(invalid(format!("field name {fname:?} is used twice")));
        }
        match &field.rule {
            FieldRule::Label { label, .. } if label.trim().is_empty() || label.len() > 200 => {
                return Err(invalid(format!(
                    "field {fname:?}: label must have 1 to 200 characters"
                )));
            }
            FieldRule::Regex { pattern, group } => {
                let re = compile_pattern(pattern).map_err(|e| {
                    invalid(format!(
                        "field {fname:?}: regular expression is not valid: {e}"
                    ))
                })?;
                if let Some(g) = group {
                    if *g >= re.captures_len() {
                        return Err(invalid(format!(
                            "field {fname:?}: the pattern has no group {g}"
                        )));
                    }
                }
            }
            FieldRule::Region {
                page,
                x,
                y,
                width,
                height,
            } => {
                if *page == Some(0) {
                    return Err(invalid(format!(
                        "field {fname:?}: pages are numbered from 1"
                    )));
                }
                if !region_fits(*x, *y, *width, *height) {
                    return Err(invalid(format!(
                        "field {fname:?}: a region is x, y, width and height in fractions of the page \
                         (0 to 1), with a width and height above 0 that stay inside the page"
                    )));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn region_fits(x: f32, y: f32, width: f32, height: f32) -> bool {
    // A little slack for fractions computed by clients (0.1 + 0.9 is not exactly 1).
    let within = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
    within(x)
        && within(y)
        && width > 0.0
        && height > 0.0
        && within(width)
        && within(height)
        && x + width <= 1.0001
        && y + height <= 1.0001
}

fn not_found() -> CoreError {
    CoreError::not_found("template_not_found", "no template with this id")
}

pub async fn create(
    s: &Services,
    tenant: TenantId,
    input: TemplateInput,
) -> Result<Template, CoreError> {
    validate(&input)?;
    let now = s.clock.now();
    let template = Template {
        id: TemplateId::random(),
        tenant_id: tenant,
        name: input.name.trim().to_string(),
        fields: trimmed(input.fields),
        date_order: input.date_order,
        created_at: now,
        updated_at: now,
    };
    s.config.put_template(&template).await?;
    Ok(template)
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
pub async fn get(s: &Services, tenant: TenantId, id: &str) -> Result<Template, CoreError> {
    let id = TemplateId::parse(id).ok_or_else(not_found)?;
    s.config
        .get_template(tenant, id)
        .await?
        .ok_or_else(not_found)
}

pub async fn list(s: &Services, tenant: TenantId) -> Result<Vec<Template>, CoreError> {
    Ok(s.config.list_templates(tenant).await?)
}

pub async fn update(
    s: &Services,
    tenant: TenantId,
    id: &str,
    input: TemplateInput,
) -> Result<Template, CoreError> {
    validate(&input)?;
    let existing = get(s, tenant, id).await?;
    let template = Template {
        name: input.name.trim().to_string(),
        fields: trimmed(input.fields),
        date_order: input.date_order,
        updated_at: s.clock.now(),
        ..existing
    };
    s.config.put_template(&template).await?;
    Ok(template)
}

/// Deletes the template and its webhook endpoints. Jobs already submitted keep their results.
pub async fn delete(s: &Services, tenant: TenantId, id: &str) -> Result<(), CoreError> {
    let template = get(s, tenant, id).await?;
    for endpoint in s.config.list_endpoints(tenant, Some(template.id)).await? {
        s.config.delete_endpoint(tenant, endpoint.id).await?;
    }
    s.config.delete_template(tenant, template.id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FieldType, LabelDirection};

    fn input(fields: Vec<FieldSpec>) -> TemplateInput {
        TemplateInput {
            name: "Invoices".into(),
            fields,
            date_order: DateOrder::DayMonthYear,
        }
    }

    fn field(name: &str, rule: FieldRule) -> FieldSpec {
        FieldSpec {
            name: name.into(),
            field_type: FieldType::Text,
            rule,
        }
    }

    #[test]
    fn validation_refuses_what_would_fail_later() {
        let label = |l: &str| FieldRule::Label {
            label: l.into(),
            direction: LabelDirection::Right,
        };
        let regex = |p: &str, g| FieldRule::Regex {
            pattern: p.into(),
            group: g,
        };
        let region = |page, x, y, width, height| FieldRule::Region {
            page,
            x,
            y,
            width,
            height,
        };
        assert!(validate(&input(vec![
            field("a", label("A:")),
            field("b", regex(r"(\d+)", Some(1))),
            field("c", region(Some(1), 0.0, 0.9, 1.0, 0.1)),
        ]))
        .is_ok());
        let bad = [
            vec![field("a", label("A:")), field("a", label("B:"))],
            vec![field("", label("A:"))],
            vec![field("a", label("  "))],
            vec![field("a", regex("(", None))],
            vec![field("a", regex(r"\d+", Some(1)))],
            vec![field("a", region(None, 0.5, 0.5, 0.6, 0.1))],
            vec![field("a", region(None, -0.1, 0.0, 0.5, 0.1))],
            vec![field("a", region(None, 0.1, 0.1, 0.0, 0.1))],
            vec![field("a", region(None, 0.1, 0.1, f32::NAN, 0.1))],
            vec![field("a", region(Some(0), 0.1, 0.1, 0.1, 0.1))],
        ];
        for fields in bad {
            let err = validate(&input(fields.clone())).unwrap_err();
            assert_eq!(err.code(), "invalid_template", "{fields:?}");
        }
        let mut nameless = input(vec![]);
        nameless.name = " ".into();
        assert!(validate(&nameless).is_err());
    }
}

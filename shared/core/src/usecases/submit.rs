//! `POST /process-job`: accept a file against a template, answer at once with a job id.

use crate::error::CoreError;
use crate::ids::{EndpointId, JobId, TemplateId, TenantId};
use crate::model::{EventType, FileKind, Job, Status};
use crate::services::Services;
use crate::usecases::keys::upload_key;
use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A submission as the handler parsed it from JSON or multipart; nothing is validated yet.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub template_id: Option<String>,
    pub file: Option<Bytes>,
    pub file_name: Option<String>,
    pub static_values: Option<Value>,
    pub webhook_ids: Option<Vec<String>>,
}

/// The 202 answer, as the seeds document it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accepted {
    pub job_id: JobId,
    pub template_id: TemplateId,
    pub static_values: Map<String, Value>,
}

fn missing(field: &str) -> CoreError {
    CoreError::invalid("missing_field", format!("{field} is required"))
}

pub async fn submit_job(
    s: &Services,
    tenant: TenantId,
    sub: Submission,
) -> Result<Accepted, CoreError> {
    let template_text = sub
        .template_id
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| missing("template_id"))?;
    let file = sub.file.ok_or_else(|| missing("actual_image"))?;
    let template_id = TemplateId::parse(template_text)
        .ok_or_else(|| CoreError::invalid("invalid_template_id", "template_id must be a UUID"))?;
    let static_values = static_values(s, sub.static_values)?;

    let template = s
        .config
        .get_template(tenant, template_id)
        .await?
        .ok_or_else(|| CoreError::not_found("template_not_found", "no template with this id"))?;
    let endpoint_ids = endpoints_for(s, tenant, template.id, sub.webhook_ids).await?;

    if file.is_empty() {
        return Err(CoreError::invalid("empty_file", "actual_image is empty"));
    }
    if file.len() > s.settings.max_inline_file_bytes {
        return Err(CoreError::TooLarge {
            code: "payload_too_large",
            message: format!(
                "the file is larger than {} bytes; use POST /uploads for large files",
                s.settings.max_inline_file_bytes
            ),
        });
    }
    let kind = s
        .reader
        .sniff(&file)
        .ok_or_else(|| CoreError::UnsupportedMedia {
            code: "unsupported_file_type",
            message: "the file is not a PDF, PNG, JPEG, TIFF, WebP or ZIP (judged by its content)"
                .to_string(),
        })?;

    let tenant_row = s
        .config
        .get_tenant(tenant)
        .await?
        .ok_or_else(|| CoreError::Internal("tenant vanished".into()))?;
    if tenant_row.credits <= 0 {
        return Err(CoreError::InsufficientCredits {
            message: "the account has no credits left".to_string(),
        });
    }

    let now = s.clock.now();
    let job_id = JobId::random();
    let job = Job {
        id: job_id,
        tenant_id: tenant,
        template_id: template.id,
        status: Status::New,
        file_name: clean_file_name(sub.file_name.as_deref(), kind),
        file_kind: kind,
        upload_key: upload_key(tenant, job_id),
        static_values: static_values.clone(),
        endpoint_ids,
        documents_total: None,
        completed_documents: BTreeSet::new(),
        pages: 0,
        credits_charged: 0,
        error: None,
        created_at: now,
        updated_at: now,
        completed_at: None,
        expires_at: now + s.settings.retention,
        version: 0,
    };
    // The job is written before the file, because storing the file is what starts processing.
    s.jobs.insert_job(&job).await?;
    s.objects
        .put(&job.upload_key, file, kind.media_type())
        .await?;
    Ok(Accepted {
        job_id,
        template_id: template.id,
        static_values,
    })
}

fn static_values(s: &Services, given: Option<Value>) -> Result<Map<String, Value>, CoreError> {
    let map = match given {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(CoreError::invalid(
                "invalid_static_values",
                "static_values must be a JSON object",
            ))
        }
    };
    let size = serde_json::to_vec(&map)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > s.settings.max_static_values_bytes {
        return Err(CoreError::invalid(
            "invalid_static_values",
            format!(
                "static_values is larger than {} bytes",
                s.settings.max_static_values_bytes
            ),
        ));
    }
    Ok(map)
}

/// The endpoints to deliver to: the named ones (each must be this tenant's, of this template, enabled),
/// or every enabled endpoint of the template.
async fn endpoints_for(
    s: &Services,
    tenant: TenantId,
    template: TemplateId,
    named: Option<Vec<String>>,
) -> Result<Vec<EndpointId>, CoreError> {
    let Some(named) = named else {
        let all = s.config.list_endpoints(tenant, Some(template)).await?;
        let wanted = |e: &&crate::model::WebhookEndpoint| {
            e.enabled
                && (e.wants(EventType::DocumentCompleted) || e.wants(EventType::DocumentFailed))
        };
        return Ok(all.iter().filter(wanted).map(|e| e.id).collect());
    };
    let mut ids = Vec::new();
    for text in named {
        let id = EndpointId::parse(&text).ok_or_else(|| {
            CoreError::invalid(
                "invalid_webhook_id",
                format!("webhook id {text:?} is not a UUID"),
            )
        })?;
        let endpoint = s.config.get_endpoint(tenant, id).await?.ok_or_else(|| {
            CoreError::not_found("webhook_not_found", format!("no webhook endpoint {id}"))
        })?;
        if endpoint.template_id != template {
            return Err(CoreError::invalid(
                "webhook_not_for_template",
                format!("webhook endpoint {id} belongs to another template"),
            ));
        }
        if !endpoint.enabled {
            return Err(CoreError::invalid(
                "webhook_disabled",
                format!("webhook endpoint {id} is disabled"),
            ));
        }
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// A display name for the file: its last path component, printable, at most 255 bytes.
pub fn clean_file_name(given: Option<&str>, kind: FileKind) -> String {
    let base = given.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = base.chars().filter(|c| !c.is_control()).collect();
    name = name.trim().to_string();
    while name.len() > 255 {
        name.pop();
    }
    if name.is_empty() || name == "." || name == ".." {
        let ext = match kind {
            FileKind::Pdf => "pdf",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
            FileKind::Tiff => "tiff",
            FileKind::Webp => "webp",
            FileKind::Zip => "zip",
        };
        name = format!("document.{ext}");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(
            clean_file_name(Some("../../etc/passwd"), FileKind::Pdf),
            "passwd"
        );
        assert_eq!(
            clean_file_name(Some("C:\\docs\\inv.pdf"), FileKind::Pdf),
            "inv.pdf"
        );
        assert_eq!(
            clean_file_name(Some("a\u{0}b\r\n.pdf"), FileKind::Pdf),
            "ab.pdf"
        );
        assert_eq!(clean_file_name(None, FileKind::Zip), "document.zip");
        assert_eq!(clean_file_name(Some(".."), FileKind::Png), "document.png");
        assert_eq!(
            clean_file_name(Some(&"é".repeat(300)), FileKind::Png).len(),
            254
        );
    }
}

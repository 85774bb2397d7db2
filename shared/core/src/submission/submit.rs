//! `POST /process-job`: accept a file against a template, answer at once with a job id.

use crate::error::CoreError;
use crate::ids::{EndpointId, JobId, TemplateId, TenantId};
use crate::model::{EventType, FileKind, Job, Status};
use crate::object_keys::upload_key;
use crate::policy::file_kind;
use crate::policy::idempotency::{fingerprint, sha256_hex};
use crate::submission::create_once::create_once;
use crate::submission::SubmissionPorts;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
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

/// The 202 answer: the job id at once, and what the job was submitted with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accepted {
    pub job_id: JobId,
    pub template_id: TemplateId,
    pub static_values: Map<String, Value>,
}

fn missing(field: &str) -> CoreError {
    CoreError::invalid_at("missing_field", field, "is required")
}

/// The given `template_id` text, refused when absent or blank.
pub(crate) fn required_template_id(given: Option<&str>) -> Result<&str, CoreError> {
    given
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| missing("template_id"))
}

/// What a request that creates a job names, checked against the tenant's configuration.
pub(crate) struct JobTarget {
    pub template_id: TemplateId,
    pub static_values: Map<String, Value>,
    pub endpoint_ids: Vec<EndpointId>,
}

/// Checks the template, `static_values` and `webhook_ids` of a request that creates a job.
pub(crate) async fn job_target(
    s: &SubmissionPorts,
    tenant: TenantId,
    template_text: &str,
    static_values_given: Option<Value>,
    webhook_ids: Option<Vec<String>>,
) -> Result<JobTarget, CoreError> {
    let template_id = TemplateId::parse_given(template_text)?;
    let static_values = static_values(s, static_values_given)?;
    let template = s
        .templates
        .get_template(tenant, template_id)
        .await?
        .ok_or_else(|| CoreError::not_found("template_not_found", "no template with this id"))?;
    let endpoint_ids = endpoints_for(s, tenant, template.id, webhook_ids).await?;
    Ok(JobTarget {
        template_id: template.id,
        static_values,
        endpoint_ids,
    })
}

/// A tenant with no credits left cannot start a job (the pages are charged when processed).
pub(crate) async fn require_credits(
    s: &SubmissionPorts,
    tenant: TenantId,
) -> Result<(), CoreError> {
    let tenant_row = s
        .tenants
        .get_tenant(tenant)
        .await?
        .ok_or_else(|| CoreError::Internal("tenant vanished".into()))?;
    if tenant_row.credits <= 0 {
        return Err(CoreError::InsufficientCredits {
            message: "the account has no credits left".to_string(),
        });
    }
    Ok(())
}

/// A `NEW` job for `target`; its file is (or will be) stored under its upload key.
pub(crate) fn new_job(
    s: &SubmissionPorts,
    tenant: TenantId,
    target: &JobTarget,
    file_name: Option<&str>,
    kind: Option<FileKind>,
) -> Job {
    let now = s.clock.now();
    let job_id = JobId::random();
    Job {
        id: job_id,
        tenant_id: tenant,
        template_id: target.template_id,
        status: Status::New,
        file_name: clean_file_name(file_name, kind),
        file_kind: kind,
        upload_key: upload_key(tenant, job_id),
        static_values: target.static_values.clone(),
        endpoint_ids: target.endpoint_ids.clone(),
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
    }
}

pub async fn submit_job(
    s: &SubmissionPorts,
    tenant: TenantId,
    sub: Submission,
) -> Result<Accepted, CoreError> {
    let template_text = required_template_id(sub.template_id.as_deref())?;
    let file = sub.file.ok_or_else(|| missing("actual_image"))?;
    let target = job_target(s, tenant, template_text, sub.static_values, sub.webhook_ids).await?;

    if file.is_empty() {
        return Err(CoreError::invalid_at(
            "empty_file",
            "actual_image",
            "is empty",
        ));
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
    let kind = file_kind::sniff(&file).ok_or_else(|| CoreError::UnsupportedMedia {
        code: "unsupported_file_type",
        message: "the file is not a PDF, PNG, JPEG, TIFF, WebP or ZIP (judged by its content)"
            .to_string(),
    })?;
    require_credits(s, tenant).await?;

    let job = new_job(s, tenant, &target, sub.file_name.as_deref(), Some(kind));
    // The job is written before the file, because storing the file is what starts processing.
    s.jobs.insert_job(&job).await?;
    s.objects
        .put(&job.upload_key, file, kind.media_type())
        .await?;
    Ok(Accepted {
        job_id: job.id,
        template_id: job.template_id,
        static_values: job.static_values,
    })
}

/// [`submit_job`] under an optional `Idempotency-Key` (see [`create_once`]).
pub async fn submit_job_once(
    s: &SubmissionPorts,
    tenant: TenantId,
    key: Option<&str>,
    sub: Submission,
) -> Result<Accepted, CoreError> {
    let Some(key) = key else {
        return submit_job(s, tenant, sub).await;
    };
    let request_sha256 = submission_fingerprint(&sub);
    create_once(
        s,
        tenant,
        key,
        request_sha256,
        202,
        submit_job(s, tenant, sub),
    )
    .await
}

/// The SHA-256 that identifies a submission's content, whichever encoding (JSON or multipart) carried it.
pub fn submission_fingerprint(sub: &Submission) -> String {
    let file = sub.file.as_deref().map(sha256_hex).unwrap_or_default();
    let (statics, ids) =
        fingerprint_job_fields(sub.static_values.as_ref(), sub.webhook_ids.as_deref());
    let flag = |present: bool| if present { &b"1"[..] } else { &b"0"[..] };
    fingerprint(&[
        flag(sub.template_id.is_some()),
        sub.template_id.as_deref().unwrap_or("").as_bytes(),
        flag(sub.file.is_some()),
        file.as_bytes(),
        flag(sub.file_name.is_some()),
        sub.file_name.as_deref().unwrap_or("").as_bytes(),
        statics.as_bytes(),
        flag(sub.webhook_ids.is_some()),
        ids.as_bytes(),
    ])
}

/// How the job fields both submission routes take (static values, chosen webhook ids) enter an
/// idempotency fingerprint: the JSON text of each, empty when absent. JSON keeps `[]` apart from `[""]`
/// and `["a\nb"]` apart from `["a", "b"]`: requests that differ must never replay each other's answer.
pub(crate) fn fingerprint_job_fields(
    static_values: Option<&Value>,
    webhook_ids: Option<&[String]>,
) -> (String, String) {
    (
        static_values.map(Value::to_string).unwrap_or_default(),
        webhook_ids
            .map(|ids| serde_json::to_string(ids).unwrap_or_default())
            .unwrap_or_default(),
    )
}

fn static_values(
    s: &SubmissionPorts,
    given: Option<Value>,
) -> Result<Map<String, Value>, CoreError> {
    let map = match given {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(CoreError::invalid_at(
                "invalid_static_values",
                "static_values",
                "must be a JSON object",
            ))
        }
    };
    let size = serde_json::to_vec(&map)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > s.settings.max_static_values_bytes {
        return Err(CoreError::invalid_at(
            "invalid_static_values",
            "static_values",
            format!(
                "is larger than {} bytes as JSON",
                s.settings.max_static_values_bytes
            ),
        ));
    }
    Ok(map)
}

/// The endpoints to deliver to: the named ones (each must be this tenant's, of this template, enabled),
/// or every enabled endpoint of the template.
async fn endpoints_for(
    s: &SubmissionPorts,
    tenant: TenantId,
    template: TemplateId,
    named: Option<Vec<String>>,
) -> Result<Vec<EndpointId>, CoreError> {
    let Some(named) = named else {
        let all = s.endpoints.list_endpoints(tenant, Some(template)).await?;
        let wanted = |e: &&crate::model::WebhookEndpoint| {
            e.enabled
                && (e.wants(EventType::DocumentCompleted) || e.wants(EventType::DocumentFailed))
        };
        return Ok(all.iter().filter(wanted).map(|e| e.id).collect());
    };
    let mut ids = Vec::new();
    for (index, text) in named.iter().enumerate() {
        let at = format!("webhook_ids[{index}]");
        let id = EndpointId::parse(text).ok_or_else(|| {
            CoreError::invalid_at("invalid_webhook_id", &at, format!("{text:?} is not a UUID"))
        })?;
        let endpoint = s.endpoints.get_endpoint(tenant, id).await?.ok_or_else(|| {
            CoreError::not_found(
                "webhook_not_found",
                format!("{at}: no webhook endpoint {id}"),
            )
        })?;
        if endpoint.template_id != template {
            return Err(CoreError::invalid_at(
                "webhook_not_for_template",
                &at,
                format!("webhook endpoint {id} belongs to another template"),
            ));
        }
        if !endpoint.enabled {
            return Err(CoreError::invalid_at(
                "webhook_disabled",
                &at,
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
/// Without a name, `document` with the kind's extension (just `document` while the kind is unknown).
pub fn clean_file_name(given: Option<&str>, kind: Option<FileKind>) -> String {
    let base = given.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = base.chars().filter(|c| !c.is_control()).collect();
    name = name.trim().to_string();
    while name.len() > 255 {
        name.pop();
    }
    if name.is_empty() || name == "." || name == ".." {
        let ext = kind.map(|kind| match kind {
            FileKind::Pdf => ".pdf",
            FileKind::Png => ".png",
            FileKind::Jpeg => ".jpg",
            FileKind::Tiff => ".tiff",
            FileKind::Webp => ".webp",
            FileKind::Zip => ".zip",
        });
        name = format!("document{}", ext.unwrap_or(""));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(
            clean_file_name(Some("../../etc/passwd"), Some(FileKind::Pdf)),
            "passwd"
        );
        assert_eq!(
            clean_file_name(Some("C:\\docs\\inv.pdf"), Some(FileKind::Pdf)),
            "inv.pdf"
        );
        assert_eq!(
            clean_file_name(Some("a\u{0}b\r\n.pdf"), Some(FileKind::Pdf)),
            "ab.pdf"
        );
        assert_eq!(clean_file_name(None, Some(FileKind::Zip)), "document.zip");
        assert_eq!(clean_file_name(None, None), "document");
        assert_eq!(
            clean_file_name(Some(".."), Some(FileKind::Png)),
            "document.png"
        );
        assert_eq!(
            clean_file_name(Some(&"é".repeat(300)), Some(FileKind::Png)).len(),
            254
        );
    }
}

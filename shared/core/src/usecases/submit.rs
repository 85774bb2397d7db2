//! `POST /process-job`: accept a file against a template, answer at once with a job id.

use crate::error::CoreError;
use crate::ids::{EndpointId, JobId, TemplateId, TenantId};
use crate::model::{EventType, FileKind, IdempotencyRecord, Job, Status, StoredResponse};
use crate::policy::idempotency::{check_key, fingerprint, sha256_hex};
use crate::services::Services;
use crate::usecases::keys::upload_key;
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

/// The 202 answer, as the seeds document it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// How long a claim holds a key while its request runs: a request that died mid-way frees it after this.
const CLAIM_TTL_MINUTES: i64 = 5;

/// [`submit_job`] under an optional `Idempotency-Key`. The first accepted request under a key is answered
/// again, and nothing created, for every retry with the same content within the retention period; the key
/// with other content is a 409 `idempotency_key_reused`. A request that fails frees its key (a refused
/// request created nothing, and retrying it with the same key is the client's natural fix). Keys are per
/// tenant.
pub async fn submit_job_once(
    s: &Services,
    tenant: TenantId,
    key: Option<&str>,
    sub: Submission,
) -> Result<Accepted, CoreError> {
    let Some(key) = key else {
        return submit_job(s, tenant, sub).await;
    };
    check_key(key).map_err(|m| CoreError::invalid("invalid_idempotency_key", m))?;
    let request_sha256 = submission_fingerprint(&sub);
    let now = s.clock.now();
    let claim = IdempotencyRecord {
        tenant_id: tenant,
        key: key.to_string(),
        request_sha256: request_sha256.clone(),
        response: None,
        created_at: now,
        expires_at: now + chrono::Duration::minutes(CLAIM_TTL_MINUTES),
    };
    if let Some(existing) = s.jobs.claim_idempotency_key(&claim, now).await? {
        if existing.request_sha256 != request_sha256 {
            return Err(CoreError::Conflict {
                code: "idempotency_key_reused",
                message: "this Idempotency-Key was used with another request body".to_string(),
            });
        }
        return match existing.response {
            Some(stored) => serde_json::from_str(&stored.body)
                .map_err(|e| CoreError::Internal(format!("stored idempotent response: {e}"))),
            None => Err(CoreError::Conflict {
                code: "idempotency_key_in_use",
                message: "a request with this Idempotency-Key is still running; retry shortly"
                    .to_string(),
            }),
        };
    }
    let accepted = match submit_job(s, tenant, sub).await {
        Ok(accepted) => accepted,
        Err(err) => {
            if let Err(release) = s.jobs.release_idempotency_key(tenant, key).await {
                tracing::warn!(error = %release, "could not free an idempotency key");
            }
            return Err(err);
        }
    };
    let body = serde_json::to_string(&accepted).map_err(|e| CoreError::Internal(e.to_string()))?;
    let done = IdempotencyRecord {
        response: Some(StoredResponse { status: 202, body }),
        expires_at: now + s.settings.retention,
        ..claim
    };
    // The job exists now: failing the request here would make the client retry and, once the claim
    // lapses, submit twice. The claim still guards retries meanwhile.
    if let Err(err) = s.jobs.put_idempotency_record(&done).await {
        tracing::warn!(error = %err, "could not store an idempotent response");
    }
    Ok(accepted)
}

/// The SHA-256 that identifies a submission's content, whichever encoding (JSON or multipart) carried it.
pub fn submission_fingerprint(sub: &Submission) -> String {
    let file = sub.file.as_deref().map(sha256_hex).unwrap_or_default();
    let statics = sub
        .static_values
        .as_ref()
        .map(|v| v.to_string())
        .unwrap_or_default();
    let ids = sub
        .webhook_ids
        .as_ref()
        .map(|ids| ids.join("\n"))
        .unwrap_or_default();
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

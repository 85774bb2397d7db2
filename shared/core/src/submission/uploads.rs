//! `POST /uploads`: a job whose file the client sends itself, straight to storage, through a time-limited
//! URL (a presigned S3 PUT on AWS, a signed local URL in `pagewire dev`). The job is `NEW` until the file
//! arrives; its arrival under the job's upload key starts processing as a `POST /process-job` file does.
//! A file that never arrives leaves the job `NEW` until it expires.

use crate::error::CoreError;
use crate::ids::{JobId, TemplateId, TenantId};
use crate::model::Status;
use crate::object_keys::{parse_object_key, ObjectRef};
use crate::policy::idempotency::fingerprint;
use crate::submission::create_once::create_once;
use crate::submission::submit::{
    fingerprint_job_fields, job_target, new_job, require_credits, required_template_id,
};
use crate::submission::SubmissionPorts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What the client sends the bytes as: the URL's signature covers it, so the PUT must carry it.
pub const UPLOAD_CONTENT_TYPE: &str = "application/octet-stream";

/// A `POST /uploads` request as the handler parsed it; nothing is validated yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadRequest {
    pub template_id: Option<String>,
    pub file_name: Option<String>,
    pub static_values: Option<Value>,
    pub webhook_ids: Option<Vec<String>>,
    /// The size the client announces, checked against the limit before any byte is sent.
    pub file_size: Option<u64>,
}

/// How to send the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadInstructions {
    pub url: String,
    pub method: String,
    /// Send exactly these headers with the PUT.
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
}

/// The 201 answer: the job (`NEW`) and where to send its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadCreated {
    pub job_id: JobId,
    pub template_id: TemplateId,
    pub static_values: Map<String, Value>,
    pub status: Status,
    pub upload: UploadInstructions,
}

fn too_large(max: u64) -> CoreError {
    CoreError::TooLarge {
        code: "file_too_large",
        message: format!("files sent through /uploads may have at most {max} bytes"),
    }
}

/// Creates the job and the URL its file goes to; the same checks as `POST /process-job` (template,
/// endpoints, static values, credits), except those that need the file.
pub async fn create_upload(
    s: &SubmissionPorts,
    tenant: TenantId,
    req: UploadRequest,
) -> Result<UploadCreated, CoreError> {
    let template_text = required_template_id(req.template_id.as_deref())?;
    let target = job_target(s, tenant, template_text, req.static_values, req.webhook_ids).await?;
    let max = s.settings.max_upload_file_bytes;
    match req.file_size {
        Some(0) => {
            return Err(CoreError::invalid_at(
                "empty_file",
                "file_size",
                "is 0: an empty file has nothing to read",
            ))
        }
        Some(size) if size > max => return Err(too_large(max)),
        _ => {}
    }
    require_credits(s, tenant).await?;

    let job = new_job(s, tenant, &target, req.file_name.as_deref(), None);
    let now = s.clock.now();
    let expires_at = (now + s.settings.upload_url_ttl).min(job.expires_at);
    let target = s
        .uploads
        .presign_put(&job.upload_key, UPLOAD_CONTENT_TYPE, now, expires_at)
        .await?;
    s.jobs.insert_job(&job).await?;
    Ok(UploadCreated {
        job_id: job.id,
        template_id: job.template_id,
        static_values: job.static_values,
        status: job.status,
        upload: UploadInstructions {
            url: target.url,
            method: target.method,
            headers: target
                .headers
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
            expires_at: target.expires_at,
            max_bytes: max,
        },
    })
}

/// [`create_upload`] under an optional `Idempotency-Key`: a retry gets the first answer (the same job
/// and URL) and creates nothing.
pub async fn create_upload_once(
    s: &SubmissionPorts,
    tenant: TenantId,
    key: Option<&str>,
    req: UploadRequest,
) -> Result<UploadCreated, CoreError> {
    let Some(key) = key else {
        return create_upload(s, tenant, req).await;
    };
    let request_sha256 = upload_fingerprint(&req);
    create_once(
        s,
        tenant,
        key,
        request_sha256,
        201,
        create_upload(s, tenant, req),
    )
    .await
}

/// The SHA-256 that identifies an upload request's content. It starts with the route's name, so the same
/// key on `/process-job` is another request.
pub fn upload_fingerprint(req: &UploadRequest) -> String {
    let (statics, ids) =
        fingerprint_job_fields(req.static_values.as_ref(), req.webhook_ids.as_deref());
    let size = req.file_size.map(|n| n.to_string()).unwrap_or_default();
    let flag = |present: bool| if present { &b"1"[..] } else { &b"0"[..] };
    fingerprint(&[
        b"uploads",
        flag(req.template_id.is_some()),
        req.template_id.as_deref().unwrap_or("").as_bytes(),
        flag(req.file_name.is_some()),
        req.file_name.as_deref().unwrap_or("").as_bytes(),
        statics.as_bytes(),
        flag(req.webhook_ids.is_some()),
        ids.as_bytes(),
        size.as_bytes(),
    ])
}

/// Whether the object `key`, which a valid upload URL names, may be received now: its job exists, is
/// live and still waits for its file. `pagewire dev` asks before it accepts the bytes (S3 cannot; there
/// processing ignores a second upload, as it does a repeated notification).
pub async fn check_upload_destination(s: &SubmissionPorts, key: &str) -> Result<JobId, CoreError> {
    let Some(ObjectRef::Upload { job, .. }) = parse_object_key(key) else {
        return Err(CoreError::Forbidden {
            code: "invalid_upload_url",
            message: "this URL does not name an upload".to_string(),
        });
    };
    let found = s
        .jobs
        .get_job(job)
        .await?
        .filter(|j| j.upload_key == key)
        .ok_or_else(|| CoreError::not_found("job_not_found", "no job waits for this upload"))?;
    if found.is_expired(s.clock.now()) {
        return Err(CoreError::Gone {
            code: "job_expired",
            message: "the job of this upload has expired".to_string(),
        });
    }
    if found.status != Status::New || s.objects.size(key).await?.is_some() {
        return Err(CoreError::Conflict {
            code: "upload_already_received",
            message: "this job's file was already received".to_string(),
        });
    }
    Ok(job)
}

/// The limit a file sent to an upload URL must respect.
pub fn upload_too_large(s: &SubmissionPorts) -> CoreError {
    too_large(s.settings.max_upload_file_bytes)
}

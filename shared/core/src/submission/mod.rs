//! Submission: a file (inline, or through an upload URL) and a template in, a job id out at once. The
//! file lands in the object store, whose "object created" event starts [`crate::processing`].

mod create_once;
pub mod submit;
pub mod uploads;

use crate::clock::Clock;
use crate::ports::{
    EndpointRecords, IdempotencyKeys, JobRecords, ObjectStore, TemplateRecords, TenantRecords,
    UploadUrls,
};
use crate::settings::Settings;
use std::sync::Arc;

pub use submit::{submit_job, submit_job_once, Accepted, Submission};
pub use uploads::{
    check_upload_destination, create_upload, create_upload_once, upload_too_large, UploadCreated,
    UploadRequest,
};

/// What submitting a job touches: the job record and its idempotency claim, the tenant's template,
/// endpoints and balance (read only), and the object store the file goes to.
#[derive(Clone)]
pub struct SubmissionPorts {
    pub jobs: Arc<dyn JobRecords>,
    pub idempotency: Arc<dyn IdempotencyKeys>,
    pub tenants: Arc<dyn TenantRecords>,
    pub templates: Arc<dyn TemplateRecords>,
    pub endpoints: Arc<dyn EndpointRecords>,
    pub objects: Arc<dyn ObjectStore>,
    /// Grants `POST /uploads` clients a URL to PUT their file to.
    pub uploads: Arc<dyn UploadUrls>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

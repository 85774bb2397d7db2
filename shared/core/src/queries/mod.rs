//! Queries: a job read back (status, results as JSON or CSV). Nothing here writes.

mod csv_export;
mod results;
mod status;

use crate::clock::Clock;
use crate::error::CoreError;
use crate::ids::{JobId, TenantId};
use crate::model::Job;
use crate::ports::{AttemptLog, DeliveryRecords, DocumentRecords, JobRecords};
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub use csv_export::results_csv;
pub use results::{job_results, DocumentResultView, JobResultsView};
pub use status::{job_status, DeliveryView, DocumentStatusView, JobStatusView};

/// What reading a job touches: its records and its attempt log.
#[derive(Clone)]
pub struct QueryPorts {
    pub jobs: Arc<dyn JobRecords>,
    pub documents: Arc<dyn DocumentRecords>,
    pub deliveries: Arc<dyn DeliveryRecords>,
    pub attempts: Arc<dyn AttemptLog>,
    pub clock: Arc<dyn Clock>,
}

/// A job of this tenant that has not expired. Malformed, unknown and foreign ids are not found; an
/// expired job is gone.
pub async fn load_job(
    jobs: &dyn JobRecords,
    now: DateTime<Utc>,
    tenant: TenantId,
    id: &str,
) -> Result<Job, CoreError> {
    let not_found = || CoreError::not_found("job_not_found", "no job with this id");
    let id = JobId::parse(id).ok_or_else(not_found)?;
    let job = jobs
        .get_job(id)
        .await?
        .filter(|j| j.tenant_id == tenant)
        .ok_or_else(not_found)?;
    if job.is_expired(now) {
        return Err(CoreError::Gone {
            code: "job_expired",
            message: "this job's results were kept for 24 hours and have expired".to_string(),
        });
    }
    Ok(job)
}

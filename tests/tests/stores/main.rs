//! The port contract of the stores, one suite for both adapters: the embedded one (SQLite) and the AWS one
//! (DynamoDB and S3 in the emulator). Conditional writes, expiry, ordering, tenant isolation and atomic
//! credit charges must behave the same whichever backend runs.

mod config_store;
mod idempotency;
mod job_store;
mod large_items;
mod object_size;

use integration_tests::stack::{Backend, TestEnv};
use pagewire_core::ports::{ConfigStore, JobStore, ObjectStore};
use std::sync::Arc;

pub struct StoreEnv {
    pub jobs: Arc<dyn JobStore>,
    pub config: Arc<dyn ConfigStore>,
    pub objects: Arc<dyn ObjectStore>,
    /// Keeps the temporary directory (embedded) alive as long as the stores.
    _env: TestEnv,
}

pub async fn env(backend: Backend) -> StoreEnv {
    let env = TestEnv::new(backend).await;
    let services = pagewire_cli::backend::open(&env.options())
        .await
        .expect("backend opens")
        .services;
    StoreEnv {
        jobs: services.jobs,
        config: services.config,
        objects: services.objects,
        _env: env,
    }
}

//! The port contract of the stores, one suite for both adapters: the embedded one (SQLite) and the AWS one
//! (DynamoDB and S3 in the emulator). Conditional writes, expiry, ordering, tenant isolation and atomic
//! credit charges must behave the same whichever backend runs.

mod config_store;
mod failed_deliveries;
mod idempotency;
mod job_store;
mod large_items;
mod object_size;

use integration_tests::stack::{Backend, TestEnv};
use pagewire_lambda_kit::wiring::Storage;

/// Every storage port of one backend.
pub struct StoreEnv {
    pub storage: Storage,
    /// Keeps the temporary directory (embedded) alive as long as the stores.
    _env: TestEnv,
}

impl std::ops::Deref for StoreEnv {
    type Target = Storage;

    fn deref(&self) -> &Storage {
        &self.storage
    }
}

pub async fn env(backend: Backend) -> StoreEnv {
    let env = TestEnv::new(backend).await;
    let storage = pagewire_cli::backend::open(&env.options())
        .await
        .expect("backend opens")
        .storage;
    StoreEnv { storage, _env: env }
}

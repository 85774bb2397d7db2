//! Local adapters of the pagewire ports: one SQLite file for jobs, configuration and queues, and a
//! directory for objects. This is the backend of `pagewire dev` and of the end-to-end tests; it honours
//! the same semantics as the AWS adapters (conditional writes, TTL, visibility timeouts, dead letters),
//! so code that works here works there.

mod checkpoint;
mod config_store;
mod db;
mod job_store;
mod object_store;
mod queue;
mod s3_event;
mod uploads;

pub use config_store::SqliteConfigStore;
pub use job_store::{SqliteJobStore, PURGE_GRACE};
pub use object_store::{FsObjectStore, StagedObject};
pub use queue::{
    SqliteQueue, DELIVERY_MAX_RECEIVE_COUNT, DELIVERY_QUEUE, PROCESS_MAX_RECEIVE_COUNT,
    PROCESS_QUEUE,
};
pub use s3_event::LOCAL_BUCKET;
pub use uploads::{LocalUploadUrls, LOCAL_UPLOADS_PATH, UPLOAD_SECRET_FILE};

use db::Db;
use pagewire_core::Clock;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "pagewire.sqlite3";
/// The directory of objects inside the data directory.
pub const OBJECTS_DIR: &str = "objects";

/// Why the backend could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("cannot create {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

/// How many receives each queue allows before a message is dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    pub process_max_receive_count: u32,
    pub delivery_max_receive_count: u32,
}

impl Default for QueueLimits {
    /// The AWS stack's redrive policies.
    fn default() -> Self {
        Self {
            process_max_receive_count: PROCESS_MAX_RECEIVE_COUNT,
            delivery_max_receive_count: DELIVERY_MAX_RECEIVE_COUNT,
        }
    }
}

/// Every embedded adapter, sharing one SQLite connection. `objects` notifies `process_queue` (the same
/// `Arc`) of writes under `uploads/` and `documents/`, as the S3 bucket notifies SQS on AWS.
#[derive(Debug, Clone)]
pub struct EmbeddedBackend {
    pub jobs: Arc<SqliteJobStore>,
    pub config: Arc<SqliteConfigStore>,
    pub objects: Arc<FsObjectStore>,
    pub process_queue: Arc<SqliteQueue>,
    pub delivery_queue: Arc<SqliteQueue>,
    db: Arc<Db>,
    db_path: PathBuf,
}

impl EmbeddedBackend {
    /// Opens (creating if needed) `data_dir/pagewire.sqlite3` and `data_dir/objects/`, with the default
    /// [`QueueLimits`]. Reopening a directory sees everything written before.
    pub fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, EmbeddedError> {
        Self::open_with(data_dir, clock, QueueLimits::default())
    }

    /// As [`EmbeddedBackend::open`], with other dead-letter limits (tests that exhaust a queue quickly).
    pub fn open_with(
        data_dir: &Path,
        clock: Arc<dyn Clock>,
        limits: QueueLimits,
    ) -> Result<Self, EmbeddedError> {
        let objects_dir = data_dir.join(OBJECTS_DIR);
        std::fs::create_dir_all(&objects_dir).map_err(|source| EmbeddedError::Io {
            path: objects_dir.clone(),
            source,
        })?;
        let db_path = data_dir.join(DATABASE_FILE);
        let db = Db::open(&db_path).map_err(|source| EmbeddedError::Sqlite {
            path: db_path.clone(),
            source,
        })?;

        let process_queue = Arc::new(SqliteQueue::new(
            Arc::clone(&db),
            PROCESS_QUEUE,
            limits.process_max_receive_count,
            clock.clone(),
        ));
        let delivery_queue = Arc::new(SqliteQueue::new(
            Arc::clone(&db),
            DELIVERY_QUEUE,
            limits.delivery_max_receive_count,
            clock.clone(),
        ));
        Ok(Self {
            jobs: Arc::new(SqliteJobStore::new(Arc::clone(&db))),
            config: Arc::new(SqliteConfigStore::new(Arc::clone(&db))),
            objects: Arc::new(FsObjectStore::new(
                objects_dir,
                Arc::clone(&process_queue),
                clock,
            )),
            process_queue,
            delivery_queue,
            db,
            db_path,
        })
    }

    /// Lets the database grow to about `max_bytes` and no further (`pagewire dev --max-database-mb`), so
    /// a machine's disk is not filled: past the cap, requests that write answer 503 with `Retry-After`
    /// (as on a full disk) until expired items are swept. Returns the cap in force, in bytes.
    pub fn cap_database_size(&self, max_bytes: u64) -> Result<u64, EmbeddedError> {
        self.db
            .cap_size(max_bytes)
            .map_err(|source| EmbeddedError::Sqlite {
                path: self.db_path.clone(),
                source,
            })
    }
}

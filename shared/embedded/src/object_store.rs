//! [`ObjectStore`] on the filesystem: one file per key under `objects/`, written atomically, with the
//! bucket's "object created" notification to the process queue emulated after each triggering write.

use crate::queue::SqliteQueue;
use crate::s3_event;
use async_trait::async_trait;
use bytes::Bytes;
use pagewire_core::object_keys::{parse_object_key, ObjectRef, DOCUMENTS_PREFIX, UPLOADS_PREFIX};
use pagewire_core::ports::{MessageSink, ObjectStore};
use pagewire_core::{Clock, StoreError};
use std::fmt;
use std::fs;
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// S3's limit on a key's length, in bytes.
const MAX_KEY_BYTES: usize = 1024;

pub struct FsObjectStore {
    root: PathBuf,
    process_queue: Arc<SqliteQueue>,
    clock: Arc<dyn Clock>,
    /// Orders notifications like S3's `sequencer`. Seeded from the clock so it keeps growing across restarts.
    sequencer: AtomicU64,
}

impl fmt::Debug for FsObjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FsObjectStore")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl FsObjectStore {
    /// `root` must exist; `process_queue` receives the notifications of writes under `uploads/` and
    /// `documents/`.
    pub(crate) fn new(
        root: PathBuf,
        process_queue: Arc<SqliteQueue>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let seed = u64::try_from(clock.now().timestamp_micros()).unwrap_or(0);
        Self {
            root,
            process_queue,
            clock,
            sequencer: AtomicU64::new(seed),
        }
    }

    /// The directory objects are stored in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of a key, once the key is known to be safe to join onto the root.
    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }

    /// Emits the bucket's "object created" notification for a write under `uploads/` or `documents/`.
    async fn notify_created(&self, key: &str, size: u64) -> Result<(), StoreError> {
        if key.starts_with(UPLOADS_PREFIX) || key.starts_with(DOCUMENTS_PREFIX) {
            let sequencer = self.sequencer.fetch_add(1, Ordering::Relaxed);
            let event = s3_event::object_created(key, size, sequencer, self.clock.now());
            self.process_queue
                .send_for(&notification_owner(key), &event, Duration::ZERO)
                .await?;
        }
        Ok(())
    }

    /// A temporary file beside `key`'s, for a body that arrives in pieces (`pagewire dev`'s upload URLs
    /// stream up to 100 MB): write it, then [`FsObjectStore::commit_staged`] moves it into place as one
    /// `put` would. Dropped uncommitted, it is removed.
    pub fn stage(&self, key: &str) -> Result<StagedObject, StoreError> {
        let path = self.path_of(key)?;
        let dir = path
            .parent()
            .ok_or_else(|| StoreError::Permanent("invalid object key: no parent".into()))?;
        fs::create_dir_all(dir).map_err(|e| io_error("stage", e))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("object");
        let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()));
        Ok(StagedObject {
            key: key.to_string(),
            temp,
            path,
            committed: false,
        })
    }

    /// Moves a fully written staged file into place (atomically, like `put`) and notifies.
    pub async fn commit_staged(&self, mut staged: StagedObject) -> Result<u64, StoreError> {
        let (temp, path) = (staged.temp.clone(), staged.path.clone());
        let size = blocking(move || {
            let size = fs::metadata(&temp).map_err(|e| io_error("stage", e))?.len();
            fs::rename(&temp, &path).map_err(|e| io_error("write", e))?;
            Ok(size)
        })
        .await?;
        staged.committed = true;
        self.notify_created(&staged.key, size).await?;
        Ok(size)
    }
}

/// Whose turn a notification takes in the process queue: an upload's tenant, or for the documents of an
/// archive their job (a document's key does not name its tenant), so one tenant's burst of uploads or one
/// large archive is served in turn with everyone else's work.
fn notification_owner(key: &str) -> String {
    match parse_object_key(key) {
        Some(ObjectRef::Upload { tenant, .. }) => tenant.to_string(),
        Some(ObjectRef::Document { job, .. }) => format!("job/{job}"),
        None => String::new(),
    }
}

/// A body being written for a key; see [`FsObjectStore::stage`].
#[derive(Debug)]
pub struct StagedObject {
    key: String,
    temp: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl StagedObject {
    /// Where to write the body.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }
}

impl Drop for StagedObject {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: a leftover temp file is harmless (its name starts with a dot and ends in .tmp).
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Keys are checked before any filesystem call, so no key can name a path outside the root (`..`), an
/// absolute path, or two keys the same file (`a//b` and `a/b`). Only `[A-Za-z0-9._-]` segments pass, which
/// every key pagewire builds (prefixes, UUIDs, `source`) satisfies.
pub(crate) fn validate_key(key: &str) -> Result<(), StoreError> {
    let refuse = |why: &str| Err(StoreError::Permanent(format!("invalid object key: {why}")));
    if key.is_empty() {
        return refuse("empty");
    }
    if key.len() > MAX_KEY_BYTES {
        return refuse("longer than 1024 bytes");
    }
    for segment in key.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return refuse("empty, '.' or '..' segment");
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return refuse("characters outside [A-Za-z0-9._-]");
        }
    }
    Ok(())
}

/// A full disk or quota can be freed (expired objects are swept): retryable. Anything else is permanent.
fn io_error(action: &str, err: io::Error) -> StoreError {
    let detail = format!("cannot {action} object: {err}");
    match err.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => StoreError::Unavailable(detail),
        _ => StoreError::Permanent(detail),
    }
}

/// A missing key reads as absent, including when a path component is a file or the key names a directory
/// (S3 has no directories: there is simply no such object).
fn is_absent(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::IsADirectory
    )
}

/// Writes to a temporary file beside the target and renames it over, so a reader sees the old bytes or the
/// new ones, never a partial file.
fn write_atomically(path: &Path, body: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(ErrorKind::InvalidInput, "key has no parent"))?;
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("object");
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()));
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(body)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        // Best effort: the write already failed, and a leftover temp file is harmless.
        let _ = fs::remove_file(&temp);
    }
    written
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Permanent(format!("filesystem task did not finish: {e}")))?
}

fn remove(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if is_absent(&e) => Ok(()),
        Err(e) => Err(io_error("delete", e)),
    }
}

#[async_trait]
impl ObjectStore for FsObjectStore {
    /// The content type is not kept: nothing reads it back.
    async fn put(&self, key: &str, body: Bytes, _content_type: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        let size = body.len() as u64;
        blocking(move || write_atomically(&path, &body).map_err(|e| io_error("write", e))).await?;
        self.notify_created(key, size).await
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let path = self.path_of(key)?;
        blocking(move || match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(Some(meta.len())),
            Ok(_) => Ok(None),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(io_error("read", e)),
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        let path = self.path_of(key)?;
        blocking(move || match fs::read(&path) {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(io_error("read", e)),
        })
        .await
    }

    /// Empty directories are left behind: removing them could race a concurrent `put` into the same one.
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        blocking(move || remove(&path)).await
    }

    /// Every key is checked first; the files are then removed in parallel, as S3's DeleteObjects does:
    /// an unlink can wait on the filesystem's journal, and those waits should overlap, not add up.
    async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        let paths = keys
            .iter()
            .map(|key| self.path_of(key))
            .collect::<Result<Vec<_>, _>>()?;
        let removals = paths
            .into_iter()
            .map(|path| blocking(move || remove(&path)));
        futures_util::future::join_all(removals)
            .await
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::validate_key;

    #[test]
    fn keys_pagewire_builds_pass() {
        for key in [
            "uploads/6a0f3c2e-8d1b-4f5a-9e7c-2b4d1a3f5c70/x/source",
            "documents/a/b",
            "results/a.json",
            ".x",
        ] {
            assert!(validate_key(key).is_ok(), "{key}");
        }
    }

    #[test]
    fn unsafe_keys_are_refused() {
        let long = "a".repeat(1025);
        for key in [
            "",
            "/a",
            "a/",
            "a//b",
            "../x",
            "a/../b",
            "./a",
            "a/.",
            "uploads/a b",
            "a\\b",
            "ü",
            &long,
        ] {
            assert!(validate_key(key).is_err(), "{key:?}");
        }
    }
}

//! Files: the stored documents and results, and the URLs clients upload through.

use crate::error::StoreError;
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

/// Blob storage with S3's semantics. Writing under `uploads/` or `documents/` triggers processing
/// (on AWS through the bucket's notification to the process queue; embedded, the adapter emulates it).
#[async_trait]
pub trait ObjectStore: Send + Sync {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError>;
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError>;
    /// The size in bytes of a stored object (S3's HeadObject), without reading it; `None` when absent.
    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.get(key).await?.map(|body| body.len() as u64))
    }
    /// Deleting a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Deletes several keys (S3's DeleteObjects); the default deletes one by one.
    async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        for key in keys {
            self.delete(key).await?;
        }
        Ok(())
    }
}

/// Where and how a client sends a file itself: an HTTP PUT of the raw bytes to `url`, with `headers`,
/// before `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTarget {
    pub url: String,
    pub method: String,
    /// Headers the request must carry as they are (they are part of what the URL's signature covers).
    pub headers: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
}

/// Grants time-limited URLs through which clients PUT one object each, without an API key: presigned S3
/// PUTs on AWS, signed local URLs in `pagewire dev`. The object lands in the [`ObjectStore`], so an upload
/// under `uploads/` starts processing like any other write there.
#[async_trait]
pub trait UploadUrls: Send + Sync {
    /// A URL for PUTting `key` with `content_type`, valid from `now` until `expires_at`.
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<UploadTarget, StoreError>;
}

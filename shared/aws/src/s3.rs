//! [`ObjectStore`] on S3. Writes under `uploads/` and `documents/` start processing through the bucket's
//! notification to the process queue (declared in the SAM template), not through this code.

use crate::error::{service_code, store_error};
use async_trait::async_trait;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use pagewire_core::ports::{ObjectStore, UploadTarget, UploadUrls};
use pagewire_core::StoreError;
use std::time::{Duration, SystemTime};

#[derive(Clone, Debug)]
pub struct S3ObjectStore {
    client: Client,
    bucket: String,
}

impl S3ObjectStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| store_error("PutObject", e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(err) if service_code(&err) == Some("NoSuchKey") => return Ok(None),
            Err(err) => return Err(store_error("GetObject", err)),
        };
        let body = out.body.collect().await.map_err(|e| {
            StoreError::Unavailable(format!("GetObject: reading the body failed: {e}"))
        })?;
        Ok(Some(body.into_bytes()))
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out.content_length().unwrap_or(0).max(0) as u64)),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(err) => Err(store_error("HeadObject", err)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        // S3 answers 204 for a missing key too, which is what the port asks for.
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| store_error("DeleteObject", e))?;
        Ok(())
    }
}

/// Presigned S3 PUTs: the client sends the file straight to the bucket, and the bucket's notification
/// starts processing. Signing is local (no request to S3); the URL carries the signing credentials'
/// rights, so the function that presigns needs `s3:PutObject` on the key, and the URL stops working when
/// those credentials expire, whichever comes first.
#[derive(Clone, Debug)]
pub struct S3UploadUrls {
    client: Client,
    bucket: String,
}

impl S3UploadUrls {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl UploadUrls for S3UploadUrls {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<UploadTarget, StoreError> {
        let lifetime = (expires_at - now)
            .to_std()
            .map_err(|_| StoreError::Permanent("an upload URL must expire after now".into()))?;
        let start = SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(now.timestamp()).unwrap_or(0));
        let config = PresigningConfig::builder()
            .start_time(start)
            .expires_in(lifetime)
            .build()
            .map_err(|e| StoreError::Permanent(format!("presigning PutObject: {e}")))?;
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .presigned(config)
            .await
            .map_err(|e| store_error("presigning PutObject", e))?;
        Ok(UploadTarget {
            url: presigned.uri().to_string(),
            method: presigned.method().to_string(),
            headers: presigned
                .headers()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            expires_at: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
                + chrono::Duration::seconds(lifetime.as_secs() as i64),
        })
    }
}

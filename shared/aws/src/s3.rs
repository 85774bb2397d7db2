//! [`ObjectStore`] on S3. Writes under `uploads/` and `documents/` start processing through the bucket's
//! notification to the process queue (declared in the SAM template), not through this code.

use crate::error::{service_code, store_error};
use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use bytes::Bytes;
use pagewire_core::ports::ObjectStore;
use pagewire_core::StoreError;

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

//! [`UploadUrls`] for `pagewire dev`: URLs on the dev server itself (`PUT /local-uploads/{token}`), the
//! local stand-in for presigned S3 PUTs. The token is signed with a secret kept in the data directory, so
//! URLs stay valid across a restart, as presigned URLs do.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pagewire_core::policy::upload_token::{self, TokenRefusal};
use pagewire_core::ports::{UploadTarget, UploadUrls};
use pagewire_core::{CoreError, StoreError};
use rand::RngCore;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// The path prefix of local upload URLs.
pub const LOCAL_UPLOADS_PATH: &str = "/local-uploads/";
/// The signing secret's file inside the data directory.
pub const UPLOAD_SECRET_FILE: &str = "upload-url.key";
const SECRET_BYTES: usize = 32;

pub struct LocalUploadUrls {
    secret: Vec<u8>,
    /// `http://127.0.0.1:PORT`, where the dev server listens.
    base_url: String,
}

impl fmt::Debug for LocalUploadUrls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalUploadUrls")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl LocalUploadUrls {
    /// Reads the secret of `data_dir`, creating it (readable by its owner only) the first time.
    pub fn open(data_dir: &Path, base_url: impl Into<String>) -> io::Result<Self> {
        let path = data_dir.join(UPLOAD_SECRET_FILE);
        let secret = match std::fs::read(&path) {
            Ok(secret) if secret.len() == SECRET_BYTES => secret,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is not a {SECRET_BYTES}-byte key", path.display()),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => create_secret(&path)?,
            Err(e) => return Err(e),
        };
        Ok(Self {
            secret,
            base_url: base_url.into(),
        })
    }

    /// The object key a token from a local upload URL grants at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<String, CoreError> {
        upload_token::verify(&self.secret, token, now).map_err(|refusal| match refusal {
            TokenRefusal::Invalid => CoreError::Forbidden {
                code: "invalid_upload_url",
                message: "this upload URL is not valid".to_string(),
            },
            TokenRefusal::Expired => CoreError::Forbidden {
                code: "upload_url_expired",
                message: "this upload URL has expired; create another upload".to_string(),
            },
        })
    }
}

fn create_secret(path: &Path) -> io::Result<Vec<u8>> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(&secret)?;
            file.sync_all()?;
            Ok(secret)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => std::fs::read(path),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl UploadUrls for LocalUploadUrls {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        _now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<UploadTarget, StoreError> {
        let token = upload_token::sign(&self.secret, key, expires_at);
        Ok(UploadTarget {
            url: format!("{}{LOCAL_UPLOADS_PATH}{token}", self.base_url),
            method: "PUT".to_string(),
            headers: vec![("content-type".to_string(), content_type.to_string())],
            expires_at: DateTime::from_timestamp(expires_at.timestamp(), 0).unwrap_or(expires_at),
        })
    }
}

//! `PUT /local-uploads/{token}`: where `pagewire dev` receives the files of `POST /uploads`, as S3 receives
//! presigned PUTs on AWS. Not an API route (no API key, and no 6 MB limit): the signed token is the
//! permission, and the body is streamed to the object store, whose notification starts processing.

use crate::server::into_hyper;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use lambda_http::http::{header, Method, StatusCode};
use pagewire_core::submission::uploads::UPLOAD_CONTENT_TYPE;
use pagewire_core::submission::{check_upload_destination, upload_too_large, SubmissionPorts};
use pagewire_core::CoreError;
use pagewire_embedded::{FsObjectStore, LocalUploadUrls, LOCAL_UPLOADS_PATH};
use pagewire_lambda_kit::http::{error_response, method_not_allowed};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// What the dev server needs to receive uploads: the URLs' signing key and the store the files go to.
#[derive(Debug)]
pub struct LocalUploads {
    pub urls: Arc<LocalUploadUrls>,
    pub objects: Arc<FsObjectStore>,
}

pub fn is_local_upload(path: &str) -> bool {
    path.starts_with(LOCAL_UPLOADS_PATH)
}

/// Receives one upload; answers 200 with no body, as S3 does, or a pagewire error.
/// `stall` is the longest pause allowed between two pieces of the body.
pub async fn serve_local_upload(
    s: &SubmissionPorts,
    uploads: &LocalUploads,
    stall: Duration,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    if req.method() != Method::PUT {
        return into_hyper(method_not_allowed(&["PUT"]));
    }
    match receive(s, uploads, stall, req).await {
        Ok(size) => {
            tracing::info!(bytes = size, "upload received");
            let mut done = hyper::Response::new(Full::new(Bytes::new()));
            *done.status_mut() = StatusCode::OK;
            done
        }
        Err(err) => into_hyper(error_response(&err)),
    }
}

async fn receive(
    s: &SubmissionPorts,
    uploads: &LocalUploads,
    stall: Duration,
    req: hyper::Request<Incoming>,
) -> Result<u64, CoreError> {
    let token = req
        .uri()
        .path()
        .strip_prefix(LOCAL_UPLOADS_PATH)
        .unwrap_or("");
    let key = uploads.urls.verify(token, s.clock.now())?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.eq_ignore_ascii_case(UPLOAD_CONTENT_TYPE) {
        // S3 refuses a presigned PUT without the signed headers the same way.
        return Err(CoreError::Forbidden {
            code: "upload_headers_mismatch",
            message: format!("send the file with content-type: {UPLOAD_CONTENT_TYPE}"),
        });
    }
    check_upload_destination(s, &key).await?;
    let max = s.settings.max_upload_file_bytes;
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max) {
        return Err(upload_too_large(s));
    }

    let staged = uploads.objects.stage(&key)?;
    let io = |e: std::io::Error| CoreError::Internal(format!("writing an upload: {e}"));
    let mut file = tokio::fs::File::create(staged.temp_path())
        .await
        .map_err(io)?;
    let mut body = req.into_body();
    let mut received: u64 = 0;
    let cut_off =
        || CoreError::invalid("upload_incomplete", "the upload was cut off; send it again");
    // A sender that stops sending is cut off rather than holding a connection forever.
    while let Some(frame) = tokio::time::timeout(stall, body.frame())
        .await
        .map_err(|_| cut_off())?
    {
        let frame = frame.map_err(|_| cut_off())?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        received += data.len() as u64;
        if received > max {
            // The staged file is removed when `staged` drops.
            return Err(upload_too_large(s));
        }
        file.write_all(&data).await.map_err(io)?;
    }
    file.sync_all().await.map_err(io)?;
    drop(file);
    uploads.objects.commit_staged(staged).await?;
    Ok(received)
}

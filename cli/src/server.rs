//! The local HTTP front: what API Gateway does on AWS. Each request becomes the same `lambda_http`
//! request the functions receive, and goes to the function whose routes include its path.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use lambda_http::http::{header, HeaderMap, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use pagewire_core::CoreError;
use pagewire_lambda_kit::http::error_response;
use pagewire_lambda_kit::routes::{keys, match_path, RouteKey};
use std::sync::OnceLock;

use crate::functions::Functions;
use crate::http_front::HttpLimits;
use crate::static_files::StaticSite;

/// API Gateway and Lambda refuse request payloads above 6 MB; the dev server does the same.
pub const MAX_REQUEST_BYTES: usize = 6 * 1024 * 1024;

/// The API functions, each with its routes (read from the function's own table): exactly what the SAM
/// template wires to API Gateway.
pub fn api_functions() -> &'static [(&'static str, Vec<RouteKey>)] {
    static FUNCTIONS: OnceLock<Vec<(&'static str, Vec<RouteKey>)>> = OnceLock::new();
    FUNCTIONS.get_or_init(|| {
        vec![
            ("submit-job", keys(submit_job::ROUTES)),
            ("job-status", keys(job_status::ROUTES)),
            ("job-results", keys(job_results::ROUTES)),
            // Before templates: `POST /templates/preview` is its own route, not a template's id.
            ("preview-template", keys(preview_template::ROUTES)),
            ("templates", keys(templates::ROUTES)),
            ("webhook-endpoints", keys(webhook_endpoints::ROUTES)),
        ]
    })
}

/// Every route the server mounts.
pub fn mounted_routes() -> Vec<RouteKey> {
    api_functions()
        .iter()
        .flat_map(|(_, routes)| routes.iter().copied())
        .collect()
}

/// The function API Gateway would invoke: the one with a route of this method and path (a fixed segment
/// such as `/templates/preview` is one function's, `/templates/{id}` another's); failing that, one whose
/// routes have the path, which answers the method with its 405.
fn function_for(method: &str, path: &str) -> Option<&'static str> {
    let owner = |same_method: bool| {
        api_functions()
            .iter()
            .find(|(_, routes)| {
                routes.iter().any(|r| {
                    (!same_method || r.method.eq_ignore_ascii_case(method))
                        && match_path(r.pattern, path).is_some()
                })
            })
            .map(|(name, _)| *name)
    };
    owner(true).or_else(|| owner(false))
}

/// Runs one API request through the function that owns its path.
pub async fn route_request(f: &Functions, req: Request) -> Response<Body> {
    let result = match function_for(req.method().as_str(), req.uri().path()) {
        Some("submit-job") => submit_job::handle(&f.submit_job, req).await,
        Some("job-status") => job_status::handle(&f.job_status, req).await,
        Some("job-results") => job_results::handle(&f.job_results, req).await,
        Some("preview-template") => preview_template::handle(&f.preview_template, req).await,
        Some("templates") => templates::handle(&f.templates, req).await,
        Some("webhook-endpoints") => webhook_endpoints::handle(&f.webhook_endpoints, req).await,
        _ => return error_response(&CoreError::not_found("route_not_found", "no such route")),
    };
    result.unwrap_or_else(|err| {
        tracing::error!(error = %err, "handler error");
        error_response(&CoreError::Internal("handler error".into()))
    })
}

/// Converts a hyper request into a `lambda_http` one (refusing bodies over the payload limit, and bodies
/// that stall or arrive too slowly) and back. API routes come first; a GET or HEAD of any other path may be
/// a file of the dashboard `site`.
pub async fn serve_hyper(
    functions: &Functions,
    site: Option<&StaticSite>,
    limits: &HttpLimits,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    if let Some(site) =
        site.filter(|_| function_for(req.method().as_str(), req.uri().path()).is_none())
    {
        if let Some(response) = site.respond(req.method(), req.uri().path()).await {
            return response;
        }
    }
    let (parts, body) = req.into_parts();
    let response = match read_body(&parts.headers, body, limits).await {
        Ok(bytes) => {
            let body = if bytes.is_empty() {
                Body::Empty
            } else {
                Body::Binary(bytes.to_vec())
            };
            route_request(functions, Request::from_parts(parts, body)).await
        }
        Err(BodyError::TooLarge) => error_response(&CoreError::TooLarge {
            code: "payload_too_large",
            message: format!(
                "the request body is larger than {MAX_REQUEST_BYTES} bytes; use POST /uploads"
            ),
        }),
        Err(BodyError::TooSlow) => {
            let mut response = error_response(&CoreError::invalid(
                "request_timeout",
                "the request body stopped arriving or came too slowly",
            ));
            *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
        Err(BodyError::Broken) => error_response(&CoreError::invalid(
            "request_incomplete",
            "the request body was cut off",
        )),
    };
    into_hyper(response)
}

/// Why a request body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    TooLarge,
    /// A pause longer than the stall timeout, or past the whole body's deadline.
    TooSlow,
    Broken,
}

/// Reads a request body of at most [`MAX_REQUEST_BYTES`]: a larger declared length is refused before
/// reading, and the body must keep arriving within the `limits`.
pub async fn read_body(
    headers: &HeaderMap,
    body: Incoming,
    limits: &HttpLimits,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BYTES as u64) {
        return Err(BodyError::TooLarge);
    }
    let deadline = tokio::time::Instant::now() + limits.body_deadline;
    let mut body = Limited::new(body, MAX_REQUEST_BYTES);
    let mut collected = Vec::new();
    loop {
        let next = (tokio::time::Instant::now() + limits.body_stall_timeout).min(deadline);
        let frame = match tokio::time::timeout_at(next, body.frame()).await {
            Err(_) => return Err(BodyError::TooSlow),
            Ok(None) => return Ok(Bytes::from(collected)),
            Ok(Some(frame)) => frame,
        };
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    collected.extend_from_slice(&data);
                }
            }
            Err(err) if err.is::<LengthLimitError>() => return Err(BodyError::TooLarge),
            Err(_) => return Err(BodyError::Broken),
        }
    }
}

/// A `lambda_http` response as hyper sends it.
pub fn into_hyper(response: Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(data) => Bytes::from(data),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

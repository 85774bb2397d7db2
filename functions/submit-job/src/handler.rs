//! `POST /process-job`: a file (base64 in JSON, or a multipart upload) against a template; and
//! `POST /uploads`: the same without the file, which the client then PUTs to the URL it gets back.

use bytes::Bytes;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use pagewire_core::access::AccessPorts;
use pagewire_core::submission::{
    create_upload_once, submit_job_once, Submission, SubmissionPorts, UploadRequest,
};
use pagewire_core::CoreError;
use pagewire_lambda_kit::file_field::decode_base64_file;
use pagewire_lambda_kit::http::{content_type, dispatch, error_response, json_body, respond};
use pagewire_lambda_kit::routes::{route, Route};
use pagewire_lambda_kit::wiring::{Adapters, WiringError};
use serde::Deserialize;
use serde_json::Value;

/// What this function serves: access and submission (the file goes to the bucket, or the client gets an
/// upload URL; the bucket's notification starts processing).
pub struct App {
    pub access: AccessPorts,
    pub submission: SubmissionPorts,
}

/// Its `main` and `pagewire dev` both build it here.
pub fn wire(adapters: &Adapters) -> Result<App, WiringError> {
    Ok(App {
        access: adapters.access()?,
        submission: adapters.submission()?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The file in the request (JSON with base64, or multipart).
    Submit,
    /// An upload URL for the client to PUT the file to.
    CreateUpload,
}

pub const ROUTES: &[Route<Action>] = &[
    route("POST", "/process-job", Action::Submit),
    route("POST", "/uploads", Action::CreateUpload),
];

pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let s = &app.submission;
    Ok(dispatch(
        &app.access,
        ROUTES,
        req,
        |tenant, action, _, req| async move {
            let key = match idempotency_key(&req) {
                Ok(key) => key,
                Err(err) => return error_response(&err),
            };
            if action == Action::CreateUpload {
                return match upload_request(&req) {
                    Ok(upload) => respond(
                        StatusCode::CREATED,
                        create_upload_once(s, tenant, key.as_deref(), upload).await,
                    ),
                    Err(err) => error_response(&err),
                };
            }
            let submission = if content_type(&req)
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
            {
                from_multipart(&req, s.settings.max_inline_file_bytes).await
            } else {
                from_json(&req)
            };
            match submission {
                Ok(sub) => respond(
                    StatusCode::ACCEPTED,
                    submit_job_once(s, tenant, key.as_deref(), sub).await,
                ),
                Err(err) => error_response(&err),
            }
        },
    )
    .await)
}

/// The `Idempotency-Key` header, when given; a value that is not text is refused like a malformed key.
fn idempotency_key(req: &Request) -> Result<Option<String>, CoreError> {
    match req.headers().get("idempotency-key") {
        None => Ok(None),
        Some(value) => value.to_str().map(|v| Some(v.to_string())).map_err(|_| {
            CoreError::invalid_at(
                "invalid_idempotency_key",
                "Idempotency-Key",
                "must be visible ASCII characters",
            )
        }),
    }
}

#[derive(Deserialize)]
struct JsonSubmission {
    template_id: Option<String>,
    actual_image: Option<String>,
    file_name: Option<String>,
    static_values: Option<Value>,
    webhook_ids: Option<WebhookIds>,
}

#[derive(Deserialize)]
struct JsonUpload {
    template_id: Option<String>,
    file_name: Option<String>,
    static_values: Option<Value>,
    webhook_ids: Option<WebhookIds>,
    file_size: Option<u64>,
}

fn upload_request(req: &Request) -> Result<UploadRequest, CoreError> {
    let body: JsonUpload = json_body(req)?;
    Ok(UploadRequest {
        template_id: body.template_id,
        file_name: body.file_name,
        static_values: body.static_values,
        webhook_ids: body.webhook_ids.map(WebhookIds::into_list),
        file_size: body.file_size,
    })
}

/// `webhook_ids` as a JSON list, or as one string in the `[id1, id2]` form clients of such services send.
#[derive(Deserialize)]
#[serde(untagged)]
enum WebhookIds {
    List(Vec<String>),
    Text(String),
}

impl WebhookIds {
    fn into_list(self) -> Vec<String> {
        match self {
            WebhookIds::List(list) => list,
            WebhookIds::Text(text) => split_ids(&text),
        }
    }
}

fn from_json(req: &Request) -> Result<Submission, CoreError> {
    let body: JsonSubmission = json_body(req)?;
    let file = match body.actual_image {
        None => None,
        Some(text) => Some(decode_base64_file(&text, "actual_image")?),
    };
    Ok(Submission {
        template_id: body.template_id,
        file,
        file_name: body.file_name,
        static_values: body.static_values,
        webhook_ids: body.webhook_ids.map(WebhookIds::into_list),
    })
}

/// `[a, b]`, `["a","b"]`, `a,b` or `a`.
fn split_ids(text: &str) -> Vec<String> {
    text.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|id| id.trim().trim_matches('"').trim().to_string())
        .filter(|id| !id.is_empty())
        .collect()
}

async fn from_multipart(req: &Request, max_file: usize) -> Result<Submission, CoreError> {
    let malformed = |why: String| CoreError::invalid("malformed_multipart", why);
    let part_error = |e: multer::Error| {
        match e {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            CoreError::TooLarge {
                code: "payload_too_large",
                message: format!(
                    "actual_image: the file is larger than {max_file} bytes; use POST /uploads for large files"
                ),
            }
        }
        other => CoreError::invalid("malformed_multipart", other.to_string()),
    }
    };
    // The boundary is case-sensitive (browsers send `----WebKitFormBoundaryAbC...`), so it is read from the
    // header as sent, not from the lower-cased `content_type`.
    let raw_type = req
        .headers()
        .get(lambda_http::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(raw_type).map_err(|e| malformed(e.to_string()))?;
    let body = Bytes::copy_from_slice(req.body().as_ref());
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let limits = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .per_field(max_file as u64 + 1)
            .whole_stream(max_file as u64 + 64 * 1024),
    );
    let mut form = multer::Multipart::with_constraints(stream, boundary, limits);
    let mut sub = Submission::default();
    let mut ids: Vec<String> = Vec::new();
    // One request, one file: a second file part would otherwise replace the first one's content
    // under the first one's name, so it is refused and named.
    let mut file_part: Option<String> = None;
    while let Some(field) = form.next_field().await.map_err(part_error)? {
        let name = field.name().unwrap_or("").to_string();
        let upload_name = field.file_name().map(str::to_string);
        if name == "actual_image" || upload_name.as_deref().is_some_and(|f| !f.is_empty()) {
            if let Some(first) = &file_part {
                return Err(CoreError::invalid(
                    "too_many_files",
                    format!(
                        "part {name:?} is a second file after part {first:?}: send exactly one file \
                         (the actual_image part) per request"
                    ),
                ));
            }
            file_part = Some(name.clone());
        }
        let data = field.bytes().await.map_err(part_error)?;
        let text = || String::from_utf8_lossy(&data).trim().to_string();
        match name.as_str() {
            "actual_image" => {
                sub.file_name = sub.file_name.take().or(upload_name);
                sub.file = Some(data.clone());
            }
            "template_id" => sub.template_id = Some(text()),
            "file_name" => sub.file_name = Some(text()),
            "static_values" => {
                let parsed: Value = serde_json::from_slice(&data).map_err(|_| {
                    CoreError::invalid_at(
                        "invalid_static_values",
                        "static_values",
                        "must be a JSON object",
                    )
                })?;
                sub.static_values = Some(parsed);
            }
            "webhook_ids" | "webhook_ids[]" => ids.extend(split_ids(&text())),
            // Unknown parts are ignored, as form posts often carry extras (submit buttons, CSRF fields).
            _ => {}
        }
    }
    if !ids.is_empty() {
        sub.webhook_ids = Some(ids);
    }
    Ok(sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_mixed_case_boundary_is_kept_as_sent() {
        let boundary = "----WebKitFormBoundaryY3uGeuhtKt1qotYv";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"template_id\"\r\n\r\nt-1\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"actual_image\"; filename=\"a.pdf\"\r\n\
             Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--{boundary}--\r\n"
        );
        let req = lambda_http::http::Request::builder()
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::Binary(body.into_bytes()))
            .unwrap();
        let sub = from_multipart(&req, 1024).await.expect("parsed");
        assert_eq!(sub.template_id.as_deref(), Some("t-1"));
        assert_eq!(sub.file_name.as_deref(), Some("a.pdf"));
        assert_eq!(sub.file.as_deref(), Some(&b"%PDF-1.4"[..]));
    }

    fn form(parts: &[(&str, Option<&str>, &str)]) -> Request {
        let boundary = "b0undary";
        let mut body = String::new();
        for (name, file, content) in parts {
            let file = file.map_or(String::new(), |f| format!("; filename=\"{f}\""));
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n{content}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        lambda_http::http::Request::builder()
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::Binary(body.into_bytes()))
            .unwrap()
    }

    #[tokio::test]
    async fn a_second_file_part_is_refused_by_its_name() {
        // Any part carrying a file counts, before or after actual_image, and without a file name too.
        let cases = [
            (
                form(&[
                    ("template_id", None, "t-1"),
                    ("actual_image", Some("a.pdf"), "%PDF-1.4 a"),
                    ("actual_image", Some("b.pdf"), "%PDF-1.4 b"),
                ]),
                r#"part "actual_image" is a second file after part "actual_image""#,
            ),
            (
                form(&[
                    ("attachment", Some("x.pdf"), "%PDF-1.4 x"),
                    ("actual_image", None, "%PDF-1.4 a"),
                ]),
                r#"part "actual_image" is a second file after part "attachment""#,
            ),
        ];
        for (request, names) in cases {
            let err = from_multipart(&request, 1024).await.unwrap_err();
            assert_eq!(err.code(), "too_many_files");
            assert!(err.to_string().contains(names), "{err}");
        }

        // Text parts beside the one file are fine, known or not.
        let one = form(&[
            ("actual_image", Some("a.pdf"), "%PDF-1.4 a"),
            ("submit", None, "Send"),
            ("file_name", None, "named.pdf"),
        ]);
        let sub = from_multipart(&one, 1024).await.expect("one file");
        assert_eq!(sub.file.as_deref(), Some(&b"%PDF-1.4 a"[..]));
        assert_eq!(sub.file_name.as_deref(), Some("named.pdf"));
    }

    #[test]
    fn webhook_id_lists() {
        assert_eq!(split_ids("[a, b]"), vec!["a", "b"]);
        assert_eq!(split_ids(r#"["a","b"]"#), vec!["a", "b"]);
        assert_eq!(split_ids("a"), vec!["a"]);
        assert!(split_ids("[]").is_empty());
    }
}

//! The HTTP side of the API: errors as `{"error": {"code", "message"}}` with one status per error kind,
//! JSON bodies in and out, API keys and query parameters.

use crate::routes::{self, Route};
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use pagewire_core::access::{admit, AccessPorts};
use pagewire_core::CoreError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// The one mapping from a use-case error to an HTTP status.
pub fn status_of(err: &CoreError) -> StatusCode {
    match err {
        CoreError::Invalid { .. } => StatusCode::BAD_REQUEST,
        CoreError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
        CoreError::InsufficientCredits { .. } => StatusCode::PAYMENT_REQUIRED,
        CoreError::Forbidden { .. } => StatusCode::FORBIDDEN,
        CoreError::NotFound { .. } => StatusCode::NOT_FOUND,
        CoreError::Gone { .. } => StatusCode::GONE,
        CoreError::Conflict { .. } => StatusCode::CONFLICT,
        CoreError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        CoreError::UnsupportedMedia { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        CoreError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        CoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        CoreError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn error_response(err: &CoreError) -> Response<Body> {
    let status = status_of(err);
    if status.is_server_error() {
        // The detail goes to the log only; the client gets the public message.
        tracing::error!(error = %err, code = err.code(), "request failed");
    }
    let body =
        serde_json::json!({ "error": { "code": err.code(), "message": err.public_message() } });
    let mut response = json_response(status, &body);
    if let CoreError::RateLimited { retry_after_secs } = err {
        if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_string());
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub fn text_response(
    status: StatusCode,
    content_type: &'static str,
    body: String,
) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// Turns a use case's result into a response with `ok` as the success status.
pub fn respond<T: Serialize>(ok: StatusCode, result: Result<T, CoreError>) -> Response<Body> {
    match result {
        Ok(value) => json_response(ok, &value),
        Err(err) => error_response(&err),
    }
}

/// The API key from `x-auth`, or from `Authorization: Bearer`.
pub fn api_key(req: &Request) -> Option<&str> {
    let headers = req.headers();
    if let Some(key) = headers.get("x-auth").and_then(|v| v.to_str().ok()) {
        return Some(key);
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

pub fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// A query parameter, decoded.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let query = req.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Parses a JSON body into `T`: broken JSON is `malformed_json`, JSON of the wrong shape names the problem.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, CoreError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(CoreError::invalid(
            "malformed_json",
            "the request body must be a JSON object",
        ));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        CoreError::invalid(
            "malformed_json",
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(CoreError::invalid(
            "malformed_json",
            "the request body must be a JSON object",
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        let message = e.to_string();
        let code = if message.starts_with("missing field") {
            "missing_field"
        } else {
            "invalid_field"
        };
        CoreError::invalid(code, message)
    })
}

/// The request's path as the routes spell it. Behind an API Gateway stage other than `$default`, an HTTP
/// API's `rawPath` starts with the stage's name and lambda_http keeps it there
/// (`AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` only stops it adding one), so the stage is taken off here:
/// the routes then match whichever stage the API is deployed on.
pub fn route_path(req: &Request) -> &str {
    let path = req.uri().path();
    let stage = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.stage.as_deref(),
        _ => None,
    };
    match stage {
        Some(stage) if stage != "$default" => path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(stage))
            .filter(|rest| rest.starts_with('/'))
            .unwrap_or(path),
        _ => path,
    }
}

/// The common front of every API handler: find the route (404/405), authenticate (401) and take one
/// request from the tenant's rate limit (429), then run `run` with the tenant, the matched route's action
/// and its path parameters.
pub async fn dispatch<A, F, Fut>(
    access: &AccessPorts,
    routes: &[Route<A>],
    req: Request,
    run: F,
) -> Response<Body>
where
    A: Copy,
    F: FnOnce(pagewire_core::ids::TenantId, A, Vec<String>, Request) -> Fut,
    Fut: std::future::Future<Output = Response<Body>>,
{
    let path = route_path(&req).to_string();
    let (route, params) = match routes::find(routes, req.method().as_str(), &path) {
        Ok(found) => found,
        Err(routes::Miss::MethodNotAllowed(allowed)) => return method_not_allowed(&allowed),
        Err(routes::Miss::UnknownPath) => {
            return error_response(&CoreError::not_found("route_not_found", "no such route"))
        }
    };
    match admit(access, api_key(&req)).await {
        Ok(tenant) => run(tenant, route.action, params, req).await,
        Err(err) => error_response(&err),
    }
}

/// 405 for a path that exists with other methods: `Allow` lists them, as RFC 9110 (15.5.6) requires,
/// and the message says them too.
pub fn method_not_allowed(allowed: &[&str]) -> Response<Body> {
    let list = allowed.join(", ");
    let mut response = error_response(&CoreError::invalid(
        "method_not_allowed",
        format!("this method is not allowed here; allowed: {list}"),
    ))
    .map_status(StatusCode::METHOD_NOT_ALLOWED);
    if let Ok(value) = HeaderValue::from_str(&list) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

trait MapStatus {
    fn map_status(self, status: StatusCode) -> Self;
}

impl MapStatus for Response<Body> {
    fn map_status(mut self, status: StatusCode) -> Self {
        *self.status_mut() = status;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)], body: &str) -> Request {
        let mut builder =
            lambda_http::http::Request::builder().uri("https://x/jobs?job_id=a%20b&x=1");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(Body::Text(body.to_string())).unwrap()
    }

    /// An HTTP API request (payload 2.0) for `raw_path` on `stage`, as lambda_http reads it.
    fn staged_request(stage: &str, raw_path: &str) -> Request {
        let event = serde_json::json!({
            "version": "2.0",
            "routeKey": "GET /templates",
            "rawPath": raw_path,
            "rawQueryString": "",
            "headers": {"host": "abc.execute-api.eu-west-1.amazonaws.com"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "abc", "domainName": "abc.execute-api.eu-west-1.amazonaws.com",
                "domainPrefix": "abc", "requestId": "r", "routeKey": "GET /templates", "stage": stage,
                "time": "14/Mar/2025:09:32:18 +0000", "timeEpoch": 1741944738200_i64,
                "http": {"method": "GET", "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "t"}
            },
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).expect("an HTTP API event")
    }

    #[test]
    fn routes_match_on_any_stage() {
        assert_eq!(
            route_path(&staged_request("$default", "/templates")),
            "/templates"
        );
        assert_eq!(
            route_path(&staged_request("prod", "/prod/templates")),
            "/templates"
        );
        // lambda_http adds the stage when the raw path lacks it; it comes off all the same.
        assert_eq!(
            route_path(&staged_request("prod", "/templates")),
            "/templates"
        );
        // A path that only starts with the stage's letters keeps them.
        assert_eq!(route_path(&staged_request("job", "/job/jobs/1")), "/jobs/1");
        assert_eq!(route_path(&staged_request("job", "/jobs/1")), "/jobs/1");
        assert_eq!(route_path(&request(&[], "")), "/jobs");
    }

    #[test]
    fn api_key_sources() {
        assert_eq!(api_key(&request(&[("x-auth", "k1")], "")), Some("k1"));
        assert_eq!(
            api_key(&request(&[("authorization", "Bearer k2")], "")),
            Some("k2")
        );
        assert_eq!(
            api_key(&request(&[("authorization", "Basic k3")], "")),
            None
        );
        assert_eq!(api_key(&request(&[], "")), None);
    }

    #[test]
    fn query_and_json_errors() {
        let req = request(&[], "{");
        assert_eq!(query_param(&req, "job_id").as_deref(), Some("a b"));
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Need {
            job_id: String,
        }
        assert_eq!(
            json_body::<Need>(&req).unwrap_err().code(),
            "malformed_json"
        );
        assert_eq!(
            json_body::<Need>(&request(&[], "[]")).unwrap_err().code(),
            "malformed_json"
        );
        assert_eq!(
            json_body::<Need>(&request(&[], "{}")).unwrap_err().code(),
            "missing_field"
        );
        assert_eq!(
            json_body::<Need>(&request(&[], r#"{"job_id": 5}"#))
                .unwrap_err()
                .code(),
            "invalid_field"
        );
    }

    #[test]
    fn method_not_allowed_lists_the_methods_in_allow() {
        let response = method_not_allowed(&["GET", "PUT", "DELETE"]);
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "GET, PUT, DELETE");
        let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("allowed: GET, PUT, DELETE"));
    }

    #[test]
    fn statuses() {
        let table = [
            (CoreError::invalid("x", "y"), 400),
            (
                CoreError::InsufficientCredits {
                    message: "m".into(),
                },
                402,
            ),
            (CoreError::not_found("x", "y"), 404),
            (CoreError::Internal("secret detail".into()), 500),
        ];
        for (err, status) in table {
            let response = error_response(&err);
            assert_eq!(response.status().as_u16(), status);
            let body: &[u8] = response.body().as_ref();
            assert!(!String::from_utf8_lossy(body).contains("secret detail"));
        }
    }
}

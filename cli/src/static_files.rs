//! The dashboard's files, served by `pagewire dev` at `/` (on AWS they sit in a bucket instead). Only
//! paths no API route claims reach here, only GET and HEAD, and only regular files inside the root.

use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};
use http_body_util::Full;
use std::path::{Component, Path, PathBuf};

/// Where `dashboard/` builds to, relative to the repository root.
pub const DEFAULT_DASHBOARD_DIR: &str = "dashboard/dist";

/// The page `/` answers when the dashboard has not been built.
const NOT_BUILT_PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>pagewire dev</title></head><body>\n<h1>pagewire dev</h1>\n\
<p>The API is running, but the dashboard is not built. From the repository root:</p>\n\
<pre>cd dashboard &amp;&amp; npm ci &amp;&amp; npm run build</pre>\n\
<p>then reload this page (or point <code>--dashboard-dir</code> at a built <code>dist</code>).</p>\n\
</body></html>\n";

/// The app talks to the API (same origin, or the one its settings name) and loads nothing else.
const HTML_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; connect-src 'self' http: https:; object-src 'none'; base-uri 'none'; \
frame-ancestors 'none'; form-action 'none'";

pub struct StaticSite {
    root: PathBuf,
}

impl StaticSite {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The response for `path`, or `None` when this site has nothing there (the caller answers with the
    /// API's JSON 404 then, so unknown paths look the same with or without a dashboard).
    pub async fn respond(
        &self,
        method: &Method,
        path: &str,
    ) -> Option<hyper::Response<Full<Bytes>>> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let relative = if path == "/" {
            PathBuf::from("index.html")
        } else {
            safe_relative_path(path)?
        };
        match self.read(&relative).await {
            Some(body) => Some(file_response(method, &relative, body)),
            None if path == "/" => Some(not_built_response(method)),
            None => None,
        }
    }

    /// Reads a regular file under the root; symbolic links that lead outside it are not followed.
    async fn read(&self, relative: &Path) -> Option<Vec<u8>> {
        let root = tokio::fs::canonicalize(&self.root).await.ok()?;
        let file = tokio::fs::canonicalize(root.join(relative)).await.ok()?;
        if !file.starts_with(&root) || !tokio::fs::metadata(&file).await.ok()?.is_file() {
            return None;
        }
        tokio::fs::read(&file).await.ok()
    }
}

/// `path` as a relative file path, if every segment is a plain name: no `..`, `.`, empty segment, hidden
/// name, backslash or NUL. Percent escapes are not decoded, so `%2e%2e` is just a name that does not exist.
pub fn safe_relative_path(path: &str) -> Option<PathBuf> {
    let rest = path.strip_prefix('/')?;
    let mut out = PathBuf::new();
    for segment in rest.split('/') {
        if segment.is_empty() || segment.starts_with('.') || segment.contains(['\\', '\0', ':']) {
            return None;
        }
        out.push(segment);
    }
    // Belt and braces: what `Path` parsed must be plain names only.
    out.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(out)
}

/// The content type of a file of the dashboard's build, by extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn file_response(method: &Method, path: &Path, body: Vec<u8>) -> hyper::Response<Full<Bytes>> {
    let kind = content_type(path);
    page(method, StatusCode::OK, kind, Bytes::from(body))
}

fn not_built_response(method: &Method) -> hyper::Response<Full<Bytes>> {
    page(
        method,
        StatusCode::NOT_FOUND,
        "text/html; charset=utf-8",
        Bytes::from_static(NOT_BUILT_PAGE.as_bytes()),
    )
}

fn page(
    method: &Method,
    status: StatusCode,
    kind: &'static str,
    body: Bytes,
) -> hyper::Response<Full<Bytes>> {
    let length = body.len();
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        body
    };
    let mut response = hyper::Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    // The build keeps fixed file names, so every load asks again (cheap on loopback).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if kind.starts_with("text/html") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(HTML_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_map_to_relative_files() {
        assert_eq!(safe_relative_path("/app.js"), Some(PathBuf::from("app.js")));
        assert_eq!(
            safe_relative_path("/assets/logo.svg"),
            Some(PathBuf::from("assets/logo.svg"))
        );
    }

    #[test]
    fn traversal_and_odd_segments_are_refused() {
        for path in [
            "/../secret",
            "/assets/../../secret",
            "/./index.html",
            "//etc/passwd",
            "/assets/",
            "/.env",
            "/a\\..\\b",
            "/c:/x",
            "/a\0b",
            "relative",
        ] {
            assert_eq!(safe_relative_path(path), None, "{path:?}");
        }
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(
            content_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("app.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("style.css")),
            "text/css; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("blob.bin")),
            "application/octet-stream"
        );
    }
}

//! `pagewire dev` serves the built dashboard at `/`: right content types, nothing outside its directory,
//! API routes first, and a how-to-build page when there is no build.

use integration_tests::stack::{options, TestApp};
use pagewire_core::SystemClock;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `GET {target}` exactly as written (HTTP clients normalise `..` away) and returns the status code
/// and the whole response text.
async fn raw_get(app: &TestApp, target: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(app.stack.addr).await.expect("connect");
    let request = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    (status, text)
}

async fn start_with_dashboard(data: &Path, dashboard: &Path) -> TestApp {
    let mut options = options(data, Arc::new(SystemClock));
    options.dashboard_dir = Some(dashboard.to_path_buf());
    TestApp::start_with(options).await
}

#[tokio::test]
async fn serves_the_built_files_with_their_content_types() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>dash</title>",
    )
    .unwrap();
    std::fs::write(dist.join("app.js"), "console.log(1)").unwrap();
    std::fs::write(dist.join("assets/style.css"), "body{}").unwrap();
    let app = start_with_dashboard(&dir.path().join("data"), &dist).await;

    for (path, content_type, body) in [
        (
            "/",
            "text/html; charset=utf-8",
            "<!doctype html><title>dash</title>",
        ),
        (
            "/app.js",
            "text/javascript; charset=utf-8",
            "console.log(1)",
        ),
        ("/assets/style.css", "text/css; charset=utf-8", "body{}"),
    ] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], content_type, "{path}");
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
        assert_eq!(resp.text().await.unwrap(), body, "{path}");
    }
    let index = app.client.get(app.url("/")).send().await.unwrap();
    let policy = index.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");

    let head = app.client.head(app.url("/app.js")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "14");

    // A file that does not exist gets the API's JSON 404, and so does a POST to a file.
    let missing = app.client.get(app.url("/nope.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["content-type"], "application/json");
    let post = app.client.post(app.url("/app.js")).send().await.unwrap();
    assert_eq!(post.status(), 404);
    app.stack.stop().await;
}

#[tokio::test]
async fn refuses_paths_outside_the_dashboard_directory() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("site/dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "index").unwrap();
    std::fs::write(dist.join(".hidden"), "hidden").unwrap();
    std::fs::write(dir.path().join("site/secret.txt"), "top secret").unwrap();
    std::os::unix::fs::symlink(dir.path().join("site/secret.txt"), dist.join("link.txt")).unwrap();
    let app = start_with_dashboard(&dir.path().join("data"), &dist).await;

    for target in [
        "/../secret.txt",
        "/./../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/.hidden",
        "/link.txt",
        "//etc/passwd",
    ] {
        let (status, text) = raw_get(&app, target).await;
        assert_eq!(status, 404, "{target}: {text}");
        assert!(!text.contains("top secret"), "{target}");
        assert!(
            !text.contains("hidden\n") && !text.ends_with("hidden"),
            "{target}"
        );
    }
    let (status, text) = raw_get(&app, "/index.html").await;
    assert_eq!(status, 200, "{text}");
    assert!(text.ends_with("index"));
    app.stack.stop().await;
}

#[tokio::test]
async fn api_routes_take_priority_over_files() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "index").unwrap();
    std::fs::write(dist.join("templates"), "a file named like a route").unwrap();
    let app = start_with_dashboard(&dir.path().join("data"), &dist).await;

    let resp = app.client.get(app.url("/templates")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "missing_api_key");
    app.stack.stop().await;
}

#[tokio::test]
async fn without_a_build_the_root_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = start_with_dashboard(&dir.path().join("data"), &dir.path().join("no-dist")).await;

    let resp = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    let text = resp.text().await.unwrap();
    assert!(text.contains("npm run build"), "{text}");
    app.stack.stop().await;
}

//! The HTTP front's bounds: a client that trickles its headers, stalls its body or declares an absurd one
//! is cut off in bounded time, and idle connections beyond the cap make room for a new client.

use integration_tests::stack::{options, TestApp};
use pagewire_cli::http_front::HttpLimits;
use pagewire_core::SystemClock;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn app_with(limits: HttpLimits) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), Arc::new(SystemClock));
    opts.http = limits;
    (TestApp::start_with(opts).await, dir)
}

fn short_limits() -> HttpLimits {
    HttpLimits {
        header_read_timeout: Duration::from_secs(1),
        body_stall_timeout: Duration::from_secs(1),
        body_deadline: Duration::from_secs(3),
        ..HttpLimits::default()
    }
}

/// Reads until the server closes the connection (or `within` passes); returns what it sent.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read_all).await.ok()?;
    Some(String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let (app, _dir) = app_with(short_limits()).await;
    let mut stream = TcpStream::connect(app.stack.addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(b"GET /job-status?job_id=x HTTP/1.1\r\nhost: a\r\n")
        .await
        .unwrap();
    // One header byte every 200 ms: the request never completes, but bytes keep coming.
    let trickle = async {
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if stream.write_all(b"x").await.is_err() {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(4), trickle)
        .await
        .unwrap_or(());
    let closed = read_until_closed(&mut stream, Duration::from_secs(2)).await;
    assert!(closed.is_some(), "the connection was still open");
    assert!(started.elapsed() < Duration::from_secs(5));
    app.stack.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let (app, _dir) = app_with(short_limits()).await;
    let mut stream = TcpStream::connect(app.stack.addr).await.unwrap();
    stream
        .write_all(b"GET /job-status?job_id=x HTTP/1.1\r\nhost: a\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(4))
        .await
        .expect("closed after the idle timeout");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    app.stack.stop().await;
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_and_an_absurd_one_413() {
    let (app, _dir) = app_with(short_limits()).await;
    let mut stream = TcpStream::connect(app.stack.addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(
            b"POST /process-job HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\n\
              content-length: 1000\r\n\r\n{\"template",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(4))
        .await
        .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // 100 GB declared, 10 bytes sent: refused at once, without waiting for the rest.
    let mut stream = TcpStream::connect(app.stack.addr).await.unwrap();
    stream
        .write_all(
            b"POST /process-job HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\n\
              content-length: 100000000000\r\n\r\n0123456789",
        )
        .await
        .unwrap();
    let mut head = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_millis(500), stream.read(&mut head))
        .await
        .expect("answered without waiting for the body")
        .unwrap();
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");

    // A body that keeps coming, slowly, still ends at the body deadline.
    let mut stream = TcpStream::connect(app.stack.addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(b"POST /process-job HTTP/1.1\r\nhost: a\r\ncontent-length: 1000\r\n\r\n")
        .await
        .unwrap();
    let mut answered = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if stream.write_all(b" ").await.is_err() {
            break;
        }
        let mut probe = [0u8; 16];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await
        {
            answered = n > 0 && probe.starts_with(b"HTTP/1.1 408");
            break;
        }
    }
    assert!(answered, "a slow body was not cut off at the deadline");
    assert!(started.elapsed() < Duration::from_secs(6));
    app.stack.stop().await;
}

#[tokio::test]
async fn idle_connections_over_the_cap_do_not_lock_out_a_new_client() {
    let cap = 16;
    let (app, _dir) = app_with(HttpLimits {
        max_connections: cap,
        ..HttpLimits::default()
    })
    .await;
    // Twice the cap, all idle (no byte sent).
    let mut idle = Vec::new();
    for _ in 0..2 * cap {
        idle.push(TcpStream::connect(app.stack.addr).await.unwrap());
    }
    let started = Instant::now();
    let (status, _) = app.call("GET", "/job-status?job_id=x", None, None).await;
    assert_eq!(status, 401, "a new client is served");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "served in {:?}",
        started.elapsed()
    );
    // The oldest idle connections were closed to make room.
    let oldest = read_until_closed(&mut idle[0], Duration::from_secs(2)).await;
    assert!(oldest.is_some(), "the oldest idle connection is closed");
    app.stack.stop().await;
}

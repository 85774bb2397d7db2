//! The README's run command as a user runs it: `pagewire dev` with no OCR variable set, then the sample
//! template and a PNG invoice submitted as the printed curl line does. OCR must be on out of the box (the
//! repository's models/ocr, run by ONNX Runtime from the cache the start fills) and read the PNG's fields.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Stops the server when the test ends, whatever way it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What `pagewire dev` prints at start-up that a user acts on.
#[derive(Debug, Default)]
struct StartUp {
    url: String,
    key: String,
    template: String,
    ocr: String,
}

fn start_dev(data_dir: &std::path::Path) -> (Running, StartUp) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pagewire"))
        .args([
            "--data-dir",
            data_dir.to_str().unwrap(),
            "dev",
            "--port",
            "0",
        ])
        .env_remove("PAGEWIRE_OCR_MODEL_DIR")
        .env_remove("PAGEWIRE_ONNXRUNTIME_LIB")
        .env_remove("PAGEWIRE_DATA_DIR")
        .env("PAGEWIRE_PROCESS_CONCURRENCY", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("pagewire starts");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut seen = StartUp::default();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("pagewire's output is text");
        if let Some(rest) = line.strip_prefix("pagewire dev is serving ") {
            seen.url = rest.split_whitespace().next().unwrap().to_string();
        } else if let Some(rest) = line.strip_prefix("api key: ") {
            seen.key = rest.to_string();
        } else if let Some(rest) = line.strip_prefix("sample template: ") {
            seen.template = rest.to_string();
        } else if line.starts_with("OCR ") {
            seen.ocr = line.clone();
        } else if line.starts_with("stop with Ctrl-C") {
            break;
        }
    }
    (running, seen)
}

/// The JSON body of the answer to `request`.
async fn json(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_png_submitted_to_pagewire_dev_with_no_ocr_variable_has_its_fields_read() {
    let data_dir = std::env::temp_dir().join(format!("pagewire-dev-ocr-{}", uuid::Uuid::new_v4()));
    let (_server, start) = start_dev(&data_dir);
    assert!(
        start.ocr.starts_with("OCR on: ") && start.ocr.contains("PP-OCR"),
        "start-up says OCR is on and names the models: {start:?}"
    );
    // The engine too: ONNX Runtime from the user's cache, which the first start fills (scripts/test.sh
    // fills the same cache beforehand, so the test needs no network of its own).
    assert!(
        start.ocr.contains("run by ONNX Runtime") && start.ocr.contains("libonnxruntime.so"),
        "start-up says ONNX Runtime runs the models: {start:?}"
    );
    assert!(
        !start.key.is_empty() && !start.template.is_empty(),
        "{start:?}"
    );

    let png = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/invoice.png"
    ))
    .unwrap();
    let client = reqwest::Client::new();
    let form = reqwest::multipart::Form::new()
        .text("template_id", start.template.clone())
        .part(
            "actual_image",
            reqwest::multipart::Part::bytes(png).file_name("invoice.png"),
        );
    let submitted = client
        .post(format!("{}/process-job", start.url))
        .header("x-auth", &start.key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 202);
    let job: serde_json::Value = submitted.json().await.unwrap();
    let job_id = job["job_id"].as_str().unwrap().to_string();

    // A debug build reads one page in seconds to a minute on a loaded machine; the bound only stops a hang.
    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        let view = json(
            client
                .get(format!("{}/job-status?job_id={job_id}", start.url))
                .header("x-auth", &start.key),
        )
        .await;
        let status = view["status"].as_str().unwrap_or_default().to_string();
        if status == "SUCCESS" || status == "FAILED" {
            break view;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {view}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(status["status"], "SUCCESS", "{status}");
    let results = json(
        client
            .post(format!("{}/v1/job-results", start.url))
            .header("x-auth", &start.key)
            .json(&serde_json::json!({"job_id": job_id, "result_format": "json"})),
    )
    .await;
    let fields = &results["documents"][0]["result"];
    assert_eq!(fields["invoice_number"], "INV-2024-001", "{results}");
    assert_eq!(fields["invoice_date"], "2024-03-15", "{results}");
    assert_eq!(fields["total"], 1234.56, "{results}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

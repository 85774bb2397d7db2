//! Files made to hurt, through the whole pipeline of `pagewire dev`'s embedded stack: each ends
//! `FAILED` with its reason (or reads within bounds), costs no credit when it fails, and the innocent
//! documents submitted after them are processed as usual.
//!
//! The files are generated (`pagewire_extract::hostile`), never committed. Needs the OCR models (the
//! image traps are only reached with OCR configured): `scripts/test.sh` sets PAGEWIRE_OCR_MODEL_DIR.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use integration_tests::stack::with_shipped_ocr;
use integration_tests::stack::{options, TestApp};
use pagewire_core::SystemClock;
use pagewire_extract::fixtures;
use pagewire_extract::hostile::{self, PageLoop};
use serde_json::{json, Value};
use std::sync::Arc;

async fn submit(app: &TestApp, key: &str, template: &str, bytes: &[u8], name: &str) -> String {
    let (status, body) = app
        .call(
            "POST",
            "/process-job",
            Some(key),
            Some(json!({
                "template_id": template,
                "actual_image": STANDARD.encode(bytes),
                "file_name": name,
            })),
        )
        .await;
    assert_eq!(status, 202, "{name}: {body}");
    body["job_id"].as_str().unwrap().to_string()
}

async fn template(app: &TestApp, key: &str) -> String {
    let (status, body) = app
        .call(
            "POST",
            "/templates",
            Some(key),
            Some(json!({
                "name": "hostile",
                "fields": [{"name": "word", "type": "text", "rule": {"kind": "regex", "pattern": "(hello|INV-\\d+)"}}]
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// (file name, bytes, the job's status, the failure's code, pages charged)
type Case = (
    &'static str,
    Vec<u8>,
    &'static str,
    Option<&'static str>,
    u64,
);

#[tokio::test]
async fn hostile_files_fail_alone_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path(), Arc::new(SystemClock));
    with_shipped_ocr(&mut options.config);
    let app = TestApp::start_with(options).await;
    let key = app.tenant("mallory", 1_000).await;
    let template = template(&app, &key).await;

    let cases: Vec<Case> = vec![
        // Millions of `q` in a few kilobytes: read one operation at a time, refused at the budget.
        (
            "operators.pdf",
            hostile::operator_bomb(4_000_000),
            "FAILED",
            Some("too_complex"),
            0,
        ),
        // An unreferenced object stream of one huge array, and one that lists a small array at
        // the same offset a thousand times: refused before lopdf parses them.
        (
            "object-stream.pdf",
            hostile::object_stream_bomb(30_000_000, 1),
            "FAILED",
            Some("too_complex"),
            0,
        ),
        (
            "object-stream-listings.pdf",
            hostile::object_stream_bomb(20_000, 1_000),
            "FAILED",
            Some("too_complex"),
            0,
        ),
        // Objects nested 100,000 deep nobody refers to: lopdf drops them, the page reads.
        (
            "deep-objects.pdf",
            hostile::deep_nesting_pdf(100_000),
            "SUCCESS",
            None,
            1,
        ),
        (
            "deep-content.pdf",
            hostile::deep_content_pdf(100_000),
            "FAILED",
            Some("too_complex"),
            0,
        ),
        (
            "own-kid.pdf",
            hostile::looping_page_tree(PageLoop::RootIsItsOwnKid),
            "FAILED",
            Some("malformed_pdf"),
            0,
        ),
        (
            "repeated-page.pdf",
            hostile::looping_page_tree(PageLoop::RepeatedPage),
            "FAILED",
            Some("malformed_pdf"),
            0,
        ),
        (
            "root-below-itself.pdf",
            hostile::looping_page_tree(PageLoop::RootBelowItself),
            "FAILED",
            Some("malformed_pdf"),
            0,
        ),
        (
            "parent-cycle.pdf",
            hostile::looping_page_tree(PageLoop::ParentCycle),
            "FAILED",
            Some("malformed_pdf"),
            0,
        ),
        // Fifty deflated 48-megapixel pages: the first is refused from its header, before any pixel
        // is decoded. (Pages within the per-page limit are read one at a time until the document's
        // pixel budget: `images` unit tests, and the hostile_memory bench with 40-megapixel pages;
        // OCR of twelve such pages in a debug build would take minutes here.)
        (
            "pages.tiff",
            hostile::big_pixel_tiff(50, 12_000, 4_000),
            "FAILED",
            Some("image_too_large"),
            0,
        ),
        (
            "pixels.png",
            hostile::big_png(8_000, 8_000),
            "FAILED",
            Some("image_too_large"),
            0,
        ),
        (
            "pixels.jpg",
            hostile::lying_jpeg(60_000, 60_000),
            "FAILED",
            Some("image_too_large"),
            0,
        ),
        // One 1 MiB entry behind a thousand central records.
        (
            "overlapping.zip",
            hostile::overlapping_zip(1 << 20, 1_000),
            "FAILED",
            Some("overlapping_entries"),
            0,
        ),
    ];
    let mut jobs = Vec::new();
    for (name, bytes, ..) in &cases {
        assert!(bytes.len() < 2 << 20, "{name} is small on the wire");
        jobs.push(submit(&app, &key, &template, bytes, name).await);
    }
    // Innocent documents queued behind the traps.
    let innocent: Vec<String> = {
        let mut ids = Vec::new();
        for i in 0..3 {
            let pdf = fixtures::text_pdf(&[&[&format!("Invoice INV-{i}")]]);
            ids.push(submit(&app, &key, &template, &pdf, "innocent.pdf").await);
        }
        ids
    };
    app.stack.drain().await;

    let mut charged = 0;
    for ((name, _, want_status, want_code, pages), job) in cases.iter().zip(&jobs) {
        let view = app.job_status(&key, job).await;
        assert_eq!(view["status"], *want_status, "{name}: {view}");
        let document = &view["documents"][0];
        assert_eq!(
            document["error"]["code"].as_str(),
            *want_code,
            "{name}: {view}"
        );
        if want_code.is_some() {
            let message = document["error"]["message"].as_str().unwrap_or_default();
            assert!(!message.is_empty(), "{name}: {view}");
        }
        assert_eq!(view["credits_charged"], *pages, "{name}: {view}");
        charged += pages;
    }
    for (i, job) in innocent.iter().enumerate() {
        let view = app.job_status(&key, job).await;
        assert_eq!(view["status"], "SUCCESS", "{view}");
        let results = app.job_results(&key, job).await;
        assert_eq!(
            results["documents"][0]["result"]["word"],
            format!("INV-{i}"),
            "{results}"
        );
        charged += 1;
    }
    let tenants = app.stack.storage.tenants.list_tenants().await.unwrap();
    let left = tenants
        .iter()
        .find(|t| t.name == "mallory")
        .unwrap()
        .credits;
    assert_eq!(left, 1_000 - charged as i64);
    app.stack.stop().await;
}

/// 200 heavy regex fields over a long page: the regexes are compiled once for the document and
/// its extraction has a time budget, so the document ends (its fields found, or `null` with the
/// warning that says why) and the document queued behind it is processed.
#[tokio::test]
async fn a_regex_heavy_template_ends_within_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start_with(options(dir.path(), Arc::new(SystemClock))).await;
    let key = app.tenant("regexes", 100).await;
    let fields: Vec<Value> = (0..200)
        .map(|i| {
            json!({
                "name": format!("f{i}"),
                "type": "text",
                "rule": {"kind": "regex", "pattern": format!(r"[a-z]{{2,30}}\s+[a-z]{{2,30}}\s+needle{i}\s+(\S+)")}
            })
        })
        .collect();
    let (code, heavy) = app
        .call(
            "POST",
            "/templates",
            Some(&key),
            Some(json!({"name": "heavy", "fields": fields})),
        )
        .await;
    assert_eq!(code, 201, "{heavy}");
    let heavy = heavy["id"].as_str().unwrap().to_string();
    // A full page: 45 lines (as many as fit at 16 pt), each long.
    let lines: Vec<String> = (0..45)
        .map(|i| {
            format!(
                "filler words here needle{i} value{i} and more text to scan, {}",
                "lorem ipsum ".repeat(4)
            )
        })
        .collect();
    let line_refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let long_page = fixtures::text_pdf(&[&line_refs]);
    let job = submit(&app, &key, &heavy, &long_page, "long.pdf").await;
    let plain = template(&app, &key).await;
    let innocent = fixtures::text_pdf(&[&["Invoice INV-7"]]);
    let after = submit(&app, &key, &plain, &innocent, "innocent.pdf").await;
    app.stack.drain().await;

    let view = app.job_status(&key, &job).await;
    assert_eq!(view["status"], "SUCCESS", "{view}");
    let results = app.job_results(&key, &job).await;
    let result = &results["documents"][0]["result"];
    assert_eq!(result.as_object().unwrap().len(), 200, "{result}");
    assert_eq!(
        result["f0"], "value0",
        "{}",
        results["documents"][0]["fields"][0]
    );
    // Each field is found, or null with a warning that says why (not on the page, or out of time).
    for (i, field) in results["documents"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let warned = field["warnings"].as_array().is_some_and(|w| !w.is_empty());
        if i < 45 && !warned {
            assert_eq!(field["value"], format!("value{i}"), "{field}");
        } else if i >= 45 {
            assert!(field["value"].is_null(), "{field}");
        }
    }
    assert_eq!(app.job_status(&key, &after).await["status"], "SUCCESS");
    app.stack.stop().await;
}

//! The multipart parser of `POST /process-job` (submit-job's handler), fed damaged and hostile forms
//! through the real handler on the embedded backend: every answer is a 202 or a 4xx with an error code.

use crate::{apply, bounded, config, mutations};
use integration_tests::stack::{invoice_pdf, Backend, TestEnv};
use lambda_http::{Body, Request};
use pagewire_cli::functions::Functions;
use pagewire_core::access::authenticate;
use pagewire_core::configuration::tenants::create_tenant;
use pagewire_core::configuration::{templates, TemplateInput};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};

const BOUNDARY: &str = "pw-fuzz-7d1e";

#[derive(Debug, Clone)]
struct Part {
    name: String,
    file_name: Option<String>,
    content: Vec<u8>,
}

fn parts(template: String) -> impl Strategy<Value = Vec<Part>> {
    let name = prop_oneof![
        Just("actual_image".to_string()),
        Just("template_id".to_string()),
        Just("file_name".to_string()),
        Just("static_values".to_string()),
        Just("webhook_ids".to_string()),
        Just("webhook_ids[]".to_string()),
        "[ -~]{0,12}",
    ];
    let content = prop_oneof![
        Just(invoice_pdf()),
        Just(template.into_bytes()),
        Just(br#"{"ref": 1}"#.to_vec()),
        Just(b"[00000000-0000-4000-8000-000000000000, x]".to_vec()),
        prop::collection::vec(any::<u8>(), 0..256),
    ];
    let file_name = prop::option::of("[ -~]{0,20}");
    prop::collection::vec(
        (name, file_name, content).prop_map(|(name, file_name, content)| Part {
            name,
            file_name,
            content,
        }),
        0..6,
    )
}

fn encode(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match &part.file_name {
            Some(f) => format!("form-data; name=\"{}\"; filename=\"{f}\"", part.name),
            None => format!("form-data; name=\"{}\"", part.name),
        };
        body.extend(format!("Content-Disposition: {disposition}\r\n\r\n").as_bytes());
        body.extend(&part.content);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn content_type() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => Just(format!("multipart/form-data; boundary={BOUNDARY}")),
        1 => Just("multipart/form-data".to_string()),
        1 => Just(format!("multipart/form-data; boundary=\"{BOUNDARY}\"; charset=utf-8")),
        1 => "multipart/form-data; boundary=[ -~]{0,80}",
    ]
}

async fn post(f: &Functions, key: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let req: Request = lambda_http::http::Request::builder()
        .method("POST")
        .uri("http://127.0.0.1/process-job")
        .header("x-auth", key)
        .header("content-type", content_type)
        .body(Body::Binary(body))
        .expect("request");
    let resp = submit_job::handle(&f.submit_job, req)
        .await
        .expect("the handler answers");
    let status = resp.status().as_u16();
    let bytes: &[u8] = resp.body().as_ref();
    (status, serde_json::from_slice(bytes).unwrap_or(Value::Null))
}

#[test]
fn multipart_forms_get_a_202_or_a_clear_4xx() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let env = rt.block_on(TestEnv::new(Backend::Embedded));
    let (functions, key, template) = rt.block_on(async {
        let backend = pagewire_cli::backend::open(&env.options())
            .await
            .expect("backend");
        let key = create_tenant(&backend.tenants, "fuzz", 1_000_000)
            .await
            .expect("tenant")
            .api_key;
        let functions = backend.functions;
        let tenant = authenticate(&functions.submit_job.access, Some(&key))
            .await
            .expect("key");
        let input: TemplateInput = serde_json::from_value(json!({"name": "t"})).expect("input");
        let template = templates::create(&functions.templates.templates, tenant, input)
            .await
            .expect("template");
        (functions, key, template.id.to_string())
    });
    let mut runner = TestRunner::new(config(128));
    let cases = (
        parts(template),
        prop::option::of(mutations()),
        content_type(),
    );
    runner
        .run(&cases, |(parts, damage, content_type)| {
            let mut body = encode(&parts);
            if let Some(damage) = damage {
                body = apply(body, &damage);
            }
            let (status, answer) = bounded("multipart submission", || {
                rt.block_on(post(&functions, &key, &content_type, body))
            });
            prop_assert!(
                status == 202 || (400..500).contains(&status),
                "{status}: {answer}"
            );
            if status != 202 {
                let code = answer["error"]["code"].as_str().unwrap_or("");
                prop_assert!(!code.is_empty(), "{status} without an error code: {answer}");
            }
            Ok(())
        })
        .unwrap();
}

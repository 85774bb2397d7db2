//! The AWS-backed suite runs on the queues, tables and bucket of infra/template.yaml, created in the
//! emulator from the template itself (`integration_tests::template`). These tests read them back from the
//! emulator against the template, then take one document from submission through the S3 notification,
//! processing and a signed webhook to its results on them.

use aws_sdk_sqs::types::QueueAttributeName;
use chrono::Utc;
use integration_tests::moto::{self, AwsTestResources};
use integration_tests::receiver::Receiver;
use integration_tests::signature::verify_received;
use integration_tests::stack::{Backend, TestEnv};
use integration_tests::template::intrinsics::{resolve, Names};
use integration_tests::template::plan::Spec;
use integration_tests::template::{workspace_root, Template};
use pagewire_cli::pump::{pump_once, Consumer};
use serde_json::{json, Value};
use std::collections::BTreeSet;

#[tokio::test]
async fn the_emulator_holds_each_queue_table_and_bucket_as_the_template_declares_it() {
    let stack = AwsTestResources::create().await;
    let aws = moto::clients().await;
    let plan = &stack.plan;
    let mut kinds = BTreeSet::new();
    for resource in &plan.resources {
        let id = resource.logical_id.as_str();
        let name = resource.physical_name.as_str();
        match &resource.spec {
            Spec::Queue(declared) => {
                kinds.insert("queue");
                let attributes = aws
                    .sqs()
                    .get_queue_attributes()
                    .queue_url(plan.reference(id))
                    .attribute_names(QueueAttributeName::All)
                    .send()
                    .await
                    .unwrap()
                    .attributes
                    .unwrap();
                let number = |attribute: QueueAttributeName| {
                    attributes
                        .get(&attribute)
                        .map(|v| v.parse::<u64>().unwrap())
                };
                if let Some(visibility) = declared.visibility_timeout {
                    assert_eq!(
                        number(QueueAttributeName::VisibilityTimeout),
                        Some(visibility.0),
                        "{id}"
                    );
                }
                if let Some(retention) = declared.message_retention_period {
                    assert_eq!(
                        number(QueueAttributeName::MessageRetentionPeriod),
                        Some(retention.0),
                        "{id}"
                    );
                }
                let redrive: Option<Value> = attributes
                    .get(&QueueAttributeName::RedrivePolicy)
                    .map(|p| serde_json::from_str(p).unwrap());
                match &declared.redrive_policy {
                    Some(policy) => {
                        let redrive =
                            redrive.unwrap_or_else(|| panic!("{id} has no redrive policy"));
                        assert_eq!(
                            redrive["deadLetterTargetArn"], policy.dead_letter_target_arn,
                            "{id}"
                        );
                        assert_eq!(
                            redrive["maxReceiveCount"].as_u64(),
                            Some(policy.max_receive_count.0),
                            "{id}"
                        );
                    }
                    None => assert!(redrive.is_none(), "{id} has a redrive policy"),
                }
            }
            Spec::Table(declared) => {
                kinds.insert("table");
                let table = aws
                    .dynamodb
                    .describe_table()
                    .table_name(name)
                    .send()
                    .await
                    .unwrap()
                    .table
                    .unwrap();
                let keys: Vec<(String, String)> = table
                    .key_schema()
                    .iter()
                    .map(|k| {
                        (
                            k.attribute_name().to_string(),
                            k.key_type().as_str().to_string(),
                        )
                    })
                    .collect();
                let declared_keys: Vec<(String, String)> = declared
                    .key_schema
                    .iter()
                    .map(|k| (k.attribute_name.clone(), k.key_type.clone()))
                    .collect();
                assert_eq!(keys, declared_keys, "{id}");
                assert_eq!(
                    table
                        .billing_mode_summary()
                        .and_then(|b| b.billing_mode())
                        .map(|m| m.as_str()),
                    declared.billing_mode.as_deref(),
                    "{id}"
                );
                let ttl = aws
                    .dynamodb
                    .describe_time_to_live()
                    .table_name(name)
                    .send()
                    .await
                    .unwrap()
                    .time_to_live_description
                    .unwrap();
                let expected_ttl = declared
                    .time_to_live_specification
                    .as_ref()
                    .filter(|t| t.enabled)
                    .map(|t| t.attribute_name.as_str());
                let enabled = ttl
                    .time_to_live_status()
                    .is_some_and(|s| s.as_str() == "ENABLED");
                assert_eq!(
                    enabled.then(|| ttl.attribute_name()).flatten(),
                    expected_ttl,
                    "{id}: TTL"
                );
            }
            Spec::Bucket(declared) => {
                kinds.insert("bucket");
                let notifications = aws
                    .s3
                    .get_bucket_notification_configuration()
                    .bucket(name)
                    .send()
                    .await
                    .unwrap();
                let held: BTreeSet<(String, String, String)> = notifications
                    .queue_configurations()
                    .iter()
                    .map(|c| {
                        let prefix = c
                            .filter()
                            .and_then(|f| f.key())
                            .map(|k| k.filter_rules())
                            .unwrap_or_default()
                            .iter()
                            .map(|r| r.value().unwrap_or_default())
                            .collect::<Vec<_>>()
                            .join(",");
                        (
                            c.queue_arn().to_string(),
                            c.events()[0].as_str().to_string(),
                            prefix,
                        )
                    })
                    .collect();
                let notification = declared.notification_configuration.as_ref().unwrap();
                let wanted: BTreeSet<(String, String, String)> = notification
                    .queue_configurations
                    .iter()
                    .map(|c| {
                        let prefix = c
                            .filter
                            .iter()
                            .flat_map(|f| &f.s3_key.rules)
                            .map(|r| r.value.clone())
                            .collect::<Vec<_>>()
                            .join(",");
                        (c.queue.clone(), c.event.clone(), prefix)
                    })
                    .collect();
                assert_eq!(held, wanted, "{id}: notifications");

                let rules = aws
                    .s3
                    .get_bucket_lifecycle_configuration()
                    .bucket(name)
                    .send()
                    .await
                    .unwrap()
                    .rules
                    .unwrap_or_default();
                let held: Vec<(Option<String>, Option<i32>)> = rules
                    .iter()
                    .map(|r| (r.id.clone(), r.expiration().and_then(|e| e.days())))
                    .collect();
                let wanted: Vec<(Option<String>, Option<i32>)> = declared
                    .lifecycle_configuration
                    .iter()
                    .flat_map(|l| &l.rules)
                    .map(|r| (r.id.clone(), r.expiration_in_days.map(|d| d.0 as i32)))
                    .collect();
                assert_eq!(held, wanted, "{id}: lifecycle");

                let block = aws
                    .s3
                    .get_public_access_block()
                    .bucket(name)
                    .send()
                    .await
                    .unwrap()
                    .public_access_block_configuration
                    .unwrap();
                let declared_block = declared.public_access_block_configuration.as_ref().unwrap();
                assert_eq!(
                    (block.block_public_acls(), block.restrict_public_buckets()),
                    (
                        Some(declared_block.block_public_acls),
                        Some(declared_block.restrict_public_buckets)
                    ),
                    "{id}: public access block"
                );
            }
        }
    }
    assert_eq!(
        kinds,
        BTreeSet::from(["bucket", "queue", "table"]),
        "the template's queues, tables and bucket were all created"
    );
}

#[tokio::test]
async fn a_document_goes_from_submission_to_a_signed_webhook_and_results_on_the_template_stack() {
    let receiver = Receiver::start().await;
    let env = TestEnv::new(Backend::Aws).await;
    let stack = env.aws.clone().unwrap();
    let app = env.start().await;
    let key = app.tenant("acme", 10).await;
    let template_id = app.invoice_template(&key).await;
    let hook = app
        .webhook(
            &key,
            json!({"template_id": template_id, "name": "r", "url": receiver.url("/hook")}),
        )
        .await;
    let job_id = app.submit(&key, &template_id).await;

    // The template's bucket notified the queue the template feeds to process-document.
    let aws = moto::clients().await;
    let bucket = stack.resources.bucket.clone().unwrap();
    let notifications: Vec<Value> = moto::peek(&aws, &stack.process_queue_url)
        .await
        .iter()
        .map(|body| serde_json::from_str(body).unwrap())
        .filter(|body: &Value| body.get("Records").is_some())
        .collect();
    assert_eq!(notifications.len(), 1, "one notification for the upload");
    let record = &notifications[0]["Records"][0];
    assert_eq!(record["s3"]["bucket"]["name"], bucket.as_str());
    let object_key = record["s3"]["object"]["key"].as_str().unwrap();
    assert!(
        object_key.starts_with("uploads") && object_key.contains(&job_id),
        "{object_key}"
    );

    // process-document takes it from that queue and puts one delivery on the template's delivery queue.
    assert!(
        pump_once(
            &app.stack.functions,
            &*app.stack.process_queue,
            "process",
            Consumer::ProcessDocument
        )
        .await
            >= 1
    );
    let delivery_queue = stack.resources.delivery_queue_url.clone().unwrap();
    assert_eq!(moto::peek(&aws, &delivery_queue).await.len(), 1);
    app.stack.drain().await;

    let hits = receiver.received();
    assert_eq!(hits.len(), 1, "one webhook for one document");
    assert!(verify_received(hook["secret"].as_str().unwrap(), &hits[0]));
    let body = hits[0].json();
    assert_eq!(body["type"], "document.completed");
    assert_eq!(body["job_id"], job_id.as_str());
    assert_eq!(body["result"]["invoice_number"], "INV-2024-001");
    assert_eq!(body["result"]["total"], 1234.56);

    let (status, results) = app
        .call(
            "POST",
            "/v1/job-results",
            Some(&key),
            Some(json!({"job_id": job_id, "result_format": "json"})),
        )
        .await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results["status"], "SUCCESS");
    assert_eq!(results["documents"][0]["result"], body["result"]);

    // Nothing was dead-lettered on the way.
    assert!(moto::peek(&aws, &stack.process_dlq_url).await.is_empty());
    assert!(moto::peek(&aws, &stack.delivery_dlq_url).await.is_empty());

    // The charge marker expires (the config table's TTL attribute), and only after its job does.
    let job_expires = app.job(&key, &job_id).await["expires_at"]
        .as_str()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp())
        .expect("the job view has expires_at");
    let markers = aws
        .dynamodb
        .scan()
        .table_name(stack.resources.config_table.clone().unwrap())
        .filter_expression("begins_with(sk, :charge)")
        .expression_attribute_values(
            ":charge",
            aws_sdk_dynamodb::types::AttributeValue::S("CHARGE#".into()),
        )
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(markers.len(), 1, "one charged document");
    let marker_expires: i64 = markers[0]["expires_at"].as_n().unwrap().parse().unwrap();
    assert!(marker_expires > job_expires, "the marker outlives its job");
    assert!(marker_expires > Utc::now().timestamp() + 13 * 24 * 3600);
    app.stack.stop().await;
}

/// The OCR layer as `sam build` makes it (models/Makefile: the models and ONNX Runtime for arm64), placed
/// where process-document's variables point (the template's `/opt` is the built layer here), reads a PNG
/// through the template stack. On an x86_64 machine the arm64 library cannot load, so rten runs the
/// models: the fallback the template relies on when a layer has no usable library.
#[tokio::test]
async fn a_png_is_read_with_the_ocr_layer_the_template_builds() {
    let opt = tempfile::tempdir().unwrap();
    let built = std::process::Command::new("make")
        .args(["-s", "build-OcrModelLayer"])
        .arg(format!("ARTIFACTS_DIR={}", opt.path().display()))
        .current_dir(workspace_root().join("models"))
        .status()
        .expect("make runs the OCR layer's build");
    assert!(built.success(), "the OCR layer builds: {built}");

    // process-document's variables, as the template resolves them with its defaults, under this `/opt`.
    let t = Template::load();
    let default_dir = t.root().get("Parameters").get("OcrModelDir").get("Default");
    let inside = default_dir.str().unwrap().strip_prefix("/opt/").unwrap();
    let mut names = Names::default();
    names.set_reference("OcrModelDir", opt.path().join(inside).display().to_string());
    let (_, function) = t.function_by_binary("process-document");
    let variables = function
        .get("Properties")
        .get("Environment")
        .get("Variables");
    let resolved: std::collections::HashMap<&str, String> =
        ["PAGEWIRE_OCR_MODEL_DIR", "PAGEWIRE_ONNXRUNTIME_LIB"]
            .into_iter()
            .map(|name| {
                let value = resolve(variables.get(name), &names).unwrap();
                (name, value.as_str().unwrap().to_string())
            })
            .collect();
    let from_template =
        pagewire_lambda_kit::Config::from_lookup(|k| resolved.get(k).cloned()).unwrap();
    let library = from_template.onnxruntime_lib.clone();
    assert!(
        library.as_ref().is_some_and(|l| l.starts_with(opt.path())),
        "the layer's library is found where the template points: {library:?}"
    );

    let env = TestEnv::new(Backend::Aws).await;
    let app = env
        .start_adjusted(|options| {
            options.config.ocr_model_dir = from_template.ocr_model_dir.clone();
            options.config.onnxruntime_lib = from_template.onnxruntime_lib.clone();
        })
        .await;
    let key = app.tenant("acme", 10).await;
    let template_id = app.invoice_template(&key).await;
    let png = std::fs::read(workspace_root().join("tests/fixtures/invoice.png")).unwrap();
    let job_id = app.submit_bytes(&key, &template_id, &png).await;
    let consumer = Consumer::ProcessDocument;
    let process_queue = &*app.stack.process_queue;
    assert!(pump_once(&app.stack.functions, process_queue, "process", consumer).await >= 1);
    app.stack.drain().await;
    let results = app.job_results(&key, &job_id).await;
    let result = &results["documents"][0]["result"];
    assert_eq!(result["invoice_number"], "INV-2024-001", "{results}");
    assert_eq!(result["total"], 1234.56, "{results}");
    app.stack.stop().await;
}

//! infra/template.yaml checked against the code it deploys: the environment the functions read, the routes
//! they serve, the packages SAM builds, and the queue settings that must fit the retry schedule and the
//! function timeouts. cfn-lint (scripts/check-template.sh) checks the template is valid CloudFormation;
//! these tests check it is the right one for this code.

use integration_tests::template::intrinsics::referenced_names;
use integration_tests::template::{workspace_root, Node, Template};
use pagewire_core::object_keys::{DOCUMENTS_PREFIX, UPLOADS_PREFIX};
use pagewire_core::policy::retry::{next_retry_delay, FailedAttempt, MAX_ATTEMPTS};
use pagewire_embedded::{DELIVERY_MAX_RECEIVE_COUNT, PROCESS_MAX_RECEIVE_COUNT};
use pagewire_lambda_kit::config::KEYS;
use std::collections::BTreeSet;
use std::time::Duration;

#[test]
fn the_functions_get_exactly_the_variables_config_reads() {
    let t = Template::load();
    let mut set: BTreeSet<&str> = t
        .root()
        .get("Globals")
        .get("Function")
        .get("Environment")
        .get("Variables")
        .keys()
        .into_iter()
        .collect();
    for (_, _, function) in t.functions() {
        set.extend(
            function
                .get("Properties")
                .get("Environment")
                .get("Variables")
                .keys(),
        );
    }
    let ours: BTreeSet<&str> = set.into_iter().filter(|k| !k.starts_with("AWS_")).collect();
    let read: BTreeSet<&str> = KEYS.iter().copied().collect();
    let unset: Vec<_> = read.difference(&ours).collect();
    let unread: Vec<_> = ours.difference(&read).collect();
    assert!(
        unset.is_empty() && unread.is_empty(),
        "Config::from_env reads variables the template does not set: {unset:?}; \
         the template sets variables config::KEYS does not list: {unread:?}"
    );
}

#[test]
fn the_resource_variables_point_at_the_resources_that_play_that_part() {
    let t = Template::load();
    let vars = t
        .root()
        .get("Globals")
        .get("Function")
        .get("Environment")
        .get("Variables");
    let target = |key: &str| {
        vars.get(key)
            .ref_target()
            .unwrap_or_else(|| panic!("{key} is not a !Ref to a resource of the template"))
    };

    let jobs = t.resource(target("PAGEWIRE_JOBS_TABLE"));
    let ttl = jobs.get("Properties").get("TimeToLiveSpecification");
    assert_eq!(ttl.get("AttributeName").str(), Some("expires_at"));
    assert_eq!(ttl.get("Enabled").bool(), Some(true));

    // Charge markers expire on the same attribute; the config store writes it on nothing else.
    let config = t.resource(target("PAGEWIRE_CONFIG_TABLE"));
    assert_eq!(config.get("Type").str(), Some("AWS::DynamoDB::Table"));
    let ttl = config.get("Properties").get("TimeToLiveSpecification");
    assert_eq!(ttl.get("AttributeName").str(), Some("expires_at"));
    assert_eq!(ttl.get("Enabled").bool(), Some(true));

    let bucket = target("PAGEWIRE_BUCKET");
    assert_eq!(
        t.resource(bucket).get("Type").str(),
        Some("AWS::S3::Bucket")
    );

    let delivery_queue = target("PAGEWIRE_DELIVERY_QUEUE_URL");
    let (deliver, _) = t.function_by_binary("deliver-webhook");
    assert_eq!(
        t.consumed_queue(deliver),
        delivery_queue,
        "PAGEWIRE_DELIVERY_QUEUE_URL must name the queue deliver-webhook consumes"
    );
}

#[test]
fn both_tables_are_on_demand_and_keyed_by_pk_and_sk() {
    let t = Template::load();
    let tables = t.resources_of_type("AWS::DynamoDB::Table");
    assert_eq!(tables.len(), 2, "a jobs table and a config table");
    for (name, table) in tables {
        let props = table.get("Properties");
        assert_eq!(
            props.get("BillingMode").str(),
            Some("PAY_PER_REQUEST"),
            "{name}"
        );
        let keys: Vec<(&str, &str)> = props
            .get("KeySchema")
            .items()
            .into_iter()
            .map(|k| {
                (
                    k.get("AttributeName").str().unwrap(),
                    k.get("KeyType").str().unwrap(),
                )
            })
            .collect();
        assert_eq!(keys, [("pk", "HASH"), ("sk", "RANGE")], "{name}");
        let types: Vec<(&str, &str)> = props
            .get("AttributeDefinitions")
            .items()
            .into_iter()
            .map(|a| {
                (
                    a.get("AttributeName").str().unwrap(),
                    a.get("AttributeType").str().unwrap(),
                )
            })
            .collect();
        let indexes: Vec<_> = props.get("GlobalSecondaryIndexes").items();
        if name == "JobsTable" {
            // Recovery's sparse index of failed deliveries, as the DynamoDB adapter queries it.
            assert_eq!(
                types,
                [
                    ("pk", "S"),
                    ("sk", "S"),
                    ("failed_endpoint", "S"),
                    ("failed_us", "N")
                ]
            );
            assert_eq!(indexes.len(), 1);
            let index = indexes[0];
            assert_eq!(
                index.get("IndexName").str(),
                Some(pagewire_aws::FAILED_BY_ENDPOINT_INDEX)
            );
            let index_keys: Vec<_> = index
                .get("KeySchema")
                .items()
                .into_iter()
                .map(|k| k.get("AttributeName").str().unwrap())
                .collect();
            assert_eq!(index_keys, ["failed_endpoint", "failed_us"]);
        } else {
            assert_eq!(types, [("pk", "S"), ("sk", "S")], "{name}");
            assert!(indexes.is_empty(), "{name}");
        }
    }
}

#[test]
fn every_function_package_is_built_for_arm64_on_al2023() {
    let t = Template::load();
    let globals = t.root().get("Globals").get("Function");
    assert_eq!(globals.get("Runtime").str(), Some("provided.al2023"));
    let architectures: Vec<_> = globals
        .get("Architectures")
        .items()
        .into_iter()
        .filter_map(Node::str)
        .collect();
    assert_eq!(architectures, ["arm64"]);
    assert_eq!(
        globals.get("LoggingConfig").get("LogFormat").str(),
        Some("JSON")
    );

    let mut packages: Vec<String> = std::fs::read_dir(workspace_root().join("functions"))
        .expect("functions/ is readable")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    packages.sort();
    let mut built: Vec<&str> = t.functions().into_iter().map(|(_, b, _)| b).collect();
    built.sort();
    assert_eq!(
        built, packages,
        "one template function per functions/ package"
    );

    for (name, binary, function) in t.functions() {
        assert_eq!(
            function.get("Metadata").get("BuildMethod").str(),
            Some("rust-cargolambda"),
            "{name}"
        );
        assert_eq!(
            function.get("Properties").get("CodeUri").str(),
            Some(format!("../functions/{binary}").as_str()),
            "{name}"
        );
        for key in ["Runtime", "Architectures", "Handler"] {
            assert!(
                !function.get("Properties").get(key).exists(),
                "{name} overrides the global {key}"
            );
        }
        for key in ["MemorySize", "Timeout"] {
            assert!(
                function.get("Properties").get(key).int().is_some(),
                "{name} sets no {key} of its own"
            );
        }
    }
}

#[test]
fn the_http_api_routes_are_each_functions_routes_table() {
    let t = Template::load();
    let api_functions: BTreeSet<&str> = pagewire_cli::server::api_functions()
        .iter()
        .map(|(name, _)| *name)
        .collect();
    for (binary, routes) in pagewire_cli::server::api_functions() {
        let (name, function) = t.function_by_binary(binary);
        let expected: BTreeSet<(String, String)> = routes
            .iter()
            .map(|r| (r.method.to_string(), r.pattern.to_string()))
            .collect();
        let declared: BTreeSet<(String, String)> = http_events(function)
            .into_iter()
            .map(|event| {
                assert_eq!(
                    event.get("ApiId").ref_target(),
                    Some("HttpApi"),
                    "{name}: every route belongs to the one HTTP API"
                );
                (
                    event.get("Method").str().unwrap().to_ascii_uppercase(),
                    event.get("Path").str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            declared, expected,
            "{name}: HTTP API events differ from {binary}::ROUTES"
        );
    }
    for (name, binary, function) in t.functions() {
        if !api_functions.contains(binary) {
            assert!(
                http_events(function).is_empty(),
                "{name} is not an API function but has HTTP routes"
            );
        }
    }
}

fn http_events(function: Node<'_>) -> Vec<Node<'_>> {
    function
        .get("Properties")
        .get("Events")
        .entries()
        .into_iter()
        .filter(|(_, e)| e.get("Type").str() == Some("HttpApi"))
        .map(|(_, e)| e.get("Properties"))
        .collect()
}

#[test]
fn queue_messages_stay_invisible_while_a_batch_runs_and_failures_are_partial() {
    let t = Template::load();
    let mappings = t.resources_of_type("AWS::Lambda::EventSourceMapping");
    assert_eq!(
        mappings.len(),
        2,
        "process-document and deliver-webhook consume queues"
    );
    for (name, mapping) in mappings {
        let props = mapping.get("Properties");
        let function = t.resource(props.get("FunctionName").ref_target().unwrap());
        let queue = t.resource(props.get("EventSourceArn").getatt_target().unwrap());
        let timeout = t.function_property(function, "Timeout").int().unwrap();
        let batch = props.get("BatchSize").int().unwrap();
        let visibility = queue
            .get("Properties")
            .get("VisibilityTimeout")
            .int()
            .unwrap();
        assert!(
            visibility > timeout * batch,
            "{name}: a visibility timeout of {visibility} s is not above the function's {timeout} s x batch {batch}"
        );
        let response_types: Vec<_> = props
            .get("FunctionResponseTypes")
            .items()
            .into_iter()
            .filter_map(Node::str)
            .collect();
        assert_eq!(response_types, ["ReportBatchItemFailures"], "{name}");
        assert!(
            props
                .get("ScalingConfig")
                .get("MaximumConcurrency")
                .int()
                .is_some(),
            "{name}: the consumer's concurrency is capped"
        );
    }
}

#[test]
fn a_batch_of_documents_at_their_read_budget_ends_inside_process_documents_limits() {
    let t = Template::load();
    let (name, function) = t.function_by_binary("process-document");
    let var = |key: &str| -> i64 {
        let value = function
            .get("Properties")
            .get("Environment")
            .get("Variables")
            .get(key)
            .str()
            .unwrap_or_else(|| panic!("{name} sets no {key}"));
        value.parse().unwrap_or_else(|_| panic!("{key}={value:?}"))
    };
    let timeout = t.function_property(function, "Timeout").int().unwrap();
    let memory = t.function_property(function, "MemorySize").int().unwrap();
    let batch = t
        .resources_of_type("AWS::Lambda::EventSourceMapping")
        .into_iter()
        .find(|(_, m)| m.get("Properties").get("FunctionName").ref_target() == Some(name))
        .and_then(|(_, m)| m.get("Properties").get("BatchSize").int())
        .expect("process-document's batch size");
    let read_timeout = var("PAGEWIRE_READ_TIMEOUT_SECS");
    // What a batch does besides reading: storage round trips, extraction, enqueueing deliveries.
    let margin = 30;
    assert!(
        batch * read_timeout + margin <= timeout,
        "{batch} documents x {read_timeout} s of reading + {margin} s is over the {timeout} s Timeout"
    );
    assert!(
        var("PAGEWIRE_READ_CPU_SECS") >= read_timeout,
        "the CPU budget would end reads the timeout allows"
    );
    let parent_mb = pagewire_extract::isolation::ReadBudget::LAMBDA_PARENT_RESERVE_MB as i64;
    assert!(
        var("PAGEWIRE_READ_MEMORY_MB") + parent_mb <= memory,
        "a read's memory + {parent_mb} MB for the function is over its {memory} MB"
    );
    assert_eq!(var("PAGEWIRE_READ_WORKERS"), 1, "one document at a time");
}

#[test]
fn the_delivery_queue_outlasts_the_whole_retry_schedule() {
    let t = Template::load();
    let (deliver, _) = t.function_by_binary("deliver-webhook");
    let queue = t.resource(t.consumed_queue(deliver)).get("Properties");

    let max_receives = queue
        .get("RedrivePolicy")
        .get("maxReceiveCount")
        .int()
        .unwrap();
    assert_eq!(max_receives, i64::from(DELIVERY_MAX_RECEIVE_COUNT));
    assert!(
        max_receives >= i64::from(MAX_ATTEMPTS),
        "each of the {MAX_ATTEMPTS} attempts is one receive"
    );

    // The longest the schedule can take: every delay at +20 % jitter, then doubled by a Retry-After.
    let busy = FailedAttempt::Status {
        code: 503,
        retry_after: Some(Duration::from_secs(u64::MAX / 4)),
    };
    let longest: Duration = (1..MAX_ATTEMPTS)
        .filter_map(|made| next_retry_delay(made, busy, 1.0))
        .sum();
    let retention = queue.get("MessageRetentionPeriod").int().unwrap();
    assert!(
        Duration::from_secs(retention as u64) > longest,
        "messages kept {retention} s, the retries can span {} s",
        longest.as_secs()
    );
}

#[test]
fn dead_letter_queues_keep_messages_longer_than_their_source() {
    let t = Template::load();
    let (process, _) = t.function_by_binary("process-document");
    let process_queue = t.consumed_queue(process);
    let (deliver, _) = t.function_by_binary("deliver-webhook");
    let delivery_queue = t.consumed_queue(deliver);
    for (queue, max_receives) in [
        (process_queue, PROCESS_MAX_RECEIVE_COUNT),
        (delivery_queue, DELIVERY_MAX_RECEIVE_COUNT),
    ] {
        let props = t.resource(queue).get("Properties");
        let redrive = props.get("RedrivePolicy");
        assert_eq!(
            redrive.get("maxReceiveCount").int(),
            Some(i64::from(max_receives)),
            "{queue}: the embedded backend dead-letters after the same number of receives"
        );
        let dlq = redrive
            .get("deadLetterTargetArn")
            .getatt_target()
            .unwrap_or_else(|| panic!("{queue} has no dead-letter queue"));
        // A dead-lettered message keeps its first enqueue time, so a shorter DLQ retention loses it early.
        let source_retention = props.get("MessageRetentionPeriod").int().unwrap();
        let dlq_retention = t
            .resource(dlq)
            .get("Properties")
            .get("MessageRetentionPeriod")
            .int()
            .unwrap();
        assert!(
            dlq_retention > source_retention,
            "{dlq} keeps messages no longer than {queue}"
        );
    }
}

#[test]
fn new_uploads_and_documents_notify_the_process_queue() {
    let t = Template::load();
    let (process, _) = t.function_by_binary("process-document");
    let process_queue = t.consumed_queue(process);
    let buckets = t.resources_of_type("AWS::S3::Bucket");
    assert_eq!(buckets.len(), 1);
    let props = buckets[0].1.get("Properties");
    let mut prefixes = BTreeSet::new();
    for notification in props
        .get("NotificationConfiguration")
        .get("QueueConfigurations")
        .items()
    {
        assert_eq!(notification.get("Event").str(), Some("s3:ObjectCreated:*"));
        assert_eq!(
            notification.get("Queue").getatt_target(),
            Some(process_queue)
        );
        for rule in notification.get("Filter").get("S3Key").get("Rules").items() {
            assert_eq!(rule.get("Name").str(), Some("prefix"));
            prefixes.insert(rule.get("Value").str().unwrap());
        }
    }
    assert_eq!(
        prefixes,
        BTreeSet::from([UPLOADS_PREFIX, DOCUMENTS_PREFIX]),
        "exactly the prefixes the processing use case reads"
    );
    let block = props.get("PublicAccessBlockConfiguration");
    for key in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(block.get(key).bool(), Some(true), "{key}");
    }
    assert!(props.get("BucketEncryption").exists());
    assert!(props.get("LifecycleConfiguration").exists());
}

#[test]
fn the_reading_functions_get_the_shipped_ocr_models_and_onnx_runtime_as_a_layer_sam_builds_from_the_repository(
) {
    let t = Template::load();
    let layer = t.resource("OcrModelLayer");
    assert_eq!(
        layer.get("Type").str(),
        Some("AWS::Serverless::LayerVersion")
    );
    let properties = layer.get("Properties");
    let architectures: Vec<_> = properties
        .get("CompatibleArchitectures")
        .items()
        .into_iter()
        .filter_map(|n| n.str())
        .collect();
    assert_eq!(architectures, ["arm64"], "the functions run on arm64");
    let content = properties
        .get("ContentUri")
        .str()
        .expect("the layer is built from a directory of the repository");
    // Built by the folder's Makefile, which adds ONNX Runtime for arm64 beside the models
    // (scripts/check-template.sh runs that build and checks what it packs).
    let metadata = layer.get("Metadata");
    assert_eq!(metadata.get("BuildMethod").str(), Some("makefile"));
    assert_eq!(metadata.get("BuildArchitecture").str(), Some("arm64"));
    let makefile = std::fs::read_to_string(
        workspace_root()
            .join("infra")
            .join(content)
            .join("Makefile"),
    )
    .expect("the layer's folder has the Makefile SAM runs");
    assert!(
        makefile.contains("build-OcrModelLayer:")
            && makefile.contains("onnxruntime/fetch.sh aarch64")
            && makefile.contains("libonnxruntime.so"),
        "the layer's build target packs ONNX Runtime for arm64:\n{makefile}"
    );

    // Attached to the functions that read documents (a job's, or a preview's sample) by default; an ARN
    // parameter replaces it, never adds nothing.
    for binary in ["process-document", "preview-template"] {
        let (_, function) = t.function_by_binary(binary);
        let layers = function.get("Properties").get("Layers");
        assert_eq!(
            layers.tag(),
            Some("If"),
            "{binary}: the layer override is a condition"
        );
        let branches = layers.items();
        assert_eq!(branches.len(), 3);
        assert_eq!(
            referenced_names(branches[2]),
            BTreeSet::from(["OcrModelLayer".to_string()]),
            "without an override, {binary} gets the shipped layer"
        );
        assert_eq!(
            referenced_names(branches[1]),
            BTreeSet::from(["OcrModelLayerArn".to_string()])
        );
        let variables = function
            .get("Properties")
            .get("Environment")
            .get("Variables");
        // The function looks for the models where the layer unpacks them: /opt/<path inside ContentUri>.
        let models = variables.get("PAGEWIRE_OCR_MODEL_DIR");
        assert_eq!(models.ref_target(), Some("OcrModelDir"), "{binary}");
        // ONNX Runtime where the shipped layer puts it: beside the models.
        let library = variables.get("PAGEWIRE_ONNXRUNTIME_LIB");
        assert_eq!(library.tag(), Some("Sub"), "{binary}");
        assert_eq!(
            library.str(),
            Some("${OcrModelDir}/libonnxruntime.so"),
            "{binary}"
        );
    }
    let default_dir = t
        .root()
        .get("Parameters")
        .get("OcrModelDir")
        .get("Default")
        .str()
        .unwrap();
    let inside = default_dir
        .strip_prefix("/opt/")
        .expect("layers unpack under /opt");
    let packaged = workspace_root().join("infra").join(content).join(inside);
    // What the layer carries loads as the OCR engine: both models, and a character list that fits the
    // recogniser.
    let engine = pagewire_extract::ocr::OcrEngine::load(&packaged)
        .unwrap_or_else(|e| panic!("the layer's models at {}: {e}", packaged.display()));
    assert!(engine.alphabet_len() > 100, "{engine:?}");
}

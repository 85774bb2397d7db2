//! The contract and the server agree on which operations exist: every (method, path) the server mounts is
//! in docs/openapi.yaml, and the spec lists nothing the server does not mount. Schemathesis (scripts/test.sh)
//! then checks the bodies against the running server.

use saphyr::{LoadableYamlNode, Yaml};
use std::collections::BTreeSet;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn spec_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The (METHOD, path) pairs of the spec's `paths`.
fn spec_operations(doc: &Yaml) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_mapping().expect("the spec has `paths`");
    let mut ops = BTreeSet::new();
    for (path, item) in paths {
        let path = path.as_str().expect("paths are strings");
        let item = item.as_mapping().expect("each path item is a mapping");
        for (key, _) in item {
            let key = key.as_str().expect("path item keys are strings");
            if METHODS.contains(&key) {
                ops.insert((key.to_ascii_uppercase(), path.to_string()));
            }
        }
    }
    ops
}

#[test]
fn spec_lists_exactly_the_mounted_routes() {
    let text = spec_text();
    let docs = Yaml::load_from_str(&text).expect("docs/openapi.yaml is valid YAML");
    let doc = &docs[0];
    assert_eq!(doc["openapi"].as_str(), Some("3.1.0"));
    let in_spec = spec_operations(doc);
    let mounted: BTreeSet<(String, String)> = pagewire_cli::server::mounted_routes()
        .iter()
        .map(|r| (r.method.to_string(), r.pattern.to_string()))
        .collect();
    let missing: Vec<_> = mounted.difference(&in_spec).collect();
    let extra: Vec<_> = in_spec.difference(&mounted).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "mounted but not in the spec: {missing:?}; in the spec but not mounted: {extra:?}"
    );
}

#[test]
fn spec_documents_security_errors_and_webhooks() {
    let text = spec_text();
    let docs = Yaml::load_from_str(&text).expect("valid YAML");
    let doc = &docs[0];
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["apiKey"]["name"].as_str(), Some("x-auth"));
    assert_eq!(schemes["apiKey"]["in"].as_str(), Some("header"));
    assert_eq!(schemes["bearer"]["scheme"].as_str(), Some("bearer"));
    let error = &doc["components"]["schemas"]["Error"]["properties"]["error"];
    let required: Vec<&str> = error["required"]
        .as_vec()
        .expect("error.required")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(required, ["code", "message"]);
    // Every webhook documents the signature headers (inline or as a reference to a shared parameter).
    let webhooks = doc["webhooks"].as_mapping().expect("webhooks");
    assert!(webhooks.len() >= 2, "document and endpoint events");
    for (name, webhook) in webhooks {
        let headers: BTreeSet<&str> = webhook["post"]["parameters"]
            .as_vec()
            .expect("webhook parameters")
            .iter()
            .filter_map(|p| match p["$ref"].as_str() {
                Some(target) => {
                    let key = target.strip_prefix("#/components/parameters/")?;
                    doc["components"]["parameters"][key]["name"].as_str()
                }
                None => p["name"].as_str(),
            })
            .collect();
        for h in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            assert!(
                headers.contains(h),
                "webhook header {h} is documented for {name:?}"
            );
        }
    }
    // Every authenticated operation can answer 401 and 429, and says so.
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for (method, op) in item.as_mapping().expect("path item") {
            let Some(method) = method.as_str().filter(|m| METHODS.contains(m)) else {
                continue;
            };
            let responses = op["responses"].as_mapping().expect("responses");
            for status in ["401", "429"] {
                assert!(
                    responses.keys().any(|k| k.as_str() == Some(status)),
                    "{method} {} documents {status}",
                    path.as_str().unwrap_or("?")
                );
            }
        }
    }
}

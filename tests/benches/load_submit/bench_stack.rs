//! What the load benches start with: `pagewire dev` on 127.0.0.1 in this process (embedded backend in a
//! temporary directory, background consumers, system clock, no per-tenant rate limit, loopback http
//! webhooks allowed), a tenant with plenty of credits, a one-field invoice template, and one webhook
//! endpoint to a lean local receiver.

use crate::receiver::HookReceiver;
use pagewire_cli::{DevOptions, DevStack};
use pagewire_core::configuration::tenants::create_tenant;
use pagewire_core::policy::rate_limit::RateLimit;
use pagewire_core::SystemClock;
use serde_json::{json, Value};
use std::sync::Arc;

pub struct BenchStack {
    pub stack: DevStack,
    pub key: String,
    pub template: String,
    pub receiver: HookReceiver,
    /// A keep-alive client pool sized for `clients` concurrent clients.
    pub client: reqwest::Client,
    /// Keeps the data directory as long as the stack.
    _dir: tempfile::TempDir,
}

/// Starts the stack; `configure` adjusts its options first (concurrency, say).
pub async fn start(clients: usize, configure: impl FnOnce(&mut DevOptions)) -> BenchStack {
    let dir = tempfile::tempdir().unwrap();
    let mut options = DevOptions::new(dir.path().to_path_buf(), Arc::new(SystemClock));
    options.config.settings.allow_http_webhooks = true;
    options.config.settings.allow_loopback_webhooks = true;
    // It would cap one tenant at 100 requests/s.
    options.config.settings.api_rate_limit = RateLimit {
        per_second: 0,
        burst: 0,
    };
    configure(&mut options);
    let stack = DevStack::start(options).await.expect("stack starts");
    let base = stack.base_url();
    let key = create_tenant(&stack.tenants, "load", 10_000_000)
        .await
        .unwrap()
        .api_key;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    let template: Value = client
        .post(format!("{base}/templates"))
        .header("x-auth", &key)
        .json(&json!({"name": "Invoices", "fields": [
            {"name": "invoice_number", "type": "text", "rule": {"kind": "label", "label": "Invoice Number:"}}
        ]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let template = template["id"].as_str().expect("template id").to_string();
    let receiver = HookReceiver::start().await;
    let hook = client
        .post(format!("{base}/webhooks"))
        .header("x-auth", &key)
        .json(&json!({"template_id": template, "name": "load", "url": receiver.url()}))
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status().as_u16(), 201);
    BenchStack {
        stack,
        key,
        template,
        receiver,
        client,
        _dir: dir,
    }
}

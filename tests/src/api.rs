//! The stack's HTTP API as tests call it: requests with an API key, and the few calls scenarios make
//! again and again (tenants' templates and endpoints, submissions, job views, endpoint changes).

use crate::stack::{invoice_pdf, Backend, TestApp, TestEnv};
use pagewire_cli::DevOptions;
use serde_json::{json, Value};

/// A change another client makes to a webhook endpoint through the API, as races against a delivery
/// to that endpoint need them.
#[derive(Debug, Clone)]
pub enum EndpointChange {
    /// `POST /webhooks/{id}/rotate-secret`.
    RotateSecret,
    /// `PATCH /webhooks/{id}` with these fields.
    Edit(Value),
    /// `DELETE /webhooks/{id}`.
    Delete,
}

/// A tenant's API key and its invoice template ([`TestApp::invoice_template`]): what most scenarios start from.
#[derive(Debug, Clone)]
pub struct Account {
    pub key: String,
    pub template: String,
}

/// A stack on `backend` and a manual clock, its options changed by `adjust`, with the tenant "acme" and
/// its invoice template. The environment holds the stack's state: keep it as long as the stack.
pub async fn stepped_with_acme(
    backend: Backend,
    adjust: impl FnOnce(&mut DevOptions),
) -> (TestEnv, TestApp, Account) {
    let env = TestEnv::stepped(backend).await;
    let app = env.start_adjusted(adjust).await;
    let acme = app.account("acme", 1000).await;
    (env, app, acme)
}

impl TestApp {
    /// A new tenant with `credits` and the invoice template.
    pub async fn account(&self, name: &str, credits: i64) -> Account {
        let key = self.tenant(name, credits).await;
        let template = self.invoice_template(&key).await;
        Account { key, template }
    }

    /// Creates an endpoint named "receiver" of the account's template that sends to `url`, with the fields
    /// of `extra` (an object) added; returns its view (with `id` and `secret`).
    pub async fn endpoint(&self, account: &Account, url: &str, extra: Value) -> Value {
        let mut body = json!({"template_id": account.template, "name": "receiver", "url": url});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().expect("extra is an object").clone());
        self.webhook(&account.key, body).await
    }

    /// Makes `change` to the endpoint `id` as the tenant of `key`; returns the answer's status and body.
    pub async fn change_endpoint(
        &self,
        key: &str,
        id: &str,
        change: &EndpointChange,
    ) -> (u16, Value) {
        let (method, path, body) = match change {
            EndpointChange::RotateSecret => ("POST", format!("/webhooks/{id}/rotate-secret"), None),
            EndpointChange::Edit(fields) => {
                ("PATCH", format!("/webhooks/{id}"), Some(fields.clone()))
            }
            EndpointChange::Delete => ("DELETE", format!("/webhooks/{id}"), None),
        };
        self.call(method, &path, Some(key), body).await
    }

    /// `POST /webhooks/{id}/test`: the answer's status and body (the attempt).
    pub async fn test_endpoint(&self, key: &str, id: &str) -> (u16, Value) {
        self.call("POST", &format!("/webhooks/{id}/test"), Some(key), None)
            .await
    }

    /// `GET /webhooks/{id}/deliveries`: the answer's status and body (the attempts, newest first).
    pub async fn endpoint_deliveries(&self, key: &str, id: &str) -> (u16, Value) {
        let path = format!("/webhooks/{id}/deliveries");
        self.call("GET", &path, Some(key), None).await
    }

    /// `POST /jobs/{id}/redeliver` for every endpoint: the answer's status and body.
    pub async fn redeliver(&self, key: &str, job: &str) -> (u16, Value) {
        self.call("POST", &format!("/jobs/{job}/redeliver"), Some(key), None)
            .await
    }

    /// `GET /webhooks/{id}`: the answer's status (404 once deleted) and body.
    pub async fn endpoint_view(&self, key: &str, id: &str) -> (u16, Value) {
        self.call("GET", &format!("/webhooks/{id}"), Some(key), None)
            .await
    }

    /// The first delivery of the job's first document, as `GET /jobs/{id}` shows it.
    pub async fn delivery(&self, key: &str, job: &str) -> Value {
        self.job(key, job).await["documents"][0]["deliveries"][0].clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.stack.base_url())
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method.parse().unwrap(), self.url(path));
        if let Some(key) = key {
            req = req.header("x-auth", key);
        }
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Creates a webhook endpoint; returns its view (with `id` and `secret`).
    pub async fn webhook(&self, key: &str, body: Value) -> Value {
        let (status, hook) = self.call("POST", "/webhooks", Some(key), Some(body)).await;
        assert_eq!(status, 201, "{hook}");
        hook
    }

    /// Submits the invoice PDF against `template`; returns the job id.
    pub async fn submit(&self, key: &str, template: &str) -> String {
        self.submit_bytes(key, template, &invoice_pdf()).await
    }

    /// Submits `file` (as JSON with base64) against `template`; returns the job id.
    pub async fn submit_bytes(&self, key: &str, template: &str, file: &[u8]) -> String {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(file);
        let (status, accepted) = self
            .call(
                "POST",
                "/process-job",
                Some(key),
                Some(serde_json::json!({"template_id": template, "actual_image": encoded})),
            )
            .await;
        assert_eq!(status, 202, "{accepted}");
        accepted["job_id"].as_str().unwrap().to_string()
    }

    /// `GET /job-status?job_id=`: the job's status with its documents.
    pub async fn job_status(&self, key: &str, job: &str) -> Value {
        let (code, view) = self
            .call("GET", &format!("/job-status?job_id={job}"), Some(key), None)
            .await;
        assert_eq!(code, 200, "{view}");
        view
    }

    /// `POST /v1/job-results` (JSON): the job's documents with their results and fields.
    pub async fn job_results(&self, key: &str, job: &str) -> Value {
        let (code, results) = self
            .call(
                "POST",
                "/v1/job-results",
                Some(key),
                Some(serde_json::json!({"job_id": job})),
            )
            .await;
        assert_eq!(code, 200, "{results}");
        results
    }

    /// `GET /jobs/{id}`: the job with its documents, deliveries and every attempt.
    pub async fn job(&self, key: &str, job: &str) -> Value {
        let (status, view) = self
            .call("GET", &format!("/jobs/{job}"), Some(key), None)
            .await;
        assert_eq!(status, 200, "{view}");
        view
    }

    /// A template reading the invoice fixture's number, date and total.
    pub async fn invoice_template(&self, key: &str) -> String {
        let (status, body) = self
            .call(
                "POST",
                "/templates",
                Some(key),
                Some(serde_json::json!({
                    "name": "Invoices",
                    "date_order": "month_day_year",
                    "fields": [
                        {"name": "invoice_number", "type": "text", "rule": {"kind": "label", "label": "Invoice Number:"}},
                        {"name": "invoice_date", "type": "date", "rule": {"kind": "label", "label": "Invoice Date:"}},
                        {"name": "total", "type": "money", "rule": {"kind": "regex", "pattern": "Total Due:\\s*(\\S+)"}},
                        {"name": "po_number", "type": "text", "rule": {"kind": "label", "label": "PO Number:"}}
                    ]
                })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }
}

//! Each Lambda function's app, as its own `wire` builds it. `pagewire dev` runs every request and queue
//! message on the app its function would have on AWS, so it can reach exactly the capabilities that
//! function is wired with.

use pagewire_lambda_kit::wiring::{Adapters, WiringError};

pub struct Functions {
    pub submit_job: submit_job::App,
    pub job_status: job_status::App,
    pub job_results: job_results::App,
    pub templates: templates::App,
    pub preview_template: preview_template::App,
    pub webhook_endpoints: webhook_endpoints::App,
    pub process_document: process_document::App,
    pub deliver_webhook: deliver_webhook::App,
}

impl Functions {
    pub fn wire(adapters: &Adapters) -> Result<Self, WiringError> {
        Ok(Self {
            submit_job: submit_job::wire(adapters)?,
            job_status: job_status::wire(adapters)?,
            job_results: job_results::wire(adapters)?,
            templates: templates::wire(adapters)?,
            preview_template: preview_template::wire(adapters)?,
            webhook_endpoints: webhook_endpoints::wire(adapters)?,
            process_document: process_document::wire(adapters)?,
            deliver_webhook: deliver_webhook::wire(adapters)?,
        })
    }
}

//! Each Lambda function's services, as its own `wire` builds them. `pagewire dev` runs every request and
//! queue message on the services its function would have on AWS, so a port a function forgets to wire
//! fails here, in every test that drives the stack, as it would on Lambda.

use crate::pump::Consumer;
use pagewire_core::{Clock, Services};
use pagewire_lambda_kit::wiring::{Storage, Wiring, WiringError};
use pagewire_lambda_kit::Config;
use std::sync::Arc;

pub struct FunctionServices {
    pub submit_job: Services,
    pub job_status: Services,
    pub job_results: Services,
    pub templates: Services,
    pub webhook_endpoints: Services,
    pub process_document: Services,
    pub deliver_webhook: Services,
}

impl FunctionServices {
    pub fn wire(
        config: &Config,
        storage: &Storage,
        clock: &Arc<dyn Clock>,
    ) -> Result<Self, WiringError> {
        let wiring = || Wiring::new(config, storage.clone(), clock.clone());
        Ok(Self {
            submit_job: submit_job::wire(wiring())?,
            job_status: job_status::wire(wiring())?,
            job_results: job_results::wire(wiring())?,
            templates: templates::wire(wiring())?,
            webhook_endpoints: webhook_endpoints::wire(wiring())?,
            process_document: process_document::wire(wiring())?,
            deliver_webhook: deliver_webhook::wire(wiring())?,
        })
    }

    /// The services of the function named `function` (a folder of `functions/`).
    pub fn of(&self, function: &str) -> Option<&Services> {
        Some(match function {
            "submit-job" => &self.submit_job,
            "job-status" => &self.job_status,
            "job-results" => &self.job_results,
            "templates" => &self.templates,
            "webhook-endpoints" => &self.webhook_endpoints,
            "process-document" => &self.process_document,
            "deliver-webhook" => &self.deliver_webhook,
            _ => return None,
        })
    }

    /// The services of the function that consumes a queue.
    pub fn consumer(&self, consumer: Consumer) -> &Services {
        match consumer {
            Consumer::ProcessDocument => &self.process_document,
            Consumer::DeliverWebhook => &self.deliver_webhook,
        }
    }
}

//! Delivery: signed webhooks to the tenant's endpoints, retried on a schedule, recorded attempt by attempt.
//!
//! - `schedule.rs`: deliveries created and queued (a finished document, a redelivery).
//! - `recover.rs`: an endpoint's failed deliveries sent again after an outage.
//! - `queue.rs`: the typed delivery queue.
//! - `batch.rs`: a batch of queue messages, the deliver-webhook function's one entry point.
//! - `attempt.rs`: one attempt: whether to send, then send and record.
//! - `outcome.rs`: the retry policy applied to an attempt's result, and its conditional write.
//! - `endpoint_state.rs`: an endpoint switched off after 410 Gone or a long run of failures.
//! - `endpoint_events.rs`: the `webhook.endpoint_disabled` event to the tenant's other endpoints.
//! - `files.rs`: stored files deleted once every delivery of their document succeeded.
//! - `sender.rs`, `token_cache.rs`, `payload.rs`: the signed request, receivers' tokens, the body.

mod attempt;
pub mod batch;
mod endpoint_events;
mod endpoint_state;
pub mod files;
mod outcome;
pub mod payload;
pub mod queue;
pub mod recover;
pub mod schedule;
mod send_result;
pub mod sender;
#[cfg(test)]
mod tests;
pub mod token_cache;

use crate::clock::Clock;
use crate::ports::{
    AttemptLog, DeliveryRecords, DocumentRecords, EndpointRecords, JobRecords, ObjectStore,
};
use crate::settings::Settings;
use std::sync::Arc;
use std::time::Duration;

pub use batch::{deliver, deliver_batch, BatchContext, MessageFate, ReceivedMessage};
pub use outcome::after_attempt;
pub use queue::DeliveryQueue;
pub use recover::{recover_endpoint, Recovery, RecoveryPorts};
pub use schedule::{redeliver, RedeliveryPorts};
pub use sender::{SendResult, WebhookSender};

/// What delivering touches: the delivery and its job's records (read), the attempt log, the endpoints
/// (read; switched off after a 410 or a long run of failures, when the others are told), the stored files (deleted once delivered), the webhook sender,
/// and the queue (to delay a message until its retry is due).
#[derive(Clone)]
pub struct DeliveryPorts {
    pub jobs: Arc<dyn JobRecords>,
    pub documents: Arc<dyn DocumentRecords>,
    pub deliveries: Arc<dyn DeliveryRecords>,
    pub attempts: Arc<dyn AttemptLog>,
    pub endpoints: Arc<dyn EndpointRecords>,
    pub objects: Arc<dyn ObjectStore>,
    pub sender: WebhookSender,
    pub delivery_queue: DeliveryQueue,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

/// What the queue should do with a task's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// A 2xx was recorded: delete the message.
    Delivered,
    /// Make the message visible again after this delay.
    RetryIn(Duration),
    /// No attempt is left: the delivery is `failed`; the message goes on to the dead-letter queue.
    Exhausted,
    /// Nothing (more) to send: delete the message.
    Dropped(&'static str),
}

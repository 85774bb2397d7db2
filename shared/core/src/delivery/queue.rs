//! The delivery queue as core sees it: typed tasks in, typed tasks out. The wire form (JSON), the owner
//! that fair queues share consumers by, and the longest delay a queue can hold are decided here, once.

use crate::error::{CoreError, StoreError};
use crate::model::{Delivery, DeliveryTask};
use crate::ports::{MessageSink, MAX_VISIBILITY};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct DeliveryQueue {
    sink: Arc<dyn MessageSink>,
}

impl DeliveryQueue {
    pub fn new(sink: Arc<dyn MessageSink>) -> Self {
        Self { sink }
    }

    /// Queues the next attempt of `delivery`, due now, under its tenant (so one tenant's backlog does not
    /// hold another's deliveries where the queue shares consumers fairly).
    pub async fn enqueue(&self, delivery: &Delivery) -> Result<(), CoreError> {
        self.enqueue_after(delivery, Duration::ZERO).await
    }

    /// The same, shown to consumers after `delay`, which must stay under SQS's 15 minutes.
    pub async fn enqueue_after(
        &self,
        delivery: &Delivery,
        delay: Duration,
    ) -> Result<(), CoreError> {
        let task = DeliveryTask::of(delivery);
        let body = serde_json::to_string(&task).map_err(|e| CoreError::Internal(e.to_string()))?;
        self.sink
            .send_for(&task.tenant_id.to_string(), &body, delay)
            .await?;
        Ok(())
    }

    /// Shows a received task's message again after `delay`, or after [`MAX_VISIBILITY`] when the delay is
    /// longer (the task then finds its attempt not yet due and is put back again).
    pub async fn show_again(&self, receipt: &str, delay: Duration) -> Result<(), StoreError> {
        self.sink
            .change_visibility(receipt, delay.min(MAX_VISIBILITY))
            .await
    }

    /// The task a message carries; `None` for a body that is not one (it is left for the dead-letter
    /// queue).
    pub fn parse(body: &str) -> Option<DeliveryTask> {
        serde_json::from_str(body).ok()
    }
}

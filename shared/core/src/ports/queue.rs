//! Queues with SQS's semantics: at-least-once, delayed sends, visibility timeouts, and a dead-letter queue
//! that takes a message once it has been received `max_receive_count` times. Core speaks to them through
//! the typed [`crate::delivery::DeliveryQueue`]; the raw traits here are what adapters implement, split by
//! side: [`MessageSink`] for producers (and for a consumer that delays a received message),
//! [`QueueConsumer`] for the dev pump, which plays Lambda's event-source mapping on one machine.

use crate::error::StoreError;
use async_trait::async_trait;
use std::time::Duration;

/// The longest a message can be kept invisible (SQS's limit for a visibility timeout). A longer delay is
/// served by showing the message early and putting it back.
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);

/// A message as a consumer receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub message_id: String,
    /// Names this receipt of the message; needed to delete it or change its visibility.
    pub receipt_handle: String,
    pub body: String,
    /// How many times the message has been received, this time included.
    pub receive_count: u32,
}

#[async_trait]
pub trait MessageSink: Send + Sync {
    async fn send(&self, body: &str, delay: Duration) -> Result<(), StoreError>;
    /// As `send`, for the messages of `owner` (a tenant): a queue that shares its consumers fairly between
    /// owners serves them in turn, so one owner's backlog does not hold another's messages. The default
    /// ignores the owner.
    async fn send_for(&self, owner: &str, body: &str, delay: Duration) -> Result<(), StoreError> {
        let _ = owner;
        self.send(body, delay).await
    }
    /// Makes a received message visible again after `timeout` (at most [`MAX_VISIBILITY`]).
    async fn change_visibility(
        &self,
        receipt_handle: &str,
        timeout: Duration,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait QueueConsumer: Send + Sync {
    async fn receive(
        &self,
        max: usize,
        visibility_timeout: Duration,
    ) -> Result<Vec<QueueMessage>, StoreError>;
    async fn delete(&self, receipt_handle: &str) -> Result<(), StoreError>;
    /// Deletes several received messages (SQS's DeleteMessageBatch); the default deletes one by one.
    async fn delete_batch(&self, receipt_handles: &[String]) -> Result<(), StoreError> {
        for receipt in receipt_handles {
            self.delete(receipt).await?;
        }
        Ok(())
    }
}

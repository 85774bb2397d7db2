//! A queue ([`MessageSink`], [`QueueConsumer`]) on SQS. Lambda's event source mapping does the receiving in production; `receive` and
//! `delete` serve the local harness that pumps a queue into a handler the same way.

use crate::error::store_error;
use async_trait::async_trait;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use aws_sdk_sqs::Client;
use pagewire_core::ports::{MessageSink, QueueConsumer, QueueMessage, MAX_VISIBILITY};
use pagewire_core::StoreError;
use std::time::Duration;

/// SQS's longest `DelaySeconds` on a send.
pub const MAX_SEND_DELAY: Duration = Duration::from_secs(15 * 60);
/// SQS's largest receive batch.
const MAX_RECEIVE: usize = 10;

#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    async fn send_in_group(
        &self,
        group: Option<&str>,
        body: &str,
        delay: Duration,
    ) -> Result<(), StoreError> {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .set_message_group_id(group.map(str::to_string))
            .delay_seconds(seconds(delay, MAX_SEND_DELAY))
            .send()
            .await
            .map_err(|e| store_error("SendMessage", e))?;
        Ok(())
    }
}

fn seconds(duration: Duration, max: Duration) -> i32 {
    // Both limits fit an i32 by far.
    duration.min(max).as_secs() as i32
}

#[async_trait]
impl MessageSink for SqsQueue {
    /// Delays beyond SQS's 15 minutes are cut to 15 minutes; the core only sends with short delays and
    /// schedules long ones with `change_visibility`.
    async fn send(&self, body: &str, delay: Duration) -> Result<(), StoreError> {
        self.send_in_group(None, body, delay).await
    }

    /// The owner becomes the message group: on a standard queue, SQS fair queues then keep one tenant's
    /// backlog from delaying the other tenants' messages.
    async fn send_for(&self, owner: &str, body: &str, delay: Duration) -> Result<(), StoreError> {
        let group = Some(owner).filter(|o| !o.is_empty());
        self.send_in_group(group, body, delay).await
    }

    async fn change_visibility(
        &self,
        receipt_handle: &str,
        timeout: Duration,
    ) -> Result<(), StoreError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(seconds(timeout, MAX_VISIBILITY))
            .send()
            .await
            .map_err(|e| store_error("ChangeMessageVisibility", e))?;
        Ok(())
    }
}

#[async_trait]
impl QueueConsumer for SqsQueue {
    async fn receive(
        &self,
        max: usize,
        visibility_timeout: Duration,
    ) -> Result<Vec<QueueMessage>, StoreError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, MAX_RECEIVE) as i32)
            .visibility_timeout(seconds(visibility_timeout, MAX_VISIBILITY))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .wait_time_seconds(0)
            .send()
            .await
            .map_err(|e| store_error("ReceiveMessage", e))?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                let receive_count = m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1);
                Some(QueueMessage {
                    message_id: m.message_id?,
                    receipt_handle: m.receipt_handle?,
                    body: m.body.unwrap_or_default(),
                    receive_count,
                })
            })
            .collect())
    }

    async fn delete(&self, receipt_handle: &str) -> Result<(), StoreError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|e| store_error("DeleteMessage", e))?;
        Ok(())
    }
}

//! What Lambda's SQS event source mappings do on AWS: receive batches from a queue, hand them to a
//! function as an `SqsEvent`, delete what succeeded and leave the reported failures on the queue.

use crate::functions::Functions;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{Context, LambdaEvent};
use pagewire_core::ports::{QueueConsumer, QueueMessage};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// SQS's largest batch for a standard queue event source with no batching window.
pub const BATCH_SIZE: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumer {
    ProcessDocument,
    DeliverWebhook,
}

impl Consumer {
    /// Longer than the function's timeout for a whole batch, as the SAM template sets it.
    pub fn visibility_timeout(self) -> Duration {
        match self {
            Consumer::ProcessDocument => Duration::from_secs(15 * 60),
            Consumer::DeliverWebhook => Duration::from_secs(5 * 60),
        }
    }
}

/// The `SqsEvent` Lambda would hand a function for these messages.
pub fn sqs_event(messages: &[QueueMessage], queue_name: &str) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = Some(m.message_id.clone());
            record.receipt_handle = Some(m.receipt_handle.clone());
            record.body = Some(m.body.clone());
            record.attributes = HashMap::from([(
                "ApproximateReceiveCount".to_string(),
                m.receive_count.to_string(),
            )]);
            record.event_source = Some("aws:sqs".to_string());
            record.event_source_arn = Some(format!("arn:aws:sqs:local:000000000000:{queue_name}"));
            record.aws_region = Some("local".to_string());
            record
        })
        .collect();
    event
}

/// Receives one batch and runs it through the consumer's handler as one invocation, deleting what
/// succeeded. Returns how many messages it handled. (Tests that step a manual clock drain queues with it;
/// the background consumers of `pagewire dev` hand each message to its own invocation instead.)
pub async fn pump_once(
    f: &Functions,
    queue: &dyn QueueConsumer,
    queue_name: &str,
    consumer: Consumer,
) -> usize {
    let messages = match queue
        .receive(BATCH_SIZE, consumer.visibility_timeout())
        .await
    {
        Ok(messages) => messages,
        Err(err) => {
            tracing::warn!(error = %err, queue = queue_name, "receive failed");
            return 0;
        }
    };
    if messages.is_empty() {
        return 0;
    }
    let failed = invoke(f, &messages, queue_name, consumer).await;
    let done: Vec<String> = messages
        .iter()
        .filter(|m| !failed.contains(&m.message_id))
        .map(|m| m.receipt_handle.clone())
        .collect();
    if let Err(err) = queue.delete_batch(&done).await {
        tracing::warn!(error = %err, queue = queue_name, "delete failed; the messages will be seen again");
    }
    messages.len()
}

/// Runs one message through the consumer's handler as a one-record batch; `true` when it is done (to be
/// deleted), `false` when the handler left it on the queue.
pub async fn handle_message(
    f: &Functions,
    queue_name: &str,
    consumer: Consumer,
    message: &QueueMessage,
) -> bool {
    invoke(f, std::slice::from_ref(message), queue_name, consumer)
        .await
        .is_empty()
}

/// One invocation of the consumer's handler with `messages`; returns the ids of the messages to leave on
/// the queue.
async fn invoke(
    f: &Functions,
    messages: &[QueueMessage],
    queue_name: &str,
    consumer: Consumer,
) -> HashSet<String> {
    let event = sqs_event(messages, queue_name);
    let result: Result<SqsBatchResponse, lambda_runtime::Error> = match consumer {
        Consumer::ProcessDocument => match serde_json::to_value(&event) {
            Ok(payload) => {
                process_document::handle(
                    &f.process_document,
                    LambdaEvent::new(payload, Context::default()),
                )
                .await
            }
            Err(err) => Err(err.into()),
        },
        Consumer::DeliverWebhook => {
            deliver_webhook::handle(
                &f.deliver_webhook,
                LambdaEvent::new(event, Context::default()),
            )
            .await
        }
    };
    match result {
        Ok(response) => response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect(),
        // A failed invocation leaves the whole batch for another receive, as on Lambda.
        Err(err) => {
            tracing::error!(error = %err, queue = queue_name, "invocation failed");
            messages.iter().map(|m| m.message_id.clone()).collect()
        }
    }
}

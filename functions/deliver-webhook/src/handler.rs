//! Delivery: each SQS record is one event for one endpoint. A failed attempt makes its message visible
//! again after the retry delay (ChangeMessageVisibility) and is reported as a batch item failure; after
//! the last attempt the redrive policy moves it to the dead-letter queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use pagewire_core::model::DeliveryTask;
use pagewire_core::usecases::deliver::{deliver, DeliveryOutcome};
use pagewire_core::Services;
use pagewire_lambda_kit::sqs::batch_response;
use std::time::Duration;

/// SQS refuses visibility timeouts beyond 12 hours.
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);

pub async fn handle(
    s: &Services,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let mut failed = Vec::new();
    for record in event.payload.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("deliver_record", message_id = %message_id);
        let _guard = span.enter();
        let task: DeliveryTask = match record.body.as_deref().map(serde_json::from_str) {
            Some(Ok(task)) => task,
            _ => {
                tracing::error!("delivery message is not a delivery task; leaving it for the DLQ");
                failed.push(message_id);
                continue;
            }
        };
        let retry_in = match deliver(s, &task).await {
            Ok(DeliveryOutcome::Delivered) => None,
            Ok(DeliveryOutcome::Dropped(why)) => {
                tracing::info!(webhook_id = %task.webhook_id, why, "delivery message dropped");
                None
            }
            Ok(DeliveryOutcome::RetryIn(delay)) => Some(Some(delay)),
            // Visible again at once, so the next receive exceeds maxReceiveCount and SQS dead-letters it.
            Ok(DeliveryOutcome::Exhausted) => Some(Some(Duration::ZERO)),
            Err(err) => {
                tracing::error!(error = %err, webhook_id = %task.webhook_id, "delivery failed before sending");
                Some(None)
            }
        };
        if let Some(delay) = retry_in {
            if let (Some(delay), Some(receipt)) = (delay, record.receipt_handle.as_deref()) {
                if let Err(err) = s
                    .delivery_queue
                    .change_visibility(receipt, delay.min(MAX_VISIBILITY))
                    .await
                {
                    tracing::warn!(error = %err, "could not delay the retry; the queue's default applies");
                }
            }
            failed.push(message_id);
        }
    }
    Ok(batch_response(failed))
}

//! Delivery: each SQS record is one event for one endpoint. The records of a batch are sent concurrently
//! (receivers' latency, not CPU, is what a delivery waits on). A failed attempt makes its message visible
//! again after the retry delay (ChangeMessageVisibility) and is reported as a batch item failure; after
//! the last attempt the redrive policy moves it to the dead-letter queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::future::join_all;
use lambda_runtime::LambdaEvent;
use pagewire_core::model::DeliveryTask;
use pagewire_core::usecases::deliver::{deliver_in, release_files, BatchContext, DeliveryOutcome};
use pagewire_core::Services;
use pagewire_lambda_kit::sqs::batch_response;
use std::time::Duration;
use tracing::Instrument;

/// SQS refuses visibility timeouts beyond 12 hours; a longer delay comes back early and is put back.
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);

/// What this function wires: the stores, the webhook client and the delivery queue (a failed attempt
/// changes its message's visibility). Its `main` and the tests both build it here.
pub fn wire(
    wiring: pagewire_lambda_kit::wiring::Wiring,
) -> Result<pagewire_core::Services, pagewire_lambda_kit::wiring::WiringError> {
    Ok(wiring
        .with_webhook_client()?
        .with_delivery_queue()?
        .services())
}

pub async fn handle(
    s: &Services,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let records: Vec<(String, Option<SqsMessage>, Option<DeliveryTask>)> = event
        .payload
        .records
        .into_iter()
        .map(|record| {
            let message_id = record.message_id.clone().unwrap_or_default();
            let task = record
                .body
                .as_deref()
                .and_then(|body| serde_json::from_str(body).ok());
            (message_id, Some(record), task)
        })
        .collect();
    let tasks: Vec<DeliveryTask> = records.iter().filter_map(|r| r.2.clone()).collect();
    // Jobs and endpoints shared by the batch are read once; if that fails, every record is retried.
    let context = match BatchContext::load(s, &tasks).await {
        Ok(context) => context,
        Err(err) => {
            tracing::error!(error = %err, "could not read the batch's jobs and endpoints");
            return Ok(batch_response(records.into_iter().map(|r| r.0).collect()));
        }
    };
    let context = &context;
    let outcomes = records.into_iter().map(|(message_id, record, task)| {
        let span = tracing::info_span!("deliver_record", message_id = %message_id);
        async move {
            match (record, task) {
                (Some(record), Some(task)) => {
                    let fate = handle_record(s, context, &record, &task).await;
                    (message_id, fate, Some(task))
                }
                _ => {
                    tracing::error!(
                        "delivery message is not a delivery task; leaving it for the DLQ"
                    );
                    (message_id, Fate::Stays, None)
                }
            }
        }
        .instrument(span)
    });
    let outcomes = join_all(outcomes).await;
    let delivered: Vec<&DeliveryTask> = outcomes
        .iter()
        .filter(|(_, fate, _)| *fate == Fate::Delivered)
        .filter_map(|(_, _, task)| task.as_ref())
        .collect();
    release_files(s, context, &delivered).await;
    let failed = outcomes
        .iter()
        .filter(|(_, fate, _)| *fate == Fate::Stays)
        .map(|(message_id, _, _)| message_id.clone())
        .collect();
    Ok(batch_response(failed))
}

/// What becomes of a record's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Delivered,
    Deleted,
    /// Reported as a batch item failure: the queue shows it again (after the delay set on it).
    Stays,
}

/// Handles one record.
async fn handle_record(
    s: &Services,
    context: &BatchContext,
    record: &SqsMessage,
    task: &DeliveryTask,
) -> Fate {
    let delay = match deliver_in(s, context, task).await {
        Ok(DeliveryOutcome::Delivered) => return Fate::Delivered,
        Ok(DeliveryOutcome::Dropped(why)) => {
            tracing::info!(webhook_id = %task.webhook_id, why, "delivery message dropped");
            return Fate::Deleted;
        }
        Ok(DeliveryOutcome::RetryIn(delay)) => delay,
        // Visible again at once, so the next receive exceeds maxReceiveCount and SQS dead-letters it.
        Ok(DeliveryOutcome::Exhausted) => Duration::ZERO,
        Err(err) => {
            // The queue's own visibility timeout brings it back.
            tracing::error!(error = %err, webhook_id = %task.webhook_id, "delivery failed before sending");
            return Fate::Stays;
        }
    };
    if let Some(receipt) = record.receipt_handle.as_deref() {
        if let Err(err) = s
            .delivery_queue
            .change_visibility(receipt, delay.min(MAX_VISIBILITY))
            .await
        {
            tracing::warn!(error = %err, "could not delay the retry; the queue's default applies");
        }
    }
    Fate::Stays
}

//! Delivery: each SQS record is one event for one endpoint. The batch goes to core as it came
//! ([`deliver_batch`]), which sends, records, and delays the messages of failed attempts until their
//! retry is due; the messages it leaves on the queue are reported as batch item failures.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use pagewire_core::delivery::{deliver_batch, DeliveryPorts, MessageFate, ReceivedMessage};
use pagewire_lambda_kit::sqs::batch_response;
use pagewire_lambda_kit::wiring::{Adapters, WiringError};

/// What this function serves: delivery (the webhook client, and the queue whose messages it delays).
pub struct App {
    pub delivery: DeliveryPorts,
}

/// Its `main` and `pagewire dev` both build it here.
pub fn wire(adapters: &Adapters) -> Result<App, WiringError> {
    Ok(App {
        delivery: adapters.delivery()?,
    })
}

pub async fn handle(
    app: &App,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let messages = event
        .payload
        .records
        .into_iter()
        .map(|record| ReceivedMessage {
            message_id: record.message_id.unwrap_or_default(),
            receipt: record.receipt_handle,
            body: record.body,
        })
        .collect();
    let fates = deliver_batch(&app.delivery, messages).await;
    let stays = fates
        .into_iter()
        .filter(|(_, fate)| *fate == MessageFate::Stays)
        .map(|(message_id, _)| message_id)
        .collect();
    Ok(batch_response(stays))
}

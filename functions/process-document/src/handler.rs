//! Processing trigger: S3 "object created" notifications, delivered through the process queue (SQS) or
//! directly by S3. Parsing is tolerant: only `Records[].s3.object.key` is needed, since emulators and
//! test events omit other fields.

use aws_lambda_events::sqs::SqsBatchResponse;
use lambda_runtime::LambdaEvent;
use pagewire_core::processing::{object_created, ProcessingPorts};
use pagewire_lambda_kit::sqs::batch_response;
use serde_json::Value;
use tracing::Instrument;

use pagewire_lambda_kit::wiring::{Adapters, WiringError};

/// What this function serves: processing (with the document reader, and the delivery queue finished
/// documents queue their webhooks on).
pub struct App {
    pub processing: ProcessingPorts,
}

/// Its `main` and `pagewire dev` both build it here.
pub fn wire(adapters: &Adapters) -> Result<App, WiringError> {
    Ok(App {
        processing: adapters.processing()?,
    })
}

/// Handles one Lambda event: an SQS batch of S3 notifications, or an S3 notification itself.
pub async fn handle(
    app: &App,
    event: LambdaEvent<Value>,
) -> Result<SqsBatchResponse, lambda_runtime::Error> {
    let s = &app.processing;
    let records = event
        .payload
        .get("Records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut failed = Vec::new();
    for record in records {
        if record.get("eventSource").and_then(Value::as_str) == Some("aws:sqs") {
            let message_id = record
                .get("messageId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let body = record
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default();
            // `instrument`, never `span.enter()`: a guard held across `.await` leaves the span entered on
            // whatever task the thread runs next, which corrupts the subscriber's span stack under load.
            let span = tracing::info_span!("process_record", message_id = %message_id);
            let ok = async {
                match serde_json::from_str::<Value>(body) {
                    Ok(notification) => process_notification(s, &notification).await,
                    // Not JSON at all: it can never succeed; let the redrive policy park it in the DLQ.
                    Err(_) => {
                        tracing::error!("process-queue message is not JSON");
                        false
                    }
                }
            }
            .instrument(span)
            .await;
            if !ok {
                failed.push(message_id);
            }
        } else if !process_notification(s, &serde_json::json!({ "Records": [record] })).await {
            return Err("processing failed; S3 will retry the invocation".into());
        }
    }
    Ok(batch_response(failed))
}

/// Processes every object of one S3 notification; `false` when one should be retried.
async fn process_notification(s: &ProcessingPorts, notification: &Value) -> bool {
    let mut ok = true;
    for key in object_keys(notification) {
        if let Err(err) = object_created(s, &key).await {
            tracing::error!(error = %err, retryable = err.is_retryable(), "processing an object failed");
            ok = false;
        }
    }
    ok
}

/// The object keys of an S3 notification, decoded (S3 URL-encodes keys, with `+` for spaces).
/// A test event (`s3:TestEvent`) has none.
pub fn object_keys(notification: &Value) -> Vec<String> {
    let records = notification.get("Records").and_then(Value::as_array);
    records
        .into_iter()
        .flatten()
        .filter(|r| {
            r.get("eventName")
                .and_then(Value::as_str)
                .is_none_or(|n| n.starts_with("ObjectCreated"))
        })
        .filter_map(|r| r.pointer("/s3/object/key").and_then(Value::as_str))
        .map(|raw| {
            let plus_decoded = raw.replace('+', " ");
            url::form_urlencoded::parse(
                format!("k={}", plus_decoded.replace('&', "%26")).as_bytes(),
            )
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or(plus_decoded)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_tolerantly_and_decoded() {
        let full: Value = serde_json::json!({"Records": [{"eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "b"}, "object": {"key": "uploads/a%3Ab/c+d", "size": 3}}}]});
        assert_eq!(object_keys(&full), vec!["uploads/a:b/c d"]);
        let bare: Value =
            serde_json::json!({"Records": [{"s3": {"object": {"key": "documents/x/y"}}}]});
        assert_eq!(object_keys(&bare), vec!["documents/x/y"]);
        let test_event: Value =
            serde_json::json!({"Service": "Amazon S3", "Event": "s3:TestEvent"});
        assert!(object_keys(&test_event).is_empty());
        let removed: Value = serde_json::json!({"Records": [{"eventName": "ObjectRemoved:Delete",
            "s3": {"object": {"key": "uploads/x"}}}]});
        assert!(object_keys(&removed).is_empty());
    }
}

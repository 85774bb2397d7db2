//! SQS batches with partial failures: a failed record is reported by id so only it is retried.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsMessage};

/// The response that tells Lambda which records of the batch to leave on the queue.
pub fn batch_response(failed_message_ids: Vec<String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed_message_ids
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

/// How many times SQS has handed out this message, this time included (1 when the attribute is missing).
pub fn receive_count(message: &SqsMessage) -> u32 {
    message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_listed_by_message_id() {
        let response = batch_response(vec!["a".into(), "b".into()]);
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["batchItemFailures"][1]["itemIdentifier"], "b");
        assert!(batch_response(vec![]).batch_item_failures.is_empty());
    }
}

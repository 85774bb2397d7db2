//! The S3 "object created" notification, byte-compatible with what AWS sends to SQS, so the process
//! consumer parses one shape whether it runs on Lambda or under `pagewire dev`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

/// The bucket name the embedded store reports; only consumers that log it ever see it.
pub const LOCAL_BUCKET: &str = "pagewire-local";

/// An `ObjectCreated:Put` notification for `key` as a JSON string.
pub(crate) fn object_created(key: &str, size: u64, sequencer: u64, at: DateTime<Utc>) -> String {
    json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "local",
            "eventTime": at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "eventName": "ObjectCreated:Put",
            // Not in the brief's minimal shape but in every AWS record, and required by
            // `aws_lambda_events::s3::S3EventRecord`, so the Lambda handlers' parser accepts ours.
            "userIdentity": { "principalId": "pagewire-local" },
            "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": {},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "pagewire-local",
                "bucket": { "name": LOCAL_BUCKET, "arn": format!("arn:aws:s3:::{LOCAL_BUCKET}") },
                "object": {
                    "key": encode_key(key),
                    "size": size,
                    "sequencer": format!("{sequencer:016X}"),
                },
            },
        }]
    })
    .to_string()
}

/// Percent-encodes a key the way S3 notifications do: unreserved characters and `/` stay, every other
/// byte becomes `%XX`. (Validated keys contain nothing to encode; this keeps the shape honest anyway.)
pub(crate) fn encode_key(key: &str) -> String {
    let mut encoded = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-' | b'/') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn keys_keep_safe_characters_and_encode_the_rest() {
        assert_eq!(encode_key("uploads/a-b_c.d/E9"), "uploads/a-b_c.d/E9");
        assert_eq!(encode_key("a b+é"), "a%20b%2B%C3%A9");
    }

    #[test]
    fn notification_has_the_aws_shape() {
        let at = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        let body: serde_json::Value =
            serde_json::from_str(&object_created("uploads/x", 42, 255, at)).unwrap();
        let record = &body["Records"][0];
        assert_eq!(record["eventName"], "ObjectCreated:Put");
        assert_eq!(record["eventSource"], "aws:s3");
        assert_eq!(record["eventTime"], "2025-03-01T12:00:00.000Z");
        assert_eq!(record["s3"]["bucket"]["arn"], "arn:aws:s3:::pagewire-local");
        assert_eq!(record["s3"]["object"]["key"], "uploads/x");
        assert_eq!(record["s3"]["object"]["size"], 42);
        assert_eq!(record["s3"]["object"]["sequencer"], "00000000000000FF");
    }
}

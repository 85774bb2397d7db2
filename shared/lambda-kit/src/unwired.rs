//! The adapter a function gets for a port it does not wire (see [`crate::wiring`]). Reaching it is a
//! wiring mistake, so every call is refused with a reason that names the port and is logged as an error;
//! nothing is read, stored or sent.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pagewire_core::error::StoreError;
use pagewire_core::model::FileKind;
use pagewire_core::ports::{
    ArchiveEntry, DocumentReader, MessageQueue, OutboundRequest, OutboundResponse, QueueMessage,
    ReadDocument, ReadFailure, TransportError, UploadTarget, UploadUrls, WebhookTransport,
};
use std::time::Duration;

pub struct Unwired;

const READER: &str = "this function does not wire the document reader";
const TRANSPORT: &str = "this function does not wire the webhook client";
const QUEUE: &str = "this function does not wire the delivery queue";
const UPLOADS: &str = "this function does not wire upload URLs";

/// Permanent: retrying cannot wire the port.
fn store_refused(port: &'static str, message: &'static str) -> StoreError {
    tracing::error!(port, "{message}");
    StoreError::Permanent(message.to_string())
}

fn refused(what: &'static str) -> ReadFailure {
    tracing::error!(port = "document reader", "{READER}");
    ReadFailure {
        code: "not_wired",
        message: format!("{READER} ({what})"),
    }
}

impl DocumentReader for Unwired {
    fn read(&self, _kind: FileKind, _bytes: &[u8]) -> Result<ReadDocument, ReadFailure> {
        Err(refused("read"))
    }

    fn unpack(&self, _bytes: &[u8]) -> Result<Vec<ArchiveEntry>, ReadFailure> {
        Err(refused("unpack"))
    }
}

#[async_trait]
impl WebhookTransport for Unwired {
    async fn send(&self, _request: OutboundRequest) -> Result<OutboundResponse, TransportError> {
        tracing::error!(port = "webhook client", "{TRANSPORT}");
        Err(TransportError::Refused(TRANSPORT.to_string()))
    }
}

#[async_trait]
impl UploadUrls for Unwired {
    async fn presign_put(
        &self,
        _key: &str,
        _content_type: &str,
        _now: DateTime<Utc>,
        _expires_at: DateTime<Utc>,
    ) -> Result<UploadTarget, StoreError> {
        Err(store_refused("upload URLs", UPLOADS))
    }
}

#[async_trait]
impl MessageQueue for Unwired {
    async fn send(&self, _body: &str, _delay: Duration) -> Result<(), StoreError> {
        Err(store_refused("delivery queue", QUEUE))
    }

    async fn receive(
        &self,
        _max: usize,
        _visibility_timeout: Duration,
    ) -> Result<Vec<QueueMessage>, StoreError> {
        Err(store_refused("delivery queue", QUEUE))
    }

    async fn delete(&self, _receipt_handle: &str) -> Result<(), StoreError> {
        Err(store_refused("delivery queue", QUEUE))
    }

    async fn change_visibility(
        &self,
        _receipt_handle: &str,
        _timeout: Duration,
    ) -> Result<(), StoreError> {
        Err(store_refused("delivery queue", QUEUE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagewire_core::model::HttpMethod;

    #[test]
    fn the_unwired_reader_reads_nothing() {
        let pdf = b"%PDF-1.7\n";
        let failure = Unwired.read(FileKind::Pdf, pdf).unwrap_err();
        assert_eq!(failure.code, "not_wired");
        assert!(failure.message.contains("document reader"));
        assert_eq!(Unwired.unpack(b"PK\x03\x04").unwrap_err().code, "not_wired");
    }

    #[tokio::test]
    async fn the_unwired_transport_sends_nothing() {
        let request = OutboundRequest {
            method: HttpMethod::Post,
            url: "https://example.com/hook".parse().unwrap(),
            headers: Vec::new(),
            body: bytes::Bytes::from_static(b"{}"),
            timeout: std::time::Duration::from_secs(1),
        };
        let refused = WebhookTransport::send(&Unwired, request).await.unwrap_err();
        assert!(
            matches!(&refused, TransportError::Refused(why) if why.contains("webhook client")),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn the_unwired_queue_and_upload_urls_refuse_for_good() {
        let refusals = [
            MessageQueue::send(&Unwired, "{}", Duration::ZERO)
                .await
                .unwrap_err(),
            Unwired
                .receive(10, Duration::from_secs(1))
                .await
                .unwrap_err(),
            Unwired.delete("receipt").await.unwrap_err(),
            Unwired
                .change_visibility("receipt", Duration::ZERO)
                .await
                .unwrap_err(),
        ];
        for refused in refusals {
            assert!(!refused.is_retryable());
            assert!(refused.to_string().contains("delivery queue"), "{refused}");
        }
        let now = Utc::now();
        let refused = Unwired
            .presign_put("uploads/t/j/source", "application/pdf", now, now)
            .await
            .unwrap_err();
        assert!(!refused.is_retryable());
        assert!(refused.to_string().contains("upload URLs"), "{refused}");
    }
}

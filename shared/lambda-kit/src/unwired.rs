//! The adapter a function gets for a port it does not wire (see [`crate::wiring`]). Reaching it is a
//! wiring mistake, so every call is refused with a reason that names the port and is logged as an error;
//! nothing is read or sent.

use async_trait::async_trait;
use pagewire_core::model::FileKind;
use pagewire_core::ports::{
    ArchiveEntry, DocumentReader, OutboundRequest, OutboundResponse, ReadDocument, ReadFailure,
    TransportError, WebhookTransport,
};

pub struct Unwired;

const READER: &str = "this function does not wire the document reader";
const TRANSPORT: &str = "this function does not wire the webhook client";

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
        let refused = Unwired.send(request).await.unwrap_err();
        assert!(
            matches!(&refused, TransportError::Refused(why) if why.contains("webhook client")),
            "{refused:?}"
        );
    }
}

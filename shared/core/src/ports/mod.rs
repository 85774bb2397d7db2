//! The port traits: small, in domain types, one per thing a use case needs. They are shaped after what
//! DynamoDB, S3 and SQS can do (conditional writes, TTL, visibility timeouts), so the embedded and the
//! AWS adapters share semantics; the contract tests in `tests/tests/stores` hold both to them.

mod accounts;
mod configuration;
mod objects;
mod outbound;
mod queue;
mod reader;
mod records;

pub use accounts::{ApiKeyRecords, ChargeOutcome, CreditLedger, TenantRecords};
pub use configuration::{EndpointRecords, TemplateRecords};
pub use objects::{ObjectStore, UploadTarget, UploadUrls};
pub use outbound::{OutboundRequest, OutboundResponse, TransportError, WebhookTransport};
pub use queue::{MessageSink, QueueConsumer, QueueMessage, MAX_VISIBILITY};
pub use reader::{
    ArchiveEntry, DocumentReader, PageText, ReadDocument, ReadFailure, TextSource, Word,
};
pub use records::{AttemptLog, DeliveryRecords, DocumentRecords, IdempotencyKeys, JobRecords};

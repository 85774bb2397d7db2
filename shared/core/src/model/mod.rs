//! Domain entities. Each is stored as a whole and replaced under a version check (optimistic concurrency),
//! which maps to a DynamoDB `ConditionExpression` and to an SQLite `WHERE version = ?` alike.

pub mod decimal;
pub mod delivery;
pub mod endpoint;
pub mod file_kind;
pub mod geometry;
pub mod idempotency;
pub mod job;
pub mod records;
mod rule_serde;
pub mod status;
pub mod template;
pub mod tenant;

pub use delivery::{
    Delivery, DeliveryAttempt, DeliveryStatus, DeliveryTask, DisabledEndpointNotice, ErrorClass,
    EventType,
};
pub use endpoint::{EndpointAuth, FailureRun, HttpMethod, RetiredSecret, WebhookEndpoint};
pub use file_kind::FileKind;
pub use geometry::BoundingBox;
pub use idempotency::{IdempotencyRecord, StoredResponse};
pub use job::{Document, ExtractedField, Failure, FieldWarning, Job, WarningCode};
pub use status::Status;
pub use template::{
    DateOrder, DecimalSeparator, FieldRule, FieldSpec, FieldType, LabelDirection, MatchMode,
    TableColumn, Template,
};
pub use tenant::{ApiKeyRecord, Tenant};

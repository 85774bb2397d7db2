use super::{BoundingBox, FileKind, Status};
use crate::ids::{DocumentId, EndpointId, JobId, TemplateId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Why a job or a document failed: a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

impl Failure {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// One submission. Its documents, results and deliveries live beside it and expire with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub tenant_id: TenantId,
    pub template_id: TemplateId,
    pub status: Status,
    pub file_name: String,
    /// Judged from the content at submission; `None` for a job created by `POST /uploads`, whose file
    /// is judged when it arrives.
    #[serde(default)]
    pub file_kind: Option<FileKind>,
    /// Where the submitted bytes are stored (`uploads/{tenant}/{job}/source`).
    pub upload_key: String,
    pub static_values: Map<String, Value>,
    /// The endpoints every document of this job is delivered to, fixed at submission.
    pub endpoint_ids: Vec<EndpointId>,
    /// Known once the file is split into documents (1 for a plain file, the entry count for a ZIP).
    pub documents_total: Option<u32>,
    /// Documents that reached a terminal status; a set, so a repeated event cannot count one twice.
    pub completed_documents: BTreeSet<DocumentId>,
    pub pages: u32,
    pub credits_charged: u32,
    pub error: Option<Failure>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// After this instant the job reads as gone (DynamoDB TTL attribute; DynamoDB deletes lazily).
    pub expires_at: DateTime<Utc>,
    pub version: u64,
}

impl Job {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

/// One value the template asked for, as found in the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractedField {
    pub name: String,
    /// Normalised by the field's type; `null` when the document does not contain it.
    pub value: Value,
    /// The text the value was read from.
    pub raw: Option<String>,
    pub page: Option<u32>,
    /// Where on the page the value was read (fractions of the page, from its top-left corner).
    #[serde(rename = "box", default)]
    pub bbox: Option<BoundingBox>,
    /// How sure the reader was of the value's text: 1.0 for a text layer, the OCR's score otherwise.
    #[serde(serialize_with = "super::decimal::serialize_option_f32")]
    pub confidence: Option<f32>,
    /// Why the value may be wrong; empty when nothing is known against it.
    #[serde(default)]
    pub warnings: Vec<FieldWarning>,
}

impl ExtractedField {
    /// The field's warning codes, joined by `;` (the CSV form).
    pub fn warning_codes(&self) -> String {
        self.warnings
            .iter()
            .map(|w| w.code.as_str())
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// Something known against an extracted value: a stable code, and a short sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldWarning {
    pub code: WarningCode,
    pub message: String,
}

impl FieldWarning {
    pub fn new(code: WarningCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// The machine-readable reasons a value may be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// One separator followed by three digits (`1.234`): a thousands group or a decimal point.
    AmbiguousDecimalSeparator,
    /// A numeric date that reads day first and month first, and the template sets no `date_order`.
    AmbiguousDateOrder,
    /// A numeric date that only reads in the order opposite to the template's `date_order`.
    DateOrderMismatch,
    /// The value seems to run on into another label or column (`OD3041750960 Billing Address`).
    RanIntoLabel,
    /// The rule matched several different values where the field takes one.
    MultipleDifferentMatches,
    /// The text was read by OCR with a low score.
    LowOcrConfidence,
    /// The text found does not read as a number; the value is null and `raw` holds the text.
    NotAValidNumber,
    /// The text found does not read as an amount of money.
    NotAValidMoney,
    /// The text found does not read as a date.
    NotAValidDate,
    /// The document's extraction ran out of time before this field.
    ExtractionTimeBudget,
    /// A table row whose cells did not all read as their column's type, or that has no cell under a
    /// column.
    IncompleteTableRow,
}

impl WarningCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AmbiguousDecimalSeparator => "ambiguous_decimal_separator",
            Self::AmbiguousDateOrder => "ambiguous_date_order",
            Self::DateOrderMismatch => "date_order_mismatch",
            Self::RanIntoLabel => "ran_into_label",
            Self::MultipleDifferentMatches => "multiple_different_matches",
            Self::LowOcrConfidence => "low_ocr_confidence",
            Self::NotAValidNumber => "not_a_valid_number",
            Self::NotAValidMoney => "not_a_valid_money",
            Self::NotAValidDate => "not_a_valid_date",
            Self::ExtractionTimeBudget => "extraction_time_budget",
            Self::IncompleteTableRow => "incomplete_table_row",
        }
    }
}

/// One document of a job: the submitted file, or one root-level entry of a submitted ZIP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: DocumentId,
    pub job_id: JobId,
    pub tenant_id: TenantId,
    /// Position in the submission (0 for a plain file, the entry index in a ZIP).
    pub ordinal: u32,
    pub file_name: String,
    pub object_key: String,
    pub file_kind: Option<FileKind>,
    pub status: Status,
    pub pages: u32,
    pub credits_charged: u32,
    pub fields: Option<Vec<ExtractedField>>,
    pub error: Option<Failure>,
    /// Set once one delivery task per endpoint has been queued, so a repeated event queues none again.
    pub deliveries_enqueued: bool,
    /// There is no file to delete under `object_key` (a refused archive entry was never stored). A
    /// delivered document's file is deleted without rewriting the document: deleting again is harmless.
    pub object_deleted: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub version: u64,
}

impl Document {
    /// The `result` object of the webhook payload (the shape our users' receivers already parse): field name -> normalised value, in template order.
    pub fn result(&self) -> Option<Map<String, Value>> {
        self.fields.as_ref().map(|fields| {
            fields
                .iter()
                .map(|f| (f.name.clone(), f.value.clone()))
                .collect()
        })
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

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
    pub confidence: Option<f32>,
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
    /// The `result` object of the seeds' payload: field name -> normalised value, in template order.
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

//! The extraction corpus of `tests/corpus/` (see its README): the manifest, each document's template as
//! `POST /templates` takes it, a run through the reader and the template rules that process-document
//! uses, and the grading of each field against the truth. Shared by `tests/tests/corpus.rs` and the
//! accuracy benchmark (`tests/benches/accuracy`).

use chrono::Utc;
use pagewire_core::configuration::{validate_template as validate, TemplateInput};
use pagewire_core::ids::{TemplateId, TenantId};
use pagewire_core::model::{ExtractedField, FileKind, Template};
use pagewire_core::policy::extraction::extract_fields;
use pagewire_core::policy::file_kind::sniff;
use pagewire_core::ports::{DocumentReader, PageText};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub documents: Vec<CorpusDocument>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CorpusDocument {
    /// Relative to `tests/corpus/`.
    pub file: String,
    /// `pdf`, `png` or `jpeg`.
    pub form: String,
    pub issuer: String,
    pub language: String,
    pub template: TemplateOptions,
    pub fields: Vec<CorpusField>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TemplateOptions {
    #[serde(default)]
    pub date_order: Option<Value>,
    #[serde(default)]
    pub decimal_separator: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CorpusField {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: Value,
    pub rule: Value,
    /// What the document says (`null`: it must yield nothing).
    pub expected: Value,
    /// What pagewire gives now where that differs from `expected`, until the named change lands.
    #[serde(default)]
    pub today: Option<Today>,
    /// The warning codes pagewire gives the field now (recorded from a run, like `today`).
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Today {
    pub value: Value,
    pub until: String,
}

impl CorpusField {
    /// The value the corpus test holds pagewire to: `today`'s where there is one, else the truth.
    pub fn asserted(&self) -> &Value {
        self.today.as_ref().map_or(&self.expected, |t| &t.value)
    }
}

pub fn manifest() -> Manifest {
    let path = root().join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl CorpusDocument {
    pub fn bytes(&self) -> Vec<u8> {
        let path = root().join(&self.file);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The template as a user would create it; refused the way `POST /templates` refuses it.
    pub fn template(&self) -> Result<Template, String> {
        let fields: Vec<Value> = self
            .fields
            .iter()
            .map(|f| json!({"name": f.name, "type": f.field_type, "rule": f.rule}))
            .collect();
        let mut body = json!({"name": self.issuer, "fields": fields});
        if let Some(order) = &self.template.date_order {
            body["date_order"] = order.clone();
        }
        if let Some(separator) = &self.template.decimal_separator {
            body["decimal_separator"] = separator.clone();
        }
        let input: TemplateInput = serde_json::from_value(body).map_err(|e| e.to_string())?;
        validate(&input).map_err(|e| e.to_string())?;
        let now = Utc::now();
        Ok(Template {
            id: TemplateId::random(),
            tenant_id: TenantId::random(),
            name: input.name,
            fields: input.fields,
            date_order: input.date_order,
            decimal_separator: input.decimal_separator,
            created_at: now,
            updated_at: now,
            version: 0,
        })
    }

    /// Reads the document as process-document does (kind by magic bytes, then the reader).
    pub fn read(&self, reader: &dyn DocumentReader) -> Result<Vec<PageText>, String> {
        let bytes = self.bytes();
        let kind = sniff(&bytes).ok_or("unknown file type")?;
        if kind == FileKind::Zip {
            return Err("a ZIP in the corpus".into());
        }
        reader
            .read(kind, &bytes)
            .map(|doc| doc.pages)
            .map_err(|f| format!("{}: {}", f.code, f.message))
    }

    pub fn extract(&self, pages: &[PageText]) -> Result<Vec<ExtractedField>, String> {
        Ok(extract_fields(&self.template()?, pages))
    }
}

/// How one extracted value compares with the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grade {
    Right,
    /// Nothing found where the document has a value.
    Null,
    /// A wrong value that says it may be wrong (a warning, or a confidence under [`DOUBT`]).
    WrongFlagged,
    /// A wrong value given as if it were right: the outcome users must never get.
    WrongSilent,
}

/// Below this confidence a value counts as flagged (the text did not read as the field's type).
pub const DOUBT: f32 = 0.6;

/// Grades a value against the truth. Numbers compare to the cent; a value found where the truth is
/// `null` is wrong.
pub fn grade(expected: &Value, got: &ExtractedField) -> Grade {
    if same_value(expected, &got.value) {
        return Grade::Right;
    }
    if got.value.is_null() {
        return Grade::Null;
    }
    if has_warnings(got) || got.confidence.is_some_and(|c| c < DOUBT) {
        Grade::WrongFlagged
    } else {
        Grade::WrongSilent
    }
}

pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 0.005,
        _ => a == b,
    }
}

pub fn has_warnings(field: &ExtractedField) -> bool {
    !field.warnings.is_empty()
}

/// The field's warning codes as the API spells them.
pub fn warning_codes(field: &ExtractedField) -> Vec<String> {
    field
        .warnings
        .iter()
        .filter_map(|w| serde_json::to_value(w.code).ok())
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

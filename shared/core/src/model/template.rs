use crate::ids::{TemplateId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What to extract from a document: named, typed fields, each found by one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub id: TemplateId,
    pub tenant_id: TenantId,
    pub name: String,
    pub fields: Vec<FieldSpec>,
    /// How to read an all-numeric date such as `03/04/2024`.
    pub date_order: DateOrder,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub rule: FieldRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Number,
    Money,
    Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// 15/03/2024
    #[default]
    DayMonthYear,
    /// 03/15/2024
    MonthDayYear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelDirection {
    #[default]
    Right,
    Below,
}

/// How a field's value is found in a document's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FieldRule {
    /// The text after a label (`Invoice Number:`) on the same line, or on the next line.
    Label {
        label: String,
        #[serde(default)]
        direction: LabelDirection,
    },
    /// A regular expression; the value is capture group `group` (default 1, or the whole match if none).
    Regex {
        pattern: String,
        #[serde(default)]
        group: Option<usize>,
    },
    /// Every word inside a rectangle of a page, in reading order. The rectangle is in fractions of the
    /// page's width and height from its top-left corner, so one template fits a PDF and its scan at any
    /// resolution. `page` is 1-based; without it every page is searched and the first with words wins.
    Region {
        #[serde(default)]
        page: Option<u32>,
        x: f32,
        y: f32,
        width: f32,
        height: f32,
    },
}

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
    /// How to read an all-numeric date such as `03/04/2024`. Unset, such dates are read day first, and
    /// one that also reads month first is flagged `ambiguous_date_order`.
    #[serde(default)]
    pub date_order: Option<DateOrder>,
    /// The decimal separator of the template's documents. Unset, it is inferred from each amount, and an
    /// amount that reads both ways (`1.234`) is flagged `ambiguous_decimal_separator`.
    #[serde(default)]
    pub decimal_separator: Option<DecimalSeparator>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change, so a change made meanwhile is never overwritten (see `model::records`).
    #[serde(default)]
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub rule: FieldRule,
    /// Which of the rule's matches make the value.
    #[serde(rename = "match", default)]
    pub match_mode: MatchMode,
    /// Put between the matches of `"match": "join"` (default one space).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
}

impl FieldSpec {
    /// A field that takes the first match of its rule.
    pub fn new(name: impl Into<String>, field_type: FieldType, rule: FieldRule) -> Self {
        Self {
            name: name.into(),
            field_type,
            rule,
            match_mode: MatchMode::First,
            separator: None,
        }
    }
}

/// Which of a rule's matches, over every page in reading order, make a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// The first match; several different matches add the warning `multiple_different_matches`.
    #[default]
    First,
    /// The last match; flagged like `first`.
    Last,
    /// Every match, as a JSON list.
    All,
    /// The sum of the matches (number and money).
    Sum,
    /// The smallest match (number, money, date).
    Min,
    /// The largest match (number, money, date).
    Max,
    /// The matches' text joined by `separator`.
    Join,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Number,
    Money,
    Date,
    /// Line items: a list of rows, read by a `table` rule.
    Table,
}

/// The character between an amount's units and its fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecimalSeparator {
    #[serde(rename = ".")]
    Point,
    #[serde(rename = ",")]
    Comma,
}

impl DecimalSeparator {
    pub fn as_char(self) -> char {
        match self {
            Self::Point => '.',
            Self::Comma => ',',
        }
    }
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
///
/// Read by `rule_serde` (not derived) so that an error inside a rule names its field (`rule.group`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
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
        #[serde(serialize_with = "super::decimal::serialize_f32")]
        x: f32,
        #[serde(serialize_with = "super::decimal::serialize_f32")]
        y: f32,
        #[serde(serialize_with = "super::decimal::serialize_f32")]
        width: f32,
        #[serde(serialize_with = "super::decimal::serialize_f32")]
        height: f32,
    },
    /// Line items under a header line that holds the columns' header labels, until a line that starts
    /// with one of the `stop` labels or the end of the document; a repeated header on a later page is
    /// skipped and the rows continue. Only for fields of type `table`.
    Table {
        columns: Vec<TableColumn>,
        #[serde(default)]
        stop: Vec<String>,
    },
}

/// One column of a `table` rule: found by its header label, its cells read as `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableColumn {
    pub name: String,
    pub header: String,
    #[serde(rename = "type", default = "text_type")]
    pub column_type: FieldType,
}

fn text_type() -> FieldType {
    FieldType::Text
}

//! The rules a template must keep to be stored: what would otherwise fail later (empty or duplicate
//! names, empty labels, patterns that do not compile, regions off the page) is refused at once.

use crate::error::CoreError;
use crate::model::{
    DateOrder, DecimalSeparator, FieldRule, FieldSpec, FieldType, MatchMode, TableColumn,
};
use crate::policy::patterns::compile_pattern;
use serde::Deserialize;
use std::collections::HashSet;

const MAX_FIELDS: usize = 200;
const MAX_COLUMNS: usize = 30;
const MAX_STOP_LABELS: usize = 20;
const MAX_SEPARATOR_LEN: usize = 20;

/// The body of `POST /templates` and `PUT /templates/{id}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    #[serde(default)]
    pub date_order: Option<DateOrder>,
    #[serde(default)]
    pub decimal_separator: Option<DecimalSeparator>,
}

fn invalid(message: impl Into<String>) -> CoreError {
    CoreError::invalid("invalid_template", message)
}

/// Refuses what would fail later: empty or duplicate names, empty labels, patterns that do not compile.
pub fn validate(input: &TemplateInput) -> Result<(), CoreError> {
    let name = input.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(invalid("name must have 1 to 200 characters"));
    }
    if input.fields.len() > MAX_FIELDS {
        return Err(invalid(format!(
            "a template has at most {MAX_FIELDS} fields"
        )));
    }
    let mut seen = HashSet::new();
    for field in &input.fields {
        let fname = field.name.trim();
        if fname.is_empty() || fname.len() > 100 || fname.chars().any(char::is_control) {
            return Err(invalid(
                "every field needs a name of 1 to 100 printable characters",
            ));
        }
        if !seen.insert(fname.to_string()) {
            return Err(invalid(format!("field name {fname:?} is used twice")));
        }
        validate_match(fname, field)?;
        match &field.rule {
            FieldRule::Label { label, .. } if !label_fits(label) => {
                return Err(invalid(format!(
                    "field {fname:?}: label must have 1 to 200 characters"
                )));
            }
            FieldRule::Table { .. } if field.field_type != FieldType::Table => {
                return Err(invalid(format!(
                    "field {fname:?}: a rule of kind table is for a field of type table"
                )));
            }
            FieldRule::Table { columns, stop } => validate_table(fname, columns, stop)?,
            _ if field.field_type == FieldType::Table => {
                return Err(invalid(format!(
                    "field {fname:?}: a field of type table needs a rule of kind table"
                )));
            }
            FieldRule::Regex { pattern, group } => {
                let re = compile_pattern(pattern).map_err(|e| {
                    invalid(format!(
                        "field {fname:?}: regular expression is not valid: {e}"
                    ))
                })?;
                if let Some(g) = group {
                    if *g >= re.captures_len() {
                        return Err(invalid(format!(
                            "field {fname:?}: the pattern has no group {g}"
                        )));
                    }
                }
            }
            FieldRule::Region {
                page,
                x,
                y,
                width,
                height,
            } => {
                if *page == Some(0) {
                    return Err(invalid(format!(
                        "field {fname:?}: pages are numbered from 1"
                    )));
                }
                if !region_fits(*x, *y, *width, *height) {
                    return Err(invalid(format!(
                        "field {fname:?}: a region is x, y, width and height in fractions of the page \
                         (0 to 1), with a width and height above 0 that stay inside the page"
                    )));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn label_fits(label: &str) -> bool {
    !label.trim().is_empty() && label.len() <= 200
}

/// The match mode fits the field's type: sums of numbers, earliest or latest of numbers or dates, one
/// table per table field; a separator only for `join`.
fn validate_match(fname: &str, field: &FieldSpec) -> Result<(), CoreError> {
    let fits = match field.match_mode {
        _ if field.field_type == FieldType::Table => field.match_mode == MatchMode::First,
        MatchMode::Sum => matches!(field.field_type, FieldType::Number | FieldType::Money),
        MatchMode::Min | MatchMode::Max => field.field_type != FieldType::Text,
        _ => true,
    };
    if !fits {
        return Err(invalid(format!(
            "field {fname:?}: \"match\": {} does not apply to a field of type {}",
            serde_json::to_string(&field.match_mode).unwrap_or_default(),
            serde_json::to_string(&field.field_type).unwrap_or_default(),
        )));
    }
    match &field.separator {
        Some(_) if field.match_mode != MatchMode::Join => Err(invalid(format!(
            "field {fname:?}: a separator is only for \"match\": \"join\""
        ))),
        Some(sep) if sep.chars().count() > MAX_SEPARATOR_LEN => Err(invalid(format!(
            "field {fname:?}: the separator has more than {MAX_SEPARATOR_LEN} characters"
        ))),
        _ => Ok(()),
    }
}

fn validate_table(fname: &str, columns: &[TableColumn], stop: &[String]) -> Result<(), CoreError> {
    if columns.is_empty() || columns.len() > MAX_COLUMNS {
        return Err(invalid(format!(
            "field {fname:?}: a table has 1 to {MAX_COLUMNS} columns"
        )));
    }
    let mut names = HashSet::new();
    for column in columns {
        let cname = column.name.trim();
        if cname.is_empty() || cname.len() > 100 || cname.chars().any(char::is_control) {
            return Err(invalid(format!(
                "field {fname:?}: every column needs a name of 1 to 100 printable characters"
            )));
        }
        if !names.insert(cname) {
            return Err(invalid(format!(
                "field {fname:?}: column name {cname:?} is used twice"
            )));
        }
        if !label_fits(&column.header) {
            return Err(invalid(format!(
                "field {fname:?}: column {cname:?}: header must have 1 to 200 characters"
            )));
        }
        if column.column_type == FieldType::Table {
            return Err(invalid(format!(
                "field {fname:?}: column {cname:?}: a cell is text, number, money or date"
            )));
        }
    }
    if stop.len() > MAX_STOP_LABELS || !stop.iter().all(|s| label_fits(s)) {
        return Err(invalid(format!(
            "field {fname:?}: at most {MAX_STOP_LABELS} stop labels, each of 1 to 200 characters"
        )));
    }
    Ok(())
}

fn region_fits(x: f32, y: f32, width: f32, height: f32) -> bool {
    // A little slack for fractions computed by clients (0.1 + 0.9 is not exactly 1).
    let within = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
    within(x)
        && within(y)
        && width > 0.0
        && height > 0.0
        && within(width)
        && within(height)
        && x + width <= 1.0001
        && y + height <= 1.0001
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LabelDirection;
    use serde_json::json;

    fn input(fields: Vec<FieldSpec>) -> TemplateInput {
        TemplateInput {
            name: "Invoices".into(),
            fields,
            date_order: Some(DateOrder::DayMonthYear),
            decimal_separator: None,
        }
    }

    fn field(name: &str, rule: FieldRule) -> FieldSpec {
        FieldSpec::new(name, FieldType::Text, rule)
    }

    #[test]
    fn validation_refuses_what_would_fail_later() {
        let label = |l: &str| FieldRule::Label {
            label: l.into(),
            direction: LabelDirection::Right,
        };
        let regex = |p: &str, g| FieldRule::Regex {
            pattern: p.into(),
            group: g,
        };
        let region = |page, x, y, width, height| FieldRule::Region {
            page,
            x,
            y,
            width,
            height,
        };
        assert!(validate(&input(vec![
            field("a", label("A:")),
            field("b", regex(r"(\d+)", Some(1))),
            field("c", region(Some(1), 0.0, 0.9, 1.0, 0.1)),
        ]))
        .is_ok());
        let bad = [
            vec![field("a", label("A:")), field("a", label("B:"))],
            vec![field("", label("A:"))],
            vec![field("a", label("  "))],
            vec![field("a", regex("(", None))],
            vec![field("a", regex(r"\d+", Some(1)))],
            vec![field("a", region(None, 0.5, 0.5, 0.6, 0.1))],
            vec![field("a", region(None, -0.1, 0.0, 0.5, 0.1))],
            vec![field("a", region(None, 0.1, 0.1, 0.0, 0.1))],
            vec![field("a", region(None, 0.1, 0.1, f32::NAN, 0.1))],
            vec![field("a", region(Some(0), 0.1, 0.1, 0.1, 0.1))],
        ];
        for fields in bad {
            let err = validate(&input(fields.clone())).unwrap_err();
            assert_eq!(err.code(), "invalid_template", "{fields:?}");
        }
        let mut nameless = input(vec![]);
        nameless.name = " ".into();
        assert!(validate(&nameless).is_err());
    }

    fn parsed(fields: serde_json::Value) -> Result<(), String> {
        let input: TemplateInput = serde_json::from_value(json!({"name": "t", "fields": fields}))
            .map_err(|e| e.to_string())?;
        validate(&input).map_err(|e| e.to_string())
    }

    #[test]
    fn match_modes_and_tables_are_checked_against_the_field_type() {
        let label = json!({"kind": "label", "label": "Ref:"});
        let table = json!({"kind": "table", "columns": [
            {"name": "description", "header": "Description"},
            {"name": "amount", "header": "Amount", "type": "money"}
        ], "stop": ["Total"]});
        let good = [
            json!([{"name": "refs", "type": "text", "match": "all", "rule": label}]),
            json!([{"name": "sum", "type": "money", "match": "sum", "rule": label}]),
            json!([{"name": "latest", "type": "date", "match": "max", "rule": label}]),
            json!([{"name": "j", "type": "text", "match": "join", "separator": ", ", "rule": label}]),
            json!([{"name": "items", "type": "table", "rule": table}]),
        ];
        for fields in good {
            assert_eq!(parsed(fields.clone()), Ok(()), "{fields}");
        }
        let bad = [
            json!([{"name": "a", "type": "text", "match": "sum", "rule": label}]),
            json!([{"name": "a", "type": "date", "match": "sum", "rule": label}]),
            json!([{"name": "a", "type": "text", "match": "max", "rule": label}]),
            json!([{"name": "a", "type": "text", "separator": ",", "rule": label}]),
            json!([{"name": "a", "type": "text", "match": "join", "separator": "x".repeat(21), "rule": label}]),
            json!([{"name": "a", "type": "table", "rule": label}]),
            json!([{"name": "a", "type": "text", "rule": table}]),
            json!([{"name": "a", "type": "table", "match": "all", "rule": table}]),
            json!([{"name": "a", "type": "table", "rule": {"kind": "table", "columns": []}}]),
            json!([{"name": "a", "type": "table", "rule": {"kind": "table", "columns": [
                {"name": "x", "header": "X"}, {"name": "x", "header": "Y"}]}}]),
            json!([{"name": "a", "type": "table", "rule": {"kind": "table", "columns": [
                {"name": "x", "header": " "}]}}]),
            json!([{"name": "a", "type": "table", "rule": {"kind": "table", "columns": [
                {"name": "x", "header": "X", "type": "table"}]}}]),
            json!([{"name": "a", "type": "table", "rule": {"kind": "table", "columns": [
                {"name": "x", "header": "X"}], "stop": [""]}}]),
        ];
        for fields in bad {
            let err = parsed(fields.clone()).unwrap_err();
            assert!(err.contains("field \"a\""), "{fields}: {err}");
        }
        // Unknown keys are refused, not ignored: a typo must not silently change nothing.
        assert!(
            parsed(json!([{"name": "a", "type": "text", "mode": "all", "rule": label}])).is_err()
        );
        let input: TemplateInput = serde_json::from_value(
            json!({"name": "t", "decimal_separator": ",", "date_order": "month_day_year"}),
        )
        .unwrap();
        assert_eq!(input.decimal_separator, Some(DecimalSeparator::Comma));
        assert!(serde_json::from_value::<TemplateInput>(
            json!({"name": "t", "decimal_separator": ";"})
        )
        .is_err());
    }
}

//! The rules a template must keep to be stored: what would otherwise fail later (empty or duplicate
//! names, empty labels, patterns that do not compile, regions off the page) is refused at once.

use crate::error::CoreError;
use crate::model::{
    DateOrder, DecimalSeparator, FieldRule, FieldSpec, FieldType, MatchMode, TableColumn,
};
use crate::policy::patterns::compile_pattern;
use crate::policy::text_limits::{name_refusal, printable_name_refusal};
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

fn invalid(path: impl std::fmt::Display, message: impl std::fmt::Display) -> CoreError {
    CoreError::invalid_at("invalid_template", path, message)
}

/// Refuses what would fail later: empty or duplicate names, empty labels, patterns that do not compile.
/// Every message starts with the path of the field at fault (`fields[2].rule.label`).
pub fn validate(input: &TemplateInput) -> Result<(), CoreError> {
    if let Some(why) = name_refusal(&input.name, 200) {
        return Err(invalid("name", why));
    }
    if input.fields.len() > MAX_FIELDS {
        return Err(invalid(
            "fields",
            format!("a template has at most {MAX_FIELDS} fields"),
        ));
    }
    let mut seen = HashSet::new();
    for (index, field) in input.fields.iter().enumerate() {
        let at = format!("fields[{index}]");
        if let Some(why) = printable_name_refusal(&field.name, 100) {
            return Err(invalid(format_args!("{at}.name"), why));
        }
        let fname = field.name.trim();
        if !seen.insert(fname.to_string()) {
            return Err(invalid(
                format_args!("{at}.name"),
                format!("{fname:?} is the name of an earlier field"),
            ));
        }
        validate_match(&at, field)?;
        let rule = format!("{at}.rule");
        match &field.rule {
            FieldRule::Label { label, .. } => {
                if let Some(why) = name_refusal(label, 200) {
                    return Err(invalid(format_args!("{rule}.label"), why));
                }
                if field.field_type == FieldType::Table {
                    return Err(table_needs_table_rule(&rule));
                }
            }
            FieldRule::Table { .. } if field.field_type != FieldType::Table => {
                return Err(invalid(
                    format_args!("{rule}.kind"),
                    "a rule of kind table is for a field of type table",
                ));
            }
            FieldRule::Table { columns, stop } => validate_table(&rule, columns, stop)?,
            _ if field.field_type == FieldType::Table => {
                return Err(table_needs_table_rule(&rule));
            }
            FieldRule::Regex { pattern, group } => {
                let re = compile_pattern(pattern).map_err(|e| {
                    invalid(
                        format_args!("{rule}.pattern"),
                        format!("not a valid regular expression: {e}"),
                    )
                })?;
                if let Some(g) = group {
                    if *g >= re.captures_len() {
                        return Err(invalid(
                            format_args!("{rule}.group"),
                            format!("the pattern has no group {g}"),
                        ));
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
                    return Err(invalid(
                        format_args!("{rule}.page"),
                        "pages are numbered from 1",
                    ));
                }
                if !region_fits(*x, *y, *width, *height) {
                    return Err(invalid(
                        rule,
                        "a region is x, y, width and height in fractions of the page (0 to 1), with \
                         a width and height above 0 that stay inside the page",
                    ));
                }
            }
        }
    }
    Ok(())
}

fn table_needs_table_rule(rule: &str) -> CoreError {
    invalid(
        format_args!("{rule}.kind"),
        "a field of type table needs a rule of kind table",
    )
}

/// The match mode fits the field's type: sums of numbers, earliest or latest of numbers or dates, one
/// table per table field; a separator only for `join`.
fn validate_match(at: &str, field: &FieldSpec) -> Result<(), CoreError> {
    let fits = match field.match_mode {
        _ if field.field_type == FieldType::Table => field.match_mode == MatchMode::First,
        MatchMode::Sum => matches!(field.field_type, FieldType::Number | FieldType::Money),
        MatchMode::Min | MatchMode::Max => field.field_type != FieldType::Text,
        _ => true,
    };
    if !fits {
        return Err(invalid(
            format_args!("{at}.match"),
            format!(
                "{} does not apply to a field of type {}",
                serde_json::to_string(&field.match_mode).unwrap_or_default(),
                serde_json::to_string(&field.field_type).unwrap_or_default(),
            ),
        ));
    }
    match &field.separator {
        Some(_) if field.match_mode != MatchMode::Join => Err(invalid(
            format_args!("{at}.separator"),
            "only for \"match\": \"join\"",
        )),
        Some(sep) if sep.chars().count() > MAX_SEPARATOR_LEN => Err(invalid(
            format_args!("{at}.separator"),
            format!("must have at most {MAX_SEPARATOR_LEN} characters"),
        )),
        _ => Ok(()),
    }
}

fn validate_table(rule: &str, columns: &[TableColumn], stop: &[String]) -> Result<(), CoreError> {
    if columns.is_empty() || columns.len() > MAX_COLUMNS {
        return Err(invalid(
            format_args!("{rule}.columns"),
            format!("a table has 1 to {MAX_COLUMNS} columns"),
        ));
    }
    let mut names = HashSet::new();
    for (index, column) in columns.iter().enumerate() {
        let at = format!("{rule}.columns[{index}]");
        if let Some(why) = printable_name_refusal(&column.name, 100) {
            return Err(invalid(format_args!("{at}.name"), why));
        }
        let cname = column.name.trim();
        if !names.insert(cname) {
            return Err(invalid(
                format_args!("{at}.name"),
                format!("{cname:?} is the name of an earlier column"),
            ));
        }
        if let Some(why) = name_refusal(&column.header, 200) {
            return Err(invalid(format_args!("{at}.header"), why));
        }
        if column.column_type == FieldType::Table {
            return Err(invalid(
                format_args!("{at}.type"),
                "a cell is text, number, money or date",
            ));
        }
    }
    if stop.len() > MAX_STOP_LABELS {
        return Err(invalid(
            format_args!("{rule}.stop"),
            format!("at most {MAX_STOP_LABELS} stop labels"),
        ));
    }
    for (index, label) in stop.iter().enumerate() {
        if let Some(why) = name_refusal(label, 200) {
            return Err(invalid(format_args!("{rule}.stop[{index}]"), why));
        }
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
    fn messages_start_with_the_path_of_the_field_at_fault() {
        let label = json!({"kind": "label", "label": "Ref:"});
        let field = |name: &str, rule: serde_json::Value| json!({"name": name, "type": "text", "rule": rule});
        let cases = [
            (
                "fields[1].name",
                json!([field("a", label.clone()), field("a", label.clone())]),
            ),
            ("fields[0].name", json!([field(" ", label.clone())])),
            (
                "fields[0].name",
                json!([field(&"é".repeat(101), label.clone())]),
            ),
            (
                "fields[0].rule.label",
                json!([field("a", json!({"kind": "label", "label": ""}))]),
            ),
            (
                "fields[0].rule.pattern",
                json!([field("a", json!({"kind": "regex", "pattern": "("}))]),
            ),
            (
                "fields[0].rule.group",
                json!([field(
                    "a",
                    json!({"kind": "regex", "pattern": "a", "group": 2})
                )]),
            ),
            (
                "fields[0].rule.page",
                json!([field(
                    "a",
                    json!({"kind": "region", "page": 0, "x": 0, "y": 0, "width": 1, "height": 1})
                )]),
            ),
            (
                "fields[0].rule",
                json!([field(
                    "a",
                    json!({"kind": "region", "x": 0.5, "y": 0, "width": 0.6, "height": 1})
                )]),
            ),
        ];
        for (path, fields) in cases {
            let err = parsed(fields.clone()).unwrap_err();
            assert!(err.contains(&format!("{path}: ")), "{fields}: {err}");
        }
        // Lengths count characters: 100 two-byte characters are a good name.
        assert_eq!(parsed(json!([field(&"é".repeat(100), label)])), Ok(()));
        let long_name: TemplateInput =
            serde_json::from_value(json!({"name": "ü".repeat(201)})).unwrap();
        assert!(validate(&long_name)
            .unwrap_err()
            .to_string()
            .contains("name: must have at most 200"));
        let ok_name: TemplateInput =
            serde_json::from_value(json!({"name": "ü".repeat(200)})).unwrap();
        assert!(validate(&ok_name).is_ok());
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
        let table_rule = |columns: serde_json::Value| json!({"kind": "table", "columns": columns});
        let bad = [
            (
                "fields[0].match",
                json!({"type": "text", "match": "sum", "rule": label}),
            ),
            (
                "fields[0].match",
                json!({"type": "date", "match": "sum", "rule": label}),
            ),
            (
                "fields[0].match",
                json!({"type": "text", "match": "max", "rule": label}),
            ),
            (
                "fields[0].separator",
                json!({"type": "text", "separator": ",", "rule": label}),
            ),
            (
                "fields[0].separator",
                json!({"type": "text", "match": "join", "separator": "x".repeat(21), "rule": label}),
            ),
            (
                "fields[0].rule.kind",
                json!({"type": "table", "rule": label}),
            ),
            (
                "fields[0].rule.kind",
                json!({"type": "text", "rule": table}),
            ),
            (
                "fields[0].match",
                json!({"type": "table", "match": "all", "rule": table}),
            ),
            (
                "fields[0].rule.columns",
                json!({"type": "table", "rule": table_rule(json!([]))}),
            ),
            (
                "fields[0].rule.columns[1].name",
                json!({"type": "table", "rule": table_rule(json!([
                {"name": "x", "header": "X"}, {"name": "x", "header": "Y"}]))}),
            ),
            (
                "fields[0].rule.columns[0].header",
                json!({"type": "table", "rule": table_rule(json!([
                {"name": "x", "header": " "}]))}),
            ),
            (
                "fields[0].rule.columns[0].type",
                json!({"type": "table", "rule": table_rule(json!([
                {"name": "x", "header": "X", "type": "table"}]))}),
            ),
            (
                "fields[0].rule.stop[0]",
                json!({"type": "table", "rule": {"kind": "table", "columns": [
                {"name": "x", "header": "X"}], "stop": [""]}}),
            ),
        ];
        for (path, mut field) in bad {
            field["name"] = json!("a");
            let err = parsed(json!([field])).unwrap_err();
            assert!(err.contains(&format!("{path}: ")), "{field}: {err}");
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

//! Applying a template's rules to a document's text.

use crate::model::{ExtractedField, FieldRule, FieldSpec, LabelDirection, Template};
use crate::policy::normalise::normalise;
use crate::ports::PageText;
use regex::{Regex, RegexBuilder};
use serde_json::Value;

/// Compiled patterns are bounded so a hostile template cannot make matching slow or huge.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const MAX_PATTERN_LEN: usize = 1000;

pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(format!(
            "pattern is longer than {MAX_PATTERN_LEN} characters"
        ));
    }
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

/// Every field of the template, found or `null`, in template order.
pub fn extract_fields(template: &Template, pages: &[PageText]) -> Vec<ExtractedField> {
    template
        .fields
        .iter()
        .map(|spec| extract_field(template, spec, pages))
        .collect()
}

fn extract_field(template: &Template, spec: &FieldSpec, pages: &[PageText]) -> ExtractedField {
    let found = pages
        .iter()
        .find_map(|page| find_raw(&spec.rule, &page.text).map(|raw| (page, raw)));
    let (value, raw, page, confidence) = match found {
        Some((page, raw)) => {
            let value = normalise(&raw, spec.field_type, template.date_order);
            let confidence = if value.is_some() {
                page.confidence
            } else {
                page.confidence * 0.5
            };
            (
                value.unwrap_or(Value::Null),
                Some(raw),
                Some(page.number),
                Some(confidence),
            )
        }
        None => (Value::Null, None, None, None),
    };
    ExtractedField {
        name: spec.name.clone(),
        value,
        raw,
        page,
        confidence,
    }
}

fn find_raw(rule: &FieldRule, text: &str) -> Option<String> {
    match rule {
        FieldRule::Label { label, direction } => find_after_label(text, label, *direction),
        FieldRule::Regex { pattern, group } => {
            let re = compile_pattern(pattern).ok()?;
            let caps = re.captures(text)?;
            let index = group.unwrap_or(if caps.len() > 1 { 1 } else { 0 });
            caps.get(index)
                .map(|m| m.as_str().trim().to_string())
                .filter(|s| !s.is_empty())
        }
    }
}

fn find_after_label(text: &str, label: &str, direction: LabelDirection) -> Option<String> {
    let needle = label.trim().to_lowercase();
    if needle.is_empty() {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let lower = line.to_lowercase();
        let Some(at) = lower.find(&needle) else {
            continue;
        };
        let below = || {
            lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
                .map(str::to_string)
        };
        let right = line
            .get(at + needle.len()..)
            .map(|rest| rest.trim().trim_start_matches(':').trim());
        return match direction {
            LabelDirection::Right => right
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .or_else(below),
            LabelDirection::Below => below(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{TemplateId, TenantId};
    use crate::model::{DateOrder, FieldType};
    use chrono::Utc;

    fn template(fields: Vec<FieldSpec>) -> Template {
        Template {
            id: TemplateId::random(),
            tenant_id: TenantId::random(),
            name: "t".into(),
            fields,
            date_order: DateOrder::DayMonthYear,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn field(name: &str, field_type: FieldType, rule: FieldRule) -> FieldSpec {
        FieldSpec {
            name: name.into(),
            field_type,
            rule,
        }
    }

    fn label(text: &str) -> FieldRule {
        FieldRule::Label {
            label: text.into(),
            direction: LabelDirection::Right,
        }
    }

    #[test]
    fn label_regex_and_missing_fields() {
        let pages = vec![
            PageText {
                number: 1,
                text: "ACME Corp\nInvoice Number: INV-2024-001\nDate: March 15, 2024".into(),
                confidence: 1.0,
            },
            PageText {
                number: 2,
                text: "Total\n$1,234.56\n".into(),
                confidence: 0.9,
            },
        ];
        let t = template(vec![
            field("invoice_number", FieldType::Text, label("invoice number:")),
            field("date", FieldType::Date, label("Date:")),
            field(
                "total",
                FieldType::Money,
                FieldRule::Label {
                    label: "Total".into(),
                    direction: LabelDirection::Below,
                },
            ),
            field(
                "vendor",
                FieldType::Text,
                FieldRule::Regex {
                    pattern: r"^(\w+) Corp".into(),
                    group: None,
                },
            ),
            field("po", FieldType::Text, label("PO Number")),
        ]);
        let got = extract_fields(&t, &pages);
        let values: Vec<_> = got.iter().map(|f| f.value.clone()).collect();
        assert_eq!(
            values,
            vec![
                Value::from("INV-2024-001"),
                Value::from("2024-03-15"),
                Value::from(1234.56),
                Value::from("ACME"),
                Value::Null
            ]
        );
        assert_eq!(got[2].page, Some(2));
        assert_eq!(got[2].confidence, Some(0.9));
        assert_eq!(got[4].raw, None);
    }

    #[test]
    fn hostile_patterns_are_refused_at_compile() {
        assert!(compile_pattern("(unclosed").is_err());
        assert!(compile_pattern(&"a".repeat(2000)).is_err());
        assert!(compile_pattern(r"(\w{1000}){1000}").is_err());
    }
}

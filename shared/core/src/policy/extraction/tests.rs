//! Unit tests of `extraction.rs`.

use super::*;
use crate::ids::{TemplateId, TenantId};
use crate::model::{DateOrder, FieldType, MatchMode};
use crate::policy::layout::tests::{page, word};
use chrono::Utc;
use serde_json::Value;

fn template(fields: Vec<FieldSpec>) -> Template {
    Template {
        id: TemplateId::random(),
        tenant_id: TenantId::random(),
        name: "t".into(),
        fields,
        date_order: Some(DateOrder::DayMonthYear),
        decimal_separator: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        version: 0,
    }
}

fn field(name: &str, field_type: FieldType, rule: FieldRule) -> FieldSpec {
    FieldSpec::new(name, field_type, rule)
}

fn label(text: &str) -> FieldRule {
    FieldRule::Label {
        label: text.into(),
        direction: LabelDirection::Right,
    }
}

/// An invoice laid out as a text layer would give it: a two-column header, a value below its
/// label, and the total on page 2 read by OCR with a lower score.
fn invoice() -> Vec<PageText> {
    let mut total = word("$1,234.56", 400.0, 212.0);
    total.confidence = 0.9;
    vec![
        page(
            1,
            vec![
                word("ACME", 50.0, 60.0),
                word("Corp", 80.0, 60.0),
                word("Invoice", 50.0, 100.0),
                word("Number:", 98.0, 100.0),
                word("INV-2024-001", 146.0, 100.0),
                word("Date:", 350.0, 100.0),
                word("March", 386.0, 100.0),
                word("15,", 420.0, 100.0),
                word("2024", 442.0, 100.0),
                word("Subtotal:", 50.0, 150.0),
                word("$1,000.00", 110.0, 150.0),
            ],
        ),
        page(2, vec![word("Total", 400.0, 200.0), total]),
    ]
}

#[test]
fn label_regex_and_missing_fields() {
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
        field("subtotal", FieldType::Money, label("subtotal")),
    ]);
    let got = extract_fields(&t, &invoice());
    let values: Vec<_> = got.iter().map(|f| f.value.clone()).collect();
    assert_eq!(
        values,
        vec![
            Value::from("INV-2024-001"),
            Value::from("2024-03-15"),
            Value::from(1234.56),
            Value::from("ACME"),
            Value::Null,
            Value::from(1000),
        ]
    );
    assert_eq!(got[2].page, Some(2));
    assert_eq!(got[2].confidence, Some(0.9));
    assert_eq!(got[0].confidence, Some(1.0));
    assert_eq!(got[4].raw, None);
    assert_eq!((got[4].page, got[4].bbox), (None, None));
    // Boxes are the value's words, not the label's.
    let number = got[0].bbox.unwrap();
    assert!((number.x - 146.0 / 595.0).abs() < 1e-6, "{number:?}");
    let date = got[1].bbox.unwrap();
    assert!((date.x - 386.0 / 595.0).abs() < 1e-6 && date.right() > 442.0 / 595.0);
    let vendor = got[3].bbox.unwrap();
    assert!(
        (vendor.right() - 74.0 / 595.0).abs() < 1e-6,
        "only ACME: {vendor:?}"
    );
}

#[test]
fn region_rule_reads_the_words_inside() {
    let region = |page, x, y, width, height| FieldRule::Region {
        page,
        x,
        y,
        width,
        height,
    };
    let t = template(vec![
        field(
            "vendor",
            FieldType::Text,
            region(Some(1), 0.05, 0.05, 0.3, 0.04),
        ),
        field("total", FieldType::Money, region(None, 0.6, 0.2, 0.4, 0.1)),
        field(
            "nothing",
            FieldType::Text,
            region(Some(1), 0.9, 0.9, 0.1, 0.1),
        ),
        field(
            "wrong_page",
            FieldType::Money,
            region(Some(1), 0.6, 0.2, 0.4, 0.1),
        ),
    ]);
    let got = extract_fields(&t, &invoice());
    assert_eq!(got[0].value, Value::from("ACME Corp"));
    assert_eq!(
        (got[1].value.clone(), got[1].page),
        (Value::from(1234.56), Some(2))
    );
    assert_eq!(got[1].raw.as_deref(), Some("Total $1,234.56"));
    assert_eq!(got[2].value, Value::Null);
    assert_eq!(got[3].value, Value::Null);
}

#[test]
fn text_that_does_not_read_as_its_type_is_null_with_raw_kept() {
    let t = template(vec![field("d", FieldType::Date, label("Invoice Number:"))]);
    let got = extract_fields(&t, &invoice());
    assert_eq!(got[0].value, Value::Null);
    assert_eq!(got[0].raw.as_deref(), Some("INV-2024-001"));
    assert_eq!(got[0].confidence, Some(0.5));
}

#[test]
fn fields_after_the_time_budget_are_null_and_say_so() {
    let t = template(vec![
        field("n", FieldType::Text, label("Invoice Number:")),
        field("d", FieldType::Date, label("Date:")),
        field("s", FieldType::Money, label("Subtotal:")),
    ]);
    // The budget runs out after a fixed number of checks: the first field and part of the second.
    let checks = std::cell::Cell::new(0);
    let out_of_time = || {
        checks.set(checks.get() + 1);
        checks.get() > 4
    };
    let got = CompiledTemplate::new(&t).extract(&invoice(), &out_of_time);
    assert_eq!(got[0].value, Value::from("INV-2024-001"));
    for f in &got[1..] {
        assert_eq!(f.value, Value::Null);
        let codes: Vec<_> = f.warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(codes, vec!["extraction_time_budget"]);
    }
}

#[test]
fn values_the_issue_saw_wrong_are_right_or_flagged() {
    let mut comma = word("717，97", 100.0, 100.0);
    // Read with a score above LOW_OCR_CONFIDENCE: the full-width comma alone is no reason to doubt.
    comma.confidence = 0.995;
    let mut weak = word("45.00", 100.0, 200.0);
    weak.confidence = 0.6;
    let p = page(
        1,
        vec![
            word("Total:", 50.0, 100.0),
            comma,
            word("Order", 50.0, 120.0),
            word("ID:", 86.0, 120.0),
            word("OD3041750960", 108.0, 120.0),
            word("Billing", 184.0, 120.0),
            word("Address", 230.0, 120.0),
            word("Amount:", 50.0, 140.0),
            word("1.234", 100.0, 140.0),
            word("Datum:", 50.0, 160.0),
            word("7.", 92.0, 160.0),
            word("Mai", 106.0, 160.0),
            word("2014", 130.0, 160.0),
            word("Issued:", 50.0, 180.0),
            word("03/04/2024", 100.0, 180.0),
            word("Fee:", 50.0, 200.0),
            weak,
        ],
    );
    let mut t = template(vec![
        field("total", FieldType::Money, label("Total:")),
        field("order", FieldType::Text, label("Order ID:")),
        field("amount", FieldType::Money, label("Amount:")),
        field("datum", FieldType::Date, label("Datum:")),
        field("issued", FieldType::Date, label("Issued:")),
        field("fee", FieldType::Money, label("Fee:")),
    ]);
    t.date_order = None;
    let got = extract_fields(&t, &[p]);
    let summary: Vec<(Value, Vec<&str>)> = got
        .iter()
        .map(|f| {
            let codes = f.warnings.iter().map(|w| w.code.as_str()).collect();
            (f.value.clone(), codes)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (Value::from(717.97), vec![]),
            (
                Value::from("OD3041750960 Billing Address"),
                vec!["ran_into_label"]
            ),
            (Value::from(1234), vec!["ambiguous_decimal_separator"]),
            (Value::from("2014-05-07"), vec![]),
            (Value::from("2024-04-03"), vec!["ambiguous_date_order"]),
            (Value::from(45), vec!["low_ocr_confidence"]),
        ]
    );
    assert_eq!(got[0].confidence, Some(0.995));
}

#[test]
fn match_modes_over_pages() {
    let pages = vec![
        page(
            1,
            vec![
                word("Ref:", 50.0, 100.0),
                word("A-1", 80.0, 100.0),
                word("Due:", 50.0, 120.0),
                word("01/02/2024", 80.0, 120.0),
                word("Fee:", 50.0, 140.0),
                word("10.50", 80.0, 140.0),
            ],
        ),
        page(
            2,
            vec![
                word("Ref:", 50.0, 100.0),
                word("B-2", 80.0, 100.0),
                word("Due:", 50.0, 120.0),
                word("15/03/2024", 80.0, 120.0),
                word("Fee:", 50.0, 140.0),
                word("2.25", 80.0, 140.0),
            ],
        ),
    ];
    let with = |name: &str, field_type, l: &str, mode| {
        let mut f = field(name, field_type, label(l));
        f.match_mode = mode;
        f
    };
    let mut joined = with("joined", FieldType::Text, "Ref:", MatchMode::Join);
    joined.separator = Some("; ".into());
    let t = template(vec![
        with("first", FieldType::Text, "Ref:", MatchMode::First),
        with("last", FieldType::Text, "Ref:", MatchMode::Last),
        with("all", FieldType::Text, "Ref:", MatchMode::All),
        joined,
        with("latest", FieldType::Date, "Due:", MatchMode::Max),
        with("fees", FieldType::Money, "Fee:", MatchMode::Sum),
    ]);
    let got = extract_fields(&t, &pages);
    let values: Vec<Value> = got.iter().map(|f| f.value.clone()).collect();
    assert_eq!(
        values,
        vec![
            Value::from("A-1"),
            Value::from("B-2"),
            serde_json::json!(["A-1", "B-2"]),
            Value::from("A-1; B-2"),
            Value::from("2024-03-15"),
            Value::from(12.75),
        ]
    );
    assert_eq!(
        got[0].warnings[0].code,
        WarningCode::MultipleDifferentMatches
    );
    assert_eq!((got[0].page, got[1].page), (Some(1), Some(2)));
    assert!(got[2..].iter().all(|f| f.warnings.is_empty()));
}

#[test]
fn labels_glued_to_their_values_by_ocr() {
    let merged = page(
        1,
        vec![
            word("InvoiceNumber:INV-2024-001", 50.0, 100.0),
            word("DueDate:14/04/2024", 50.0, 120.0),
        ],
    );
    let t = template(vec![
        field("n", FieldType::Text, label("Invoice Number:")),
        field("d", FieldType::Date, label("Due Date:")),
    ]);
    let got = extract_fields(&t, &[merged]);
    assert_eq!(got[0].value, Value::from("INV-2024-001"));
    assert_eq!(got[1].value, Value::from("2024-04-14"));
}

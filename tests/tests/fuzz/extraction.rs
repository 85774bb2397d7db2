//! Extraction of untrusted text: whatever words a document holds (OCR noise, hostile PDFs) and whatever a
//! valid template asks, every field ends as a value or `null` with its warnings, never a panic or a hang;
//! and the value parsers take any string.

use crate::{bounded, config};
use pagewire_core::configuration::{validate_template as validate, TemplateInput};
use pagewire_core::model::{BoundingBox, DecimalSeparator, FieldType, Template};
use pagewire_core::policy::amounts::parse_amount;
use pagewire_core::policy::dates::parse_date;
use pagewire_core::policy::extraction::CompiledTemplate;
use pagewire_core::policy::normalise::{normalise, ReadingRules};
use pagewire_core::ports::{PageText, TextSource, Word};
use proptest::prelude::*;
use serde_json::json;

/// Text as documents print it: digits, separators, signs, currencies, month names in several languages,
/// compatibility forms (full-width, no-break and thin spaces, minus signs), and anything else.
fn value_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9]{1,5}",
        Just(".".to_string()),
        Just(",".to_string()),
        Just(" ".to_string()),
        Just("'".to_string()),
        Just("-".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("€".to_string()),
        Just("CHF".to_string()),
        Just("zł".to_string()),
        Just("\u{00A0}".to_string()),
        Just("\u{202F}".to_string()),
        Just("\u{2212}".to_string()),
        Just("，".to_string()),
        Just("１２".to_string()),
        Just("févr.".to_string()),
        Just("März".to_string()),
        Just("de".to_string()),
        Just("1º".to_string()),
        Just("1st".to_string()),
        Just("10:30".to_string()),
        ".{0,6}",
    ];
    prop::collection::vec(piece, 0..14).prop_map(|p| p.concat())
}

fn word_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Invoice".to_string()),
        Just("Number:".to_string()),
        Just("Date:".to_string()),
        Just("Total".to_string()),
        Just("Subtotal".to_string()),
        Just("Qty".to_string()),
        Just("Description".to_string()),
        Just("Amount".to_string()),
        Just("InvoiceNumber:X-1".to_string()),
        value_text(),
    ]
    .prop_filter("a word", |w| !w.trim().is_empty())
}

fn words() -> impl Strategy<Value = Vec<Word>> {
    let word = (
        word_text(),
        0.0f32..1.0,
        0.0f32..1.0,
        0.0f32..0.5,
        0.0f32..0.05,
        0.0f32..=1.0,
    )
        .prop_map(|(text, x, y, width, height, confidence)| Word {
            text,
            bbox: BoundingBox {
                x,
                y,
                width,
                height,
            },
            confidence,
        });
    prop::collection::vec(word, 0..60)
}

fn template() -> Template {
    let input: TemplateInput = serde_json::from_value(json!({
        "name": "fuzz",
        "fields": [
            {"name": "number", "type": "text", "rule": {"kind": "label", "label": "Invoice Number:"}},
            {"name": "date", "type": "date", "match": "max", "rule": {"kind": "label", "label": "Date:"}},
            {"name": "below", "type": "money", "rule": {"kind": "label", "label": "Total", "direction": "below"}},
            {"name": "amounts", "type": "money", "match": "sum", "rule": {"kind": "regex", "pattern": "([0-9.,' ]+)"}},
            {"name": "all", "type": "number", "match": "all", "rule": {"kind": "regex", "pattern": "\\w+"}},
            {"name": "joined", "type": "text", "match": "join", "separator": "|", "rule": {"kind": "region", "x": 0.0, "y": 0.0, "width": 1.0, "height": 0.5}},
            {"name": "items", "type": "table", "rule": {"kind": "table", "stop": ["Subtotal", "Total"], "columns": [
                {"name": "d", "header": "Description"},
                {"name": "q", "header": "Qty", "type": "number"},
                {"name": "a", "header": "Amount", "type": "money"}
            ]}}
        ]
    }))
    .expect("template input");
    validate(&input).expect("a valid template");
    let mut template = pagewire_core::fixtures::template(
        pagewire_core::ids::TenantId::random(),
        "fuzz",
        chrono::Utc::now(),
    );
    template.fields = input.fields;
    template
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_text_reads_as_a_value_or_not(
        raw in value_text(),
        decimal in prop::option::of(prop_oneof![Just(DecimalSeparator::Point), Just(DecimalSeparator::Comma)]),
    ) {
        bounded("parse", || {
            if let Ok(amount) = parse_amount(&raw, decimal) {
                assert!(amount.value.is_finite(), "{raw:?}");
            }
            let _ = parse_date(&raw, None);
            for field_type in [FieldType::Text, FieldType::Number, FieldType::Money, FieldType::Date] {
                let reading = normalise(&raw, field_type, ReadingRules { date_order: None, decimal_separator: decimal });
                // A null value of a typed field found in text always says why.
                if reading.value.is_null() && field_type != FieldType::Text && !raw.trim().is_empty() {
                    assert!(!reading.warnings.is_empty(), "{raw:?} as {field_type:?}");
                }
            }
        });
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn any_page_gives_every_field_a_value_or_null(pages in prop::collection::vec(words(), 1..4)) {
        let template = template();
        let pages: Vec<PageText> = pages
            .into_iter()
            .enumerate()
            .map(|(i, words)| PageText {
                number: i as u32 + 1,
                aspect: 0.7,
                words,
                source: TextSource::Ocr,
            })
            .collect();
        let fields = bounded("extract", || CompiledTemplate::new(&template).extract(&pages, &|| false));
        prop_assert_eq!(fields.len(), template.fields.len());
        for (field, spec) in fields.iter().zip(&template.fields) {
            prop_assert_eq!(&field.name, &spec.name);
        }
    }
}

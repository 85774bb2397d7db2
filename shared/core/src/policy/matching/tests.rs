//! Unit tests of `matching.rs`.

use super::*;
use crate::model::FieldRule;

fn spec(field_type: FieldType, mode: MatchMode) -> FieldSpec {
    let mut s = FieldSpec::new(
        "f",
        field_type,
        FieldRule::Regex {
            pattern: "x".into(),
            group: None,
        },
    );
    s.match_mode = mode;
    s
}

fn candidate(raw: &str, value: Value, confidence: f32) -> Candidate {
    Candidate {
        found: Found {
            raw: raw.into(),
            page: 1,
            bbox: None,
            confidence,
            ran_into_label: false,
        },
        reading: Reading {
            value,
            warnings: vec![],
        },
    }
}

fn refs() -> Vec<Candidate> {
    vec![
        candidate("12.50", Value::from(12.5), 1.0),
        candidate("n/a", Value::Null, 1.0),
        candidate("0.25", Value::from(0.25), 0.7),
        candidate("12.50", Value::from(12.5), 1.0),
    ]
}

fn codes(f: &ExtractedField) -> Vec<&'static str> {
    f.warnings.iter().map(|w| w.code.as_str()).collect()
}

#[test]
fn every_mode_on_the_same_matches() {
    let mut not_valid = refs();
    not_valid[1].reading.warnings = vec![FieldWarning::new(WarningCode::NotAValidNumber, "x")];
    let table = [
        (
            MatchMode::First,
            Value::from(12.5),
            vec!["multiple_different_matches"],
        ),
        (
            MatchMode::Last,
            Value::from(12.5),
            vec!["multiple_different_matches"],
        ),
        (
            MatchMode::All,
            Value::from(vec![12.5, 0.25, 12.5]),
            vec!["not_a_valid_number", "low_ocr_confidence"],
        ),
        (
            MatchMode::Sum,
            Value::from(25.25),
            vec!["not_a_valid_number", "low_ocr_confidence"],
        ),
        (
            MatchMode::Min,
            Value::from(0.25),
            vec!["not_a_valid_number", "low_ocr_confidence"],
        ),
        (
            MatchMode::Max,
            Value::from(12.5),
            vec!["not_a_valid_number", "low_ocr_confidence"],
        ),
        (
            MatchMode::Join,
            Value::from("12.5 0.25 12.5"),
            vec!["not_a_valid_number", "low_ocr_confidence"],
        ),
    ];
    for (mode, value, warnings) in table {
        let got = combine(&spec(FieldType::Number, mode), &not_valid);
        assert_eq!(got.value, value, "{mode:?}");
        assert_eq!(codes(&got), warnings, "{mode:?}");
    }
    let first = combine(&spec(FieldType::Number, MatchMode::First), &not_valid);
    assert_eq!(
        (first.raw.as_deref(), first.confidence),
        (Some("12.50"), Some(1.0))
    );
    let all = combine(&spec(FieldType::Number, MatchMode::All), &not_valid);
    assert_eq!(all.raw.as_deref(), Some("12.50 | 0.25 | 12.50"));
    assert_eq!(all.confidence, Some(0.7));
}

#[test]
fn same_value_twice_is_not_flagged_and_sums_keep_their_cents() {
    let twice = [
        candidate("INV-1", Value::from("INV-1"), 1.0),
        candidate("INV-1", Value::from("INV-1"), 1.0),
    ];
    let got = combine(&spec(FieldType::Text, MatchMode::First), &twice);
    assert_eq!(
        (got.value.clone(), codes(&got).len()),
        (Value::from("INV-1"), 0)
    );
    let cents = [
        candidate("0.10", Value::from(0.1), 1.0),
        candidate("0.20", Value::from(0.2), 1.0),
    ];
    let sum = combine(&spec(FieldType::Money, MatchMode::Sum), &cents);
    assert_eq!(sum.value, Value::from(0.3));
    let mut join = spec(FieldType::Text, MatchMode::Join);
    join.separator = Some(", ".into());
    assert_eq!(combine(&join, &twice).value, Value::from("INV-1, INV-1"));
}

#[test]
fn dates_take_the_earliest_or_the_latest() {
    let dates = [
        candidate("1 March 2024", Value::from("2024-03-01"), 1.0),
        candidate("15/01/2024", Value::from("2024-01-15"), 1.0),
    ];
    let max = combine(&spec(FieldType::Date, MatchMode::Max), &dates);
    let min = combine(&spec(FieldType::Date, MatchMode::Min), &dates);
    assert_eq!(
        (max.value, min.value),
        (Value::from("2024-03-01"), Value::from("2024-01-15"))
    );
}

#[test]
fn nothing_that_reads_gives_null_with_the_reason() {
    let mut bad = vec![candidate("abc", Value::Null, 1.0)];
    bad[0].reading.warnings = vec![FieldWarning::new(WarningCode::NotAValidMoney, "x")];
    for mode in [MatchMode::First, MatchMode::All, MatchMode::Sum] {
        let got = combine(&spec(FieldType::Money, mode), &bad);
        assert_eq!(got.value, Value::Null, "{mode:?}");
        assert_eq!(codes(&got), vec!["not_a_valid_money"], "{mode:?}");
        assert_eq!(
            (got.raw.as_deref(), got.confidence),
            (Some("abc"), Some(0.5))
        );
    }
    assert_eq!(
        combine(&spec(FieldType::Money, MatchMode::First), &[]),
        missing("f")
    );
}

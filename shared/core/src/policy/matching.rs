//! Making one field's value from every match of its rule, by the field's match mode (`first`, `last`,
//! `all`, `sum`, `min`, `max`, `join`), and gathering what is uncertain about it.

use crate::model::{ExtractedField, FieldSpec, FieldType, FieldWarning, MatchMode, WarningCode};
use crate::policy::found::Found;
use crate::policy::normalise::{number_value, Reading};
use serde_json::Value;

/// Below this OCR score a value is flagged `low_ocr_confidence`. Measured on the corpus with the shipped
/// models (BENCHMARKS.md, "OCR models"): right words score 0.998 on average and wrong ones 0.961; the
/// highest threshold that flags fewer than 5 % of right words is 0.995, and this one stays under it because
/// a value's score is its lowest word's.
pub const LOW_OCR_CONFIDENCE: f32 = 0.99;

/// One match of a field's rule, read as the field's type.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub found: Found,
    pub reading: Reading,
}

/// A field with no value and no match.
pub fn missing(name: &str) -> ExtractedField {
    ExtractedField {
        name: name.to_string(),
        value: Value::Null,
        raw: None,
        page: None,
        bbox: None,
        confidence: None,
        warnings: vec![],
    }
}

/// The field's value from its rule's matches, in reading order.
pub fn combine(spec: &FieldSpec, candidates: &[Candidate]) -> ExtractedField {
    if candidates.is_empty() {
        return missing(&spec.name);
    }
    match spec.match_mode {
        MatchMode::First | MatchMode::Last => one_of(spec, candidates),
        MatchMode::All => {
            let used = with_values(candidates);
            let values = used.iter().map(|c| c.reading.value.clone()).collect();
            field(spec, candidates, &used, Value::Array(values), true)
        }
        MatchMode::Join => {
            let used = with_values(candidates);
            let separator = spec.separator.as_deref().unwrap_or(" ");
            let joined = used
                .iter()
                .map(|c| text_of(&c.reading.value))
                .collect::<Vec<_>>()
                .join(separator);
            field(spec, candidates, &used, Value::String(joined), true)
        }
        MatchMode::Sum | MatchMode::Min | MatchMode::Max => aggregate(spec, candidates),
    }
}

/// `first` or `last`: the first (last) match that reads as the type, or else the first (last) match
/// with why it does not; flagged when the matches hold different values.
fn one_of(spec: &FieldSpec, candidates: &[Candidate]) -> ExtractedField {
    let ordered: Vec<&Candidate> = if spec.match_mode == MatchMode::Last {
        candidates.iter().rev().collect()
    } else {
        candidates.iter().collect()
    };
    let chosen = ordered
        .iter()
        .find(|c| !c.reading.value.is_null())
        .unwrap_or(&ordered[0]);
    let mut out = field(
        spec,
        candidates,
        &[*chosen],
        chosen.reading.value.clone(),
        false,
    );
    let mut distinct: Vec<&Value> = Vec::new();
    for c in candidates.iter().filter(|c| !c.reading.value.is_null()) {
        if !distinct.contains(&&c.reading.value) {
            distinct.push(&c.reading.value);
        }
    }
    if distinct.len() > 1 {
        push_warning(
            &mut out.warnings,
            FieldWarning::new(
                WarningCode::MultipleDifferentMatches,
                format!(
                    "the rule found {} different values; this is the {} (set \"match\" to choose)",
                    distinct.len(),
                    if spec.match_mode == MatchMode::Last {
                        "last"
                    } else {
                        "first"
                    }
                ),
            ),
        );
    }
    out
}

/// `sum`, `min` or `max` of the matches that read as numbers (or, for `min` and `max`, as dates).
fn aggregate(spec: &FieldSpec, candidates: &[Candidate]) -> ExtractedField {
    let used = with_values(candidates);
    let value = if spec.field_type == FieldType::Date {
        let dates = used.iter().filter_map(|c| c.reading.value.as_str());
        let picked = match spec.match_mode {
            MatchMode::Min => dates.min(),
            _ => dates.max(),
        };
        picked.map_or(Value::Null, Value::from)
    } else {
        let numbers: Vec<f64> = used
            .iter()
            .filter_map(|c| c.reading.value.as_f64())
            .collect();
        let decimals = used
            .iter()
            .map(|c| decimals_of(&c.reading.value))
            .max()
            .unwrap_or(0);
        let picked = match spec.match_mode {
            MatchMode::Sum => (!numbers.is_empty()).then(|| numbers.iter().sum()),
            MatchMode::Min => numbers.iter().copied().reduce(f64::min),
            _ => numbers.iter().copied().reduce(f64::max),
        };
        picked.map_or(Value::Null, |v| number_value(v, decimals))
    };
    field(spec, candidates, &used, value, true)
}

fn decimals_of(value: &Value) -> u32 {
    let text = value.to_string();
    text.split_once('.').map_or(0, |(_, f)| f.len() as u32)
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The matches that read as the field's type.
fn with_values(candidates: &[Candidate]) -> Vec<&Candidate> {
    candidates
        .iter()
        .filter(|c| !c.reading.value.is_null())
        .collect()
}

/// The field made of `used` matches: their text, page and box of the first, the least confidence, and
/// every warning of theirs; with `flag_left_out`, a match left out because it did not read as the type
/// is flagged once. When none reads, the first match's text and warnings say why the value is null.
fn field(
    spec: &FieldSpec,
    candidates: &[Candidate],
    used: &[&Candidate],
    value: Value,
    flag_left_out: bool,
) -> ExtractedField {
    let shown: Vec<&Candidate> = if used.is_empty() {
        vec![&candidates[0]]
    } else {
        used.to_vec()
    };
    let mut warnings = Vec::new();
    for c in &shown {
        for w in &c.reading.warnings {
            push_warning(&mut warnings, w.clone());
        }
        if c.found.ran_into_label {
            push_warning(
                &mut warnings,
                FieldWarning::new(
                    WarningCode::RanIntoLabel,
                    "the value seems to run on into another label or column",
                ),
            );
        }
    }
    if flag_left_out && !used.is_empty() {
        // Matches left out of a combined value because they do not read as the type.
        for c in candidates.iter().filter(|c| c.reading.value.is_null()) {
            for w in &c.reading.warnings {
                push_warning(&mut warnings, w.clone());
            }
        }
    }
    let confidence = shown.iter().map(|c| c.found.confidence).fold(1.0, f32::min);
    if confidence < LOW_OCR_CONFIDENCE {
        push_warning(
            &mut warnings,
            FieldWarning::new(
                WarningCode::LowOcrConfidence,
                format!("the text was read with a score of {confidence:.2}"),
            ),
        );
    }
    let value = if is_empty_list(&value) {
        Value::Null
    } else {
        value
    };
    // Text that does not read as the field's type is kept as `raw`, with a lowered confidence.
    let confidence = if value.is_null() {
        confidence * 0.5
    } else {
        confidence
    };
    let raw = shown
        .iter()
        .map(|c| c.found.raw.as_str())
        .collect::<Vec<_>>()
        .join(" | ");
    let first = &shown[0].found;
    ExtractedField {
        name: spec.name.clone(),
        value,
        raw: Some(raw),
        page: Some(first.page),
        bbox: first.bbox,
        confidence: Some(confidence),
        warnings,
    }
}

fn is_empty_list(value: &Value) -> bool {
    value.as_array().is_some_and(Vec::is_empty)
}

/// Adds a warning unless one with its code is there already.
pub fn push_warning(warnings: &mut Vec<FieldWarning>, warning: FieldWarning) {
    if !warnings.iter().any(|w| w.code == warning.code) {
        warnings.push(warning);
    }
}

#[cfg(test)]
mod tests;

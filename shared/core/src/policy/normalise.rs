//! Turning the text found for a field into a typed value, with what is uncertain about it.

use crate::model::{DateOrder, DecimalSeparator, FieldType, FieldWarning, Template, WarningCode};
use crate::policy::amounts::{parse_amount, Amount};
use crate::policy::dates::parse_date;
use serde_json::{Number, Value};
use unicode_normalization::UnicodeNormalization;

/// The template's settings for reading values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadingRules {
    pub date_order: Option<DateOrder>,
    pub decimal_separator: Option<DecimalSeparator>,
}

impl ReadingRules {
    pub fn of(template: &Template) -> Self {
        Self {
            date_order: template.date_order,
            decimal_separator: template.decimal_separator,
        }
    }
}

/// A value read from text: `Null` when the text does not read as the type, and the warnings found.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub value: Value,
    pub warnings: Vec<FieldWarning>,
}

/// Text as OCR and PDF producers print it, folded to the forms the parsers read: Unicode compatibility
/// forms (NFKC: full-width digits and punctuation, no-break, thin and narrow spaces, ligatures), then the
/// typographic minus signs and apostrophes NFKC keeps, every space as one ASCII space, and no
/// zero-width characters or soft hyphens.
pub fn compatibility_folded(raw: &str) -> String {
    raw.nfkc()
        .filter_map(|c| match c {
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => None,
            '\u{2212}' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{FE63}' => {
                Some('-')
            }
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{2032}' | '\u{00B4}' | '`' => {
                Some('\'')
            }
            c if c.is_whitespace() => Some(' '),
            c => Some(c),
        })
        .collect()
}

/// The typed value of `raw`. Text keeps its characters (spaces folded); numbers, money and dates are
/// read after compatibility folding. A table's cells are read column by column, not here.
pub fn normalise(raw: &str, field_type: FieldType, rules: ReadingRules) -> Reading {
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Reading {
            value: Value::Null,
            warnings: vec![],
        };
    }
    match field_type {
        FieldType::Text | FieldType::Table => Reading {
            value: Value::String(text),
            warnings: vec![],
        },
        FieldType::Number | FieldType::Money => read_amount(&text, field_type, rules),
        FieldType::Date => match parse_date(&text, rules.date_order) {
            Some(read) => Reading {
                value: Value::String(read.date.format("%Y-%m-%d").to_string()),
                warnings: read
                    .warning
                    .map(|code| FieldWarning::new(code, date_message(code)))
                    .into_iter()
                    .collect(),
            },
            None => not_valid(
                WarningCode::NotAValidDate,
                "the text does not read as a date",
            ),
        },
    }
}

fn date_message(code: WarningCode) -> &'static str {
    match code {
        WarningCode::AmbiguousDateOrder => {
            "the date reads day first and month first; read day first (set the template's date_order)"
        }
        _ => "the date only reads in the order opposite to the template's date_order",
    }
}

fn read_amount(text: &str, field_type: FieldType, rules: ReadingRules) -> Reading {
    match parse_amount(text, rules.decimal_separator) {
        Ok(amount) => Reading {
            value: amount_value(&amount),
            warnings: if amount.ambiguous {
                vec![FieldWarning::new(
                    WarningCode::AmbiguousDecimalSeparator,
                    "one separator before three digits: read as a thousands group (set the \
                     template's decimal_separator)",
                )]
            } else {
                vec![]
            },
        },
        Err(_) if field_type == FieldType::Money => not_valid(
            WarningCode::NotAValidMoney,
            "the text does not read as an amount",
        ),
        Err(_) => not_valid(
            WarningCode::NotAValidNumber,
            "the text does not read as a number",
        ),
    }
}

fn not_valid(code: WarningCode, message: &str) -> Reading {
    Reading {
        value: Value::Null,
        warnings: vec![FieldWarning::new(code, message)],
    }
}

/// An amount as JSON, rounded to the decimals printed: whole amounts are integers (`10`, not `10.0`).
pub fn amount_value(amount: &Amount) -> Value {
    number_value(amount.value, amount.decimals)
}

/// `value` rounded to `decimals` places, as a JSON integer when it is whole.
pub fn number_value(value: f64, decimals: u32) -> Value {
    let scale = 10f64.powi(decimals.min(12) as i32);
    let rounded = (value * scale).round() / scale;
    if rounded.fract() == 0.0 && rounded.abs() < 9_007_199_254_740_992.0 {
        return Value::from(rounded as i64);
    }
    Number::from_f64(rounded).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> ReadingRules {
        ReadingRules::default()
    }

    fn codes(r: &Reading) -> Vec<&'static str> {
        r.warnings.iter().map(|w| w.code.as_str()).collect()
    }

    #[test]
    fn compatibility_forms_fold_to_ascii() {
        let table = [
            ("717，97", "717,97"),
            ("１２３４．５６", "1234.56"),
            ("1\u{00A0}234", "1 234"),
            ("1\u{2009}234", "1 234"),
            ("1\u{202F}234", "1 234"),
            ("\u{2212}12", "-12"),
            ("\u{2013}12", "-12"),
            ("1\u{2019}234", "1'234"),
            ("O\u{2019}Brien", "O'Brien"),
            ("in\u{200B}voice", "invoice"),
            ("\u{FB01}nal", "final"),
            ("\u{3000}x", " x"),
            ("Total\u{FF1A}", "Total:"),
        ];
        for (raw, want) in table {
            assert_eq!(compatibility_folded(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn values_by_type_with_their_warnings() {
        let r = rules();
        let table: Vec<(&str, FieldType, ReadingRules, Value, Vec<&str>)> = vec![
            (" INV-1 ", FieldType::Text, r, Value::from("INV-1"), vec![]),
            (
                "ACME\u{00A0} Corp",
                FieldType::Text,
                r,
                Value::from("ACME Corp"),
                vec![],
            ),
            (
                "$1,234.56",
                FieldType::Money,
                r,
                Value::from(1234.56),
                vec![],
            ),
            ("$1,000.00", FieldType::Money, r, Value::from(1000), vec![]),
            ("10", FieldType::Number, r, Value::from(10), vec![]),
            ("717，97", FieldType::Money, r, Value::from(717.97), vec![]),
            (
                "1.234",
                FieldType::Money,
                r,
                Value::from(1234),
                vec!["ambiguous_decimal_separator"],
            ),
            (
                "1.234",
                FieldType::Number,
                ReadingRules {
                    decimal_separator: Some(DecimalSeparator::Point),
                    ..r
                },
                Value::from(1.234),
                vec![],
            ),
            (
                "abc",
                FieldType::Number,
                r,
                Value::Null,
                vec!["not_a_valid_number"],
            ),
            (
                "INV-2024-001",
                FieldType::Money,
                r,
                Value::Null,
                vec!["not_a_valid_money"],
            ),
            (
                "March 15, 2024",
                FieldType::Date,
                r,
                Value::from("2024-03-15"),
                vec![],
            ),
            (
                "7. Mai 2014",
                FieldType::Date,
                r,
                Value::from("2014-05-07"),
                vec![],
            ),
            (
                "03/04/2024",
                FieldType::Date,
                r,
                Value::from("2024-04-03"),
                vec!["ambiguous_date_order"],
            ),
            (
                "03/04/2024",
                FieldType::Date,
                ReadingRules {
                    date_order: Some(DateOrder::MonthDayYear),
                    ..r
                },
                Value::from("2024-03-04"),
                vec![],
            ),
            (
                "soon",
                FieldType::Date,
                r,
                Value::Null,
                vec!["not_a_valid_date"],
            ),
            ("", FieldType::Text, r, Value::Null, vec![]),
        ];
        for (raw, field_type, rules, value, warnings) in table {
            let got = normalise(raw, field_type, rules);
            assert_eq!(got.value, value, "{raw}");
            assert_eq!(codes(&got), warnings, "{raw}");
        }
    }

    #[test]
    fn numbers_are_rounded_to_the_decimals_printed() {
        assert_eq!(number_value(0.1 + 0.2, 1), Value::from(0.3));
        assert_eq!(number_value(12.0, 2), Value::from(12));
        assert_eq!(number_value(-45.5, 2), Value::from(-45.5));
    }
}

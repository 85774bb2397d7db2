//! Turning the text found for a field into a typed value.

use crate::model::{DateOrder, FieldType};
use chrono::NaiveDate;
use serde_json::{Number, Value};

/// The typed value of `raw`, or `None` when the text does not read as that type.
pub fn normalise(raw: &str, field_type: FieldType, order: DateOrder) -> Option<Value> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match field_type {
        FieldType::Text => Some(Value::String(raw.to_string())),
        FieldType::Number | FieldType::Money => parse_amount(raw).and_then(number_value),
        FieldType::Date => {
            parse_date(raw, order).map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
        }
    }
}

/// Whole amounts are JSON integers (`10`, not `10.0`); others keep their fraction.
fn number_value(amount: f64) -> Option<Value> {
    if amount.fract() == 0.0 && amount.abs() < 9_007_199_254_740_992.0 {
        return Some(Value::from(amount as i64));
    }
    Number::from_f64(amount).map(Value::Number)
}

/// Reads `$1,234.56`, `1.234,56 EUR`, `-12`, `(45.00)` as numbers. The last separator followed by one or
/// two digits is the decimal point; the others group thousands.
pub fn parse_amount(raw: &str) -> Option<f64> {
    let negative = raw.contains('-') || (raw.contains('(') && raw.contains(')'));
    let kept: String = raw
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    if !kept.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let decimal_at = kept.rfind(['.', ',']).filter(|&i| {
        let digits_after = kept.len() - i - 1;
        (1..=2).contains(&digits_after)
            || (digits_after == 3
                && kept.matches(['.', ',']).count() == 1
                && kept[i..].starts_with('.'))
    });
    let mut number = String::new();
    for (i, c) in kept.char_indices() {
        if c.is_ascii_digit() {
            number.push(c);
        } else if Some(i) == decimal_at {
            number.push('.');
        }
    }
    let value: f64 = number.parse().ok()?;
    Some(if negative { -value } else { value })
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Reads ISO dates, `March 15, 2024`, `15 March 2024`, and numeric `15/03/2024` (order from the template).
pub fn parse_date(raw: &str, order: DateOrder) -> Option<NaiveDate> {
    // OCR can glue a month to its day (`March15,2024`): letters and digits are separate words.
    let mut spaced = String::with_capacity(raw.len() + 4);
    let mut previous: Option<char> = None;
    for c in raw.chars() {
        if previous.is_some_and(|p| p.is_alphabetic() != c.is_alphabetic() && p.is_alphanumeric())
            && c.is_alphanumeric()
        {
            spaced.push(' ');
        }
        spaced.push(c);
        previous = Some(c);
    }
    let words: Vec<&str> = spaced
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '/' | '-' | '.'))
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() != 3 {
        return None;
    }
    let month_of = |w: &str| {
        let lower = w.to_ascii_lowercase();
        MONTHS
            .iter()
            .position(|m| lower.len() >= 3 && lower.starts_with(m))
            .map(|i| i as u32 + 1)
    };
    let num = |w: &str| w.parse::<u32>().ok();
    let (y, m, d) = if let Some(m) = month_of(words[0]) {
        (num(words[2])?, m, num(words[1])?)
    } else if let Some(m) = month_of(words[1]) {
        (num(words[2])?, m, num(words[0])?)
    } else if words[0].len() == 4 {
        (num(words[0])?, num(words[1])?, num(words[2])?)
    } else {
        let (a, b, y) = (num(words[0])?, num(words[1])?, num(words[2])?);
        let y = if words[2].len() == 2 { 2000 + y } else { y };
        match order {
            DateOrder::DayMonthYear => (y, b, a),
            DateOrder::MonthDayYear => (y, a, b),
        }
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        let table = [
            ("$1,234.56", Some(1234.56)),
            ("1.234,56 EUR", Some(1234.56)),
            ("1,234", Some(1234.0)),
            ("12.5", Some(12.5)),
            ("-12", Some(-12.0)),
            ("(45.00)", Some(-45.0)),
            ("USD 1 000 000.00", Some(1_000_000.0)),
            ("0.125", Some(0.125)),
            ("n/a", None),
        ];
        for (raw, want) in table {
            assert_eq!(parse_amount(raw), want, "{raw}");
        }
    }

    #[test]
    fn dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        let table = [
            ("March 15, 2024", DateOrder::DayMonthYear, d(2024, 3, 15)),
            ("15 March 2024", DateOrder::DayMonthYear, d(2024, 3, 15)),
            ("15/03/2024", DateOrder::DayMonthYear, d(2024, 3, 15)),
            ("03/15/2024", DateOrder::MonthDayYear, d(2024, 3, 15)),
            ("2024-03-15", DateOrder::MonthDayYear, d(2024, 3, 15)),
            ("15.03.24", DateOrder::DayMonthYear, d(2024, 3, 15)),
            ("Sept 1 2024", DateOrder::DayMonthYear, d(2024, 9, 1)),
            ("March15,2024", DateOrder::DayMonthYear, d(2024, 3, 15)),
            ("15Mar2024", DateOrder::DayMonthYear, d(2024, 3, 15)),
            ("31/02/2024", DateOrder::DayMonthYear, None),
            ("yesterday", DateOrder::DayMonthYear, None),
        ];
        for (raw, order, want) in table {
            assert_eq!(parse_date(raw, order), want, "{raw}");
        }
    }

    #[test]
    fn normalise_by_type() {
        let o = DateOrder::DayMonthYear;
        assert_eq!(
            normalise(" INV-1 ", FieldType::Text, o),
            Some(Value::from("INV-1"))
        );
        assert_eq!(
            normalise("$1,234.56", FieldType::Money, o),
            Some(Value::from(1234.56))
        );
        assert_eq!(
            normalise("March 15, 2024", FieldType::Date, o),
            Some(Value::from("2024-03-15"))
        );
        assert_eq!(normalise("10", FieldType::Number, o), Some(Value::from(10)));
        assert_eq!(
            normalise("$1,000.00", FieldType::Money, o),
            Some(Value::from(1000))
        );
        assert_eq!(normalise("", FieldType::Text, o), None);
        assert_eq!(normalise("abc", FieldType::Number, o), None);
    }
}

//! Reading dates as printed on documents in English, French, German, Dutch, Spanish, Italian and
//! Portuguese: `March 15, 2024`, `05 Juillet 2015`, `7. Mai 2014`, `29 maart 2014`, `5 de marzo de 2024`,
//! `1er févr. 2024`, `1º de março`, ISO `2024-03-15`, and numeric `15/03/2024` under the template's order.

use crate::model::{DateOrder, WarningCode};
use crate::policy::normalise::compatibility_folded;
use chrono::NaiveDate;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use words::{month_of, NOISE, ORDINAL_ENDINGS};

mod words;

/// Longest text read as a date.
const MAX_DATE_LEN: usize = 80;

/// A date read from text, and what is uncertain about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadDate {
    pub date: NaiveDate,
    /// `AmbiguousDateOrder` or `DateOrderMismatch` for numeric dates.
    pub warning: Option<WarningCode>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(String),
    Month(u32),
}

/// Reads `raw` as a date. `order` is the template's `date_order`, if set.
pub fn parse_date(raw: &str, order: Option<DateOrder>) -> Option<ReadDate> {
    if raw.len() > MAX_DATE_LEN {
        return None;
    }
    let tokens = tokens(&plain_lower(&compatibility_folded(raw)))?;
    let months: Vec<u32> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Month(m) => Some(*m),
            Token::Number(_) => None,
        })
        .collect();
    let numbers: Vec<&str> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Number(n) => Some(n.as_str()),
            Token::Month(_) => None,
        })
        .collect();
    match (months.as_slice(), numbers.as_slice()) {
        ([month], [a, b]) => {
            // The four-digit number is the year; without one, the day comes first (`March 5, 24`).
            let (day, year) = if a.len() == 4 { (b, a) } else { (a, b) };
            if day.len() > 2 {
                return None;
            }
            let date = ymd(year, *month, day.parse().ok()?)?;
            Some(ReadDate {
                date,
                warning: None,
            })
        }
        ([], [a, b, c]) if a.len() == 4 => {
            let date = ymd(a, b.parse().ok()?, c.parse().ok()?)?;
            Some(ReadDate {
                date,
                warning: None,
            })
        }
        ([], [a, b, year]) if a.len() <= 2 && b.len() <= 2 => {
            numeric(a.parse().ok()?, b.parse().ok()?, year, order)
        }
        _ => None,
    }
}

/// A numeric date `a/b/year`: day and month in the template's order, flagged when the order is a guess
/// or when only the other order reads.
fn numeric(a: u32, b: u32, year: &str, order: Option<DateOrder>) -> Option<ReadDate> {
    let day_first = ymd(year, b, a);
    let month_first = ymd(year, a, b);
    let (wanted, other) = match order.unwrap_or(DateOrder::DayMonthYear) {
        DateOrder::DayMonthYear => (day_first, month_first),
        DateOrder::MonthDayYear => (month_first, day_first),
    };
    match (wanted, other) {
        (Some(date), Some(_)) if order.is_none() && a != b => Some(ReadDate {
            date,
            warning: Some(WarningCode::AmbiguousDateOrder),
        }),
        (Some(date), _) => Some(ReadDate {
            date,
            warning: None,
        }),
        (None, Some(date)) => Some(ReadDate {
            date,
            warning: order.map(|_| WarningCode::DateOrderMismatch),
        }),
        (None, None) => None,
    }
}

/// A calendar date from a year of 2 or 4 digits; two-digit years are 1970-2069, and years outside
/// 1900-2199 are not read, since documents hold neither.
fn ymd(year: &str, month: u32, day: u32) -> Option<NaiveDate> {
    let y: i32 = year.parse().ok()?;
    let y = match year.len() {
        2 if y < 70 => 2000 + y,
        2 => 1900 + y,
        4 if (1900..=2199).contains(&y) => y,
        _ => return None,
    };
    NaiveDate::from_ymd_opt(y, month, day)
}

/// Lower case without accents (`févr.` -> `fevr.`, `März` -> `marz`).
fn plain_lower(raw: &str) -> String {
    raw.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The date's numbers and month names; `None` when it holds any other word. A time (`10:30`) ends it.
fn tokens(text: &str) -> Option<Vec<Token>> {
    // OCR glues a month to its day (`March15,2024`) and ordinals are written `1st`: split letters from
    // digits.
    let mut spaced = String::with_capacity(text.len() + 8);
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if let Some(p) = previous {
            if p.is_alphanumeric() && c.is_alphanumeric() && p.is_alphabetic() != c.is_alphabetic()
            {
                spaced.push(' ');
            }
        }
        spaced.push(c);
        previous = Some(c);
    }
    let mut out = Vec::new();
    let mut after_number = false;
    for word in
        spaced.split(|c: char| c.is_whitespace() || matches!(c, ',' | '/' | '-' | '.' | '\''))
    {
        if word.is_empty() {
            continue;
        }
        if word.contains(':') {
            break;
        }
        if word.chars().all(|c| c.is_ascii_digit()) {
            if word.len() > 4 {
                return None;
            }
            out.push(Token::Number(word.to_string()));
            after_number = true;
            continue;
        }
        if after_number && ORDINAL_ENDINGS.contains(&word) {
            after_number = false;
            continue;
        }
        after_number = false;
        if let Some(month) = month_of(word) {
            out.push(Token::Month(month));
        } else if !NOISE.contains(&word) {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests;

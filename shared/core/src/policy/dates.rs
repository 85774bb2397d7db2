//! Reading dates as printed on documents in English, French, German, Dutch, Spanish, Italian and
//! Portuguese: `March 15, 2024`, `05 Juillet 2015`, `7. Mai 2014`, `29 maart 2014`, `5 de marzo de 2024`,
//! `1er févr. 2024`, `1º de março`, ISO `2024-03-15`, and numeric `15/03/2024` under the template's order.

use crate::model::{DateOrder, WarningCode};
use crate::policy::normalise::compatibility_folded;
use chrono::NaiveDate;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Month names and abbreviations of the seven languages, without accents, in lower case. The languages
/// never give one spelling two different months, so one table serves without knowing the language.
const MONTHS: &[(&str, u32)] = &[
    // English
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("sept", 9),
    // French
    ("janvier", 1),
    ("fevrier", 2),
    ("mars", 3),
    ("avril", 4),
    ("mai", 5),
    ("juin", 6),
    ("juillet", 7),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("decembre", 12),
    ("janv", 1),
    ("fevr", 2),
    ("fev", 2),
    ("avr", 4),
    ("juil", 7),
    // German
    ("januar", 1),
    ("jaenner", 1),
    ("janner", 1),
    ("februar", 2),
    ("maerz", 3),
    ("marz", 3),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
    ("mrz", 3),
    ("okt", 10),
    ("dez", 12),
    // Dutch
    ("januari", 1),
    ("februari", 2),
    ("maart", 3),
    ("mei", 5),
    ("augustus", 8),
    ("mrt", 3),
    // Spanish
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("ene", 1),
    ("abr", 4),
    ("ago", 8),
    ("dic", 12),
    // Italian
    ("gennaio", 1),
    ("febbraio", 2),
    ("aprile", 4),
    ("maggio", 5),
    ("giugno", 6),
    ("luglio", 7),
    ("settembre", 9),
    ("ottobre", 10),
    ("dicembre", 12),
    ("gen", 1),
    ("mag", 5),
    ("giu", 6),
    ("lug", 7),
    ("set", 9),
    ("sett", 9),
    ("ott", 10),
    // Portuguese
    ("janeiro", 1),
    ("fevereiro", 2),
    ("marco", 3),
    ("maio", 5),
    ("junho", 6),
    ("julho", 7),
    ("setembro", 9),
    ("outubro", 10),
    ("novembro", 11),
    ("dezembro", 12),
    ("out", 10),
];

/// Words a date may carry that say nothing about it: weekdays, connectors (`5 de marzo de 2024`, `den
/// 7. Mai`), ordinal endings (`1st`, `1er`, `1º`: folded to `1o`), and the `T` of an ISO date-time.
const NOISE: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonnabend",
    "sonntag",
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
    "lunes",
    "martes",
    "miercoles",
    "jueves",
    "viernes",
    "sabado",
    "domingo",
    "lunedi",
    "martedi",
    "mercoledi",
    "giovedi",
    "venerdi",
    "domenica",
    "segunda",
    "terca",
    "quarta",
    "quinta",
    "sexta",
    "feira",
    "de",
    "del",
    "of",
    "the",
    "le",
    "la",
    "den",
    "der",
    "el",
    "il",
    "di",
    "do",
    "da",
    "t",
];
const ORDINAL_ENDINGS: &[&str] = &["st", "nd", "rd", "th", "er", "re", "eme", "o", "a", "e"];

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

/// The month a word names: a listed spelling, or the start (3 letters or more) of full names that all
/// name the same month (`sept`, `septem`, `febr`).
fn month_of(word: &str) -> Option<u32> {
    if let Some((_, m)) = MONTHS.iter().find(|(name, _)| *name == word) {
        return Some(*m);
    }
    if word.chars().count() < 3 {
        return None;
    }
    let mut found = MONTHS
        .iter()
        .filter(|(name, _)| name.len() > 4 && name.starts_with(word))
        .map(|(_, m)| *m);
    let first = found.next()?;
    found.all(|m| m == first).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DateOrder::{DayMonthYear, MonthDayYear};

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn month_names_in_seven_languages() {
        let table = [
            ("March 15, 2024", d(2024, 3, 15)),
            ("15 March 2024", d(2024, 3, 15)),
            ("Sept 1 2024", d(2024, 9, 1)),
            ("March15,2024", d(2024, 3, 15)),
            ("15Mar2024", d(2024, 3, 15)),
            ("1st of March, 2024", d(2024, 3, 1)),
            ("Friday, 22nd November 2024", d(2024, 11, 22)),
            ("05 Juillet 2015", d(2015, 7, 5)),
            ("1er févr. 2024", d(2024, 2, 1)),
            ("1er fevr 2024", d(2024, 2, 1)),
            ("lundi 3 août 2020", d(2020, 8, 3)),
            ("17 déc. 2023", d(2023, 12, 17)),
            ("7. Mai 2014", d(2014, 5, 7)),
            ("3. März 2024", d(2024, 3, 3)),
            ("3. Maerz 2024", d(2024, 3, 3)),
            ("Dienstag, den 1. Okt. 2024", d(2024, 10, 1)),
            ("12. Dez 2023", d(2023, 12, 12)),
            ("29 maart 2014", d(2014, 3, 29)),
            ("4 mrt 2024", d(2024, 3, 4)),
            ("1 mei 2024", d(2024, 5, 1)),
            ("5 de marzo de 2024", d(2024, 3, 5)),
            ("7 dic. 2023", d(2023, 12, 7)),
            ("1º de enero del 2024", d(2024, 1, 1)),
            ("15 settembre 2022", d(2022, 9, 15)),
            ("2 giu 2021", d(2021, 6, 2)),
            ("1º de março de 2024", d(2024, 3, 1)),
            ("10 out. 2024", d(2024, 10, 10)),
            ("MARCH 15 2024", d(2024, 3, 15)),
            ("15 mars 24", d(2024, 3, 15)),
        ];
        for (raw, want) in table {
            let got = parse_date(raw, None);
            assert_eq!(got.map(|r| r.date), want, "{raw}");
            assert_eq!(got.and_then(|r| r.warning), None, "{raw}");
        }
    }

    #[test]
    fn numeric_and_iso() {
        let table = [
            ("15/03/2024", Some(DayMonthYear), d(2024, 3, 15), None),
            ("03/15/2024", Some(MonthDayYear), d(2024, 3, 15), None),
            ("2024-03-15", Some(MonthDayYear), d(2024, 3, 15), None),
            ("2024-03-15T10:30:00Z", None, d(2024, 3, 15), None),
            ("15.03.24", Some(DayMonthYear), d(2024, 3, 15), None),
            ("15-03-1999", None, d(1999, 3, 15), None),
            ("01/02/99", Some(DayMonthYear), d(1999, 2, 1), None),
            ("15/03/2024 10:30", None, d(2024, 3, 15), None),
            // Reads in both orders and the template says nothing: day first, flagged.
            (
                "03/04/2024",
                None,
                d(2024, 4, 3),
                Some(WarningCode::AmbiguousDateOrder),
            ),
            ("04/04/2024", None, d(2024, 4, 4), None),
            // Only month first reads: the template did not say, so nothing to flag.
            ("03/15/2024", None, d(2024, 3, 15), None),
            // Only the order opposite to the template's reads.
            (
                "15/03/2024",
                Some(MonthDayYear),
                d(2024, 3, 15),
                Some(WarningCode::DateOrderMismatch),
            ),
            ("31/02/2024", Some(DayMonthYear), None, None),
        ];
        for (raw, order, want, warning) in table {
            let got = parse_date(raw, order);
            assert_eq!(got.map(|r| r.date), want, "{raw}");
            assert_eq!(got.and_then(|r| r.warning), warning, "{raw}");
        }
    }

    #[test]
    fn text_that_is_not_a_date() {
        for raw in [
            "yesterday",
            "INV-2024-001",
            "March 2024",
            "15 March 2024 Invoice",
            "12345",
            "1 2 3 4",
            "15 Foo 2024",
            "15 March 0024",
            "ma 5 2024",
        ] {
            assert_eq!(parse_date(raw, None), None, "{raw}");
        }
        assert_eq!(parse_date(&"1 ".repeat(100), None), None);
    }

    #[test]
    fn abbreviations_are_starts_of_one_month_only() {
        assert_eq!(month_of("septem"), Some(9));
        assert_eq!(month_of("febr"), Some(2));
        assert_eq!(month_of("ju"), None);
        assert_eq!(month_of("juil"), Some(7));
        assert_eq!(month_of("ma"), None);
    }
}

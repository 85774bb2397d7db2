//! Reading amounts of money and numbers as printed on documents in many countries: `$1,234.56`,
//! `1.234,56 €`, `CHF 1'234.50`, `1 234,56 zł`, `-12`, `12-`, `(45.00)`.
//! Full-width digits, non-breaking and thin spaces, typographic minus signs and apostrophes are folded
//! to ASCII first (`normalise::compatibility_folded`).

use crate::model::DecimalSeparator;
use crate::policy::normalise::compatibility_folded;

/// An amount read from text. `decimals` is how many fraction digits were printed, so sums can be
/// rounded back to what the document shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amount {
    pub value: f64,
    pub decimals: u32,
    /// One separator followed by exactly three digits (`1.234`, `5,000`) and no setting to decide: read
    /// as a thousands group, and to be flagged.
    pub ambiguous: bool,
}

/// Currency signs and codes accepted around an amount (compared in lower case). ISO 4217 codes of the
/// currencies most invoices use, the symbols, and the local abbreviations printed instead of a code.
const CURRENCIES: &[&str] = &[
    "$", "€", "£", "¥", "₹", "₽", "₩", "₺", "₪", "₫", "₴", "₦", "₱", "฿", "¢", "r$", "us$", "c$",
    "a$", "au$", "ca$", "hk$", "nz$", "s$", "mx$", "kr", "kr.", "zł", "zl", "kč", "kc", "ft",
    "lei", "fr.", "fr", "sfr", "rs", "rs.", "eur", "usd", "gbp", "chf", "jpy", "cny", "rmb", "sek",
    "nok", "dkk", "isk", "pln", "czk", "huf", "ron", "bgn", "rsd", "try", "rub", "uah", "cad",
    "aud", "nzd", "hkd", "sgd", "inr", "brl", "mxn", "ars", "clp", "cop", "pen", "zar", "aed",
    "sar", "ils", "krw", "thb", "idr", "myr", "php", "vnd", "twd", "egp", "mad", "ngn", "kes",
];

/// Longest text accepted as an amount; a longer one is a sentence, not a number.
const MAX_AMOUNT_LEN: usize = 64;

/// Why a text is not an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAnAmount {
    NoDigits,
    /// Words around the digits that are not a currency (`12 items`, `INV-2024-001`).
    OtherText,
    /// Separators in places no number format puts them (`1.2.3`, `12 34`).
    BadGrouping,
}

/// Reads `raw` as an amount. `fixed` is the template's decimal separator, if set.
pub fn parse_amount(raw: &str, fixed: Option<DecimalSeparator>) -> Result<Amount, NotAnAmount> {
    let folded = compatibility_folded(raw);
    let raw = folded.trim();
    if raw.len() > MAX_AMOUNT_LEN {
        return Err(NotAnAmount::OtherText);
    }
    let chars: Vec<char> = raw.chars().collect();
    let first_digit = chars
        .iter()
        .position(char::is_ascii_digit)
        .ok_or(NotAnAmount::NoDigits)?;
    let last_digit = chars
        .iter()
        .rposition(char::is_ascii_digit)
        .ok_or(NotAnAmount::NoDigits)?;
    // A leading decimal separator belongs to the number (`.5`, `,75`).
    let start = if first_digit > 0 && matches!(chars[first_digit - 1], '.' | ',') {
        first_digit - 1
    } else {
        first_digit
    };
    let core: String = chars[start..=last_digit].iter().collect();
    let before: String = chars[..start].iter().collect();
    let after: String = chars[last_digit + 1..].iter().collect();
    let negative = sign_of(&before, &after)?;
    let (value, decimals, ambiguous) = read_core(&core, fixed)?;
    Ok(Amount {
        value: if negative && value != 0.0 {
            -value
        } else {
            value
        },
        decimals,
        ambiguous,
    })
}

/// Whether the text around the digits makes the amount negative; an error if it holds anything but
/// signs, parentheses, currencies and, before the amount only, words (a label: `Total 12.00`).
fn sign_of(before: &str, after: &str) -> Result<bool, NotAnAmount> {
    let before = before.trim();
    // Words before the amount are a label, left out: try the text after each space.
    let (open, negative_before) = std::iter::once(before)
        .chain(before.match_indices(' ').map(|(i, _)| &before[i + 1..]))
        .find_map(|tail| leading_marks(tail).ok())
        .ok_or(NotAnAmount::OtherText)?;
    let negative_after = trailing_marks(after.trim(), open)?;
    Ok(negative_before || negative_after)
}

/// Signs, an opening parenthesis and currencies before the digits: (parenthesis open, negative).
fn leading_marks(mut rest: &str) -> Result<(bool, bool), NotAnAmount> {
    let (mut open, mut negative) = (false, false);
    while !rest.is_empty() {
        let c = rest.chars().next().unwrap_or(' ');
        if c == '-' {
            negative = true;
            rest = &rest[1..];
        } else if c == '+' {
            rest = &rest[1..];
        } else if c == '(' {
            open = true;
            rest = &rest[1..];
        } else if let Some(len) = currency_at(rest) {
            rest = &rest[len..];
        } else {
            return Err(NotAnAmount::OtherText);
        }
        rest = rest.trim_start();
    }
    Ok((open, negative))
}

/// Signs, the closing parenthesis, currencies, a percent sign and one punctuation mark after the digits.
fn trailing_marks(mut rest: &str, mut open: bool) -> Result<bool, NotAnAmount> {
    let mut negative = false;
    while !rest.is_empty() {
        let c = rest.chars().next().unwrap_or(' ');
        if c == '-' {
            negative = true;
            rest = &rest[1..];
        } else if c == ')' && open {
            negative = true;
            open = false;
            rest = &rest[1..];
        } else if let Some(len) = currency_at(rest) {
            rest = &rest[len..];
        } else if c == '%' {
            // A rate (`19 %`) reads as its number.
            rest = &rest[1..];
        } else if matches!(c, '.' | ',' | ':' | ';' | '*') && rest.len() == 1 {
            // Sentence punctuation after the amount (`... 12.00.`).
            rest = "";
        } else {
            return Err(NotAnAmount::OtherText);
        }
        rest = rest.trim_start();
    }
    if open {
        return Err(NotAnAmount::OtherText);
    }
    Ok(negative)
}

/// Byte length of the currency sign or code that starts `text`, if one does and ends there.
fn currency_at(text: &str) -> Option<usize> {
    let lower = text.to_lowercase();
    CURRENCIES
        .iter()
        .filter(|c| {
            lower.starts_with(**c)
                && lower[c.len()..]
                    .chars()
                    .next()
                    .is_none_or(|n| !n.is_alphabetic())
        })
        .map(|c| c.len())
        .max()
        // Lower-casing keeps these byte lengths: the list is ASCII or has the same length either case.
        .filter(|len| text.is_char_boundary(*len))
}

/// Reads the digits and separators between the first and the last digit.
fn read_core(core: &str, fixed: Option<DecimalSeparator>) -> Result<(f64, u32, bool), NotAnAmount> {
    if core
        .chars()
        .any(|c| !(c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '\'')))
    {
        return Err(NotAnAmount::OtherText);
    }
    let marks: Vec<(usize, char)> = core
        .char_indices()
        .filter(|(_, c)| !c.is_ascii_digit())
        .collect();
    if marks.windows(2).any(|w| w[1].0 == w[0].0 + 1) {
        // Two separators in a row (`1,,5`, `1. 234`).
        return Err(NotAnAmount::BadGrouping);
    }
    let (decimal_at, ambiguous) = decimal_position(core, &marks, fixed)?;
    let (int_part, frac_part) = match decimal_at {
        Some(at) => (&core[..at], &core[at + 1..]),
        None => (core, ""),
    };
    check_grouping(int_part)?;
    let units: String = int_part.chars().filter(char::is_ascii_digit).collect();
    let units = if units.is_empty() {
        "0".to_string()
    } else {
        units
    };
    let text = if frac_part.is_empty() {
        units
    } else {
        format!("{units}.{frac_part}")
    };
    let value: f64 = text.parse().map_err(|_| NotAnAmount::BadGrouping)?;
    Ok((value, frac_part.len() as u32, ambiguous))
}

/// Where the decimal separator is, if any, and whether that was a guess.
fn decimal_position(
    core: &str,
    marks: &[(usize, char)],
    fixed: Option<DecimalSeparator>,
) -> Result<(Option<usize>, bool), NotAnAmount> {
    let points: Vec<usize> = marks
        .iter()
        .filter(|(_, c)| matches!(c, '.' | ','))
        .map(|(i, _)| *i)
        .collect();
    let Some(&last) = points.last() else {
        return Ok((None, false));
    };
    let last_char = core.as_bytes()[last] as char;
    let digits_after = core.len() - last - 1;
    if let Some(sep) = fixed {
        let sep = sep.as_char();
        let count = points
            .iter()
            .filter(|&&i| core.as_bytes()[i] as char == sep)
            .count();
        return match count {
            0 => Ok((None, false)),
            1 if last_char == sep => Ok((Some(last), false)),
            _ => Err(NotAnAmount::BadGrouping),
        };
    }
    let same_kind = points
        .iter()
        .filter(|&&i| core.as_bytes()[i] as char == last_char)
        .count();
    if same_kind > 1 {
        // `1.234.567` or `1,234,567`: only groups, if the other kind does not follow (checked later).
        return Ok((None, false));
    }
    if points.len() > 1 {
        // Mixed kinds: the last one is the decimal point (`1,234.56`, `1.234,56`).
        return Ok((Some(last), false));
    }
    let units: String = core[..last].chars().filter(char::is_ascii_digit).collect();
    let reads_as_group = digits_after == 3
        && !units.is_empty()
        && !units.starts_with('0')
        && (units.len() <= 3 || core[..last].contains([' ', '\'']));
    if reads_as_group {
        // `1.234` is 1234 to a German and 1.234 to an American: take the group, and say so.
        return Ok((None, true));
    }
    Ok((Some(last), false))
}

/// Groups of the integer part: the first of 1 to 3 digits, the others of 3 (2 also allowed before the
/// last, as Indian numbering writes `1,23,456`). Without separators, any number of digits.
fn check_grouping(int_part: &str) -> Result<(), NotAnAmount> {
    let groups: Vec<&str> = int_part.split(['.', ',', ' ', '\'']).collect();
    if groups.len() == 1 {
        return Ok(());
    }
    let last = groups.len() - 1;
    let fits = groups.iter().enumerate().all(|(i, g)| match i {
        0 => (1..=3).contains(&g.len()),
        i if i == last => g.len() == 3,
        _ => g.len() == 3 || g.len() == 2,
    });
    if fits {
        Ok(())
    } else {
        Err(NotAnAmount::BadGrouping)
    }
}

#[cfg(test)]
mod tests;

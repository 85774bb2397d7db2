//! Unit tests of `amounts.rs`.

use super::*;
use DecimalSeparator::{Comma, Point};

fn read(raw: &str, fixed: Option<DecimalSeparator>) -> Option<(f64, bool)> {
    parse_amount(raw, fixed)
        .ok()
        .map(|a| (a.value, a.ambiguous))
}

#[test]
fn formats_of_many_countries() {
    let table: &[(&str, Option<(f64, bool)>)] = &[
        ("$1,234.56", Some((1234.56, false))),
        ("1.234,56 EUR", Some((1234.56, false))),
        ("1.234,56 €", Some((1234.56, false))),
        ("€ 1.234,56", Some((1234.56, false))),
        ("CHF 1'234.50", Some((1234.5, false))),
        ("1 234,56 zł", Some((1234.56, false))),
        ("1 234 567,8 kr", Some((1234567.8, false))),
        ("USD 1 000 000.00", Some((1_000_000.0, false))),
        ("£12", Some((12.0, false))),
        ("12.5", Some((12.5, false))),
        ("717,97", Some((717.97, false))),
        ("0,5", Some((0.5, false))),
        (".75", Some((0.75, false))),
        ("0.125", Some((0.125, false))),
        ("1234.567", Some((1234.567, false))),
        ("1.2345", Some((1.2345, false))),
        ("1,23,456.00", Some((123456.0, false))),
        ("1.234.567", Some((1234567.0, false))),
        ("1,234,567", Some((1234567.0, false))),
        ("12 Kč", Some((12.0, false))),
        ("R$ 1.500,00", Some((1500.0, false))),
        ("100.00.", Some((100.0, false))),
        ("kr. 99,95", Some((99.95, false))),
        ("Total Due: $1,234.56", Some((1234.56, false))),
        ("Total (incl. VAT) -12,00 €", Some((-12.0, false))),
        ("19 %", Some((19.0, false))),
        // Compatibility forms: full-width comma and digits, narrow no-break space, minus sign.
        ("717，97", Some((717.97, false))),
        ("１２３,４５ €", Some((123.45, false))),
        ("1\u{202f}234,56", Some((1234.56, false))),
        ("\u{2212}5.00", Some((-5.0, false))),
        ("CHF 1\u{2019}234.50", Some((1234.5, false))),
    ];
    for (raw, want) in table {
        assert_eq!(read(raw, None), *want, "{raw}");
    }
}

#[test]
fn negatives() {
    for raw in [
        "-12.00",
        "12.00-",
        "(12.00)",
        "€ -12,00",
        "-€12.00",
        "(USD 12.00)",
        "12,00 EUR-",
    ] {
        assert_eq!(read(raw, None), Some((-12.0, false)), "{raw}");
    }
    assert_eq!(read("(12.00", None), None);
    assert_eq!(read("-0", None), Some((0.0, false)));
}

#[test]
fn one_separator_before_three_digits_is_ambiguous_unless_fixed() {
    assert_eq!(read("1.234", None), Some((1234.0, true)));
    assert_eq!(read("5,000", None), Some((5000.0, true)));
    assert_eq!(read("€ 717,970", None), Some((717970.0, true)));
    assert_eq!(read("1.234", Some(Point)), Some((1.234, false)));
    assert_eq!(read("1.234", Some(Comma)), Some((1234.0, false)));
    assert_eq!(read("5,000", Some(Comma)), Some((5.0, false)));
    assert_eq!(read("5,000", Some(Point)), Some((5000.0, false)));
    assert_eq!(read("1.234,56", Some(Comma)), Some((1234.56, false)));
    // The fixed separator cannot be a group: `1.234.567` with a decimal point is not a number.
    assert_eq!(read("1.234.567", Some(Point)), None);
    assert_eq!(read("1,234.56", Some(Comma)), None);
}

#[test]
fn text_that_is_not_one_amount() {
    for raw in [
        "n/a",
        "INV-2024-001",
        "12 items",
        "12 34",
        "1.2.3",
        "1,,5",
        "12.00 15.00",
        "1,2345,678",
        "Qty 2 12.00",
        "12.00 EUR net",
    ] {
        assert!(parse_amount(raw, None).is_err(), "{raw}");
    }
    assert_eq!(parse_amount("abc", None), Err(NotAnAmount::NoDigits));
    assert_eq!(
        parse_amount(&"9".repeat(100), None),
        Err(NotAnAmount::OtherText)
    );
}

#[test]
fn decimals_printed_are_counted() {
    assert_eq!(parse_amount("1.50", None).map(|a| a.decimals), Ok(2));
    assert_eq!(parse_amount("1,234", None).map(|a| a.decimals), Ok(0));
}

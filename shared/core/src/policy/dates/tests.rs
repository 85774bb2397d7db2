//! Unit tests of `dates.rs`.

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

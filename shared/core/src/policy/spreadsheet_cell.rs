//! CSV injection (OWASP, "CSV Injection"): a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@`
//! as a formula, and a leading tab or carriage return can hide such a start. Text we did not write
//! ourselves (document text, file names, static values, field and column names) is written with a
//! single quote in front when it starts that way, so it is shown as text and never run.
//!
//! A JSON number is written in the form we print (`-12.5`, `1e300`), which a spreadsheet reads as a
//! number, not a formula: numbers are left as they are so they stay numbers.

use std::borrow::Cow;

const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// The text as a spreadsheet should show it: quoted when it would start a formula.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_quoted() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(neutralise(formula), format!("'{formula}"));
        }
        for text in ["Invoice 7", "a=b", "", "'already", "1-2", " =1"] {
            assert_eq!(neutralise(text), text);
        }
    }
}

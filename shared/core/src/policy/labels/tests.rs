//! Unit tests of `labels.rs`.

use super::*;
use crate::policy::layout::lines;
use crate::policy::layout::tests::{page, word};

#[test]
fn labels_ignore_case_spaces_and_compatibility_forms() {
    assert_eq!(
        find_label("InvoiceNumber:INV-1", "Invoice Number:"),
        Some((0, 14))
    );
    assert_eq!(
        find_label("in voice  number: x", "Invoice Number:"),
        Some((0, 17))
    );
    assert_eq!(
        find_label("Subtotal: 5\tTotal: 6", "total:"),
        Some((12, 18))
    );
    assert_eq!(find_label("Subtotal: 5", "total"), None);
    assert_eq!(find_label("ÉTÉ: x", "été:"), Some((0, 6)));
    assert_eq!(find_label("Total： 5", "Total:"), Some((0, 8)));
    assert_eq!(find_labels("Ref: A Ref: B", "Ref:"), vec![(0, 4), (7, 11)]);
}

fn values(words: Vec<crate::ports::Word>, label: &str, others: &[&str]) -> Vec<(String, bool)> {
    let p = page(1, words);
    find_after_label(&lines(&p), 1, label, LabelDirection::Right, others)
        .into_iter()
        .map(|f| (f.raw, f.ran_into_label))
        .collect()
}

/// `Invoice Number: QX-58213  Invoice Date: March 15, 2024`, one space between the two.
fn shared_line() -> Vec<crate::ports::Word> {
    vec![
        word("Invoice", 50.0, 100.0),
        word("Number:", 98.0, 100.0),
        word("QX-58213", 146.0, 100.0),
        word("Invoice", 200.0, 100.0),
        word("Date:", 248.0, 100.0),
        word("March", 284.0, 100.0),
        word("15,", 320.0, 100.0),
        word("2024", 342.0, 100.0),
    ]
}

#[test]
fn a_value_stops_where_another_label_of_the_template_starts() {
    let others = ["Invoice Number:", "Invoice Date:"];
    assert_eq!(
        values(shared_line(), "Invoice Number:", &others),
        vec![("QX-58213".to_string(), false)]
    );
    assert_eq!(
        values(shared_line(), "Invoice Date:", &others),
        vec![("March 15, 2024".to_string(), false)]
    );
    // Without the other label in the template, the value runs on, and says so.
    assert_eq!(
        values(shared_line(), "Invoice Number:", &["Invoice Number:"]),
        vec![("QX-58213 Invoice Date: March 15, 2024".to_string(), true)]
    );
}

#[test]
fn a_row_of_labels_reads_each_value_under_its_label() {
    let words = vec![
        word("Invoice", 50.0, 100.0),
        word("Number:", 98.0, 100.0),
        word("Invoice", 150.0, 100.0),
        word("Date:", 198.0, 100.0),
        word("QX-58213", 50.0, 114.0),
        word("2024-03-15", 150.0, 114.0),
    ];
    let others = ["Invoice Number:", "Invoice Date:"];
    assert_eq!(
        values(words.clone(), "Invoice Number:", &others),
        vec![("QX-58213".to_string(), false)]
    );
    assert_eq!(
        values(words, "Invoice Date:", &others),
        vec![("2024-03-15".to_string(), false)]
    );
}

#[test]
fn values_that_run_into_a_label_are_recognised() {
    assert!(looks_ran_into_label("OD3041750960 Billing Address"));
    assert!(looks_ran_into_label("QX-58213 Invoice Date: March 15"));
    assert!(looks_ran_into_label("304175096012 Shipping"));
    assert!(!looks_ran_into_label("QX-58213"));
    assert!(!looks_ran_into_label("Globex Ltd"));
    assert!(!looks_ran_into_label("12 rue de la Paix"));
    assert!(!looks_ran_into_label("INV-2024-001"));
    assert!(!looks_ran_into_label("Suite 200"));
}

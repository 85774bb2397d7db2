//! Unit tests of `tables.rs`.

use super::*;
use crate::policy::layout::lines;
use crate::policy::layout::tests::{page, word};
use serde_json::json;

fn columns() -> Vec<TableColumn> {
    let column = |name: &str, header: &str, column_type| TableColumn {
        name: name.into(),
        header: header.into(),
        column_type,
    };
    vec![
        column("description", "Description", FieldType::Text),
        column("qty", "Qty", FieldType::Number),
        column("unit_price", "Unit Price", FieldType::Money),
        column("amount", "Amount", FieldType::Money),
    ]
}

/// A row at height `y`: description at 50, quantity at 300, unit price at 360, amount at 460.
fn row(description: &str, qty: &str, price: &str, amount: &str, y: f32) -> Vec<Word> {
    let mut words = Vec::new();
    let mut x = 50.0;
    for part in description.split(' ') {
        words.push(word(part, x, y));
        x += 6.0 * part.len() as f32 + 4.0;
    }
    words.push(word(qty, 300.0, y));
    words.push(word(price, 360.0, y));
    words.push(word(amount, 460.0, y));
    words
}

fn header(y: f32) -> Vec<Word> {
    vec![
        word("Description", 50.0, y),
        word("Qty", 300.0, y),
        word("Unit", 360.0, y),
        word("Price", 390.0, y),
        word("Amount", 460.0, y),
    ]
}

#[test]
fn rows_over_a_page_break_until_the_stop_label() {
    let mut one = vec![word("Invoice", 50.0, 40.0), word("7", 100.0, 40.0)];
    one.extend(header(100.0));
    one.extend(row("Widget large", "2", "10.00", "20.00", 120.0));
    // A wrapped description continues the row above.
    one.push(word("(blue)", 50.0, 132.0));
    one.extend(row("Gadget", "1", "5.50", "5.50", 150.0));
    // A page footer ends the page's rows, not the table.
    one.push(word("Thank", 50.0, 800.0));
    one.push(word("you", 90.0, 800.0));
    // Page 2 repeats no header; its page heading is not a row.
    let mut two = vec![word("Invoice", 50.0, 40.0), word("continued", 100.0, 40.0)];
    two.extend(row("Service fee", "3", "1.234,50", "3.703,50", 100.0));
    two.push(word("Subtotal", 300.0, 130.0));
    two.push(word("29.20", 460.0, 130.0));
    two.extend(row("Not an item", "9", "9.00", "81.00", 150.0));
    let pages = [page(1, one), page(2, two)];
    let laid: Vec<Vec<Line>> = pages.iter().map(lines).collect();
    let page_lines: Vec<PageLines> = laid
        .iter()
        .enumerate()
        .map(|(i, l)| PageLines {
            number: i as u32 + 1,
            lines: l,
        })
        .collect();
    let got = read_table(
        "items",
        &columns(),
        &["Subtotal".to_string(), "Total".to_string()],
        &page_lines,
        ReadingRules::default(),
    );
    assert_eq!(
        got.value,
        json!([
            {"description": "Widget large (blue)", "qty": 2, "unit_price": 10, "amount": 20},
            {"description": "Gadget", "qty": 1, "unit_price": 5.5, "amount": 5.5},
            {"description": "Service fee", "qty": 3, "unit_price": 1234.5, "amount": 3703.5},
        ])
    );
    assert_eq!(got.page, Some(1));
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    assert_eq!(
        got.raw.as_deref(),
        Some("Description\tQty\tUnit Price\tAmount")
    );
}

#[test]
fn no_header_no_table_and_bad_cells_are_flagged() {
    let none = [page(1, row("Widget", "2", "10.00", "20.00", 120.0))];
    let laid: Vec<Line> = lines(&none[0]);
    let pages = [PageLines {
        number: 1,
        lines: &laid,
    }];
    let got = read_table("items", &columns(), &[], &pages, ReadingRules::default());
    assert_eq!((got.value, got.raw), (Value::Null, None));

    let mut words = header(100.0);
    words.extend(row("Widget", "two", "10.00", "20.00", 120.0));
    let p = page(1, words);
    let laid = lines(&p);
    let pages = [PageLines {
        number: 1,
        lines: &laid,
    }];
    let got = read_table("items", &columns(), &[], &pages, ReadingRules::default());
    assert_eq!(
        got.value,
        json!([{"description": "Widget", "qty": null, "unit_price": 10, "amount": 20}])
    );
    let codes: Vec<_> = got.warnings.iter().map(|w| w.code.as_str()).collect();
    assert_eq!(codes, vec!["not_a_valid_number", "incomplete_table_row"]);
}

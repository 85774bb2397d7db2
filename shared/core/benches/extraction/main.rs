//! Extraction cost per page with a 40-field template: `cargo bench -p pagewire-core --bench extraction`.
//!
//! A 20-page invoice laid out as a text layer gives it (header labels sharing lines, two columns, a
//! line-item table over every page); the template has 20 label rules, 14 regular expressions (Unicode
//! classes such as `IBAN\s+(\w{10,30})` among them), 3 regions, 2 multi-match fields and a table.
//!
//! `compiled once` is what processing does: the template compiled once per document. `compiled per
//! page` compiles it again for every page, as extraction did before, to show what compiling once saves.
//! Two groups: `extraction_40_fields` is criterion's wall time; `extraction_40_fields_cpu` is the same
//! work in this thread's CPU time, which stays meaningful when other processes share the cores.

#[path = "../signing/thread_cpu.rs"]
mod thread_cpu;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use pagewire_core::ids::{TemplateId, TenantId};
use pagewire_core::model::{BoundingBox, DateOrder, FieldSpec, Template};
use pagewire_core::policy::extraction::CompiledTemplate;
use pagewire_core::ports::{PageText, TextSource, Word};
use serde_json::json;
use std::hint::black_box;
use thread_cpu::ThreadCpuTime;

const PAGES: u32 = 20;

/// A word at (x, y) in points of an A4 page, 10 pt tall, 5.5 pt per character.
fn word(text: &str, x: f32, y: f32) -> Word {
    Word {
        text: text.to_string(),
        bbox: BoundingBox {
            x: x / 595.0,
            y: y / 842.0,
            width: 5.5 * text.chars().count() as f32 / 595.0,
            height: 10.0 / 842.0,
        },
        confidence: 1.0,
    }
}

/// The words of one line starting at `x`, spaced like a text layer.
fn line(text: &str, x: f32, y: f32, out: &mut Vec<Word>) {
    let mut at = x;
    for part in text.split(' ') {
        out.push(word(part, at, y));
        at += 5.5 * part.chars().count() as f32 + 3.0;
    }
}

fn page(number: u32) -> PageText {
    let mut words = Vec::new();
    line("ACME Corporation GmbH", 40.0, 40.0, &mut words);
    line(&format!("Page {number}/{PAGES}"), 480.0, 40.0, &mut words);
    line(
        "Invoice Number: QX-58213 Invoice Date: 15. März 2024",
        40.0,
        80.0,
        &mut words,
    );
    line("Customer No: C-1002", 40.0, 95.0, &mut words);
    line("Due Date: 14/04/2024", 330.0, 95.0, &mut words);
    line("Order Ref: PO-7781", 40.0, 110.0, &mut words);
    line("VAT ID: DE123456789", 330.0, 110.0, &mut words);
    line("Bill To:", 40.0, 130.0, &mut words);
    line("Ship To:", 330.0, 130.0, &mut words);
    line("Globex Ltd", 40.0, 145.0, &mut words);
    line("Initech SA", 330.0, 145.0, &mut words);
    line("Description", 40.0, 180.0, &mut words);
    line("Qty", 330.0, 180.0, &mut words);
    line("Unit Price", 390.0, 180.0, &mut words);
    line("Amount", 500.0, 180.0, &mut words);
    for row in 0..20 {
        let y = 200.0 + 14.0 * row as f32;
        line(
            &format!("Consulting services item {row}"),
            40.0,
            y,
            &mut words,
        );
        line(&format!("{}", row + 1), 330.0, y, &mut words);
        line("1.250,00", 390.0, y, &mut words);
        line(&format!("{},00", 1250 * (row + 1)), 500.0, y, &mut words);
    }
    if number == PAGES {
        line("Subtotal", 390.0, 500.0, &mut words);
        line("262.500,00", 500.0, 500.0, &mut words);
        line("Total Due: € 312.375,00", 330.0, 515.0, &mut words);
    }
    line(
        "IBAN DE89370400440532013000 BIC COBADEFFXXX",
        40.0,
        780.0,
        &mut words,
    );
    line(
        "Payment terms: 30 days net, ref REF-2024-0001 REF-2024-0002",
        40.0,
        795.0,
        &mut words,
    );
    PageText {
        number,
        aspect: 595.0 / 842.0,
        words,
        source: TextSource::TextLayer,
    }
}

fn template() -> Template {
    let label = |name: &str, ty: &str, label: &str| json!({"name": name, "type": ty, "rule": {"kind": "label", "label": label}});
    let regex = |name: &str, ty: &str, pattern: &str| json!({"name": name, "type": ty, "rule": {"kind": "regex", "pattern": pattern}});
    let region = |name: &str, y: f32| json!({"name": name, "type": "text", "rule": {"kind": "region", "page": 1, "x": 0.05, "y": y, "width": 0.5, "height": 0.03}});
    let mut fields = vec![
        label("invoice_number", "text", "Invoice Number:"),
        label("invoice_date", "date", "Invoice Date:"),
        label("customer_no", "text", "Customer No:"),
        label("due_date", "date", "Due Date:"),
        label("order_ref", "text", "Order Ref:"),
        label("vat_id", "text", "VAT ID:"),
        json!({"name": "bill_to", "type": "text", "rule": {"kind": "label", "label": "Bill To:", "direction": "below"}}),
        json!({"name": "ship_to", "type": "text", "rule": {"kind": "label", "label": "Ship To:", "direction": "below"}}),
        label("total_due", "money", "Total Due:"),
        label("subtotal", "money", "Subtotal"),
        label("payment_terms", "text", "Payment terms:"),
        regex("iban", "text", r"IBAN\s+(\w{10,30})"),
        regex("bic", "text", r"BIC\s+(\w{8,11})"),
        regex("refs_first", "text", r"REF-\d{4}-\d{4}"),
        regex("page_count", "number", r"Page \d+/(\d+)"),
        regex("vat_regex", "text", r"(?i)vat\s+id:\s*([A-Z]{2}\d{9})"),
        regex("company", "text", r"^(\p{Lu}\w+ \w+)"),
        regex("total_regex", "money", r"Total Due:\s*(.+)$"),
        regex("date_words", "date", r"(\d{1,2}\.\s*\p{L}+\.?\s+\d{4})"),
        region("header", 0.04),
        region("customer_block", 0.17),
        region("footer", 0.92),
        json!({"name": "refs", "type": "text", "match": "all", "rule": {"kind": "regex", "pattern": r"REF-\d{4}-\d{4}"}}),
        json!({"name": "line_total", "type": "money", "match": "sum", "rule": {"kind": "regex", "pattern": r"\t(\d{1,3}(?:\.\d{3})*,\d{2})$"}}),
        json!({"name": "items", "type": "table", "rule": {"kind": "table", "stop": ["Subtotal", "Total"], "columns": [
            {"name": "description", "header": "Description"},
            {"name": "qty", "header": "Qty", "type": "number"},
            {"name": "unit_price", "header": "Unit Price", "type": "money"},
            {"name": "amount", "header": "Amount", "type": "money"}
        ]}}),
    ];
    // Labels and patterns a document does not hold: every page is searched in vain.
    for i in 0..9 {
        fields.push(label(
            &format!("missing_label_{i}"),
            "text",
            &format!("Missing Label {i}:"),
        ));
    }
    for i in 0..6 {
        fields.push(regex(
            &format!("missing_regex_{i}"),
            "text",
            &format!(r"Nothing{i}\s+(\w+)"),
        ));
    }
    assert_eq!(fields.len(), 40);
    let fields: Vec<FieldSpec> = serde_json::from_value(json!(fields)).expect("fields");
    Template {
        id: TemplateId::random(),
        tenant_id: TenantId::random(),
        name: "bench".to_string(),
        fields,
        date_order: Some(DateOrder::DayMonthYear),
        decimal_separator: None,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
        version: 0,
    }
}

fn extraction<M: Measurement>(mut group: BenchmarkGroup<'_, M>) {
    let pages: Vec<PageText> = (1..=PAGES).map(page).collect();
    let template = template();
    let got = CompiledTemplate::new(&template).extract(&pages, &|| false);
    let value = |name: &str| &got.iter().find(|f| f.name == name).expect("field").value;
    // The bench measures extraction that works: a few values checked once.
    assert_eq!(value("invoice_number"), &json!("QX-58213"));
    assert_eq!(value("invoice_date"), &json!("2024-03-15"));
    assert_eq!(value("iban"), &json!("DE89370400440532013000"));
    assert_eq!(value("total_due"), &json!(312375));
    assert_eq!(
        value("items").as_array().map(Vec::len),
        Some(20 * PAGES as usize)
    );

    group.throughput(Throughput::Elements(u64::from(PAGES)));
    group.sample_size(20);
    group.bench_function("compiled_once", |b| {
        b.iter(|| CompiledTemplate::new(&template).extract(black_box(&pages), &|| false))
    });
    group.bench_function("compiled_per_page", |b| {
        b.iter(|| {
            pages
                .iter()
                .map(|p| {
                    CompiledTemplate::new(&template)
                        .extract(black_box(std::slice::from_ref(p)), &|| false)
                })
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

fn extraction_wall(c: &mut Criterion) {
    extraction(c.benchmark_group("extraction_40_fields"));
}

fn extraction_cpu(c: &mut Criterion<ThreadCpuTime>) {
    extraction(c.benchmark_group("extraction_40_fields_cpu"));
}

criterion_group!(wall, extraction_wall);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = extraction_cpu
}
criterion_main!(wall, cpu);

//! Document processing figures for BENCHMARKS.md (run by scripts/bench-processing.sh, `--release`):
//! text-PDF pages per second on one core, OCR seconds per A4 page (150 dpi), the models' load time, and
//! how many invoice fields come out right in every form of the invoice.
//!
//! Modes: no argument = everything; `--peak FILE` = read one file once and print the peak resident
//! memory (a fresh process, so the figure is that of one OCR page); `--write-pdf PATH` = write the
//! 20-page text PDF the comparison with pdftotext uses.

use pagewire_core::model::FileKind;
use pagewire_core::policy::extraction::extract_fields;
use pagewire_core::ports::DocumentReader;
use pagewire_extract::fixtures::{image_pdf, invoice_pdf, invoice_runs, positioned_pdf};
use std::path::Path;
use std::time::Instant;

#[path = "support/ocr_reader.rs"]
mod ocr_reader;
use ocr_reader::ocr_reader as reader;
#[path = "support/invoice_template.rs"]
mod invoice_template;
use invoice_template::{expected, template};
#[path = "support/peak_memory.rs"]
mod peak_memory;
use peak_memory::peak_rss_mib;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn twenty_page_pdf() -> Vec<u8> {
    positioned_pdf(&vec![invoice_runs(); 20], None)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--write-pdf") {
        std::fs::write(&args[i + 1], twenty_page_pdf()).expect("writes the PDF");
        return;
    }
    let reader = reader();
    if let Some(i) = args.iter().position(|a| a == "--peak") {
        let bytes = std::fs::read(&args[i + 1]).expect("readable file");
        let kind = pagewire_core::policy::file_kind::sniff(&bytes).expect("a supported file");
        let started = Instant::now();
        let doc = reader.read(kind, &bytes).expect("reads");
        println!(
            "peak: {} pages in {:.2} s (models loaded in this run), peak RSS {:.0} MiB",
            doc.pages.len(),
            started.elapsed().as_secs_f64(),
            peak_rss_mib()
        );
        return;
    }

    // 1. Text layer: parse, place words, lay out and apply the template, one thread.
    let pdf = twenty_page_pdf();
    let t = template();
    let rounds = 25;
    let started = Instant::now();
    for _ in 0..rounds {
        let doc = reader.read(FileKind::Pdf, &pdf).expect("reads");
        assert_eq!(doc.pages.len(), 20);
        std::hint::black_box(extract_fields(&t, &doc.pages));
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "text PDF: {} pages in {secs:.3} s = {:.0} pages/s (one thread)",
        rounds * 20,
        (rounds * 20) as f64 / secs
    );

    // 2. OCR: the first page pays for loading the models (cold start); then steady state.
    let png = fixture("invoice.png");
    let started = Instant::now();
    reader.read(FileKind::Png, &png).expect("reads");
    println!(
        "OCR cold start (model load + first page): {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let scan = fixture("invoice-scan.jpg");
    let forms: Vec<(&str, FileKind, Vec<u8>)> = vec![
        ("invoice.pdf (text layer)", FileKind::Pdf, invoice_pdf()),
        ("invoice.png (150 dpi)", FileKind::Png, png),
        (
            "invoice.jpg (150 dpi)",
            FileKind::Jpeg,
            fixture("invoice.jpg"),
        ),
        (
            "invoice-scan.jpg (2 deg skew, noise)",
            FileKind::Jpeg,
            scan.clone(),
        ),
        (
            "invoice-scan.pdf (scan in a PDF)",
            FileKind::Pdf,
            image_pdf(&scan, 1240, 1754, true),
        ),
    ];
    let want = expected();
    let (mut right_total, mut expected_total) = (0, 0);
    for (name, kind, bytes) in &forms {
        let reps = 3;
        let started = Instant::now();
        let mut pages = Vec::new();
        for _ in 0..reps {
            pages = reader.read(*kind, bytes).expect("reads").pages;
        }
        let per_page = started.elapsed().as_secs_f64() / reps as f64;
        let got = extract_fields(&t, &pages);
        let right = got
            .iter()
            .zip(&want)
            .filter(|(g, w)| g.value == **w)
            .count();
        let wrong: Vec<&str> = got
            .iter()
            .zip(&want)
            .filter(|(g, w)| g.value != **w)
            .map(|(g, _)| g.name.as_str())
            .collect();
        right_total += right;
        expected_total += want.len();
        println!(
            "{name}: {per_page:.3} s/page, fields right {right}/{} {wrong:?}",
            want.len()
        );
    }
    println!("fields right overall: {right_total}/{expected_total}");
    println!("peak RSS of this whole run: {:.0} MiB", peak_rss_mib());
}

//! Accuracy on the extraction corpus (`tests/corpus/`), for BENCHMARKS.md "Accuracy on the corpus":
//!
//!   scripts/bench-accuracy.sh [--models DIR]   (installs pdftotext and tesseract; the shipped OCR
//!                                               models unless DIR names other ones)
//!   cargo bench -p integration-tests --bench accuracy [-- --details] [-- --no-baseline]
//!
//! Every document is read by pagewire and by a baseline (`pdftotext -layout` for text PDFs, `tesseract`
//! for images), and the same template rules (pagewire's rule code) are applied to both. Each field is
//! graded against the truth of the manifest: right, null, wrong with a sign of doubt (a warning, or a
//! confidence under 0.6), or wrong and silent. Then how well the OCR confidence separates right values
//! from wrong ones, and the time per text-PDF page with a 40-field template, against `pdftotext` alone. Under `cargo test` (no `--bench` argument) it grades pagewire on the text
//! PDFs only, as a smoke test.

mod baseline;
mod confidence;

use confidence::Confidences;

use integration_tests::corpus::{grade, manifest, CorpusDocument, Grade};
use pagewire_core::model::{FieldRule, FieldSpec, FieldType};
use pagewire_core::policy::extraction::extract_fields;
use pagewire_core::ports::PageText;
use pagewire_core::Settings;
use pagewire_extract::ocr::OcrSettings;
use pagewire_extract::{PagewireReader, ReaderLimits};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    documents: usize,
    right: usize,
    null: usize,
    flagged: usize,
    silent: usize,
    failed_documents: usize,
    seconds: f64,
    /// CPU time of this whole process (rten's threads included) while reading.
    cpu_seconds: f64,
    pages: usize,
}

/// The process's CPU time so far: on a shared machine the fair measure of what reading costs.
fn process_cpu_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

impl Tally {
    fn fields(&self) -> usize {
        self.right + self.null + self.flagged + self.silent
    }

    fn row(&self, form: &str, reader: &str) -> String {
        let pct = |n: usize| 100.0 * n as f64 / self.fields().max(1) as f64;
        let cpu = if self.cpu_seconds > 0.0 {
            format!(
                "{:.0} ms",
                1000.0 * self.cpu_seconds / self.pages.max(1) as f64
            )
        } else {
            "-".to_string()
        };
        format!(
            "| {form} | {reader} | {} | {} | {} ({:.1} %) | {} | {} | {} | {:.0} ms | {cpu} |",
            self.documents,
            self.fields(),
            self.right,
            pct(self.right),
            self.null,
            self.flagged,
            self.silent,
            1000.0 * self.seconds / self.pages.max(1) as f64
        )
    }
}

fn tally_document(
    tally: &mut Tally,
    doc: &CorpusDocument,
    read: impl FnOnce() -> Result<Vec<PageText>, String>,
    details: bool,
    who: &str,
    mut confidences: Option<&mut Confidences>,
) -> Option<Vec<PageText>> {
    tally.documents += 1;
    let started = Instant::now();
    let cpu_started = process_cpu_seconds();
    let pages = read();
    tally.seconds += started.elapsed().as_secs_f64();
    tally.cpu_seconds += process_cpu_seconds() - cpu_started;
    let pages = match pages {
        Ok(pages) => pages,
        Err(e) => {
            eprintln!("  {who} {}: not read: {e}", doc.file);
            tally.failed_documents += 1;
            tally.null += doc.fields.len();
            return None;
        }
    };
    tally.pages += pages.len().max(1);
    let extracted = doc.extract(&pages).expect("corpus templates are valid");
    for (spec, got) in doc.fields.iter().zip(&extracted) {
        let g = grade(&spec.expected, got);
        // Every value OCR read, right or not: a misread that the type then refuses (null, with the raw
        // text kept) is as wrong a read as one that passes.
        if let (Some(c), Some(confidence)) = (confidences.as_deref_mut(), got.confidence) {
            if got.raw.is_some() {
                match g {
                    Grade::Right => c.right.push(confidence),
                    _ => c.wrong.push(confidence),
                }
            }
        }
        match g {
            Grade::Right => tally.right += 1,
            Grade::Null => tally.null += 1,
            Grade::WrongFlagged => tally.flagged += 1,
            Grade::WrongSilent => tally.silent += 1,
        }
        if details && g != Grade::Right {
            eprintln!(
                "  {who} {} / {}: {g:?}: expected {}, got {} (raw {:?}, confidence {:?})",
                doc.file, spec.name, spec.expected, got.value, got.raw, got.confidence
            );
        }
    }
    Some(pages)
}

/// A template of 40 fields for a document: its own fields, then variants of them (the same rules under
/// other names, labels read below, looser patterns) until there are 40, as a big real template has.
fn forty_fields(doc: &CorpusDocument) -> pagewire_core::model::Template {
    let mut template = doc.template().expect("corpus templates are valid");
    let own = template.fields.clone();
    let mut i = 0;
    while template.fields.len() < 40 {
        let base = &own[i % own.len()];
        let rule = match (&base.rule, i / own.len() % 3) {
            (FieldRule::Label { label, .. }, 1) => FieldRule::Label {
                label: label.clone(),
                direction: pagewire_core::model::LabelDirection::Below,
            },
            (FieldRule::Label { label, .. }, 2) => FieldRule::Regex {
                pattern: format!("{}\\s*(\\S+)", regex_escape(label)),
                group: None,
            },
            (rule, _) => rule.clone(),
        };
        template.fields.push(FieldSpec::new(
            format!("{}_{i}", base.name),
            if i % 4 == 0 {
                FieldType::Text
            } else {
                base.field_type
            },
            rule,
        ));
        i += 1;
    }
    template
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// Milliseconds per page to read every text PDF and apply its 40-field template, and for `pdftotext` alone.
fn speed(reader: &PagewireReader, docs: &[&CorpusDocument], rounds: usize) {
    let templates: Vec<_> = docs.iter().map(|d| forty_fields(d)).collect();
    let mut pages = 0usize;
    let (mut read_time, mut extract_time) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        for (doc, template) in docs.iter().zip(&templates) {
            let started = Instant::now();
            let read = doc.read(reader).expect("text PDFs read");
            read_time += started.elapsed();
            let started = Instant::now();
            let fields = extract_fields(template, &read);
            extract_time += started.elapsed();
            assert_eq!(fields.len(), 40);
            pages += read.len();
        }
    }
    let per_page = |d: Duration| d.as_secs_f64() * 1000.0 / pages.max(1) as f64;
    let started = Instant::now();
    for _ in 0..rounds {
        for doc in docs {
            baseline::pdftotext(&integration_tests::corpus::root().join(&doc.file))
                .expect("pdftotext runs");
        }
    }
    let pdftotext = per_page(started.elapsed());
    println!();
    println!(
        "Time per text-PDF page ({} documents, {pages} pages over {rounds} rounds), 40-field template:",
        docs.len()
    );
    println!();
    println!("| reader | read | extract 40 fields | total |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| pagewire | {:.2} ms | {:.2} ms | {:.2} ms |",
        per_page(read_time),
        per_page(extract_time),
        per_page(read_time + extract_time)
    );
    println!("| `pdftotext -layout` alone (a process per file) | {pdftotext:.2} ms | - | {pdftotext:.2} ms |");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let details = args.iter().any(|a| a == "--details");
    let baseline = !args.iter().any(|a| a == "--no-baseline");
    if !full {
        baseline::self_check();
    }
    let manifest = manifest();
    let limits = ReaderLimits::from_settings(&Settings::default());
    // The engine as the functions choose it: ONNX Runtime from PAGEWIRE_ONNXRUNTIME_LIB (set empty: rten).
    let onnxruntime = std::env::var_os("PAGEWIRE_ONNXRUNTIME_LIB").filter(|v| !v.is_empty());
    let mut settings = OcrSettings::default();
    if let Some(i) = args.iter().position(|a| a == "--detector-max-side") {
        settings.detector_max_side = args[i + 1].parse().expect("--detector-max-side PIXELS");
    }
    if args.iter().any(|a| a == "--skew-probe") {
        settings.skew_probe = true;
    } else if args.iter().any(|a| a == "--no-skew-probe") {
        settings.skew_probe = false;
    }
    let reader = match std::env::var_os("PAGEWIRE_OCR_MODEL_DIR") {
        Some(dir) => PagewireReader::new(limits)
            .with_ocr_models(Some(std::path::Path::new(&dir)))
            .with_onnxruntime(onnxruntime.as_deref().map(std::path::Path::new))
            .with_ocr_settings(settings),
        None if full => panic!("PAGEWIRE_OCR_MODEL_DIR is not set: run scripts/bench-accuracy.sh"),
        None => PagewireReader::new(limits),
    };
    let text_layer = PagewireReader::new(limits);
    let forms = [
        ("pdf", "text PDF"),
        ("png", "PNG scan"),
        ("jpeg", "JPEG photo"),
    ];
    let mut rows: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut confidences = Confidences::default();
    for (order, (form, title)) in forms.iter().enumerate() {
        if !full && *form != "pdf" {
            continue;
        }
        let docs: Vec<&CorpusDocument> = manifest
            .documents
            .iter()
            .filter(|d| d.form == *form)
            .collect();
        let mut ours = Tally::default();
        let mut theirs = Tally::default();
        for doc in &docs {
            let ocr = (*form != "pdf").then_some(&mut confidences);
            let read = tally_document(
                &mut ours,
                doc,
                || doc.read(&reader),
                details,
                "pagewire",
                ocr,
            );
            // A scan or photo is of page 1 of the text PDF of the same issuer: its words are the truth.
            let twin = manifest
                .documents
                .iter()
                .find(|d| d.form == "pdf" && d.issuer == doc.issuer);
            if let (Some(read), Some(twin), true) = (read, twin, *form != "pdf") {
                if let Ok(truth) = twin.read(&text_layer) {
                    confidences.add_words(&read, &truth[0]);
                }
            }
            if full && baseline {
                let path = integration_tests::corpus::root().join(&doc.file);
                let read = || match *form {
                    "pdf" => baseline::pdftotext(&path),
                    _ => baseline::tesseract(&path, &doc.language),
                };
                tally_document(&mut theirs, doc, read, details, "baseline", None);
            }
        }
        let baseline_name = if *form == "pdf" {
            "`pdftotext -layout` + same rules"
        } else {
            "`tesseract` + same rules"
        };
        let mut lines = vec![ours.row(title, "pagewire")];
        if full && baseline {
            // The baseline runs in child processes, whose CPU time this process does not see.
            theirs.cpu_seconds = 0.0;
            lines.push(theirs.row(title, baseline_name));
        }
        if !full {
            assert!(ours.right > ours.fields() / 2, "{ours:?}");
        }
        rows.insert(order, lines);
    }
    println!("| form | reader | documents | fields | right | null | wrong, flagged | wrong, silent | time per page | CPU per page |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for line in rows.values().flatten() {
        println!("{line}");
    }
    if full {
        confidences.report(pagewire_core::policy::matching::LOW_OCR_CONFIDENCE);
    }
    if full && baseline {
        let pdfs: Vec<&CorpusDocument> = manifest
            .documents
            .iter()
            .filter(|d| d.form == "pdf")
            .collect();
        // Without OCR models: the time of reading text layers, whatever images a page holds.
        speed(&PagewireReader::new(limits), &pdfs, 20);
    }
}

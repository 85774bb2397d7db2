//! Every document of the extraction corpus (`tests/corpus/`, see its README) through the reader and the
//! template rules process-document uses, each field held to its exact value (the truth, or where the
//! manifest has a `today` note, what pagewire gives until the named change lands) and to its exact list
//! of warning codes. A mismatch lists every
//! field that differs, with the manifest note that would record it.
//!
//! Needs the OCR models and ONNX Runtime, the shipped engine: `scripts/test.sh` sets
//! PAGEWIRE_OCR_MODEL_DIR and PAGEWIRE_ONNXRUNTIME_LIB.

use integration_tests::corpus::{manifest, warning_codes, CorpusDocument};
use pagewire_core::Settings;
use pagewire_extract::{PagewireReader, ReaderLimits};
use serde_json::json;
use std::path::PathBuf;

fn reader() -> PagewireReader {
    let dir = std::env::var_os("PAGEWIRE_OCR_MODEL_DIR").map(PathBuf::from).expect(
        "PAGEWIRE_OCR_MODEL_DIR must point at the OCR models: run the tests with scripts/test.sh, \
         or first `. scripts/lib/ocr-models.sh && pagewire_ocr_models`",
    );
    PagewireReader::new(ReaderLimits::from_settings(&Settings::default()))
        .with_ocr_models(Some(&dir))
        .with_onnxruntime(Some(&integration_tests::stack::onnxruntime_lib()))
}

/// The fields of `doc` that do not hold their asserted value, as readable lines.
fn mismatches(reader: &PagewireReader, doc: &CorpusDocument) -> Vec<String> {
    let pages = match doc.read(reader) {
        Ok(pages) => pages,
        Err(e) => return vec![format!("{}: not read: {e}", doc.file)],
    };
    let extracted = match doc.extract(&pages) {
        Ok(fields) => fields,
        Err(e) => return vec![format!("{}: template refused: {e}", doc.file)],
    };
    let mut out = Vec::new();
    for (spec, got) in doc.fields.iter().zip(&extracted) {
        assert_eq!(spec.name, got.name, "fields come back in template order");
        // Every field records the warnings it gives, so a change in them is seen like a change of value.
        let codes = warning_codes(got);
        if spec.warnings.as_ref() != Some(&codes) {
            out.push(format!(
                "{} / {}: warnings {:?} recorded, got {codes:?}; WARNINGS {}",
                doc.file,
                spec.name,
                spec.warnings,
                json!(codes)
            ));
        }
        if !integration_tests::corpus::same_value(spec.asserted(), &got.value) {
            out.push(format!(
                "{} / {}: asserted {} (truth {}), got {} (raw {:?}); note: {}",
                doc.file,
                spec.name,
                spec.asserted(),
                spec.expected,
                got.value,
                got.raw,
                json!({"value": got.value, "until": "..."})
            ));
        }
    }
    out
}

fn check(form: impl Fn(&str) -> bool) {
    let reader = reader();
    let docs: Vec<CorpusDocument> = manifest()
        .documents
        .into_iter()
        .filter(|d| form(&d.form))
        .collect();
    assert!(!docs.is_empty());
    let failures: Vec<String> = docs.iter().flat_map(|d| mismatches(&reader, d)).collect();
    assert!(
        failures.is_empty(),
        "{} field(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_manifest_is_a_corpus() {
    let docs = manifest().documents;
    assert!(docs.len() >= 30, "{} documents", docs.len());
    let mut languages: Vec<&str> = docs.iter().map(|d| d.language.as_str()).collect();
    languages.sort();
    languages.dedup();
    assert!(languages.len() >= 5, "{languages:?}");
    for form in ["pdf", "png", "jpeg"] {
        assert!(docs.iter().any(|d| d.form == form), "no {form}");
    }
    for doc in &docs {
        doc.template()
            .unwrap_or_else(|e| panic!("{}: the template is refused: {e}", doc.file));
        assert!(doc.bytes().len() > 100, "{}", doc.file);
        for field in &doc.fields {
            if let Some(today) = &field.today {
                assert!(
                    !integration_tests::corpus::same_value(&today.value, &field.expected),
                    "{} / {}: a `today` note equal to the truth is stale",
                    doc.file,
                    field.name
                );
                assert!(!today.until.trim().is_empty());
            }
        }
    }
}

#[test]
fn text_pdfs_give_their_values() {
    check(|form| form == "pdf");
}

#[test]
fn png_scans_give_their_values() {
    check(|form| form == "png");
}

#[test]
fn jpeg_photos_give_their_values() {
    check(|form| form == "jpeg");
}

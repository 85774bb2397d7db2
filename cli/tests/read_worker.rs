//! `pagewire read-worker`, the worker `pagewire dev` reads documents in: the shipped binary serves the
//! protocol, reads as the in-process reader does, and a document's own failure comes back as it is.

use pagewire_core::model::FileKind;
use pagewire_core::ports::DocumentReader;
use pagewire_extract::fixtures::text_pdf;
use pagewire_extract::isolation::{IsolatedReader, ReadBudget, WorkerCommand};
use pagewire_extract::{PagewireReader, ReaderLimits};
use std::sync::Arc;

#[test]
fn the_pagewire_binary_serves_as_a_read_worker() {
    let command = WorkerCommand::new(env!("CARGO_BIN_EXE_pagewire"), ["read-worker"])
        .env("PAGEWIRE_OCR_MODEL_DIR", "");
    let in_process = Arc::new(PagewireReader::new(ReaderLimits::from_settings(
        &Default::default(),
    )));
    let reader = IsolatedReader::new(
        command,
        ReadBudget::default_for(None, 1),
        1,
        in_process.clone(),
    );
    let pdf = text_pdf(&[&["Invoice Number: INV-7"], &["Total Due: $12.00"]]);
    let isolated = reader.read(FileKind::Pdf, &pdf).unwrap();
    assert_eq!(isolated, in_process.read(FileKind::Pdf, &pdf).unwrap());
    assert_eq!(isolated.pages.len(), 2);
    let damaged = reader
        .read(FileKind::Pdf, &pdf[..pdf.len() / 2])
        .unwrap_err();
    assert_eq!(
        damaged,
        in_process
            .read(FileKind::Pdf, &pdf[..pdf.len() / 2])
            .unwrap_err()
    );
    let image = reader
        .read(FileKind::Png, pagewire_extract::fixtures::PIXEL_PNG)
        .unwrap_err();
    assert_eq!(image.code, "ocr_unavailable");
    assert_eq!(reader.workers(), 1, "one worker read all three");
}

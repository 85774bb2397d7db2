//! Reads documents the way processing does and prints each page's lines with their confidence.
//! Usage: PAGEWIRE_OCR_MODEL_DIR=... [PAGEWIRE_ONNXRUNTIME_LIB=...] cargo run --release \
//!          -p pagewire-extract --features ocr --example read-document -- FILE...
//! The OCR models run on ONNX Runtime when PAGEWIRE_ONNXRUNTIME_LIB names its library, else on rten.
//! With `RUST_LOG=pagewire_extract=debug` it also prints the OCR models' load time and each page's stage
//! times (detection, recognition) on stderr. Naming a file twice reads it twice (the first read of
//! an image pays for loading the models).

use pagewire_core::policy::layout::lines;
use pagewire_core::ports::DocumentReader;
use pagewire_core::Settings;
use pagewire_extract::{PagewireReader, ReaderLimits};
use std::time::Instant;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let models = std::env::var_os("PAGEWIRE_OCR_MODEL_DIR").map(std::path::PathBuf::from);
    let onnxruntime = std::env::var_os("PAGEWIRE_ONNXRUNTIME_LIB")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from);
    let reader = PagewireReader::new(ReaderLimits::from_settings(&Settings::default()))
        .with_ocr_models(models.as_deref())
        .with_onnxruntime(onnxruntime.as_deref());
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("readable file");
        let Some(kind) = pagewire_core::policy::file_kind::sniff(&bytes) else {
            println!("{path}: unsupported type");
            continue;
        };
        let started = Instant::now();
        match reader.read(kind, &bytes) {
            Ok(doc) => {
                println!(
                    "{path}: {} pages in {:.2?}",
                    doc.pages.len(),
                    started.elapsed()
                );
                for page in &doc.pages {
                    for line in lines(page) {
                        let confidence =
                            line.words.iter().map(|w| w.confidence).fold(1.0, f32::min);
                        println!("  p{} {:.2} | {}", page.number, confidence, line.text);
                    }
                }
            }
            Err(e) => println!("{path}: {} ({})", e.code, e.message),
        }
    }
}

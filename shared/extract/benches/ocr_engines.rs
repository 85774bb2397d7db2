//! One OCR engine and model pair on a folder of A4 page images, for the side-by-side comparison of
//! scripts/bench-ocr.sh (BENCHMARKS.md, "OCR engines"). Release build, one process per engine, models
//! and resolution, so the peak memory is that of the pair alone.
//!
//! ```text
//! ocr_engines --models DIR --pages DIR --dpi 150 [--engine rten|ort|tract] [--ort-lib PATH] [--threads N]
//!             [--rounds N] [--detector-max-side PIXELS] [--skew-probe | --no-skew-probe]
//!             [--recogniser-batch LINES] [--float]
//! ```
//!
//! Reads every `*-{dpi}dpi.png` of the pages folder `--rounds` times (after one untimed page) and prints
//! one line: CPU seconds (the whole process: every thread of the engine) and wall seconds per page, the
//! models' load time, the fields right on the invoice pages (`invoice*`, the fixture's template), and
//! the peak resident memory. On ONNX Runtime the int8 recogniser runs when the models have one;
//! `--float` runs the float one. `--tesseract DIR --dpi 150` instead counts the fields right in the TSV
//! files tesseract wrote for the invoice pages. Under `cargo test` (no arguments) it does nothing.

use pagewire_core::model::BoundingBox;
use pagewire_core::policy::extraction::extract_fields;
use pagewire_core::ports::{PageText, TextSource, Word};
use pagewire_extract::ocr::{OcrEngine, OcrSettings, RecogniserPrecision};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "support/invoice_template.rs"]
mod invoice_template;
#[path = "support/peak_memory.rs"]
mod peak_memory;

/// CPU time of this whole process, every thread included.
fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn argument(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn load(args: &[String], models: &Path) -> OcrEngine {
    let engine = argument(args, "--engine").unwrap_or_else(|| "rten".into());
    let mut settings = OcrSettings::default();
    if let Some(side) = argument(args, "--detector-max-side") {
        settings.detector_max_side = side.parse().expect("--detector-max-side PIXELS");
    }
    if let Some(batch) = argument(args, "--recogniser-batch") {
        settings.recogniser_batch = batch.parse().expect("--recogniser-batch LINES");
    }
    if args.iter().any(|a| a == "--skew-probe") {
        settings.skew_probe = true;
    } else if args.iter().any(|a| a == "--no-skew-probe") {
        settings.skew_probe = false;
    }
    match engine.as_str() {
        "rten" => OcrEngine::load_with(models, settings).expect("the models load with rten"),
        "ort" => {
            use pagewire_extract::ocr::network::Network;
            use pagewire_extract::ocr::ort_network::{self, OrtNetwork};
            let library = argument(args, "--ort-lib").expect("--ort-lib PATH/libonnxruntime.so");
            let threads: usize = argument(args, "--threads").map_or(1, |t| t.parse().unwrap());
            let environment = ort_network::init(Path::new(&library)).expect("ONNX Runtime loads");
            // The shipped choice (the int8 recogniser when the models have one), or `--float`.
            let precision = if args.iter().any(|a| a == "--float") {
                RecogniserPrecision::Float
            } else {
                RecogniserPrecision::Int8WhenPresent
            };
            OcrEngine::load_on(models, settings, precision, |path| {
                Ok(Box::new(OrtNetwork::load(environment, path, threads)?) as Box<dyn Network>)
            })
            .expect("the models load with ONNX Runtime")
        }
        #[cfg(feature = "tract")]
        "tract" => {
            use pagewire_extract::ocr::network::Network;
            use pagewire_extract::ocr::tract_network::TractNetwork;
            OcrEngine::load_on(models, settings, RecogniserPrecision::Float, |path| {
                Ok(Box::new(TractNetwork::load(path)?) as Box<dyn Network>)
            })
            .expect("the models load with tract")
        }
        other => panic!("unknown engine {other} (tract needs its feature)"),
    }
}

/// The invoice fields right on one page's words: (right, asked).
fn fields_right(words: Vec<Word>, aspect: f32) -> (usize, usize) {
    let page = PageText {
        number: 1,
        aspect,
        words,
        source: TextSource::Ocr,
    };
    let want = invoice_template::expected();
    let got = extract_fields(&invoice_template::template(), &[page]);
    let right = got
        .iter()
        .zip(&want)
        .filter(|(g, w)| g.value == **w)
        .count();
    (right, want.len())
}

/// A page of tesseract's TSV output as words with boxes in fractions of the page, and its aspect.
fn tesseract_words(tsv: &str) -> (Vec<Word>, f32) {
    let rows: Vec<Vec<&str>> = tsv
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    let number = |row: &[&str], i: usize| row[i].parse::<f32>().unwrap_or(0.0);
    let page = rows.iter().find(|r| r[0] == "1").expect("a page row");
    let (pw, ph) = (number(page, 8), number(page, 9));
    let words = rows
        .iter()
        .filter(|r| r[0] == "5" && r.len() > 11 && !r[11].trim().is_empty())
        .map(|r| Word {
            text: r[11].to_string(),
            bbox: BoundingBox {
                x: number(r, 6) / pw,
                y: number(r, 7) / ph,
                width: number(r, 8) / pw,
                height: number(r, 9) / ph,
            },
            confidence: number(r, 10) / 100.0,
        })
        .collect();
    (words, pw / ph)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let (Some(dir), Some(dpi)) = (argument(&args, "--tesseract"), argument(&args, "--dpi")) {
        let (mut right, mut asked) = (0, 0);
        for entry in std::fs::read_dir(&dir).expect("tesseract's output folder") {
            let path = entry.expect("a folder entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("invoice") && name.ends_with(&format!("-{dpi}dpi.tsv")) {
                let (words, aspect) = tesseract_words(&std::fs::read_to_string(&path).unwrap());
                let (r, a) = fields_right(words, aspect);
                (right, asked) = (right + r, asked + a);
            }
        }
        print!("fields right {right}/{asked}");
        return;
    }
    let (Some(models), Some(pages), Some(dpi)) = (
        argument(&args, "--models"),
        argument(&args, "--pages"),
        argument(&args, "--dpi"),
    ) else {
        return;
    };
    let rounds: usize = argument(&args, "--rounds").map_or(1, |r| r.parse().unwrap());
    let suffix = format!("-{dpi}dpi.png");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&pages)
        .expect("the pages folder")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.to_string_lossy().ends_with(&suffix))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *{suffix} in {pages}");
    let images: Vec<(String, image::GrayImage)> = files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let image = image::open(p).expect("a readable page image").into_luma8();
            (name, image)
        })
        .collect();

    let (cpu, wall) = (process_cpu(), Instant::now());
    let engine = load(&args, Path::new(&models));
    let load_s = wall.elapsed().as_secs_f64();
    let load_cpu_s = (process_cpu() - cpu).as_secs_f64();
    engine.read(&images[0].1).expect("the first page reads");

    let (mut right, mut asked) = (0, 0);
    let (cpu, wall) = (process_cpu(), Instant::now());
    for round in 0..rounds {
        for (name, image) in &images {
            let words = engine.read(image).expect("the page reads");
            if round > 0 || !name.starts_with("invoice") {
                continue;
            }
            let (r, a) = fields_right(words, image.width() as f32 / image.height() as f32);
            (right, asked) = (right + r, asked + a);
        }
    }
    let read = (rounds * images.len()) as f64;
    println!(
        "pages {} x {rounds}; CPU {:.3} s/page; wall {:.3} s/page; load {load_s:.3} s wall, \
         {load_cpu_s:.3} s CPU; fields right {right}/{asked}; peak RSS {:.0} MiB",
        images.len(),
        (process_cpu() - cpu).as_secs_f64() / read,
        wall.elapsed().as_secs_f64() / read,
        peak_memory::peak_rss_mib()
    );
}

//! Peak memory and time of reading each hostile file (`pagewire_extract::hostile`) with the real
//! reader, OCR included, each in a fresh process, for BENCHMARKS.md ("Hostile inputs"). Two rows
//! read the same bombs the way pagewire did before (lopdf's whole-document load and whole-stream
//! decode), for comparison. Aim: every pagewire row under 512 MB.
//!
//!   . scripts/lib/ocr-models.sh && pagewire_ocr_models
//!   cargo bench -p pagewire-extract --features ocr --bench hostile_memory
//!
//! Modes: no argument = every case, a table on stdout; `--case NAME FILE` = read one file in this
//! process and print one line (what the table is made of).

use pagewire_core::model::FileKind;
use pagewire_core::ports::DocumentReader;
use pagewire_extract::hostile::{self, PageLoop};
use std::process::Command;
use std::time::Instant;

#[path = "support/ocr_reader.rs"]
mod ocr_reader;
use ocr_reader::ocr_reader as reader;
#[path = "support/peak_memory.rs"]
mod peak_memory;
use peak_memory::peak_rss_mib;

/// How a case's file is read.
#[derive(Debug, Clone, Copy)]
enum Read {
    /// `PagewireReader::read` (or `unpack` for a ZIP), as process-document does.
    Pagewire(FileKind),
    /// lopdf 0.47's `Document::load_mem`, as pagewire loaded PDFs before the object-stream check.
    LopdfLoad,
    /// lopdf's `Content::decode` of the first page, as pagewire read content streams before.
    LopdfDecode,
}

struct Case {
    name: &'static str,
    what: &'static str,
    read: Read,
    bytes: fn() -> Vec<u8>,
}

fn cases() -> Vec<Case> {
    use Read::*;
    vec![
        Case {
            name: "ordinary",
            what: "for reference: a 20-page text PDF",
            read: Pagewire(FileKind::Pdf),
            bytes: || {
                let page: &[&str] = &["Invoice Number: INV-1", "Total: $10.00"];
                pagewire_extract::fixtures::text_pdf(&[page; 20])
            },
        },
        Case {
            name: "operators",
            what: "16,000,000 `q` on one page",
            read: Pagewire(FileKind::Pdf),
            bytes: || hostile::operator_bomb(16_000_000),
        },
        Case {
            name: "operators-before",
            what: "the same, lopdf `Content::decode`",
            read: LopdfDecode,
            bytes: || hostile::operator_bomb(16_000_000),
        },
        Case {
            name: "object-stream",
            what: "unreferenced object stream: one array of 30,000,000 zeros",
            read: Pagewire(FileKind::Pdf),
            bytes: || hostile::object_stream_bomb(30_000_000, 1),
        },
        Case {
            name: "object-stream-before",
            what: "the same, lopdf `Document::load_mem`",
            read: LopdfLoad,
            bytes: || hostile::object_stream_bomb(30_000_000, 1),
        },
        Case {
            name: "object-stream-listings",
            what: "object stream listing one 20,000-item array 1,000 times",
            read: Pagewire(FileKind::Pdf),
            bytes: || hostile::object_stream_bomb(20_000, 1_000),
        },
        Case {
            name: "deep-objects",
            what: "objects nested 100,000 deep (arrays, dictionaries)",
            read: Pagewire(FileKind::Pdf),
            bytes: || hostile::deep_nesting_pdf(100_000),
        },
        Case {
            name: "deep-content",
            what: "a content operation nesting 100,000 arrays",
            read: Pagewire(FileKind::Pdf),
            bytes: || hostile::deep_content_pdf(100_000),
        },
        Case {
            name: "page-tree-loop",
            what: "a Kids array listing one page three times",
            read: Pagewire(FileKind::Pdf),
            bytes: || hostile::looping_page_tree(PageLoop::RepeatedPage),
        },
        Case {
            name: "tiff-pages",
            what: "TIFF of 50 deflated 40-megapixel pages",
            read: Pagewire(FileKind::Tiff),
            bytes: || hostile::big_pixel_tiff(50, 6_400, 6_250),
        },
        Case {
            name: "png-pixels",
            what: "PNG of 8,000 x 8,000 pixels",
            read: Pagewire(FileKind::Png),
            bytes: || hostile::big_png(8_000, 8_000),
        },
        Case {
            name: "jpeg-header",
            what: "JPEG whose header claims 60,000 x 60,000",
            read: Pagewire(FileKind::Jpeg),
            bytes: || hostile::lying_jpeg(60_000, 60_000),
        },
        Case {
            name: "overlapping-zip",
            what: "ZIP: one 1 MiB entry behind 1,000 central records",
            read: Pagewire(FileKind::Zip),
            bytes: || hostile::overlapping_zip(1 << 20, 1_000),
        },
    ]
}

/// Reads `bytes` as `read` says; the outcome in a few words.
fn outcome(read: Read, bytes: &[u8]) -> String {
    match read {
        Read::Pagewire(FileKind::Zip) => match reader().unpack(bytes) {
            Ok(entries) => format!("unpacked, {} entries", entries.len()),
            Err(e) => format!("FAILED `{}`", e.code),
        },
        Read::Pagewire(kind) => match reader().read(kind, bytes) {
            Ok(doc) => format!("SUCCESS, {} page(s)", doc.pages.len()),
            Err(e) => format!("FAILED `{}`", e.code),
        },
        Read::LopdfLoad => match lopdf::Document::load_mem(bytes) {
            Ok(doc) => format!("loaded, {} objects", doc.objects.len()),
            Err(e) => format!("error: {e}"),
        },
        Read::LopdfDecode => {
            let doc = lopdf::Document::load_mem(bytes).expect("the bomb loads");
            let page = *doc.get_pages().get(&1).expect("one page");
            let content = doc.get_page_content(page);
            match lopdf::content::Content::decode(&content) {
                Ok(content) => format!("decoded, {} operations", content.operations.len()),
                Err(e) => format!("error: {e}"),
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--case") {
        let case = cases()
            .into_iter()
            .find(|c| c.name == args[i + 1])
            .expect("a known case");
        let bytes = std::fs::read(&args[i + 2]).expect("the case's file");
        let started = Instant::now();
        let outcome = outcome(case.read, &bytes);
        println!(
            "{:.2}\t{:.0}\t{outcome}",
            started.elapsed().as_secs_f64(),
            peak_rss_mib()
        );
        return;
    }
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    // `cargo bench` passes `--bench`; under `cargo test` (no flag) this is a smoke run of the cheap cases,
    // since lopdf's old paths take GBs and a minute each and the TIFF case is minutes of OCR in a debug build.
    let full = args.iter().any(|a| a == "--bench");
    let slow = |name: &str| name.ends_with("-before") || name == "tiff-pages";
    let dir = std::env::temp_dir().join(format!("pagewire-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!("| file | size | outcome | time (s) | peak RSS (MiB) |");
    println!("| --- | ---: | --- | ---: | ---: |");
    for case in cases() {
        if !only.is_empty() && !only.iter().any(|o| *o == case.name) {
            continue;
        }
        if !full && only.is_empty() && slow(case.name) {
            continue;
        }
        let bytes = (case.bytes)();
        let path = dir.join(case.name);
        std::fs::write(&path, &bytes).expect("writes the case");
        let run = Command::new(std::env::current_exe().expect("this bench"))
            .args(["--case", case.name])
            .arg(&path)
            .output()
            .expect("runs the case");
        let line = String::from_utf8_lossy(&run.stdout).trim().to_string();
        let mut fields = line.splitn(3, '\t');
        let (secs, mib, outcome) = match (fields.next(), fields.next(), fields.next()) {
            (Some(s), Some(m), Some(o)) if run.status.success() => {
                (s.to_string(), m.to_string(), o.to_string())
            }
            _ => (
                "-".into(),
                "-".into(),
                format!("process ended: {} (e.g. out of memory)", run.status),
            ),
        };
        println!(
            "| {} ({}) | {} KB | {outcome} | {secs} | {mib} |",
            case.name,
            case.what,
            bytes.len().div_ceil(1024)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

//! The baseline readers: `pdftotext -layout` for text PDFs and `tesseract` for images, their output
//! turned into pages of positioned words so the same template rules apply to them.

use pagewire_core::model::BoundingBox;
use pagewire_core::ports::{PageText, TextSource, Word};
use std::path::Path;
use std::process::Command;

/// tesseract's language packs for a corpus language (English is always added: labels and codes are
/// often English on any invoice).
fn tesseract_languages(language: &str) -> String {
    let own = match language {
        "fr" => "fra",
        "de" => "deu",
        "nl" => "nld",
        "es" => "spa",
        "it" => "ita",
        "pt" => "por",
        _ => return "eng".into(),
    };
    format!("{own}+eng")
}

/// A text laid out in a character grid (pdftotext's `-layout`) as words: each character cell is half a
/// line height wide, so three or more spaces read as a column gap, as in pagewire's own layout.
pub fn grid_page(number: u32, text: &str) -> PageText {
    let lines: Vec<&str> = text.lines().collect();
    let rows = lines.len().max(1) as f32;
    let cols = lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1)
        .max(1) as f32;
    let (cell_w, line_h) = (1.0 / cols, 1.0 / rows);
    let aspect = 0.5 * line_h / cell_w;
    let mut words = Vec::new();
    for (row, line) in lines.iter().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut col = 0;
        while col < chars.len() {
            if chars[col].is_whitespace() {
                col += 1;
                continue;
            }
            let start = col;
            while col < chars.len() && !chars[col].is_whitespace() {
                col += 1;
            }
            words.push(Word {
                text: chars[start..col].iter().collect(),
                bbox: BoundingBox {
                    x: start as f32 * cell_w,
                    y: row as f32 * line_h + 0.1 * line_h,
                    width: (col - start) as f32 * cell_w,
                    height: 0.8 * line_h,
                },
                confidence: 1.0,
            });
        }
    }
    PageText {
        number,
        aspect,
        words,
        source: TextSource::TextLayer,
    }
}

/// `pdftotext -layout`, one page per form feed.
pub fn pdftotext(path: &Path) -> Result<Vec<PageText>, String> {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .map_err(|e| format!("pdftotext: {e}"))?;
    if !out.status.success() {
        return Err(format!("pdftotext failed: {}", out.status));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .enumerate()
        .map(|(i, page)| grid_page(i as u32 + 1, page))
        .collect())
}

/// `tesseract` on one image (one thread), its words with their boxes and confidences.
pub fn tesseract(path: &Path, language: &str) -> Result<Vec<PageText>, String> {
    let out = Command::new("tesseract")
        .env("OMP_THREAD_LIMIT", "1")
        .arg(path)
        .arg("-")
        .args(["-l", &tesseract_languages(language), "tsv"])
        .output()
        .map_err(|e| format!("tesseract: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tesseract failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(vec![tsv_page(&String::from_utf8_lossy(&out.stdout))])
}

/// tesseract's TSV: level 1 is the page (its size), level 5 a word.
fn tsv_page(tsv: &str) -> PageText {
    let mut size = (1.0f32, 1.0f32);
    let mut words = Vec::new();
    for row in tsv.lines().skip(1) {
        let cells: Vec<&str> = row.split('\t').collect();
        if cells.len() < 12 {
            continue;
        }
        let num = |i: usize| cells[i].trim().parse::<f32>().unwrap_or(0.0);
        match cells[0] {
            "1" => size = (num(8).max(1.0), num(9).max(1.0)),
            "5" if !cells[11].trim().is_empty() => words.push(Word {
                text: cells[11].trim().to_string(),
                bbox: BoundingBox {
                    x: num(6) / size.0,
                    y: num(7) / size.1,
                    width: num(8) / size.0,
                    height: num(9) / size.1,
                },
                confidence: (num(10) / 100.0).clamp(0.0, 1.0),
            }),
            _ => {}
        }
    }
    PageText {
        number: 1,
        aspect: size.0 / size.1,
        words,
        source: TextSource::Ocr,
    }
}

/// What the smoke run checks of the grid: three spaces part columns, two do not.
pub fn self_check() {
    let page = grid_page(1, "Invoice No: 12   Date: 3/4\nTotal  9.50");
    let lines = pagewire_core::policy::layout::lines(&page);
    assert_eq!(lines[0].text, "Invoice No: 12\tDate: 3/4");
    assert_eq!(lines[1].text, "Total 9.50");
}

//! PDF page count and text, in pure Rust (lopdf).

use pagewire_core::model::FileKind;
use pagewire_core::ports::{PageText, ReadDocument, ReadFailure};
use std::panic::{catch_unwind, AssertUnwindSafe};

fn failure(code: &'static str, message: impl Into<String>) -> ReadFailure {
    ReadFailure {
        code,
        message: message.into(),
    }
}

/// Reads every page's text. PDFs encrypted with an empty user password (common for "protected" PDFs that
/// open without asking) are decrypted; others fail with a reason.
pub fn read_pdf(bytes: &[u8], max_pages: u32) -> Result<ReadDocument, ReadFailure> {
    // lopdf is not guaranteed panic-free on hostile input; a panic becomes a failed document.
    catch_unwind(AssertUnwindSafe(|| read_pdf_inner(bytes, max_pages)))
        .unwrap_or_else(|_| Err(failure("malformed_pdf", "the PDF could not be parsed")))
}

fn read_pdf_inner(bytes: &[u8], max_pages: u32) -> Result<ReadDocument, ReadFailure> {
    // A PDF ends with `%%EOF` (some writers append a little after it). lopdf would otherwise rebuild a
    // cut-off file and return whatever pages survived, which is worse than saying it is incomplete.
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(failure(
            "truncated_pdf",
            "the PDF is incomplete (no end-of-file marker)",
        ));
    }
    let mut doc = lopdf::Document::load_mem(bytes).map_err(|e| {
        failure(
            "malformed_pdf",
            format!("the PDF could not be parsed: {}", short(&e.to_string())),
        )
    })?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(failure(
            "encrypted_pdf",
            "the PDF is protected by a password",
        ));
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(failure("malformed_pdf", "the PDF has no pages"));
    }
    if pages.len() > max_pages as usize {
        return Err(failure(
            "too_many_pages",
            format!(
                "the PDF has {} pages; at most {max_pages} are processed",
                pages.len()
            ),
        ));
    }
    let texts = pages
        .keys()
        .map(|&number| {
            // A page whose text cannot be decoded still counts; OCR will read it once available.
            let text = doc.extract_text(&[number]).unwrap_or_default();
            PageText {
                number,
                text: tidy(&text),
                confidence: 1.0,
            }
        })
        .collect();
    Ok(ReadDocument {
        kind: FileKind::Pdf,
        pages: texts,
    })
}

/// lopdf separates text runs with newlines; collapse runs of blank lines and trailing spaces.
fn tidy(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn short(message: &str) -> String {
    message.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::fixtures::text_pdf;

    #[test]
    fn reads_pages_and_text() {
        let pdf = text_pdf(&[&["Invoice Number: INV-1", "Total: $10.00"], &["Page two"]]);
        let read = read_pdf(&pdf, 500).unwrap();
        assert_eq!(read.pages.len(), 2);
        assert!(
            read.pages[0].text.contains("Invoice Number: INV-1"),
            "{:?}",
            read.pages[0].text
        );
        assert!(read.pages[0].text.contains("Total: $10.00"));
        assert!(read.pages[1].text.contains("Page two"));
    }

    #[test]
    fn malformed_and_truncated_files_fail_with_a_reason() {
        let pdf = text_pdf(&[&["hello"]]);
        for broken in [&pdf[..pdf.len() / 2], &pdf[..20]] {
            assert_eq!(read_pdf(broken, 500).unwrap_err().code, "truncated_pdf");
        }
        let garbage = b"%PDF-1.4\n 1 0 obj << /Type /Catalog /Pages 9 0 R >> garbage\n%%EOF\n";
        assert_eq!(read_pdf(garbage, 500).unwrap_err().code, "malformed_pdf");
    }

    #[test]
    fn page_limit() {
        let pdf = text_pdf(&[&["a"], &["b"], &["c"]]);
        assert_eq!(read_pdf(&pdf, 2).unwrap_err().code, "too_many_pages");
    }
}

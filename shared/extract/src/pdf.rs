//! PDF page count and words with positions, in pure Rust (lopdf parses, [`crate::pdf_text`] places).

use crate::pdf_content::ContentBudget;
use crate::pdf_object_streams;
use crate::pdf_pages::{self, PageTreeError};
use crate::pdf_text::{self, PageTextError};
use lopdf::{Document, LoadOptions, ObjectId};
use pagewire_core::ports::{PageText, ReadFailure, TextSource};

/// Largest size any one stream of the file may inflate to while loading (object and xref streams).
const MAX_STREAM_BYTES: usize = 64 << 20;
/// Drawing operations read from all the pages of one document together (each page also has its own
/// budget, [`ContentBudget::max_operations`]).
const MAX_DOCUMENT_OPERATIONS: usize = 10_000_000;

pub(crate) fn failure(code: &'static str, message: impl Into<String>) -> ReadFailure {
    ReadFailure {
        code,
        message: message.into(),
    }
}

/// A parsed PDF and its pages in order, ready to be read page by page.
pub struct LoadedPdf {
    pub doc: Document,
    /// (1-based number, object id) of every page.
    pub pages: Vec<(u32, ObjectId)>,
}

/// Parses the file and lists its pages. PDFs encrypted with an empty user password (the common
/// "protected" PDF that opens without asking) are decrypted; others fail with a reason.
pub fn load(bytes: &[u8], max_pages: u32) -> Result<LoadedPdf, ReadFailure> {
    // A PDF ends with `%%EOF` (some writers append a little after it). lopdf would otherwise rebuild a
    // cut-off file and return whatever pages survived, which is worse than saying it is incomplete.
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(failure(
            "truncated_pdf",
            "the PDF is incomplete (no end-of-file marker)",
        ));
    }
    // lopdf would parse every object stream while loading; their cost is checked first. lopdf reads
    // encrypted files another way, without the check's filter, so those are not walked twice.
    if !bytes.windows(8).any(|w| w == b"/Encrypt") {
        pdf_object_streams::check(bytes, MAX_STREAM_BYTES).map_err(|why| {
            failure(
                "too_complex",
                format!("the PDF is too complex to read: {why}"),
            )
        })?;
    }
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_STREAM_BYTES),
        ..LoadOptions::default()
    };
    let mut doc = Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => {
            failure("encrypted_pdf", "the PDF is protected by a password")
        }
        other => failure(
            "malformed_pdf",
            format!("the PDF could not be parsed: {}", short(&other.to_string())),
        ),
    })?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(failure(
            "encrypted_pdf",
            "the PDF is protected by a password",
        ));
    }
    let pages = pdf_pages::page_ids(&doc, max_pages as usize).map_err(|e| match e {
        PageTreeError::TooManyPages(_) => failure(
            "too_many_pages",
            format!("the PDF has more than {max_pages} pages; at most {max_pages} are processed"),
        ),
        other => failure("malformed_pdf", other.to_string()),
    })?;
    let pages = (1..).zip(pages).collect();
    Ok(LoadedPdf { doc, pages })
}

impl LoadedPdf {
    /// The words of a page's text layer; none for a scanned page. A page tree that loops is malformed;
    /// other page-level problems (an undecodable font, a sloppy content stream) leave the page without
    /// text rather than failing the document, as viewers show such pages too.
    pub fn text_page(&self, number: u32, id: ObjectId) -> Result<PageText, ReadFailure> {
        self.text_page_within(number, id, ContentBudget::default())
            .map(|(page, _)| page)
    }

    /// A page's text layer read within `budget`, and the operations it took. A page whose content
    /// crosses the budget fails the document as `too_complex`: the text before the cut could miss
    /// the values a template looks for, and a wrong answer is worse than a clear refusal.
    fn text_page_within(
        &self,
        number: u32,
        id: ObjectId,
        budget: ContentBudget,
    ) -> Result<(PageText, usize), ReadFailure> {
        let (x0, y0, x1, y1) = pdf_text::visible_box(&self.doc, id);
        let (words, operations) = match pdf_text::page_words(&self.doc, id, budget) {
            Ok(read) => read,
            Err(PageTextError::Pdf(lopdf::Error::ReferenceCycle(_))) => {
                return Err(failure(
                    "malformed_pdf",
                    format!("page {number} refers to itself (a cycle in the page tree)"),
                ))
            }
            Err(PageTextError::TooComplex(why)) => {
                return Err(failure(
                    "too_complex",
                    format!("page {number} is too complex to read: {why}"),
                ))
            }
            Err(PageTextError::Pdf(e)) => {
                tracing::info!(page = number, error = %short(&e.to_string()), "page text unreadable");
                (Vec::new(), 0)
            }
        };
        let page = PageText {
            number,
            aspect: (x1 - x0) / (y1 - y0),
            words,
            source: TextSource::TextLayer,
        };
        Ok((page, operations))
    }

    /// Every page's text layer, within one budget of operations for the whole document.
    pub fn text_pages(&self) -> Result<Vec<PageText>, ReadFailure> {
        let mut remaining = MAX_DOCUMENT_OPERATIONS;
        let mut pages = Vec::with_capacity(self.pages.len());
        for &(number, id) in &self.pages {
            let page_budget = ContentBudget::default();
            let budget = ContentBudget {
                max_operations: page_budget.max_operations.min(remaining),
                ..page_budget
            };
            let (page, operations) = self.text_page_within(number, id, budget)?;
            remaining = remaining.saturating_sub(operations);
            pages.push(page);
        }
        Ok(pages)
    }
}

pub(crate) fn short(message: &str) -> String {
    message.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{positioned_pdf, text_pdf, Text};

    fn read(bytes: &[u8], max_pages: u32) -> Result<Vec<PageText>, ReadFailure> {
        load(bytes, max_pages).and_then(|pdf| pdf.text_pages())
    }

    fn text(page: &PageText) -> String {
        let lines = pagewire_core::policy::layout::lines(page);
        pagewire_core::policy::layout::page_text(&lines)
    }

    #[test]
    fn reads_pages_and_text() {
        let pdf = text_pdf(&[&["Invoice Number: INV-1", "Total: $10.00"], &["Page two"]]);
        let pages = read(&pdf, 500).unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(text(&pages[0]), "Invoice Number: INV-1\nTotal: $10.00");
        assert_eq!(text(&pages[1]), "Page two");
        assert_eq!(pages[1].number, 2);
        assert!((pages[0].aspect - 595.0 / 842.0).abs() < 1e-6);
    }

    #[test]
    fn malformed_and_truncated_files_fail_with_a_reason() {
        let pdf = text_pdf(&[&["hello"]]);
        for broken in [&pdf[..pdf.len() / 2], &pdf[..20]] {
            assert_eq!(read(broken, 500).unwrap_err().code, "truncated_pdf");
        }
        let garbage = b"%PDF-1.4\n 1 0 obj << /Type /Catalog /Pages 9 0 R >> garbage\n%%EOF\n";
        assert_eq!(read(garbage, 500).unwrap_err().code, "malformed_pdf");
    }

    #[test]
    fn cyclic_page_trees_fail_with_a_reason() {
        // The page tree's root lists itself as a kid: a cycle.
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
            2 0 obj << /Type /Pages /Kids [2 0 R] /Count 1 >> endobj\n\
            trailer << /Root 1 0 R >>\n%%EOF\n";
        assert_eq!(read(pdf, 500).unwrap_err().code, "malformed_pdf");
        // A page whose parent chain loops fails with a reason instead of looping.
        let pdf = String::from_utf8_lossy(&positioned_pdf(
            &[vec![Text::new(50.0, 50.0, 12.0, "x")]],
            None,
        ))
        .replace("/Type /Pages /Kids", "/Type /Pages /Parent 2 0 R /Kids")
        .into_bytes();
        let err = read(&pdf, 500).unwrap_err();
        assert_eq!(err.code, "malformed_pdf");
        assert!(err.message.contains("cycle"), "{}", err.message);
    }

    #[test]
    fn encrypted_pdfs_read_when_the_user_password_is_empty() {
        let pdf = text_pdf(&[&["Invoice Number: INV-9"]]);
        let open = crate::fixtures::encrypted_pdf(&pdf, "owner-secret", "");
        assert!(!open.windows(5).any(|w| w == b"INV-9"), "really encrypted");
        let pages = read(&open, 500).unwrap();
        assert_eq!(text(&pages[0]), "Invoice Number: INV-9");
        let locked = crate::fixtures::encrypted_pdf(&pdf, "owner-secret", "user-secret");
        assert_eq!(read(&locked, 500).unwrap_err().code, "encrypted_pdf");
    }

    #[test]
    fn page_limit() {
        let pdf = text_pdf(&[&["a"], &["b"], &["c"]]);
        assert_eq!(read(&pdf, 2).unwrap_err().code, "too_many_pages");
    }
}

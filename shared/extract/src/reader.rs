//! The [`DocumentReader`] pagewire uses: sniffing, ZIP unpacking and PDF text, within limits.

use crate::archive::{self, ArchiveLimits};
use crate::{pdf, sniff};
use pagewire_core::model::FileKind;
use pagewire_core::ports::{ArchiveEntry, DocumentReader, PageText, ReadDocument, ReadFailure};
use pagewire_core::Settings;

#[derive(Debug, Clone, Copy)]
pub struct ReaderLimits {
    pub max_pdf_pages: u32,
    pub archive: ArchiveLimits,
}

impl ReaderLimits {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            max_pdf_pages: settings.max_pdf_pages,
            archive: ArchiveLimits {
                max_entries: settings.max_zip_entries,
                max_total_uncompressed: settings.max_zip_uncompressed_bytes,
                max_entry_bytes: settings.max_inline_file_bytes as u64,
                max_ratio: 100,
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct PagewireReader {
    limits: ReaderLimits,
}

impl PagewireReader {
    pub fn new(limits: ReaderLimits) -> Self {
        Self { limits }
    }
}

impl DocumentReader for PagewireReader {
    fn sniff(&self, bytes: &[u8]) -> Option<FileKind> {
        sniff::sniff(bytes)
    }

    fn read(&self, kind: FileKind, bytes: &[u8]) -> Result<ReadDocument, ReadFailure> {
        match kind {
            FileKind::Pdf => pdf::read_pdf(bytes, self.limits.max_pdf_pages),
            // Images are one page each; their text needs OCR, which is not wired yet, so it is empty and
            // every field reads as null.
            FileKind::Png | FileKind::Jpeg | FileKind::Tiff | FileKind::Webp => Ok(ReadDocument {
                kind,
                pages: vec![PageText {
                    number: 1,
                    text: String::new(),
                    confidence: 0.0,
                }],
            }),
            FileKind::Zip => Err(ReadFailure {
                code: "nested_archive",
                message: "a ZIP is not a document".into(),
            }),
        }
    }

    fn unpack(&self, bytes: &[u8]) -> Result<Vec<ArchiveEntry>, ReadFailure> {
        archive::unpack(bytes, self.limits.archive)
    }
}

/// Small, valid files for tests and examples, generated rather than committed.
pub mod fixtures {
    /// A PDF with one page per slice of lines, in Helvetica, with a real text layer.
    pub fn text_pdf(pages: &[&[&str]]) -> Vec<u8> {
        let mut objects: Vec<String> = Vec::new();
        let page_count = pages.len();
        let kids: Vec<String> = (0..page_count)
            .map(|i| format!("{} 0 R", 4 + 2 * i))
            .collect();
        objects.push("<< /Type /Catalog /Pages 2 0 R >>".to_string());
        objects.push(format!(
            "<< /Type /Pages /Kids [{}] /Count {page_count} >>",
            kids.join(" ")
        ));
        objects.push(
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
                .to_string(),
        );
        for (i, lines) in pages.iter().enumerate() {
            objects.push(format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                5 + 2 * i
            ));
            let mut content = String::from("BT /F1 12 Tf 16 TL 72 770 Td\n");
            for line in lines.iter() {
                let escaped = line
                    .replace('\\', "\\\\")
                    .replace('(', "\\(")
                    .replace(')', "\\)");
                content.push_str(&format!("({escaped}) Tj T*\n"));
            }
            content.push_str("ET");
            objects.push(format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            ));
        }
        let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref_at = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for offset in offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }

    /// The smallest valid PNG: one transparent pixel.
    pub const PIXEL_PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
}

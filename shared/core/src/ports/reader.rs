//! Reading documents into words: PDF text layers, OCR, ZIP batches.

use crate::model::{BoundingBox, FileKind};
use bytes::Bytes;

/// One word of a page, where it is, and how sure the reader is of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub bbox: BoundingBox,
    /// 1.0 for a PDF's text layer; the recogniser's score (0..1) for OCR.
    pub confidence: f32,
}

/// Where a page's words came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    TextLayer,
    Ocr,
}

/// The words of one page, as read from a text layer or by OCR, in no particular order (the extraction
/// policy arranges them into lines).
#[derive(Debug, Clone, PartialEq)]
pub struct PageText {
    /// 1-based.
    pub number: u32,
    /// The page's width divided by its height: boxes are fractions of each, and comparing a horizontal
    /// gap with a line's height needs the ratio.
    pub aspect: f32,
    pub words: Vec<Word>,
    pub source: TextSource,
}

/// A document read into pages.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadDocument {
    pub kind: FileKind,
    pub pages: Vec<PageText>,
}

/// A file that could not be read, with a reason to show to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ReadFailure {
    pub code: &'static str,
    pub message: String,
}

impl ReadFailure {
    /// The code of a failure that is the reader's, not the document's (no worker process could be
    /// started): the document is not failed, its read is tried again later.
    pub const READER_UNAVAILABLE: &'static str = "reader_unavailable";

    pub fn is_transient(&self) -> bool {
        self.code == Self::READER_UNAVAILABLE
    }
}

/// One root-level entry of a ZIP batch, or the reason it was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ArchiveEntry {
    File { name: String, bytes: Bytes },
    Refused { name: String, reason: ReadFailure },
}

/// Turns bytes into pages of text. CPU-bound and synchronous: callers run it off the async runtime.
pub trait DocumentReader: Send + Sync {
    fn read(&self, kind: FileKind, bytes: &[u8]) -> Result<ReadDocument, ReadFailure>;
    /// `read` on behalf of `owner` (the tenant). A reader that queues documents for a few workers serves
    /// the owners in turn, so one tenant's backlog of heavy documents does not hold another tenant's.
    fn read_for(
        &self,
        owner: &str,
        kind: FileKind,
        bytes: &[u8],
    ) -> Result<ReadDocument, ReadFailure> {
        let _ = owner;
        self.read(kind, bytes)
    }
    /// Splits a ZIP batch into its root-level entries; the error refuses the whole archive.
    fn unpack(&self, bytes: &[u8]) -> Result<Vec<ArchiveEntry>, ReadFailure>;
}

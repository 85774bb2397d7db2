//! Reading what users submit: file type by magic bytes, ZIP batches, PDF text with word positions, and
//! (feature `ocr`) OCR of images and scanned pages.
//!
//! Everything here parses untrusted bytes, so every entry point is bounded (sizes, counts, pages) and
//! turns a parser panic into a failure with a reason instead of taking the process down.

pub mod archive;
pub mod fixtures;
pub mod hostile;
#[cfg(feature = "ocr")]
pub mod images;
#[cfg(unix)]
pub mod isolation;
#[cfg(feature = "ocr")]
pub mod ocr;
pub mod ocr_models;
pub mod onnxruntime;
#[cfg(feature = "ocr")]
mod page_images;
pub mod pdf;
pub mod pdf_content;
mod pdf_object_streams;
mod pdf_pages;
mod pdf_text;
pub mod reader;
#[cfg(feature = "ocr")]
mod scan;
mod std14;
mod std14_widths;

pub use reader::{PagewireReader, ReaderLimits};

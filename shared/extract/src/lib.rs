//! Reading what users submit: file type by magic bytes, ZIP batches, PDF text.
//!
//! Everything here parses untrusted bytes, so every entry point is bounded (sizes, counts, pages) and
//! turns a parser panic into a failure with a reason instead of taking the process down.

pub mod archive;
pub mod pdf;
pub mod reader;
pub mod sniff;

pub use reader::{PagewireReader, ReaderLimits};

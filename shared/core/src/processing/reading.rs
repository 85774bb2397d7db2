//! The read and the extraction of one document's bytes, as a job runs them. The template preview
//! (`crate::preview`) runs the very same two steps, so what it shows is what a job would extract.

use super::run_blocking;
use crate::error::CoreError;
use crate::model::{ExtractedField, Failure, FileKind, Template};
use crate::policy::extraction::{CompiledTemplate, EXTRACTION_TIME_BUDGET};
use crate::policy::file_kind;
use crate::ports::{DocumentReader, ReadDocument, ReadFailure};
use bytes::Bytes;
use std::sync::Arc;

/// Sniffs and reads `bytes` for `owner` (off the async executor), then refuses more than `max_pages`.
/// `Ok(Err(_))` is the document's fault and says why; `Err(_)` is the reader's (try again later).
pub(crate) async fn read_document(
    reader: &Arc<dyn DocumentReader>,
    owner: String,
    bytes: Bytes,
    max_pages: u32,
) -> Result<Result<ReadDocument, Failure>, CoreError> {
    let Some(kind) = file_kind::sniff(&bytes) else {
        return Ok(Err(Failure::new(
            "unsupported_file_type",
            "the file is not a PDF, PNG, JPEG, TIFF or WebP (judged by its content)",
        )));
    };
    if kind == FileKind::Zip {
        return Ok(Err(Failure::new(
            "nested_archive",
            "a ZIP inside a ZIP is not processed",
        )));
    }
    let reader = reader.clone();
    let read: Result<ReadDocument, ReadFailure> =
        run_blocking(move || reader.read_for(&owner, kind, &bytes)).await?;
    let read = match read {
        Ok(read) => read,
        Err(failure) if failure.is_transient() => {
            return Err(CoreError::Unavailable(failure.message))
        }
        Err(failure) => return Ok(Err(Failure::new(failure.code, failure.message))),
    };
    let pages = page_count(&read);
    if pages > max_pages {
        return Ok(Err(Failure::new(
            "too_many_pages",
            format!("the document has {pages} pages; at most {max_pages} are processed"),
        )));
    }
    Ok(Ok(read))
}

/// The pages a read document counts for (and is charged for): an empty read still counts one.
pub(crate) fn page_count(read: &ReadDocument) -> u32 {
    read.pages.len().max(1) as u32
}

/// Every field of `template` on the read pages. Matching is CPU work: off the async executor, within
/// the document's time budget.
pub(crate) async fn extract_fields_of(
    template: Template,
    read: Arc<ReadDocument>,
) -> Result<Vec<ExtractedField>, CoreError> {
    run_blocking(move || {
        let deadline = std::time::Instant::now() + EXTRACTION_TIME_BUDGET;
        CompiledTemplate::new(&template)
            .extract(&read.pages, &|| std::time::Instant::now() >= deadline)
    })
    .await
}

//! A budget on the object streams of a PDF, checked before lopdf parses them.
//!
//! lopdf parses every object stream of a file while loading it, referenced or not, and parses the
//! object at each offset its index lists: a 65 KB file whose one object stream inflates to a huge
//! array (or lists the same offset a thousand times) becomes gigabytes of objects. So the file is
//! first walked with a filter that keeps nothing: each object stream met is inflated (within the
//! load's size limit) and its objects are stepped over without being built, counting their tokens.
//! Only a file whose object streams fit the budget is then loaded for real.
//!
//! lopdf's filter is a plain `fn`, so the count lives in a thread-local: lopdf is built without its
//! `rayon` feature, and the walk runs on the calling thread.

use crate::pdf_content::{ContentBudget, ContentReader};
use lopdf::{Document, LoadOptions, Object, ObjectId};
use std::cell::Cell;

/// Tokens (numbers, names, strings, brackets) of all object streams of one file together. Real
/// object streams hold a few hundred objects of a few dozen tokens each.
const MAX_TOKENS: usize = 2_000_000;
/// Objects listed by the indexes of all object streams of one file together.
const MAX_OBJECTS: usize = 200_000;

/// Why a file's object streams were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ObjectStreamError {
    #[error("its object streams hold more than {MAX_TOKENS} tokens")]
    TooManyTokens,
    #[error("its object streams list more than {MAX_OBJECTS} objects")]
    TooManyObjects,
}

#[derive(Debug, Clone, Copy, Default)]
struct Spent {
    /// The load's limit on one stream's inflated size.
    max_stream_bytes: usize,
    tokens: usize,
    objects: usize,
    refused: Option<ObjectStreamError>,
}

thread_local! {
    static SPENT: Cell<Spent> = Cell::new(Spent::default());
}

/// Walks the file's objects and checks its object streams against the budget. A file lopdf cannot
/// walk is let through: the real load reports it with its own reason.
pub fn check(bytes: &[u8], max_stream_bytes: usize) -> Result<(), ObjectStreamError> {
    SPENT.with(|spent| {
        spent.set(Spent {
            max_stream_bytes,
            ..Spent::default()
        })
    });
    let options = LoadOptions {
        filter: Some(count_and_drop),
        max_decompressed_size: Some(max_stream_bytes),
        ..LoadOptions::default()
    };
    let _ = Document::load_mem_with_options(bytes, options);
    match SPENT.with(Cell::take).refused {
        Some(refused) => Err(refused),
        None => Ok(()),
    }
}

/// The walk's filter: counts an object stream's cost, and keeps no object at all (so none is
/// parsed out of an object stream, and nothing is held).
fn count_and_drop(_: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    let Ok(stream) = object.as_stream() else {
        return None;
    };
    if !stream.dict.has_type(b"ObjStm") {
        return None;
    }
    let mut spent = SPENT.with(Cell::get);
    if spent.refused.is_some() {
        return None;
    }
    // A stream that does not inflate within the limit fails the real load with its own reason.
    let Ok(content) = stream.get_plain_content_with_limit(spent.max_stream_bytes) else {
        return None;
    };
    let first = stream
        .dict
        .get(b"First")
        .and_then(Object::as_i64)
        .ok()
        .and_then(|first| usize::try_from(first).ok())
        .filter(|first| *first <= content.len())
        .unwrap_or(0);
    spent.refused = spend(&content, first, &mut spent);
    SPENT.with(|cell| cell.set(spent));
    None
}

/// Adds the cost of one object stream's objects (its index before `first`, then the objects).
fn spend(content: &[u8], first: usize, spent: &mut Spent) -> Option<ObjectStreamError> {
    let index = String::from_utf8_lossy(&content[..first]);
    let mut numbers = index.split_ascii_whitespace().map(str::parse::<usize>);
    while let (Some(Ok(_)), Some(Ok(offset))) = (numbers.next(), numbers.next()) {
        spent.objects += 1;
        if spent.objects > MAX_OBJECTS {
            return Some(ObjectStreamError::TooManyObjects);
        }
        let Some(start) = first.checked_add(offset).filter(|s| *s < content.len()) else {
            continue;
        };
        let budget = ContentBudget {
            max_operands: MAX_TOKENS - spent.tokens,
            // lopdf's parser refuses deeper objects itself.
            max_depth: 128,
            ..ContentBudget::default()
        };
        match ContentReader::new(&content[start..], budget).skip_object() {
            Ok(tokens) => spent.tokens += tokens,
            Err(crate::pdf_content::ContentError::TooManyOperands(_)) => {
                return Some(ObjectStreamError::TooManyTokens)
            }
            // Too deep for lopdf too: it drops the object without building it.
            Err(_) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(index: &str, body: &str) -> (Vec<u8>, usize) {
        (format!("{index}{body}").into_bytes(), index.len())
    }

    #[test]
    fn ordinary_object_streams_fit() {
        let (content, first) = stream("10 0 11 29 ", "<< /Type /Font /X [1 2 3] >> (hello) ");
        let mut spent = Spent::default();
        assert_eq!(spend(&content, first, &mut spent), None);
        assert_eq!((spent.objects, spent.tokens), (2, 11));
    }

    #[test]
    fn a_huge_array_or_a_repeated_offset_crosses_the_budget() {
        let array = format!("[{}]", "0 ".repeat(MAX_TOKENS));
        let (content, first) = stream("10 0 ", &array);
        assert_eq!(
            spend(&content, first, &mut Spent::default()),
            Some(ObjectStreamError::TooManyTokens)
        );
        // Small alone, but listed at the same offset many times: each listing is parsed again.
        let array = format!("[{}]", "0 ".repeat(10_000));
        let index: String = (0..1_000).map(|i| format!("{} 0 ", 10 + i)).collect();
        let (content, first) = stream(&index, &array);
        assert_eq!(
            spend(&content, first, &mut Spent::default()),
            Some(ObjectStreamError::TooManyTokens)
        );
        let index: String = (0..MAX_OBJECTS + 1).map(|i| format!("{i} 0 ")).collect();
        let (content, first) = stream(&index, "1");
        assert_eq!(
            spend(&content, first, &mut Spent::default()),
            Some(ObjectStreamError::TooManyObjects)
        );
    }
}

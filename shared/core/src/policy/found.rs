//! What a rule found on a page: the text, where, and how sure the reader was.

use crate::model::BoundingBox;
use crate::ports::Word;

/// One match of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub raw: String,
    pub page: u32,
    pub bbox: Option<BoundingBox>,
    /// The least sure word's score: a value is as sure as its weakest word.
    pub confidence: f32,
    /// The text seems to run on into another label or column.
    pub ran_into_label: bool,
}

/// A match made of `words` (of page `page`) reading `raw`; `None` when `raw` is blank.
pub fn from_words<'a>(
    raw: &str,
    page: u32,
    words: impl IntoIterator<Item = &'a Word>,
) -> Option<Found> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let words: Vec<&Word> = words.into_iter().collect();
    Some(Found {
        raw: raw.to_string(),
        page,
        bbox: BoundingBox::union(words.iter().map(|w| &w.bbox)),
        confidence: words.iter().map(|w| w.confidence).fold(1.0, f32::min),
        ran_into_label: false,
    })
}

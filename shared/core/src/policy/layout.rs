//! Arranging a page's words into lines and column segments, the shape the template rules read.
//!
//! Text layers and OCR both hand over loose words with boxes; reading order is rebuilt here once, so a
//! PDF and a scan of it give the same lines, hence the same values.

use crate::model::BoundingBox;
use crate::policy::labels::folded_chars;
use crate::ports::{PageText, Word};

/// A horizontal gap wider than this many line heights separates two columns of a line.
const COLUMN_GAP_IN_LINE_HEIGHTS: f32 = 1.5;
/// Two words share a line when their vertical extents overlap by at least this share of the smaller one.
const SAME_LINE_OVERLAP: f32 = 0.5;

/// One line of a page: its words left to right, and its text (words joined by one space, column
/// segments by a tab), with where each word sits in that text.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub words: Vec<Word>,
    pub text: String,
    /// Byte range of each word in `text`.
    pub spans: Vec<(usize, usize)>,
    /// Ranges of word indices, one per column segment, left to right.
    pub segments: Vec<(usize, usize)>,
    pub bbox: BoundingBox,
    /// The text's characters as labels are compared with them (`labels::folded_chars`), built once.
    pub folded: Vec<(usize, usize, char)>,
}

impl Line {
    /// Indices of the words that overlap the byte range `[start, end)` of the line's text.
    pub fn words_in(&self, start: usize, end: usize) -> Vec<usize> {
        self.spans
            .iter()
            .enumerate()
            .filter(|(_, (s, e))| *s < end && *e > start)
            .map(|(i, _)| i)
            .collect()
    }

    /// The text of words `from..to` (a part of one segment or several), as it appears in `text`.
    pub fn text_of(&self, from: usize, to: usize) -> &str {
        if from >= to {
            return "";
        }
        &self.text[self.spans[from].0..self.spans[to - 1].1]
    }

    pub fn segment_of(&self, word: usize) -> usize {
        self.segments
            .iter()
            .position(|&(s, e)| word >= s && word < e)
            .unwrap_or(0)
    }

    pub fn bbox_of(&self, from: usize, to: usize) -> Option<BoundingBox> {
        BoundingBox::union(self.words[from..to].iter().map(|w| &w.bbox))
    }
}

/// The page's lines, top to bottom.
pub fn lines(page: &PageText) -> Vec<Line> {
    let mut words: Vec<&Word> = page
        .words
        .iter()
        .filter(|w| !w.text.trim().is_empty())
        .collect();
    words.sort_by(|a, b| a.bbox.centre().1.total_cmp(&b.bbox.centre().1));
    let mut groups: Vec<(BoundingBox, Vec<&Word>)> = Vec::new();
    for word in words {
        let joins = groups.iter().rposition(|(bbox, _)| {
            let smaller = bbox.height.min(word.bbox.height).max(f32::EPSILON);
            bbox.vertical_overlap(&word.bbox) / smaller >= SAME_LINE_OVERLAP
        });
        match joins {
            // Only the last few lines can still take a word, since words arrive sorted by height.
            Some(i) if i + 3 >= groups.len() => {
                let (bbox, members) = &mut groups[i];
                members.push(word);
                // The line keeps the height of its first words so a tall word cannot swallow the next line.
                bbox.x = bbox.x.min(word.bbox.x);
                bbox.width = bbox.right().max(word.bbox.right()) - bbox.x;
            }
            _ => groups.push((word.bbox, vec![word])),
        }
    }
    let mut lines: Vec<Line> = groups
        .into_iter()
        .map(|(_, members)| build_line(members, page.aspect))
        .collect();
    lines.sort_by(|a, b| a.bbox.y.total_cmp(&b.bbox.y));
    lines
}

fn build_line(mut members: Vec<&Word>, aspect: f32) -> Line {
    members.sort_by(|a, b| a.bbox.x.total_cmp(&b.bbox.x));
    let height = median(members.iter().map(|w| w.bbox.height));
    let mut text = String::new();
    let mut spans = Vec::with_capacity(members.len());
    let mut segments = Vec::new();
    let mut segment_start = 0;
    for (i, word) in members.iter().enumerate() {
        if i > 0 {
            // Horizontal fractions are of the width; convert to fractions of the height to compare.
            let gap = (word.bbox.x - members[i - 1].bbox.right()) * aspect;
            if gap > COLUMN_GAP_IN_LINE_HEIGHTS * height {
                segments.push((segment_start, i));
                segment_start = i;
                text.push('\t');
            } else {
                text.push(' ');
            }
        }
        let start = text.len();
        text.push_str(word.text.trim());
        spans.push((start, text.len()));
    }
    segments.push((segment_start, members.len()));
    let bbox = BoundingBox::union(members.iter().map(|w| &w.bbox)).unwrap_or(BoundingBox {
        x: 0.0,
        y: 0.0,
        width: 0.0,
        height: 0.0,
    });
    Line {
        words: members.into_iter().cloned().collect(),
        folded: folded_chars(&text),
        text,
        spans,
        segments,
        bbox,
    }
}

fn median(values: impl Iterator<Item = f32>) -> f32 {
    let mut v: Vec<f32> = values.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// The page as plain text: lines joined by newlines.
pub fn page_text(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ports::TextSource;

    /// A word at (x, y) in points of an A4 page, 10 pt tall, 6 pt per character.
    pub fn word(text: &str, x: f32, y: f32) -> Word {
        Word {
            text: text.into(),
            bbox: BoundingBox {
                x: x / 595.0,
                y: y / 842.0,
                width: 6.0 * text.len() as f32 / 595.0,
                height: 10.0 / 842.0,
            },
            confidence: 1.0,
        }
    }

    pub fn page(number: u32, words: Vec<Word>) -> PageText {
        PageText {
            number,
            aspect: 595.0 / 842.0,
            words,
            source: TextSource::TextLayer,
        }
    }

    #[test]
    fn words_become_lines_and_columns() {
        // Shuffled, slightly uneven baselines, two columns on the second line.
        let p = page(
            1,
            vec![
                word("Date:", 300.0, 101.0),
                word("Invoice", 50.0, 100.0),
                word("INV-1", 130.0, 99.0),
                word("Number:", 90.0, 100.5),
                word("2024-03-15", 336.0, 100.0),
                word("ACME", 50.0, 80.0),
                word("Total", 50.0, 140.0),
            ],
        );
        let got = lines(&p);
        let texts: Vec<&str> = got.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            vec!["ACME", "Invoice Number: INV-1\tDate: 2024-03-15", "Total"]
        );
        assert_eq!(got[1].segments, vec![(0, 3), (3, 5)]);
        assert_eq!(got[1].words_in(8, 15), vec![1]);
        assert_eq!(got[1].text_of(3, 5), "Date: 2024-03-15");
        assert_eq!(page_text(&got).lines().count(), 3);
    }
}

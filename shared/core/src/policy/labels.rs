//! Label rules: the value to the right of a label (`Invoice Number: QX-58213`) or under it, ending where
//! the value ends: at a column gap, or where another label of the same template starts.

use crate::model::{BoundingBox, LabelDirection};
use crate::policy::found::{from_words, Found};
use crate::policy::layout::Line;
use crate::policy::normalise::compatibility_folded;

/// How many lines below a label its value may sit, in label heights.
const MAX_GAP_BELOW_IN_LABEL_HEIGHTS: f32 = 3.0;

/// One character as labels compare it: lower case, compatibility-folded (a full-width colon is a colon;
/// a character that folds to several, a ligature, is compared by its first).
fn folded(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut buf = [0; 4];
    let one = compatibility_folded(c.encode_utf8(&mut buf))
        .chars()
        .next()
        .unwrap_or(c);
    one.to_lowercase().next().unwrap_or(one)
}

/// A label as the matcher compares it: compatibility-folded, lower case, without spaces (OCR often
/// drops or adds spaces: `InvoiceNumber:`).
fn needle(label: &str) -> Vec<char> {
    label
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(folded)
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// A line's text as labels are compared with it: each character that is not a space, folded on its own
/// (so byte positions stay those of the text), with its byte range. Built once per line.
pub fn folded_chars(text: &str) -> Vec<(usize, usize, char)> {
    text.char_indices()
        .map(|(at, c)| (at, at + c.len_utf8(), folded(c)))
        .filter(|(_, _, f)| !f.is_whitespace())
        .collect()
}

/// Every place `label` sits in `line`, as byte ranges, left to right and not overlapping. Case, spaces
/// and compatibility forms (a full-width colon) are ignored; the label must start a word, so `Total`
/// does not match inside `Subtotal`.
pub fn find_labels(line: &str, label: &str) -> Vec<(usize, usize)> {
    matches_in(line, &folded_chars(line), &needle(label))
}

/// The first place `label` sits in `line`.
pub fn find_label(line: &str, label: &str) -> Option<(usize, usize)> {
    find_labels(line, label).into_iter().next()
}

/// The first place `label` sits in a laid-out line (its folded characters are already there).
pub fn find_label_in(line: &Line, label: &str) -> Option<(usize, usize)> {
    matches_in(&line.text, &line.folded, &needle(label))
        .into_iter()
        .next()
}

/// Where `needle` (folded) sits in `text`, given the text's folded characters.
fn matches_in(text: &str, chars: &[(usize, usize, char)], needle: &[char]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let Some(&first) = needle.first() else {
        return found;
    };
    let mut start = 0;
    while start + needle.len() <= chars.len() {
        let (at, _, c) = chars[start];
        let matches = c == first
            && needle
                .iter()
                .zip(&chars[start..])
                .all(|(n, (_, _, c))| c == n);
        let starts_word = matches
            && text[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
        if starts_word {
            found.push((at, chars[start + needle.len() - 1].1));
            start += needle.len();
        } else {
            start += 1;
        }
    }
    found
}

/// Every value of a label rule on one page, top to bottom. `others` are the template's other labels,
/// where a value stops.
pub fn find_after_label(
    lines: &[Line],
    page: u32,
    label: &str,
    direction: LabelDirection,
    others: &[&str],
) -> Vec<Found> {
    let mut out = Vec::new();
    let wanted = needle(label);
    for (i, line) in lines.iter().enumerate() {
        for (at, end) in matches_in(&line.text, &line.folded, &wanted) {
            let label_words = line.words_in(at, end);
            let (Some(&first), Some(&last)) = (label_words.first(), label_words.last()) else {
                continue;
            };
            let Some(label_box) = line.bbox_of(first, last + 1) else {
                continue;
            };
            let stops = label_starts(line, others, label);
            let right = (direction == LabelDirection::Right)
                .then(|| value_right_of(line, page, last, end, &stops))
                .flatten();
            let found = right.or_else(|| value_below(lines, page, i, &label_box, first, &stops));
            out.extend(found);
        }
    }
    out
}

/// Word indices of `line` where another label of the template starts.
fn label_starts(line: &Line, others: &[&str], label: &str) -> Vec<usize> {
    let own = needle(label);
    let mut starts: Vec<usize> = others
        .iter()
        .map(|other| needle(other))
        .filter(|other| *other != own)
        .flat_map(|other| matches_in(&line.text, &line.folded, &other))
        .filter_map(|(at, end)| line.words_in(at, end).first().copied())
        .collect();
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// The rest of the label's column segment, up to another label; or else the next segment of the line.
fn value_right_of(
    line: &Line,
    page: u32,
    label_last: usize,
    label_end: usize,
    stops: &[usize],
) -> Option<Found> {
    let segment = line.segment_of(label_last);
    let (_, seg_end) = line.segments[segment];
    let stop = |from: usize, to: usize| {
        stops
            .iter()
            .copied()
            .find(|&s| s >= from && s < to)
            .unwrap_or(to)
    };
    // The label may end inside a word (`Total:$5`): keep that word's tail.
    let tail_of_word = line
        .text
        .get(label_end..line.spans[label_last].1)
        .unwrap_or("");
    let tail = tail_of_word.trim_start_matches([':', '：']);
    let to = stop(label_last + 1, seg_end);
    let rest = line.text_of(label_last + 1, to);
    let raw = format!("{tail} {rest}");
    let raw = raw.trim().trim_start_matches([':', '：']).trim();
    if !raw.is_empty() {
        let from = if tail.is_empty() {
            label_last + 1
        } else {
            label_last
        };
        return from_words(raw, page, &line.words[from..to]).map(|f| flagged(f, to < seg_end));
    }
    if to < seg_end {
        // Another label follows at once: this line is a row of labels, the values are below.
        return None;
    }
    let (next_start, next_end) = *line.segments.get(segment + 1)?;
    let to = stop(next_start, next_end);
    from_words(
        line.text_of(next_start, to),
        page,
        &line.words[next_start..to],
    )
    .map(|f| flagged(f, false))
}

/// The column segment of the next line down that sits under the label, kept between the labels that
/// share the label's line.
fn value_below(
    lines: &[Line],
    page: u32,
    label_line: usize,
    label_box: &BoundingBox,
    label_first: usize,
    stops: &[usize],
) -> Option<Found> {
    let line = lines.get(label_line + 1)?;
    // Too far below is another block of the page, not this label's value.
    if line.bbox.y - label_box.bottom() > MAX_GAP_BELOW_IN_LABEL_HEIGHTS * label_box.height {
        return None;
    }
    let labels_line = &lines[label_line];
    let left_limit = stops
        .iter()
        .rev()
        .find(|&&s| s < label_first)
        .map(|_| label_box.x);
    let right_limit = stops
        .iter()
        .find(|&&s| s > label_first)
        .map(|&s| labels_line.words[s].bbox.x);
    let (start, end) = line
        .segments
        .iter()
        .copied()
        .map(|(s, e)| {
            let overlap = line
                .bbox_of(s, e)
                .map_or(0.0, |b| b.horizontal_overlap(label_box));
            ((s, e), overlap)
        })
        .filter(|(_, overlap)| *overlap > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))?
        .0;
    let inside = |i: &usize| {
        let right = line.words[*i].bbox.right();
        let x = line.words[*i].bbox.x;
        left_limit.is_none_or(|l| right > l) && right_limit.is_none_or(|r| x < r)
    };
    let kept: Vec<usize> = (start..end).filter(inside).collect();
    let (&first, &last) = (kept.first()?, kept.last()?);
    from_words(
        line.text_of(first, last + 1),
        page,
        kept.iter().map(|&i| &line.words[i]),
    )
    .map(|f| flagged(f, last + 1 < end))
}

/// Marks a value cut short by another label, or one that reads like a value followed by a label.
fn flagged(mut found: Found, cut_at_label: bool) -> Found {
    found.ran_into_label = !cut_at_label && looks_ran_into_label(&found.raw);
    found
}

/// A value followed by what looks like a label of its own: a later word ending with a colon
/// (`QX-58213 Invoice Date:`), or an identifier followed by capitalised words (`OD3041750960 Billing
/// Address`), as when OCR puts two columns in one box.
pub fn looks_ran_into_label(raw: &str) -> bool {
    let words: Vec<&str> = raw.split_whitespace().collect();
    if words.len() < 2 {
        return false;
    }
    if words[1..].iter().any(|w| w.len() > 1 && w.ends_with(':')) {
        return true;
    }
    let identifier = words[0].chars().any(|c| c.is_ascii_digit())
        && words[0].chars().any(|c| c.is_alphabetic())
        || words[0].chars().filter(|c| c.is_ascii_digit()).count() >= 6;
    let title_words = words[1..].iter().all(|w| {
        let mut chars = w.chars();
        chars.next().is_some_and(char::is_uppercase) && chars.all(char::is_alphabetic)
    });
    identifier && title_words && words[1..].iter().any(|w| w.chars().count() >= 3)
}

#[cfg(test)]
mod tests;

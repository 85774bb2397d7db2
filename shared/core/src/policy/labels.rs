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
mod tests {
    use super::*;
    use crate::policy::layout::lines;
    use crate::policy::layout::tests::{page, word};

    #[test]
    fn labels_ignore_case_spaces_and_compatibility_forms() {
        assert_eq!(
            find_label("InvoiceNumber:INV-1", "Invoice Number:"),
            Some((0, 14))
        );
        assert_eq!(
            find_label("in voice  number: x", "Invoice Number:"),
            Some((0, 17))
        );
        assert_eq!(
            find_label("Subtotal: 5\tTotal: 6", "total:"),
            Some((12, 18))
        );
        assert_eq!(find_label("Subtotal: 5", "total"), None);
        assert_eq!(find_label("ÉTÉ: x", "été:"), Some((0, 6)));
        assert_eq!(find_label("Total： 5", "Total:"), Some((0, 8)));
        assert_eq!(find_labels("Ref: A Ref: B", "Ref:"), vec![(0, 4), (7, 11)]);
    }

    fn values(words: Vec<crate::ports::Word>, label: &str, others: &[&str]) -> Vec<(String, bool)> {
        let p = page(1, words);
        find_after_label(&lines(&p), 1, label, LabelDirection::Right, others)
            .into_iter()
            .map(|f| (f.raw, f.ran_into_label))
            .collect()
    }

    /// `Invoice Number: QX-58213  Invoice Date: March 15, 2024`, one space between the two.
    fn shared_line() -> Vec<crate::ports::Word> {
        vec![
            word("Invoice", 50.0, 100.0),
            word("Number:", 98.0, 100.0),
            word("QX-58213", 146.0, 100.0),
            word("Invoice", 200.0, 100.0),
            word("Date:", 248.0, 100.0),
            word("March", 284.0, 100.0),
            word("15,", 320.0, 100.0),
            word("2024", 342.0, 100.0),
        ]
    }

    #[test]
    fn a_value_stops_where_another_label_of_the_template_starts() {
        let others = ["Invoice Number:", "Invoice Date:"];
        assert_eq!(
            values(shared_line(), "Invoice Number:", &others),
            vec![("QX-58213".to_string(), false)]
        );
        assert_eq!(
            values(shared_line(), "Invoice Date:", &others),
            vec![("March 15, 2024".to_string(), false)]
        );
        // Without the other label in the template, the value runs on, and says so.
        assert_eq!(
            values(shared_line(), "Invoice Number:", &["Invoice Number:"]),
            vec![("QX-58213 Invoice Date: March 15, 2024".to_string(), true)]
        );
    }

    #[test]
    fn a_row_of_labels_reads_each_value_under_its_label() {
        let words = vec![
            word("Invoice", 50.0, 100.0),
            word("Number:", 98.0, 100.0),
            word("Invoice", 150.0, 100.0),
            word("Date:", 198.0, 100.0),
            word("QX-58213", 50.0, 114.0),
            word("2024-03-15", 150.0, 114.0),
        ];
        let others = ["Invoice Number:", "Invoice Date:"];
        assert_eq!(
            values(words.clone(), "Invoice Number:", &others),
            vec![("QX-58213".to_string(), false)]
        );
        assert_eq!(
            values(words, "Invoice Date:", &others),
            vec![("2024-03-15".to_string(), false)]
        );
    }

    #[test]
    fn values_that_run_into_a_label_are_recognised() {
        assert!(looks_ran_into_label("OD3041750960 Billing Address"));
        assert!(looks_ran_into_label("QX-58213 Invoice Date: March 15"));
        assert!(looks_ran_into_label("304175096012 Shipping"));
        assert!(!looks_ran_into_label("QX-58213"));
        assert!(!looks_ran_into_label("Globex Ltd"));
        assert!(!looks_ran_into_label("12 rue de la Paix"));
        assert!(!looks_ran_into_label("INV-2024-001"));
        assert!(!looks_ran_into_label("Suite 200"));
    }
}

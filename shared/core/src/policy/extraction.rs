//! Applying a template's rules to a document's text.

use crate::model::{BoundingBox, ExtractedField, FieldRule, FieldSpec, LabelDirection, Template};
use crate::policy::layout::{lines, page_text, Line};
use crate::policy::normalise::normalise;
use crate::ports::{PageText, Word};
use regex::{Regex, RegexBuilder};
use serde_json::Value;

/// Compiled patterns are bounded so a hostile template cannot make matching slow or huge.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const MAX_PATTERN_LEN: usize = 1000;

pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(format!(
            "pattern is longer than {MAX_PATTERN_LEN} characters"
        ));
    }
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

/// Every field of the template, found or `null`, in template order.
pub fn extract_fields(template: &Template, pages: &[PageText]) -> Vec<ExtractedField> {
    let laid_out: Vec<(u32, Vec<Line>)> = pages.iter().map(|p| (p.number, lines(p))).collect();
    template
        .fields
        .iter()
        .map(|spec| extract_field(template, spec, &laid_out))
        .collect()
}

/// What a rule found: the text, and the words of one page it was read from.
struct Found {
    raw: String,
    bbox: Option<BoundingBox>,
    confidence: f32,
}

fn extract_field(
    template: &Template,
    spec: &FieldSpec,
    pages: &[(u32, Vec<Line>)],
) -> ExtractedField {
    let found = pages
        .iter()
        .find_map(|(number, lines)| find(&spec.rule, *number, lines).map(|found| (*number, found)));
    let Some((page, found)) = found else {
        return ExtractedField {
            name: spec.name.clone(),
            value: Value::Null,
            raw: None,
            page: None,
            bbox: None,
            confidence: None,
        };
    };
    let value = normalise(&found.raw, spec.field_type, template.date_order);
    // Text that does not read as the field's type is kept as `raw`, with a lowered confidence.
    let confidence = if value.is_some() {
        found.confidence
    } else {
        found.confidence * 0.5
    };
    ExtractedField {
        name: spec.name.clone(),
        value: value.unwrap_or(Value::Null),
        raw: Some(found.raw),
        page: Some(page),
        bbox: found.bbox,
        confidence: Some(confidence),
    }
}

fn find(rule: &FieldRule, page: u32, lines: &[Line]) -> Option<Found> {
    match rule {
        FieldRule::Label { label, direction } => find_after_label(lines, label, *direction),
        FieldRule::Regex { pattern, group } => find_by_pattern(lines, pattern, *group),
        FieldRule::Region {
            page: wanted,
            x,
            y,
            width,
            height,
        } => {
            if wanted.is_some_and(|w| w != page) {
                return None;
            }
            let region = BoundingBox {
                x: *x,
                y: *y,
                width: *width,
                height: *height,
            };
            find_in_region(lines, &region)
        }
    }
}

fn from_words<'a>(raw: String, words: impl IntoIterator<Item = &'a Word>) -> Option<Found> {
    let raw = raw.trim().to_string();
    if raw.is_empty() {
        return None;
    }
    let words: Vec<&Word> = words.into_iter().collect();
    Some(Found {
        raw,
        bbox: BoundingBox::union(words.iter().map(|w| &w.bbox)),
        // A value is as sure as its least sure word.
        confidence: words.iter().map(|w| w.confidence).fold(1.0, f32::min),
    })
}

fn folded(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Where `label` sits in `line`, as a byte range. Case and whitespace are ignored, since OCR often drops
/// or adds spaces (`InvoiceNumber:`); the label must start a word, so `Total` does not match `Subtotal`.
fn find_label(line: &str, label: &str) -> Option<(usize, usize)> {
    let needle: Vec<char> = label
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(folded)
        .collect();
    if needle.is_empty() {
        return None;
    }
    let chars: Vec<(usize, char)> = line
        .char_indices()
        .filter(|(_, c)| !c.is_whitespace())
        .collect();
    (0..chars.len().saturating_sub(needle.len() - 1)).find_map(|start| {
        let matches = needle
            .iter()
            .zip(&chars[start..])
            .all(|(n, (_, c))| folded(*c) == *n);
        let at = chars[start].0;
        let starts_word = line[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let (last_at, last) = chars[start + needle.len() - 1];
        (matches && starts_word).then_some((at, last_at + last.len_utf8()))
    })
}

fn find_after_label(lines: &[Line], label: &str, direction: LabelDirection) -> Option<Found> {
    for (i, line) in lines.iter().enumerate() {
        let Some((at, end)) = find_label(&line.text, label) else {
            continue;
        };
        let label_words = line.words_in(at, end);
        let (Some(&first), Some(&last)) = (label_words.first(), label_words.last()) else {
            continue;
        };
        let label_box = line.bbox_of(first, last + 1)?;
        if direction == LabelDirection::Right {
            if let Some(found) = value_right_of(line, last, end) {
                return Some(found);
            }
        }
        return value_below(lines, i, &label_box);
    }
    None
}

/// The rest of the label's column segment, or else the next segment of the same line.
fn value_right_of(line: &Line, label_last: usize, label_end: usize) -> Option<Found> {
    let segment = line.segment_of(label_last);
    let (_, seg_end) = line.segments[segment];
    // The label may end inside a word (`Total:$5`): keep that word's tail.
    let tail_of_word = line
        .text
        .get(label_end..line.spans[label_last].1)
        .unwrap_or("");
    let rest = line.text_of(label_last + 1, seg_end);
    let raw = format!("{tail_of_word} {rest}");
    let raw = raw.trim().trim_start_matches(':').trim().to_string();
    if !raw.is_empty() {
        let from = if tail_of_word.trim_start_matches(':').is_empty() {
            label_last + 1
        } else {
            label_last
        };
        return from_words(raw, &line.words[from..seg_end]);
    }
    let (next_start, next_end) = *line.segments.get(segment + 1)?;
    from_words(
        line.text_of(next_start, next_end).to_string(),
        &line.words[next_start..next_end],
    )
}

/// The column segment of the next line down that sits under the label.
fn value_below(lines: &[Line], label_line: usize, label_box: &BoundingBox) -> Option<Found> {
    let line = lines.get(label_line + 1)?;
    // Too far below is another block of the page, not this label's value.
    if line.bbox.y - label_box.bottom() > 3.0 * label_box.height {
        return None;
    }
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
    from_words(
        line.text_of(start, end).to_string(),
        &line.words[start..end],
    )
}

fn find_by_pattern(lines: &[Line], pattern: &str, group: Option<usize>) -> Option<Found> {
    let re = compile_pattern(pattern).ok()?;
    let text = page_text(lines);
    let caps = re.captures(&text)?;
    let index = group.unwrap_or(if caps.len() > 1 { 1 } else { 0 });
    let m = caps.get(index)?;
    // Map the match back to the words it covers, line by line (lines are joined by one '\n').
    let mut words = Vec::new();
    let mut line_start = 0;
    for line in lines {
        let line_end = line_start + line.text.len();
        if m.start() <= line_end && m.end() > line_start {
            let from = m.start().saturating_sub(line_start);
            let to = m.end().saturating_sub(line_start).min(line.text.len());
            words.extend(line.words_in(from, to).into_iter().map(|i| &line.words[i]));
        }
        line_start = line_end + 1;
    }
    from_words(m.as_str().to_string(), words)
}

fn find_in_region(lines: &[Line], region: &BoundingBox) -> Option<Found> {
    let mut parts = Vec::new();
    let mut words = Vec::new();
    for line in lines {
        let inside: Vec<&Word> = line
            .words
            .iter()
            .filter(|w| region.contains_point(w.bbox.centre()))
            .collect();
        if !inside.is_empty() {
            parts.push(
                inside
                    .iter()
                    .map(|w| w.text.trim())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            words.extend(inside);
        }
    }
    from_words(parts.join(" "), words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{TemplateId, TenantId};
    use crate::model::{DateOrder, FieldType};
    use crate::policy::layout::tests::{page, word};
    use chrono::Utc;

    fn template(fields: Vec<FieldSpec>) -> Template {
        Template {
            id: TemplateId::random(),
            tenant_id: TenantId::random(),
            name: "t".into(),
            fields,
            date_order: DateOrder::DayMonthYear,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn field(name: &str, field_type: FieldType, rule: FieldRule) -> FieldSpec {
        FieldSpec {
            name: name.into(),
            field_type,
            rule,
        }
    }

    fn label(text: &str) -> FieldRule {
        FieldRule::Label {
            label: text.into(),
            direction: LabelDirection::Right,
        }
    }

    /// An invoice laid out as a text layer would give it: a two-column header, a value below its
    /// label, and the total on page 2 read by OCR with a lower score.
    fn invoice() -> Vec<PageText> {
        let mut total = word("$1,234.56", 400.0, 212.0);
        total.confidence = 0.9;
        vec![
            page(
                1,
                vec![
                    word("ACME", 50.0, 60.0),
                    word("Corp", 80.0, 60.0),
                    word("Invoice", 50.0, 100.0),
                    word("Number:", 98.0, 100.0),
                    word("INV-2024-001", 146.0, 100.0),
                    word("Date:", 350.0, 100.0),
                    word("March", 386.0, 100.0),
                    word("15,", 420.0, 100.0),
                    word("2024", 442.0, 100.0),
                    word("Subtotal:", 50.0, 150.0),
                    word("$1,000.00", 110.0, 150.0),
                ],
            ),
            page(2, vec![word("Total", 400.0, 200.0), total]),
        ]
    }

    #[test]
    fn label_regex_and_missing_fields() {
        let t = template(vec![
            field("invoice_number", FieldType::Text, label("invoice number:")),
            field("date", FieldType::Date, label("Date:")),
            field(
                "total",
                FieldType::Money,
                FieldRule::Label {
                    label: "Total".into(),
                    direction: LabelDirection::Below,
                },
            ),
            field(
                "vendor",
                FieldType::Text,
                FieldRule::Regex {
                    pattern: r"^(\w+) Corp".into(),
                    group: None,
                },
            ),
            field("po", FieldType::Text, label("PO Number")),
            field("subtotal", FieldType::Money, label("subtotal")),
        ]);
        let got = extract_fields(&t, &invoice());
        let values: Vec<_> = got.iter().map(|f| f.value.clone()).collect();
        assert_eq!(
            values,
            vec![
                Value::from("INV-2024-001"),
                Value::from("2024-03-15"),
                Value::from(1234.56),
                Value::from("ACME"),
                Value::Null,
                Value::from(1000),
            ]
        );
        assert_eq!(got[2].page, Some(2));
        assert_eq!(got[2].confidence, Some(0.9));
        assert_eq!(got[0].confidence, Some(1.0));
        assert_eq!(got[4].raw, None);
        assert_eq!((got[4].page, got[4].bbox), (None, None));
        // Boxes are the value's words, not the label's.
        let number = got[0].bbox.unwrap();
        assert!((number.x - 146.0 / 595.0).abs() < 1e-6, "{number:?}");
        let date = got[1].bbox.unwrap();
        assert!((date.x - 386.0 / 595.0).abs() < 1e-6 && date.right() > 442.0 / 595.0);
        let vendor = got[3].bbox.unwrap();
        assert!(
            (vendor.right() - 74.0 / 595.0).abs() < 1e-6,
            "only ACME: {vendor:?}"
        );
    }

    #[test]
    fn region_rule_reads_the_words_inside() {
        let region = |page, x, y, width, height| FieldRule::Region {
            page,
            x,
            y,
            width,
            height,
        };
        let t = template(vec![
            field(
                "vendor",
                FieldType::Text,
                region(Some(1), 0.05, 0.05, 0.3, 0.04),
            ),
            field("total", FieldType::Money, region(None, 0.6, 0.2, 0.4, 0.1)),
            field(
                "nothing",
                FieldType::Text,
                region(Some(1), 0.9, 0.9, 0.1, 0.1),
            ),
            field(
                "wrong_page",
                FieldType::Money,
                region(Some(1), 0.6, 0.2, 0.4, 0.1),
            ),
        ]);
        let got = extract_fields(&t, &invoice());
        assert_eq!(got[0].value, Value::from("ACME Corp"));
        assert_eq!(
            (got[1].value.clone(), got[1].page),
            (Value::from(1234.56), Some(2))
        );
        assert_eq!(got[1].raw.as_deref(), Some("Total $1,234.56"));
        assert_eq!(got[2].value, Value::Null);
        assert_eq!(got[3].value, Value::Null);
    }

    #[test]
    fn text_that_does_not_read_as_its_type_is_null_with_raw_kept() {
        let t = template(vec![field("d", FieldType::Date, label("Invoice Number:"))]);
        let got = extract_fields(&t, &invoice());
        assert_eq!(got[0].value, Value::Null);
        assert_eq!(got[0].raw.as_deref(), Some("INV-2024-001"));
        assert_eq!(got[0].confidence, Some(0.5));
    }

    #[test]
    fn labels_ignore_case_and_the_spaces_ocr_drops_or_adds() {
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
        let merged = page(
            1,
            vec![
                word("InvoiceNumber:INV-2024-001", 50.0, 100.0),
                word("DueDate:14/04/2024", 50.0, 120.0),
            ],
        );
        let t = template(vec![
            field("n", FieldType::Text, label("Invoice Number:")),
            field("d", FieldType::Date, label("Due Date:")),
        ]);
        let got = extract_fields(&t, &[merged]);
        assert_eq!(got[0].value, Value::from("INV-2024-001"));
        assert_eq!(got[1].value, Value::from("2024-04-14"));
    }

    #[test]
    fn hostile_patterns_are_refused_at_compile() {
        assert!(compile_pattern("(unclosed").is_err());
        assert!(compile_pattern(&"a".repeat(2000)).is_err());
        assert!(compile_pattern(r"(\w{1000}){1000}").is_err());
    }
}

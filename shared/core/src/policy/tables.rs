//! Table rules: line items under a header line, one row object per item, over page breaks.
//!
//! The header line is the first line that holds every column's header label. Each later line is cut into
//! cells by the layout's column gaps, and each cell goes to the column whose header is horizontally
//! nearest (a cell without gaps inside spanning several headers is cut word by word). A line is a row
//! when at least half of the typed (non-text) columns read as their type (rounded up); a line just
//! under a row with text only under text columns continues that row's text (a wrapped description). A
//! line holding a stop label ends the table; a line that is neither a row nor a continuation ends the
//! page's part of it (a page footer), and the rows go on on the next page: after the header if the page
//! repeats it, else from its first row.

use crate::model::{
    BoundingBox, ExtractedField, FieldType, FieldWarning, TableColumn, WarningCode,
};
use crate::policy::labels::find_label_in;
use crate::policy::layout::Line;
use crate::policy::matching::{push_warning, LOW_OCR_CONFIDENCE};
use crate::policy::normalise::{normalise, ReadingRules};
use crate::ports::Word;
use serde_json::{Map, Value};

/// Most rows read from one table; a longer one is cut, with a warning.
const MAX_ROWS: usize = 5_000;
/// A wrapped description continues its row when at most this many line heights below it.
const CONTINUATION_GAP_IN_LINE_HEIGHTS: f32 = 1.0;

/// One page's lines, as the extraction arranged them.
pub struct PageLines<'a> {
    pub number: u32,
    pub lines: &'a [Line],
}

struct Header {
    boxes: Vec<BoundingBox>,
    line: usize,
}

struct Row {
    cells: Vec<Option<String>>,
    confidence: f32,
    bottom: f32,
    height: f32,
}

/// The table field `name` read from the pages, or a field with no value when no page holds the header.
pub fn read_table(
    name: &str,
    columns: &[TableColumn],
    stop: &[String],
    pages: &[PageLines<'_>],
    rules: ReadingRules,
) -> ExtractedField {
    let mut rows: Vec<Row> = Vec::new();
    let mut first: Option<(u32, Option<BoundingBox>, String)> = None;
    let mut boxes: Option<Vec<BoundingBox>> = None;
    let mut warnings = Vec::new();
    'pages: for page in pages {
        let header = find_header(page.lines, columns);
        let (start, page_boxes) = match (&header, &boxes) {
            (Some(h), _) => (h.line + 1, h.boxes.clone()),
            // The table goes on from an earlier page without a repeated header.
            (None, Some(previous)) => (0, previous.clone()),
            (None, None) => continue,
        };
        if first.is_none() {
            if let Some(h) = &header {
                first = Some((page.number, None, page.lines[h.line].text.clone()));
            }
        }
        boxes = Some(page_boxes.clone());
        let mut open_row = false;
        let mut seen_row_here = false;
        for line in &page.lines[start..] {
            if stop.iter().any(|s| find_label_in(line, s).is_some()) {
                break 'pages;
            }
            let cells = cells_of(line, &page_boxes);
            if is_row(&cells, columns, rules) {
                if rows.len() == MAX_ROWS {
                    push_warning(
                        &mut warnings,
                        FieldWarning::new(
                            WarningCode::IncompleteTableRow,
                            format!(
                                "the table has more than {MAX_ROWS} rows; the rest is left out"
                            ),
                        ),
                    );
                    break 'pages;
                }
                if let Some((_, bbox, _)) = &mut first {
                    *bbox = BoundingBox::union(bbox.iter().chain([&line.bbox]));
                }
                rows.push(Row {
                    confidence: line.words.iter().map(|w| w.confidence).fold(1.0, f32::min),
                    cells: cells.into_iter().map(|c| c.map(|(text, _)| text)).collect(),
                    bottom: line.bbox.bottom(),
                    height: line.bbox.height,
                });
                open_row = true;
                seen_row_here = true;
                continue;
            }
            if open_row && continues(rows.last(), line, &cells, columns) {
                if let Some(row) = rows.last_mut() {
                    for (cell, extra) in row.cells.iter_mut().zip(cells) {
                        if let Some((text, _)) = extra {
                            *cell = Some(match cell.take() {
                                Some(before) => format!("{before} {text}"),
                                None => text,
                            });
                        }
                    }
                    row.bottom = line.bbox.bottom();
                }
                continue;
            }
            if seen_row_here {
                // Past the rows of this page (a page footer): the table may go on on the next page.
                break;
            }
            // Above the first row of a continued page (a page header): not part of the table.
        }
    }
    let Some((page, bbox, header_text)) = first else {
        return crate::policy::matching::missing(name);
    };
    let mut confidence: f32 = 1.0;
    let mut values = Vec::with_capacity(rows.len());
    for row in &rows {
        confidence = confidence.min(row.confidence);
        let mut object = Map::new();
        let mut complete = true;
        for (column, cell) in columns.iter().zip(&row.cells) {
            let reading = normalise(cell.as_deref().unwrap_or(""), column.column_type, rules);
            complete &= !reading.value.is_null();
            for w in reading.warnings {
                push_warning(&mut warnings, w);
            }
            object.insert(column.name.clone(), reading.value);
        }
        if !complete {
            push_warning(
                &mut warnings,
                FieldWarning::new(
                    WarningCode::IncompleteTableRow,
                    "a row has an empty cell or one that does not read as its column's type",
                ),
            );
        }
        values.push(Value::Object(object));
    }
    if confidence < LOW_OCR_CONFIDENCE {
        push_warning(
            &mut warnings,
            FieldWarning::new(
                WarningCode::LowOcrConfidence,
                format!("the table was read with a score of {confidence:.2}"),
            ),
        );
    }
    ExtractedField {
        name: name.to_string(),
        value: Value::Array(values),
        raw: Some(header_text),
        page: Some(page),
        bbox,
        confidence: Some(confidence),
        warnings,
    }
}

/// The first line holding every column's header, and each header's box.
fn find_header(lines: &[Line], columns: &[TableColumn]) -> Option<Header> {
    lines.iter().enumerate().find_map(|(i, line)| {
        let boxes = columns
            .iter()
            .map(|c| {
                let (at, end) = find_label_in(line, &c.header)?;
                let words = line.words_in(at, end);
                line.bbox_of(*words.first()?, *words.last()? + 1)
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Header { boxes, line: i })
    })
}

/// The line's text under each column (`None` where it has none), with the cell's words' lowest score.
fn cells_of(line: &Line, headers: &[BoundingBox]) -> Vec<Option<(String, f32)>> {
    let mut cells: Vec<Vec<&Word>> = vec![Vec::new(); headers.len()];
    for &(start, end) in &line.segments {
        let words = &line.words[start..end];
        let Some(bbox) = BoundingBox::union(words.iter().map(|w| &w.bbox)) else {
            continue;
        };
        let spanned = headers
            .iter()
            .filter(|h| h.horizontal_overlap(&bbox) > 0.0)
            .count();
        if spanned > 1 {
            for word in words {
                cells[nearest(headers, &word.bbox)].push(word);
            }
        } else {
            cells[nearest(headers, &bbox)].extend(words);
        }
    }
    cells
        .into_iter()
        .map(|words| {
            (!words.is_empty()).then(|| {
                let text = words
                    .iter()
                    .map(|w| w.text.trim())
                    .collect::<Vec<_>>()
                    .join(" ");
                let confidence = words.iter().map(|w| w.confidence).fold(1.0, f32::min);
                (text, confidence)
            })
        })
        .collect()
}

/// The header horizontally nearest to `bbox`: the most overlapping, or else the closest.
fn nearest(headers: &[BoundingBox], bbox: &BoundingBox) -> usize {
    let distance = |h: &BoundingBox| {
        let overlap = h.horizontal_overlap(bbox);
        if overlap > 0.0 {
            -overlap
        } else {
            (h.x - bbox.right()).max(bbox.x - h.right())
        }
    };
    (0..headers.len())
        .min_by(|&a, &b| distance(&headers[a]).total_cmp(&distance(&headers[b])))
        .unwrap_or(0)
}

/// Whether the cells make a row: enough typed columns read as their type.
fn is_row(cells: &[Option<(String, f32)>], columns: &[TableColumn], rules: ReadingRules) -> bool {
    let typed: Vec<usize> = (0..columns.len())
        .filter(|&i| columns[i].column_type != FieldType::Text)
        .collect();
    if typed.is_empty() {
        return cells.iter().any(Option::is_some);
    }
    let reading = typed
        .iter()
        .filter(|&&i| {
            cells[i].as_ref().is_some_and(|(text, _)| {
                !normalise(text, columns[i].column_type, rules)
                    .value
                    .is_null()
            })
        })
        .count();
    reading >= typed.len().div_ceil(2)
}

/// Whether a line with text under text columns only, just below the row, wraps the row's text.
fn continues(
    row: Option<&Row>,
    line: &Line,
    cells: &[Option<(String, f32)>],
    columns: &[TableColumn],
) -> bool {
    let Some(row) = row else {
        return false;
    };
    let close = line.bbox.y - row.bottom
        <= CONTINUATION_GAP_IN_LINE_HEIGHTS * row.height.max(line.bbox.height);
    let text_only = cells
        .iter()
        .zip(columns)
        .all(|(cell, column)| cell.is_none() || column.column_type == FieldType::Text);
    close && text_only && cells.iter().any(Option::is_some)
}

#[cfg(test)]
mod tests;

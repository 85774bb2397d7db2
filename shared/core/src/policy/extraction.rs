//! Applying a template's rules to a document's text: every rule compiled once per document, every
//! page laid out once, each field made of its rule's matches by its match mode.

use crate::model::{
    BoundingBox, ExtractedField, FieldRule, FieldSpec, FieldWarning, LabelDirection, Template,
    WarningCode,
};
use crate::policy::found::{from_words, Found};
use crate::policy::labels::find_after_label;
use crate::policy::layout::{lines, page_text, Line};
use crate::policy::matching::{combine, missing, Candidate};
use crate::policy::normalise::{normalise, ReadingRules};
use crate::policy::tables::{read_table, PageLines};
use crate::ports::{PageText, Word};
use regex::Regex;

pub use crate::policy::patterns::compile_pattern;

/// How long one document's fields may take to extract; the fields left after it are `null` with the
/// warning `extraction_time_budget`.
pub const EXTRACTION_TIME_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// Most matches one rule collects over a document; enough for any list on an invoice.
const MAX_MATCHES_PER_FIELD: usize = 1_000;

/// A template ready to run: its regular expressions compiled, its labels gathered.
pub struct CompiledTemplate<'t> {
    rules: ReadingRules,
    fields: Vec<(&'t FieldSpec, Compiled<'t>)>,
    /// Every label of the template: a label rule's value stops where another one starts.
    labels: Vec<&'t str>,
}

enum Compiled<'t> {
    Label(&'t str, LabelDirection),
    Regex(Regex, Option<usize>),
    Region(Option<u32>, BoundingBox),
    Table,
    /// A pattern that no longer compiles (stored before a limit changed): the field is never found.
    Refused,
}

/// One page laid out once: its lines and its text, with where each line starts in the text.
struct LaidOutPage {
    number: u32,
    lines: Vec<Line>,
    text: String,
    line_starts: Vec<usize>,
}

impl<'t> CompiledTemplate<'t> {
    pub fn new(template: &'t Template) -> Self {
        let fields = template
            .fields
            .iter()
            .map(|spec| {
                let compiled = match &spec.rule {
                    FieldRule::Label { label, direction } => Compiled::Label(label, *direction),
                    FieldRule::Regex { pattern, group } => compile_pattern(pattern)
                        .map_or(Compiled::Refused, |re| Compiled::Regex(re, *group)),
                    FieldRule::Region {
                        page,
                        x,
                        y,
                        width,
                        height,
                    } => Compiled::Region(
                        *page,
                        BoundingBox {
                            x: *x,
                            y: *y,
                            width: *width,
                            height: *height,
                        },
                    ),
                    FieldRule::Table { .. } => Compiled::Table,
                };
                (spec, compiled)
            })
            .collect();
        let mut labels: Vec<&str> = template
            .fields
            .iter()
            .filter_map(|f| match &f.rule {
                FieldRule::Label { label, .. } => Some(label.as_str()),
                _ => None,
            })
            .collect();
        labels.sort_unstable();
        labels.dedup();
        Self {
            rules: ReadingRules::of(template),
            fields,
            labels,
        }
    }

    /// Every field of the template, found or `null`, in template order. `out_of_time` is asked between
    /// fields and pages: once it says yes, the field being read and those left are `null` with the
    /// warning `extraction_time_budget`.
    pub fn extract(
        &self,
        pages: &[PageText],
        out_of_time: &dyn Fn() -> bool,
    ) -> Vec<ExtractedField> {
        let laid_out: Vec<LaidOutPage> = pages.iter().map(lay_out).collect();
        let mut out = Vec::with_capacity(self.fields.len());
        let mut expired = false;
        for (spec, compiled) in &self.fields {
            let field = if expired {
                None
            } else {
                self.extract_field(spec, compiled, &laid_out, out_of_time)
            };
            expired = field.is_none();
            out.push(field.unwrap_or_else(|| out_of_time_field(&spec.name)));
        }
        out
    }

    /// The field, or `None` when time ran out while reading it.
    fn extract_field(
        &self,
        spec: &FieldSpec,
        compiled: &Compiled<'_>,
        pages: &[LaidOutPage],
        out_of_time: &dyn Fn() -> bool,
    ) -> Option<ExtractedField> {
        if out_of_time() {
            return None;
        }
        if let (Compiled::Table, FieldRule::Table { columns, stop }) = (compiled, &spec.rule) {
            let page_lines: Vec<PageLines> = pages
                .iter()
                .map(|p| PageLines {
                    number: p.number,
                    lines: &p.lines,
                })
                .collect();
            return Some(read_table(
                &spec.name,
                columns,
                stop,
                &page_lines,
                self.rules,
            ));
        }
        let mut candidates = Vec::new();
        for page in pages {
            if out_of_time() {
                return None;
            }
            let found = self.find(compiled, page);
            candidates.extend(found.into_iter().map(|found| Candidate {
                reading: normalise(&found.raw, spec.field_type, self.rules),
                found,
            }));
            if candidates.len() >= MAX_MATCHES_PER_FIELD {
                candidates.truncate(MAX_MATCHES_PER_FIELD);
                break;
            }
        }
        Some(combine(spec, &candidates))
    }

    fn find(&self, compiled: &Compiled<'_>, page: &LaidOutPage) -> Vec<Found> {
        match compiled {
            Compiled::Label(label, direction) => {
                find_after_label(&page.lines, page.number, label, *direction, &self.labels)
            }
            Compiled::Regex(re, group) => find_by_pattern(page, re, *group),
            Compiled::Region(wanted, region) => {
                if wanted.is_some_and(|w| w != page.number) {
                    return vec![];
                }
                find_in_region(page, region).into_iter().collect()
            }
            Compiled::Table | Compiled::Refused => vec![],
        }
    }
}

fn out_of_time_field(name: &str) -> ExtractedField {
    let mut field = missing(name);
    field.warnings.push(FieldWarning::new(
        WarningCode::ExtractionTimeBudget,
        "the document's extraction ran out of time before this field",
    ));
    field
}

/// Every field of the template, found or `null`, in template order, with no time limit.
pub fn extract_fields(template: &Template, pages: &[PageText]) -> Vec<ExtractedField> {
    CompiledTemplate::new(template).extract(pages, &|| false)
}

fn lay_out(page: &PageText) -> LaidOutPage {
    let lines = lines(page);
    let text = page_text(&lines);
    let mut line_starts = Vec::with_capacity(lines.len());
    let mut at = 0;
    for line in &lines {
        line_starts.push(at);
        at += line.text.len() + 1;
    }
    LaidOutPage {
        number: page.number,
        lines,
        text,
        line_starts,
    }
}

/// Every match of the pattern on the page; the value is capture group `group` (default 1, or the whole
/// match when the pattern has no group).
fn find_by_pattern(page: &LaidOutPage, re: &Regex, group: Option<usize>) -> Vec<Found> {
    let index = group.unwrap_or(if re.captures_len() > 1 { 1 } else { 0 });
    re.captures_iter(&page.text)
        .take(MAX_MATCHES_PER_FIELD)
        .filter_map(|caps| {
            let m = caps.get(index)?;
            // Map the match back to the words it covers, line by line (lines are joined by one '\n').
            let mut words = Vec::new();
            for (line, &line_start) in page.lines.iter().zip(&page.line_starts) {
                let line_end = line_start + line.text.len();
                if m.start() <= line_end && m.end() > line_start {
                    let from = m.start().saturating_sub(line_start);
                    let to = m.end().saturating_sub(line_start).min(line.text.len());
                    words.extend(line.words_in(from, to).into_iter().map(|i| &line.words[i]));
                }
            }
            from_words(m.as_str(), page.number, words)
        })
        .collect()
}

fn find_in_region(page: &LaidOutPage, region: &BoundingBox) -> Option<Found> {
    let mut parts = Vec::new();
    let mut words = Vec::new();
    for line in &page.lines {
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
    from_words(&parts.join(" "), page.number, words)
}

#[cfg(test)]
mod tests;

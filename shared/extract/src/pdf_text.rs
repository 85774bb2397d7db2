//! Words with positions from a PDF page's text layer.
//!
//! lopdf parses the content stream into operators; this module follows the text state they set (text
//! matrix, font, size, spacing, leading, the graphics CTM) to place every glyph, and groups glyphs into
//! words by spaces and gaps. Glyph widths come from the font's `/Widths` (or `/W` for composite fonts),
//! else from the metrics of the standard 14 fonts ([`crate::std14`]), else the font's `/MissingWidth` or
//! an average width. Glyphs outside the page's visible box (its crop box) are dropped, as viewers do.

use crate::pdf_content::{ContentBudget, ContentError, ContentReader};
use crate::std14::StandardFont;
use lopdf::content::Operation;
use lopdf::{Dictionary, Document, Encoding, Object, ObjectId};
use pagewire_core::model::BoundingBox;
use pagewire_core::ports::Word;
use std::collections::BTreeMap;

/// Bounds per page, so a hostile content stream costs a bounded amount of work.
const MAX_CONTENT_BYTES: usize = 32 << 20;
const MAX_GLYPHS: usize = 500_000;
/// Width of a glyph whose font says nothing, in text space units (1/1000 em).
const FALLBACK_WIDTH: f32 = 500.0;

/// An affine matrix `[a b c d e f]` as PDF writes them (row vector times matrix).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Matrix(pub(crate) [f32; 6]);

impl Matrix {
    pub(crate) const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    /// `self` then `other`.
    pub(crate) fn then(&self, other: &Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [a2, b2, c2, d2, e2, f2] = other.0;
        Matrix([
            a * a2 + b * c2,
            a * b2 + b * d2,
            c * a2 + d * c2,
            c * b2 + d * d2,
            e * a2 + f * c2 + e2,
            e * b2 + f * d2 + f2,
        ])
    }

    pub(crate) fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (x * a + y * c + e, x * b + y * d + f)
    }
}

/// What a page's fonts say: how to decode their bytes and how wide their glyphs are.
struct FontInfo<'a> {
    encoding: Option<Encoding<'a>>,
    /// Composite (Type0) fonts use two bytes per glyph here.
    two_byte: bool,
    widths: BTreeMap<u32, f32>,
    /// The standard-14 metrics the font's name implies, for codes its `/Widths` does not cover.
    standard: Option<StandardFont>,
    /// Symbol and ZapfDingbats without an `/Encoding`: codes are in their built-in encoding.
    builtin_codes: bool,
    default_width: f32,
}

impl FontInfo<'_> {
    /// The width of the glyph for `code`, which decodes to `text`.
    fn width(&self, code: u32, text: &str) -> f32 {
        let listed = self.widths.get(&code).copied().filter(|w| *w > 0.0);
        let standard = || {
            let font = self.standard?;
            if self.builtin_codes {
                return font.width_of_builtin_code(code);
            }
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => font.width_of_char(c),
                _ => None,
            }
        };
        listed.or_else(standard).unwrap_or(self.default_width)
    }
}

pub(crate) fn number(object: &Object) -> Option<f32> {
    match object {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

pub(crate) fn resolve<'a>(doc: &'a Document, object: &'a Object) -> &'a Object {
    match object {
        Object::Reference(id) => doc.get_object(*id).unwrap_or(object),
        other => other,
    }
}

fn font_info<'a>(doc: &'a Document, font: &'a Dictionary) -> FontInfo<'a> {
    let encoding = font
        .get_font_encoding_with_limit(doc, MAX_CONTENT_BYTES)
        .ok();
    let two_byte = font
        .get(b"Subtype")
        .and_then(Object::as_name)
        .is_ok_and(|s| s == b"Type0");
    let mut widths = BTreeMap::new();
    let mut default_width = font
        .get(b"FontDescriptor")
        .ok()
        .map(|o| resolve(doc, o))
        .and_then(|o| o.as_dict().ok())
        .and_then(|d| d.get(b"MissingWidth").ok())
        .and_then(number)
        .filter(|w| *w > 0.0)
        .unwrap_or(FALLBACK_WIDTH);
    let standard = if two_byte {
        None
    } else {
        font.get(b"BaseFont")
            .and_then(Object::as_name)
            .ok()
            .and_then(StandardFont::from_base_font)
    };
    let builtin_codes =
        standard.is_some_and(StandardFont::is_symbolic) && font.get(b"Encoding").is_err();
    if two_byte {
        let descendant = font
            .get(b"DescendantFonts")
            .ok()
            .map(|o| resolve(doc, o))
            .and_then(|o| o.as_array().ok())
            .and_then(|a| a.first())
            .map(|o| resolve(doc, o))
            .and_then(|o| o.as_dict().ok());
        if let Some(cid_font) = descendant {
            if let Some(dw) = cid_font.get(b"DW").ok().and_then(number) {
                default_width = dw;
            }
            if let Ok(w) = cid_font.get(b"W").map(|o| resolve(doc, o)) {
                read_cid_widths(doc, w, &mut widths);
            }
        }
    } else {
        let first = font.get(b"FirstChar").ok().and_then(number).unwrap_or(0.0) as u32;
        if let Ok(Object::Array(list)) = font.get(b"Widths").map(|o| resolve(doc, o)) {
            for (i, w) in list.iter().enumerate().take(256) {
                if let Some(w) = number(resolve(doc, w)) {
                    widths.insert(first + i as u32, w);
                }
            }
        }
    }
    FontInfo {
        encoding,
        two_byte,
        widths,
        standard,
        builtin_codes,
        default_width,
    }
}

/// A composite font's `/W`: `c [w1 w2 ...]` gives widths from `c` on; `c1 c2 w` one width for a range.
fn read_cid_widths(doc: &Document, w: &Object, widths: &mut BTreeMap<u32, f32>) {
    let Ok(items) = w.as_array() else { return };
    let mut i = 0;
    while i < items.len() && widths.len() < 65_536 {
        let Some(start) = number(resolve(doc, &items[i])) else {
            return;
        };
        match items.get(i + 1).map(|o| resolve(doc, o)) {
            Some(Object::Array(list)) => {
                for (k, w) in list.iter().enumerate().take(65_536) {
                    if let Some(w) = number(resolve(doc, w)) {
                        widths.insert(start as u32 + k as u32, w);
                    }
                }
                i += 2;
            }
            Some(end) => {
                let (Some(end), Some(width)) = (
                    number(end),
                    items.get(i + 2).map(|o| resolve(doc, o)).and_then(number),
                ) else {
                    return;
                };
                let (start, end) = (start as u32, (end as u32).min(start as u32 + 65_536));
                for code in start..=end {
                    widths.insert(code, width);
                }
                i += 3;
            }
            None => return,
        }
    }
}

/// A glyph placed on the page, in PDF user space.
#[derive(Debug, Clone)]
struct Glyph {
    text: String,
    x: f32,
    baseline: f32,
    advance: f32,
    size: f32,
}

#[derive(Debug, Clone, Copy)]
struct TextState {
    char_spacing: f32,
    word_spacing: f32,
    horizontal_scale: f32,
    leading: f32,
    size: f32,
    rise: f32,
}

impl Default for TextState {
    fn default() -> Self {
        Self {
            char_spacing: 0.0,
            word_spacing: 0.0,
            horizontal_scale: 1.0,
            leading: 0.0,
            size: 0.0,
            rise: 0.0,
        }
    }
}

fn operand(op: &Operation, i: usize) -> f32 {
    op.operands.get(i).and_then(number).unwrap_or(0.0)
}

/// A rectangle (x0, y0, x1, y1) in user space, x0 < x1 and y0 < y1.
pub(crate) type PageBox = (f32, f32, f32, f32);

/// A page's box attribute (`MediaBox`, `CropBox`), inherited through the page tree when the page lacks
/// it; `None` when absent or degenerate.
fn inherited_box(doc: &Document, page_id: ObjectId, key: &[u8]) -> Option<PageBox> {
    let mut node = doc.get_dictionary(page_id).ok();
    // The page tree is walked upwards a bounded number of steps: a cyclic tree cannot loop.
    for _ in 0..32 {
        let dict = node?;
        if let Ok(Object::Array(b)) = dict.get(key).map(|o| resolve(doc, o)) {
            let v: Vec<f32> = b.iter().filter_map(|o| number(resolve(doc, o))).collect();
            if v.len() == 4 && v[2] != v[0] && v[3] != v[1] && v.iter().all(|n| n.is_finite()) {
                return Some((
                    v[0].min(v[2]),
                    v[1].min(v[3]),
                    v[0].max(v[2]),
                    v[1].max(v[3]),
                ));
            }
            return None;
        }
        node = dict
            .get(b"Parent")
            .ok()
            .and_then(|p| p.as_reference().ok())
            .and_then(|id| doc.get_dictionary(id).ok());
    }
    None
}

/// What a viewer shows of a page: its crop box clipped to its media box, or the media box (A4 when the
/// file says nothing usable).
pub fn visible_box(doc: &Document, page_id: ObjectId) -> PageBox {
    let media = inherited_box(doc, page_id, b"MediaBox").unwrap_or((0.0, 0.0, 595.0, 842.0));
    let Some(crop) = inherited_box(doc, page_id, b"CropBox") else {
        return media;
    };
    let clipped = (
        crop.0.max(media.0),
        crop.1.max(media.1),
        crop.2.min(media.2),
        crop.3.min(media.3),
    );
    // A crop box outside the media box is an error the specification says to read as the media box.
    if clipped.0 < clipped.2 && clipped.1 < clipped.3 {
        clipped
    } else {
        media
    }
}

/// Whether a glyph starts inside the box; a glyph straddling an edge by less than half its size counts
/// as inside, so text touching the edge of a tight crop is kept.
fn inside(glyph: &Glyph, (x0, y0, x1, y1): PageBox) -> bool {
    let slack = 0.5 * glyph.size.max(1.0);
    glyph.x >= x0 - slack && glyph.x <= x1 && glyph.baseline >= y0 - slack && glyph.baseline <= y1
}

/// Why a page's words could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PageTextError {
    #[error(transparent)]
    Pdf(#[from] lopdf::Error),
    /// The content stream crossed its budget: the page is refused rather than read in part, since
    /// values taken from a cut page could be silently wrong.
    #[error(transparent)]
    TooComplex(#[from] ContentError),
}

/// The words of one page with boxes in fractions of its visible box (text outside it dropped), and the
/// operations its content took. The page's streams are inflated within [`MAX_CONTENT_BYTES`] together, then read one
/// operation at a time within `budget`.
pub fn page_words(
    doc: &Document,
    page_id: ObjectId,
    budget: ContentBudget,
) -> Result<(Vec<Word>, usize), PageTextError> {
    let content = doc.get_page_content_with_limit(page_id, MAX_CONTENT_BYTES)?;
    let mut operations = ContentReader::new(&content, budget);
    let fonts: BTreeMap<Vec<u8>, FontInfo> = doc
        .get_page_fonts(page_id)?
        .into_iter()
        .map(|(name, font)| (name, font_info(doc, font)))
        .collect();
    let mut glyphs = place_glyphs(&mut operations, &fonts)?;
    let bounds = visible_box(doc, page_id);
    glyphs.retain(|g| inside(g, bounds));
    Ok((group_words(&glyphs, bounds), operations.operations()))
}

fn place_glyphs(
    operations: impl Iterator<Item = Result<Operation, ContentError>>,
    fonts: &BTreeMap<Vec<u8>, FontInfo>,
) -> Result<Vec<Glyph>, ContentError> {
    let mut glyphs = Vec::new();
    let mut ctm = Matrix::IDENTITY;
    let mut saved: Vec<(Matrix, TextState, Option<Vec<u8>>)> = Vec::new();
    let mut state = TextState::default();
    let mut font: Option<Vec<u8>> = None;
    let mut tm = Matrix::IDENTITY;
    let mut tlm = Matrix::IDENTITY;
    for op in operations {
        let op = &op?;
        if glyphs.len() >= MAX_GLYPHS {
            break;
        }
        match op.operator.as_str() {
            "q" if saved.len() < 64 => saved.push((ctm, state, font.clone())),
            "Q" => {
                if let Some((m, s, f)) = saved.pop() {
                    (ctm, state, font) = (m, s, f);
                }
            }
            "cm" => {
                let m = Matrix(std::array::from_fn(|i| operand(op, i)));
                ctm = m.then(&ctm);
            }
            "BT" => {
                tm = Matrix::IDENTITY;
                tlm = Matrix::IDENTITY;
            }
            "Tf" => {
                font = op
                    .operands
                    .first()
                    .and_then(|o| o.as_name().ok())
                    .map(<[u8]>::to_vec);
                state.size = operand(op, 1);
            }
            "Tc" => state.char_spacing = operand(op, 0),
            "Tw" => state.word_spacing = operand(op, 0),
            "Tz" => state.horizontal_scale = operand(op, 0) / 100.0,
            "TL" => state.leading = operand(op, 0),
            "Ts" => state.rise = operand(op, 0),
            "Td" | "TD" => {
                let (tx, ty) = (operand(op, 0), operand(op, 1));
                if op.operator == "TD" {
                    state.leading = -ty;
                }
                tlm = Matrix::translate(tx, ty).then(&tlm);
                tm = tlm;
            }
            "Tm" => {
                tlm = Matrix(std::array::from_fn(|i| operand(op, i)));
                tm = tlm;
            }
            "T*" => {
                tlm = Matrix::translate(0.0, -state.leading).then(&tlm);
                tm = tlm;
            }
            "Tj" | "'" | "\"" | "TJ" => {
                if op.operator == "'" || op.operator == "\"" {
                    if op.operator == "\"" {
                        state.word_spacing = operand(op, 0);
                        state.char_spacing = operand(op, 1);
                    }
                    tlm = Matrix::translate(0.0, -state.leading).then(&tlm);
                    tm = tlm;
                }
                let Some(info) = font.as_ref().and_then(|f| fonts.get(f)) else {
                    continue;
                };
                let items: Vec<&Object> = match op.operator.as_str() {
                    "TJ" => match op.operands.first() {
                        Some(Object::Array(items)) => items.iter().collect(),
                        _ => continue,
                    },
                    _ => op.operands.last().into_iter().collect(),
                };
                for item in items {
                    match item {
                        Object::String(bytes, _) => {
                            show(bytes, info, &state, &mut tm, &ctm, &mut glyphs);
                        }
                        other => {
                            if let Some(adjust) = number(other) {
                                let tx = -adjust / 1000.0 * state.size * state.horizontal_scale;
                                tm = Matrix::translate(tx, 0.0).then(&tm);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(glyphs)
}

/// Places each glyph of a string and moves the text matrix past it.
fn show(
    bytes: &[u8],
    info: &FontInfo,
    state: &TextState,
    tm: &mut Matrix,
    ctm: &Matrix,
    glyphs: &mut Vec<Glyph>,
) {
    let step = if info.two_byte { 2 } else { 1 };
    for code_bytes in bytes.chunks(step) {
        let code = code_bytes
            .iter()
            .fold(0u32, |acc, b| (acc << 8) | *b as u32);
        let text = info
            .encoding
            .as_ref()
            .and_then(|e| Document::decode_text(e, code_bytes).ok())
            .unwrap_or_default();
        let width = info.width(code, &text) / 1000.0;
        // Word spacing applies to the single-byte code 32 only, as the PDF specification says.
        let word_spacing = if step == 1 && code == 32 {
            state.word_spacing
        } else {
            0.0
        };
        let advance =
            (width * state.size + state.char_spacing + word_spacing) * state.horizontal_scale;
        let render = Matrix([
            state.size * state.horizontal_scale,
            0.0,
            0.0,
            state.size,
            0.0,
            state.rise,
        ])
        .then(tm)
        .then(ctm);
        let (x, baseline) = render.apply(0.0, 0.0);
        let (x_end, _) = render.apply(width, 0.0);
        let (_, top) = render.apply(0.0, 1.0);
        glyphs.push(Glyph {
            text,
            x,
            baseline,
            advance: x_end - x,
            size: (top - baseline).abs(),
        });
        *tm = Matrix::translate(advance, 0.0).then(tm);
    }
}

/// Glyphs in content order become words: a space, a jump back, a change of baseline, or a gap wider
/// than a fifth of the font size ends a word.
fn group_words(glyphs: &[Glyph], (x0, y0, x1, y1): (f32, f32, f32, f32)) -> Vec<Word> {
    let (pw, ph) = (x1 - x0, y1 - y0);
    let mut words = Vec::new();
    let mut current: Vec<&Glyph> = Vec::new();
    let flush = |current: &mut Vec<&Glyph>, words: &mut Vec<Word>| {
        if current.is_empty() {
            return;
        }
        let text: String = current.iter().map(|g| g.text.as_str()).collect();
        let first = current[0];
        let last = current[current.len() - 1];
        let size = current.iter().map(|g| g.size).fold(0.0, f32::max).max(1.0);
        let left = first.x;
        let right = (last.x + last.advance).max(left);
        // Ascenders reach about 0.8 em above the baseline, descenders 0.2 em below.
        let top = first.baseline + 0.8 * size;
        let text = text.trim().to_string();
        if !text.is_empty() {
            words.push(Word {
                text,
                bbox: BoundingBox {
                    x: (left - x0) / pw,
                    y: (y1 - top) / ph,
                    width: (right - left) / pw,
                    height: size / ph,
                },
                confidence: 1.0,
            });
        }
        current.clear();
    };
    for glyph in glyphs {
        if glyph.text.chars().all(char::is_whitespace) {
            flush(&mut current, &mut words);
            continue;
        }
        if let Some(prev) = current.last() {
            let expected = prev.x + prev.advance;
            let gap = glyph.x - expected;
            let same_line = (glyph.baseline - prev.baseline).abs() < 0.3 * prev.size.max(1.0);
            if !same_line || gap > 0.2 * prev.size.max(1.0) || gap < -0.5 * prev.size.max(1.0) {
                flush(&mut current, &mut words);
            }
        }
        current.push(glyph);
    }
    flush(&mut current, &mut words);
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{positioned_pdf, Text};

    fn words_of(pdf: &[u8]) -> Vec<Word> {
        let doc = Document::load_mem(pdf).unwrap();
        let page = *doc.get_pages().get(&1).unwrap();
        page_words(&doc, page, ContentBudget::default()).unwrap().0
    }

    #[test]
    fn words_have_their_positions() {
        let pdf = positioned_pdf(
            &[vec![
                Text::new(72.0, 100.0, 12.0, "Invoice Number: INV-1"),
                Text::new(400.0, 100.0, 12.0, "Total"),
                Text::new(72.0, 421.0, 24.0, "Big"),
            ]],
            None,
        );
        let words = words_of(&pdf);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, vec!["Invoice", "Number:", "INV-1", "Total", "Big"]);
        let close = |a: f32, b: f32| (a - b).abs() < 1e-3;
        // x from the left edge; y of the top (baseline minus 0.8 em), from the top edge.
        assert!(close(words[0].bbox.x, 72.0 / 595.0), "{:?}", words[0].bbox);
        assert!(close(words[0].bbox.y, (100.0 - 9.6) / 842.0));
        assert!(close(words[3].bbox.x, 400.0 / 595.0));
        assert!(close(words[4].bbox.height, 24.0 / 842.0));
        // Word order within the line, and widths from the font's /Widths.
        assert!(words[1].bbox.x > words[0].bbox.right());
        assert!(words[2].bbox.x > words[1].bbox.right());
        assert!(words[2].bbox.right() < words[3].bbox.x);
        assert!(words.iter().all(|w| w.confidence == 1.0));
    }

    #[test]
    fn tj_adjustments_and_matrices_move_glyphs() {
        // TJ with a big negative adjustment opens a gap that splits a word; cm scales everything.
        let content = "BT /F1 10 Tf 1 0 0 1 100 700 Tm [(AB) -3000 (CD)] TJ ET \
                       q 2 0 0 2 0 0 cm BT /F1 10 Tf 50 100 Td (EF) Tj ET Q";
        let pdf = crate::fixtures::raw_content_pdf(content);
        let words = words_of(&pdf);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, vec!["AB", "CD", "EF"]);
        assert!(words[1].bbox.x > words[0].bbox.right() + 20.0 / 595.0);
        // Scaled by 2: at (100, 200) in user space and 20 units tall.
        assert!((words[2].bbox.x - 100.0 / 595.0).abs() < 1e-3);
        assert!((words[2].bbox.height - 20.0 / 842.0).abs() < 1e-3);
    }

    fn standard_font(name: &str) -> String {
        format!("<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>")
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 0.05 / 595.0
    }

    #[test]
    fn standard_fonts_without_widths_use_their_metrics() {
        // Ten `i` in Helvetica are 22.2 pt wide at 10 pt (222 units each); an average width would make
        // them 50 pt and run them into the word that starts 25 pt further on.
        let fonts = format!(
            "/F1 {} /F2 {} /F3 {}",
            standard_font("Helvetica"),
            standard_font("Times-Bold"),
            standard_font("Courier")
        );
        let content =
            "BT /F1 10 Tf 1 0 0 1 100 700 Tm (iiiiiiiiii) Tj 1 0 0 1 125 700 Tm (next) Tj \
                       /F2 10 Tf 1 0 0 1 100 650 Tm (MW) Tj 1 0 0 1 123 650 Tm (x) Tj \
                       /F3 10 Tf 1 0 0 1 100 600 Tm (iiii) Tj ET";
        let words = words_of(&crate::fixtures::fonts_pdf(&fonts, "", content));
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, vec!["iiiiiiiiii", "next", "MW", "x", "iiii"]);
        assert!(
            close(words[0].bbox.width, 22.2 / 595.0),
            "{:?}",
            words[0].bbox
        );
        assert!(words[0].bbox.right() < words[1].bbox.x);
        // Helvetica `next`: n 556 + e 556 + x 500 + t 278.
        assert!(
            close(words[1].bbox.width, 18.9 / 595.0),
            "{:?}",
            words[1].bbox
        );
        // Times-Bold M 944 + W 1000.
        assert!(
            close(words[2].bbox.width, 19.44 / 595.0),
            "{:?}",
            words[2].bbox
        );
        assert!(words[2].bbox.right() < words[3].bbox.x);
        // Courier: 600 for every glyph.
        assert!(
            close(words[4].bbox.width, 24.0 / 595.0),
            "{:?}",
            words[4].bbox
        );
    }

    #[test]
    fn runs_sharing_a_line_keep_their_order() {
        // A dot leader (narrow glyphs) drawn up to 2 pt before the amount: with guessed widths its end
        // overshot the amount's start and the two runs interleaved.
        let fonts = format!("/F1 {}", standard_font("Helvetica"));
        let dots = ".".repeat(60);
        let content = format!(
            "BT /F1 10 Tf 1 0 0 1 72 700 Tm (Total {dots}) Tj 1 0 0 1 {} 700 Tm (987,65) Tj ET",
            72.0 + (4.0 * 278.0 + 611.0 + 556.0 + 278.0 + 60.0 * 278.0) / 100.0 + 2.0
        );
        let pdf = crate::fixtures::fonts_pdf(&fonts, "", &content);
        let doc = Document::load_mem(&pdf).unwrap();
        let page = *doc.get_pages().get(&1).unwrap();
        let (words, _) = page_words(&doc, page, ContentBudget::default()).unwrap();
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, vec!["Total", dots.as_str(), "987,65"]);
        assert!(words[1].bbox.right() < words[2].bbox.x, "{words:?}");
        let line = pagewire_core::policy::layout::lines(&pagewire_core::ports::PageText {
            number: 1,
            aspect: 595.0 / 842.0,
            words,
            source: pagewire_core::ports::TextSource::TextLayer,
        });
        assert_eq!(
            pagewire_core::policy::layout::page_text(&line),
            format!("Total {dots} 987,65")
        );
    }

    #[test]
    fn widths_first_char_differences_and_symbolic_fonts() {
        // /Widths covers `A` only (from /FirstChar 65): `A` is 1000 units as listed, `B` falls back to
        // Helvetica's 667. /Differences maps code 67 (`C`) to the Euro glyph, 556 units.
        let fonts = "/F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 65 \
                     /LastChar 65 /Widths [1000] /Encoding << /Type /Encoding \
                     /BaseEncoding /WinAnsiEncoding /Differences [67 /Euro] >> >> \
                     /F2 << /Type /Font /Subtype /Type1 /BaseFont /ZapfDingbats >>";
        let content = "BT /F1 10 Tf 1 0 0 1 100 700 Tm (A) Tj 1 0 0 1 100 650 Tm (B) Tj \
                       1 0 0 1 100 600 Tm (C) Tj /F2 10 Tf 1 0 0 1 100 550 Tm (4) Tj ET";
        let words = words_of(&crate::fixtures::fonts_pdf(fonts, "", content));
        let widths: Vec<f32> = words.iter().map(|w| w.bbox.width * 595.0).collect();
        assert_eq!(words[2].text, "€");
        for (got, want) in widths.iter().zip([10.0, 6.67, 5.56, 8.46]) {
            assert!((got - want).abs() < 0.05, "{widths:?}");
        }
    }

    #[test]
    fn text_outside_the_crop_box_is_dropped() {
        let fonts = format!("/F1 {}", standard_font("Helvetica"));
        let content = "BT /F1 10 Tf 1 0 0 1 100 700 Tm (inside) Tj 1 0 0 1 10 700 Tm (left) Tj \
                       1 0 0 1 560 700 Tm (right) Tj 1 0 0 1 100 820 Tm (slug) Tj \
                       1 0 0 1 280 -12 Tm (below) Tj ET";
        let crop = "/CropBox [30 30 535 782]";
        let pdf = crate::fixtures::fonts_pdf(&fonts, crop, content);
        let words = words_of(&pdf);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, vec!["inside"]);
        // Boxes are fractions of the crop box, as a viewer shows the page.
        assert!(
            (words[0].bbox.x - 70.0 / 505.0).abs() < 1e-4,
            "{:?}",
            words[0].bbox
        );
        // Without a crop box the media box bounds the page: only what lies beyond it goes.
        let words = words_of(&crate::fixtures::fonts_pdf(&fonts, "", content));
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, vec!["inside", "left", "right", "slug"]);
        // A crop box outside the media box is read as the media box.
        let pdf = crate::fixtures::fonts_pdf(&fonts, "/CropBox [700 900 800 1000]", content);
        assert_eq!(words_of(&pdf).len(), 4);
    }
}

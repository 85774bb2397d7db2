//! The standard 14 fonts: every PDF reader knows their metrics, so a PDF may name one (`/BaseFont
//! /Helvetica`) without a `/Widths` array. Without these widths, glyph positions along a line are guesses
//! and neighbouring runs can overlap; with them a run ends where the writer meant it to.

use crate::std14_widths::{
    HELVETICA, HELVETICA_BOLD, SYMBOL, TIMES_BOLD, TIMES_BOLD_ITALIC, TIMES_ITALIC, TIMES_ROMAN,
    ZAPF_DINGBATS,
};

/// The metrics of one of the standard 14 fonts (Oblique styles share their upright widths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StandardFont {
    Helvetica,
    HelveticaBold,
    TimesRoman,
    TimesBold,
    TimesItalic,
    TimesBoldItalic,
    /// Every glyph of every Courier style is 600 units wide.
    Courier,
    Symbol,
    ZapfDingbats,
}

impl StandardFont {
    /// The standard font a `/BaseFont` names, allowing a subset prefix (`ABCDEF+Helvetica`) and the
    /// names Windows writers use for the same metrics (`Arial,Bold`, `TimesNewRoman`, `CourierNew`).
    pub(crate) fn from_base_font(name: &[u8]) -> Option<Self> {
        let name = String::from_utf8_lossy(name);
        let name = match name.split_once('+') {
            Some((prefix, rest)) if prefix.len() == 6 => rest,
            _ => &name,
        };
        let compact: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let bold = compact.contains("bold");
        let italic = compact.contains("italic") || compact.contains("oblique");
        let family = compact
            .trim_end_matches("mt")
            .trim_end_matches("ps")
            .split(|c: char| c.is_ascii_digit())
            .next()
            .unwrap_or("");
        let font = if family.starts_with("helvetica") || family.starts_with("arial") {
            if bold {
                Self::HelveticaBold
            } else {
                Self::Helvetica
            }
        } else if family.starts_with("times") {
            match (bold, italic) {
                (false, false) => Self::TimesRoman,
                (true, false) => Self::TimesBold,
                (false, true) => Self::TimesItalic,
                (true, true) => Self::TimesBoldItalic,
            }
        } else if family.starts_with("courier") {
            Self::Courier
        } else if family == "symbol" || family == "symbolmt" {
            Self::Symbol
        } else if family.starts_with("zapfdingbats") || family == "dingbats" {
            Self::ZapfDingbats
        } else {
            return None;
        };
        Some(font)
    }

    /// Symbol and ZapfDingbats have their own built-in encoding rather than Latin text.
    pub(crate) fn is_symbolic(self) -> bool {
        matches!(self, Self::Symbol | Self::ZapfDingbats)
    }

    /// The width of the glyph that shows `c`, for the text fonts.
    pub(crate) fn width_of_char(self, c: char) -> Option<f32> {
        let table: &[(char, u16)] = match self {
            Self::Helvetica => &HELVETICA,
            Self::HelveticaBold => &HELVETICA_BOLD,
            Self::TimesRoman => &TIMES_ROMAN,
            Self::TimesBold => &TIMES_BOLD,
            Self::TimesItalic => &TIMES_ITALIC,
            Self::TimesBoldItalic => &TIMES_BOLD_ITALIC,
            Self::Courier => return Some(600.0),
            Self::Symbol | Self::ZapfDingbats => return None,
        };
        // Encodings map some codes to characters that name no glyph of their own in the metrics: a
        // no-break space is drawn with the space glyph, a soft hyphen with the hyphen.
        let c = match c {
            '\u{a0}' => ' ',
            '\u{ad}' => '-',
            other => other,
        };
        table
            .binary_search_by_key(&c, |&(ch, _)| ch)
            .ok()
            .map(|i| table[i].1 as f32)
    }

    /// The width of a code in the font's built-in encoding, for Symbol and ZapfDingbats.
    pub(crate) fn width_of_builtin_code(self, code: u32) -> Option<f32> {
        let table: &[(u8, u16)] = match self {
            Self::Symbol => &SYMBOL,
            Self::ZapfDingbats => &ZAPF_DINGBATS,
            _ => return None,
        };
        let code = u8::try_from(code).ok()?;
        table
            .binary_search_by_key(&code, |&(c, _)| c)
            .ok()
            .map(|i| table[i].1 as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_font_names_map_to_their_metrics() {
        use StandardFont::*;
        for (name, font) in [
            ("Helvetica", Helvetica),
            ("Helvetica-Oblique", Helvetica),
            ("Helvetica-BoldOblique", HelveticaBold),
            ("ABCDEF+Helvetica-Bold", HelveticaBold),
            ("Arial", Helvetica),
            ("Arial,Bold", HelveticaBold),
            ("ArialMT", Helvetica),
            ("Times-Roman", TimesRoman),
            ("Times-BoldItalic", TimesBoldItalic),
            ("TimesNewRoman,Italic", TimesItalic),
            ("TimesNewRomanPS-BoldMT", TimesBold),
            ("Courier-Oblique", Courier),
            ("CourierNewPSMT", Courier),
            ("Symbol", Symbol),
            ("ZapfDingbats", ZapfDingbats),
        ] {
            assert_eq!(
                StandardFont::from_base_font(name.as_bytes()),
                Some(font),
                "{name}"
            );
        }
        for other in ["DejaVuSans", "Calibri", "", "ABCDEF+"] {
            assert_eq!(
                StandardFont::from_base_font(other.as_bytes()),
                None,
                "{other}"
            );
        }
    }

    #[test]
    fn widths_are_the_afm_metrics() {
        use StandardFont::*;
        // Values of Adobe's AFM files, spot-checked by hand.
        assert_eq!(Helvetica.width_of_char('i'), Some(222.0));
        assert_eq!(Helvetica.width_of_char('W'), Some(944.0));
        assert_eq!(Helvetica.width_of_char('€'), Some(556.0));
        assert_eq!(Helvetica.width_of_char('\u{a0}'), Some(278.0));
        assert_eq!(HelveticaBold.width_of_char('a'), Some(556.0));
        assert_eq!(TimesRoman.width_of_char('a'), Some(444.0));
        assert_eq!(TimesRoman.width_of_char('é'), Some(444.0));
        assert_eq!(TimesBold.width_of_char('M'), Some(944.0));
        assert_eq!(Courier.width_of_char('i'), Some(600.0));
        assert_eq!(Helvetica.width_of_char('中'), None);
        // Symbol's Delta is code 0x44; ZapfDingbats' heavy check mark (a20) is code 0x34.
        assert_eq!(Symbol.width_of_builtin_code(0x44), Some(612.0));
        assert_eq!(ZapfDingbats.width_of_builtin_code(0x34), Some(846.0));
        assert_eq!(ZapfDingbats.width_of_builtin_code(0x1234), None);
        assert!(Symbol.is_symbolic() && !Courier.is_symbolic());
    }
}

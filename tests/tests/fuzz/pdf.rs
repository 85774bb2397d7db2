//! PDF reading (lopdf behind `PagewireReader::read`) on damaged documents.

use crate::{apply, bounded, config, mutations};
use pagewire_core::model::FileKind;
use pagewire_core::ports::DocumentReader;
use pagewire_core::Settings;
use pagewire_extract::hostile::{looping_page_tree, PageLoop};
use pagewire_extract::reader::fixtures::{fonts_pdf, text_pdf};
use pagewire_extract::{PagewireReader, ReaderLimits};
use proptest::prelude::*;

fn check(bytes: &[u8]) {
    let reader = PagewireReader::new(ReaderLimits::from_settings(&Settings::default()));
    match bounded("read_pdf", || reader.read(FileKind::Pdf, bytes)) {
        Ok(doc) => assert!(doc.pages.len() <= 500),
        Err(failure) => assert!(!failure.code.is_empty() && !failure.message.is_empty()),
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn damaged_pdfs_read_or_fail_with_a_reason(
        lines in prop::collection::vec("[ -~]{0,40}", 1..6),
        pages in 1usize..4,
        damage in mutations(),
    ) {
        let text: Vec<&str> = lines.iter().map(String::as_str).collect();
        let page_list: Vec<&[&str]> = (0..pages).map(|_| &text[..]).collect();
        let valid = text_pdf(&page_list);
        check(&valid);
        check(&apply(valid, &damage));
    }

    /// Font dictionaries and page boxes as hostile writers make them: any base font name, widths that
    /// do not match their range, any encoding differences, and crop boxes that are degenerate, huge,
    /// inverted or outside the media box.
    #[test]
    fn hostile_fonts_and_page_boxes_read_or_fail_with_a_reason(
        base_font in "[A-Za-z+,-]{0,24}",
        first_char in -5i64..300,
        widths in prop::collection::vec(-2000i64..5000, 0..8),
        differences in prop::collection::vec((0i64..300, "[a-zA-Z]{1,10}"), 0..4),
        crop in prop::collection::vec(-1e6f64..1e6, 0..5),
        text in "[ -~]{0,30}",
        font_size in -50.0f32..200.0,
    ) {
        let widths: Vec<String> = widths.iter().map(i64::to_string).collect();
        let differences: Vec<String> =
            differences.iter().map(|(code, name)| format!("{code} /{name}")).collect();
        let fonts = format!(
            "/F1 << /Type /Font /Subtype /Type1 /BaseFont /{base_font} /FirstChar {first_char} \
             /Widths [{}] /Encoding << /Differences [{}] >> >>",
            widths.join(" "),
            differences.join(" ")
        );
        let crop: Vec<String> = crop.iter().map(f64::to_string).collect();
        let page = format!("/CropBox [{}]", crop.join(" "));
        let escaped = text.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)");
        let content = format!("BT /F1 {font_size} Tf 1 0 0 1 72 700 Tm ({escaped}) Tj ET");
        check(&fonts_pdf(&fonts, &page, &content));
    }

    /// The looping page trees of the hostile-input tests are the seeds: as made, each is
    /// `malformed_pdf` with no page read; damaged anywhere, each still reads or fails with a reason.
    #[test]
    fn looping_page_trees_are_malformed_and_damaged_ones_end_cleanly(
        shape in prop_oneof![
            Just(PageLoop::RootIsItsOwnKid),
            Just(PageLoop::RepeatedPage),
            Just(PageLoop::RootBelowItself),
            Just(PageLoop::ParentCycle),
        ],
        damage in mutations(),
    ) {
        let looping = looping_page_tree(shape);
        let reader = PagewireReader::new(ReaderLimits::from_settings(&Settings::default()));
        let failure = bounded("read_pdf", || reader.read(FileKind::Pdf, &looping))
            .expect_err("a looping page tree is refused");
        prop_assert_eq!(failure.code, "malformed_pdf");
        check(&apply(looping, &damage));
    }

    #[test]
    fn arbitrary_bytes_behind_a_pdf_header_fail_cleanly(
        tail in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.extend(tail);
        check(&bytes);
    }
}

//! PDF reading (lopdf behind `PagewireReader::read`) on damaged documents.

use crate::{apply, bounded, config, mutations};
use pagewire_core::model::FileKind;
use pagewire_core::ports::DocumentReader;
use pagewire_core::Settings;
use pagewire_extract::reader::fixtures::text_pdf;
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

    #[test]
    fn arbitrary_bytes_behind_a_pdf_header_fail_cleanly(
        tail in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.extend(tail);
        check(&bytes);
    }
}

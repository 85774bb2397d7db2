//! The read worker protocol (`pagewire_extract::isolation::protocol`) on damaged messages: the parent
//! decodes what a worker that a document may have subverted writes, the worker what arrives on its
//! stdin. Either side gets a value or an error, never a panic or an allocation beyond the bytes at hand.

use crate::{apply, bounded, config, mutations};
use pagewire_core::model::{BoundingBox, FileKind};
use pagewire_core::ports::{PageText, ReadDocument, ReadFailure, TextSource, Word};
use pagewire_extract::isolation::protocol::{
    answer_header, decode_answer, read_request, request_header, write_answer, MAX_ANSWER_BYTES,
};
use proptest::prelude::*;

fn document(pages: &[Vec<String>]) -> ReadDocument {
    ReadDocument {
        kind: FileKind::Pdf,
        pages: pages
            .iter()
            .enumerate()
            .map(|(i, words)| PageText {
                number: i as u32 + 1,
                aspect: 0.7,
                words: words
                    .iter()
                    .map(|text| Word {
                        text: text.clone(),
                        bbox: BoundingBox {
                            x: 0.1,
                            y: 0.1,
                            width: 0.2,
                            height: 0.03,
                        },
                        confidence: 1.0,
                    })
                    .collect(),
                source: TextSource::TextLayer,
            })
            .collect(),
    }
}

/// Decodes an answer as the parent does: the header, then exactly the payload it announces.
fn decode(bytes: &[u8]) -> Option<Result<ReadDocument, ReadFailure>> {
    let header: [u8; 9] = bytes.get(..9)?.try_into().ok()?;
    let (read, length) = answer_header(&header).ok()?;
    assert!(length as u64 <= MAX_ANSWER_BYTES);
    let payload = bytes.get(9..9 + length)?;
    decode_answer(read, payload).ok()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn damaged_answers_decode_or_are_refused(
        pages in prop::collection::vec(prop::collection::vec("\\PC{0,12}", 0..8), 0..4),
        failed in any::<bool>(),
        damage in mutations(),
    ) {
        let answer = if failed {
            Err(ReadFailure { code: "malformed_pdf", message: pages.concat().concat() })
        } else {
            Ok(document(&pages))
        };
        let mut bytes = Vec::new();
        write_answer(&mut bytes, &answer).unwrap();
        prop_assert_eq!(decode(&bytes), Some(answer));
        let damaged = apply(bytes, &damage);
        if let Some(Ok(doc)) = bounded("decode_answer", || decode(&damaged)) {
            prop_assert!(doc.pages.len() <= damaged.len());
        }
    }

    #[test]
    fn arbitrary_bytes_are_a_request_or_an_error(
        kind in 0u8..8,
        length in any::<u64>(),
        tail in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut bytes = request_header(FileKind::Pdf, 0).to_vec();
        bytes[1] = kind;
        bytes[2..].copy_from_slice(&length.to_le_bytes());
        bytes.extend(&tail);
        let mut input = &bytes[..];
        if let Ok(Some((_, document))) = bounded("read_request", || read_request(&mut input)) {
            prop_assert_eq!(document.len() as u64, length);
            prop_assert!(document.len() <= tail.len());
        }
    }
}

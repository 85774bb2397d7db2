//! `PagewireReader::unpack` on damaged archives.

use crate::{apply, bounded, config, mutations};
use integration_tests::stack::invoice_pdf;
use pagewire_core::ports::{ArchiveEntry, DocumentReader};
use pagewire_core::Settings;
use pagewire_extract::{PagewireReader, ReaderLimits};
use proptest::prelude::*;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

fn reader() -> PagewireReader {
    PagewireReader::new(ReaderLimits::from_settings(&Settings::default()))
}

/// A valid archive of `entries` (name, content), each stored or deflated.
fn archive(entries: &[(String, Vec<u8>, bool)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut names = std::collections::HashSet::new();
    for (name, content, deflate) in entries {
        // The generator may repeat a name, which the zip writer refuses; the first one stays.
        if !names.insert(name.as_str()) {
            continue;
        }
        let method = if *deflate {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        };
        writer
            .start_file(
                name.as_str(),
                SimpleFileOptions::default().compression_method(method),
            )
            .expect("start entry");
        writer.write_all(content).expect("write entry");
    }
    writer.finish().expect("finish").into_inner()
}

fn entries() -> impl Strategy<Value = Vec<(String, Vec<u8>, bool)>> {
    let content = prop_oneof![
        Just(invoice_pdf()),
        prop::collection::vec(any::<u8>(), 0..512),
        // Compresses well: exercises the ratio checks.
        (1usize..200_000).prop_map(|n| vec![b'a'; n]),
    ];
    let name = prop_oneof![
        "[a-z]{1,12}\\.pdf",
        "(\\.\\./|/|[a-z]/){0,2}[a-z]{1,8}",
        ".{0,20}",
    ];
    prop::collection::vec((name, content, any::<bool>()), 1..5)
}

fn check(bytes: &[u8]) {
    let result = bounded("unpack", || reader().unpack(bytes));
    match result {
        Ok(list) => {
            for entry in list {
                if let ArchiveEntry::Refused { reason, .. } = entry {
                    assert!(!reason.code.is_empty() && !reason.message.is_empty());
                }
            }
        }
        Err(failure) => assert!(!failure.code.is_empty() && !failure.message.is_empty()),
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn damaged_archives_unpack_or_are_refused(files in entries(), damage in mutations()) {
        let valid = archive(&files);
        check(&valid);
        check(&apply(valid, &damage));
    }

    /// Names drawn from a few, so they repeat: every record becomes exactly one entry, in order, and
    /// a name listed more than once is refused on each of its records (never one kept, one dropped).
    #[test]
    fn repeated_names_are_never_dropped(
        picks in prop::collection::vec((0usize..4, prop::collection::vec(any::<u8>(), 0..64)), 1..9),
    ) {
        const NAMES: [&str; 4] = ["a.pdf", "bb.pdf", "ccc.png", "dddd.pdf"];
        let files: Vec<(&str, Vec<u8>)> = picks
            .iter()
            .map(|(name, tail)| {
                let mut content = b"%PDF-1.4\n".to_vec();
                content.extend(tail);
                (NAMES[*name], content)
            })
            .collect();
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, c)| (*n, c.as_slice())).collect();
        let listed = bounded("unpack", || reader().unpack(&pagewire_extract::hostile::repeated_names_zip(&refs)))
            .expect("a well-formed archive unpacks");
        prop_assert_eq!(listed.len(), files.len());
        for (entry, (name, content)) in listed.iter().zip(&files) {
            let copies = files.iter().filter(|(other, _)| other == name).count();
            match entry {
                ArchiveEntry::File { name: got, bytes } => {
                    prop_assert_eq!(copies, 1);
                    prop_assert_eq!((got.as_str(), &bytes[..]), (*name, content.as_slice()));
                }
                ArchiveEntry::Refused { name: got, reason } => {
                    prop_assert!(copies > 1, "{} refused: {}", got, reason.code);
                    prop_assert_eq!((got.as_str(), reason.code), (*name, "duplicate_entry_name"));
                }
            }
        }
    }

    #[test]
    fn arbitrary_bytes_behind_a_zip_signature_are_refused_cleanly(
        tail in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend(tail);
        check(&bytes);
    }
}

//! ZIP batches: root-level entries become documents; everything dangerous is refused with a reason.

use bytes::Bytes;
use pagewire_core::ports::{ArchiveEntry, ReadFailure};
use std::io::{Cursor, Read};

#[derive(Debug, Clone, Copy)]
pub struct ArchiveLimits {
    pub max_entries: usize,
    pub max_total_uncompressed: u64,
    /// Largest single entry (the inline submission limit applies to each document too).
    pub max_entry_bytes: u64,
    /// Largest uncompressed / compressed ratio accepted for entries above 1 MiB.
    pub max_ratio: u64,
}

fn failure(code: &'static str, message: impl Into<String>) -> ReadFailure {
    ReadFailure {
        code,
        message: message.into(),
    }
}

/// Splits an archive into its entries. The error refuses the whole archive (unreadable, too many entries,
/// too large in total); problems of single entries are reported on those entries only.
pub fn unpack(bytes: &[u8], limits: ArchiveLimits) -> Result<Vec<ArchiveEntry>, ReadFailure> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| failure("malformed_zip", format!("the ZIP could not be read: {e}")))?;
    if zip.len() > limits.max_entries {
        return Err(failure(
            "too_many_entries",
            format!(
                "the ZIP has {} entries; at most {} are accepted",
                zip.len(),
                limits.max_entries
            ),
        ));
    }
    refuse_overlapping_entries(&mut zip)?;
    let mut declared_total: u64 = 0;
    let mut actual_total: u64 = 0;
    let mut entries = Vec::new();
    for index in 0..zip.len() {
        let listed_name = entry_name(&zip, index);
        let mut file = match zip.by_index(index) {
            Ok(file) => file,
            Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                let name = listed_name;
                let reason = if why.contains("ncrypt") || why.contains("assword") {
                    failure("encrypted_entry", "the entry is encrypted")
                } else {
                    failure(
                        "unsupported_entry",
                        format!("the entry cannot be read: {why}"),
                    )
                };
                entries.push(ArchiveEntry::Refused { name, reason });
                continue;
            }
            Err(e) => {
                let name = listed_name;
                entries.push(ArchiveEntry::Refused {
                    name,
                    reason: failure("corrupt_entry", e.to_string()),
                });
                continue;
            }
        };
        let name = file
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| "?".to_string());
        if file.is_dir() {
            // A folder itself is not a document; its files are refused one by one below.
            continue;
        }
        if let Some(reason) = refuse_name(&name) {
            entries.push(ArchiveEntry::Refused { name, reason });
            continue;
        }
        if file.encrypted() {
            entries.push(ArchiveEntry::Refused {
                name,
                reason: failure("encrypted_entry", "the entry is encrypted"),
            });
            continue;
        }
        let declared = file.size();
        declared_total = declared_total.saturating_add(declared);
        if declared_total > limits.max_total_uncompressed {
            return Err(failure(
                "archive_too_large",
                format!(
                    "the ZIP expands to more than {} bytes",
                    limits.max_total_uncompressed
                ),
            ));
        }
        if declared > limits.max_entry_bytes {
            entries.push(ArchiveEntry::Refused {
                name,
                reason: failure(
                    "entry_too_large",
                    format!("the entry is larger than {} bytes", limits.max_entry_bytes),
                ),
            });
            continue;
        }
        let compressed = file.compressed_size().max(1);
        if declared > (1 << 20) && declared / compressed > limits.max_ratio {
            entries.push(ArchiveEntry::Refused {
                name,
                reason: failure(
                    "suspicious_ratio",
                    "the entry's compression ratio is that of a zip bomb",
                ),
            });
            continue;
        }
        // Read at most one byte past what the header declares: a lying header cannot expand further.
        let mut data = Vec::with_capacity(declared.min(limits.max_entry_bytes) as usize);
        let read = (&mut file).take(declared + 1).read_to_end(&mut data);
        match read {
            Ok(_) if data.len() as u64 != declared => entries.push(ArchiveEntry::Refused {
                name,
                reason: failure(
                    "corrupt_entry",
                    "the entry's size does not match its header",
                ),
            }),
            Ok(_) => {
                actual_total += data.len() as u64;
                if actual_total > limits.max_total_uncompressed {
                    return Err(failure(
                        "archive_too_large",
                        "the ZIP expands beyond the size limit",
                    ));
                }
                if pagewire_core::policy::file_kind::sniff(&data)
                    == Some(pagewire_core::model::FileKind::Zip)
                {
                    entries.push(ArchiveEntry::Refused {
                        name,
                        reason: failure("nested_archive", "a ZIP inside a ZIP is not processed"),
                    });
                } else {
                    entries.push(ArchiveEntry::File {
                        name,
                        bytes: Bytes::from(data),
                    });
                }
            }
            Err(e) => entries.push(ArchiveEntry::Refused {
                name,
                reason: failure("corrupt_entry", e.to_string()),
            }),
        }
    }
    Ok(entries)
}

/// Refuses an archive two of whose entries share bytes: a local header listed twice, or data ranges
/// that overlap. No ZIP writer makes one; it is how a small upload is made to expand into many
/// large documents (one entry's data behind a thousand central records), so the whole archive goes.
fn refuse_overlapping_entries(zip: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<(), ReadFailure> {
    let mut spans: Vec<(u64, u64)> = Vec::with_capacity(zip.len());
    for index in 0..zip.len() {
        // An entry whose local header cannot be found is refused on its own later.
        let Ok(file) = zip.by_index_raw(index) else {
            continue;
        };
        let start = file.header_start();
        let end = file
            .data_start()
            .unwrap_or(start)
            .saturating_add(file.compressed_size());
        spans.push((start, end.max(start + 1)));
    }
    spans.sort_unstable();
    if spans.windows(2).any(|pair| pair[1].0 < pair[0].1) {
        return Err(failure(
            "overlapping_entries",
            "entries of the ZIP share the same bytes (a ZIP bomb); no writer makes such a file",
        ));
    }
    Ok(())
}

fn entry_name(zip: &zip::ZipArchive<Cursor<&[u8]>>, index: usize) -> String {
    zip.name_for_index(index)
        .and_then(|n| n.ok())
        .map(|n| n.to_string())
        .unwrap_or_else(|| "?".to_string())
}

/// Only plain names at the root of the archive are documents.
fn refuse_name(name: &str) -> Option<ReadFailure> {
    if name.is_empty() || name.chars().any(char::is_control) {
        return Some(failure(
            "invalid_entry_name",
            "the entry has an empty or unprintable name",
        ));
    }
    let traversal = name.starts_with('/')
        || name.starts_with('\\')
        || name.split(['/', '\\']).any(|part| part == "..")
        || name.get(1..2) == Some(":");
    if traversal {
        return Some(failure(
            "unsafe_entry_name",
            "the entry's name points outside the archive",
        ));
    }
    if name.contains('/') || name.contains('\\') {
        return Some(failure(
            "entry_in_folder",
            "files must be at the root of the ZIP, not inside folders",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn limits() -> ArchiveLimits {
        ArchiveLimits {
            max_entries: 10,
            max_total_uncompressed: 1 << 30,
            max_entry_bytes: 6 << 20,
            max_ratio: 100,
        }
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            if name.ends_with('/') {
                out.add_directory(*name, SimpleFileOptions::default())
                    .unwrap();
            } else {
                out.start_file(*name, SimpleFileOptions::default()).unwrap();
                out.write_all(data).unwrap();
            }
        }
        out.finish().unwrap().into_inner()
    }

    fn refused_code(entry: &ArchiveEntry) -> Option<&'static str> {
        match entry {
            ArchiveEntry::Refused { reason, .. } => Some(reason.code),
            ArchiveEntry::File { .. } => None,
        }
    }

    #[test]
    fn root_files_pass_and_bad_names_are_refused_one_by_one() {
        let inner = zip_of(&[("x.pdf", b"%PDF")]);
        let bytes = zip_of(&[
            ("a.pdf", b"%PDF-1.4 a"),
            ("folder/", b""),
            ("folder/b.pdf", b"%PDF-1.4 b"),
            ("../evil.pdf", b"%PDF-1.4 c"),
            ("inner.zip", &inner),
        ]);
        let entries = unpack(&bytes, limits()).unwrap();
        let codes: Vec<_> = entries.iter().map(refused_code).collect();
        assert_eq!(
            codes,
            vec![
                None,
                Some("entry_in_folder"),
                Some("unsafe_entry_name"),
                Some("nested_archive")
            ]
        );
        match &entries[0] {
            ArchiveEntry::File { name, bytes } => {
                assert_eq!((name.as_str(), &bytes[..]), ("a.pdf", &b"%PDF-1.4 a"[..]))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn whole_archive_refusals() {
        assert_eq!(
            unpack(b"PK\x03\x04 not really", limits()).unwrap_err().code,
            "malformed_zip"
        );
        let many: Vec<(String, Vec<u8>)> = (0..11)
            .map(|i| (format!("{i}.pdf"), b"%PDF".to_vec()))
            .collect();
        let refs: Vec<(&str, &[u8])> = many
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        assert_eq!(
            unpack(&zip_of(&refs), limits()).unwrap_err().code,
            "too_many_entries"
        );
    }

    #[test]
    fn zip_bomb_entries_are_refused() {
        let zeros = vec![0u8; 8 << 20];
        let bytes = zip_of(&[("bomb.pdf", &zeros)]);
        assert!(bytes.len() < 100_000, "deflate should squeeze zeros");
        let entries = unpack(&bytes, limits()).unwrap();
        assert_eq!(refused_code(&entries[0]), Some("entry_too_large"));
        let small_limit = ArchiveLimits {
            max_entry_bytes: 16 << 20,
            ..limits()
        };
        let entries = unpack(&bytes, small_limit).unwrap();
        assert_eq!(refused_code(&entries[0]), Some("suspicious_ratio"));
        let tiny_total = ArchiveLimits {
            max_total_uncompressed: 1 << 20,
            ..limits()
        };
        assert_eq!(
            unpack(&bytes, tiny_total).unwrap_err().code,
            "archive_too_large"
        );
    }
}

//! ZIP batches: root-level entries become documents; everything dangerous is refused with a reason.

use bytes::Bytes;
use pagewire_core::ports::{ArchiveEntry, ReadFailure};
use std::collections::HashMap;
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
    let plan = plan_entries(&zip, bytes, limits.max_entries)?;
    if plan.records > limits.max_entries {
        return Err(failure(
            "too_many_entries",
            format!(
                "the ZIP has {} entries; at most {} are accepted",
                plan.records, limits.max_entries
            ),
        ));
    }
    refuse_overlapping_entries(&mut zip)?;
    let mut totals = Totals::default();
    let mut entries = Vec::new();
    for step in plan.steps {
        match step {
            Step::Read(index) => {
                if let Some(entry) = read_entry(&mut zip, index, limits, &mut totals)? {
                    entries.push(entry);
                }
            }
            Step::Duplicate { name, copies } => entries.push(ArchiveEntry::Refused {
                reason: refuse_name(&name).unwrap_or_else(|| duplicate_name(&name, copies)),
                name,
            }),
        }
    }
    Ok(entries)
}

/// What to do with each record of the central directory, in the archive's order.
struct Plan {
    /// Records in the central directory, repeated names included.
    records: usize,
    steps: Vec<Step>,
}

enum Step {
    /// Read the zip crate's entry of this index.
    Read(usize),
    /// One of `copies` records sharing this name: none is read (see `duplicate_name`).
    Duplicate { name: String, copies: usize },
}

/// The zip crate keeps one entry per name (the last record's data under the first one's place), so
/// with a repeated name it would silently drop records. Then the central directory is listed here
/// and every record of a repeated name becomes a refusal of its own: nothing is dropped.
fn plan_entries(
    zip: &zip::ZipArchive<Cursor<&[u8]>>,
    bytes: &[u8],
    max_entries: usize,
) -> Result<Plan, ReadFailure> {
    if !zip.has_duplicate_names() {
        return Ok(Plan {
            records: zip.len(),
            steps: (0..zip.len()).map(Step::Read).collect(),
        });
    }
    let listed = listed_names(bytes, zip.central_directory_start(), max_entries);
    if listed.len() > max_entries {
        return Ok(Plan {
            records: listed.len(),
            steps: Vec::new(),
        });
    }
    let mut copies: HashMap<&[u8], usize> = HashMap::new();
    for name in &listed {
        *copies.entry(name).or_default() += 1;
    }
    // A directory the crate read that this listing does not match: refuse rather than guess.
    let mismatch = || {
        failure(
            "duplicate_entry_names",
            "entries of the ZIP share a name: give every file its own name and submit the ZIP again",
        )
    };
    if copies.len() != zip.len() {
        return Err(mismatch());
    }
    let mut steps = Vec::with_capacity(listed.len());
    for raw in &listed {
        let index = zip.index_for_name_raw(raw).ok_or_else(mismatch)?;
        let count = copies[raw];
        if count == 1 {
            steps.push(Step::Read(index));
        } else if !raw.ends_with(b"/") {
            // Folders themselves are not documents, repeated or not.
            steps.push(Step::Duplicate {
                name: entry_name(zip, index),
                copies: count,
            });
        }
    }
    Ok(Plan {
        records: listed.len(),
        steps,
    })
}

/// The raw names of the central directory's records in order, at most `max_entries + 1` of them
/// (one more than allowed is enough to refuse the archive). The crate has already parsed the
/// directory, so this walk only has to stay inside the bytes.
fn listed_names(bytes: &[u8], directory_start: u64, max_entries: usize) -> Vec<&[u8]> {
    const SIGNATURE: &[u8; 4] = b"PK\x01\x02";
    const FIXED: usize = 46;
    let le16 = |at: usize| usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]));
    let mut names = Vec::new();
    let mut at = usize::try_from(directory_start).unwrap_or(usize::MAX);
    while names.len() <= max_entries {
        let Some(fixed) = at.checked_add(FIXED).filter(|end| *end <= bytes.len()) else {
            break;
        };
        if &bytes[at..at + 4] != SIGNATURE {
            break;
        }
        let name_end = fixed + le16(at + 28);
        let Some(name) = bytes.get(fixed..name_end) else {
            break;
        };
        names.push(name);
        at = name_end + le16(at + 30) + le16(at + 32);
    }
    names
}

fn duplicate_name(name: &str, copies: usize) -> ReadFailure {
    failure(
        "duplicate_entry_name",
        format!(
            "{copies} entries of the ZIP are named {name:?}, so none of them can be told apart and \
             none is read: give each file its own name and submit the ZIP again"
        ),
    )
}

/// Uncompressed bytes so far: declared by the headers, and actually read.
#[derive(Default)]
struct Totals {
    declared: u64,
    actual: u64,
}

/// The entry at `index` as a document, a refusal of its own, or nothing (a folder). The error refuses
/// the whole archive (its total size is over the limit).
fn read_entry(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    index: usize,
    limits: ArchiveLimits,
    totals: &mut Totals,
) -> Result<Option<ArchiveEntry>, ReadFailure> {
    let listed_name = entry_name(zip, index);
    let mut file = match zip.by_index(index) {
        Ok(file) => file,
        Err(zip::result::ZipError::UnsupportedArchive(why)) => {
            let reason = if why.contains("ncrypt") || why.contains("assword") {
                failure("encrypted_entry", "the entry is encrypted")
            } else {
                failure(
                    "unsupported_entry",
                    format!("the entry cannot be read: {why}"),
                )
            };
            return Ok(Some(ArchiveEntry::Refused {
                name: listed_name,
                reason,
            }));
        }
        Err(e) => {
            return Ok(Some(ArchiveEntry::Refused {
                name: listed_name,
                reason: failure("corrupt_entry", e.to_string()),
            }));
        }
    };
    let name = file
        .name()
        .map(|n| n.into_owned())
        .unwrap_or_else(|_| "?".to_string());
    if file.is_dir() {
        // A folder itself is not a document; its files are refused one by one.
        return Ok(None);
    }
    let refused =
        |name: String, reason: ReadFailure| Ok(Some(ArchiveEntry::Refused { name, reason }));
    if let Some(reason) = refuse_name(&name) {
        return refused(name, reason);
    }
    if file.encrypted() {
        return refused(name, failure("encrypted_entry", "the entry is encrypted"));
    }
    let declared = file.size();
    totals.declared = totals.declared.saturating_add(declared);
    if totals.declared > limits.max_total_uncompressed {
        return Err(failure(
            "archive_too_large",
            format!(
                "the ZIP expands to more than {} bytes",
                limits.max_total_uncompressed
            ),
        ));
    }
    if declared > limits.max_entry_bytes {
        return refused(
            name,
            failure(
                "entry_too_large",
                format!("the entry is larger than {} bytes", limits.max_entry_bytes),
            ),
        );
    }
    let compressed = file.compressed_size().max(1);
    if declared > (1 << 20) && declared / compressed > limits.max_ratio {
        return refused(
            name,
            failure(
                "suspicious_ratio",
                "the entry's compression ratio is that of a zip bomb",
            ),
        );
    }
    // Read at most one byte past what the header declares: a lying header cannot expand further.
    let mut data = Vec::with_capacity(declared.min(limits.max_entry_bytes) as usize);
    match (&mut file).take(declared + 1).read_to_end(&mut data) {
        Err(e) => refused(name, failure("corrupt_entry", e.to_string())),
        Ok(_) if data.len() as u64 != declared => refused(
            name,
            failure(
                "corrupt_entry",
                "the entry's size does not match its header",
            ),
        ),
        Ok(_) => {
            totals.actual += data.len() as u64;
            if totals.actual > limits.max_total_uncompressed {
                return Err(failure(
                    "archive_too_large",
                    "the ZIP expands beyond the size limit",
                ));
            }
            if pagewire_core::policy::file_kind::sniff(&data)
                == Some(pagewire_core::model::FileKind::Zip)
            {
                return refused(
                    name,
                    failure("nested_archive", "a ZIP inside a ZIP is not processed"),
                );
            }
            Ok(Some(ArchiveEntry::File {
                name,
                bytes: Bytes::from(data),
            }))
        }
    }
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
    fn every_record_of_a_repeated_name_is_refused_and_none_is_dropped() {
        let bytes = crate::hostile::repeated_names_zip(&[
            ("invoice.pdf", b"%PDF-1.4 first"),
            ("other.pdf", b"%PDF-1.4 other"),
            ("invoice.pdf", b"%PDF-1.4 second"),
            ("invoice.pdf", b"%PDF-1.4 third"),
        ]);
        let entries = unpack(&bytes, limits()).unwrap();
        assert_eq!(entries.len(), 4, "{entries:?}");
        let codes: Vec<_> = entries.iter().map(refused_code).collect();
        assert_eq!(
            codes,
            vec![
                Some("duplicate_entry_name"),
                None,
                Some("duplicate_entry_name"),
                Some("duplicate_entry_name"),
            ]
        );
        for entry in [&entries[0], &entries[2], &entries[3]] {
            match entry {
                ArchiveEntry::Refused { name, reason } => {
                    assert_eq!(name, "invoice.pdf");
                    assert!(reason.message.contains("3 entries"), "{}", reason.message);
                    assert!(
                        reason.message.contains("\"invoice.pdf\""),
                        "{}",
                        reason.message
                    );
                }
                other => panic!("{other:?}"),
            }
        }
        match &entries[1] {
            ArchiveEntry::File { name, bytes } => {
                assert_eq!(
                    (name.as_str(), &bytes[..]),
                    ("other.pdf", &b"%PDF-1.4 other"[..])
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn repeated_names_count_against_the_entry_limit() {
        // Eleven records under two names: the crate sees two entries, the limit sees eleven.
        let mut files: Vec<(&str, &[u8])> = vec![("same.pdf", b"%PDF-1.4"); 10];
        files.push(("last.pdf", b"%PDF-1.4"));
        let bytes = crate::hostile::repeated_names_zip(&files);
        let error = unpack(&bytes, limits()).unwrap_err();
        assert_eq!(error.code, "too_many_entries");
        assert!(error.message.contains("11 entries"), "{}", error.message);
    }

    #[test]
    fn a_repeated_name_inside_a_folder_keeps_the_folder_refusal() {
        let bytes = crate::hostile::repeated_names_zip(&[
            ("dir/a.pdf", b"%PDF-1.4 a"),
            ("dir/a.pdf", b"%PDF-1.4 b"),
        ]);
        let codes: Vec<_> = unpack(&bytes, limits())
            .unwrap()
            .iter()
            .map(refused_code)
            .collect();
        assert_eq!(
            codes,
            vec![Some("entry_in_folder"), Some("entry_in_folder")]
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

//! Files made to hurt a document reader, generated (never committed) for the hostile-input tests and
//! the peak-memory benchmark: each is small on the wire and huge, deep or looping once parsed.

use crate::fixtures::{pages_pdf, stream, write_pdf};
use lopdf::{Dictionary, Stream};

const FONT: &str = "<< /Font << /F1 3 0 R >> >>";
/// A page that says `hello`, for the files whose trap is elsewhere.
const HELLO: &[u8] = b"BT /F1 12 Tf 72 700 Td (hello) Tj ET";

/// zlib-compressed `data`, as a PDF's `/FlateDecode` streams hold it.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut stream = Stream::new(Dictionary::new(), data.to_vec());
    stream.compress().expect("in-memory compression");
    stream.content
}

/// A one-page PDF whose page is `operations` times `q` (save the graphics state), deflated: a few
/// kilobytes that read as millions of operations.
pub fn operator_bomb(operations: usize) -> Vec<u8> {
    let content = b"q ".repeat(operations);
    let page = stream("/Filter /FlateDecode", &deflate(&content));
    write_pdf(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
            format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources {FONT} /Contents 5 0 R >>")
                .into_bytes(),
            page,
        ],
        None,
    )
}

/// A one-page PDF that says `hello`, with an object stream nobody refers to: its index lists
/// `listings` objects, all at the offset of one array of `items` zeros.
pub fn object_stream_bomb(items: usize, listings: usize) -> Vec<u8> {
    let index: String = (0..listings).map(|i| format!("{} 0 ", 100 + i)).collect();
    let mut content = index.clone().into_bytes();
    content.push(b'[');
    content.extend(b"0 ".repeat(items));
    content.push(b']');
    let object_stream = stream(
        &format!(
            "/Type /ObjStm /N {listings} /First {} /Filter /FlateDecode",
            index.len()
        ),
        &deflate(&content),
    );
    pages_pdf(&[HELLO.to_vec()], FONT, vec![object_stream])
}

/// A one-page PDF that says `hello`, with two objects nobody refers to, nested `depth` deep: an
/// array of arrays, and a dictionary of dictionaries.
pub fn deep_nesting_pdf(depth: usize) -> Vec<u8> {
    let arrays = [b"[".repeat(depth), b"]".repeat(depth)].concat();
    let dictionaries = [b"<< /A ".repeat(depth), b">> ".repeat(depth)].concat();
    pages_pdf(&[HELLO.to_vec()], FONT, vec![arrays, dictionaries])
}

/// A one-page PDF whose content opens `depth` arrays inside one operation.
pub fn deep_content_pdf(depth: usize) -> Vec<u8> {
    let content = [b"BT /F1 12 Tf ".as_slice(), &b"[".repeat(depth), b" TJ ET"].concat();
    pages_pdf(&[content], FONT, Vec::new())
}

/// The ways a page tree can fail to be a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageLoop {
    /// The root `Pages` node lists itself as its kid.
    RootIsItsOwnKid,
    /// One `Kids` array lists the same page three times.
    RepeatedPage,
    /// A `Pages` node two levels down lists the root again.
    RootBelowItself,
    /// The page's `Parent` links go round (inherited attributes are looked up along them).
    ParentCycle,
}

/// A PDF whose page tree loops as `shape` says; its one real page says `hello`.
pub fn looping_page_tree(shape: PageLoop) -> Vec<u8> {
    let catalog = b"<< /Type /Catalog /Pages 2 0 R >>".to_vec();
    let font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec();
    let page = |parent: u32| {
        format!(
            "<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 595 842] /Resources {FONT} \
             /Contents 5 0 R >>"
        )
        .into_bytes()
    };
    let content = stream("", HELLO);
    let objects = match shape {
        PageLoop::RootIsItsOwnKid => vec![
            catalog,
            b"<< /Type /Pages /Kids [2 0 R 4 0 R] /Count 2 >>".to_vec(),
            font,
            page(2),
            content,
        ],
        PageLoop::RepeatedPage => vec![
            catalog,
            b"<< /Type /Pages /Kids [4 0 R 4 0 R 4 0 R] /Count 3 >>".to_vec(),
            font,
            page(2),
            content,
        ],
        PageLoop::RootBelowItself => vec![
            catalog,
            b"<< /Type /Pages /Kids [6 0 R] /Count 1 >>".to_vec(),
            font,
            page(7),
            content,
            b"<< /Type /Pages /Parent 2 0 R /Kids [7 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Pages /Parent 6 0 R /Kids [4 0 R 2 0 R] /Count 1 >>".to_vec(),
        ],
        PageLoop::ParentCycle => vec![
            catalog,
            b"<< /Type /Pages /Parent 6 0 R /Kids [4 0 R] /Count 1 >>".to_vec(),
            font,
            page(2),
            content,
            b"<< /Type /Pages /Parent 2 0 R /Kids [] /Count 0 >>".to_vec(),
        ],
    };
    write_pdf(&objects, None)
}

/// A ZIP of `listings` central-directory entries (named `0000.pdf`, `0001.pdf`...) that all point
/// at one local entry of `entry_bytes` bytes: every listing would unpack to the same large file.
pub fn overlapping_zip(entry_bytes: usize, listings: usize) -> Vec<u8> {
    use std::io::Write;
    let mut data = b"%PDF-1.4\n".to_vec();
    data.resize(entry_bytes, b' ');
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer
        .start_file("0000.pdf", zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    writer.write_all(&data).expect("zip data");
    let zip = writer.finish().expect("zip").into_inner();
    // End of central directory: the last 22 bytes (no comment); the directory's size and offset.
    let end = zip.len() - 22;
    let le32 = |at: usize| u32::from_le_bytes(zip[at..at + 4].try_into().unwrap()) as usize;
    let (directory_size, directory_at) = (le32(end + 12), le32(end + 16));
    let record = &zip[directory_at..directory_at + directory_size];
    let mut out = zip[..directory_at].to_vec();
    for i in 0..listings {
        let mut copy = record.to_vec();
        // The name follows the 46 fixed bytes of a central record; same length, new digits.
        copy[46..50].copy_from_slice(format!("{:04}", i % 10_000).as_bytes());
        out.extend(copy);
    }
    let mut eocd = zip[end..].to_vec();
    let count = (listings as u16).to_le_bytes();
    eocd[8..10].copy_from_slice(&count);
    eocd[10..12].copy_from_slice(&count);
    eocd[12..16].copy_from_slice(&((directory_size * listings) as u32).to_le_bytes());
    out.extend(eocd);
    out
}

/// A ZIP of `entries` (name, content) in that order, where names may repeat, as some writers allow
/// (Python's `zipfile` warns and writes it; the `zip` crate refuses to). Names are ASCII of at least
/// four characters: each entry is written under a unique name of the same length, then renamed in
/// its local header and its central record.
pub fn repeated_names_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut stand_ins = Vec::new();
    for (i, (name, content)) in entries.iter().enumerate() {
        assert!(name.is_ascii() && name.len() >= 4, "{name:?}");
        let stand_in = format!("{i:04}{}", &name[4..]);
        writer
            .start_file(stand_in.as_str(), zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        writer.write_all(content).expect("zip data");
        stand_ins.push(stand_in);
    }
    let mut zip = writer.finish().expect("zip").into_inner();
    for (stand_in, (name, _)) in stand_ins.iter().zip(entries) {
        let at: Vec<usize> = zip
            .windows(stand_in.len())
            .enumerate()
            .filter(|(_, window)| *window == stand_in.as_bytes())
            .map(|(at, _)| at)
            .collect();
        assert_eq!(
            at.len(),
            2,
            "{stand_in} is in one local header and one central record"
        );
        for at in at {
            zip[at..at + name.len()].copy_from_slice(name.as_bytes());
        }
    }
    zip
}

/// A little-endian TIFF of `pages` grey pages of `width` x `height` white pixels, deflated, every
/// page's one strip being the same bytes: a couple of megabytes that decode to gigabytes.
#[cfg(feature = "ocr")]
pub fn big_pixel_tiff(pages: usize, width: u32, height: u32) -> Vec<u8> {
    let strip = deflate(&vec![255u8; width as usize * height as usize]);
    let mut out = b"II*\0".to_vec();
    let first_ifd = 8 + strip.len() as u32;
    out.extend(first_ifd.to_le_bytes());
    out.extend(&strip);
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    for page in 0..pages {
        let entries: [(u16, u16, u32); 9] = [
            (256, LONG, width),
            (257, LONG, height),
            (258, SHORT, 8),
            // Adobe deflate.
            (259, SHORT, 8),
            // Black is zero.
            (262, SHORT, 1),
            (273, LONG, 8),
            (277, SHORT, 1),
            (278, LONG, height),
            (279, LONG, strip.len() as u32),
        ];
        out.extend((entries.len() as u16).to_le_bytes());
        for (tag, kind, value) in entries {
            out.extend(tag.to_le_bytes());
            out.extend(kind.to_le_bytes());
            out.extend(1u32.to_le_bytes());
            match kind {
                SHORT => {
                    out.extend((value as u16).to_le_bytes());
                    out.extend([0, 0]);
                }
                _ => out.extend(value.to_le_bytes()),
            }
        }
        let next = if page + 1 < pages {
            out.len() as u32 + 4
        } else {
            0
        };
        out.extend(next.to_le_bytes());
    }
    out
}

/// A real PNG of `width` x `height` grey pixels (the decoder would allocate all of them).
#[cfg(feature = "ocr")]
pub fn big_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::GrayImage::new(width, height)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// A small JPEG whose frame header claims `width` x `height` pixels.
#[cfg(feature = "ocr")]
pub fn lying_jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::GrayImage::new(16, 16)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    let mut jpeg = out.into_inner();
    // SOF0: FF C0, length (2), precision (1), height (2), width (2).
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xff, 0xc0])
        .expect("baseline JPEG");
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PagewireReader, ReaderLimits};
    use pagewire_core::model::FileKind;
    use pagewire_core::ports::DocumentReader;
    use pagewire_core::Settings;

    fn read_pdf(bytes: &[u8]) -> Result<String, (&'static str, String)> {
        let reader = PagewireReader::new(ReaderLimits::from_settings(&Settings::default()));
        match reader.read(FileKind::Pdf, bytes) {
            Ok(doc) => Ok(doc
                .pages
                .iter()
                .flat_map(|p| p.words.iter().map(|w| w.text.clone()))
                .collect::<Vec<_>>()
                .join(" ")),
            Err(e) => Err((e.code, e.message)),
        }
    }

    #[test]
    fn each_pdf_trap_fails_with_its_reason_or_reads_within_bounds() {
        let (code, message) = read_pdf(&operator_bomb(3_000_000)).unwrap_err();
        assert_eq!(code, "too_complex");
        assert!(message.contains("page 1"), "{message}");
        assert_eq!(read_pdf(&operator_bomb(1_000)).unwrap(), "");
        let (code, message) = read_pdf(&object_stream_bomb(3_000_000, 1)).unwrap_err();
        assert_eq!(code, "too_complex");
        assert!(message.contains("object streams"), "{message}");
        assert_eq!(
            read_pdf(&object_stream_bomb(5_000, 1_000)).unwrap_err().0,
            "too_complex"
        );
        assert_eq!(read_pdf(&object_stream_bomb(100, 2)).unwrap(), "hello");
        assert_eq!(read_pdf(&deep_nesting_pdf(100_000)).unwrap(), "hello");
        assert_eq!(
            read_pdf(&deep_content_pdf(100_000)).unwrap_err().0,
            "too_complex"
        );
        for shape in [
            PageLoop::RootIsItsOwnKid,
            PageLoop::RepeatedPage,
            PageLoop::RootBelowItself,
            PageLoop::ParentCycle,
        ] {
            let (code, message) = read_pdf(&looping_page_tree(shape)).unwrap_err();
            assert_eq!(code, "malformed_pdf", "{shape:?}: {message}");
            assert!(message.contains("cycle"), "{shape:?}: {message}");
        }
    }

    #[test]
    fn an_overlapping_zip_is_refused_whole() {
        let reader = PagewireReader::new(ReaderLimits::from_settings(&Settings::default()));
        let bomb = overlapping_zip(1 << 20, 1_000);
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        let refused = reader.unpack(&bomb).unwrap_err();
        assert_eq!(refused.code, "overlapping_entries");
        // One listing of the same entry is an ordinary ZIP.
        let entries = reader.unpack(&overlapping_zip(1 << 10, 1)).unwrap();
        assert!(matches!(
            &entries[..],
            [pagewire_core::ports::ArchiveEntry::File { .. }]
        ));
    }

    #[cfg(feature = "ocr")]
    #[test]
    fn image_traps_are_refused_from_their_headers() {
        let limits = crate::images::ImageLimits::default();
        let refuse = |kind, bytes: &[u8]| {
            crate::images::read_pages(kind, bytes, &limits, |_, _| Ok(()))
                .unwrap_err()
                .code
        };
        assert_eq!(
            refuse(FileKind::Png, &big_png(8_000, 6_000)),
            "image_too_large"
        );
        assert_eq!(
            refuse(FileKind::Jpeg, &lying_jpeg(60_000, 60_000)),
            "image_too_large"
        );
        let tiff = big_pixel_tiff(3, 2_000, 1_000);
        let mut seen = 0;
        crate::images::read_pages(FileKind::Tiff, &tiff, &limits, |page, _| {
            assert_eq!(page.dimensions(), (2_000, 1_000));
            assert_eq!(page.get_pixel(5, 5).0[0], 255);
            seen += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, 3);
    }
}

//! The file type, from the content's magic bytes only (a name or a declared type proves nothing). Submission
//! refuses what no reader handles, and processing picks the reader, both by this one rule.

use crate::model::FileKind;

pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
    let kind = infer::get(bytes)?;
    match kind.mime_type() {
        "application/pdf" => Some(FileKind::Pdf),
        "image/png" => Some(FileKind::Png),
        "image/jpeg" => Some(FileKind::Jpeg),
        "image/tiff" => Some(FileKind::Tiff),
        "image/webp" => Some(FileKind::Webp),
        "application/zip" => Some(FileKind::Zip),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide() {
        let table: [(&[u8], Option<FileKind>); 9] = [
            (b"%PDF-1.7\n...", Some(FileKind::Pdf)),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Some(FileKind::Png)),
            (b"\xff\xd8\xff\xe0\0\x10JFIF\0", Some(FileKind::Jpeg)),
            (b"II*\0\x10\0\0\0\0\0\0\0\0\0\0\0", Some(FileKind::Tiff)),
            (b"MM\0*\0\0\0\x10\0\0\0\0\0\0\0\0", Some(FileKind::Tiff)),
            (b"RIFF\x24\0\0\0WEBPVP8 ", Some(FileKind::Webp)),
            (b"PK\x03\x04\x14\0\0\0\x08\0", Some(FileKind::Zip)),
            (b"GIF89a....", None),
            (b"hello, this is plain text", None),
        ];
        for (bytes, want) in table {
            assert_eq!(sniff(bytes), want, "{:?}", &bytes[..4]);
        }
        assert_eq!(sniff(b""), None);
    }
}

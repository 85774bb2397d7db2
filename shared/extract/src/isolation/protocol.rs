//! The bytes a reader worker and its parent exchange over the worker's stdin and stdout.
//!
//! After starting, the worker writes [`HELLO`]. Then, for each document, the parent writes a request
//! (`b'R'`, the file kind, the length as u64 LE, the bytes); the worker, once it has the whole document,
//! writes [`RECEIVED`] (so a worker that dies before it has it is known not to have died of it), then
//! answers with `b'O'` (read) or `b'F'` (failure), the payload length as u64 LE, and the payload. Every length read is checked against a
//! limit before anything is allocated, so neither side can be made to allocate by a broken peer.

use pagewire_core::model::{BoundingBox, FileKind};
use pagewire_core::ports::{PageText, ReadDocument, ReadFailure, TextSource, Word};
use std::io::{self, Read, Write};
use std::sync::Mutex;

/// What a worker writes once it is ready: the protocol's name and version.
pub const HELLO: &[u8; 5] = b"PWRW\x01";
/// What a worker writes once it has a whole request, before reading the document.
pub const RECEIVED: u8 = b'A';
/// The largest document a worker accepts (uploads are at most 100 MB).
pub const MAX_DOCUMENT_BYTES: u64 = 256 << 20;
/// The largest answer the parent accepts: far more text than 500 pages hold.
pub const MAX_ANSWER_BYTES: u64 = 128 << 20;

const REQUEST: u8 = b'R';
const READ: u8 = b'O';
const FAILED: u8 = b'F';

/// What a broken or hostile peer did wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("unexpected message tag {0:#04x}")]
    Tag(u8),
    #[error("unknown file kind {0}")]
    Kind(u8),
    #[error("a length of {length} bytes is over the limit of {limit}")]
    TooLong { length: u64, limit: u64 },
    #[error("the payload is malformed: {0}")]
    Malformed(&'static str),
}

fn kind_code(kind: FileKind) -> u8 {
    match kind {
        FileKind::Pdf => 0,
        FileKind::Png => 1,
        FileKind::Jpeg => 2,
        FileKind::Tiff => 3,
        FileKind::Webp => 4,
        FileKind::Zip => 5,
    }
}

fn kind_of(code: u8) -> Result<FileKind, ProtocolError> {
    Ok(match code {
        0 => FileKind::Pdf,
        1 => FileKind::Png,
        2 => FileKind::Jpeg,
        3 => FileKind::Tiff,
        4 => FileKind::Webp,
        5 => FileKind::Zip,
        other => return Err(ProtocolError::Kind(other)),
    })
}

/// The header of a request; the document's bytes follow it.
pub fn request_header(kind: FileKind, length: usize) -> [u8; 10] {
    let mut header = [0u8; 10];
    header[0] = REQUEST;
    header[1] = kind_code(kind);
    header[2..].copy_from_slice(&(length as u64).to_le_bytes());
    header
}

/// Reads one request; `None` when the parent closed the stream (the worker's signal to exit).
pub fn read_request(input: &mut impl Read) -> io::Result<Option<(FileKind, Vec<u8>)>> {
    let mut header = [0u8; 10];
    match input.read_exact(&mut header[..1]) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    input.read_exact(&mut header[1..])?;
    if header[0] != REQUEST {
        return Err(invalid(ProtocolError::Tag(header[0])));
    }
    let kind = kind_of(header[1]).map_err(invalid)?;
    let length = bounded(u64_at(&header, 2), MAX_DOCUMENT_BYTES).map_err(invalid)?;
    let mut bytes = vec![0u8; length];
    input.read_exact(&mut bytes)?;
    Ok(Some((kind, bytes)))
}

/// Writes the answer to one request.
pub fn write_answer(
    output: &mut impl Write,
    answer: &Result<ReadDocument, ReadFailure>,
) -> io::Result<()> {
    let (tag, payload) = match answer {
        Ok(document) => (READ, encode_document(document)),
        Err(failure) => (FAILED, encode_failure(failure)),
    };
    output.write_all(&[tag])?;
    output.write_all(&(payload.len() as u64).to_le_bytes())?;
    output.write_all(&payload)?;
    output.flush()
}

/// The header of an answer: whether the document was read, and the payload's length (checked).
pub fn answer_header(header: &[u8; 9]) -> Result<(bool, usize), ProtocolError> {
    let read = match header[0] {
        READ => true,
        FAILED => false,
        other => return Err(ProtocolError::Tag(other)),
    };
    Ok((read, bounded(u64_at(header, 1), MAX_ANSWER_BYTES)?))
}

/// The answer's payload, decoded as [`answer_header`] said.
pub fn decode_answer(
    read: bool,
    payload: &[u8],
) -> Result<Result<ReadDocument, ReadFailure>, ProtocolError> {
    let mut cursor = Cursor(payload);
    let answer = if read {
        Ok(decode_document(&mut cursor)?)
    } else {
        Err(decode_failure(&mut cursor)?)
    };
    if !cursor.0.is_empty() {
        return Err(ProtocolError::Malformed("trailing bytes"));
    }
    Ok(answer)
}

fn encode_document(document: &ReadDocument) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(kind_code(document.kind));
    out.extend((document.pages.len() as u32).to_le_bytes());
    for page in &document.pages {
        out.extend(page.number.to_le_bytes());
        out.extend(page.aspect.to_le_bytes());
        out.push(match page.source {
            TextSource::TextLayer => 0,
            TextSource::Ocr => 1,
        });
        out.extend((page.words.len() as u32).to_le_bytes());
        for word in &page.words {
            let b = &word.bbox;
            for value in [b.x, b.y, b.width, b.height, word.confidence] {
                out.extend(value.to_le_bytes());
            }
            out.extend((word.text.len() as u32).to_le_bytes());
            out.extend(word.text.as_bytes());
        }
    }
    out
}

/// The smallest encoded page and word: counts larger than the bytes left can hold are refused before
/// anything is allocated for them.
const PAGE_BYTES: usize = 4 + 4 + 1 + 4;
const WORD_BYTES: usize = 5 * 4 + 4;

fn decode_document(c: &mut Cursor) -> Result<ReadDocument, ProtocolError> {
    let kind = kind_of(c.u8()?)?;
    let page_count = c.count(PAGE_BYTES)?;
    let mut pages = Vec::with_capacity(page_count);
    for _ in 0..page_count {
        let number = c.u32()?;
        let aspect = c.f32()?;
        let source = match c.u8()? {
            0 => TextSource::TextLayer,
            1 => TextSource::Ocr,
            _ => return Err(ProtocolError::Malformed("text source")),
        };
        let word_count = c.count(WORD_BYTES)?;
        let mut words = Vec::with_capacity(word_count);
        for _ in 0..word_count {
            let [x, y, width, height, confidence] =
                [c.f32()?, c.f32()?, c.f32()?, c.f32()?, c.f32()?];
            let length = c.u32()? as usize;
            let text = std::str::from_utf8(c.take(length)?)
                .map_err(|_| ProtocolError::Malformed("word text"))?;
            words.push(Word {
                text: text.to_string(),
                bbox: BoundingBox {
                    x,
                    y,
                    width,
                    height,
                },
                confidence,
            });
        }
        pages.push(PageText {
            number,
            aspect,
            words,
            source,
        });
    }
    Ok(ReadDocument { kind, pages })
}

fn encode_failure(failure: &ReadFailure) -> Vec<u8> {
    let code = &failure.code.as_bytes()[..failure.code.len().min(255)];
    let mut out = Vec::with_capacity(1 + code.len() + failure.message.len());
    out.push(code.len() as u8);
    out.extend(code);
    out.extend(failure.message.as_bytes());
    out
}

fn decode_failure(c: &mut Cursor) -> Result<ReadFailure, ProtocolError> {
    let length = c.u8()? as usize;
    let code = std::str::from_utf8(c.take(length)?)
        .map_err(|_| ProtocolError::Malformed("failure code"))?;
    let message = std::str::from_utf8(c.take(c.0.len())?)
        .map_err(|_| ProtocolError::Malformed("failure message"))?;
    Ok(ReadFailure {
        code: intern_code(code),
        message: message.to_string(),
    })
}

/// Failure codes travel as text but [`ReadFailure`] holds a `&'static str`: each distinct code is
/// leaked once. Codes are a small fixed set in our readers; anything that does not look like one, or
/// codes beyond a bound, become a generic code, so a broken worker cannot make the parent leak memory.
fn intern_code(code: &str) -> &'static str {
    const FALLBACK: &str = "unreadable_document";
    const MAX_CODES: usize = 128;
    static CODES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let well_formed = !code.is_empty()
        && code.len() <= 64
        && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !well_formed {
        return FALLBACK;
    }
    let mut codes = CODES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = codes.iter().find(|known| **known == code) {
        return known;
    }
    if codes.len() >= MAX_CODES {
        return FALLBACK;
    }
    let leaked: &'static str = Box::leak(code.to_string().into_boxed_str());
    codes.push(leaked);
    leaked
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

fn bounded(length: u64, limit: u64) -> Result<usize, ProtocolError> {
    if length > limit {
        return Err(ProtocolError::TooLong { length, limit });
    }
    usize::try_from(length).map_err(|_| ProtocolError::TooLong { length, limit })
}

fn invalid(error: ProtocolError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

/// Reads fixed-size values off the front of a payload, failing (never panicking) when it runs short.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        if n > self.0.len() {
            return Err(ProtocolError::Malformed("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ProtocolError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, ProtocolError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, ProtocolError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn f32(&mut self) -> Result<f32, ProtocolError> {
        Ok(f32::from_le_bytes(self.array()?))
    }

    /// A count of items of at least `item_bytes` each, refused when the rest cannot hold that many.
    fn count(&mut self, item_bytes: usize) -> Result<usize, ProtocolError> {
        let count = self.u32()? as usize;
        if count.saturating_mul(item_bytes) > self.0.len() {
            return Err(ProtocolError::Malformed("count beyond the payload"));
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ReadDocument {
        ReadDocument {
            kind: FileKind::Pdf,
            pages: vec![
                PageText {
                    number: 1,
                    aspect: 0.77,
                    words: vec![Word {
                        text: "Total: €12,50".into(),
                        bbox: BoundingBox {
                            x: 0.1,
                            y: 0.2,
                            width: 0.3,
                            height: 0.04,
                        },
                        confidence: 0.93,
                    }],
                    source: TextSource::Ocr,
                },
                PageText {
                    number: 2,
                    aspect: 1.4,
                    words: vec![],
                    source: TextSource::TextLayer,
                },
            ],
        }
    }

    fn round_trip(answer: &Result<ReadDocument, ReadFailure>) -> Result<ReadDocument, ReadFailure> {
        let mut bytes = Vec::new();
        write_answer(&mut bytes, answer).unwrap();
        let header: [u8; 9] = bytes[..9].try_into().unwrap();
        let (read, length) = answer_header(&header).unwrap();
        assert_eq!(length, bytes.len() - 9);
        decode_answer(read, &bytes[9..]).unwrap()
    }

    #[test]
    fn documents_and_failures_cross_unchanged() {
        assert_eq!(round_trip(&Ok(sample())), Ok(sample()));
        let failure = ReadFailure {
            code: "malformed_pdf",
            message: "the PDF is damaged".into(),
        };
        assert_eq!(round_trip(&Err(failure.clone())), Err(failure));
    }

    #[test]
    fn requests_cross_and_a_closed_stream_ends_the_worker() {
        let mut bytes = request_header(FileKind::Tiff, 3).to_vec();
        bytes.extend(b"abc");
        let mut input = &bytes[..];
        assert_eq!(
            read_request(&mut input).unwrap(),
            Some((FileKind::Tiff, b"abc".to_vec()))
        );
        assert_eq!(read_request(&mut input).unwrap(), None);
    }

    #[test]
    fn lengths_over_the_limits_are_refused_before_allocating() {
        let mut request = request_header(FileKind::Pdf, 0);
        request[2..].copy_from_slice(&u64::MAX.to_le_bytes());
        let err = read_request(&mut &request[..]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let mut header = [READ; 9];
        header[1..].copy_from_slice(&(MAX_ANSWER_BYTES + 1).to_le_bytes());
        assert!(matches!(
            answer_header(&header),
            Err(ProtocolError::TooLong { .. })
        ));
        // A page count the payload cannot hold.
        let mut payload = vec![0u8];
        payload.extend(u32::MAX.to_le_bytes());
        assert!(decode_answer(true, &payload).is_err());
    }

    #[test]
    fn truncated_or_garbled_payloads_are_errors() {
        let mut bytes = Vec::new();
        write_answer(&mut bytes, &Ok(sample())).unwrap();
        let payload = &bytes[9..];
        for cut in 0..payload.len() {
            assert!(
                decode_answer(true, &payload[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        assert!(decode_answer(true, &[payload, b"x"].concat()).is_err());
        assert_eq!(answer_header(&[b'Z'; 9]), Err(ProtocolError::Tag(b'Z')));
    }

    #[test]
    fn failure_codes_are_interned_and_bounded() {
        let a = decode_failure(&mut Cursor(b"\x0bmalformed_xhello")).unwrap();
        assert_eq!(a.code, "malformed_x");
        assert_eq!(a.message, "hello");
        let b = decode_failure(&mut Cursor(b"\x0bmalformed_x")).unwrap();
        assert!(std::ptr::eq(a.code, b.code), "the same code is leaked once");
        let odd = decode_failure(&mut Cursor(b"\x03A;Bx")).unwrap();
        assert_eq!(odd.code, "unreadable_document");
    }
}

//! A file sent inside a JSON body, as base64 text.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use bytes::Bytes;
use pagewire_core::CoreError;

/// Standard or URL-safe base64, with or without a `data:...;base64,` prefix and line breaks; `field`
/// names the JSON field in the error.
pub fn decode_base64_file(text: &str, field: &str) -> Result<Bytes, CoreError> {
    let payload = match text.split_once(";base64,") {
        Some((prefix, rest)) if prefix.starts_with("data:") => rest,
        _ => text,
    };
    let compact: String = payload
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(&compact)
        .or_else(|_| URL_SAFE.decode(&compact))
        .map(Bytes::from)
        .map_err(|_| CoreError::invalid("invalid_base64", format!("{field} is not valid base64")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_forms() {
        assert_eq!(&decode_base64_file("aGVsbG8=", "f").unwrap()[..], b"hello");
        assert_eq!(
            &decode_base64_file("data:application/pdf;base64,aGVs\nbG8=", "f").unwrap()[..],
            b"hello"
        );
        assert_eq!(&decode_base64_file("aGVsbG8_", "f").unwrap()[..], b"hello?");
        let err = decode_base64_file("not base64!!", "file").unwrap_err();
        assert_eq!(err.code(), "invalid_base64");
        assert_eq!(err.to_string(), "file is not valid base64");
    }
}

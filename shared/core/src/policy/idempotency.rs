//! `Idempotency-Key`: which keys are acceptable, and the fingerprint that tells a retry of a request from
//! another request sent under the same key.

use sha2::{Digest, Sha256};

/// Longest key accepted (Stripe and the IETF draft use keys of this order; UUIDs are 36).
pub const MAX_KEY_LEN: usize = 255;

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A key is 1 to [`MAX_KEY_LEN`] visible ASCII characters (no spaces or controls), so it can be logged
/// safely, compared byte for byte and used in storage keys.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(format!(
            "Idempotency-Key: must have 1 to {MAX_KEY_LEN} characters"
        ));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("Idempotency-Key: must be visible ASCII characters".to_string());
    }
    Ok(())
}

/// The SHA-256 of a request's parts, each length-prefixed so no two different part lists hash alike.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(check_key("4f1c-retry-1").is_ok());
        assert!(check_key(&"k".repeat(MAX_KEY_LEN)).is_ok());
        for bad in [
            "",
            " ",
            "a b",
            "tab\there",
            "é",
            &"k".repeat(MAX_KEY_LEN + 1),
        ] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fingerprints_separate_parts() {
        assert_eq!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"ab", b"c"]));
        assert_ne!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"a", b"bc"]));
        assert_ne!(fingerprint(&[b"x"]), fingerprint(&[b"y"]));
        assert_eq!(sha256_hex(b"").len(), 64);
    }
}

//! Standard Webhooks signatures: `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), where the key
//! is the base64 part of a `whsec_` secret. Several signatures are space-separated.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const SECRET_PREFIX: &str = "whsec_";
/// 32 random bytes: inside the 24..64 bytes Standard Webhooks allows.
const SECRET_BYTES: usize = 32;

/// A fresh signing secret in the `whsec_` form receivers paste into their verifier.
pub fn generate_secret() -> String {
    let mut key = [0u8; SECRET_BYTES];
    rand::thread_rng().fill_bytes(&mut key);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signing secret is not a whsec_ base64 key")]
pub struct MalformedSecret;

fn key_bytes(secret: &str) -> Result<Vec<u8>, MalformedSecret> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    STANDARD.decode(encoded).map_err(|_| MalformedSecret)
}

fn mac(key: &[u8], webhook_id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(webhook_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// One `v1,<base64>` signature of the exact bytes that will be sent.
pub fn sign(
    secret: &str,
    webhook_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, MalformedSecret> {
    let key = key_bytes(secret)?;
    let tag = mac(&key, webhook_id, timestamp, body)
        .finalize()
        .into_bytes();
    Ok(format!("v1,{}", STANDARD.encode(tag)))
}

/// The `webhook-signature` header value: one signature per secret, space-separated.
pub fn signature_header(
    secrets: &[&str],
    webhook_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, MalformedSecret> {
    let signatures = secrets
        .iter()
        .map(|secret| sign(secret, webhook_id, timestamp, body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

/// Whether any `v1` signature in `header` was made with `secret` (constant-time comparison).
pub fn verify(secret: &str, webhook_id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Ok(key) = key_bytes(secret) else {
        return false;
    };
    header
        .split(' ')
        .filter_map(|sig| sig.strip_prefix("v1,"))
        .any(|encoded| {
            STANDARD
                .decode(encoded)
                .map(|tag| {
                    mac(&key, webhook_id, timestamp, body)
                        .verify_slice(&tag)
                        .is_ok()
                })
                .unwrap_or(false)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(secret, id, 1614265330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn verifies_own_signatures_and_rejects_tampering() {
        let secret = generate_secret();
        assert!(secret.starts_with("whsec_"));
        let header = signature_header(&[&secret], "msg_1", 1_700_000_000, b"{}").unwrap();
        assert!(verify(&secret, "msg_1", 1_700_000_000, b"{}", &header));
        assert!(!verify(&secret, "msg_1", 1_700_000_001, b"{}", &header));
        assert!(!verify(&secret, "msg_2", 1_700_000_000, b"{}", &header));
        assert!(!verify(&secret, "msg_1", 1_700_000_000, b"{ }", &header));
        assert!(!verify(
            &generate_secret(),
            "msg_1",
            1_700_000_000,
            b"{}",
            &header
        ));
    }

    #[test]
    fn rotated_header_carries_both_signatures() {
        let (new, old) = (generate_secret(), generate_secret());
        let header = signature_header(&[&new, &old], "msg_1", 5, b"x").unwrap();
        assert_eq!(header.split(' ').count(), 2);
        assert!(verify(&new, "msg_1", 5, b"x", &header));
        assert!(verify(&old, "msg_1", 5, b"x", &header));
    }

    #[test]
    fn malformed_secret_is_an_error_not_a_panic() {
        assert_eq!(sign("whsec_***", "m", 1, b""), Err(MalformedSecret));
        assert!(!verify("whsec_***", "m", 1, b"", "v1,AAAA"));
    }
}

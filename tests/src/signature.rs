//! Standard Webhooks verification written from the specification, independent of pagewire's own code.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether one of the space-separated `v1,` signatures of `header` was made with `secret` over
/// `{id}.{timestamp}.{body}`.
pub fn verify(secret: &str, id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("secret is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    header.split(' ').any(|sig| sig == expected)
}

/// [`verify`] applied to a captured request.
pub fn verify_received(secret: &str, hit: &crate::receiver::Received) -> bool {
    verify(
        secret,
        hit.header("webhook-id").expect("webhook-id"),
        hit.header("webhook-timestamp").expect("webhook-timestamp"),
        &hit.body,
        hit.header("webhook-signature").expect("webhook-signature"),
    )
}

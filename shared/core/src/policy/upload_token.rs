//! The tokens of `pagewire dev`'s local upload URLs (`PUT /local-uploads/{token}`), the local stand-in for
//! a presigned S3 PUT. A token names one object key and an expiry, and carries an HMAC-SHA256 over both
//! under a secret only the server knows: it cannot be guessed, widened to another key, or extended.
//!
//! Form: `base64url(expires_unix "." key) "." base64url(hmac)`, URL-safe without padding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Not a token this server made, or altered.
    Invalid,
    /// Genuine, but its time is over.
    Expired,
}

fn mac(secret: &[u8], claims: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(claims);
    mac
}

/// A token for PUTting `key` until `expires_at`.
pub fn sign(secret: &[u8], key: &str, expires_at: DateTime<Utc>) -> String {
    let claims = format!("{}.{key}", expires_at.timestamp());
    let tag = mac(secret, claims.as_bytes()).finalize().into_bytes();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(claims.as_bytes()),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// The key a token grants at `now`. The tag is checked (in constant time) before anything it claims is
/// believed.
pub fn verify(secret: &[u8], token: &str, now: DateTime<Utc>) -> Result<String, TokenRefusal> {
    let (claims, tag) = token.split_once('.').ok_or(TokenRefusal::Invalid)?;
    let claims = URL_SAFE_NO_PAD
        .decode(claims)
        .map_err(|_| TokenRefusal::Invalid)?;
    let tag = URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| TokenRefusal::Invalid)?;
    mac(secret, &claims)
        .verify_slice(&tag)
        .map_err(|_| TokenRefusal::Invalid)?;
    let claims = String::from_utf8(claims).map_err(|_| TokenRefusal::Invalid)?;
    let (expires, key) = claims.split_once('.').ok_or(TokenRefusal::Invalid)?;
    let expires: i64 = expires.parse().map_err(|_| TokenRefusal::Invalid)?;
    if now.timestamp() >= expires {
        return Err(TokenRefusal::Expired);
    }
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_token_grants_its_key_until_it_expires() {
        let now = Utc::now();
        let key = "uploads/t/j/source";
        let token = sign(SECRET, key, now + Duration::minutes(10));
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        assert_eq!(verify(SECRET, &token, now).as_deref(), Ok(key));
        assert_eq!(
            verify(SECRET, &token, now + Duration::minutes(10)),
            Err(TokenRefusal::Expired)
        );
    }

    #[test]
    fn altered_or_foreign_tokens_are_invalid() {
        let now = Utc::now();
        let token = sign(SECRET, "uploads/t/j/source", now + Duration::hours(1));
        let (claims, tag) = token.split_once('.').unwrap();
        // Another key, or a later expiry, under the original tag.
        let other = URL_SAFE_NO_PAD.encode(format!(
            "{}.uploads/t/other/source",
            (now + Duration::hours(1)).timestamp()
        ));
        let later = URL_SAFE_NO_PAD.encode(format!(
            "{}.uploads/t/j/source",
            (now + Duration::days(9)).timestamp()
        ));
        for bad in [
            format!("{other}.{tag}"),
            format!("{later}.{tag}"),
            format!("{claims}.{}", URL_SAFE_NO_PAD.encode([0u8; 32])),
            claims.to_string(),
            String::new(),
            "..".to_string(),
            "%%%.%%%".to_string(),
        ] {
            assert_eq!(
                verify(SECRET, &bad, now),
                Err(TokenRefusal::Invalid),
                "{bad}"
            );
        }
        assert_eq!(
            verify(b"another secret", &token, now),
            Err(TokenRefusal::Invalid)
        );
    }
}

//! Fetching a receiver's auth token: how the request body is encoded, and how the answer is read into a
//! token and the time until which it may be reused.
//!
//! Nothing here ever puts a token or an auth response into an error message: both are secrets.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// How long a token is reused when its answer says nothing about expiry (a 401 ends it sooner).
pub const UNKNOWN_EXPIRY_LIFETIME: Duration = Duration::hours(1);
/// No token is reused longer than this, whatever its answer says.
pub const MAX_LIFETIME: Duration = Duration::hours(24);
/// A token is refreshed this long before it expires (or a fifth of its lifetime, when that is shorter), so
/// a request never leaves with a token that expires on the way.
pub const REFRESH_MARGIN: Duration = Duration::seconds(60);
/// The longest token accepted: it travels in a header.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// The body of the token request and the content type to add when none is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequestBody {
    pub bytes: Vec<u8>,
    pub content_type: Option<&'static str>,
}

/// Encodes the configured body: a string is sent as it is; a JSON object is form-encoded when the
/// configured `Content-Type` asks for a form (as login endpoints often do), JSON otherwise.
pub fn token_request_body(
    headers: &BTreeMap<String, String>,
    body: Option<&Value>,
) -> TokenRequestBody {
    let configured = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.to_ascii_lowercase());
    let wants_form = configured.as_deref().is_some_and(|ct| ct.starts_with(FORM));
    let content_type = |default| configured.is_none().then_some(default);
    match body {
        None | Some(Value::Null) => TokenRequestBody {
            bytes: Vec::new(),
            content_type: None,
        },
        Some(Value::String(text)) => TokenRequestBody {
            bytes: text.as_bytes().to_vec(),
            content_type: None,
        },
        Some(Value::Object(fields)) if wants_form => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in fields {
                let text = match value {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                form.append_pair(name, &text);
            }
            TokenRequestBody {
                bytes: form.finish().into_bytes(),
                content_type: None,
            }
        }
        Some(json) => TokenRequestBody {
            bytes: json.to_string().into_bytes(),
            content_type: content_type(JSON),
        },
    }
}

/// A token read from an auth answer, and until when it may be reused.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub token: String,
    pub reuse_until: DateTime<Utc>,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field("token", &"<redacted>")
            .field("reuse_until", &self.reuse_until)
            .finish()
    }
}

/// Why an auth answer gave no usable token. The texts name the attribute, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantRefused {
    #[error("the auth url answered {0}")]
    Status(u16),
    #[error("the auth url's answer is not JSON")]
    NotJson,
    #[error("the auth url's answer has no string attribute {0:?}")]
    Missing(String),
    #[error("the token in attribute {0:?} is empty, too long, or holds control characters")]
    Unusable(String),
}

/// Reads the token at `attribute` (a top-level key, or a dotted path such as `data.access_token`) and its
/// lifetime: `expires_in` seconds when the answer has it, else the `exp` claim of a JWT, else
/// [`UNKNOWN_EXPIRY_LIFETIME`].
pub fn read_grant(
    status: u16,
    body: &[u8],
    attribute: &str,
    now: DateTime<Utc>,
) -> Result<TokenGrant, GrantRefused> {
    if !(200..300).contains(&status) {
        return Err(GrantRefused::Status(status));
    }
    let json: Value = serde_json::from_slice(body).map_err(|_| GrantRefused::NotJson)?;
    let token = lookup(&json, attribute)
        .and_then(Value::as_str)
        .ok_or_else(|| GrantRefused::Missing(attribute.to_string()))?;
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES || token.chars().any(char::is_control) {
        return Err(GrantRefused::Unusable(attribute.to_string()));
    }
    let expires_at = expires_in(&json)
        .map(|secs| now + secs)
        .or_else(|| jwt_expiry(token))
        .unwrap_or(now + UNKNOWN_EXPIRY_LIFETIME)
        .min(now + MAX_LIFETIME);
    let lifetime = expires_at - now;
    let margin = REFRESH_MARGIN.min(lifetime / 5);
    Ok(TokenGrant {
        token: token.to_string(),
        reuse_until: expires_at - margin,
    })
}

fn lookup<'a>(json: &'a Value, attribute: &str) -> Option<&'a Value> {
    if let Some(direct) = json.get(attribute) {
        return Some(direct);
    }
    attribute
        .split('.')
        .try_fold(json, |node, key| node.get(key))
}

/// OAuth 2's `expires_in`, as a number or a numeric string.
fn expires_in(json: &Value) -> Option<Duration> {
    let secs = match json.get("expires_in")? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0)
        .then(|| Duration::milliseconds((secs.min(1e9) * 1000.0) as i64))
}

/// The `exp` claim of a JWT (read, not verified: it only decides when to fetch a new token).
fn jwt_expiry(token: &str) -> Option<DateTime<Utc>> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    DateTime::from_timestamp(claims.get("exp")?.as_i64()?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn bodies_are_encoded_as_configured() {
        let form: BTreeMap<String, String> =
            [("Content-Type".to_string(), FORM.to_string())].into();
        let creds = json!({"username": "root", "password": "p&ss word"});
        let encoded = token_request_body(&form, Some(&creds));
        assert_eq!(
            String::from_utf8(encoded.bytes).unwrap(),
            "password=p%26ss+word&username=root"
        );
        assert_eq!(encoded.content_type, None);

        let none = BTreeMap::new();
        let encoded = token_request_body(&none, Some(&creds));
        assert_eq!(
            serde_json::from_slice::<Value>(&encoded.bytes).unwrap(),
            creds
        );
        assert_eq!(encoded.content_type, Some(JSON));

        let raw = token_request_body(&form, Some(&json!("grant_type=client_credentials")));
        assert_eq!(raw.bytes, b"grant_type=client_credentials");
        assert_eq!(token_request_body(&none, None).bytes, b"");
    }

    #[test]
    fn lifetimes_come_from_expires_in_then_jwt_then_a_default() {
        let now = at(0);
        // (answer, expected reuse_until in seconds after now)
        let jwt_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"x","exp":1700000600}"#);
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{jwt_payload}.c2ln");
        let table = [
            (json!({"access_token": "t", "expires_in": 3600}), 3600 - 60),
            (json!({"access_token": "t", "expires_in": "120"}), 120 - 24),
            (json!({"access_token": "t", "expires_in": 0}), 0),
            (json!({"access_token": jwt}), 600 - 60),
            (json!({"access_token": "t"}), 3600 - 60),
            (
                json!({"access_token": "t", "expires_in": 10_000_000}),
                86_400 - 60,
            ),
            (json!({"access_token": "t", "expires_in": -5}), 3600 - 60),
        ];
        for (answer, secs) in table {
            let grant =
                read_grant(200, answer.to_string().as_bytes(), "access_token", now).unwrap();
            assert_eq!(grant.reuse_until, at(secs), "{answer}");
            assert!(!format!("{grant:?}").contains("\"t\""));
        }
    }

    #[test]
    fn tokens_are_found_by_key_or_dotted_path() {
        let now = at(0);
        let nested = json!({"data": {"token": "abc"}}).to_string();
        assert_eq!(
            read_grant(200, nested.as_bytes(), "data.token", now)
                .unwrap()
                .token,
            "abc"
        );
        let dotted = json!({"data.token": "flat"}).to_string();
        assert_eq!(
            read_grant(200, dotted.as_bytes(), "data.token", now)
                .unwrap()
                .token,
            "flat"
        );
    }

    #[test]
    fn unusable_answers_are_refused_without_echoing_them() {
        let now = at(0);
        let table: [(u16, &[u8], GrantRefused); 5] = [
            (500, b"{}", GrantRefused::Status(500)),
            (200, b"<html>secret</html>", GrantRefused::NotJson),
            (
                200,
                br#"{"token": 5}"#,
                GrantRefused::Missing("token".into()),
            ),
            (
                200,
                br#"{"token": ""}"#,
                GrantRefused::Unusable("token".into()),
            ),
            (
                200,
                b"{\"token\": \"a\\r\\nX-Injected: 1\"}",
                GrantRefused::Unusable("token".into()),
            ),
        ];
        for (status, body, expected) in table {
            let err = read_grant(status, body, "token", now).unwrap_err();
            assert_eq!(err, expected);
            assert!(!err.to_string().contains("secret"));
        }
    }
}

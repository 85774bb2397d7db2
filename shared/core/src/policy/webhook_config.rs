//! Rules for what an endpoint may be configured with: its URL, method and custom headers.

use crate::policy::ssrf::{kind_phrase, AddressPolicy};
use std::net::IpAddr;
use url::Url;

/// Headers pagewire sets itself; a custom header may not replace them.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

const ID_PLACEHOLDER: &str = ":id";

const MAX_FIELD_VALUE_CHARS: usize = 8192;

/// Why a configured value is refused, and where: `field` is its path within what was checked (`url`,
/// `headers.X-Tenant`), so the API's message can name it as JSON shape errors do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct ConfigRefused {
    pub field: String,
    pub why: String,
}

impl ConfigRefused {
    fn new(field: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            why: why.into(),
        }
    }

    /// The same refusal for a value nested under `parent` (`auth` for the token request's URL).
    pub fn under(self, parent: &str) -> Self {
        Self {
            field: format!("{parent}.{}", self.field),
            why: self.why,
        }
    }
}

/// Checks a configured URL (which may hold `:id`) and returns it parsed with a placeholder id.
pub fn check_url(raw: &str, allow_http: bool) -> Result<Url, ConfigRefused> {
    let refuse = |why: &str| Err(ConfigRefused::new("url", why));
    // Counted in characters, as the OpenAPI spec's `maxLength` counts.
    if raw.chars().count() > 2048 {
        return refuse("is longer than 2048 characters");
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return refuse("contains whitespace or control characters");
    }
    // `:id` may stand in the path or query only: a document id must never decide where a request goes.
    let authority_end = raw.find("://").map(|i| i + 3).unwrap_or(0);
    let authority = &raw[authority_end..];
    let authority = authority.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains(ID_PLACEHOLDER) {
        return refuse(":id may only appear in the path or query");
    }
    let probe = raw.replace(ID_PLACEHOLDER, "00000000-0000-4000-8000-000000000000");
    let url = Url::parse(&probe)
        .map_err(|e| ConfigRefused::new("url", format!("is not a valid URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => return refuse("must use https"),
        _ => return refuse("must be an http or https URL"),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return refuse("has no host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("may not contain credentials");
    }
    Ok(url)
}

/// The URL a document's event is sent to: `:id` replaced by the document id.
pub fn url_for_document(
    raw: &str,
    document_id: &str,
    allow_http: bool,
) -> Result<Url, ConfigRefused> {
    let configured = check_url(raw, allow_http)?;
    let encoded: String = url::form_urlencoded::byte_serialize(document_id.as_bytes()).collect();
    let url = Url::parse(&raw.replace(ID_PLACEHOLDER, &encoded)).map_err(|e| {
        ConfigRefused::new("url", format!("is not valid after :id substitution: {e}"))
    })?;
    if url.host() != configured.host()
        || url.port_or_known_default() != configured.port_or_known_default()
    {
        return Err(ConfigRefused::new(
            "url",
            "substituting :id changed its host",
        ));
    }
    Ok(url)
}

/// Refuses a URL whose host is an address literal the policy does not allow. Host names are judged when
/// they are resolved, at delivery time (their addresses can change); a literal can be refused at once.
pub fn check_literal_host(url: &Url, policy: AddressPolicy) -> Result<(), ConfigRefused> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    match policy.refusal(ip) {
        Some(kind) => Err(ConfigRefused::new(
            "url",
            format!(
                "points to {ip}, {}; webhooks may only reach public addresses",
                kind_phrase(kind)
            ),
        )),
        None => Ok(()),
    }
}

/// Checks one custom header: the name an HTTP token, the value an RFC 9110 field value.
pub fn check_header(name: &str, value: &str) -> Result<(), ConfigRefused> {
    if !is_token(name) || name.len() > 256 {
        return Err(ConfigRefused::new(
            "headers",
            format!(
                "the name {name:?} is not a valid HTTP header name (1 to 256 letters, digits and !#$%&'*+-.^_`|~)"
            ),
        ));
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("webhook-") {
        return Err(ConfigRefused::new(
            format!("headers.{name}"),
            "is set by pagewire and cannot be configured",
        ));
    }
    check_field_value(value).map_err(|why| ConfigRefused::new(format!("headers.{name}"), why))
}

/// An HTTP token (RFC 9110 section 5.6.2), as header names and auth schemes are.
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// An RFC 9110 field value (section 5.5): visible ASCII, spaces and tabs between them, and non-ASCII
/// text (obs-text); no control character (0x00-0x1F but tab, 0x7F), none of which an HTTP client would
/// send, so every delivery would fail. `Err` says why, for the field's message.
pub fn check_field_value(value: &str) -> Result<(), &'static str> {
    // Counted in characters, as the OpenAPI spec's `maxLength` counts.
    if value.chars().count() > MAX_FIELD_VALUE_CHARS {
        return Err("the value is longer than 8192 characters");
    }
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err("the value has a control character (only visible characters, spaces and tabs are allowed)");
    }
    if value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
        return Err("the value may not begin or end with a space or tab");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_url("https://example.com/hook/:id", false).is_ok());
        assert!(check_url("https://example.com/hook?doc=:id", false).is_ok());
        assert!(check_url("http://example.com/hook", false).is_err());
        assert!(check_url("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("https://user:pw@example.com/", false).is_err());
        assert!(check_url("https://:id.example.com/", false).is_err());
        assert!(check_url("https://example.com:id/", false).is_err());
        assert!(check_url("https://exa mple.com/", false).is_err());
        assert!(check_url("not a url", false).is_err());
    }

    #[test]
    fn id_substitution_cannot_move_the_request() {
        let url = url_for_document("https://example.com/docs/:id", "abc", false).unwrap();
        assert_eq!(url.as_str(), "https://example.com/docs/abc");
        // A hostile id is percent-encoded and stays in the path.
        let url = url_for_document("https://example.com/docs/:id", "@evil.com/x", false).unwrap();
        assert_eq!(url.host_str(), Some("example.com"));
        assert_eq!(url.path(), "/docs/%40evil.com%2Fx");
        for hostile in [
            "../../x",
            "?x=1#y",
            "@127.0.0.1",
            "//127.0.0.1/",
            "a b",
            "%2e%2e",
        ] {
            let url =
                url_for_document("https://example.com/docs/:id?d=:id", hostile, false).unwrap();
            assert_eq!(url.host_str(), Some("example.com"), "{hostile}");
            assert_eq!(url.port_or_known_default(), Some(443), "{hostile}");
        }
        // Where `:id` would reach the authority, the url is refused before any id is substituted.
        for raw in [
            "https://:id/x",
            "https://:id.example.com/x",
            "https://user::id@example.com/",
            "https://example.com::id/",
        ] {
            assert!(
                url_for_document(raw, "example.org", false).is_err(),
                "{raw}"
            );
        }
    }

    #[test]
    fn literal_addresses_are_judged_by_the_policy() {
        let strict = AddressPolicy::STRICT;
        for raw in [
            "http://127.0.0.1:9000/",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            let url = check_url(raw, true).unwrap();
            let err = check_literal_host(&url, strict).unwrap_err();
            assert!(err.why.contains("address"), "{raw}: {err}");
        }
        let url = check_url("https://example.com/", false).unwrap();
        assert!(check_literal_host(&url, strict).is_ok());
        let loopback = AddressPolicy {
            allow_loopback: true,
            allow_private: false,
        };
        let local = check_url("http://127.0.0.1:9000/", true).unwrap();
        assert!(check_literal_host(&local, loopback).is_ok());
        let metadata = check_url("http://169.254.169.254/", true).unwrap();
        assert!(check_literal_host(&metadata, loopback).is_err());
    }

    #[test]
    fn headers() {
        assert!(check_header("X-Api-Key", "secret").is_ok());
        for reserved in [
            "Host",
            "content-length",
            "Webhook-Signature",
            "webhook-id",
            "webhook-anything",
        ] {
            assert!(check_header(reserved, "x").is_err(), "{reserved}");
        }
        assert!(check_header("X-Bad", "a\r\nInjected: yes").is_err());
        assert!(check_header("X-Bad", "a\nb").is_err());
        assert!(check_header("Bad Name", "x").is_err());
        assert!(check_header("", "x").is_err());
        assert!(check_header("X-\u{e9}", "x").is_err());
        for bad in [
            "a\u{1}b",
            "a\u{7f}",
            "\u{0}",
            "a\u{1b}[0m",
            " padded",
            "padded\t",
        ] {
            let refused = check_header("X-A", bad).unwrap_err().to_string();
            assert!(refused.starts_with("headers.X-A: "), "{refused}");
        }
        for good in ["a b\tc", "caf\u{e9}", "!~", "Bearer abc.def", ""] {
            assert!(check_header("X-A", good).is_ok(), "{good:?}");
        }
        assert!(check_header("X-A", &"a".repeat(8193)).is_err());
        assert!(check_header("X-A", &"\u{e9}".repeat(8192)).is_ok());
    }
}

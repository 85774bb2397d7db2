//! Webhook URL and header validation (shared/core policy/webhook_config.rs) on hostile strings.

use crate::{bounded, config};
use pagewire_core::policy::webhook_config::{check_header, check_url, url_for_document};
use proptest::prelude::*;

fn url_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just("https://"),
        Just("http://"),
        Just("HTTPS://"),
        Just("ftp://"),
        Just("file://"),
        Just("javascript:"),
        Just("//"),
        Just(""),
    ];
    let userinfo = prop_oneof![
        Just(""),
        Just("user@"),
        Just("u:p@"),
        Just(":id@"),
        Just("@")
    ];
    let host = prop_oneof![
        "[a-z0-9.-]{0,30}",
        Just("127.0.0.1".to_string()),
        Just("[::1]".to_string()),
        Just("169.254.169.254".to_string()),
        Just("0x7f.1".to_string()),
        Just(":id.example.com".to_string()),
        Just("exa%6dple.com".to_string()),
        ".{0,12}",
    ];
    let port = prop_oneof![
        Just(String::new()),
        (0u32..70_000).prop_map(|p| format!(":{p}")),
        Just(":".into())
    ];
    let rest = prop_oneof![
        "[/?#:a-z0-9%=&.]{0,40}",
        Just("/hook/:id".to_string()),
        ".{0,30}"
    ];
    (scheme, userinfo, host, port, rest).prop_map(|(s, u, h, p, r)| format!("{s}{u}{h}{p}{r}"))
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn urls_are_accepted_only_when_safe(raw in prop_oneof![url_like(), ".{0,100}"], allow_http: bool) {
        match bounded("check_url", || check_url(&raw, allow_http)) {
            Ok(url) => {
                prop_assert!(url.scheme() == "https" || (allow_http && url.scheme() == "http"));
                prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()));
                prop_assert!(url.username().is_empty() && url.password().is_none());
                // A document id, whatever it is, never moves the request to another host.
                for id in ["0b7c9a38-2f60-4c8e-9a55-7d6f0b3e8a11", "../../x", "a@b", "%2F%40evil.com", "x?y#z"] {
                    if let Ok(target) = url_for_document(&raw, id, allow_http) {
                        prop_assert_eq!(target.host(), url.host());
                        prop_assert_eq!(target.port_or_known_default(), url.port_or_known_default());
                    }
                }
            }
            Err(refused) => prop_assert!(!refused.why.is_empty() && !refused.field.is_empty()),
        }
    }

    #[test]
    fn headers_never_carry_line_breaks_or_reserved_names(name in ".{0,40}|[A-Za-z-]{1,20}", value in ".{0,60}") {
        if bounded("check_header", || check_header(&name, &value)).is_ok() {
            prop_assert!(!value.contains(['\r', '\n', '\0']));
            let lower = name.to_ascii_lowercase();
            prop_assert!(!lower.starts_with("webhook-") && lower != "host" && lower != "content-length");
        }
    }
}

//! Which addresses a webhook may connect to. Only public unicast addresses pass; the reason for a refusal
//! is named so the attempt log can say it.

use crate::settings::Settings;
use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a deployment lets webhooks (and auth-token fetches) reach beyond public addresses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Loopback only: `pagewire dev --allow-loopback-webhooks`, for a receiver on the same machine.
    pub allow_loopback: bool,
    /// Loopback and private networks (RFC 1918, CGNAT, unique-local), for a receiver on the same network.
    pub allow_private: bool,
}

impl AddressPolicy {
    /// Public unicast addresses only: what production runs with.
    pub const STRICT: AddressPolicy = AddressPolicy {
        allow_loopback: false,
        allow_private: false,
    };

    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            allow_loopback: settings.allow_loopback_webhooks,
            allow_private: settings.allow_private_webhooks,
        }
    }

    /// The kind of address `ip` is when this policy refuses it ("loopback", "link-local", ...); `None` when
    /// it may be reached. Link-local (cloud metadata at 169.254.169.254), multicast, reserved and
    /// unspecified addresses are refused whatever the policy.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let reason = blocked_reason(ip)?;
        let allowed = match reason {
            "loopback" => self.allow_loopback || self.allow_private,
            "private" | "carrier-grade NAT" => self.allow_private,
            _ => false,
        };
        (!allowed).then_some(reason)
    }
}

const V4_BLOCKED: &[(&str, &str)] = &[
    ("0.0.0.0/8", "unspecified"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),
    ("192.0.2.0/24", "reserved"),
    ("192.88.99.0/24", "reserved"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "reserved"),
    ("198.51.100.0/24", "reserved"),
    ("203.0.113.0/24", "reserved"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
];

const V6_BLOCKED: &[(&str, &str)] = &[
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("100::/64", "reserved"),
    ("2001:db8::/32", "reserved"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "reserved"),
    ("ff00::/8", "multicast"),
];

/// "a loopback address", "an unspecified address": a refusal kind as the attempt log says it.
pub fn kind_phrase(kind: &str) -> String {
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {kind} address")
}

/// Why an address is refused, or `None` when it is a public unicast address.
pub fn blocked_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => {
            // IPv4 written as IPv6 (mapped, compatible, NAT64, 6to4) is judged as the IPv4 it carries.
            if let Some(v4) = embedded_v4(v6) {
                return v4_reason(v4);
            }
            V6_BLOCKED
                .iter()
                .find(|(net, _)| parse_v6(net).contains(&v6))
                .map(|(_, why)| *why)
        }
    }
}

/// Whether the address is loopback, which `pagewire dev` may allow for local receivers.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || embedded_v4(v6).is_some_and(|v4| v4.is_loopback()),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    if ip == Ipv4Addr::BROADCAST {
        return Some("broadcast");
    }
    V4_BLOCKED
        .iter()
        .find(|(net, _)| parse_v4(net).contains(&ip))
        .map(|(_, why)| *why)
}

fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let mapped = s[..5] == [0; 5] && s[5] == 0xffff;
    let compatible = s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1);
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    if mapped || compatible || nat64 {
        return Some(tail);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

fn parse_v4(net: &str) -> Ipv4Net {
    net.parse()
        .unwrap_or_else(|_| unreachable!("static IPv4 range {net}"))
}

fn parse_v6(net: &str) -> Ipv6Net {
    net.parse()
        .unwrap_or_else(|_| unreachable!("static IPv6 range {net}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_public_addresses_with_a_reason() {
        let table = [
            ("127.0.0.1", Some("loopback")),
            ("10.0.0.1", Some("private")),
            ("172.31.255.1", Some("private")),
            ("192.168.1.1", Some("private")),
            ("169.254.169.254", Some("link-local")),
            ("100.64.0.1", Some("carrier-grade NAT")),
            ("0.0.0.0", Some("unspecified")),
            ("224.0.0.1", Some("multicast")),
            ("240.0.0.1", Some("reserved")),
            ("255.255.255.255", Some("broadcast")),
            ("::1", Some("loopback")),
            ("::", Some("unspecified")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:169.254.169.254", Some("link-local")),
            ("64:ff9b::a00:1", Some("private")),
            ("2002:7f00:1::", Some("loopback")),
            ("fd00::1", Some("private")),
            ("fe80::1", Some("link-local")),
            ("ff02::1", Some("multicast")),
            ("93.184.216.34", None),
            ("8.8.8.8", None),
            ("2606:4700:4700::1111", None),
            ("::ffff:8.8.8.8", None),
        ];
        for (ip, reason) in table {
            assert_eq!(blocked_reason(ip.parse().unwrap()), reason, "{ip}");
        }
    }

    #[test]
    fn dev_policies_open_only_what_they_name() {
        let loopback_only = AddressPolicy {
            allow_loopback: true,
            allow_private: false,
        };
        let private = AddressPolicy {
            allow_loopback: false,
            allow_private: true,
        };
        // (address, strict, loopback only, private)
        let table = [
            ("127.0.0.1", false, true, true),
            ("::1", false, true, true),
            ("::ffff:127.0.0.1", false, true, true),
            ("10.0.0.1", false, false, true),
            ("100.64.0.1", false, false, true),
            ("fd00::1", false, false, true),
            ("169.254.169.254", false, false, false),
            ("::ffff:169.254.169.254", false, false, false),
            ("0.0.0.0", false, false, false),
            ("224.0.0.1", false, false, false),
            ("93.184.216.34", true, true, true),
        ];
        for (ip, strict, loop_ok, private_ok) in table {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(
                AddressPolicy::STRICT.refusal(ip).is_none(),
                strict,
                "{ip} strict"
            );
            assert_eq!(
                loopback_only.refusal(ip).is_none(),
                loop_ok,
                "{ip} loopback"
            );
            assert_eq!(private.refusal(ip).is_none(), private_ok, "{ip} private");
        }
        assert_eq!(
            AddressPolicy::STRICT.refusal("::ffff:169.254.169.254".parse().unwrap()),
            Some("link-local")
        );
    }

    #[test]
    fn loopback_detection_sees_through_mapped_forms() {
        assert!(is_loopback("127.0.0.1".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(is_loopback("::ffff:127.0.0.2".parse().unwrap()));
        assert!(!is_loopback("10.0.0.1".parse().unwrap()));
    }
}

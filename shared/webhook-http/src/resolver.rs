//! Name resolution for webhooks: every address a host name resolves to is judged by the SSRF policy, and
//! the HTTP client connects only to the addresses that pass (it never looks the name up a second time, so
//! DNS rebinding cannot swap a vetted address for another).

use async_trait::async_trait;
use pagewire_core::policy::ssrf::{kind_phrase, AddressPolicy};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashMap;
use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Where host names get their addresses.
#[async_trait]
pub trait HostLookup: Send + Sync {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// The operating system's resolver.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemLookup;

#[async_trait]
impl HostLookup for SystemLookup {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        Ok(tokio::net::lookup_host((host, 0))
            .await?
            .map(|addr| addr.ip())
            .collect())
    }
}

/// A fixed table of names, counting lookups: for tests that need a name to resolve to a chosen address
/// (say, a public-looking name that points at loopback) without a DNS server.
#[derive(Debug, Default)]
pub struct StaticLookup {
    names: HashMap<String, Vec<IpAddr>>,
    lookups: AtomicUsize,
}

impl StaticLookup {
    pub fn new(names: impl IntoIterator<Item = (String, Vec<IpAddr>)>) -> Self {
        Self {
            names: names.into_iter().collect(),
            lookups: AtomicUsize::new(0),
        }
    }

    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl HostLookup for StaticLookup {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.names.get(host).cloned().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, format!("{host} is unknown"))
        })
    }
}

/// A name whose every address was refused; found again in the error chain to report it as a refusal.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct AddressRefused(pub(crate) String);

/// The addresses of `host` that `policy` lets through, or why there are none.
pub(crate) fn vet(
    host: &str,
    found: &[IpAddr],
    policy: AddressPolicy,
) -> Result<Vec<IpAddr>, AddressRefused> {
    let passed: Vec<IpAddr> = found
        .iter()
        .copied()
        .filter(|ip| policy.refusal(*ip).is_none())
        .collect();
    if !passed.is_empty() {
        return Ok(passed);
    }
    Err(AddressRefused(match found.first() {
        Some(ip) => {
            let kind = policy.refusal(*ip).unwrap_or("refused");
            format!("{host} resolves to {ip}, {}", kind_phrase(kind))
        }
        None => format!("{host} has no address"),
    }))
}

/// The resolver the HTTP client is built with.
pub(crate) struct VettingResolver {
    pub(crate) policy: AddressPolicy,
    pub(crate) lookup: Arc<dyn HostLookup>,
}

impl Resolve for VettingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (policy, lookup) = (self.policy, self.lookup.clone());
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found = lookup.lookup(&host).await?;
            let vetted = vet(&host, &found, policy)
                .map_err(|refused| Box::new(refused) as Box<dyn StdError + Send + Sync>)?;
            let addrs = vetted.into_iter().map(|ip| SocketAddr::new(ip, 0));
            Ok(Box::new(addrs) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|ip| ip.parse().unwrap()).collect()
    }

    #[test]
    fn only_vetted_addresses_are_handed_to_the_client() {
        let mixed = ips(&["10.0.0.1", "93.184.216.34", "127.0.0.1", "2606:4700::1111"]);
        let vetted = vet("mixed.test", &mixed, AddressPolicy::STRICT).unwrap();
        assert_eq!(vetted, ips(&["93.184.216.34", "2606:4700::1111"]));

        let internal = ips(&["127.0.0.1", "::1"]);
        let err = vet("localhost", &internal, AddressPolicy::STRICT).unwrap_err();
        assert_eq!(err.0, "localhost resolves to 127.0.0.1, a loopback address");

        let metadata = ips(&["169.254.169.254"]);
        let loopback_only = AddressPolicy {
            allow_loopback: true,
            allow_private: false,
        };
        assert!(vet("metadata.test", &metadata, loopback_only).is_err());
        assert_eq!(
            vet("localhost", &internal, loopback_only).unwrap(),
            internal
        );
        assert_eq!(
            vet("nothing.test", &[], AddressPolicy::STRICT)
                .unwrap_err()
                .0,
            "nothing.test has no address"
        );
    }

    #[tokio::test]
    async fn the_resolver_hands_out_vetted_addresses_only() {
        let lookup = Arc::new(StaticLookup::new([(
            "rebind.test".to_string(),
            ips(&["93.184.216.34", "127.0.0.1"]),
        )]));
        let resolver = VettingResolver {
            policy: AddressPolicy::STRICT,
            lookup: lookup.clone(),
        };
        let addrs: Vec<SocketAddr> = resolver
            .resolve("rebind.test".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert_eq!(addrs, vec!["93.184.216.34:0".parse().unwrap()]);
        assert_eq!(lookup.lookups(), 1);
    }
}

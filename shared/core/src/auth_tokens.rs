//! Auth tokens fetched for webhook endpoints, kept in memory for the life of the process (one Lambda cold
//! start, or one `pagewire dev`) so one fetch serves many deliveries.
//!
//! Entries are keyed by tenant and endpoint, and carry a fingerprint of the endpoint's auth settings so an
//! edited endpoint never reuses a token obtained with its old credentials. Concurrent deliveries to one
//! endpoint share a single fetch. Tokens never appear in `Debug` output.

use crate::ids::{EndpointId, TenantId};
use crate::model::EndpointAuth;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Beyond this many endpoints, idle entries are dropped (a fetch is cheap next to unbounded memory).
const MAX_ENTRIES: usize = 10_000;

/// A bearer credential. Cloned cheaply; printed as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(Arc<str>);

impl AuthToken {
    pub fn new(token: &str) -> Self {
        Self(Arc::from(token))
    }

    /// The token itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthToken(<redacted>)")
    }
}

/// Which endpoint a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenKey {
    pub tenant: TenantId,
    pub endpoint: EndpointId,
}

/// A digest of the auth settings a token was obtained with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthFingerprint([u8; 32]);

impl AuthFingerprint {
    pub fn of(auth: &EndpointAuth) -> Self {
        // Serialising a plain enum of strings and JSON values cannot fail; maps are ordered, so the text is
        // the same for the same settings.
        let text = serde_json::to_vec(auth).unwrap_or_default();
        Self(Sha256::digest(&text).into())
    }
}

/// Why no token could be fetched: a reason for the attempt log (never a token or an auth answer), and
/// whether retrying can help (an auth URL on a refused address cannot start working by itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchFailed {
    pub reason: String,
    pub permanent: bool,
}

impl FetchFailed {
    pub fn transient(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            permanent: false,
        }
    }
}

/// A token and whether this call fetched it (a 401 on a token that was just fetched is not retried).
#[derive(Debug, Clone)]
pub struct ObtainedToken {
    pub token: AuthToken,
    pub fresh: bool,
}

struct Cached {
    token: AuthToken,
    fingerprint: AuthFingerprint,
    reuse_until: DateTime<Utc>,
}

#[derive(Default)]
struct Slot {
    cached: tokio::sync::Mutex<Option<Cached>>,
    /// Counts failed fetches, so callers that queued behind a failing fetch share its error instead of
    /// each waiting for the auth server in turn.
    failures: AtomicU64,
    last_error: Mutex<Option<FetchFailed>>,
}

#[derive(Default)]
pub struct AuthTokenCache {
    slots: Mutex<HashMap<TokenKey, Arc<Slot>>>,
}

impl std::fmt::Debug for AuthTokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthTokenCache").finish_non_exhaustive()
    }
}

impl AuthTokenCache {
    fn slot(&self, key: TokenKey) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() >= MAX_ENTRIES && !slots.contains_key(&key) {
            // Keep only slots someone is using right now.
            slots.retain(|_, slot| Arc::strong_count(slot) > 1);
        }
        slots.entry(key).or_default().clone()
    }

    /// The cached token of `key` when it was obtained with the same settings and may still be reused at
    /// `now`; otherwise `fetch`es one (once for all concurrent callers) and keeps it until its
    /// `reuse_until`. A failed fetch is not cached beyond the callers that were waiting for it.
    pub async fn get_or_fetch<F, Fut>(
        &self,
        key: TokenKey,
        fingerprint: AuthFingerprint,
        now: DateTime<Utc>,
        fetch: F,
    ) -> Result<ObtainedToken, FetchFailed>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(AuthToken, DateTime<Utc>), FetchFailed>>,
    {
        let slot = self.slot(key);
        let failures_seen = slot.failures.load(Ordering::Acquire);
        let mut cached = slot.cached.lock().await;
        if let Some(entry) = cached.as_ref() {
            if entry.fingerprint == fingerprint && entry.reuse_until > now {
                return Ok(ObtainedToken {
                    token: entry.token.clone(),
                    fresh: false,
                });
            }
        }
        if slot.failures.load(Ordering::Acquire) != failures_seen {
            let last = slot.last_error.lock().unwrap_or_else(|p| p.into_inner());
            return Err(last
                .clone()
                .unwrap_or_else(|| FetchFailed::transient("fetching the token failed")));
        }
        match fetch().await {
            Ok((token, reuse_until)) => {
                *cached = Some(Cached {
                    token: token.clone(),
                    fingerprint,
                    reuse_until,
                });
                Ok(ObtainedToken { token, fresh: true })
            }
            Err(why) => {
                *cached = None;
                *slot.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(why.clone());
                slot.failures.fetch_add(1, Ordering::AcqRel);
                Err(why)
            }
        }
    }

    /// Forgets `token` after the receiver refused it (401). A newer token that replaced it stays.
    pub async fn invalidate(&self, key: TokenKey, token: &AuthToken) {
        let slot = self.slot(key);
        let mut cached = slot.cached.lock().await;
        if cached.as_ref().is_some_and(|c| &c.token == token) {
            *cached = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::future::join_all;
    use std::sync::atomic::AtomicUsize;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn key() -> TokenKey {
        TokenKey {
            tenant: TenantId::random(),
            endpoint: EndpointId::random(),
        }
    }

    fn auth(user: &str) -> EndpointAuth {
        EndpointAuth::TokenUrl {
            url: "https://auth.example.com/login".into(),
            method: crate::model::HttpMethod::Post,
            headers: Default::default(),
            body: Some(serde_json::json!({ "username": user })),
            token_attribute: "access_token".into(),
            scheme: "Bearer".into(),
        }
    }

    /// A fetch that counts its calls and hands out `tok-1`, `tok-2`, ... valid for `lifetime` seconds.
    struct Issuer {
        calls: AtomicUsize,
        lifetime: i64,
    }

    impl Issuer {
        fn new(lifetime: i64) -> Self {
            Self {
                calls: AtomicUsize::new(0),
                lifetime,
            }
        }

        async fn issue(
            &self,
            now: DateTime<Utc>,
        ) -> Result<(AuthToken, DateTime<Utc>), FetchFailed> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::task::yield_now().await;
            Ok((
                AuthToken::new(&format!("tok-{n}")),
                now + chrono::Duration::seconds(self.lifetime),
            ))
        }
    }

    #[tokio::test]
    async fn reused_until_expiry_then_fetched_again() {
        let cache = AuthTokenCache::default();
        let issuer = Issuer::new(100);
        let (k, fp) = (key(), AuthFingerprint::of(&auth("a")));
        let first = cache
            .get_or_fetch(k, fp, at(0), || issuer.issue(at(0)))
            .await
            .unwrap();
        assert!(first.fresh);
        let again = cache
            .get_or_fetch(k, fp, at(99), || issuer.issue(at(99)))
            .await
            .unwrap();
        assert_eq!((again.token.expose(), again.fresh), ("tok-1", false));
        let later = cache
            .get_or_fetch(k, fp, at(100), || issuer.issue(at(100)))
            .await
            .unwrap();
        assert_eq!((later.token.expose(), later.fresh), ("tok-2", true));
        assert_eq!(issuer.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_refused_token_is_dropped_but_not_its_successor() {
        let cache = AuthTokenCache::default();
        let issuer = Issuer::new(1000);
        let (k, fp) = (key(), AuthFingerprint::of(&auth("a")));
        let old = cache
            .get_or_fetch(k, fp, at(0), || issuer.issue(at(0)))
            .await
            .unwrap();
        cache.invalidate(k, &old.token).await;
        let new = cache
            .get_or_fetch(k, fp, at(1), || issuer.issue(at(1)))
            .await
            .unwrap();
        assert_eq!(new.token.expose(), "tok-2");
        // A late 401 for the old token leaves the new one in place.
        cache.invalidate(k, &old.token).await;
        let kept = cache
            .get_or_fetch(k, fp, at(2), || issuer.issue(at(2)))
            .await
            .unwrap();
        assert_eq!((kept.token.expose(), kept.fresh), ("tok-2", false));
    }

    #[tokio::test]
    async fn scoped_by_tenant_endpoint_and_settings() {
        let cache = AuthTokenCache::default();
        let issuer = Issuer::new(1000);
        let endpoint = EndpointId::random();
        let a = TokenKey {
            tenant: TenantId::random(),
            endpoint,
        };
        let b = TokenKey {
            tenant: TenantId::random(),
            endpoint,
        };
        let fp = AuthFingerprint::of(&auth("a"));
        let ta = cache
            .get_or_fetch(a, fp, at(0), || issuer.issue(at(0)))
            .await
            .unwrap();
        let tb = cache
            .get_or_fetch(b, fp, at(0), || issuer.issue(at(0)))
            .await
            .unwrap();
        assert_ne!(
            ta.token, tb.token,
            "another tenant never gets this tenant's token"
        );
        let edited = AuthFingerprint::of(&auth("b"));
        let te = cache
            .get_or_fetch(a, edited, at(1), || issuer.issue(at(1)))
            .await
            .unwrap();
        assert!(te.fresh, "edited credentials fetch a new token");
        assert_eq!(issuer.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch_and_one_failure() {
        let cache = AuthTokenCache::default();
        let issuer = Issuer::new(1000);
        let (k, fp) = (key(), AuthFingerprint::of(&auth("a")));
        let calls = (0..8).map(|_| cache.get_or_fetch(k, fp, at(0), || issuer.issue(at(0))));
        let tokens = join_all(calls).await;
        assert!(tokens
            .iter()
            .all(|t| t.as_ref().unwrap().token.expose() == "tok-1"));
        assert_eq!(issuer.calls.load(Ordering::SeqCst), 1);

        let failing = AtomicUsize::new(0);
        let k2 = key();
        let fail = || async {
            failing.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Err::<(AuthToken, DateTime<Utc>), _>(FetchFailed::transient(
                "the auth url answered 503",
            ))
        };
        let calls = (0..8).map(|_| cache.get_or_fetch(k2, fp, at(0), fail));
        let results = join_all(calls).await;
        assert!(results
            .iter()
            .all(|r| r.as_ref().unwrap_err().reason == "the auth url answered 503"));
        assert_eq!(failing.load(Ordering::SeqCst), 1);
        // The failure is not remembered for later callers.
        let ok = cache
            .get_or_fetch(k2, fp, at(1), || issuer.issue(at(1)))
            .await;
        assert!(ok.unwrap().fresh);
    }

    #[test]
    fn tokens_do_not_print() {
        let token = AuthToken::new("s3cr3t");
        assert!(!format!("{token:?}").contains("s3cr3t"));
    }
}

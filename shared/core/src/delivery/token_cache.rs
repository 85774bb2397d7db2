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
mod tests;

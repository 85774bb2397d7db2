//! Unit tests of `token_cache.rs`.

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

    async fn issue(&self, now: DateTime<Utc>) -> Result<(AuthToken, DateTime<Utc>), FetchFailed> {
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
        Err::<(AuthToken, DateTime<Utc>), _>(FetchFailed::transient("the auth url answered 503"))
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

//! The per-tenant token buckets of this process. On Lambda each warm instance has its own, so the limit
//! holds per instance; API Gateway's throttling is the global guard.

use crate::error::CoreError;
use crate::ids::TenantId;
use crate::policy::rate_limit::{retry_after_secs, RateLimit, TokenBucket};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// Above this many tracked tenants, buckets that have refilled completely are dropped (they carry no
/// state a fresh bucket would not have), so the map stays bounded by the tenants active right now.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<TenantId, TokenBucket>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `tenant`; refuses it with `rate_limited` (and how long to wait) when over.
    pub fn check(&self, tenant: TenantId, now: DateTime<Utc>) -> Result<(), CoreError> {
        if !self.limit.is_on() {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            let limit = self.limit;
            buckets.retain(|_, b| !b.is_full_at(&limit, now));
        }
        let bucket = buckets
            .entry(tenant)
            .or_insert_with(|| TokenBucket::full(&self.limit, now));
        bucket
            .take(&self.limit, now)
            .map_err(|wait| CoreError::RateLimited {
                retry_after_secs: retry_after_secs(wait),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    #[test]
    fn each_tenant_has_its_own_bucket() {
        let clock = ManualClock::new(Utc::now());
        let limiter = RateLimiter::new(RateLimit {
            per_second: 1,
            burst: 2,
        });
        let (a, b) = (TenantId::random(), TenantId::random());
        assert!(limiter.check(a, clock.now()).is_ok());
        assert!(limiter.check(a, clock.now()).is_ok());
        assert_eq!(
            limiter.check(a, clock.now()),
            Err(CoreError::RateLimited {
                retry_after_secs: 1
            })
        );
        assert!(limiter.check(b, clock.now()).is_ok());
        clock.advance(chrono::Duration::seconds(1));
        assert!(limiter.check(a, clock.now()).is_ok());
    }

    #[test]
    fn idle_buckets_are_pruned() {
        let clock = ManualClock::new(Utc::now());
        let limiter = RateLimiter::new(RateLimit {
            per_second: 10,
            burst: 10,
        });
        for _ in 0..=PRUNE_ABOVE {
            limiter.check(TenantId::random(), clock.now()).unwrap();
        }
        clock.advance(chrono::Duration::seconds(1));
        limiter.check(TenantId::random(), clock.now()).unwrap();
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1);
    }
}

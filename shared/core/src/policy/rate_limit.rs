//! Per-tenant request rate limit as a token bucket: a tenant may burst up to `burst` requests, then
//! `per_second` a second on average. Pure: the caller passes the time.

use chrono::{DateTime, Utc};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per second; 0 turns the limit off.
    pub per_second: u32,
    /// Requests allowed at once after a quiet spell (at least 1 when the limit is on).
    pub burst: u32,
}

impl RateLimit {
    pub const OFF: RateLimit = RateLimit {
        per_second: 0,
        burst: 0,
    };

    pub fn is_on(&self) -> bool {
        self.per_second > 0
    }

    fn capacity(&self) -> f64 {
        f64::from(self.burst.max(1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenBucket {
    tokens: f64,
    refilled_at: DateTime<Utc>,
}

impl TokenBucket {
    pub fn full(limit: &RateLimit, now: DateTime<Utc>) -> Self {
        Self {
            tokens: limit.capacity(),
            refilled_at: now,
        }
    }

    fn refill(&mut self, limit: &RateLimit, now: DateTime<Utc>) {
        // A clock that steps back refills nothing (and does not move the bucket's time back).
        if now > self.refilled_at {
            let elapsed = (now - self.refilled_at)
                .to_std()
                .unwrap_or(Duration::ZERO)
                .as_secs_f64();
            self.tokens =
                (self.tokens + elapsed * f64::from(limit.per_second)).min(limit.capacity());
            self.refilled_at = now;
        }
    }

    /// Takes one request's token; when there is none, how long until there will be one.
    pub fn take(&mut self, limit: &RateLimit, now: DateTime<Utc>) -> Result<(), Duration> {
        if !limit.is_on() {
            return Ok(());
        }
        self.refill(limit, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - self.tokens;
            Err(Duration::from_secs_f64(
                missing / f64::from(limit.per_second),
            ))
        }
    }

    /// Whether the bucket would be full at `now`: such a bucket holds no information and can be dropped.
    pub fn is_full_at(&self, limit: &RateLimit, now: DateTime<Utc>) -> bool {
        let mut probe = *self;
        probe.refill(limit, now);
        probe.tokens >= limit.capacity()
    }
}

/// `Retry-After` is whole seconds: round the wait up, and never say 0.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use chrono::Duration as Span;

    fn clock() -> ManualClock {
        ManualClock::new(
            DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .into(),
        )
    }

    #[test]
    fn bursts_then_refills_at_the_rate() {
        let clock = clock();
        let limit = RateLimit {
            per_second: 2,
            burst: 3,
        };
        let mut bucket = TokenBucket::full(&limit, clock.now());
        for _ in 0..3 {
            assert!(bucket.take(&limit, clock.now()).is_ok());
        }
        let wait = bucket.take(&limit, clock.now()).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert_eq!(retry_after_secs(wait), 1);

        clock.advance(Span::milliseconds(499));
        assert!(bucket.take(&limit, clock.now()).is_err());
        clock.advance(Span::milliseconds(1));
        assert!(bucket.take(&limit, clock.now()).is_ok());
        assert!(bucket.take(&limit, clock.now()).is_err());

        // A long quiet spell refills up to the burst, not beyond.
        clock.advance(Span::hours(1));
        assert!(bucket.is_full_at(&limit, clock.now()));
        for _ in 0..3 {
            assert!(bucket.take(&limit, clock.now()).is_ok());
        }
        assert!(bucket.take(&limit, clock.now()).is_err());
    }

    #[test]
    fn a_clock_stepping_back_refills_nothing() {
        let clock = clock();
        let limit = RateLimit {
            per_second: 1,
            burst: 1,
        };
        let mut bucket = TokenBucket::full(&limit, clock.now());
        assert!(bucket.take(&limit, clock.now()).is_ok());
        clock.advance(Span::seconds(-30));
        assert!(bucket.take(&limit, clock.now()).is_err());
        clock.advance(Span::seconds(30));
        let wait = bucket.take(&limit, clock.now()).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
    }

    #[test]
    fn off_never_limits_and_slow_rates_wait_whole_seconds() {
        let clock = clock();
        let mut bucket = TokenBucket::full(&RateLimit::OFF, clock.now());
        for _ in 0..10_000 {
            assert!(bucket.take(&RateLimit::OFF, clock.now()).is_ok());
        }
        let slow = RateLimit {
            per_second: 1,
            burst: 0,
        };
        let mut bucket = TokenBucket::full(&slow, clock.now());
        assert!(bucket.take(&slow, clock.now()).is_ok());
        assert_eq!(
            retry_after_secs(bucket.take(&slow, clock.now()).unwrap_err()),
            1
        );
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}

//! When to try a failed webhook delivery again.
//!
//! Attempts happen at 0, 5 s, 5 min, 30 min, 2 h, 5 h and 10 h after the previous one (about 17.6 h in
//! all, inside the 24 h retention), each delay jittered by up to +-20 %. A timeout or a 429 waits at
//! least 60 s; a `Retry-After` is honoured but kept within [delay, 2 x delay].

use std::time::Duration;

/// Delay before attempt `n` (index 0 is the first attempt, sent at once).
pub const SCHEDULE: [Duration; 7] = [
    Duration::from_secs(0),
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
];

/// The number of attempts a delivery gets before it is marked failed.
pub const MAX_ATTEMPTS: u32 = SCHEDULE.len() as u32;

const JITTER: f64 = 0.2;
const BUSY_RECEIVER_FLOOR: Duration = Duration::from_secs(60);

/// How an attempt failed, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedAttempt {
    /// A non-2xx answer, with its `Retry-After` when it sent one.
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    Timeout,
    /// Connection refused or reset, DNS failure, TLS failure, a redirect, a token fetch that failed.
    Transient,
    /// Nothing a retry can fix: 410 Gone, or a URL the SSRF rules refuse.
    Permanent,
}

/// The status with which a receiver says its endpoint is gone for good: no retry, and the endpoint is
/// disabled.
pub const GONE: u16 = 410;

impl FailedAttempt {
    /// Nothing a retry can fix: the one place that decides it.
    pub fn is_permanent(self) -> bool {
        matches!(
            self,
            FailedAttempt::Permanent | FailedAttempt::Status { code: GONE, .. }
        )
    }

    /// The receiver asked for its endpoint to be switched off.
    pub fn is_gone(self) -> bool {
        matches!(self, FailedAttempt::Status { code: GONE, .. })
    }
}

/// The delay before the next attempt, or `None` when no attempt is left or a retry cannot help.
///
/// `attempts_made` counts attempts including the one that just failed; `jitter` is drawn uniformly
/// from [-1, 1] by the caller (so this stays pure and testable).
pub fn next_retry_delay(
    attempts_made: u32,
    failure: FailedAttempt,
    jitter: f64,
) -> Option<Duration> {
    if failure.is_permanent() {
        return None;
    }
    let base = *SCHEDULE.get(attempts_made as usize)?;
    let factor = 1.0 + JITTER * jitter.clamp(-1.0, 1.0);
    let mut delay = base.mul_f64(factor);
    let busy = matches!(
        failure,
        FailedAttempt::Timeout | FailedAttempt::Status { code: 429, .. }
    );
    if busy {
        delay = delay.max(BUSY_RECEIVER_FLOOR);
    }
    if let FailedAttempt::Status {
        retry_after: Some(asked),
        ..
    } = failure
    {
        delay = asked.clamp(delay, delay * 2);
    }
    Some(delay)
}

/// Parses a `Retry-After` value given in seconds (the HTTP-date form is ignored: receivers rarely use it
/// and a wrong clock on their side would stretch the delay).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1;
    const M: u64 = 60;
    const H: u64 = 3600;

    fn err500() -> FailedAttempt {
        FailedAttempt::Status {
            code: 500,
            retry_after: None,
        }
    }

    #[test]
    fn whole_schedule_without_jitter() {
        let expected = [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H];
        for (made, secs) in (1u32..).zip(expected) {
            assert_eq!(
                next_retry_delay(made, err500(), 0.0),
                Some(Duration::from_secs(secs)),
                "after {made}"
            );
        }
        assert_eq!(next_retry_delay(MAX_ATTEMPTS, err500(), 0.0), None);
        let total: u64 = SCHEDULE.iter().map(|d| d.as_secs()).sum();
        assert!(total < 18 * H && total > 17 * H, "schedule spans {total} s");
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let table = [(-1.0, 4.0), (1.0, 6.0), (0.5, 5.5), (-7.0, 4.0), (7.0, 6.0)];
        for (jitter, secs) in table {
            assert_eq!(
                next_retry_delay(1, err500(), jitter),
                Some(Duration::from_secs_f64(secs)),
                "{jitter}"
            );
        }
    }

    #[test]
    fn timeouts_and_429_wait_at_least_a_minute() {
        assert_eq!(
            next_retry_delay(1, FailedAttempt::Timeout, 0.0),
            Some(Duration::from_secs(60))
        );
        let too_many = FailedAttempt::Status {
            code: 429,
            retry_after: None,
        };
        assert_eq!(
            next_retry_delay(1, too_many, -1.0),
            Some(Duration::from_secs(60))
        );
        // The floor does not shorten a longer delay.
        assert_eq!(
            next_retry_delay(2, FailedAttempt::Timeout, 0.0),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            next_retry_delay(1, FailedAttempt::Transient, 0.0),
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn retry_after_is_clamped_between_delay_and_twice_delay() {
        let with = |secs| FailedAttempt::Status {
            code: 503,
            retry_after: Some(Duration::from_secs(secs)),
        };
        // schedule delay after 2 attempts is 300 s
        assert_eq!(
            next_retry_delay(2, with(1), 0.0),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            next_retry_delay(2, with(400), 0.0),
            Some(Duration::from_secs(400))
        );
        assert_eq!(
            next_retry_delay(2, with(86_400), 0.0),
            Some(Duration::from_secs(600))
        );
        // 429 with Retry-After: floor of 60 s first, then the clamp.
        let busy = FailedAttempt::Status {
            code: 429,
            retry_after: Some(Duration::from_secs(90)),
        };
        assert_eq!(
            next_retry_delay(1, busy, 0.0),
            Some(Duration::from_secs(90))
        );
        let busy = FailedAttempt::Status {
            code: 429,
            retry_after: Some(Duration::from_secs(1000)),
        };
        assert_eq!(
            next_retry_delay(1, busy, 0.0),
            Some(Duration::from_secs(120))
        );
    }

    #[test]
    fn gone_and_refused_are_never_retried() {
        let gone = FailedAttempt::Status {
            code: 410,
            retry_after: None,
        };
        assert_eq!(next_retry_delay(1, gone, 0.0), None);
        assert_eq!(next_retry_delay(1, FailedAttempt::Permanent, 0.0), None);
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-5"), None);
    }
}

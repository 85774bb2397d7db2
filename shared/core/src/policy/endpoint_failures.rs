//! When an endpoint that keeps failing is switched off. Webhook services stop sending to a receiver that
//! has refused everything for days rather than retrying it for ever: the tenant is told (an event to its
//! other endpoints, the dashboard's banner), fixes the receiver, enables the endpoint again and recovers
//! what it missed (`POST /webhooks/{id}/recover`).
//!
//! The rule counts deliveries that failed for good (their whole retry schedule used up, or refused
//! outright), not attempts: one delivery already makes 7 attempts over about 17.6 hours, so a count of
//! attempts would mostly measure traffic. Both conditions must hold, so a busy endpoint is not disabled
//! after a short outage (the span), and a quiet one is not disabled by two failures days apart (the
//! count). Any success ends the run.

use crate::model::FailureRun;
use chrono::{DateTime, TimeDelta, Utc};

/// The numbers of the rule (`PAGEWIRE_DISABLE_AFTER_FAILURES`, `PAGEWIRE_DISABLE_AFTER_HOURS`, and the
/// `pagewire dev` flags of the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisableRule {
    /// Deliveries in a row that failed for good; 0 turns the rule off (a 410 still disables).
    pub failures: u32,
    /// How long they must have been failing, from the first of them.
    pub span: TimeDelta,
}

impl Default for DisableRule {
    /// Five days, as large webhook services give a receiver to come back (a long weekend and then some),
    /// and at least 10 deliveries, so an endpoint that rarely gets one is not judged on two or three.
    fn default() -> Self {
        Self {
            failures: 10,
            span: TimeDelta::days(5),
        }
    }
}

impl DisableRule {
    /// Whether an endpoint with this run of failures is to be switched off at `now`.
    pub fn is_met(&self, run: &FailureRun, now: DateTime<Utc>) -> bool {
        self.failures > 0 && run.failures >= self.failures && now - run.since >= self.span
    }
}

/// The run after one more delivery failed for good at `at`.
pub fn after_failure(run: Option<FailureRun>, at: DateTime<Utc>) -> FailureRun {
    match run {
        Some(run) => FailureRun {
            since: run.since.min(at),
            failures: run.failures.saturating_add(1),
        },
        None => FailureRun {
            since: at,
            failures: 1,
        },
    }
}

/// What the endpoint's stored state says when the rule switched it off.
pub fn reason(run: &FailureRun) -> String {
    format!(
        "deliveries failed for good in a row: {}, the first at {}, with no success since",
        run.failures,
        run.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::hours(hours)
    }

    fn run_of(failures: u32, since: i64) -> FailureRun {
        FailureRun {
            since: at(since),
            failures,
        }
    }

    #[test]
    fn a_run_starts_at_its_first_failure_and_counts_each() {
        let first = after_failure(None, at(0));
        assert_eq!(first, run_of(1, 0));
        let second = after_failure(Some(first), at(3));
        assert_eq!(second, run_of(2, 0));
    }

    #[test]
    fn a_failure_recorded_late_keeps_the_earliest_start() {
        // Two deliverers record out of order: the run still starts at the earlier failure.
        assert_eq!(after_failure(Some(run_of(4, 10)), at(9)), run_of(5, 9));
    }

    #[test]
    fn both_the_count_and_the_span_are_needed() {
        let rule = DisableRule::default();
        let five_days = 5 * 24;
        assert!(rule.is_met(&run_of(10, 0), at(five_days)));
        assert!(rule.is_met(&run_of(400, 0), at(five_days + 1)));
        // Many failures, but only for a day: a short outage.
        assert!(!rule.is_met(&run_of(400, 0), at(24)));
        // Days of failing, but few deliveries: not enough to judge.
        assert!(!rule.is_met(&run_of(9, 0), at(10 * 24)));
        // Just short of the span.
        assert!(!rule.is_met(&run_of(10, 0), at(five_days - 1)));
    }

    #[test]
    fn zero_failures_turns_the_rule_off() {
        let rule = DisableRule {
            failures: 0,
            span: TimeDelta::zero(),
        };
        assert!(!rule.is_met(&run_of(1_000, 0), at(1_000)));
    }

    #[test]
    fn the_reason_says_how_many_and_since_when() {
        let text = reason(&run_of(12, 0));
        assert!(text.contains("in a row: 12,"), "{text}");
        assert!(text.contains(&at(0).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
    }
}

//! The pages each tenant may preview per minute. Previews are free (no credit is charged), so this
//! budget is what keeps them from becoming free processing: a tenant may preview `pages_per_minute`
//! pages in each minute, counted from its first preview of that minute. Like the request rate limit it
//! is kept per process (on Lambda, per warm instance).

use crate::error::CoreError;
use crate::ids::TenantId;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long one window of the budget lasts.
const WINDOW: TimeDelta = TimeDelta::minutes(1);

/// Above this many tracked tenants, windows that have ended are dropped, so the map stays bounded by
/// the tenants previewing right now.
const PRUNE_ABOVE: usize = 10_000;

/// One tenant's pages in its current window. Pure: the caller passes the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageWindow {
    started_at: DateTime<Utc>,
    pages: u32,
}

impl PageWindow {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            started_at: now,
            pages: 0,
        }
    }

    fn ended_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.started_at + WINDOW || now < self.started_at
    }

    /// Whether a preview may start at `now` (some of the budget is left); when not, how many whole
    /// seconds until the window ends.
    pub fn admit(&mut self, limit: u32, now: DateTime<Utc>) -> Result<(), u64> {
        if self.ended_at(now) {
            *self = Self::new(now);
        }
        if self.pages < limit {
            Ok(())
        } else {
            let left = (self.started_at + WINDOW - now).num_milliseconds().max(0) as u64;
            Err(left.div_ceil(1000).max(1))
        }
    }

    /// Counts `pages` previewed (a preview admitted with some budget left is finished even when it
    /// has more pages than remain: the next one waits for the window to end).
    pub fn spend(&mut self, pages: u32) {
        self.pages = self.pages.saturating_add(pages);
    }
}

/// The page windows of every tenant of this process.
#[derive(Debug)]
pub struct PreviewPageBudget {
    pages_per_minute: u32,
    windows: Mutex<HashMap<TenantId, PageWindow>>,
}

impl PreviewPageBudget {
    pub fn new(pages_per_minute: u32) -> Self {
        Self {
            pages_per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses with `rate_limited` (and when to come back) a tenant whose pages this minute are spent.
    pub fn admit(&self, tenant: TenantId, now: DateTime<Utc>) -> Result<(), CoreError> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, w| !w.ended_at(now));
        }
        windows
            .entry(tenant)
            .or_insert_with(|| PageWindow::new(now))
            .admit(self.pages_per_minute, now)
            .map_err(|retry_after_secs| CoreError::RateLimited { retry_after_secs })
    }

    pub fn spend(&self, tenant: TenantId, pages: u32, now: DateTime<Utc>) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows
            .entry(tenant)
            .or_insert_with(|| PageWindow::new(now))
            .spend(pages);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_window_admits_until_its_pages_are_spent_then_says_when_it_ends() {
        let mut w = PageWindow::new(at(0));
        assert_eq!(w.admit(5, at(0)), Ok(()));
        w.spend(3);
        assert_eq!(w.admit(5, at(10)), Ok(()));
        w.spend(4); // 7 of 5: the preview that started is finished, the next waits
        assert_eq!(w.admit(5, at(20)), Err(40));
        assert_eq!(w.admit(5, at(59)), Err(1));
        assert_eq!(w.admit(5, at(60)), Ok(()), "a new window");
        w.spend(5);
        assert_eq!(w.admit(5, at(61)), Err(59));
    }

    #[test]
    fn a_clock_that_steps_back_starts_a_new_window() {
        let mut w = PageWindow::new(at(100));
        w.spend(9);
        assert!(w.admit(5, at(101)).is_err());
        assert_eq!(w.admit(5, at(50)), Ok(()));
    }

    #[test]
    fn each_tenant_has_its_own_budget() {
        let budget = PreviewPageBudget::new(2);
        let (a, b) = (TenantId::random(), TenantId::random());
        budget.admit(a, at(0)).unwrap();
        budget.spend(a, 2, at(0));
        assert!(matches!(
            budget.admit(a, at(1)),
            Err(CoreError::RateLimited {
                retry_after_secs: 59
            })
        ));
        assert!(budget.admit(b, at(1)).is_ok());
        assert!(budget.admit(a, at(61)).is_ok());
    }
}

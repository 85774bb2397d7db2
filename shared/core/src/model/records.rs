//! The rules of stored records that every adapter honours, written once: how a versioned write replaces
//! what was read, when an item has expired, and the order lists come back in. The store contract tests
//! (`tests/tests/stores`) hold the embedded and the AWS adapters to them.

use super::{Delivery, DeliveryAttempt, Document, Job, Template, Tenant, WebhookEndpoint};
use crate::error::StoreError;
use chrono::{DateTime, Utc};

/// Whether an item that expires at `expires_at` is still live at `now`: at `expires_at` it has expired.
pub fn is_live(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    expires_at > now
}

/// An item written under optimistic concurrency: it carries the version it was read at.
pub trait Versioned: Clone {
    fn version(&self) -> u64;
    fn set_version(&mut self, version: u64);

    /// This copy as an update that landed stored it: at the next version (what [`VersionedWrite`]'s
    /// `stored` holds), so the writer may go on from it without reading it back.
    fn written(mut self) -> Self {
        let next = self.version().saturating_add(1);
        self.set_version(next);
        self
    }
}

macro_rules! versioned {
    ($($item:ty),+) => {$(
        impl Versioned for $item {
            fn version(&self) -> u64 {
                self.version
            }
            fn set_version(&mut self, version: u64) {
                self.version = version;
            }
        }
    )+};
}
versioned!(Job, Document, Delivery, Template, WebhookEndpoint);

/// How an update of an item read at version `v` is written: only over a stored copy still at `v`, and
/// stored as `v + 1`, so of two writers who read the same copy exactly one wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionedWrite<T> {
    /// The version the stored copy must have.
    pub expected: u64,
    /// What to store: the item at its next version.
    pub stored: T,
}

impl<T: Versioned> VersionedWrite<T> {
    pub fn of(item: &T) -> Result<Self, StoreError> {
        let expected = item.version();
        let next = expected
            .checked_add(1)
            .ok_or_else(|| StoreError::Permanent("version overflow".to_string()))?;
        let mut stored = item.clone();
        stored.set_version(next);
        Ok(Self { expected, stored })
    }
}

/// A job's documents in the order of the upload (a ZIP batch's entries in archive order).
pub fn sort_documents(documents: &mut [Document]) {
    documents.sort_by_key(|d| (d.ordinal, d.created_at));
}

/// A job's deliveries as they were created.
pub fn sort_deliveries(deliveries: &mut [Delivery]) {
    deliveries.sort_by(|a, b| (a.created_at, &a.webhook_id).cmp(&(b.created_at, &b.webhook_id)));
}

/// An endpoint's failed deliveries newest failure first, ties by `webhook-id`, as recovery sends them.
pub fn sort_failed_deliveries(deliveries: &mut [Delivery]) {
    deliveries.sort_by(|a, b| (b.updated_at, &b.webhook_id).cmp(&(a.updated_at, &a.webhook_id)));
}

/// Where a delivery sits in the stores' index of failed deliveries by endpoint: its `updated_at` in
/// microseconds while it is `failed`, and nowhere otherwise (so the index holds only what recovery
/// looks for, and a delivery sent again leaves it).
pub fn failed_index_key(delivery: &Delivery) -> Option<i64> {
    (delivery.status == crate::model::DeliveryStatus::Failed)
        .then(|| delivery.updated_at.timestamp_micros())
}

/// A job's attempts oldest first, as a timeline reads.
pub fn sort_job_attempts(attempts: &mut [DeliveryAttempt]) {
    attempts.sort_by_key(|a| a.attempted_at);
}

/// Tenants oldest first, ties by id.
pub fn sort_tenants(tenants: &mut [Tenant]) {
    tenants.sort_by_key(|t| (t.created_at, t.id));
}

/// Templates oldest first, ties by id, so a list is stable across calls and backends.
pub fn sort_templates(templates: &mut [Template]) {
    templates.sort_by_key(|t| (t.created_at, t.id));
}

/// Endpoints oldest first, ties by id.
pub fn sort_endpoints(endpoints: &mut [WebhookEndpoint]) {
    endpoints.sort_by_key(|e| (e.created_at, e.id));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone)]
    struct Item(u64);

    impl Versioned for Item {
        fn version(&self) -> u64 {
            self.0
        }
        fn set_version(&mut self, version: u64) {
            self.0 = version;
        }
    }

    #[test]
    fn a_write_replaces_the_version_it_read() {
        let write = VersionedWrite::of(&Item(4)).unwrap();
        assert_eq!((write.expected, write.stored.0), (4, 5));
        // What a writer keeps after its update landed is what the store now holds.
        assert_eq!(Item(4).written().0, write.stored.0);
        assert!(VersionedWrite::of(&Item(u64::MAX)).is_err());
    }

    #[test]
    fn expiry_is_exclusive() {
        let t = Utc::now();
        assert!(is_live(t, t - chrono::Duration::seconds(1)));
        assert!(!is_live(t, t));
    }
}

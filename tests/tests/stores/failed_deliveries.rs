//! The index of failed deliveries by endpoint that endpoint recovery reads: only failed deliveries are in
//! it, whichever write made them failed (insert, update, or the update of a recorded attempt), a delivery
//! sent again leaves it, and a listing is scoped, newest first, bounded and leaves expired ones out.

use crate::env;
use chrono::Duration;
use integration_tests::stack::Backend;
use pagewire_core::fixtures::{attempt, delivery, job, t0};
use pagewire_core::ids::{EndpointId, TenantId};
use pagewire_core::model::{Delivery, DeliveryStatus};

fn failed_at(mut d: Delivery, minutes: i64) -> Delivery {
    d.status = DeliveryStatus::Failed;
    d.next_attempt_at = None;
    d.updated_at = t0() + Duration::minutes(minutes);
    d
}

async fn failed_deliveries_are_listed_by_endpoint_whatever_wrote_them(backend: Backend) {
    let env = env(backend).await;
    let stores = &env.storage;
    let j = job(t0(), t0() + Duration::days(1));
    let (tenant, endpoint) = (j.tenant_id, EndpointId::random());
    let to_endpoint = |id: &str| {
        let mut d = delivery(&j, id, t0(), j.expires_at);
        d.endpoint_id = endpoint;
        d
    };
    let insert = |d: Delivery| async move {
        assert!(stores.deliveries.insert_delivery(&d).await.unwrap());
        d
    };

    // Failed by an update (attempts used up), then by an insert (given up at creation).
    let a = insert(to_endpoint("msg_a")).await;
    stores
        .deliveries
        .update_delivery(&failed_at(a, 60))
        .await
        .unwrap();
    insert(failed_at(to_endpoint("msg_b"), 180)).await;
    // Failed, then sent again: it leaves the index.
    let c = insert(failed_at(to_endpoint("msg_c"), 120)).await;
    let mut reopened = c.clone();
    reopened.status = DeliveryStatus::Pending;
    reopened.round += 1;
    stores.deliveries.update_delivery(&reopened).await.unwrap();
    // Failed before `since`; succeeded; failed but expired; failed to another endpoint.
    insert(failed_at(to_endpoint("msg_f"), 30)).await;
    let mut succeeded = to_endpoint("msg_e");
    succeeded.status = DeliveryStatus::Succeeded;
    insert(succeeded).await;
    let mut expired = failed_at(to_endpoint("msg_g"), 240);
    expired.expires_at = t0() + Duration::hours(6) - Duration::seconds(1);
    insert(expired).await;
    let mut elsewhere = failed_at(to_endpoint("msg_d"), 200);
    elsewhere.endpoint_id = EndpointId::random();
    insert(elsewhere).await;
    // Failed by the update that records its last attempt.
    let h = insert(to_endpoint("msg_h")).await;
    let log = attempt(tenant, endpoint, Some(j.id), 7, t0(), j.expires_at);
    stores
        .attempts
        .record_attempt(&log, &failed_at(h, 300))
        .await
        .unwrap();

    let (since, now) = (t0() + Duration::minutes(45), t0() + Duration::hours(6));
    let list = |tenant: TenantId, limit: usize| async move {
        stores
            .deliveries
            .list_failed_deliveries(tenant, endpoint, since, now, limit)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.webhook_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(list(tenant, 10).await, ["msg_h", "msg_b", "msg_a"]);
    assert_eq!(
        list(tenant, 2).await,
        ["msg_h", "msg_b"],
        "newest first, bounded"
    );
    assert!(
        list(TenantId::random(), 10).await.is_empty(),
        "another tenant's"
    );
    let everything = stores
        .deliveries
        .list_failed_deliveries(tenant, endpoint, t0(), now, 10)
        .await
        .unwrap();
    assert_eq!(everything.len(), 4, "msg_f too once `since` is earlier");
    assert!(everything
        .iter()
        .all(|d| d.status == DeliveryStatus::Failed && d.endpoint_id == endpoint));
}

integration_tests::on_both_backends!(failed_deliveries_are_listed_by_endpoint_whatever_wrote_them,);

//! What only the embedded job store does: purge expired rows (the port contract tests, shared with the AWS
//! adapter, are in the integration suite's `stores` binary).

use crate::fixtures::{attempt, delivery, document, env, job, t0};
use chrono::Duration;
use pagewire_core::ids::{EndpointId, TenantId};
use pagewire_core::ports::{AttemptLog, DeliveryRecords, DocumentRecords, JobRecords};

fn day() -> Duration {
    Duration::days(1)
}

#[tokio::test]
async fn purge_removes_rows_expired_beyond_the_grace_with_their_job() {
    let env = env();
    let jobs = &env.backend.jobs;
    let now = t0() + Duration::days(10);
    let long_gone = now - Duration::hours(49);
    let recently = now - Duration::hours(47);

    // A job expired beyond the grace: its children go with it even if their own expiry is later.
    let old = job(t0(), long_gone);
    jobs.insert_job(&old).await.unwrap();
    jobs.insert_document(&document(&old, 0, now + day()))
        .await
        .unwrap();
    jobs.insert_delivery(&delivery(&old, "msg_old", t0(), now + day()))
        .await
        .unwrap();
    jobs.append_attempt(&attempt(
        old.tenant_id,
        EndpointId::random(),
        Some(old.id),
        1,
        t0(),
        now + day(),
    ))
    .await
    .unwrap();

    // Expired, but within the grace: kept.
    let recent = job(t0(), recently);
    jobs.insert_job(&recent).await.unwrap();
    let recent_doc = document(&recent, 0, recently);
    jobs.insert_document(&recent_doc).await.unwrap();

    // A test-event attempt (no job) expired beyond the grace, and a live one.
    let (t, e) = (TenantId::random(), EndpointId::random());
    jobs.append_attempt(&attempt(t, e, None, 1, t0(), long_gone))
        .await
        .unwrap();
    jobs.append_attempt(&attempt(t, e, None, 2, t0(), now + day()))
        .await
        .unwrap();

    assert_eq!(jobs.purge_expired(now).await.unwrap(), 5);
    assert_eq!(jobs.get_job(old.id).await.unwrap(), None);
    assert!(jobs
        .get_delivery(old.id, "msg_old")
        .await
        .unwrap()
        .is_none());
    assert!(jobs
        .list_job_attempts(old.id, t0())
        .await
        .unwrap()
        .is_empty());
    assert!(jobs.get_job(recent.id).await.unwrap().is_some());
    assert!(jobs
        .get_document(recent.id, recent_doc.id)
        .await
        .unwrap()
        .is_some());
    let left: Vec<u32> = jobs
        .list_endpoint_attempts(t, e, t0(), 10)
        .await
        .unwrap()
        .iter()
        .map(|a| a.attempt)
        .collect();
    assert_eq!(left, vec![2]);

    assert_eq!(jobs.purge_expired(now).await.unwrap(), 0);
}

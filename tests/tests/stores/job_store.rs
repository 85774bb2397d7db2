use crate::env;
use chrono::Duration;
use integration_tests::stack::Backend;
use pagewire_core::fixtures::{attempt, delivery, document, job, t0};
use pagewire_core::ids::{DocumentId, EndpointId, JobId, TenantId};
use pagewire_core::model::{DeliveryStatus, Status};
use pagewire_core::StoreError;

fn day() -> Duration {
    Duration::days(1)
}

async fn insert_job_refuses_an_existing_id(backend: Backend) {
    let env = env(backend).await;
    let jobs = &env.storage;
    let j = job(t0(), t0() + day());
    jobs.jobs.insert_job(&j).await.unwrap();
    let mut twin = j.clone();
    twin.file_name = "other.pdf".to_string();
    assert_eq!(jobs.jobs.insert_job(&twin).await, Err(StoreError::Conflict));
    assert_eq!(
        jobs.jobs.get_job(j.id).await.unwrap().unwrap().file_name,
        "invoice.pdf"
    );
    assert_eq!(jobs.jobs.get_job(JobId::random()).await.unwrap(), None);
}

async fn update_job_checks_and_bumps_the_version(backend: Backend) {
    let env = env(backend).await;
    let jobs = &env.storage;
    let j = job(t0(), t0() + day());
    jobs.jobs.insert_job(&j).await.unwrap();

    let mut first = j.clone();
    first.status = Status::ProcessingImage;
    jobs.jobs.update_job(&first).await.unwrap();
    let stored = jobs.jobs.get_job(j.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(stored.status, Status::ProcessingImage);

    // A writer that read version 0 lost the race.
    let mut stale = j.clone();
    stale.status = Status::Failed;
    assert_eq!(
        jobs.jobs.update_job(&stale).await,
        Err(StoreError::Conflict)
    );
    assert_eq!(
        jobs.jobs.get_job(j.id).await.unwrap().unwrap().status,
        Status::ProcessingImage
    );

    // The stored item carries the version the next update must present.
    let mut second = stored.clone();
    second.status = Status::Success;
    jobs.jobs.update_job(&second).await.unwrap();
    assert_eq!(jobs.jobs.get_job(j.id).await.unwrap().unwrap().version, 2);

    let missing = job(t0(), t0() + day());
    assert_eq!(
        jobs.jobs.update_job(&missing).await,
        Err(StoreError::Conflict)
    );
}

async fn update_document_and_delivery_check_the_version(backend: Backend) {
    let env = env(backend).await;
    let jobs = &env.storage;
    let j = job(t0(), t0() + day());
    let d = document(&j, 0, j.expires_at);
    assert!(jobs.documents.insert_document(&d).await.unwrap());
    let mut changed = d.clone();
    changed.pages = 3;
    jobs.documents.update_document(&changed).await.unwrap();
    assert_eq!(
        jobs.documents.update_document(&changed).await,
        Err(StoreError::Conflict)
    );
    let stored = jobs
        .documents
        .get_document(j.id, d.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.version, stored.pages), (1, 3));

    let del = delivery(&j, "msg_a", t0(), j.expires_at);
    assert!(jobs.deliveries.insert_delivery(&del).await.unwrap());
    let mut sent = del.clone();
    sent.status = DeliveryStatus::Succeeded;
    jobs.deliveries.update_delivery(&sent).await.unwrap();
    assert_eq!(
        jobs.deliveries.update_delivery(&sent).await,
        Err(StoreError::Conflict)
    );
    let stored = jobs
        .deliveries
        .get_delivery(j.id, "msg_a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.version, stored.status),
        (1, DeliveryStatus::Succeeded)
    );
    assert_eq!(
        jobs.deliveries.get_delivery(j.id, "msg_b").await.unwrap(),
        None
    );
}

async fn inserting_a_document_or_delivery_twice_keeps_the_first(backend: Backend) {
    let env = env(backend).await;
    let jobs = &env.storage;
    let j = job(t0(), t0() + day());
    let d = document(&j, 0, j.expires_at);
    assert!(jobs.documents.insert_document(&d).await.unwrap());
    let mut twin = d.clone();
    twin.file_name = "twin.pdf".to_string();
    assert!(!jobs.documents.insert_document(&twin).await.unwrap());
    assert_eq!(
        jobs.documents
            .get_document(j.id, d.id)
            .await
            .unwrap()
            .unwrap()
            .file_name,
        "invoice.pdf"
    );
    assert_eq!(
        jobs.documents
            .list_documents(j.id, t0())
            .await
            .unwrap()
            .len(),
        1
    );

    let del = delivery(&j, "msg_a", t0(), j.expires_at);
    assert!(jobs.deliveries.insert_delivery(&del).await.unwrap());
    let mut twin = del.clone();
    twin.round = 7;
    assert!(!jobs.deliveries.insert_delivery(&twin).await.unwrap());
    assert_eq!(
        jobs.deliveries
            .get_delivery(j.id, "msg_a")
            .await
            .unwrap()
            .unwrap()
            .round,
        0
    );
}

async fn lists_leave_expired_rows_out_but_get_returns_them(backend: Backend) {
    let env = env(backend).await;
    let jobs = &env.storage;
    let now = t0() + Duration::hours(5);
    let j = job(t0(), now + day());
    jobs.jobs.insert_job(&j).await.unwrap();

    // Expiring exactly now counts as expired; half a second later does not (sub-second precision).
    let expired = document(&j, 0, now);
    let live = document(&j, 1, now + Duration::milliseconds(500));
    let old = document(&j, 2, now - Duration::hours(1));
    for d in [&expired, &live, &old] {
        assert!(jobs.documents.insert_document(d).await.unwrap());
    }
    let listed: Vec<u32> = jobs
        .documents
        .list_documents(j.id, now)
        .await
        .unwrap()
        .iter()
        .map(|d| d.ordinal)
        .collect();
    assert_eq!(listed, vec![1]);
    assert!(jobs
        .documents
        .get_document(j.id, expired.id)
        .await
        .unwrap()
        .is_some());
    assert!(jobs
        .documents
        .get_document(j.id, old.id)
        .await
        .unwrap()
        .is_some());

    jobs.deliveries
        .insert_delivery(&delivery(&j, "msg_old", t0(), now - Duration::seconds(1)))
        .await
        .unwrap();
    jobs.deliveries
        .insert_delivery(&delivery(&j, "msg_live", t0(), now + Duration::seconds(1)))
        .await
        .unwrap();
    let listed: Vec<String> = jobs
        .deliveries
        .list_deliveries(j.id, now)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.webhook_id)
        .collect();
    assert_eq!(listed, vec!["msg_live".to_string()]);
    assert!(jobs
        .deliveries
        .get_delivery(j.id, "msg_old")
        .await
        .unwrap()
        .is_some());

    let (t, e) = (j.tenant_id, EndpointId::random());
    jobs.attempts
        .append_attempt(&attempt(t, e, Some(j.id), 1, t0(), now))
        .await
        .unwrap();
    jobs.attempts
        .append_attempt(&attempt(
            t,
            e,
            Some(j.id),
            2,
            t0() + Duration::minutes(1),
            now + day(),
        ))
        .await
        .unwrap();
    let listed: Vec<u32> = jobs
        .attempts
        .list_job_attempts(j.id, now)
        .await
        .unwrap()
        .iter()
        .map(|a| a.attempt)
        .collect();
    assert_eq!(listed, vec![2]);

    // An expired job itself is still returned by get; callers decide with `is_expired`.
    let gone = job(t0(), t0());
    jobs.jobs.insert_job(&gone).await.unwrap();
    assert!(jobs
        .jobs
        .get_job(gone.id)
        .await
        .unwrap()
        .unwrap()
        .is_expired(now));
}

async fn job_attempts_are_listed_oldest_first_and_only_for_that_job(backend: Backend) {
    let env = env(backend).await;
    let jobs = &env.storage;
    let j = job(t0(), t0() + day());
    let other = job(t0(), t0() + day());
    let e = EndpointId::random();
    let exp = t0() + day();
    jobs.attempts
        .append_attempt(&attempt(
            j.tenant_id,
            e,
            Some(j.id),
            2,
            t0() + Duration::seconds(9),
            exp,
        ))
        .await
        .unwrap();
    jobs.attempts
        .append_attempt(&attempt(
            j.tenant_id,
            e,
            Some(j.id),
            1,
            t0() + Duration::seconds(1),
            exp,
        ))
        .await
        .unwrap();
    jobs.attempts
        .append_attempt(&attempt(other.tenant_id, e, Some(other.id), 1, t0(), exp))
        .await
        .unwrap();
    jobs.attempts
        .append_attempt(&attempt(j.tenant_id, e, None, 1, t0(), exp))
        .await
        .unwrap();
    let listed: Vec<u32> = jobs
        .attempts
        .list_job_attempts(j.id, t0())
        .await
        .unwrap()
        .iter()
        .map(|a| a.attempt)
        .collect();
    assert_eq!(listed, vec![1, 2]);
}

async fn endpoint_attempts_are_newest_first_scoped_and_limited(backend: Backend) {
    let env = env(backend).await;
    let jobs = &env.storage;
    let (tenant, endpoint) = (TenantId::random(), EndpointId::random());
    let now = t0() + Duration::hours(1);
    let exp = now + day();
    let at = |s: i64| t0() + Duration::seconds(s);
    jobs.attempts
        .append_attempt(&attempt(tenant, endpoint, None, 1, at(10), exp))
        .await
        .unwrap();
    jobs.attempts
        .append_attempt(&attempt(
            tenant,
            endpoint,
            Some(JobId::random()),
            2,
            at(30),
            exp,
        ))
        .await
        .unwrap();
    jobs.attempts
        .append_attempt(&attempt(tenant, endpoint, None, 3, at(20), exp))
        .await
        .unwrap();
    // Same instant as #2: the later insertion counts as newer.
    jobs.attempts
        .append_attempt(&attempt(tenant, endpoint, None, 4, at(30), exp))
        .await
        .unwrap();
    // Newest of all but expired, so it neither shows nor takes a place within the limit.
    jobs.attempts
        .append_attempt(&attempt(tenant, endpoint, None, 5, at(40), now))
        .await
        .unwrap();
    // Other endpoint, other tenant with the same endpoint id.
    jobs.attempts
        .append_attempt(&attempt(tenant, EndpointId::random(), None, 6, at(50), exp))
        .await
        .unwrap();
    jobs.attempts
        .append_attempt(&attempt(TenantId::random(), endpoint, None, 7, at(50), exp))
        .await
        .unwrap();

    let numbers = |list: Vec<pagewire_core::model::DeliveryAttempt>| {
        list.iter().map(|a| a.attempt).collect::<Vec<_>>()
    };
    assert_eq!(
        numbers(
            jobs.attempts
                .list_endpoint_attempts(tenant, endpoint, now, 10)
                .await
                .unwrap()
        ),
        vec![4, 2, 3, 1]
    );
    assert_eq!(
        numbers(
            jobs.attempts
                .list_endpoint_attempts(tenant, endpoint, now, 2)
                .await
                .unwrap()
        ),
        vec![4, 2]
    );
    assert!(jobs
        .attempts
        .list_endpoint_attempts(tenant, endpoint, now, 0)
        .await
        .unwrap()
        .is_empty());
}

async fn record_attempt_logs_the_attempt_even_when_the_update_conflicts(backend: Backend) {
    let env = env(backend).await;
    let jobs = &env.storage;
    let j = job(t0(), t0() + day());
    jobs.jobs.insert_job(&j).await.unwrap();
    let del = delivery(&j, "msg_a", t0(), j.expires_at);
    assert!(jobs.deliveries.insert_delivery(&del).await.unwrap());
    let log = |n| {
        attempt(
            j.tenant_id,
            del.endpoint_id,
            Some(j.id),
            n,
            t0(),
            j.expires_at,
        )
    };

    let mut first = del.clone();
    first.round_attempts = 1;
    jobs.attempts.record_attempt(&log(1), &first).await.unwrap();
    // A second writer with the same (now stale) version: its attempt is logged, its update refused.
    let mut stale = del.clone();
    stale.status = DeliveryStatus::Succeeded;
    assert_eq!(
        jobs.attempts.record_attempt(&log(2), &stale).await,
        Err(StoreError::Conflict)
    );
    let stored = jobs
        .deliveries
        .get_delivery(j.id, "msg_a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.version, stored.round_attempts, stored.status),
        (1, 1, DeliveryStatus::Pending)
    );
    let logged: Vec<u32> = jobs
        .attempts
        .list_job_attempts(j.id, t0())
        .await
        .unwrap()
        .iter()
        .map(|a| a.attempt)
        .collect();
    assert_eq!(logged, vec![1, 2]);
}

async fn batch_reads_return_the_named_items_of_the_job(backend: Backend) {
    let env = env(backend).await;
    let jobs = &env.storage;
    let (j, other) = (job(t0(), t0() + day()), job(t0(), t0() + day()));
    let docs: Vec<_> = (0..3).map(|i| document(&j, i, j.expires_at)).collect();
    for d in &docs {
        jobs.documents.insert_document(d).await.unwrap();
    }
    let foreign = document(&other, 0, other.expires_at);
    jobs.documents.insert_document(&foreign).await.unwrap();
    for id in ["msg_a", "msg_b", "msg_c"] {
        jobs.deliveries
            .insert_delivery(&delivery(&j, id, t0(), j.expires_at))
            .await
            .unwrap();
    }

    let wanted = [docs[0].id, docs[2].id, foreign.id, DocumentId::random()];
    let mut found: Vec<_> = jobs
        .documents
        .get_documents(j.id, &wanted)
        .await
        .unwrap()
        .iter()
        .map(|d| d.ordinal)
        .collect();
    found.sort();
    assert_eq!(found, vec![0, 2], "only this job's, only those named");

    let named = [
        "msg_c".to_string(),
        "msg_a".to_string(),
        "msg_zz".to_string(),
    ];
    let mut found: Vec<_> = jobs
        .deliveries
        .get_deliveries(j.id, &named)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.webhook_id)
        .collect();
    found.sort();
    assert_eq!(found, vec!["msg_a", "msg_c"]);
    assert!(jobs
        .deliveries
        .get_deliveries(other.id, &named)
        .await
        .unwrap()
        .is_empty());
    assert!(jobs
        .documents
        .get_documents(j.id, &[])
        .await
        .unwrap()
        .is_empty());
}

integration_tests::on_both_backends!(
    record_attempt_logs_the_attempt_even_when_the_update_conflicts,
    batch_reads_return_the_named_items_of_the_job,
    insert_job_refuses_an_existing_id,
    update_job_checks_and_bumps_the_version,
    update_document_and_delivery_check_the_version,
    inserting_a_document_or_delivery_twice_keeps_the_first,
    lists_leave_expired_rows_out_but_get_returns_them,
    job_attempts_are_listed_oldest_first_and_only_for_that_job,
    endpoint_attempts_are_newest_first_scoped_and_limited,
);

use crate::env;
use chrono::Duration;
use integration_tests::stack::Backend;
use pagewire_core::fixtures::t0;
use pagewire_core::ids::TenantId;
use pagewire_core::model::{IdempotencyRecord, StoredResponse};

fn record(tenant: TenantId, key: &str, sha: &str, minutes: i64) -> IdempotencyRecord {
    IdempotencyRecord {
        tenant_id: tenant,
        key: key.to_string(),
        request_sha256: sha.to_string(),
        response: None,
        created_at: t0(),
        expires_at: t0() + Duration::minutes(minutes),
    }
}

async fn a_live_claim_wins_and_is_returned_to_later_claims(backend: Backend) {
    let env = env(backend).await;
    let jobs = &env.storage;
    let tenant = TenantId::random();
    let first = record(tenant, "retry-1", "aaa", 5);
    assert_eq!(
        jobs.idempotency
            .claim_idempotency_key(&first, t0())
            .await
            .unwrap(),
        None
    );
    let second = record(tenant, "retry-1", "bbb", 5);
    assert_eq!(
        jobs.idempotency
            .claim_idempotency_key(&second, t0() + Duration::minutes(1))
            .await
            .unwrap(),
        Some(first.clone())
    );

    // The response replaces the claim, and later claims see it.
    let done = IdempotencyRecord {
        response: Some(StoredResponse {
            status: 202,
            body: r#"{"job_id":"x"}"#.to_string(),
        }),
        expires_at: t0() + Duration::hours(24),
        ..first.clone()
    };
    jobs.idempotency
        .put_idempotency_record(&done)
        .await
        .unwrap();
    assert_eq!(
        jobs.idempotency
            .claim_idempotency_key(&second, t0() + Duration::hours(23))
            .await
            .unwrap(),
        Some(done)
    );
}

async fn keys_are_per_tenant_and_expired_or_released_ones_are_free(backend: Backend) {
    let env = env(backend).await;
    let jobs = &env.storage;
    let (a, b) = (TenantId::random(), TenantId::random());
    let claim_a = record(a, "k", "aaa", 5);
    assert_eq!(
        jobs.idempotency
            .claim_idempotency_key(&claim_a, t0())
            .await
            .unwrap(),
        None
    );
    // Another tenant's same key is another key.
    assert_eq!(
        jobs.idempotency
            .claim_idempotency_key(&record(b, "k", "bbb", 5), t0())
            .await
            .unwrap(),
        None
    );

    // Expired (expires_at <= now): the next claim takes it over.
    let later = t0() + Duration::minutes(5);
    let retake = record(a, "k", "ccc", 60);
    assert_eq!(
        jobs.idempotency
            .claim_idempotency_key(&retake, later)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        jobs.idempotency
            .claim_idempotency_key(&record(a, "k", "ddd", 60), later)
            .await
            .unwrap(),
        Some(retake)
    );

    // Released: free at once; releasing a missing key is fine.
    jobs.idempotency
        .release_idempotency_key(a, "k")
        .await
        .unwrap();
    jobs.idempotency
        .release_idempotency_key(a, "never-used")
        .await
        .unwrap();
    let fresh = record(a, "k", "eee", 60);
    assert_eq!(
        jobs.idempotency
            .claim_idempotency_key(&fresh, later)
            .await
            .unwrap(),
        None
    );
    // Tenant b's key was untouched by all of this.
    assert_eq!(
        jobs.idempotency
            .claim_idempotency_key(&record(b, "k", "zzz", 5), t0())
            .await
            .unwrap()
            .map(|r| r.request_sha256),
        Some("bbb".to_string())
    );
}

async fn concurrent_claims_of_one_key_have_one_winner(backend: Backend) {
    let env = env(backend).await;
    let tenant = TenantId::random();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let jobs = env.storage.clone();
        tasks.push(tokio::spawn(async move {
            let claim = record(tenant, "race", &format!("sha{i}"), 5);
            jobs.idempotency
                .claim_idempotency_key(&claim, t0())
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    let mut seen = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            None => winners += 1,
            Some(existing) => seen.push(existing.request_sha256),
        }
    }
    assert_eq!(winners, 1);
    seen.dedup();
    assert_eq!(seen.len(), 1, "every loser sees the one winner: {seen:?}");
}

integration_tests::on_both_backends!(
    a_live_claim_wins_and_is_returned_to_later_claims,
    keys_are_per_tenant_and_expired_or_released_ones_are_free,
    concurrent_claims_of_one_key_have_one_winner,
);

use crate::fixtures::{env, job, t0, template, tenant};
use bytes::Bytes;
use chrono::Duration;
use pagewire_core::ports::{
    CreditLedger, JobRecords, MessageSink, ObjectStore, QueueConsumer, TemplateRecords,
    TenantRecords,
};
use pagewire_core::ManualClock;
use pagewire_embedded::{EmbeddedBackend, EmbeddedError};
use std::sync::Arc;

#[tokio::test]
async fn reopening_the_directory_sees_everything() {
    let env = env();
    let acme = tenant(10, t0());
    let j = job(t0(), t0() + Duration::days(1));
    let tpl = template(acme.id, "invoices", t0());
    {
        let b = &env.backend;
        b.config.insert_tenant(&acme).await.unwrap();
        b.config.add_credits(acme.id, 5).await.unwrap();
        b.config.insert_template(&tpl).await.unwrap();
        b.jobs.insert_job(&j).await.unwrap();
        b.objects
            .put(
                "results/r.json",
                Bytes::from_static(b"{}"),
                "application/json",
            )
            .await
            .unwrap();
        b.delivery_queue
            .send("task", std::time::Duration::ZERO)
            .await
            .unwrap();
    }

    let again = env.reopen();
    assert_eq!(
        again
            .config
            .get_tenant(acme.id)
            .await
            .unwrap()
            .unwrap()
            .credits,
        15
    );
    assert_eq!(
        again.config.get_template(acme.id, tpl.id).await.unwrap(),
        Some(tpl)
    );
    assert_eq!(again.jobs.get_job(j.id).await.unwrap(), Some(j));
    assert_eq!(
        again.objects.get("results/r.json").await.unwrap(),
        Some(Bytes::from_static(b"{}"))
    );
    assert_eq!(again.delivery_queue.depth().await.unwrap(), 1);
    let got = again
        .delivery_queue
        .receive(1, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(got[0].body, "task");

    // The first backend and the reopened one share the file: a write through one is read by the other.
    env.backend
        .delivery_queue
        .delete(&got[0].receipt_handle)
        .await
        .unwrap();
    assert_eq!(again.delivery_queue.depth().await.unwrap(), 0);
}

#[tokio::test]
async fn open_creates_the_layout_and_reports_failures() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    let clock = Arc::new(ManualClock::new(t0()));
    EmbeddedBackend::open(&data, clock.clone()).unwrap();
    assert!(data.join("pagewire.sqlite3").is_file());
    assert!(data.join("objects").is_dir());

    // A file where the data directory should be.
    let blocked = dir.path().join("file");
    std::fs::write(&blocked, b"x").unwrap();
    assert!(matches!(
        EmbeddedBackend::open(&blocked, clock),
        Err(EmbeddedError::Io { .. })
    ));
}

use crate::fixtures::{env, t0};
use aws_lambda_events::event::s3::S3Event;
use bytes::Bytes;
use pagewire_core::ports::{ObjectStore, QueueConsumer};
use pagewire_core::StoreError;
use std::time::Duration;

const VT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn objects_round_trip_and_missing_ones_are_absent() {
    let env = env();
    let objects = &env.backend.objects;
    objects
        .put(
            "results/a/b.json",
            Bytes::from_static(b"one"),
            "application/json",
        )
        .await
        .unwrap();
    assert_eq!(
        objects.get("results/a/b.json").await.unwrap(),
        Some(Bytes::from_static(b"one"))
    );
    assert!(env.dir.path().join("objects/results/a/b.json").is_file());

    objects
        .put(
            "results/a/b.json",
            Bytes::from_static(b"two"),
            "application/json",
        )
        .await
        .unwrap();
    assert_eq!(
        objects.get("results/a/b.json").await.unwrap(),
        Some(Bytes::from_static(b"two"))
    );
    // The temporary file of the atomic write is gone.
    let left: Vec<_> = std::fs::read_dir(env.dir.path().join("objects/results/a"))
        .unwrap()
        .collect();
    assert_eq!(left.len(), 1);

    objects.delete("results/a/b.json").await.unwrap();
    assert_eq!(objects.get("results/a/b.json").await.unwrap(), None);
    objects.delete("results/a/b.json").await.unwrap();
    // A "directory" is not an object.
    assert_eq!(objects.get("results/a").await.unwrap(), None);
    assert_eq!(objects.get("results/a/b.json/c").await.unwrap(), None);
}

#[tokio::test]
async fn unsafe_keys_are_refused_before_touching_the_filesystem() {
    let env = env();
    let objects = &env.backend.objects;
    for key in ["../x", "a//b", "uploads/a b", "/etc/passwd", "a/./b", ""] {
        let put = objects
            .put(key, Bytes::from_static(b"x"), "text/plain")
            .await;
        assert!(
            matches!(put, Err(StoreError::Permanent(_))),
            "put {key:?}: {put:?}"
        );
        assert!(
            matches!(objects.get(key).await, Err(StoreError::Permanent(_))),
            "get {key:?}"
        );
        assert!(
            matches!(objects.delete(key).await, Err(StoreError::Permanent(_))),
            "delete {key:?}"
        );
    }
    assert!(!env.dir.path().join("x").exists());
    assert_eq!(env.backend.process_queue.depth().await.unwrap(), 0);
}

#[tokio::test]
async fn a_write_under_uploads_notifies_the_process_queue_once() {
    let env = env();
    let key =
        "uploads/6a0f3c2e-8d1b-4f5a-9e7c-2b4d1a3f5c70/0b9e4c1a-7d2f-4e3b-8a6c-5f1d2e3c4b5a/source";
    env.backend
        .objects
        .put(key, Bytes::from_static(b"%PDF-1.7"), "application/pdf")
        .await
        .unwrap();

    let messages = env.backend.process_queue.receive(10, VT).await.unwrap();
    assert_eq!(messages.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&messages[0].body).unwrap();
    assert_eq!(body["Records"][0]["s3"]["object"]["key"], key);
    assert_eq!(body["Records"][0]["s3"]["object"]["size"], 8);
    assert_eq!(body["Records"][0]["eventTime"], "2025-01-01T00:00:00.000Z");

    // The Lambda handlers' parser accepts it.
    let event: S3Event = serde_json::from_str(&messages[0].body).unwrap();
    assert_eq!(event.records[0].s3.object.key.as_deref(), Some(key));
    assert_eq!(event.records[0].event_time, t0());
    assert_eq!(
        event.records[0].event_name.as_deref(),
        Some("ObjectCreated:Put")
    );
}

#[tokio::test]
async fn only_uploads_and_documents_trigger_processing() {
    let env = env();
    let objects = &env.backend.objects;
    objects
        .put("documents/j/d", Bytes::from_static(b"a"), "application/pdf")
        .await
        .unwrap();
    objects
        .put("results/j/d", Bytes::from_static(b"b"), "application/json")
        .await
        .unwrap();
    objects
        .put("uploadsx/j", Bytes::from_static(b"c"), "application/pdf")
        .await
        .unwrap();
    objects
        .put(
            "uploads/j/source",
            Bytes::from_static(b"d"),
            "application/pdf",
        )
        .await
        .unwrap();

    let messages = env.backend.process_queue.receive(10, VT).await.unwrap();
    let keys: Vec<String> = messages
        .iter()
        .map(|m| serde_json::from_str::<serde_json::Value>(&m.body).unwrap())
        .map(|v| {
            v["Records"][0]["s3"]["object"]["key"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys, vec!["documents/j/d", "uploads/j/source"]);

    // Sequencers grow with each notification, as S3's do per key.
    let seq = |i: usize| {
        let v: serde_json::Value = serde_json::from_str(&messages[i].body).unwrap();
        u64::from_str_radix(
            v["Records"][0]["s3"]["object"]["sequencer"]
                .as_str()
                .unwrap(),
            16,
        )
        .unwrap()
    };
    assert!(seq(1) > seq(0));
    assert_eq!(env.backend.delivery_queue.depth().await.unwrap(), 0);
}

#[tokio::test]
async fn delete_many_removes_every_key_and_checks_them_all_first() {
    let env = env();
    let objects = &env.backend.objects;
    for key in ["results/x/1", "results/x/2", "results/x/3"] {
        objects
            .put(key, Bytes::from_static(b"x"), "text/plain")
            .await
            .unwrap();
    }
    let keys = ["results/x/1", "results/x/3", "results/x/absent"].map(String::from);
    objects.delete_many(&keys).await.unwrap();
    assert_eq!(objects.get("results/x/1").await.unwrap(), None);
    assert_eq!(objects.get("results/x/3").await.unwrap(), None);
    assert!(objects.get("results/x/2").await.unwrap().is_some());

    // One bad key refuses the whole call before anything is deleted.
    let keys = ["results/x/2", "../escape"].map(String::from);
    assert!(matches!(
        objects.delete_many(&keys).await,
        Err(StoreError::Permanent(_))
    ));
    assert!(objects.get("results/x/2").await.unwrap().is_some());
}

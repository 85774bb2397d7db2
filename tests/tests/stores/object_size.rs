//! `ObjectStore::size`: what processing reads before it reads an uploaded file (S3's HeadObject, a file's
//! metadata embedded).

use crate::env;
use bytes::Bytes;
use integration_tests::stack::Backend;

async fn size_reads_an_object_without_its_body(backend: Backend) {
    let s = env(backend).await;
    let key = "results/size-probe";
    assert_eq!(s.objects.size(key).await.unwrap(), None, "absent");
    s.objects
        .put(
            key,
            Bytes::from(vec![7u8; 12_345]),
            "application/octet-stream",
        )
        .await
        .unwrap();
    assert_eq!(s.objects.size(key).await.unwrap(), Some(12_345));
    s.objects
        .put(key, Bytes::new(), "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(
        s.objects.size(key).await.unwrap(),
        Some(0),
        "empty is not absent"
    );
    s.objects.delete(key).await.unwrap();
    assert_eq!(s.objects.size(key).await.unwrap(), None, "deleted");
}

integration_tests::on_both_backends!(size_reads_an_object_without_its_body);

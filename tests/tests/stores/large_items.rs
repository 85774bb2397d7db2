//! A document whose result is larger than a DynamoDB item may be (400 KB) is stored and read back whole;
//! the AWS adapter keeps such bodies in the bucket with a pointer in the item.

use crate::env;
use chrono::Duration;
use integration_tests::stack::Backend;
use pagewire_core::fixtures::{document, job, t0};
use pagewire_core::model::ExtractedField;

async fn a_result_larger_than_an_item_round_trips(backend: Backend) {
    let env = env(backend).await;
    let j = job(t0(), t0() + Duration::days(1));
    env.jobs.insert_job(&j).await.unwrap();
    let mut d = document(&j, 0, t0() + Duration::days(1));
    env.documents.insert_document(&d).await.unwrap();
    let long_text: String = "line item with a description; ".repeat(20_000);
    assert!(long_text.len() > 500 * 1024);
    d.fields = Some(vec![ExtractedField {
        name: "notes".to_string(),
        value: serde_json::Value::String(long_text.clone()),
        raw: None,
        page: Some(1),
        confidence: Some(1.0),
        bbox: None,
        warnings: vec![],
    }]);
    env.documents.update_document(&d).await.unwrap();
    let stored = env
        .documents
        .get_document(j.id, d.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(stored.fields.as_ref().unwrap()[0].value, long_text.as_str());
    let listed = env.documents.list_documents(j.id, t0()).await.unwrap();
    assert_eq!(listed, vec![stored.clone()]);

    // Still conditional: a writer holding the old version loses.
    assert!(env.documents.update_document(&d).await.is_err());
    let mut next = stored;
    next.pages = 3;
    env.documents.update_document(&next).await.unwrap();
    assert_eq!(
        env.documents
            .get_document(j.id, d.id)
            .await
            .unwrap()
            .unwrap()
            .pages,
        3
    );
}

integration_tests::on_both_backends!(a_result_larger_than_an_item_round_trips);

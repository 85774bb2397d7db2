//! Building and reading DynamoDB items: keys, attribute values, JSON bodies, paginated queries.

use crate::error::{service_code, store_error, SdkResult};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use pagewire_core::StoreError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) const PK: &str = "pk";
pub(crate) const SK: &str = "sk";
pub(crate) const BODY: &str = "body";
pub(crate) const VERSION: &str = "version";
pub(crate) const EXPIRES_AT: &str = "expires_at";

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
}

/// Epoch seconds, the unit DynamoDB's TTL reads.
pub(crate) fn epoch(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

pub(crate) fn string_attr<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(corrupt(item, name)),
    }
}

pub(crate) fn number_attr<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value.parse().map_err(|_| corrupt(item, name)),
        _ => Err(corrupt(item, name)),
    }
}

fn corrupt(item: &Item, name: &str) -> StoreError {
    let sk = match item.get(SK) {
        Some(AttributeValue::S(sk)) => sk.as_str(),
        _ => "?",
    };
    StoreError::Permanent(format!(
        "item {sk}: attribute {name} missing or of the wrong type"
    ))
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Permanent(format!("encoding item: {e}")))
}

pub(crate) fn decode<T: DeserializeOwned>(body: &str) -> Result<T, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Permanent(format!("decoding item: {e}")))
}

/// Whether a failed write failed only its condition (the item exists, or holds another version).
pub(crate) fn is_condition_failure<E>(err: &SdkResult<E>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    service_code(err) == Some("ConditionalCheckFailedException")
}

/// Maps a conditional write's error: a failed condition becomes `Conflict`, the rest as usual.
pub(crate) fn conditional<E>(operation: &str, err: SdkResult<E>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if is_condition_failure(&err) {
        StoreError::Conflict
    } else {
        store_error(operation, err)
    }
}

/// Every item of a partition whose sort key starts with `prefix`, in sort-key order (or reversed),
/// strongly consistent, following pagination. `stop` ends early once it returns true for the items so far.
pub(crate) async fn query_partition(
    client: &Client,
    table: &str,
    pk: &str,
    prefix: &str,
    ascending: bool,
    mut stop: impl FnMut(&[Item]) -> bool,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let page = client
            .query()
            .table_name(table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true)
            .scan_index_forward(ascending)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| store_error("Query", e))?;
        items.extend(page.items.unwrap_or_default());
        if stop(&items) {
            return Ok(items);
        }
        match page.last_evaluated_key {
            Some(next) if !next.is_empty() => start = Some(next),
            _ => return Ok(items),
        }
    }
}

//! DynamoDB adapters. Both tables use a string partition key `pk` and sort key `sk`; entities are stored
//! as a JSON `body` beside the few attributes that conditions, TTL and queries need (`version`,
//! `expires_at`, `credits`), and, on a failed delivery, the keys of the `jobs` table's one index
//! (`failed_endpoint`, `failed_us`). See `infra/template.yaml` for the tables' keys, index and TTL.

pub(crate) mod config_store;
mod item;
pub(crate) mod job_store;

//! Pure policies: no I/O, no clock reads, each with table-driven tests.

pub mod amounts;
pub mod api_key;
pub mod auth_token;
pub mod dates;
pub mod endpoint_failures;
pub mod extraction;
pub mod file_kind;
pub mod found;
pub mod idempotency;
pub mod labels;
pub mod layout;
pub mod matching;
pub mod normalise;
pub mod patterns;
pub mod rate_limit;
pub mod retry;
pub mod signature;
pub mod spreadsheet_cell;
pub mod ssrf;
pub mod tables;
pub mod text_limits;
pub mod upload_token;
pub mod webhook_config;

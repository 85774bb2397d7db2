//! Pure policies: no I/O, no clock reads, each with table-driven tests.

pub mod api_key;
pub mod auth_token;
pub mod extraction;
pub mod file_kind;
pub mod idempotency;
pub mod layout;
pub mod normalise;
pub mod rate_limit;
pub mod retry;
pub mod signature;
pub mod ssrf;
pub mod upload_token;
pub mod webhook_config;

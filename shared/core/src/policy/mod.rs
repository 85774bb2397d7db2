//! Pure policies: no I/O, no clock reads, each with table-driven tests.

pub mod api_key;
pub mod extraction;
pub mod layout;
pub mod normalise;
pub mod retry;
pub mod signature;
pub mod ssrf;
pub mod webhook_config;

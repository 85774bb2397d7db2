//! One module per capability. Each function is one use case: handlers call exactly one of them.

pub mod auth;
pub mod deliver;
pub mod endpoints;
mod idempotent;
pub mod jobs;
pub mod keys;
pub mod payload;
pub mod process;
pub mod send;
pub mod submit;
pub mod templates;
pub mod tenants;
mod update;
pub mod uploads;

//! What every pagewire Lambda shares: configuration from the environment, tracing, the HTTP side of
//! errors and requests, routing, the SQS partial-batch helper, the webhook HTTP client, and the wiring of
//! adapters into [`pagewire_core::Services`].

pub mod config;
pub mod http;
pub mod read_worker;
pub mod routes;
pub mod sqs;
pub mod telemetry;
pub mod transport;
mod unwired;
pub mod wiring;

pub use config::Config;

//! What every pagewire Lambda shares: configuration from the environment, tracing, the HTTP side of
//! errors and requests, routing, the SQS partial-batch helper, and the wiring of adapters (the webhook HTTP
//! client of `pagewire-webhook-http` among them) into each capability's ports ([`wiring::Adapters`]).

pub mod config;
pub mod file_field;
pub mod http;
pub mod json_input;
pub mod read_worker;
pub mod routes;
pub mod sqs;
pub mod telemetry;
pub mod wiring;

pub use config::Config;

//! The `pagewire` binary's pieces, as a library so the integration tests can start the same stack.

pub mod backend;
pub mod consumer;
pub mod dev;
pub mod functions;
pub mod http_front;
pub mod local_upload;
pub mod ocr_models;
pub mod ocr_runtime;
pub mod pump;
pub mod server;
pub mod static_files;
pub mod supervise;
pub mod tenant;

pub use dev::{DevOptions, DevStack};

//! The AWS adapters of pagewire's ports: DynamoDB for jobs and configuration, S3 for objects, SQS for
//! queues. All SDK types and SDK error mapping stay inside this crate; the ports speak domain types only.
//!
//! The endpoint comes from the standard `AWS_ENDPOINT_URL` variables (there is no emulator branch), and S3
//! switches to path-style addressing whenever an endpoint override is set.

mod clients;
mod dynamo;
mod error;
mod s3;
mod sqs;

pub use clients::AwsClients;
pub use dynamo::config_store::{DynamoConfigStore, CHARGE_MARKER_DAYS};
pub use dynamo::job_store::{DynamoJobStore, FAILED_BY_ENDPOINT_INDEX};
pub use s3::{S3ObjectStore, S3UploadUrls};
pub use sqs::SqsQueue;

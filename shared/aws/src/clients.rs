//! The SDK clients, built once per process (a Lambda cold start) and shared by every adapter.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::Builder;

#[derive(Clone, Debug)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl AwsClients {
    /// Region, credentials and endpoint from the standard AWS sources (environment, profile, the Lambda
    /// role). TLS is rustls on ring, the same stack the webhook client uses, so no second crypto library.
    pub async fn from_env() -> Self {
        let http = Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .load()
            .await;
        Self::from_config(&shared)
    }

    pub fn from_config(shared: &SdkConfig) -> Self {
        // Virtual-hosted bucket names need DNS for every bucket; an endpoint override (an emulator, a VPC
        // endpoint by IP) can only serve path-style requests.
        let path_style = shared.endpoint_url().is_some();
        let s3_config = aws_sdk_s3::config::Builder::from(shared)
            .force_path_style(path_style)
            .build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(shared),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sqs: aws_sdk_sqs::Client::new(shared),
        }
    }
}

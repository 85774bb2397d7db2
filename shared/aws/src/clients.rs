//! The SDK clients, built once per process (a Lambda cold start) and shared by every adapter.

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::Builder;

/// DynamoDB and S3 serve every function; an SQS client is built on demand ([`AwsClients::sqs`]), so a
/// function that never touches a queue does not link the SQS client.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    shared: SdkConfig,
}

impl AwsClients {
    /// Region, credentials and endpoint from every standard AWS source (environment, shared profile files,
    /// SSO, web identity through STS, container and instance metadata): what the CLI needs on an
    /// operator's machine.
    pub async fn from_env() -> Self {
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .http_client(https_client())
            .load()
            .await;
        Self::from_config(&shared)
    }

    /// Region, credentials and endpoint from the environment variables alone, which is where Lambda puts
    /// the execution role's credentials. The functions use this rather than [`AwsClients::from_env`]:
    /// the full provider chain links an STS client and the profile, SSO and metadata providers, which
    /// a function never uses and which would be part of every binary.
    pub fn from_lambda_environment() -> Self {
        let region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .into_iter()
            .find_map(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
            .map(Region::new);
        let mut shared = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(region)
            .credentials_provider(SharedCredentialsProvider::new(
                EnvironmentVariableCredentialsProvider::new(),
            ))
            .http_client(https_client());
        if let Some(endpoint) = std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|v| !v.is_empty())
        {
            shared = shared.endpoint_url(endpoint);
        }
        Self::from_config(&shared.build())
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
            shared: shared.clone(),
        }
    }

    /// An SQS client on the same configuration and HTTP connection pool.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.shared)
    }
}

/// TLS is rustls on ring, the same stack the webhook client uses, so there is no second crypto library.
fn https_client() -> aws_sdk_sqs::config::SharedHttpClient {
    Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

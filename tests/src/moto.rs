//! Per-test AWS resources in the emulator the test script starts (`AWS_ENDPOINT_URL`): two tables with TTL,
//! a bucket that notifies the process queue of new objects under `uploads/` and `documents/`, and the two
//! queues with dead-letter queues. Names carry a random suffix so tests run side by side.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;
use pagewire_aws::AwsClients;
use pagewire_lambda_kit::config::AwsResources;

/// Receives before SQS moves a message to the dead-letter queue; the same as the embedded backend's.
pub const PROCESS_MAX_RECEIVES: u32 = 5;
pub const DELIVERY_MAX_RECEIVES: u32 = 8;

#[derive(Debug, Clone)]
pub struct AwsTestResources {
    pub resources: AwsResources,
    pub process_queue_url: String,
    pub process_dlq_url: String,
    pub delivery_dlq_url: String,
}

/// The emulator's address. The emulator-backed tests are part of the suite: without it they fail, they
/// are never skipped.
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!(
            "AWS_ENDPOINT_URL is not set: the AWS-backend tests need the moto emulator. Run the suite with \
             scripts/test.sh, which starts it."
        )
    })
}

pub async fn clients() -> AwsClients {
    endpoint();
    AwsClients::from_env().await
}

impl AwsTestResources {
    pub async fn create() -> Self {
        let aws = clients().await;
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..12];
        let jobs_table = format!("pagewire-jobs-{suffix}");
        let config_table = format!("pagewire-config-{suffix}");
        let bucket = format!("pagewire-{suffix}");
        create_table(&aws, &jobs_table, true).await;
        create_table(&aws, &config_table, false).await;
        let (process_queue_url, process_dlq_url) = queue_with_dlq(
            &aws,
            &format!("pagewire-process-{suffix}"),
            PROCESS_MAX_RECEIVES,
            900,
        )
        .await;
        let (delivery_queue_url, delivery_dlq_url) = queue_with_dlq(
            &aws,
            &format!("pagewire-delivery-{suffix}"),
            DELIVERY_MAX_RECEIVES,
            300,
        )
        .await;
        let process_arn = queue_arn(&aws, &process_queue_url).await;
        aws.s3
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("create bucket");
        let notify = |prefix: &str| {
            QueueConfiguration::builder()
                .queue_arn(&process_arn)
                .events(Event::S3ObjectCreated)
                .filter(
                    NotificationConfigurationFilter::builder()
                        .key(
                            S3KeyFilter::builder()
                                .filter_rules(
                                    FilterRule::builder()
                                        .name(FilterRuleName::Prefix)
                                        .value(prefix)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
                .expect("queue configuration")
        };
        aws.s3
            .put_bucket_notification_configuration()
            .bucket(&bucket)
            .notification_configuration(
                NotificationConfiguration::builder()
                    .queue_configurations(notify("uploads/"))
                    .queue_configurations(notify("documents/"))
                    .build(),
            )
            .send()
            .await
            .expect("bucket notification");
        Self {
            resources: AwsResources {
                jobs_table: Some(jobs_table),
                config_table: Some(config_table),
                bucket: Some(bucket),
                delivery_queue_url: Some(delivery_queue_url),
            },
            process_queue_url,
            process_dlq_url,
            delivery_dlq_url,
        }
    }
}

async fn create_table(aws: &AwsClients, name: &str, ttl: bool) {
    let attribute = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute")
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .expect("key")
    };
    aws.dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .send()
        .await
        .expect("create table");
    if ttl {
        aws.dynamodb
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name("expires_at")
                    .build()
                    .expect("ttl"),
            )
            .send()
            .await
            .expect("enable TTL");
    }
}

/// A queue whose messages move to its own dead-letter queue after `max_receives` receives.
async fn queue_with_dlq(
    aws: &AwsClients,
    name: &str,
    max_receives: u32,
    visibility_secs: u32,
) -> (String, String) {
    let dlq_url = aws
        .sqs
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .expect("create DLQ")
        .queue_url
        .expect("DLQ url");
    let redrive = serde_json::json!({
        "deadLetterTargetArn": queue_arn(aws, &dlq_url).await,
        "maxReceiveCount": max_receives,
    });
    let url = aws
        .sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            visibility_secs.to_string(),
        )
        .attributes(QueueAttributeName::MessageRetentionPeriod, "345600")
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url");
    (url, dlq_url)
}

pub async fn queue_arn(aws: &AwsClients, url: &str) -> String {
    aws.sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .expect("queue ARN")
}

/// Bodies of the messages waiting in a queue (received with a zero visibility timeout, so they stay).
pub async fn peek(aws: &AwsClients, url: &str) -> Vec<String> {
    aws.sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.body)
        .collect()
}

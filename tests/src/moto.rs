//! Per-test AWS resources in the emulator the test script starts (`AWS_ENDPOINT_URL`): the queues, tables
//! and bucket of infra/template.yaml, created from the template itself (`crate::template`), named with a
//! random stage so tests run side by side. What the tests need to know about them (which queue feeds
//! which function, where dead letters go, after how many receives) is read from the template too.

use crate::template::{StackPlan, Target, Template};
use aws_sdk_sqs::types::QueueAttributeName;
use pagewire_aws::AwsClients;
use pagewire_lambda_kit::config::{AwsResources, Config};
use std::collections::BTreeMap;

/// The account moto answers for when none is configured.
pub const EMULATOR_ACCOUNT: &str = "123456789012";

#[derive(Debug, Clone)]
pub struct AwsTestResources {
    pub plan: StackPlan,
    /// The functions' environment variables the template sets with a `!Ref` (the resources, and parameters
    /// at their defaults), resolved.
    pub environment: BTreeMap<String, String>,
    /// The same, as `Config::from_env` reads it.
    pub resources: AwsResources,
    pub process_queue_url: String,
    pub process_dlq_url: String,
    pub delivery_dlq_url: String,
    /// Receives before SQS moves a message to the dead-letter queue (the redrive policies).
    pub process_max_receives: u32,
    pub delivery_max_receives: u32,
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

/// Where the emulator's resources live: its endpoint, the region of the SDK environment, moto's account.
pub fn target() -> Target {
    Target {
        endpoint: endpoint(),
        region: std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_string()),
        account: EMULATOR_ACCOUNT.to_string(),
    }
}

impl AwsTestResources {
    pub async fn create() -> Self {
        let aws = clients().await;
        let template = Template::load();
        // `Stage` names the bucket, and the stack name prefixes the queues and tables: 10 characters at
        // most, a lowercase letter first (the parameter's AllowedPattern).
        let stage = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..9]);
        let plan = StackPlan::new(&template, &stage, &target()).unwrap_or_else(|e| panic!("{e}"));
        plan.create(&aws).await;
        Self::describe(&template, plan)
    }

    /// The functions' view of a created stack, from the template's wiring.
    fn describe(template: &Template, plan: StackPlan) -> Self {
        // The variables of the functions' environment that name a resource of the stack.
        let variables = template
            .root()
            .get("Globals")
            .get("Function")
            .get("Environment")
            .get("Variables");
        let environment: BTreeMap<String, String> = variables
            .entries()
            .into_iter()
            .filter_map(|(key, value)| {
                let resource = plan.names.reference(value.ref_target()?).ok()?;
                Some((key.to_string(), resource.to_string()))
            })
            .collect();
        let config = Config::from_lookup(|key| environment.get(key).cloned())
            .expect("the template's resource variables are a valid configuration");

        let consumed = |binary: &str| {
            let (function, _) = template.function_by_binary(binary);
            let queue = template.consumed_queue(function);
            let dead_letters = template
                .resource(queue)
                .get("Properties")
                .get("RedrivePolicy")
                .get("deadLetterTargetArn")
                .getatt_target()
                .unwrap_or_else(|| panic!("{queue} has no dead-letter queue"));
            let max_receives = plan
                .queue(queue)
                .redrive_policy
                .as_ref()
                .map(|r| r.max_receive_count.0 as u32)
                .unwrap_or_else(|| panic!("{queue} has no redrive policy"));
            (
                plan.reference(queue).to_string(),
                plan.reference(dead_letters).to_string(),
                max_receives,
            )
        };
        let (process_queue_url, process_dlq_url, process_max_receives) =
            consumed("process-document");
        let (delivery_queue_url, delivery_dlq_url, delivery_max_receives) =
            consumed("deliver-webhook");
        assert_eq!(
            config.resources.delivery_queue_url.as_deref(),
            Some(delivery_queue_url.as_str()),
            "the functions enqueue deliveries on the queue deliver-webhook consumes"
        );
        Self {
            environment,
            resources: config.resources,
            plan,
            process_queue_url,
            process_dlq_url,
            delivery_dlq_url,
            process_max_receives,
            delivery_max_receives,
        }
    }
}

pub async fn queue_arn(aws: &AwsClients, url: &str) -> String {
    aws.sqs()
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
    aws.sqs()
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

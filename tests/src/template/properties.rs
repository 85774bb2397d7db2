//! The properties of the resources the emulator creates, as CloudFormation spells them. Every struct
//! refuses fields it does not know: a property added to the template fails the AWS-backed tests until
//! the emulator applies it (or says here why it need not), instead of being silently left out.

use serde::{Deserialize, Serialize};

/// A whole number written as a YAML number or as text (CloudFormation takes both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Number(pub u64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(u64),
            Text(String),
        }
        match Written::deserialize(deserializer)? {
            Written::Number(n) => Ok(Number(n)),
            Written::Text(text) => {
                text.trim().parse().map(Number).map_err(|_| {
                    serde::de::Error::custom(format!("{text:?} is not a whole number"))
                })
            }
        }
    }
}

/// AWS::SQS::Queue. Each property is the SQS queue attribute of the same name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct QueueProperties {
    pub visibility_timeout: Option<Number>,
    pub message_retention_period: Option<Number>,
    pub delay_seconds: Option<Number>,
    pub receive_message_wait_time_seconds: Option<Number>,
    pub maximum_message_size: Option<Number>,
    pub sqs_managed_sse_enabled: Option<bool>,
    pub redrive_policy: Option<RedrivePolicy>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: String,
    pub max_receive_count: Number,
}

/// AWS::DynamoDB::Table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TableProperties {
    pub billing_mode: Option<String>,
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub key_schema: Vec<KeySchemaElement>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<GlobalSecondaryIndex>,
    pub time_to_live_specification: Option<TimeToLive>,
    pub point_in_time_recovery_specification: Option<PointInTimeRecovery>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AttributeDefinition {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct KeySchemaElement {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct GlobalSecondaryIndex {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub projection: Projection,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Projection {
    pub projection_type: String,
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TimeToLive {
    pub attribute_name: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PointInTimeRecovery {
    pub point_in_time_recovery_enabled: bool,
}

/// AWS::S3::Bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BucketProperties {
    pub bucket_name: Option<String>,
    pub bucket_encryption: Option<BucketEncryption>,
    pub public_access_block_configuration: Option<PublicAccessBlock>,
    pub ownership_controls: Option<OwnershipControls>,
    pub lifecycle_configuration: Option<LifecycleConfiguration>,
    pub notification_configuration: Option<NotificationConfiguration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BucketEncryption {
    pub server_side_encryption_configuration: Vec<EncryptionRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EncryptionRule {
    pub server_side_encryption_by_default: EncryptionByDefault,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionByDefault {
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub block_public_policy: bool,
    pub ignore_public_acls: bool,
    pub restrict_public_buckets: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OwnershipControls {
    pub rules: Vec<OwnershipRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OwnershipRule {
    pub object_ownership: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LifecycleConfiguration {
    pub rules: Vec<LifecycleRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LifecycleRule {
    pub id: Option<String>,
    pub status: String,
    pub prefix: Option<String>,
    pub expiration_in_days: Option<Number>,
    pub abort_incomplete_multipart_upload: Option<AbortIncompleteMultipartUpload>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AbortIncompleteMultipartUpload {
    pub days_after_initiation: Number,
}

/// Only queue notifications: a Lambda or topic notification would go nowhere in the emulator, so the
/// template having one fails here.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NotificationConfiguration {
    pub queue_configurations: Vec<QueueNotification>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct QueueNotification {
    pub event: String,
    pub queue: String,
    pub filter: Option<NotificationFilter>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationFilter {
    #[serde(rename = "S3Key")]
    pub s3_key: KeyFilter,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct KeyFilter {
    pub rules: Vec<FilterRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FilterRule {
    pub name: String,
    pub value: String,
}

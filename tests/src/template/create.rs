//! Creates a [`StackPlan`] in the emulator: each queue with its attributes and redrive policy, each
//! table with its keys, billing, TTL and point-in-time recovery, the bucket with its encryption, public
//! access block, ownership, lifecycle and queue notifications. IAM, queue and bucket policies are not
//! created: the emulator does not enforce them.

use super::plan::{PlannedResource, Spec, StackPlan};
use super::properties::{BucketProperties, KeySchemaElement, QueueProperties, TableProperties};
use aws_sdk_dynamodb::types as ddb;
use aws_sdk_s3::types as s3;
use aws_sdk_sqs::types::QueueAttributeName;
use pagewire_aws::AwsClients;

impl StackPlan {
    /// Creates every resource of the plan, in order. Panics with the resource's name on any refusal.
    pub async fn create(&self, aws: &AwsClients) {
        for resource in &self.resources {
            match &resource.spec {
                Spec::Queue(q) => create_queue(aws, self, resource, q).await,
                Spec::Table(t) => create_table(aws, resource, t).await,
                Spec::Bucket(b) => create_bucket(aws, self, resource, b).await,
            }
        }
    }
}

async fn create_queue(
    aws: &AwsClients,
    plan: &StackPlan,
    resource: &PlannedResource,
    q: &QueueProperties,
) {
    let id = &resource.logical_id;
    let numbers = [
        (QueueAttributeName::VisibilityTimeout, q.visibility_timeout),
        (
            QueueAttributeName::MessageRetentionPeriod,
            q.message_retention_period,
        ),
        (QueueAttributeName::DelaySeconds, q.delay_seconds),
        (
            QueueAttributeName::ReceiveMessageWaitTimeSeconds,
            q.receive_message_wait_time_seconds,
        ),
        (
            QueueAttributeName::MaximumMessageSize,
            q.maximum_message_size,
        ),
    ];
    let mut request = aws.sqs().create_queue().queue_name(&resource.physical_name);
    for (attribute, value) in numbers {
        if let Some(value) = value {
            request = request.attributes(attribute, value.0.to_string());
        }
    }
    if let Some(sse) = q.sqs_managed_sse_enabled {
        request = request.attributes(QueueAttributeName::SqsManagedSseEnabled, sse.to_string());
    }
    if let Some(redrive) = &q.redrive_policy {
        let policy = serde_json::to_string(redrive).expect("a redrive policy serializes");
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy);
    }
    let url = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating queue {id}: {e:?}"))
        .queue_url
        .unwrap_or_else(|| panic!("queue {id}: no URL"));
    assert_eq!(
        url,
        plan.reference(id),
        "{id}: the emulator's queue URL differs from the one references were resolved to"
    );
}

async fn create_table(aws: &AwsClients, resource: &PlannedResource, t: &TableProperties) {
    let id = &resource.logical_id;
    let name = &resource.physical_name;
    let billing = t.billing_mode.as_deref().unwrap_or("PROVISIONED");
    // Provisioned capacity would need ProvisionedThroughput, which the template must not have either.
    assert_eq!(
        billing, "PAY_PER_REQUEST",
        "{id}: only on-demand tables are emulated"
    );
    let mut request = aws
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(ddb::BillingMode::from(billing));
    for attribute in &t.attribute_definitions {
        request = request.attribute_definitions(
            ddb::AttributeDefinition::builder()
                .attribute_name(&attribute.attribute_name)
                .attribute_type(ddb::ScalarAttributeType::from(
                    attribute.attribute_type.as_str(),
                ))
                .build()
                .expect("attribute definition"),
        );
    }
    for key in &t.key_schema {
        request = request.key_schema(key_element(key));
    }
    for index in &t.global_secondary_indexes {
        let mut projection = ddb::Projection::builder().projection_type(ddb::ProjectionType::from(
            index.projection.projection_type.as_str(),
        ));
        for attribute in &index.projection.non_key_attributes {
            projection = projection.non_key_attributes(attribute);
        }
        let mut gsi = ddb::GlobalSecondaryIndex::builder()
            .index_name(&index.index_name)
            .projection(projection.build());
        for key in &index.key_schema {
            gsi = gsi.key_schema(key_element(key));
        }
        request = request.global_secondary_indexes(gsi.build().expect("global secondary index"));
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating table {id}: {e:?}"));
    if let Some(ttl) = &t.time_to_live_specification {
        aws.dynamodb
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                ddb::TimeToLiveSpecification::builder()
                    .attribute_name(&ttl.attribute_name)
                    .enabled(ttl.enabled)
                    .build()
                    .expect("TTL specification"),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id}: TTL: {e:?}"));
    }
    if let Some(pitr) = &t.point_in_time_recovery_specification {
        aws.dynamodb
            .update_continuous_backups()
            .table_name(name)
            .point_in_time_recovery_specification(
                ddb::PointInTimeRecoverySpecification::builder()
                    .point_in_time_recovery_enabled(pitr.point_in_time_recovery_enabled)
                    .build()
                    .expect("point-in-time recovery"),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id}: point-in-time recovery: {e:?}"));
    }
}

async fn create_bucket(
    aws: &AwsClients,
    plan: &StackPlan,
    resource: &PlannedResource,
    b: &BucketProperties,
) {
    let id = &resource.logical_id;
    let bucket = resource.physical_name.as_str();
    let region = plan.names.reference("AWS::Region").expect("region");
    let mut request = aws.s3.create_bucket().bucket(bucket);
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            s3::CreateBucketConfiguration::builder()
                .location_constraint(s3::BucketLocationConstraint::from(region))
                .build(),
        );
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating bucket {id}: {e:?}"));

    if let Some(encryption) = &b.bucket_encryption {
        let mut configuration = s3::ServerSideEncryptionConfiguration::builder();
        for rule in &encryption.server_side_encryption_configuration {
            let default = s3::ServerSideEncryptionByDefault::builder()
                .sse_algorithm(s3::ServerSideEncryption::from(
                    rule.server_side_encryption_by_default
                        .sse_algorithm
                        .as_str(),
                ))
                .build()
                .expect("encryption default");
            configuration = configuration.rules(
                s3::ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(default)
                    .build(),
            );
        }
        aws.s3
            .put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(configuration.build().expect("encryption"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id}: encryption: {e:?}"));
    }

    if let Some(block) = &b.public_access_block_configuration {
        aws.s3
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                s3::PublicAccessBlockConfiguration::builder()
                    .block_public_acls(block.block_public_acls)
                    .block_public_policy(block.block_public_policy)
                    .ignore_public_acls(block.ignore_public_acls)
                    .restrict_public_buckets(block.restrict_public_buckets)
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id}: public access block: {e:?}"));
    }

    if let Some(ownership) = &b.ownership_controls {
        let mut controls = s3::OwnershipControls::builder();
        for rule in &ownership.rules {
            controls = controls.rules(
                s3::OwnershipControlsRule::builder()
                    .object_ownership(s3::ObjectOwnership::from(rule.object_ownership.as_str()))
                    .build()
                    .expect("ownership rule"),
            );
        }
        aws.s3
            .put_bucket_ownership_controls()
            .bucket(bucket)
            .ownership_controls(controls.build().expect("ownership controls"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id}: ownership controls: {e:?}"));
    }

    if let Some(lifecycle) = &b.lifecycle_configuration {
        let mut configuration = s3::BucketLifecycleConfiguration::builder();
        for rule in &lifecycle.rules {
            let mut built = s3::LifecycleRule::builder()
                .set_id(rule.id.clone())
                .status(s3::ExpirationStatus::from(rule.status.as_str()))
                .filter(
                    s3::LifecycleRuleFilter::builder()
                        .prefix(rule.prefix.clone().unwrap_or_default())
                        .build(),
                );
            if let Some(days) = rule.expiration_in_days {
                built = built.expiration(
                    s3::LifecycleExpiration::builder()
                        .days(days.0 as i32)
                        .build(),
                );
            }
            if let Some(abort) = &rule.abort_incomplete_multipart_upload {
                built = built.abort_incomplete_multipart_upload(
                    s3::AbortIncompleteMultipartUpload::builder()
                        .days_after_initiation(abort.days_after_initiation.0 as i32)
                        .build(),
                );
            }
            configuration = configuration.rules(built.build().expect("lifecycle rule"));
        }
        aws.s3
            .put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(configuration.build().expect("lifecycle"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id}: lifecycle: {e:?}"));
    }

    if let Some(notifications) = &b.notification_configuration {
        let mut configuration = s3::NotificationConfiguration::builder();
        for notification in &notifications.queue_configurations {
            let mut built = s3::QueueConfiguration::builder()
                .queue_arn(&notification.queue)
                .events(s3::Event::from(notification.event.as_str()));
            if let Some(filter) = &notification.filter {
                let mut key = s3::S3KeyFilter::builder();
                for rule in &filter.s3_key.rules {
                    key = key.filter_rules(
                        s3::FilterRule::builder()
                            .name(s3::FilterRuleName::from(rule.name.as_str()))
                            .value(&rule.value)
                            .build(),
                    );
                }
                built = built.filter(
                    s3::NotificationConfigurationFilter::builder()
                        .key(key.build())
                        .build(),
                );
            }
            configuration =
                configuration.queue_configurations(built.build().expect("queue notification"));
        }
        aws.s3
            .put_bucket_notification_configuration()
            .bucket(bucket)
            .notification_configuration(configuration.build())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{id}: notifications: {e:?}"));
    }
}

fn key_element(key: &KeySchemaElement) -> ddb::KeySchemaElement {
    ddb::KeySchemaElement::builder()
        .attribute_name(&key.attribute_name)
        .key_type(ddb::KeyType::from(key.key_type.as_str()))
        .build()
        .expect("key schema element")
}

//! What the emulator creates for a template, decided before any call: the queues, tables and bucket with
//! their physical names (unique per test through the `Stage` parameter), their properties read and
//! checked, every reference between them resolved, in an order where each resource comes after the
//! resources it names.

use super::intrinsics::{referenced_names, resolve, substitute, Names};
use super::properties::{BucketProperties, QueueProperties, TableProperties};
use super::reader::{Node, Template};
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;

pub const QUEUE: &str = "AWS::SQS::Queue";
pub const TABLE: &str = "AWS::DynamoDB::Table";
pub const BUCKET: &str = "AWS::S3::Bucket";

/// Resource attributes that only matter to a CloudFormation deployment (what happens on delete or
/// replace, explicit ordering); anything else at that level (`Condition`, say) is refused.
const DEPLOYMENT_ONLY_ATTRIBUTES: [&str; 4] = [
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "DependsOn",
    "Metadata",
];

/// Where the stack is created: the emulator's endpoint, the region and the account it answers for.
#[derive(Debug, Clone)]
pub struct Target {
    pub endpoint: String,
    pub region: String,
    pub account: String,
}

#[derive(Debug, Clone)]
pub enum Spec {
    Queue(QueueProperties),
    Table(TableProperties),
    Bucket(BucketProperties),
}

#[derive(Debug, Clone)]
pub struct PlannedResource {
    pub logical_id: String,
    pub physical_name: String,
    pub spec: Spec,
}

#[derive(Debug, Clone)]
pub struct StackPlan {
    pub stage: String,
    pub names: Names,
    /// In creation order.
    pub resources: Vec<PlannedResource>,
}

impl StackPlan {
    /// The plan for `template` deployed as stage `stage` (the template's `Stage` parameter).
    pub fn new(template: &Template, stage: &str, target: &Target) -> Result<Self, String> {
        let mut names = parameters(template, stage, target)?;
        let stack_name = names.reference("AWS::StackName")?.to_string();
        let emulated: Vec<(&str, Node<'_>, &str)> = template
            .resources()
            .into_iter()
            .filter_map(|(id, r)| {
                let kind = r.get("Type").str()?;
                [QUEUE, TABLE, BUCKET]
                    .contains(&kind)
                    .then_some((id, r, kind))
            })
            .collect();

        let mut physical = Vec::new();
        for &(id, resource, kind) in &emulated {
            for key in resource.keys() {
                if key != "Type"
                    && key != "Properties"
                    && !DEPLOYMENT_ONLY_ATTRIBUTES.contains(&key)
                {
                    return Err(format!(
                        "{id}: the resource attribute {key} is not emulated"
                    ));
                }
            }
            let name = physical_name(id, resource, kind, &stack_name, &names)?;
            name_resource(&mut names, id, kind, &name, target);
            physical.push(name);
        }

        let ids: BTreeSet<&str> = emulated.iter().map(|(id, _, _)| *id).collect();
        let mut pending = Vec::new();
        for (&(id, resource, kind), physical_name) in emulated.iter().zip(physical) {
            let properties = resource.get("Properties");
            let context = |e: String| format!("{id} ({kind}): {e}");
            let spec = match kind {
                QUEUE => Spec::Queue(read(properties, &names).map_err(context)?),
                TABLE => Spec::Table(read(properties, &names).map_err(context)?),
                _ => Spec::Bucket(read(properties, &names).map_err(context)?),
            };
            let mut depends_on = BTreeSet::new();
            for name in referenced_names(properties) {
                if ids.contains(name.as_str()) {
                    depends_on.insert(name);
                } else if template.root().get("Resources").get(&name).exists() {
                    return Err(format!(
                        "{id} refers to {name}, a resource the emulator does not create"
                    ));
                }
            }
            pending.push((
                depends_on,
                PlannedResource {
                    logical_id: id.to_string(),
                    physical_name,
                    spec,
                },
            ));
        }

        let mut resources: Vec<PlannedResource> = Vec::new();
        while !pending.is_empty() {
            let created: BTreeSet<String> =
                resources.iter().map(|r| r.logical_id.clone()).collect();
            let ready = pending
                .iter()
                .position(|(depends_on, _)| depends_on.is_subset(&created))
                .ok_or_else(|| {
                    let stuck: Vec<_> = pending.iter().map(|(_, r)| &r.logical_id).collect();
                    format!("these resources refer to each other in a cycle: {stuck:?}")
                })?;
            resources.push(pending.remove(ready).1);
        }
        Ok(Self {
            stage: stage.to_string(),
            names,
            resources,
        })
    }

    pub fn resource(&self, logical_id: &str) -> &PlannedResource {
        self.resources
            .iter()
            .find(|r| r.logical_id == logical_id)
            .unwrap_or_else(|| {
                panic!("{logical_id} is not a queue, table or bucket of the template")
            })
    }

    pub fn queue(&self, logical_id: &str) -> &QueueProperties {
        match &self.resource(logical_id).spec {
            Spec::Queue(q) => q,
            other => panic!("{logical_id} is not a queue: {other:?}"),
        }
    }

    /// What `!Ref logical_id` resolves to: a queue's URL, a table's or a bucket's name.
    pub fn reference(&self, logical_id: &str) -> &str {
        self.names
            .reference(logical_id)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Parameters at their defaults with `Stage` set, and the pseudo parameters a template may name.
fn parameters(template: &Template, stage: &str, target: &Target) -> Result<Names, String> {
    let mut names = Names::default();
    let declared = template.root().get("Parameters");
    if !declared.get("Stage").exists() {
        return Err("the template declares no Stage parameter to make names unique".into());
    }
    for (name, parameter) in declared.entries() {
        let default = parameter.get("Default");
        if let Some(value) = default.str() {
            names.set_reference(name, value);
        } else if let Some(value) = default.int() {
            names.set_reference(name, value.to_string());
        }
    }
    names.set_reference("Stage", stage);
    names.set_reference("AWS::StackName", format!("pagewire-{stage}"));
    names.set_reference("AWS::Region", &target.region);
    names.set_reference("AWS::AccountId", &target.account);
    names.set_reference("AWS::Partition", "aws");
    names.set_reference("AWS::URLSuffix", "amazonaws.com");
    Ok(names)
}

/// A bucket keeps the name the template gives it (unique through `Stage`); queues and tables are named
/// as CloudFormation names resources without one: after the stack and the logical id.
fn physical_name(
    id: &str,
    resource: Node<'_>,
    kind: &str,
    stack_name: &str,
    names: &Names,
) -> Result<String, String> {
    let given = match kind {
        BUCKET => resource.get("Properties").get("BucketName"),
        QUEUE => resource.get("Properties").get("QueueName"),
        _ => resource.get("Properties").get("TableName"),
    };
    if !given.exists() {
        let name = format!("{stack_name}-{id}");
        return Ok(if kind == BUCKET {
            name.to_ascii_lowercase()
        } else {
            name
        });
    }
    if kind != BUCKET {
        // A fixed queue or table name would collide between tests (and between stages on AWS).
        return Err(format!(
            "{id}: a fixed name is not emulated; leave it to CloudFormation"
        ));
    }
    match (given.tag(), given.str()) {
        (Some("Sub"), Some(text)) => substitute(text, names),
        (None, Some(text)) => Ok(text.to_string()),
        _ => Err(format!("{id}: BucketName must be text or a !Sub")),
    }
}

/// The `!Ref` value and `!GetAtt` attributes of a resource, as CloudFormation documents them.
fn name_resource(names: &mut Names, id: &str, kind: &str, name: &str, target: &Target) {
    let (region, account) = (&target.region, &target.account);
    match kind {
        QUEUE => {
            let url = format!("{}/{account}/{name}", target.endpoint.trim_end_matches('/'));
            names.set_reference(id, &url);
            names.set_attribute(id, "QueueUrl", url);
            names.set_attribute(id, "QueueName", name);
            names.set_attribute(id, "Arn", format!("arn:aws:sqs:{region}:{account}:{name}"));
        }
        TABLE => {
            names.set_reference(id, name);
            names.set_attribute(
                id,
                "Arn",
                format!("arn:aws:dynamodb:{region}:{account}:table/{name}"),
            );
        }
        _ => {
            names.set_reference(id, name);
            names.set_attribute(id, "Arn", format!("arn:aws:s3:::{name}"));
        }
    }
}

fn read<T: DeserializeOwned>(properties: Node<'_>, names: &Names) -> Result<T, String> {
    let json = resolve(properties, names)?;
    serde_json::from_value(json).map_err(|e| e.to_string())
}

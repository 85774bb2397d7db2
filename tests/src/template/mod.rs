//! infra/template.yaml read by the tests: its checks (tests/tests/template.rs) and the emulator, where
//! the AWS-backed tests run on the queues, tables and bucket the template declares, created from it
//! ([`StackPlan`]) rather than copied by hand.

mod create;
pub mod intrinsics;
pub mod plan;
pub mod properties;
pub mod reader;

pub use plan::{StackPlan, Target};
pub use reader::{workspace_root, Node, Template};

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            endpoint: "http://127.0.0.1:5000".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }

    fn template_text() -> String {
        std::fs::read_to_string(workspace_root().join("infra/template.yaml")).unwrap()
    }

    /// The template with `extra` inserted as the first property of `resource`.
    fn with_property(resource: &str, extra: &str) -> Template {
        let text = template_text();
        let anchor = format!("\n  {resource}:\n");
        let at = text.find(&anchor).expect("the resource is in the template");
        let properties =
            at + text[at..].find("    Properties:\n").unwrap() + "    Properties:\n".len();
        let edited = format!(
            "{}      {extra}\n{}",
            &text[..properties],
            &text[properties..]
        );
        Template::parse(&edited).unwrap()
    }

    #[test]
    fn the_template_plans_with_references_resolved_and_dead_letter_queues_first() {
        let plan = StackPlan::new(&Template::load(), "t1", &target()).unwrap();
        let order: Vec<&str> = plan
            .resources
            .iter()
            .map(|r| r.logical_id.as_str())
            .collect();
        let position = |id: &str| order.iter().position(|r| *r == id).unwrap();
        assert!(position("ProcessDeadLetterQueue") < position("ProcessQueue"));
        assert!(position("DeliveryDeadLetterQueue") < position("DeliveryQueue"));
        assert!(position("ProcessQueue") < position("DocumentBucket"));
        let redrive = plan.queue("ProcessQueue").redrive_policy.clone().unwrap();
        assert_eq!(
            redrive.dead_letter_target_arn,
            "arn:aws:sqs:us-east-1:123456789012:pagewire-t1-ProcessDeadLetterQueue"
        );
        assert_eq!(
            plan.reference("DocumentBucket"),
            "pagewire-t1-123456789012-us-east-1"
        );
        assert_eq!(
            plan.reference("DeliveryQueue"),
            "http://127.0.0.1:5000/123456789012/pagewire-t1-DeliveryQueue"
        );
    }

    #[test]
    fn a_property_the_emulator_does_not_apply_fails_with_its_name() {
        for (resource, extra, named) in [
            ("ProcessQueue", "FifoQueue: true", "FifoQueue"),
            (
                "JobsTable",
                "StreamSpecification: {StreamViewType: NEW_IMAGE}",
                "StreamSpecification",
            ),
            (
                "DocumentBucket",
                "VersioningConfiguration: {Status: Enabled}",
                "VersioningConfiguration",
            ),
        ] {
            let err = StackPlan::new(&with_property(resource, extra), "t1", &target()).unwrap_err();
            assert!(err.contains(resource) && err.contains(named), "{err}");
        }
    }

    #[test]
    fn a_reference_the_emulator_cannot_resolve_fails_with_its_name() {
        let err = StackPlan::new(
            &with_property(
                "DeliveryQueue",
                "DelaySeconds: !If [AllowHttpWebhooks, 1, 0]",
            ),
            "t1",
            &target(),
        )
        .unwrap_err();
        assert!(
            err.contains("DeliveryQueue") && err.contains("!If"),
            "{err}"
        );
        let err = StackPlan::new(
            &with_property("DeliveryQueue", "KmsMasterKeyId: !Ref SubmitJobFunction"),
            "t1",
            &target(),
        )
        .unwrap_err();
        assert!(err.contains("SubmitJobFunction"), "{err}");
    }
}

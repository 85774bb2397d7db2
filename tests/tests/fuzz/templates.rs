//! Template validation: any JSON-shaped input is accepted or refused with `invalid_template`; regular
//! expressions are compiled within size limits.

use crate::{bounded, config};
use pagewire_core::configuration::{validate_template as validate, TemplateInput};
use proptest::prelude::*;
use serde_json::json;

fn rule() -> impl Strategy<Value = serde_json::Value> {
    let pattern = prop_oneof![
        // Regex syntax soup: groups, classes, repetitions, escapes, anchors.
        "[()\\[\\]{}*+?|^$.\\\\a-z0-9,:-]{0,60}",
        ".{0,80}",
        // Nested repetitions that explode naive engines or the compiled size.
        (1usize..12).prop_map(|n| format!("{}a{}", "(a*".repeat(n), ")*".repeat(n))),
        (1usize..8).prop_map(|n| format!("\\w{{1000}}{}", "{1000}".repeat(n))),
    ];
    prop_oneof![
        (".{0,250}", prop_oneof![Just("right"), Just("below")])
            .prop_map(|(label, d)| json!({"kind": "label", "label": label, "direction": d})),
        (pattern, prop::option::of(0usize..6))
            .prop_map(|(p, g)| json!({"kind": "regex", "pattern": p, "group": g})),
    ]
}

fn field() -> impl Strategy<Value = serde_json::Value> {
    (
        ".{0,110}",
        prop_oneof![Just("text"), Just("number"), Just("money"), Just("date")],
        rule(),
    )
        .prop_map(|(name, ty, rule)| json!({"name": name, "type": ty, "rule": rule}))
}

proptest! {
    #![proptest_config(config(192))]

    #[test]
    fn any_template_is_accepted_or_refused_with_a_reason(
        name in ".{0,210}",
        fields in prop::collection::vec(field(), 0..6),
    ) {
        let input: TemplateInput = serde_json::from_value(json!({"name": name, "fields": fields}))
            .expect("the generated shape is a TemplateInput");
        if let Err(err) = bounded("validate", || validate(&input)) {
            prop_assert_eq!(err.code(), "invalid_template");
            prop_assert!(!err.to_string().is_empty());
        }
    }
}

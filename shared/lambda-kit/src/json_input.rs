//! A JSON body's shape errors in the API's words: the field as a dotted path (`fields[2].rule.group`) and
//! what it must be in JSON terms (`expected an integer`), never a Rust type. Whole numbers written with a
//! fraction (`1.0`) are read as integers: JSON Schema's `integer` accepts them.

use pagewire_core::CoreError;
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

/// The largest integer an `f64` holds exactly: beyond it `1e300` is whole but no integer field takes it.
const EXACT_F64_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Reads `value` as `T`, turning a shape error into `missing_field` or `invalid_field` with the path.
pub fn from_json_value<T: DeserializeOwned>(mut value: Value) -> Result<T, CoreError> {
    whole_floats_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        describe(&path, &e.inner().to_string())
    })
}

/// The pre-pass that lets integer fields take `1.0`; a number field still reads `1` as `1.0`.
fn whole_floats_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                if f.fract() == 0.0 && f.abs() <= EXACT_F64_INTEGER {
                    *n = Number::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_floats_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_floats_as_integers),
        _ => {}
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// serde's message at `path` as an API error. A rule's own reader reports `<inner path>: <message>`
/// (see `pagewire_core::model::rule_serde`): that inner path is joined to the outer one.
fn describe(path: &str, message: &str) -> CoreError {
    if let Some((inner, rest)) = message.split_once(": ") {
        let is_path = !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
        if is_path && is_serde_message(rest) {
            return describe(&join(path, inner), rest);
        }
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return CoreError::invalid(
            "missing_field",
            format!("{}: is required", join(path, field)),
        );
    }
    let at = if path.is_empty() { "body" } else { path };
    let text = if let Some(rest) = message.strip_prefix("unknown field `") {
        let allowed = rest.split_once(", expected ").map(|(_, a)| a);
        match allowed {
            Some(allowed) => format!(
                "is not a known field; expected one of {}",
                allowed_list(allowed)
            ),
            None => "is not a known field".to_string(),
        }
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        let allowed = rest.split_once(", expected ").map(|(_, a)| a).unwrap_or("");
        format!("must be one of {}", allowed_list(allowed))
    } else if let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid length "))
    {
        let expected = rest.split_once(", expected ").map(|(_, e)| e).unwrap_or("");
        format!("expected {}", json_kind(expected, false))
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        let expected = rest.split_once(", expected ").map(|(_, e)| e).unwrap_or("");
        format!("expected {}", json_kind(expected, true))
    } else {
        message.to_string()
    };
    CoreError::invalid("invalid_field", format!("{at}: {text}"))
}

fn is_serde_message(message: &str) -> bool {
    [
        "invalid type: ",
        "invalid value: ",
        "invalid length ",
        "missing field `",
        "unknown field `",
        "unknown variant `",
    ]
    .iter()
    .any(|p| message.starts_with(p))
}

/// serde's list of names (`` `a`, `b` ``, `` `a` or `b` ``, `` one of `a`, `b` ``) as `a, b`.
fn allowed_list(list: &str) -> String {
    list.trim_start_matches("one of ")
        .replace('`', "")
        .replace(" or ", ", ")
}

/// What serde's `expected` says, in JSON's words. `out_of_range` is an integer of the right type whose
/// value the field cannot hold (a negative count): the range is given.
fn json_kind(expected: &str, out_of_range: bool) -> String {
    let unsigned_max = match expected {
        "u8" => Some(u64::from(u8::MAX)),
        "u16" => Some(u64::from(u16::MAX)),
        "u32" => Some(u64::from(u32::MAX)),
        "u64" | "usize" => Some(u64::MAX),
        _ => None,
    };
    match (expected, unsigned_max) {
        (_, Some(max)) if out_of_range => format!("an integer from 0 to {max}"),
        (_, Some(_)) | ("i8" | "i16" | "i32" | "i64" | "isize", _) => "an integer".into(),
        ("f32" | "f64", _) => "a number".into(),
        ("a string" | "a borrowed string" | "string", _) => "a string".into(),
        ("a boolean", _) => "a boolean".into(),
        ("a character", _) => "a one-character string".into(),
        ("a sequence", _) => "an array".into(),
        ("a map" | "struct variant", _) => "an object".into(),
        ("unit", _) => "null".into(),
        (e, _) if e.starts_with("struct ") => "an object".into(),
        (e, _) if e.starts_with("tuple") || e.starts_with("a sequence") => "an array".into(),
        (e, _) if e.starts_with("enum ") || e.contains("variant") => {
            "one of the allowed values".into()
        }
        // Other messages are a library's own words (dates, ids): kept when they read as words.
        (e, _) if e.contains(' ') => e.to_string(),
        _ => "a value of another type".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagewire_core::configuration::TemplateInput;

    fn error_of(body: &str) -> (String, String) {
        let value: Value = serde_json::from_str(body).unwrap();
        let err = from_json_value::<TemplateInput>(value).unwrap_err();
        let message = err.public_message();
        (err.code().to_string(), message)
    }

    fn with_rule(rule: &str) -> String {
        format!(
            r#"{{"name":"t","fields":[{{"name":"a","type":"text","rule":{{"kind":"label","label":"A"}}}},{{"name":"b","type":"text","rule":{{"kind":"label","label":"B"}}}},{{"name":"c","type":"text","rule":{rule}}}]}}"#
        )
    }

    #[test]
    fn errors_name_the_field_in_json_words() {
        let cases = [
            (with_rule(r#"{"kind":"regex","pattern":"x","group":1.5}"#), "invalid_field", "fields[2].rule.group: expected an integer"),
            (with_rule(r#"{"kind":"regex","pattern":"x","group":-1}"#), "invalid_field", "fields[2].rule.group: expected an integer from 0 to 18446744073709551615"),
            (with_rule(r#"{"kind":"region","x":"a","y":0,"width":1,"height":1}"#), "invalid_field", "fields[2].rule.x: expected a number"),
            (with_rule(r#"{"pattern":"x"}"#), "missing_field", "fields[2].rule.kind: is required"),
            (with_rule(r#"{"kind":"label"}"#), "missing_field", "fields[2].rule.label: is required"),
            (with_rule(r#"{"kind":"circle"}"#), "invalid_field", "fields[2].rule: must be one of label, regex, region, table"),
            (with_rule(r#"{"kind":"table","columns":[{"name":"q","header":7}]}"#), "invalid_field", "fields[2].rule.columns[0].header: expected a string"),
            (with_rule(r#"{"kind":"label","label":"A","size":1}"#), "invalid_field", "fields[2].rule.size: is not a known field; expected one of label, direction"),
            (r#"{"fields":[]}"#.to_string(), "missing_field", "name: is required"),
            (r#"{"name":"t","fields":{}}"#.to_string(), "invalid_field", "fields: expected an array"),
            (r#"{"name":"t","fields":[3]}"#.to_string(), "invalid_field", "fields[0]: expected an object"),
            (r#"{"name":"t","fields":[{"name":"a","type":"txt","rule":{"kind":"label","label":"A"}}]}"#.to_string(), "invalid_field", "fields[0].type: must be one of text, number, money, date, table"),
        ];
        for (body, code, message) in cases {
            assert_eq!(
                error_of(&body),
                (code.to_string(), message.to_string()),
                "{body}"
            );
        }
    }

    #[test]
    fn whole_numbers_with_a_fraction_are_integers() {
        let body = with_rule(r#"{"kind":"regex","pattern":"x(y)","group":1.0}"#);
        let input: TemplateInput = from_json_value(serde_json::from_str(&body).unwrap()).unwrap();
        assert_eq!(
            input.fields[2].rule,
            pagewire_core::model::FieldRule::Regex {
                pattern: "x(y)".into(),
                group: Some(1)
            }
        );
        // A number field still takes an integer, and a region keeps its fractions.
        let body =
            with_rule(r#"{"kind":"region","page":2.0,"x":0,"y":0.05,"width":1,"height":0.5}"#);
        let input: TemplateInput = from_json_value(serde_json::from_str(&body).unwrap()).unwrap();
        let rule = serde_json::to_value(&input.fields[2].rule).unwrap();
        assert_eq!(
            rule,
            serde_json::json!({"kind":"region","page":2,"x":0.0,"y":0.05,"width":1.0,"height":0.5})
        );
        // Too big to be exact: left a float, so an integer field refuses it.
        let body = with_rule(r#"{"kind":"regex","pattern":"x","group":1e300}"#);
        assert_eq!(
            error_of(&body).1,
            "fields[2].rule.group: expected an integer"
        );
    }
}

//! Reads a [`FieldRule`] by its `kind`. serde's derive for an internally tagged enum buffers the whole
//! object before it knows the variant, so an error inside (`group: 1.5`) could only be reported as "in
//! `rule`". Here the variant's fields are read as a struct of their own, and an error inside is reported
//! as `<field path>: <serde's message>` (`group: invalid type: ...`), which the API's JSON error
//! reporting joins to the path of the rule.

use super::template::{FieldRule, LabelDirection, TableColumn};
use serde::de::{DeserializeOwned, Error as _, Unexpected};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

const KINDS: &[&str] = &["label", "regex", "region", "table"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelRule {
    label: String,
    #[serde(default)]
    direction: LabelDirection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegexRule {
    pattern: String,
    #[serde(default)]
    group: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionRule {
    #[serde(default)]
    page: Option<u32>,
    x: f32,
    y: f32,
    width: f32,
    height: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableRule {
    columns: Vec<TableColumn>,
    #[serde(default)]
    stop: Vec<String>,
}

impl<'de> Deserialize<'de> for FieldRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut object = Map::<String, Value>::deserialize(deserializer)?;
        let kind = match object.remove("kind") {
            None => return Err(D::Error::missing_field("kind")),
            Some(Value::String(kind)) => kind,
            Some(other) => return Err(D::Error::invalid_type(unexpected(&other), &"a string")),
        };
        let rule = match kind.as_str() {
            "label" => {
                let r: LabelRule = variant(object)?;
                FieldRule::Label {
                    label: r.label,
                    direction: r.direction,
                }
            }
            "regex" => {
                let r: RegexRule = variant(object)?;
                FieldRule::Regex {
                    pattern: r.pattern,
                    group: r.group,
                }
            }
            "region" => {
                let r: RegionRule = variant(object)?;
                FieldRule::Region {
                    page: r.page,
                    x: r.x,
                    y: r.y,
                    width: r.width,
                    height: r.height,
                }
            }
            "table" => {
                let r: TableRule = variant(object)?;
                FieldRule::Table {
                    columns: r.columns,
                    stop: r.stop,
                }
            }
            other => return Err(D::Error::unknown_variant(other, KINDS)),
        };
        Ok(rule)
    }
}

/// The variant's fields as `T`; an error names the field it is in.
fn variant<T: DeserializeOwned, E: serde::de::Error>(object: Map<String, Value>) -> Result<T, E> {
    serde_path_to_error::deserialize(Value::Object(object)).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            E::custom(e.inner())
        } else {
            E::custom(format!("{path}: {}", e.inner()))
        }
    })
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => Unexpected::Float(f),
            _ => Unexpected::Other("integer"),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<FieldRule, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn every_kind_reads_and_writes_back() {
        for json in [
            r#"{"kind":"label","label":"Total","direction":"below"}"#,
            r#"{"kind":"regex","pattern":"a(b)","group":1}"#,
            r#"{"kind":"region","page":2,"x":0.05,"y":0.1,"width":0.3,"height":0.25}"#,
            r#"{"kind":"table","columns":[{"name":"q","header":"Qty","type":"number"}],"stop":["Total"]}"#,
        ] {
            let rule = read(json).unwrap();
            let back = serde_json::to_value(&rule).unwrap();
            let given: Value = serde_json::from_str(json).unwrap();
            assert_eq!(back, given, "{json}");
        }
    }

    #[test]
    fn errors_name_the_field_inside_the_rule() {
        let err = read(r#"{"kind":"regex","pattern":"a","group":1.5}"#).unwrap_err();
        assert!(err.starts_with("group: invalid type"), "{err}");
        let err = read(r#"{"kind":"table","columns":[{"name":"q","header":7}]}"#).unwrap_err();
        assert!(err.starts_with("columns[0].header: "), "{err}");
        assert_eq!(
            read(r#"{"pattern":"a"}"#).unwrap_err(),
            "missing field `kind`"
        );
        assert!(read(r#"{"kind":"label"}"#)
            .unwrap_err()
            .starts_with("missing field `label`"));
        assert!(read(r#"{"kind":"circle"}"#)
            .unwrap_err()
            .starts_with("unknown variant `circle`"));
        assert!(read(r#"{"kind":"label","label":"a","extra":1}"#)
            .unwrap_err()
            .starts_with("extra: unknown field `extra`"));
        assert!(read(r#"{"kind":3}"#)
            .unwrap_err()
            .starts_with("invalid type: integer"));
    }
}

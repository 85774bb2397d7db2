//! Template values with their intrinsic functions resolved: `!Ref`, `!GetAtt` and `!Sub` become the
//! physical names, URLs and ARNs of the emulated stack. Anything else (`!If`, `!Join`, the long
//! `Fn::` forms, ...) is refused with its name, so a template change the emulator cannot follow fails
//! loudly instead of being half-applied.

use super::reader::Node;
use saphyr::{ScalarOwned, YamlOwned};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// What references resolve to: parameter, pseudo-parameter and resource `!Ref` values, and resource
/// attributes for `!GetAtt`.
#[derive(Debug, Default, Clone)]
pub struct Names {
    references: HashMap<String, String>,
    attributes: HashMap<(String, String), String>,
}

impl Names {
    pub fn set_reference(&mut self, name: &str, value: impl Into<String>) {
        self.references.insert(name.to_string(), value.into());
    }

    pub fn set_attribute(&mut self, resource: &str, attribute: &str, value: impl Into<String>) {
        self.attributes
            .insert((resource.to_string(), attribute.to_string()), value.into());
    }

    pub fn reference(&self, name: &str) -> Result<&str, String> {
        self.references
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("!Ref {name}: not a parameter or an emulated resource"))
    }

    pub fn attribute(&self, resource: &str, attribute: &str) -> Result<&str, String> {
        self.attributes
            .get(&(resource.to_string(), attribute.to_string()))
            .map(String::as_str)
            .ok_or_else(|| {
                format!("!GetAtt {resource}.{attribute}: not an attribute the emulator provides")
            })
    }
}

/// The node as JSON, every intrinsic function replaced by its value.
pub fn resolve(node: Node<'_>, names: &Names) -> Result<Value, String> {
    let Some(yaml) = node.0 else {
        return Ok(Value::Null);
    };
    match yaml {
        YamlOwned::Tagged(tag, inner) => {
            let argument = inner
                .as_str()
                .ok_or_else(|| format!("!{} with a non-text argument is not read", tag.suffix))?;
            match tag.suffix.as_str() {
                "Ref" => names.reference(argument).map(Value::from),
                "GetAtt" => {
                    let (resource, attribute) = argument.split_once('.').ok_or_else(|| {
                        format!("!GetAtt {argument}: expected Resource.Attribute")
                    })?;
                    names.attribute(resource, attribute).map(Value::from)
                }
                "Sub" => substitute(argument, names).map(Value::from),
                other => Err(format!("!{other} is not supported by the emulator")),
            }
        }
        YamlOwned::Mapping(map) => {
            let mut object = serde_json::Map::new();
            for (key, value) in map {
                let key = key
                    .as_str()
                    .ok_or_else(|| format!("a mapping key is not text: {key:?}"))?;
                if key == "Ref" || key.starts_with("Fn::") {
                    return Err(format!(
                        "{key}: the long form of intrinsic functions is not read; use the short form"
                    ));
                }
                object.insert(key.to_string(), resolve(Node(Some(value)), names)?);
            }
            Ok(Value::Object(object))
        }
        YamlOwned::Sequence(items) => items
            .iter()
            .map(|item| resolve(Node(Some(item)), names))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        YamlOwned::Value(scalar) => Ok(match scalar {
            ScalarOwned::Null => Value::Null,
            ScalarOwned::Boolean(b) => Value::Bool(*b),
            ScalarOwned::Integer(i) => Value::from(*i),
            ScalarOwned::FloatingPoint(f) => Value::from(f.0),
            ScalarOwned::String(s) => Value::from(s.as_str()),
        }),
        other => Err(format!("a YAML node the emulator cannot read: {other:?}")),
    }
}

/// `${Name}` and `${Resource.Attribute}` replaced; `${!Literal}` written as `${Literal}`.
pub fn substitute(text: &str, names: &Names) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("!Sub {text:?}: an unclosed ${{"))?;
        let variable = &after[..end];
        if let Some(literal) = variable.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else if let Some((resource, attribute)) = variable.split_once('.') {
            out.push_str(names.attribute(resource, attribute)?);
        } else {
            out.push_str(names.reference(variable)?);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The names a node refers to (resources, parameters, pseudo parameters), for creation order.
pub fn referenced_names(node: Node<'_>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect(node, &mut names);
    names
}

fn collect(node: Node<'_>, names: &mut BTreeSet<String>) {
    match node.tag() {
        Some("Ref") | Some("GetAtt") => {
            if let Some(target) = node.str() {
                names.insert(target.split('.').next().unwrap_or(target).to_string());
            }
        }
        Some("Sub") => {
            let mut rest = node.str().unwrap_or_default();
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                let end = after.find('}').unwrap_or(after.len());
                let variable = &after[..end];
                if !variable.starts_with('!') {
                    names.insert(variable.split('.').next().unwrap_or(variable).to_string());
                }
                rest = after.get(end + 1..).unwrap_or_default();
            }
        }
        _ => {
            for (_, value) in node.entries() {
                collect(value, names);
            }
            for item in node.items() {
                collect(item, names);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::reader::Template;

    fn names() -> Names {
        let mut names = Names::default();
        names.set_reference("Stage", "t1");
        names.set_reference("AWS::Region", "us-east-1");
        names.set_attribute("Queue", "Arn", "arn:aws:sqs:us-east-1:1:q");
        names
    }

    #[test]
    fn sub_replaces_references_attributes_and_keeps_escaped_literals() {
        assert_eq!(
            substitute(
                "a-${Stage}-${AWS::Region}/${Queue.Arn}/${!Literal}",
                &names()
            )
            .unwrap(),
            "a-t1-us-east-1/arn:aws:sqs:us-east-1:1:q/${Literal}"
        );
        assert!(substitute("${Nope}", &names())
            .unwrap_err()
            .contains("Nope"));
        assert!(substitute("${Stage", &names()).is_err());
    }

    #[test]
    fn short_forms_resolve_and_anything_else_is_refused() {
        let t = Template::parse(
            "A: !Ref Stage\nB: !GetAtt Queue.Arn\nC: [!Sub 'x-${Stage}', 3, true]\nD: !If [c, a, b]\nE: {Ref: Stage}\n",
        )
        .unwrap();
        let root = t.root();
        assert_eq!(resolve(root.get("A"), &names()).unwrap(), "t1");
        assert_eq!(
            resolve(root.get("B"), &names()).unwrap(),
            "arn:aws:sqs:us-east-1:1:q"
        );
        assert_eq!(
            resolve(root.get("C"), &names()).unwrap(),
            serde_json::json!(["x-t1", 3, true])
        );
        assert!(resolve(root.get("D"), &names())
            .unwrap_err()
            .contains("!If"));
        assert!(resolve(root.get("E"), &names())
            .unwrap_err()
            .contains("long form"));
        assert_eq!(
            referenced_names(root).into_iter().collect::<Vec<_>>(),
            ["Queue", "Stage"]
        );
    }
}

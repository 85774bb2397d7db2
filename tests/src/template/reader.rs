//! infra/template.yaml as plain YAML. CloudFormation's short forms (`!Ref X`, `!GetAtt X.Arn`, `!Sub ...`)
//! come back from saphyr as tagged nodes; [`Node`] reads through them and tells which tag wraps a value.

use saphyr::{LoadableYamlNode, YamlOwned};
use std::path::{Path, PathBuf};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

pub struct Template {
    root: YamlOwned,
}

/// A borrowed node of the template, possibly missing, with the accessors the checks and the emulator need.
#[derive(Clone, Copy)]
pub struct Node<'a>(pub Option<&'a YamlOwned>);

impl Template {
    /// infra/template.yaml of this checkout.
    pub fn load() -> Self {
        let path = workspace_root().join("infra/template.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        Self::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// A template from its text (tests feed edited copies).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut documents = YamlOwned::load_from_str(text).map_err(|e| format!("not YAML: {e}"))?;
        if documents.len() != 1 {
            return Err(format!(
                "a template is one YAML document, this has {}",
                documents.len()
            ));
        }
        Ok(Self {
            root: documents.remove(0),
        })
    }

    pub fn root(&self) -> Node<'_> {
        Node(Some(&self.root))
    }

    pub fn resources(&self) -> Vec<(&str, Node<'_>)> {
        self.root().get("Resources").entries()
    }

    pub fn resource(&self, name: &str) -> Node<'_> {
        let node = self.root().get("Resources").get(name);
        assert!(node.exists(), "the template has no resource {name}");
        node
    }

    pub fn resources_of_type(&self, kind: &str) -> Vec<(&str, Node<'_>)> {
        self.resources()
            .into_iter()
            .filter(|(_, r)| r.get("Type").str() == Some(kind))
            .collect()
    }

    /// Every function, by the binary SAM builds for it.
    pub fn functions(&self) -> Vec<(&str, &str, Node<'_>)> {
        self.resources_of_type("AWS::Serverless::Function")
            .into_iter()
            .map(|(name, f)| {
                let binary = f
                    .get("Metadata")
                    .get("BuildProperties")
                    .get("Binary")
                    .str()
                    .unwrap_or_else(|| panic!("{name} names no Metadata.BuildProperties.Binary"));
                (name, binary, f)
            })
            .collect()
    }

    /// The function resource that builds `binary`, with its logical id.
    pub fn function_by_binary(&self, binary: &str) -> (&str, Node<'_>) {
        self.functions()
            .into_iter()
            .find(|(_, b, _)| *b == binary)
            .map(|(name, _, f)| (name, f))
            .unwrap_or_else(|| panic!("no function of the template builds the binary {binary}"))
    }

    /// A function property, or the Globals value when the function does not set it.
    pub fn function_property<'a>(&'a self, function: Node<'a>, key: &str) -> Node<'a> {
        let own = function.get("Properties").get(key);
        if own.exists() {
            own
        } else {
            self.root().get("Globals").get("Function").get(key)
        }
    }

    /// The queue (logical id) an event source mapping feeds to the function resource `function`.
    pub fn consumed_queue(&self, function: &str) -> &str {
        let sources: Vec<&str> = self
            .resources_of_type("AWS::Lambda::EventSourceMapping")
            .into_iter()
            .filter(|(_, m)| m.get("Properties").get("FunctionName").ref_target() == Some(function))
            .map(|(name, m)| {
                m.get("Properties")
                    .get("EventSourceArn")
                    .getatt_target()
                    .unwrap_or_else(|| panic!("{name}: EventSourceArn is not a !GetAtt of a queue"))
            })
            .collect();
        assert_eq!(sources.len(), 1, "{function} consumes one queue");
        sources[0]
    }
}

impl<'a> Node<'a> {
    /// The node itself, or what a tag such as `!Ref` wraps.
    pub fn untagged(self) -> Option<&'a YamlOwned> {
        match self.0? {
            YamlOwned::Tagged(_, inner) => Some(inner),
            node => Some(node),
        }
    }

    pub fn exists(self) -> bool {
        self.0.is_some()
    }

    pub fn get(self, key: &str) -> Node<'a> {
        Node(self.untagged().and_then(|n| n.as_mapping_get(key)))
    }

    pub fn entries(self) -> Vec<(&'a str, Node<'a>)> {
        self.untagged()
            .and_then(YamlOwned::as_mapping)
            .map(|map| {
                map.iter()
                    .map(|(k, v)| (k.as_str().expect("mapping keys are strings"), Node(Some(v))))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn keys(self) -> Vec<&'a str> {
        self.entries().into_iter().map(|(k, _)| k).collect()
    }

    pub fn items(self) -> Vec<Node<'a>> {
        self.untagged()
            .and_then(YamlOwned::as_sequence)
            .map(|seq| seq.iter().map(|n| Node(Some(n))).collect())
            .unwrap_or_default()
    }

    pub fn str(self) -> Option<&'a str> {
        self.untagged().and_then(YamlOwned::as_str)
    }

    pub fn int(self) -> Option<i64> {
        let node = self.untagged()?;
        node.as_integer()
            .or_else(|| node.as_str().and_then(|s| s.parse().ok()))
    }

    pub fn bool(self) -> Option<bool> {
        self.untagged().and_then(YamlOwned::as_bool)
    }

    /// The short-form tag on this node (`Ref` for `!Ref`), if any.
    pub fn tag(self) -> Option<&'a str> {
        match self.0? {
            YamlOwned::Tagged(tag, _) => Some(tag.suffix.as_str()),
            _ => None,
        }
    }

    /// The resource a `!Ref X` names.
    pub fn ref_target(self) -> Option<&'a str> {
        (self.tag() == Some("Ref")).then(|| self.str()).flatten()
    }

    /// The resource a `!GetAtt X.Attribute` names.
    pub fn getatt_target(self) -> Option<&'a str> {
        (self.tag() == Some("GetAtt"))
            .then(|| self.str())
            .flatten()
            .and_then(|s| s.split('.').next())
    }
}

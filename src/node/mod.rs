//! One positioned value tree for every IaC format: JSON and YAML parse into it here, HCL in
//! `extract::terraform`. Every node keeps the byte span it came from, so a finding points at
//! the statement or element at fault. A value keyrot cannot resolve (a variable, an intrinsic
//! function) is `Unknown`: never assumed to be `*`, never dropped.
//!
//! `json_text.rs` reads JSON, `yaml_text.rs` YAML (saphyr-parser events), and `yaml_repair.rs`
//! the under-indented continuation lines CloudFormation accepts.

mod json_text;
mod yaml_repair;
mod yaml_text;

pub use json_text::{json, json_within_budget, parse_json, parse_json_at, JSON_DEPTH_BUDGET};
pub use yaml_text::{parse_yaml, yaml, YAML_DEPTH_BUDGET};

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Map(Vec<(String, Node)>),
    List(Vec<Node>),
    Str(String),
    /// Numbers, booleans, null, as written.
    Scalar(String),
    /// An expression that cannot be resolved statically, as written.
    Unknown(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Node {
    pub fn new(kind: Kind, start: usize, end: usize) -> Node {
        Node { kind, start, end }
    }

    /// The value under `key` of a map (keys compare exactly).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) | Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// A single node or the items of a list: how IAM reads `"Action": "x"` and `["x", "y"]` alike.
    pub fn items(&self) -> Vec<&Node> {
        match &self.kind {
            Kind::List(items) => items.iter().collect(),
            _ => vec![self],
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.kind {
            Kind::Map(entries) => entries,
            _ => &[],
        }
    }

    /// Every span of the tree, `(start, end)`, replaced by what `f` makes of it: moved into a
    /// larger text, mapped back past repairs, or pinned to one place.
    pub fn respan(&mut self, f: &impl Fn(usize, usize) -> (usize, usize)) {
        (self.start, self.end) = f(self.start, self.end);
        match &mut self.kind {
            Kind::Map(entries) => entries.iter_mut().for_each(|(_, v)| v.respan(f)),
            Kind::List(items) => items.iter_mut().for_each(|v| v.respan(f)),
            _ => {}
        }
    }

    /// Every span of the tree set to `start..end` (a document that stands for one place).
    pub fn pin(&mut self, start: usize, end: usize) {
        self.respan(&|_, _| (start, end));
    }
}

impl Node {
    /// The tree as plain JSON values, for deserializing data files (rule files) with serde.
    /// Unquoted scalars become numbers, booleans or null where YAML's core schema says so.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Kind::List(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Str(s) | Kind::Unknown(s) => Value::String(s.clone()),
            Kind::Scalar(s) => match s.as_str() {
                "true" | "True" | "TRUE" => Value::Bool(true),
                "false" | "False" | "FALSE" => Value::Bool(false),
                "null" | "Null" | "NULL" | "~" | "" => Value::Null,
                _ => s
                    .parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| s.parse::<f64>().map(Value::from))
                    .unwrap_or_else(|_| Value::String(s.clone())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_spans() {
        let text = r#"{"Statement": [{"Effect": "Allow", "Action": "*"}]}"#;
        let node = parse_json(text).unwrap();
        let action = &node.get("Statement").unwrap().items()[0]
            .get("Action")
            .unwrap();
        assert_eq!(&text[action.start..action.end], "\"*\"");
        assert!(parse_json("{not json").is_none());
    }

    #[test]
    fn single_pair_mappings_in_flow_sequences_hold_flow_collections() {
        let text =
            "Name: !Sub [ \"x-${ID}\", ID: !Select [2, !Split [\"/\", !Ref AWS::StackId]] ]\n";
        let node = yaml(text).unwrap();
        let sub = node.get("Name").unwrap().get("Fn::Sub").unwrap().items();
        assert_eq!(sub[0].as_str(), Some("x-${ID}"));
        assert!(sub[1].get("ID").unwrap().get("Fn::Select").is_some());
        // Its twin with a stray `]` is still not YAML.
        assert!(yaml("Name: !Sub [ \"x\", ID: [2]] ]\n").is_err());
    }

    #[test]
    fn a_quoted_scalar_continued_at_its_keys_column_reads_as_pyyaml_does() {
        let text = "P:\n  - Name: A\n    Doc: '{\n        \"a\": 1\n    }'\n  - Name: B\n";
        let node = yaml(text).unwrap();
        let items = node.get("P").unwrap().items();
        assert_eq!(items[0].get("Doc").unwrap().as_str(), Some("{ \"a\": 1 }"));
        assert_eq!(items[1].get("Name").unwrap().as_str(), Some("B"));
        // Spans stay in the original text.
        let b = items[1].get("Name").unwrap();
        assert_eq!(&text[b.start..b.end], "B");
        // PyYAML reads a continuation even at column 0; a scalar never closed is no YAML.
        assert!(yaml("P:\n  - Name: A\n    Doc: '{\n\"a\": 1 }'\n").is_ok());
        assert!(yaml("P:\n  - Name: A\n    Doc: '{\n\"a\": 1 }\n  - Name: B\n").is_err());
    }

    #[test]
    fn a_stream_with_no_document_is_empty() {
        assert_eq!(yaml("# nothing\n").unwrap().entries().len(), 0);
        assert!(yaml("a: [\n").is_err());
    }

    #[test]
    fn alias_bombs_and_deep_nesting_stop_at_their_budgets() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs: Vec<String> = (0..10).map(|_| format!("*a{}", i - 1)).collect();
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", refs.join(", ")));
        }
        let err = yaml(&bomb).unwrap_err();
        assert!(err.1.contains("budget"), "{err:?}");
        let deep = format!("{}x\n", "- ".repeat(10_000));
        let err = yaml(&deep).unwrap_err();
        assert!(err.1.contains("deeper"), "{err:?}");
        // Just under the bound, on a 2 MiB stack (a worker thread's), in a debug build: the
        // loader's recursion fits, and the builder's own budget answers.
        for text in [
            format!("{}x\n", "- ".repeat(250)),
            format!("a: {}x{}\n", "[".repeat(500), "]".repeat(500)),
        ] {
            let result = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || yaml(&text).map(|_| ()))
                .unwrap()
                .join()
                .expect("no stack overflow");
            assert!(
                result.is_err(),
                "deeper than {YAML_DEPTH_BUDGET} levels is refused"
            );
        }
        // A modest use of aliases is fine.
        let ok = "base: &b {Effect: Allow}\nuse: [*b, *b]\n";
        assert!(yaml(ok).is_ok());
    }

    #[test]
    fn yaml_that_cloudformation_accepts_parses_with_exact_positions() {
        let quoted = "Props:\n  Description: 'a long\n  text'\n  Key: \"after\"\n";
        let node = yaml(quoted).unwrap();
        let props = node.get("Props").unwrap();
        assert_eq!(
            props.get("Description").and_then(Node::as_str),
            Some("a long text")
        );
        let key = props.get("Key").unwrap();
        assert_eq!(&quoted[key.start..key.end], "\"after\"");
        let flow = "S:\n  - Action: [\n      \"*\"\n    ]\n    Resource: \"x\"\n";
        let node = yaml(flow).unwrap();
        let st = &node.get("S").unwrap().items()[0];
        let action = &st.get("Action").unwrap().items()[0];
        assert_eq!(&flow[action.start..action.end], "\"*\"");
        let resource = st.get("Resource").unwrap();
        assert_eq!(&flow[resource.start..resource.end], "\"x\"");
        assert!(yaml("a: [\n").is_err());
    }

    #[test]
    fn positions_after_a_block_scalar_with_non_ascii_text_are_exact() {
        let text = "Description: |\n  A template \u{2014} with an em dash \u{2014}\n  caf\u{e9}\nKey: \"after\"\n";
        let node = parse_yaml(text).unwrap();
        let v = node.get("Key").unwrap();
        assert_eq!(&text[v.start..v.end], "\"after\"");
    }

    #[test]
    fn escaped_non_ascii_scalars_do_not_split_characters() {
        let text = "a: \"caf\\u00e9 x\"\nb: \"\u{e9}\u{e9}\u{e9}\u{e9}\"\nc: \"\\t\\t\u{e9}\"\n";
        let node = parse_yaml(text).unwrap();
        for key in ["a", "b", "c"] {
            let v = node.get(key).unwrap();
            assert!(text.is_char_boundary(v.end), "{key}");
        }
    }

    #[test]
    fn yaml_tags_read_as_their_long_form_and_spans_point_at_values() {
        let text = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Arn: !GetAtt Role.Arn\n    Name: \"x\"\n";
        let node = parse_yaml(text).unwrap();
        let r = node.get("Resources").unwrap().get("R").unwrap();
        assert_eq!(r.get("Type").unwrap().as_str(), Some("AWS::IAM::Role"));
        // Short-form tags read as their long form; other tags are unknown.
        let arn = r.get("Arn").unwrap();
        assert_eq!(
            arn.get("Fn::GetAtt").and_then(Node::as_str),
            Some("Role.Arn")
        );
        let other = parse_yaml("A: !Custom x\n").unwrap();
        assert!(matches!(other.get("A").unwrap().kind, Kind::Unknown(_)));
        let name = r.get("Name").unwrap();
        assert_eq!(&text[name.start..name.end], "\"x\"");
    }
}

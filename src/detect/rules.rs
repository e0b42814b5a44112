//! Secret rules as data: loading `patterns/*.yml` (embedded) and a user's `--rules DIR`,
//! compiling them once, and checking that each rule's examples hold.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use regex::bytes::Regex;
use serde::Deserialize;

use crate::error::FileError;
use crate::rule::{Family, RuleMeta, Severity};

/// The rule files compiled into the binary.
const EMBEDDED: &[(&str, &str)] = &[
    ("patterns/aws.yml", include_str!("../../patterns/aws.yml")),
    ("patterns/iam.yml", include_str!("../../patterns/iam.yml")),
];
const DECOYS: &str = include_str!("../../patterns/decoys.yml");
const CANARIES: &str = include_str!("../../patterns/canary-accounts.txt");

/// What part a rule plays in AWS credential detection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// Reported on its own wherever it matches.
    #[default]
    Generic,
    /// An access key ID: the primary location of a credential finding.
    KeyId,
    /// A secret: paired with a nearby key ID, or reported alone when named by its context.
    SecretKey,
    /// A session token: attached to a nearby temporary key ID, or reported alone.
    SessionToken,
    /// A key ID with its secret (and token) nearby; has no pattern of its own.
    Pair,
    /// A check of live IAM (`audit`): documentation only, no pattern.
    Audit,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairSpec {
    pub key: String,
    pub secret: String,
    #[serde(default)]
    pub token: Option<String>,
    pub lines: usize,
}

/// One rule as written in a rule file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub kind: RuleKind,
    pub severity: Severity,
    #[serde(default = "default_precision")]
    pub precision: String,
    /// CWE number for SARIF tags.
    #[serde(default)]
    pub cwe: Option<u32>,
    /// Literals one of which must occur for the pattern to be tried (the prefilter).
    #[serde(default)]
    pub literals: Vec<String>,
    /// Literals that count only when one of `weak_needs_nearby` is within three lines.
    #[serde(default)]
    pub weak_literals: Vec<String>,
    #[serde(default)]
    pub weak_needs_nearby: Vec<String>,
    /// Literals match case-insensitively unless this is set.
    #[serde(default)]
    pub case_sensitive: bool,
    /// How many lines after a literal's line the pattern may match on.
    #[serde(default)]
    pub context_lines: usize,
    /// How many bytes either side of a literal the pattern is tried on (within those lines).
    #[serde(default = "default_reach")]
    pub reach: usize,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub pair: Option<PairSpec>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub why: String,
    #[serde(default)]
    pub remediation: String,
    #[serde(default)]
    pub references: Vec<String>,
}

fn default_precision() -> String {
    "high".into()
}

fn default_reach() -> usize {
    1024
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<RuleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecoyFile {
    examples: Vec<String>,
    example_prefixes: Vec<String>,
    placeholder_words: Vec<String>,
}

impl RuleSpec {
    /// What the catalogue, the docs and SARIF say about this rule.
    pub fn meta(&self) -> RuleMeta {
        let note = self.pair.as_ref().map(|pair| {
            format!(
                "A key ID of `{}` and a secret of `{}` at most {} lines apart make one finding of this rule; the secret is its related location.",
                pair.key, pair.secret, pair.lines
            )
        });
        RuleMeta {
            id: self.id.clone(),
            title: self.name.clone(),
            severity: self.severity,
            family: if self.kind == RuleKind::Audit {
                Family::Audit
            } else {
                Family::Secret
            },
            cwe: self.cwe,
            precision: self.precision.clone(),
            description: self.description.clone(),
            why: self.why.clone(),
            remediation: self.remediation.clone(),
            references: self.references.clone(),
            note: note.map(crate::rule::Note::Text),
            examples: self.examples.clone(),
            negative_examples: self.negative_examples.clone(),
        }
    }
}

/// A rule ready to run: its spec, its compiled pattern and where it came from.
#[derive(Debug)]
pub struct Rule {
    pub spec: RuleSpec,
    pub regex: Option<Regex>,
    /// Index of the named capture `secret` in `regex`.
    pub secret_group: usize,
    pub source: String,
}

/// Every rule in force, plus the data the AWS checks use.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub decoys: super::aws::Decoys,
    pub canary_accounts: HashSet<String>,
}

impl RuleSet {
    /// The embedded rules, plus every `*.yml`/`*.yaml` file in `extra` if given.
    pub fn load(extra: Option<&Path>) -> Result<RuleSet, FileError> {
        let mut rules = Vec::new();
        for (path, text) in EMBEDDED {
            rules.extend(parse(path, text)?);
        }
        if let Some(dir) = extra {
            for path in rule_files(dir)? {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| FileError::read(shown.clone(), source))?;
                rules.extend(parse(&shown, &text)?);
            }
        }
        let mut seen = HashSet::new();
        for rule in &rules {
            if !seen.insert(rule.spec.id.clone()) {
                return Err(invalid(
                    &rule.source,
                    format!("rule id `{}` is defined twice", rule.spec.id),
                ));
            }
        }
        for rule in &rules {
            if let Some(pair) = &rule.spec.pair {
                for (role, id) in [
                    ("key", Some(&pair.key)),
                    ("secret", Some(&pair.secret)),
                    ("token", pair.token.as_ref()),
                ] {
                    if let Some(id) = id {
                        if !seen.contains(id) {
                            return Err(invalid(
                                &rule.source,
                                format!(
                                    "rule `{}`: pair {role} `{id}` is not a rule",
                                    rule.spec.id
                                ),
                            ));
                        }
                    }
                }
            }
        }
        let decoys: DecoyFile = from_yaml("patterns/decoys.yml", DECOYS)?;
        let canary_accounts = CANARIES
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect();
        Ok(RuleSet {
            rules,
            decoys: super::aws::Decoys {
                examples: decoys.examples.into_iter().collect(),
                example_prefixes: decoys.example_prefixes,
                placeholder_words: decoys.placeholder_words,
                keep_documentation_accounts: false,
            },
            canary_accounts,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.spec.id == id)
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.spec.id == id)
    }
}

fn invalid(path: &str, message: String) -> FileError {
    FileError::invalid(path, message)
}

/// A YAML data file deserialized through keyrot's one YAML parser (`node`).
fn from_yaml<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> Result<T, FileError> {
    let root =
        crate::node::parse_yaml(text).ok_or_else(|| invalid(path, "not valid YAML".to_string()))?;
    serde_json::from_value(root.to_json()).map_err(|e| invalid(path, e.to_string()))
}

fn rule_files(dir: &Path) -> Result<Vec<PathBuf>, FileError> {
    let io = |source| FileError::read(dir.display().to_string(), source);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn parse(path: &str, text: &str) -> Result<Vec<Rule>, FileError> {
    let file: RuleFile = from_yaml(path, text)?;
    file.rules
        .into_iter()
        .map(|spec| compile(path, spec))
        .collect()
}

fn compile(path: &str, spec: RuleSpec) -> Result<Rule, FileError> {
    let at = |message: String| invalid(path, format!("rule `{}`: {message}", spec.id));
    if spec.id.is_empty()
        || !spec
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        return Err(at("the id must be letters, digits, `.`, `-` and `_`".into()));
    }
    let (regex, secret_group) = match (&spec.kind, &spec.pattern) {
        (RuleKind::Pair, None) => {
            if spec.pair.is_none() {
                return Err(at("a pair rule needs `pair`".into()));
            }
            (None, 0)
        }
        (RuleKind::Pair | RuleKind::Audit, Some(_)) => {
            return Err(at("pair and audit rules have no pattern".into()))
        }
        (RuleKind::Audit, None) => (None, 0),
        (_, None) => return Err(at("a pattern is required".into())),
        (_, Some(pattern)) => {
            let regex = Regex::new(pattern).map_err(|e| at(format!("bad pattern: {e}")))?;
            let group = regex
                .capture_names()
                .position(|n| n == Some("secret"))
                .ok_or_else(|| at("the pattern needs a named capture `(?P<secret>...)`".into()))?;
            if spec.literals.is_empty() {
                return Err(at("at least one prefilter literal is required".into()));
            }
            (Some(regex), group)
        }
    };
    Ok(Rule {
        spec,
        regex,
        secret_group,
        source: path.to_string(),
    })
}

/// Checks every rule against its own examples: each example must yield a finding of that rule,
/// no negative example may; a rule without examples or documentation is a problem too.
/// Returns one line per problem.
#[cfg(test)]
fn self_test(engine: &super::Engine) -> Vec<String> {
    use crate::context::{BlobContext, Detector};
    use crate::source::{Blob, Origin};
    let mut problems = Vec::new();
    for rule in &engine.rules.rules {
        let s = &rule.spec;
        let at = format!("{}: rule `{}`", rule.source, s.id);
        // Audit checks read live IAM: tests against a real IAM API prove them instead.
        let needs_examples = s.kind != RuleKind::Audit;
        if needs_examples && s.examples.is_empty() {
            problems.push(format!("{at}: no examples"));
        }
        if needs_examples && s.negative_examples.is_empty() {
            problems.push(format!("{at}: no negative examples"));
        }
        for gap in s.meta().documentation_gaps() {
            problems.push(format!("{}: {gap}", rule.source));
        }
        let fires = |text: &str| {
            let blob = Blob {
                origin: Origin::Stdin,
                bytes: text.as_bytes().into(),
            };
            let mut found = Vec::new();
            engine.scan(&BlobContext::new(&blob), &mut found);
            found.iter().any(|f| f.rule_id == s.id)
        };
        for example in &s.examples {
            if !fires(example) {
                problems.push(format!("{at}: example does not match: {example:?}"));
            }
        }
        for example in &s.negative_examples {
            if fires(example) {
                problems.push(format!("{at}: negative example matches: {example:?}"));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_rule_passes_its_examples() {
        let engine = super::super::Engine::new(RuleSet::load(None).unwrap(), None).unwrap();
        let problems = self_test(&engine);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn embedded_rules_load() {
        let set = RuleSet::load(None).unwrap();
        assert!(set.get("aws.access-key-id").is_some());
        assert!(set.canary_accounts.contains("052310077262"));
    }

    #[test]
    fn a_rule_without_a_secret_capture_is_refused() {
        let text = "rules:\n  - id: x\n    name: x\n    severity: low\n    literals: [a]\n    pattern: 'a+'\n";
        let err = crate::error::chain(&parse("x.yml", text).unwrap_err());
        assert!(err.contains("x.yml") && err.contains("secret"), "{err}");
    }
}

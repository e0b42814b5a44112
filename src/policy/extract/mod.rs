//! From a file to policy documents and IaC facts. Only files that look like IaC (by name and a
//! cheap content check) are parsed, so plain source files cost nothing extra.

pub mod cloudformation;
pub mod plan;
pub mod serverless;
pub mod terraform;

use super::model::{doc_from_node, DocKind, PolicyDoc};
use crate::node::Node;

/// Something the IaC declares that is a finding by itself, not a policy.
#[derive(Clone, Debug, PartialEq)]
pub enum FactKind {
    /// A long-lived access key created by code.
    AccessKey,
    /// A policy attached directly to a user.
    UserPolicy,
    /// An AWS-managed policy attached, by its ARN or name.
    ManagedPolicy(String),
    /// Another AWS-managed policy attached, by name: judged by its document.
    AwsManaged(String),
    /// A Lambda permission for any principal; whether a source ARN or account restricts it.
    LambdaPublic { restricted: bool },
    /// A Lambda permission for an AWS service with no source ARN or account: any account's
    /// resource of that service may invoke the function.
    LambdaServiceUnscoped(String),
}

#[derive(Clone, Debug)]
pub struct IacFact {
    pub kind: FactKind,
    pub context: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Default, Debug)]
pub struct Extracted {
    pub docs: Vec<PolicyDoc>,
    pub facts: Vec<IacFact>,
    /// A document's id attached to a user, role or group (`aws_iam_policy.p`, `aws_iam_role.r`).
    pub attachments: Vec<(String, String)>,
    /// A user in a group (`aws_iam_user.u`, `aws_iam_group.g`).
    pub memberships: Vec<(String, String)>,
    /// Parts of the file that did not parse (offset, what): the rest was analysed.
    pub broken: Vec<(usize, String)>,
    /// Policy documents nested in data that is not IaC (recorded API responses, test
    /// snapshots): counted, not analysed, unless `--policies-anywhere`.
    pub nested: u64,
    /// Terraform: the data documents this file defines, and its uses of ones it does not.
    pub tf_defined: Vec<String>,
    pub tf_dangling: Vec<terraform::DataUse>,
    /// Terraform plans: each module's address and its folder relative to the plan's folder.
    pub plan_modules: Vec<(String, String)>,
}

/// Whether a file's name allows it to be IaC at all: the check every file pays.
pub fn may_be_iac(path: &str) -> bool {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    ["tf", "tofu", "yml", "yaml", "template", "json"]
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e))
}

/// What a file's name alone decides about how it is read as IaC (`format_of` and the JSON
/// carriers): two paths of one class give the same findings for the same content.
pub fn path_class(path: &str) -> u8 {
    if !may_be_iac(path) {
        return 0;
    }
    let (name, mut buf) = (file_name(path), [0; 8]);
    match lower_ext(name, &mut buf) {
        "tf" | "tofu" => 1,
        "json" if unread_form(name).is_some() => 7,
        "yml" | "yaml" if unread_form(name).is_some() => 8,
        "yml" | "yaml" if is_serverless(name) => 2,
        "yml" | "yaml" => 3,
        "template" => 4,
        "json" if path.ends_with(".snapshot.json") => 5,
        _ => 6,
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A file name's extension, lower-cased into `buf` (every file passes here: no allocation);
/// empty when there is none or it is longer than any keyrot reads.
fn lower_ext<'b>(name: &str, buf: &'b mut [u8; 8]) -> &'b str {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let Some(out) = buf.get_mut(..ext.len()) else {
        return "";
    };
    out.copy_from_slice(ext.as_bytes());
    out.make_ascii_lowercase();
    std::str::from_utf8(out).unwrap_or("")
}

/// `serverless.yml` in any case.
fn is_serverless(name: &str) -> bool {
    name.get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("serverless."))
}

/// The IaC formats keyrot reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Terraform,
    Serverless,
    CloudFormationYaml,
    CloudFormationJson,
    /// `terraform show -json` output.
    TerraformPlan,
    PolicyJson,
    /// A form that declares IAM but that keyrot does not read: named, never silently passed.
    Unread(&'static str),
}

/// The IaC forms keyrot names as not analysed, by file name: Terraform's JSON syntax and
/// Pulumi's YAML programs.
/// Every file named `*.json`, `*.yml` or `*.yaml` passes here: no allocation.
fn unread_form(name: &str) -> Option<&'static str> {
    let ends = |suffix: &str| {
        name.len() >= suffix.len()
            && name.as_bytes()[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    let pulumi = name.len() > 7 && name.as_bytes()[..7].eq_ignore_ascii_case(b"pulumi.");
    if ends(".tf.json") || ends(".tofu.json") {
        Some("Terraform JSON syntax")
    } else if pulumi && (ends(".yaml") || ends(".yml")) {
        Some("a Pulumi YAML program")
    } else {
        None
    }
}

/// Why a file that looks like IaC gave no documents.
impl ExtractError {
    /// Where in the file it went wrong, as far as the parser says.
    pub fn at(&self) -> usize {
        match self {
            ExtractError::NotYaml { at, .. }
            | ExtractError::Budget { at, .. }
            | ExtractError::NotJson { at } => *at,
            ExtractError::Grammar(_) | ExtractError::ParserGaveUp | ExtractError::Unread { .. } => {
                0
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("not valid YAML: {message}")]
    NotYaml { at: usize, message: String },
    /// A budget on untrusted input was reached (alias expansion, nesting).
    #[error("not analysed: {message}")]
    Budget { at: usize, message: String },
    #[error("not valid JSON")]
    NotJson { at: usize },
    #[error("HCL grammar: {0}")]
    Grammar(String),
    #[error("HCL parser gave up")]
    ParserGaveUp,
    #[error("keyrot does not read {what}: the IAM it declares is not checked")]
    Unread { what: &'static str },
}

/// Which format a file is, from its name and a look at its text.
pub fn format_of(path: &str, text: impl AsRef<[u8]>) -> Option<Format> {
    let text = text.as_ref();
    let (name, mut buf) = (file_name(path), [0; 8]);
    match lower_ext(name, &mut buf) {
        // Only what can declare a policy or an IAM fact: a policy argument or document, an
        // IAM resource, a Lambda permission. Other Terraform costs a look, not a parse.
        "tf" | "tofu" if terraform::may_declare(text) => Some(Format::Terraform),
        // Forms not read, named when they may declare IAM (a policy, a role, a user).
        "json" | "yml" | "yaml" if let Some(what) = unread_form(name) => {
            let iam = has(text, "aws_iam_")
                || has(text, "aws:iam:")
                || has(text, "\"policy\"")
                || has(text, "policy:");
            iam.then_some(Format::Unread(what))
        }
        "yml" | "yaml" if is_serverless(name) => Some(Format::Serverless),
        // Only a template naming a resource type keyrot reads (or spelling one with escapes,
        // `AWS::` included): others are not parsed.
        "yml" | "yaml" | "template"
            if has(text, "Resources") && cloudformation::may_declare(text) =>
        {
            Some(Format::CloudFormationYaml)
        }
        // A resource's `"Type": "AWS::..."`, not the name in a sentence (SDK service models
        // mention `AWS::EC2::Instance` in their documentation); test snapshots are data.
        "json" | "template"
            if !name.ends_with(".snapshot.json")
                && has(text, "\"Resources\"")
                && has_resource_type(text) =>
        {
            cloudformation::may_declare(text).then_some(Format::CloudFormationJson)
        }
        "json" if has(text, "\"planned_values\"") && has(text, "\"format_version\"") => {
            Some(Format::TerraformPlan)
        }
        // `"Effect"` with its closing quote: documentation strings that mention a policy
        // (`\"Effect\"`, as in SDK service models) do not count.
        "json" if has(text, "\"Statement\"") && has(text, "\"Effect\"") => Some(Format::PolicyJson),
        _ => None,
    }
}

/// Whether `needle` is in `text`: memchr's SIMD search, several times faster than
/// `str::contains` on the megabytes of JSON data every scan looks at.
pub(crate) fn has(text: &[u8], needle: &str) -> bool {
    memchr::memmem::find(text, needle.as_bytes()).is_some()
}

/// Whether a JSON text has a `"Type": "AWS::..."` member (any spacing).
fn has_resource_type(bytes: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, b"\"AWS::").any(|at| {
        let before = bytes[..at].trim_ascii_end();
        before
            .strip_suffix(b":")
            .is_some_and(|b| b.trim_ascii_end().ends_with(b"\"Type\""))
    })
}

/// Whether a part left unread (`Extracted::broken`) was left for a budget on nesting.
pub fn stopped_by_budget(why: &str) -> bool {
    why.ends_with(NESTED_TOO_DEEP)
}

const NESTED_TOO_DEEP: &str = "nested too deep";

fn json(text: &str) -> Result<Node, ExtractError> {
    crate::node::json_within_budget(text).map_err(|stop| {
        if stop.too_deep {
            ExtractError::Budget {
                at: stop.at,
                message: format!(
                    "nested deeper than the JSON budget of {} levels",
                    crate::node::JSON_DEPTH_BUDGET
                ),
            }
        } else {
            ExtractError::NotJson { at: stop.at }
        }
    })
}

fn yaml(text: &str) -> Result<Node, ExtractError> {
    crate::node::yaml(text).map_err(|(at, message)| {
        if message.contains("budget") {
            ExtractError::Budget { at, message }
        } else {
            ExtractError::NotYaml { at, message }
        }
    })
}

/// Parses `text` if it looks like IaC. `Err` when it looks like IaC and does not parse. (The
/// scan asks `format_of` on the bytes first, then `extract_as`.)
#[cfg(test)]
pub fn extract(
    path: &str,
    text: &str,
    anywhere: bool,
    module: &terraform::ModuleView,
) -> Result<Extracted, ExtractError> {
    match format_of(path, text) {
        Some(format) => extract_as(format, path, text, anywhere, module),
        None => Ok(Extracted::default()),
    }
}

/// Reads `text` as `format` (what `format_of` said of it).
pub fn extract_as(
    format: Format,
    path: &str,
    text: &str,
    anywhere: bool,
    module: &terraform::ModuleView,
) -> Result<Extracted, ExtractError> {
    let mut out = extract_format(format, path, text, anywhere, module)?;
    if out
        .facts
        .iter()
        .any(|f| matches!(f.kind, FactKind::AwsManaged(_)))
    {
        managed_documents(&mut out);
    }
    Ok(out)
}

fn extract_format(
    format: Format,
    path: &str,
    text: &str,
    anywhere: bool,
    module: &terraform::ModuleView,
) -> Result<Extracted, ExtractError> {
    match format {
        Format::Terraform => terraform::extract(text, module),
        Format::Serverless => {
            let mut root = yaml(text)?;
            embedded_documents(&mut root, text, 0);
            Ok(serverless::extract(&root))
        }
        Format::CloudFormationYaml => {
            let mut root = yaml(text)?;
            embedded_documents(&mut root, text, 0);
            Ok(cloudformation::extract(&root))
        }
        Format::CloudFormationJson => {
            let mut root = json(text)?;
            embedded_documents(&mut root, text, 0);
            Ok(cloudformation::extract(&root))
        }
        Format::TerraformPlan => {
            let root = json(text)?;
            Ok(plan::extract(&root))
        }
        Format::PolicyJson => policy_json(path, text, anywhere),
        Format::Unread(what) => Err(ExtractError::Unread { what }),
    }
}

/// Template keys whose value is a policy document.
const TEMPLATE_DOCUMENTS: &[&str] = &[
    "PolicyDocument",
    "AssumeRolePolicyDocument",
    "KeyPolicy",
    "PolicyText",
];

/// A template's policy document written as a JSON string (`PolicyDocument: !Sub '{...}'`, a
/// string in a JSON template), replaced by the document it spells. A single-quoted YAML scalar
/// is JSON as written, so its statements keep their own spans; any other spelling is read from
/// the string's value, every span then the string's.
fn embedded_documents(node: &mut Node, text: &str, depth: usize) {
    if depth > crate::node::YAML_DEPTH_BUDGET {
        return;
    }
    if let crate::node::Kind::Map(entries) = &mut node.kind {
        for (key, value) in entries.iter_mut() {
            if TEMPLATE_DOCUMENTS.contains(&key.as_str()) {
                if let Some(doc) = spelled_document(value, text) {
                    *value = doc;
                    continue;
                }
            }
            embedded_documents(value, text, depth + 1);
        }
    } else if let crate::node::Kind::List(items) = &mut node.kind {
        items
            .iter_mut()
            .for_each(|v| embedded_documents(v, text, depth + 1));
    }
}

fn spelled_document(value: &Node, text: &str) -> Option<Node> {
    // `!Sub '{...}'`, `{"Fn::Sub": "{...}"}`, `!Sub ['{...}', {vars}]`: the template is the
    // document, its `${...}` unknown until deployment (the shapes say so).
    let string = match value.get("Fn::Sub") {
        Some(sub) => match &sub.kind {
            crate::node::Kind::List(items) => items.first()?,
            _ => sub,
        },
        None => value,
    };
    let spelled = string.as_str()?;
    if !spelled.trim_start().starts_with('{') {
        return None;
    }
    // A scalar's span starts at its tag (`!Sub '{`).
    let quote = text.get(string.start..).and_then(|r| {
        let tag = if r.starts_with('!') {
            r.find([' ', '\t', '\n'])?
        } else {
            0
        };
        let skip = tag + r[tag..].len() - r[tag..].trim_start().len();
        r[skip..].starts_with('\'').then_some(string.start + skip)
    });
    if let Some(open) = quote {
        let raw = &text[open..];
        let close = raw[1..].find('\'').map(|i| i + 1)?;
        if !raw[close..].starts_with("''") {
            if let Some(node) = crate::node::parse_json_at(&raw[1..close], open + 1) {
                return Some(node);
            }
        }
    }
    let mut node = crate::node::parse_json(spelled)?;
    node.pin(string.start, string.end);
    Some(node)
}

/// A policy document anywhere in a JSON file: the root, or any object with `Statement`
/// entries holding `Effect` (e.g. `aws iam get-policy-version` output).
fn policy_json(path: &str, text: &str, anywhere: bool) -> Result<Extracted, ExtractError> {
    let mut out = Extracted::default();
    // Test snapshots record API responses: data, not something anyone deploys. Unless asked
    // to report them, their documents are counted by their `"Statement":` keys, unparsed.
    let recorded = path.ends_with(".snapshot.json");
    if recorded && !anywhere {
        out.nested = statement_keys(text);
        return Ok(out);
    }
    let root = json(text)?;
    // An SDK's recorded response (boto3 adds `ResponseMetadata`; the CLI's output has none):
    // data a test replays, not a policy anyone deploys.
    if root.get("ResponseMetadata").is_some() && !anywhere {
        out.nested = statement_keys(text);
        return Ok(out);
    }
    find_docs(
        &root,
        !recorded,
        anywhere || !recorded,
        anywhere,
        &mut out,
        0,
    );
    Ok(out)
}

/// How many `"Statement"` keys (the name followed by `:`) a JSON text has: one per policy
/// document in it.
fn statement_keys(text: &str) -> u64 {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, b"\"Statement\"")
        .filter(|&at| {
            bytes[at + 11..]
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|&b| b == b':')
        })
        .count() as u64
}

/// A CloudFormation stack policy (`Update:*` actions) is not an IAM policy.
fn is_stack_policy(node: &Node) -> bool {
    let statements = node.get("Statement").map(Node::items).unwrap_or_default();
    let actions: Vec<&str> = statements
        .iter()
        .flat_map(|s| {
            s.get("Action")
                .or_else(|| s.get("NotAction"))
                .map(Node::items)
                .unwrap_or_default()
        })
        .filter_map(Node::as_str)
        .collect();
    !actions.is_empty() && actions.iter().all(|a| a.starts_with("Update:"))
}

/// Keys under which JSON carries a deployable policy: `aws iam` outputs
/// (`get-policy-version`, `get-role`, `get-role-policy`, `get-account-authorization-details`),
/// key policies, bucket policies.
const CARRIERS: &[&str] = &[
    "PolicyDocument",
    "Document",
    "AssumeRolePolicyDocument",
    "KeyPolicy",
    "Policy",
    "policy",
];

/// Policy documents at the root or under a carrier key are analysed; one nested anywhere else
/// (a recorded API response, a test snapshot) is only counted, unless `anywhere`.
fn find_docs(
    node: &Node,
    carried: bool,
    carriers: bool,
    anywhere: bool,
    out: &mut Extracted,
    depth: usize,
) {
    if depth > 64 {
        out.broken
            .push((node.start, format!("policy JSON {NESTED_TOO_DEEP}")));
        return;
    }
    if let Some(statement) = node.get("Statement") {
        let looks_like_policy = statement.items().iter().any(|s| s.get("Effect").is_some());
        if looks_like_policy && is_stack_policy(node) {
            return;
        }
        if looks_like_policy {
            if carried || anywhere {
                let kind = guess_kind(node);
                if let Some(doc) = doc_from_node(node, kind, "policy document".into()) {
                    out.docs.push(doc);
                }
            } else {
                out.nested += 1;
            }
            return;
        }
    }
    match &node.kind {
        crate::node::Kind::Map(entries) => entries.iter().for_each(|(k, v)| {
            // `aws iam` outputs carry their documents near the top
            // (`PolicyVersion.Document`, `Policies[].PolicyVersionList[].Document`); a carrier
            // key deep inside other data is that data's.
            let carrier = carriers && depth < 5 && CARRIERS.contains(&k.as_str());
            find_docs(v, carrier, carriers, anywhere, out, depth + 1)
        }),
        crate::node::Kind::List(items) => items
            .iter()
            .for_each(|v| find_docs(v, carried, carriers, anywhere, out, depth + 1)),
        _ => {}
    }
}

/// What a document found on its own governs: a trust policy when every statement has a
/// principal and only assumes roles, a resource policy when statements name principals, else an
/// identity policy.
pub fn guess_kind(doc: &Node) -> DocKind {
    let statements = doc.get("Statement").map(|s| s.items()).unwrap_or_default();
    let principal = |s: &&Node| s.get("Principal").is_some() || s.get("NotPrincipal").is_some();
    let assumes = |s: &&Node| {
        s.get("Action").is_some_and(|a| {
            a.items().iter().all(|a| {
                a.as_str().is_some_and(|t| {
                    let t = t.to_ascii_lowercase();
                    // What a role's trust policy grants beside assuming it.
                    t.starts_with("sts:assumerole")
                        || ["sts:tagsession", "sts:setsourceidentity", "sts:setcontext"]
                            .contains(&t.as_str())
                })
            })
        })
    };
    if !statements.is_empty() && statements.iter().all(|s| principal(s) && assumes(s)) {
        DocKind::Trust
    } else if statements.iter().any(principal) {
        DocKind::Resource
    } else {
        DocKind::Identity
    }
}

/// An AWS-managed policy attached at `arn`: the administrator ones as the managed-admin fact,
/// any other the table knows as a document to judge (`FactKind::AwsManaged`). `bare` where a
/// plain name is accepted (SAM's `Policies`).
pub fn attached_managed(arn: &Node, bare: bool, context: &str) -> Option<IacFact> {
    let fact = |kind| IacFact {
        kind,
        context: context.to_string(),
        start: arn.start,
        end: arn.end,
    };
    if let Some(text) = arn.as_str().filter(|n| is_admin_managed_policy(n)) {
        return Some(fact(FactKind::ManagedPolicy(text.to_string())));
    }
    let name = super::managed::name_of(arn, bare)?;
    Some(fact(if is_admin_managed_policy(&name) {
        FactKind::ManagedPolicy(name)
    } else {
        FactKind::AwsManaged(name)
    }))
}

/// AWS-managed policies attached (`FactKind::AwsManaged`) become the documents they are,
/// placed at the attachment: judged as any identity policy is.
fn managed_documents(out: &mut Extracted) {
    let facts = std::mem::take(&mut out.facts);
    for fact in facts {
        let FactKind::AwsManaged(name) = &fact.kind else {
            out.facts.push(fact);
            continue;
        };
        let Some(node) = super::managed::document(name, fact.start, fact.end) else {
            continue;
        };
        let context = format!("{} attaches AWS-managed {name}", fact.context);
        if let Some(mut doc) = doc_from_node(&node, DocKind::Identity, context) {
            doc.aws_owned = true;
            out.docs.push(doc);
        }
    }
}

/// The AWS-managed policies that grant (nearly) everything.
pub fn is_admin_managed_policy(name: &str) -> bool {
    let last = name.rsplit('/').next().unwrap_or(name);
    matches!(
        last,
        "AdministratorAccess" | "IAMFullAccess" | "PowerUserAccess"
    ) && (name == last || name.contains(":aws:policy/"))
}

#[cfg(test)]
mod tests {
    use super::{format_of, Format};

    #[test]
    fn a_document_spelled_as_a_json_string_is_read_with_its_spans() {
        let text = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - PolicyName: A\n          PolicyDocument: !Sub '{\n              \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"mq:*\", \"Resource\": \"${Broker}\"}]\n          }'\n        - PolicyName: B\n          PolicyDocument: \"{\\\"Statement\\\": [{\\\"Effect\\\": \\\"Allow\\\", \\\"Action\\\": \\\"s3:*\\\", \\\"Resource\\\": \\\"*\\\"}]}\"\n";
        let out = super::extract("t.yaml", text, false, &Default::default()).unwrap();
        assert_eq!(out.docs.len(), 2, "{text}");
        let action = &out.docs[0].statements[0].actions[0];
        assert_eq!(&text[action.start..action.end], "\"mq:*\"");
        // Double-quoted: read from its value, at the string's place.
        let action = &out.docs[1].statements[0].actions[0];
        assert_eq!(action.text.as_deref(), Some("s3:*"));
        assert!(text[action.start..].starts_with("\"{"));
        // A string that is not a document is left alone.
        let plain = text.replace("'{", "'x{");
        let out = super::extract("t.yaml", &plain, false, &Default::default()).unwrap();
        assert_eq!(out.docs.len(), 1);
    }

    #[test]
    fn a_json_template_needs_a_resource_type_member() {
        let template = r#"{"Resources": {"R": {"Type" : "AWS::IAM::Role", "Properties": {}}}}"#;
        assert_eq!(
            format_of("stack.json", template),
            Some(Format::CloudFormationJson)
        );
        // An SDK model: resource types named in documentation, escaped or in prose.
        let model = r#"{"shapes": {"Resources": {"documentation": "an AWS::EC2::Instance, or \"AWS::IAM::Role\""}}}"#;
        assert_eq!(format_of("service-2.json", model), None);
        // A recorded stack in a test snapshot is data, not a template.
        assert_ne!(
            format_of("test_stacks.snapshot.json", template),
            Some(Format::CloudFormationJson)
        );
    }

    #[test]
    fn only_templates_naming_a_type_that_is_read_are_parsed() {
        let template = |kind: &str, props: &str| {
            format!("Resources:\n  R:\n    Type: {kind}\n    Properties:\n{props}")
        };
        let doc = "      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: '*'\n            Resource: '*'\n";
        let weak = [
            ("AWS::IAM::ManagedPolicy", doc.to_string()),
            ("AWS::S3::BucketPolicy", doc.replace("Action", "Principal: '*'\n            Action")),
            ("AWS::SQS::QueuePolicy", doc.replace("Action", "Principal: '*'\n            Action")),
            ("AWS::SNS::TopicPolicy", doc.replace("Action", "Principal: '*'\n            Action")),
            ("AWS::KMS::Key", doc.replace("PolicyDocument", "KeyPolicy").replace("Action", "Principal: '*'\n            Action")),
            ("AWS::Lambda::Permission", "      Principal: '*'\n      Action: lambda:InvokeFunction\n".into()),
            ("AWS::Serverless::Function", "      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: '*'\n              Resource: '*'\n".into()),
            // A type spelled with an escape, as YAML and CloudFormation read it.
            ("\"AWS::\\x49AM::ManagedPolicy\"", doc.to_string()),
        ];
        assert_eq!(weak.len(), super::cloudformation::TYPES.len() + 1);
        // `AWS::` itself written with an escape.
        let escaped = template("\"\\x41WS::IAM::ManagedPolicy\"", doc);
        assert_eq!(
            format_of("t.yaml", &escaped),
            Some(Format::CloudFormationYaml)
        );
        let out = super::extract("t.yaml", &escaped, false, &Default::default()).unwrap();
        assert_eq!(out.docs.len(), 1);
        for (kind, props) in weak {
            let text = template(kind, &props);
            assert_eq!(
                format_of("t.yaml", &text),
                Some(Format::CloudFormationYaml),
                "{kind}"
            );
            let out = super::extract("t.yaml", &text, false, &Default::default()).unwrap();
            assert!(
                !out.docs.is_empty() || !out.facts.is_empty(),
                "{kind}: nothing read"
            );
        }
        // A template of other resources is not parsed, broken or not.
        let other = template("AWS::EC2::Instance", "      ImageId: [unclosed\n");
        assert_eq!(format_of("t.yaml", &other), None);
        // Nor read as a policy file for the document one of them holds.
        let json = r#"{"Resources": {"R": {"Type": "AWS::Logs::ResourcePolicy", "Properties": {"PolicyDocument": {"Statement": [{"Effect": "Allow"}]}}}}}"#;
        assert_eq!(format_of("t.json", json), None);
    }

    #[test]
    fn names_are_read_without_regard_to_case() {
        use super::path_class;
        let classes = [
            ("infra/MAIN.TF", 1),
            ("Serverless.YML", 2),
            ("stack.Yaml", 3),
            ("x.TEMPLATE", 4),
            ("t.snapshot.json", 5),
            ("policy.JSON", 6),
            ("README.md", 0),
            ("a.tfvars", 0),
        ];
        for (path, class) in classes {
            assert_eq!(path_class(path), class, "{path}");
        }
        let text = "resource \"aws_iam_policy\" \"p\" {\n  policy = \"{}\"\n}\n";
        assert_eq!(format_of("MAIN.TF", text), Some(Format::Terraform));
        assert_eq!(format_of("main.tfx", text), None);
    }
}

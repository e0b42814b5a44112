//! Privilege escalation: the paths of `patterns/escalation.yml` (Rhino Security Labs' methods,
//! the pathfinding.cloud catalogue, PMapper's edges), each a set of actions a principal needs
//! together on resources broad enough to reach others' permissions. Judged on what documents
//! grant after denials, each alone and each principal's together: a path may be completed by
//! a statement of another policy, which is then a related location.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::Deserialize;

use super::prelude::*;
use crate::policy::actions::db;
use crate::policy::conditions;
use crate::policy::model::Statement;

pub static CHECK: Check = Check {
    id: "policy.privilege-escalation",
    title: "Policy allows privilege escalation",
    severity: Severity::High,
    cwe: 269,
    rationale: "Some actions let a principal give itself more than it was granted: passing any role to new compute (`iam:PassRole` with `ec2:RunInstances`, `lambda:CreateFunction`, ...), running code on compute that already has a role (`ssm:SendCommand`, `lambda:UpdateFunctionCode`, ...), rewriting or attaching policies, creating keys or passwords for other users, editing trust policies, or setting the tags that other grants depend on.",
    remediation: "Scope `sts:AssumeRole` to the roles meant to be assumed (an assume-anything grant is judged by the roles of the same IaC whose trust lets IAM principals in: when one of them escalates, so does the grant). Scope `iam:PassRole` to the role ARNs the workload passes, with an `iam:PassedToService` condition; keep policy-editing and credential-creating IAM actions out of workload roles; scope them to the principal's own user (`${aws:username}`) where self-service is intended; scope code-running actions to the instances, functions and projects the workload owns.",
    fires: &[
        (
            "pass-role-to-lambda-by-condition.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}, {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}]}"#,
        ),
        (
            "pass-and-run.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]}"#,
        ),
        (
            "attach.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Attach*", "Resource": "*"}]}"#,
        ),
        (
            "across-statements.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}, {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]}"#,
        ),
        (
            "ssm.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*"}]}"#,
        ),
        (
            "prefix-wildcard.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "arn:aws:iam::*:policy/team-*"}]}"#,
        ),
        (
            "unknown-account.tf",
            "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = [\"iam:PassRole\", \"lambda:CreateFunction\", \"lambda:InvokeFunction\"], Resource = \"arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/*\" }] })\n}\n",
        ),
        (
            "heredoc-interpolation.tf",
            "resource \"aws_iam_policy\" \"p\" {\n  policy = <<EOF\n{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"iam:PassRole\", \"ec2:RunInstances\"], \"Resource\": \"arn:aws:iam::${var.account}:role/*\"}, {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": ${jsonencode(var.buckets)}}]}\nEOF\n}\n",
        ),
        (
            "two-policies-one-role.tf",
            "resource \"aws_iam_policy\" \"run\" {\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = \"ec2:RunInstances\", Resource = \"*\" }] })\n}\nresource \"aws_iam_policy\" \"pass\" {\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = \"iam:PassRole\", Resource = \"*\" }] })\n}\nresource \"aws_iam_role_policy_attachment\" \"a\" {\n  role       = aws_iam_role.r.name\n  policy_arn = aws_iam_policy.run.arn\n}\nresource \"aws_iam_role_policy_attachment\" \"b\" {\n  role       = aws_iam_role.r.name\n  policy_arn = aws_iam_policy.pass.arn\n}\n",
        ),
        (
            "role-and-managed-policy.yaml",
            "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Run:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: ec2:RunInstances\n            Resource: '*'\n  App:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {Service: ec2.amazonaws.com}\n            Action: sts:AssumeRole\n      ManagedPolicyArns:\n        - !Ref Run\n      Policies:\n        - PolicyName: pass\n          PolicyDocument:\n            Version: '2012-10-17'\n            Statement:\n              - Effect: Allow\n                Action: iam:PassRole\n                Resource: !Sub 'arn:aws:iam::${AWS::AccountId}:role/*'\n",
        ),
        (
            "not-action.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": ["iam:Update*", "iam:Create*", "iam:Attach*"], "Resource": "*"}]}"#,
        ),
        (
            "tags-gate-the-rest.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*"}, {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "ops"}}}]}"#,
        ),
    ],
    quiet: &[
        (
            "pass-role-to-another-service.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:app"}, {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringLike": {"iam:PassedToService": ["application-autoscaling.amazonaws.com", "dax.amazonaws.com"]}}}]}"#,
        ),
        (
            "pass-one-role.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "arn:aws:iam::123456789012:role/app"}]}"#,
        ),
        (
            "allow-then-deny.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}"#,
        ),
        (
            "aws-managed-policies-only.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "arn:aws:iam::aws:policy/fp4-*"}]}"#,
        ),
        (
            "expired.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*", "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}}]}"#,
        ),
        (
            "unknown-role-name.tf",
            "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", Action = [\"iam:PassRole\", \"ec2:RunInstances\"], Resource = \"arn:aws:iam::123456789012:role/${var.role}\" }] })\n}\n",
        ),
        (
            "tag-without-tag-gated-grants.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*"}]}"#,
        ),
    ],
    scope: Scope::Grants(predicate),
    note: Some(catalogue_page),
};

/// One path of `patterns/escalation.yml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Path {
    id: String,
    /// All required; `a|b` is either.
    actions: Vec<String>,
    severity: Severity,
    explains: String,
    reference: String,
    #[serde(default)]
    tag_gated: bool,
    /// Each of `actions` as the database's indexes of its alternatives, resolved once.
    #[serde(skip)]
    needs: Vec<Vec<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    paths: Vec<Path>,
}

const DATA: &str = include_str!("../../../patterns/escalation.yml");

fn catalogue() -> &'static [Path] {
    static PATHS: OnceLock<Vec<Path>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let root = crate::node::parse_yaml(DATA).expect("patterns/escalation.yml is YAML");
        let mut catalogue: Catalogue = serde_json::from_value(root.to_json())
            .unwrap_or_else(|e| panic!("patterns/escalation.yml: {e}"));
        for path in &mut catalogue.paths {
            path.needs = path
                .actions
                .iter()
                .map(|need| need.split('|').filter_map(|a| db().index(a)).collect())
                .collect();
        }
        catalogue.paths
    })
}

/// The catalogue, for `keyrot explain policy.privilege-escalation`.
fn catalogue_page() -> String {
    let mut out = String::from("Paths it knows (`patterns/escalation.yml`), each needing all its actions on broad resources:\n");
    for p in catalogue() {
        out.push_str(&format!(
            "\n- `{}` ({}): {} — {}. {}",
            p.id,
            p.severity,
            p.actions.join(" + "),
            p.explains,
            p.reference
        ));
    }
    out.push('\n');
    out
}

/// A statement that grants `action` on a broad resource, or nothing.
fn grants(st: &Expanded, action: &str) -> bool {
    db().index(action).is_some_and(|i| grants_index(st, i))
}

/// `grants`, for the database's index of the action.
fn grants_index(st: &Expanded, action: usize) -> bool {
    // `*` on `*` is the full-admin check's finding.
    st.granted.contains(action) && broad_resource(st.statement) && !st.is_everything()
}

/// Whether some grant of these statements depends on a tag condition.
fn tag_gated(statements: &[(&PolicyDoc, &Expanded)]) -> bool {
    statements.iter().any(|(_, e)| {
        !e.granted.is_empty()
            && e.statement.conditions.iter().any(|c| {
                let k = c.key.to_ascii_lowercase();
                k.starts_with("aws:resourcetag/") || k.starts_with("aws:principaltag/")
            })
    })
}

/// The services a path passes a role to: the prefixes of its other actions (`lambda`, `ec2`).
fn services_of(path: &Path) -> Vec<&str> {
    path.actions
        .iter()
        .flat_map(|a| a.split('|'))
        .filter(|a| !a.eq_ignore_ascii_case("iam:PassRole"))
        .filter_map(|a| a.split(':').next())
        .collect()
}

/// Whether a statement granting `iam:PassRole` lets the role be passed to one of `services`:
/// an `iam:PassedToService` condition naming only other services (`dax.amazonaws.com` in
/// `AmazonDynamoDBFullAccess`) does not.
fn passes_to(st: &crate::policy::model::Statement, services: &[&str]) -> bool {
    let positive = |op: &str| {
        let op = op.rsplit(':').next().unwrap_or(op).to_ascii_lowercase();
        let op = op.strip_suffix("ifexists").unwrap_or(&op).to_string();
        matches!(op.as_str(), "stringequals" | "stringlike" | "stringequalsignorecase")
    };
    st.conditions
        .iter()
        .filter(|c| c.key.eq_ignore_ascii_case("iam:PassedToService") && positive(&c.operator))
        .all(|c| {
            c.values.iter().any(|v| match v.as_deref() {
                // Known only at deployment: it may name the service.
                None => true,
                Some(v) => {
                    let v = v.to_ascii_lowercase();
                    v.starts_with('*')
                        || services.iter().any(|s| {
                            let s = s.to_ascii_lowercase();
                            v.starts_with(&format!("{s}.")) || v.starts_with(&format!("{s}-"))
                        })
                }
            })
        })
}

/// Each path these statements satisfy, with the statements that give it (the last completes it).
fn satisfied(g: &Grants) -> Vec<(&'static Path, Vec<usize>)> {
    let mut found: Vec<(&Path, Vec<usize>)> = Vec::new();
    let gated = tag_gated(&g.statements);
    for path in catalogue() {
        if path.tag_gated && !gated {
            continue;
        }
        let mut used = Vec::new();
        let services = services_of(path);
        let pass_role = db().index("iam:PassRole");
        let complete = path.needs.iter().all(|need| {
            let hit = g.statements.iter().position(|(_, st)| {
                need.iter().any(|&action| {
                    grants_index(st, action)
                        && (Some(action) != pass_role
                            || passes_to(st.statement, &services))
                })
            });
            if let Some(i) = hit {
                used.push(i);
            }
            hit.is_some()
        });
        if complete {
            used.sort_unstable();
            used.dedup();
            found.push((path, used));
        }
    }
    found
}

/// The actions this check judges in one document: those of every path the document
/// satisfies by itself, as granted, lower-cased. The other grant checks leave exactly these
/// to it, so that a code-running action without `iam:PassRole` (`lambda:CreateFunction` on
/// `*`) is still judged, by the resource-wildcard check, and `iam:PassRole` once.
/// The escalation paths the statements of one principal satisfy together: their explanations,
/// and the worst severity.
pub(super) fn escalates(g: &Grants) -> Option<(Severity, Vec<String>)> {
    let found = satisfied(g);
    let severity = found.iter().map(|(p, _)| p.severity).max()?;
    let described = found
        .iter()
        .map(|(p, used)| format!("{} ({})", action_list(p, g, *used.last().unwrap_or(&0)), p.explains))
        .collect();
    Some((severity, described))
}

pub(super) fn claimed(doc: &PolicyDoc, statements: &[Expanded]) -> BTreeSet<String> {
    let g = Grants {
        statements: statements.iter().map(|e| (doc, e)).collect(),
    };
    satisfied(&g)
        .iter()
        .flat_map(|(path, _)| resolved(path, &g))
        .map(str::to_ascii_lowercase)
        .collect()
}

fn predicate(g: &Grants, out: &mut Vec<Raw>) {
    let mut found = satisfied(g);
    // A path that a longer satisfied path contains says nothing more.
    let contained = |small: &Path, big: &Path| {
        small.actions.len() < big.actions.len()
            && small.actions.iter().all(|a| big.actions.contains(a))
    };
    let kept: Vec<bool> = found
        .iter()
        .map(|(p, _)| !found.iter().any(|(q, _)| contained(p, q)))
        .collect();
    let mut keep = kept.into_iter();
    found.retain(|_| keep.next().unwrap_or(true));
    // One finding per completing statement, naming every path it completes.
    let mut completers: Vec<usize> = found.iter().map(|(_, used)| *used.last().unwrap()).collect();
    completers.sort_unstable();
    completers.dedup();
    for at in completers {
        let paths: Vec<&(&Path, Vec<usize>)> = found
            .iter()
            .filter(|(_, used)| *used.last().unwrap() == at)
            .collect();
        let (_, st) = g.statements[at];
        let mut severity = paths
            .iter()
            .map(|(p, _)| p.severity)
            .max()
            .unwrap_or(CHECK.severity);
        let described: Vec<String> = paths
            .iter()
            .map(|(p, _)| format!("{} ({})", action_list(p, g, at), p.explains))
            .collect();
        let mut message = described.join("; ");
        // A narrowing condition on any statement the path needs lowers it one step.
        let involved: BTreeSet<usize> = paths.iter().flat_map(|(_, u)| u.iter().copied()).collect();
        let narrowed = involved.iter().find_map(|&i| {
            conditions::narrowing(g.statements[i].1.statement, Audience::Attached)
        });
        if let Some(c) = narrowed {
            severity = severity.lower();
            message.push_str(&format!(
                " (lowered: restricted by condition {})",
                conditions::describe(c)
            ));
        }
        let first_action = paths[0].0.actions.iter().flat_map(|a| a.split('|')).find(|a| st.allows(a));
        let place = first_action.map_or((st.statement.start, st.statement.end), |a| st.at(a));
        let related = involved
            .iter()
            .filter(|&&i| i != at)
            .map(|&i| {
                let (doc, other) = g.statements[i];
                (
                    other.statement.start,
                    other.statement.end,
                    format!("also needed: {}", granted_names(other.statement, other, paths.iter().map(|(p, _)| *p), &doc.context)),
                )
            })
            .collect();
        // Each path's own fix, in the order of the paths, each once.
        let mut fixes: Vec<String> = Vec::new();
        for (p, _) in &paths {
            let fix = fix(p, g);
            if !fixes.contains(&fix) {
                fixes.push(fix);
            }
        }
        out.push(Raw {
            severity,
            at: place,
            message,
            related,
            remedy: Some(fixes.join(" ")),
        });
    }
}

/// Each of the path's actions, an `a|b` alternative resolved to the one granted.
fn resolved<'p>(path: &'p Path, g: &Grants) -> Vec<&'p str> {
    path.actions
        .iter()
        .map(|need| {
            need.split('|')
                .find(|a| g.statements.iter().any(|(_, st)| grants(st, a)))
                .unwrap_or(need)
        })
        .collect()
}

/// What to change for one path, from the kind of its actions: passing roles, editing policies
/// or trust, group membership, other users' credentials, tags, or running code on compute that
/// already has a role.
fn fix(path: &Path, g: &Grants) -> String {
    let granted = resolved(path, g);
    let quoted = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let others: Vec<&str> = granted.iter().copied().filter(|a| *a != "iam:PassRole").collect();
    if granted.contains(&"iam:PassRole") {
        let service = others
            .first()
            .and_then(|a| a.split(':').next())
            .unwrap_or("the service");
        return format!(
            "Scope `iam:PassRole` to the ARNs of the roles this workload passes, with a condition `iam:PassedToService` = `{service}.amazonaws.com`; grant {} only on the resources the workload owns.",
            quoted(&others)
        );
    }
    let action = granted.first().copied().unwrap_or_default();
    let name = action.split(':').nth(1).unwrap_or(action);
    match name {
        "CreatePolicyVersion" | "SetDefaultPolicyVersion" => format!(
            "Remove `{action}`, or limit its `Resource` to the managed policies this principal administers by ARN (never a policy attached to itself or to more privileged principals)."
        ),
        "AttachUserPolicy" | "AttachGroupPolicy" | "AttachRolePolicy" => format!(
            "Remove `{action}`, or limit its `Resource` to the principals this one administers by ARN, with a condition on `iam:PolicyARN` naming the policies it may attach and `iam:PermissionsBoundary` requiring a boundary."
        ),
        "PutUserPolicy" | "PutGroupPolicy" | "PutRolePolicy" => format!(
            "Remove `{action}`, or limit its `Resource` to the principals this one administers by ARN, with `iam:PermissionsBoundary` requiring a boundary on them; inline policies cannot be limited by content."
        ),
        "AddUserToGroup" => format!(
            "Limit `{action}` to the groups this principal administers by ARN, none with more permissions than it has itself."
        ),
        "UpdateAssumeRolePolicy" => format!(
            "Remove `{action}`, or limit its `Resource` to the roles this principal administers by ARN: editing a trust policy lets it assume the role."
        ),
        "CreateAccessKey" | "CreateLoginProfile" | "UpdateLoginProfile" => format!(
            "Scope `{action}` to the principal's own user (`arn:aws:iam::ACCOUNT:user/${{aws:username}}`) where self-service is intended; otherwise remove it."
        ),
        n if n.starts_with("Tag") || n.starts_with("Untag") => format!(
            "Limit `{action}` with conditions on `aws:TagKeys` and `aws:RequestTag` so that it cannot set or remove the tag keys other grants depend on."
        ),
        _ => format!(
            "Scope {} to the resources this workload owns by ARN (or with an `aws:ResourceTag` condition): code it runs there acts with those resources' roles.",
            quoted(&granted)
        ),
    }
}

/// `iam:PassRole with ec2:RunInstances`, each alternative resolved to what is granted.
fn action_list(path: &Path, g: &Grants, _at: usize) -> String {
    match resolved(path, g).as_slice() {
        [one] => format!("{one} on every resource"),
        [first, rest @ ..] => format!("{first} with {}", list(rest, 3)),
        [] => String::new(),
    }
}

/// Which of the paths' actions a related statement grants, and where it is.
fn granted_names<'a>(
    _statement: &Statement,
    st: &Expanded,
    paths: impl Iterator<Item = &'a Path>,
    context: &str,
) -> String {
    let mut names: Vec<&str> = paths
        .flat_map(|p| p.actions.iter())
        .flat_map(|a| a.split('|'))
        .filter(|a| st.allows(a))
        .collect();
    names.sort_unstable();
    names.dedup();
    format!("{} in {context}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_loads_and_names_real_actions() {
        let db = crate::policy::actions::db();
        for path in catalogue() {
            for action in path.actions.iter().flat_map(|a| a.split('|')) {
                assert!(db.index(action).is_some(), "{}: {action} is not an IAM action", path.id);
            }
        }
        assert!(catalogue().len() >= 35);
    }

    fn fires(name: &str, text: &str) -> bool {
        let extracted = crate::policy::extract::extract(name, text, false, &Default::default()).unwrap();
        crate::policy::checks::run(&extracted, "2026-11-30")
            .hits
            .iter()
            .any(|h| h.check.id == CHECK.id)
    }

    #[test]
    fn every_path_fires_on_every_resource_and_not_on_one_role() {
        for path in catalogue() {
            let actions: Vec<String> = path
                .actions
                .iter()
                .map(|a| format!("\"{}\"", a.split('|').next().unwrap()))
                .collect();
            let gate = if path.tag_gated {
                r#", {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "x"}}}"#
            } else {
                ""
            };
            // As Terraform writes it: a managed policy with a heredoc document.
            let policy = |resource: &str| {
                format!(
                    "resource \"aws_iam_policy\" \"p\" {{\n  policy = <<EOF\n{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": [{}], \"Resource\": \"{resource}\"}}{gate}]}}\nEOF\n}}\n",
                    actions.join(", ")
                )
            };
            assert!(fires("main.tf", &policy("*")), "{} does not fire on *", path.id);
            assert!(
                !fires("main.tf", &policy("arn:aws:iam::123456789012:role/app")),
                "{} fires on one named resource",
                path.id
            );
        }
    }
}

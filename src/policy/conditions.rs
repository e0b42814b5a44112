//! What a condition does to a statement, judged the way IAM evaluates it: by operator and
//! value, not by key name alone. A condition narrows a grant only with a positive operator
//! (not `...Not...`, not `Null`, not `ForAllValues:`), without `IfExists` unless the key is on
//! every request, with concrete values (no bare `*`, no `0.0.0.0/0`, MFA `true`), on a key
//! that says who or from where. A date condition that can never hold again makes the
//! statement dead.

use super::actions::{db, ActionSet, Expansion};
use super::model::{Condition, Statement};

/// Condition keys that narrow who or what a statement applies to.
const RESTRICTING_KEYS: &[&str] = &[
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:MultiFactorAuthPresent",
    "aws:ResourceOrgID",
    "aws:ResourceAccount",
    "aws:CalledVia",
    // The account that owns the source: the console's default SNS topic policy.
    "aws:SourceOwner",
    // Access only through the account's own access points.
    "s3:DataAccessPointAccount",
    "s3:DataAccessPointArn",
    "sts:ExternalId",
    // AWS's standard key-policy statement for use through a service of one account.
    "kms:CallerAccount",
    "kms:ViaService",
];

/// Attribute-based access control: the grant is as narrow as who may set the tag.
const TAG_PREFIXES: &[&str] = &["aws:ResourceTag/", "aws:RequestTag/", "aws:PrincipalTag/"];

/// Keys present on every request, so that `...IfExists` on them still narrows.
const ALWAYS_PRESENT: &[&str] = &[
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:SecureTransport",
    "aws:RequestedRegion",
];

const NEGATED: &[&str] = &[
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NotIpAddress",
    "NumericNotEquals",
    "DateNotEquals",
];

/// Who a statement is for: anyone (`Principal: "*"`), where MFA and tags the caller sets
/// narrow nothing, or the principals a policy is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Anyone,
    Attached,
}

struct Operator<'a> {
    base: &'a str,
    if_exists: bool,
    for_all: bool,
}

fn operator(text: &str) -> Operator<'_> {
    let (for_all, rest) = match text.split_once(':') {
        Some((set, rest)) => (set.eq_ignore_ascii_case("ForAllValues"), rest),
        None => (false, text),
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    Operator {
        base,
        if_exists,
        for_all,
    }
}

fn key_in(key: &str, list: &[&str]) -> bool {
    list.iter().any(|k| k.eq_ignore_ascii_case(key))
}

fn is_tag_key(key: &str) -> bool {
    TAG_PREFIXES
        .iter()
        .any(|p| key.len() > p.len() && key[..p.len()].eq_ignore_ascii_case(p))
}

/// Whether this condition narrows who (or from where) the statement lets in.
pub fn narrows(c: &Condition, audience: Audience) -> bool {
    let op = operator(&c.operator);
    let key = c.key.as_str();
    // `Null aws:ResourceTag/k: false`: only resources that carry the tag (ABAC), as narrow as
    // who may tag them; anyone tags what they own in their own account.
    if op.base.eq_ignore_ascii_case("Null") && !op.for_all && !op.if_exists {
        return audience == Audience::Attached
            && key.len() > "aws:ResourceTag/".len()
            && key[.."aws:ResourceTag/".len()].eq_ignore_ascii_case("aws:ResourceTag/")
            && !c.values.is_empty()
            && c.values.iter().all(|v| {
                v.as_deref()
                    .is_some_and(|v| v.eq_ignore_ascii_case("false"))
            });
    }
    if op.for_all
        || op.base.eq_ignore_ascii_case("Null")
        || NEGATED.iter().any(|n| n.eq_ignore_ascii_case(op.base))
        || (op.if_exists && !key_in(key, ALWAYS_PRESENT))
    {
        return false;
    }
    let mfa = key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent");
    let restricting = key_in(key, RESTRICTING_KEYS) || is_tag_key(key);
    if !restricting {
        return false;
    }
    // Anyone can use MFA, and tag what they own, in their own account.
    if audience == Audience::Anyone && (mfa || is_tag_key(key)) {
        return false;
    }
    if c.values.is_empty() {
        return false;
    }
    c.values.iter().all(|v| match v.as_deref() {
        // A value of the deployment (`!Ref AWS::AccountId`): one value, never a wildcard.
        None => !mfa,
        Some(v) if mfa => v.eq_ignore_ascii_case("true"),
        Some(v) => {
            !v.is_empty()
                && !v.chars().all(|ch| ch == '*' || ch == '?')
                && v != "0.0.0.0/0"
                && v != "::/0"
                && !(op.base.contains("Like") && v.ends_with(":*") && v.len() < 16)
        }
    })
}

/// The first condition of `st` that narrows it, if any.
pub fn narrowing(st: &Statement, audience: Audience) -> Option<&Condition> {
    st.conditions.iter().find(|c| narrows(c, audience))
}

/// The negated operators whose `Deny` is an `Allow` only where the positive one holds.
const POSITIVE: &[(&str, &str)] = &[
    ("StringNotEquals", "StringEquals"),
    ("StringNotEqualsIgnoreCase", "StringEqualsIgnoreCase"),
    ("StringNotLike", "StringLike"),
    ("ArnNotEquals", "ArnEquals"),
    ("ArnNotLike", "ArnLike"),
    ("NotIpAddress", "IpAddress"),
];

/// The "deny unless" pattern: another statement of the same document denies `allow`'s
/// actions on its resources to every principal unless a restricting condition holds
/// (`Deny execute-api:Invoke` when `StringNotEquals aws:SourceVpce`, beside
/// `Allow * execute-api:Invoke`, AWS's private API policy). The allow is then as narrow as that
/// condition with its operator made positive, which is returned.
pub fn denied_unless<'a>(
    allow: &Statement,
    granted: &ActionSet,
    mut document: impl Iterator<Item = &'a Statement>,
    audience: Audience,
) -> Option<Condition> {
    document.find_map(|deny| {
        let denies = deny.effect.as_ref().is_some_and(|e| e.is("Deny"));
        if !denies
            || !deny.not_actions.is_empty()
            || !deny.not_principals.is_empty()
            || !deny.not_resources.is_empty()
            || !everyone(deny)
            || !covers_actions(deny, granted)
            || !covers_resources(deny, allow)
            || deny.conditions.len() != 1
        {
            return None;
        }
        let c = &deny.conditions[0];
        let op = operator(&c.operator);
        let (_, positive) = POSITIVE
            .iter()
            .find(|(neg, _)| neg.eq_ignore_ascii_case(op.base))?;
        let flipped = Condition {
            operator: format!("{positive}{}", if op.if_exists { "IfExists" } else { "" }),
            key: c.key.clone(),
            values: c.values.clone(),
        };
        // `StringNotEqualsIfExists` denies nothing when the key is absent: no narrowing unless
        // the key is on every request, which `narrows` weighs for the flipped `IfExists`.
        (!op.for_all && narrows(&flipped, audience)).then_some(flipped)
    })
}

/// `Principal: "*"` (or `{"AWS": "*"}`), or none (an identity policy's statement).
fn everyone(st: &Statement) -> bool {
    st.principals.is_empty() || st.principals.iter().any(|p| p.value.is("*"))
}

fn covers_actions(deny: &Statement, granted: &ActionSet) -> bool {
    let mut set = ActionSet::empty();
    for a in &deny.actions {
        match a.text.as_deref().map(|t| db().expand(t)) {
            Some(Expansion::Actions(s)) => set.union_with(&s),
            _ => return false,
        }
    }
    !granted.is_empty() && set.covers(granted)
}

fn covers_resources(deny: &Statement, allow: &Statement) -> bool {
    deny.on_any_resource()
        || allow.resources.iter().all(|r| {
            r.text.is_some()
                && deny.resources.iter().any(|d| {
                    d.text == r.text
                        || d.text
                            .as_deref()
                            .is_some_and(|d| covers_arn(d, r.text.as_deref().unwrap_or("")))
                })
        })
}

/// `arn:...:api/*` covers `arn:...:api/stage/GET/x`: a trailing-`*` prefix, the common form.
fn covers_arn(pattern: &str, arn: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => !prefix.contains(['*', '?']) && arn.starts_with(prefix),
        None => false,
    }
}

/// A condition that can never hold again: `DateLessThan` (or `...Equals`) a date already past
/// on `aws:CurrentTime` or `aws:TokenIssueTime`. `today` is `YYYY-MM-DD`.
pub fn never_holds<'a>(st: &'a Statement, today: &str) -> Option<&'a Condition> {
    st.conditions.iter().find(|c| {
        let op = operator(&c.operator);
        let before = op.base.eq_ignore_ascii_case("DateLessThan")
            || op.base.eq_ignore_ascii_case("DateLessThanEquals");
        before
            && !op.if_exists
            && (c.key.eq_ignore_ascii_case("aws:CurrentTime")
                || c.key.eq_ignore_ascii_case("aws:TokenIssueTime"))
            && !c.values.is_empty()
            && c.values.iter().all(|v| {
                v.as_deref()
                    .is_some_and(|d| d.len() >= 10 && d.is_char_boundary(10) && &d[..10] < today)
            })
    })
}

/// `IpAddress aws:SourceIp` style, for messages.
pub fn describe(c: &Condition) -> String {
    format!("{} {}", c.operator, c.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        Condition {
            operator: op.into(),
            key: key.into(),
            values: values.iter().map(|v| Some(v.to_string())).collect(),
        }
    }

    #[test]
    fn operators_and_values_decide_not_key_names() {
        let who = Audience::Attached;
        assert!(narrows(
            &cond("StringEquals", "aws:PrincipalOrgID", &["o-1"]),
            who
        ));
        assert!(!narrows(
            &cond("StringNotEquals", "aws:PrincipalOrgID", &["o-1"]),
            who
        ));
        assert!(!narrows(
            &cond("Null", "aws:PrincipalOrgID", &["false"]),
            who
        ));
        assert!(!narrows(
            &cond("StringEqualsIfExists", "aws:SourceVpce", &["vpce-1"]),
            who
        ));
        assert!(narrows(
            &cond(
                "ArnLikeIfExists",
                "aws:PrincipalArn",
                &["arn:aws:iam::1:role/x"]
            ),
            who
        ));
        assert!(!narrows(
            &cond("StringLike", "aws:PrincipalArn", &["*"]),
            who
        ));
        assert!(!narrows(
            &cond("IpAddress", "aws:SourceIp", &["0.0.0.0/0"]),
            who
        ));
        assert!(narrows(
            &cond("IpAddress", "aws:SourceIp", &["203.0.113.0/24"]),
            who
        ));
        assert!(!narrows(
            &cond("Bool", "aws:MultiFactorAuthPresent", &["false"]),
            who
        ));
        assert!(narrows(
            &cond("Bool", "aws:MultiFactorAuthPresent", &["true"]),
            who
        ));
        assert!(!narrows(
            &cond("Bool", "aws:MultiFactorAuthPresent", &["true"]),
            Audience::Anyone
        ));
        assert!(!narrows(
            &cond("ForAllValues:StringEquals", "aws:PrincipalOrgID", &["o-1"]),
            who
        ));
        assert!(narrows(
            &cond("StringEquals", "kms:CallerAccount", &["111122223333"]),
            who
        ));
        assert!(narrows(
            &cond("StringEquals", "aws:ResourceTag/team", &["data"]),
            who
        ));
        assert!(!narrows(
            &cond("StringEquals", "aws:PrincipalTag/team", &["data"]),
            Audience::Anyone
        ));
        assert!(!narrows(
            &cond("StringEquals", "s3:prefix", &["home/"]),
            who
        ));
    }
}

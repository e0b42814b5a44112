//! Rotation and revocation guidance per finding, with the exact commands for that key.
//! Offline, the owning user is unknown: the first step finds it.

use crate::finding::{Facts, KeyState, Remedy, Step};

fn step(text: &str, command: Option<String>) -> Step {
    Step::new(text, command)
}

/// What a value found without its key ID is, for its remedy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoneValue {
    SecretKey,
    SessionToken,
    Other,
}

/// Guidance for a credential named by its key ID; `exposed` when its secret was found too.
pub fn for_key(facts: &Facts, exposed: bool) -> Remedy {
    let key = facts.key_id.as_deref().unwrap_or("KEY_ID");
    if facts.canary {
        return Remedy {
            summary: format!("Do not use {key}: it is a canary token. If your team did not plant it, treat this repository as watched and ask who did."),
            steps: vec![step("Remove the token from the code if it is not meant to be a tripwire here.", None)],
        };
    }
    if facts.key_type == Some(crate::finding::KeyType::Temporary) {
        return temporary(key, exposed);
    }
    let known_user = facts.iam.as_ref().and_then(|i| i.user.as_deref());
    let user = known_user.unwrap_or("USER_NAME");
    match facts.iam.as_ref().map(|i| i.state) {
        Some(KeyState::Deleted) => {
            return Remedy {
                summary: format!("{key} no longer exists in IAM: remove it from the code, and from the history of any shared repository"),
                steps: vec![step("Remove the key from the code; rewrite history only where the repository is shared.", None)],
            }
        }
        Some(KeyState::Inactive) => {
            let delete = format!("aws iam delete-access-key --user-name {user} --access-key-id {key}");
            return Remedy {
                summary: format!("{key} is inactive: delete it ({delete}) and remove it from the code"),
                steps: vec![
                    step("Check in CloudTrail that nothing tried to use it since it was deactivated.", Some(format!("aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key}"))),
                    step("Delete it.", Some(delete)),
                    step("Remove the key from the code.", None),
                ],
            };
        }
        _ => {}
    }
    let mut steps = Vec::new();
    if known_user.is_none() {
        steps.push(step(
            "Find the owner (account and IAM user) of the key.",
            Some(format!("aws sts get-access-key-info --access-key-id {key} && aws iam get-access-key-last-used --access-key-id {key}")),
        ));
    }
    let deactivate = step(
        "Deactivate the old key (it can be re-activated if something breaks).",
        Some(format!(
            "aws iam update-access-key --user-name {user} --access-key-id {key} --status Inactive"
        )),
    );
    if exposed {
        steps.push(step(
            "The secret is exposed: deactivate the key now, before anything else.",
            deactivate.command.clone(),
        ));
    }
    steps.push(step(
        "Create a replacement key; better, move the workload to an IAM role or a secrets manager so the next rotation needs no code change.",
        Some(format!("aws iam create-access-key --user-name {user}")),
    ));
    steps.push(step(
        "Move every consumer to the new credential and deploy.",
        None,
    ));
    steps.push(step(
        "Check in CloudTrail that nothing still uses the old key, and what it was used for.",
        Some(format!("aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key}")),
    ));
    if !exposed {
        steps.push(deactivate);
    }
    steps.push(step(
        "Delete the old key.",
        Some(format!(
            "aws iam delete-access-key --user-name {user} --access-key-id {key}"
        )),
    ));
    steps.push(step(
        "Remove the key from the code; rewriting git history helps but never replaces rotation.",
        None,
    ));
    let summary = if exposed {
        format!("Revoke now: aws iam update-access-key --user-name {user} --access-key-id {key} --status Inactive, then rotate")
    } else {
        format!("Rotate {key}: create a new key, move consumers to it, deactivate and delete the old one")
    };
    Remedy { summary, steps }
}

/// The revoking policy's cut-off, stamped by the shell when the command runs: a time written
/// at scan time would leave valid every session minted between the scan and the revocation
/// (and would make the report depend on when it was written, whatever `--as-of` says).
/// It closes the single-quoted document, substitutes `date`, and reopens it.
const ISSUED_BEFORE_NOW: &str = r#"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"#;

/// Temporary credentials cannot be deactivated one by one: revoke the role's older sessions.
fn temporary(key: &str, exposed: bool) -> Remedy {
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"*","Resource":"*","Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"{ISSUED_BEFORE_NOW}"}}}}}}]}}"#
    );
    let mut steps = vec![
        step(
            "Find the account that issued the session.",
            Some(format!("aws sts get-access-key-info --access-key-id {key}")),
        ),
        step(
            "Revoke every session of the role issued before the command runs (the console's \"Revoke active sessions\" does the same).",
            Some(format!("aws iam put-role-policy --role-name ROLE_NAME --policy-name AWSRevokeOlderSessions --policy-document '{policy}'")),
        ),
        step(
            "Check in CloudTrail what the session did.",
            Some(format!("aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key}")),
        ),
    ];
    steps.push(step(
        "Stop whatever wrote temporary credentials into a file, and remove them from the code.",
        None,
    ));
    let summary = if exposed {
        format!("Revoke the role's sessions issued before now (aws:TokenIssueTime), then find what wrote {key} here")
    } else {
        format!(
            "Temporary key {key}: revoke the role's older sessions if its secret may be exposed"
        )
    };
    Remedy { summary, steps }
}

/// Guidance for a secret or token found without its key ID.
pub fn for_value(kind: LoneValue) -> Remedy {
    match kind {
        LoneValue::SecretKey => Remedy {
            summary: "Find the key ID this secret belongs to and deactivate that key now, then rotate".into(),
            steps: vec![
                step("Find the key: its ID is usually in the same configuration, CI variables or a neighbouring file; otherwise list the keys of the likely users.", Some("aws iam list-access-keys --user-name USER_NAME".into())),
                step("Deactivate it now.", Some("aws iam update-access-key --user-name USER_NAME --access-key-id KEY_ID --status Inactive".into())),
                step("Create a replacement (better, an IAM role or a secrets manager entry), move consumers to it, then delete the old key.", Some("aws iam delete-access-key --user-name USER_NAME --access-key-id KEY_ID".into())),
            ],
        },
        LoneValue::SessionToken => Remedy {
            summary: "Revoke the role's sessions issued before now (aws:TokenIssueTime); remove the token from the code".into(),
            steps: vec![step("In IAM, on the role that issued the session, choose \"Revoke active sessions\", or attach a policy that denies requests whose aws:TokenIssueTime is before now.", None)],
        },
        LoneValue::Other => Remedy {
            summary: "Revoke this credential at its issuer and remove it from the code".into(),
            steps: Vec::new(),
        },
    }
}

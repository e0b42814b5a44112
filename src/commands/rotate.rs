//! `keyrot rotate` and `keyrot revoke`: each step on standard error as it is decided, the new
//! secret (when printed at all) alone on standard output. Exit 0 when the run reached its
//! goal (or printed its plan), 1 when it stopped short (waiting for the grace period, or a
//! state to fix first), 2 on an error.

use super::CommandError;
use crate::cli::{RevokeArgs, RotateArgs};

#[cfg(feature = "aws")]
fn finish(report: crate::iam::rotate::Report, execute: bool) -> Result<u8, CommandError> {
    use std::io::Write;
    let mode = if execute {
        ""
    } else {
        " (plan: nothing was changed; --execute does it)"
    };
    for step in &report.steps {
        eprintln!("keyrot: {step}");
    }
    if let Some((id, secret)) = &report.new_secret {
        let mut out = std::io::stdout().lock();
        writeln!(out, "AccessKeyId={id}\nSecretAccessKey={secret}")
            .map_err(super::io_error("cannot print the new key"))?;
    }
    if !mode.is_empty() {
        eprintln!("keyrot: {}", mode.trim_start());
    }
    // A plan always completes; an executed run that stopped short says so.
    Ok(u8::from(execute && report.incomplete))
}

/// `--max-key-age` is a policy of reports; rotation acts on one key, whatever its age.
#[cfg(feature = "aws")]
fn no_age_policy(aws: &crate::cli::AwsArgs, command: &str) -> Result<(), CommandError> {
    match aws.max_key_age {
        Some(_) => Err(CommandError::Usage(format!(
            "--max-key-age means nothing for {command}: it acts on the key named, whatever its age"
        ))),
        None => Ok(()),
    }
}

#[cfg(feature = "aws")]
pub(super) fn rotate(args: RotateArgs) -> Result<u8, CommandError> {
    no_age_policy(&args.aws, "rotate")?;
    let opts = crate::iam::rotate::RotateOptions {
        user: args.user,
        key_id: args.key_id,
        to_secret: args.to_secret,
        grace_days: i64::from(args.grace),
        force: args.force,
        delete: args.delete,
        execute: args.execute,
        now: args.aws.as_of.unwrap_or_else(crate::time::now),
    };
    let report = crate::iam::rotate::rotate(&opts, &super::audit::aws_options(&args.aws)?)?;
    finish(report, args.execute)
}

#[cfg(feature = "aws")]
pub(super) fn revoke(args: RevokeArgs) -> Result<u8, CommandError> {
    no_age_policy(&args.aws, "revoke")?;
    let rules = crate::detect::RuleSet::load(None)?;
    let canary = crate::detect::aws::account_id(&args.key_id)
        .is_some_and(|a| rules.canary_accounts.contains(&a));
    let opts = crate::iam::rotate::RevokeOptions {
        key_id: args.key_id,
        role: args.role,
        execute: args.execute,
        now: args.aws.as_of.unwrap_or_else(crate::time::now),
        canary,
    };
    let report = crate::iam::rotate::revoke(&opts, &super::audit::aws_options(&args.aws)?)?;
    finish(report, args.execute)
}

#[cfg(not(feature = "aws"))]
pub(super) fn rotate(_: RotateArgs) -> Result<u8, CommandError> {
    Err(CommandError::Usage(
        "rotate needs keyrot built with the `aws` feature (cargo install without --no-default-features)".into(),
    ))
}

#[cfg(not(feature = "aws"))]
pub(super) fn revoke(_: RevokeArgs) -> Result<u8, CommandError> {
    Err(CommandError::Usage(
        "revoke needs keyrot built with the `aws` feature (cargo install without --no-default-features)".into(),
    ))
}

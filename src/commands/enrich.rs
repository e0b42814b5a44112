//! The enrichment stage: live AWS facts added to the findings of a scan, in one place, after
//! suppression (so a suppressed key is still looked up, and nothing a team allowed is sent
//! for). `--iam` adds what IAM says of every key found (owner, state, age, last use, blast
//! radius, quarantine); `--cloudtrail` and `--cloudtrail-s3` what CloudTrail recorded of its
//! use. Findings are moved only as their facts say (severity up or down), and re-sorted.

use super::settings::Resolved;
use super::CommandError;
use crate::cli::ScanArgs;
use crate::outcome::ScanOutcome;

/// `--iam`: live facts for every distinct key found (never a canary-token key). When AWS
/// cannot be reached, one line says why and the offline findings stand, unless `--iam-required`.
#[cfg(feature = "aws")]
pub(super) fn iam_facts(
    args: &ScanArgs,
    settings: &Resolved,
    outcome: &mut ScanOutcome,
) -> Result<(), CommandError> {
    let mut keys: Vec<String> = outcome
        .findings
        .iter()
        .filter(|f| !f.facts.canary && f.facts.key_type.is_some())
        .filter_map(|f| f.facts.key_id.clone())
        .collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Ok(());
    }
    let today = crate::time::day(settings.as_of);
    match crate::iam::lookup::lookup(&keys, &super::audit::aws_options(&args.aws)?, &today) {
        Ok(facts) => {
            let policy = crate::iam::lookup::AgePolicy {
                max_key_age_days: i64::from(settings.max_key_age_days),
                as_of: settings.as_of,
            };
            crate::iam::lookup::enrich(&mut outcome.findings, &facts, policy);
            cloudtrail(args, settings, &facts, outcome)?;
            outcome
                .findings
                .sort_by_cached_key(crate::finding::Finding::sort_key);
            Ok(())
        }
        Err(err) if args.iam_required => Err(CommandError::Usage(format!(
            "--iam: cannot reach AWS: {err}"
        ))),
        Err(err) => {
            outcome.problems.push(format!(
                "--iam: cannot reach AWS, findings are offline only: {err}"
            ));
            Ok(())
        }
    }
}

/// `--cloudtrail`, `--cloudtrail-s3`: each key of the caller's account, its recorded use.
#[cfg(feature = "aws")]
fn cloudtrail(
    args: &ScanArgs,
    settings: &Resolved,
    facts: &std::collections::HashMap<String, crate::finding::KeyFacts>,
    outcome: &mut ScanOutcome,
) -> Result<(), CommandError> {
    use crate::finding::KeyState;
    let mut by_account: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (key, f) in facts {
        if matches!(
            f.state,
            KeyState::Active | KeyState::Inactive | KeyState::Deleted
        ) {
            if let Some(account) = &f.account {
                by_account
                    .entry(account.clone())
                    .or_default()
                    .push(key.clone());
            }
        }
    }
    let trail = super::trail::Trail {
        s3: args.cloudtrail_s3.as_deref(),
        lookup: args.cloudtrail,
        days: settings.cloudtrail_days,
        as_of: settings.as_of,
    };
    let aws = super::audit::aws_options(&args.aws)?;
    trail.evidence(
        &aws,
        by_account,
        &mut outcome.findings,
        &mut outcome.problems,
    )
}

#[cfg(not(feature = "aws"))]
pub(super) fn iam_facts(
    _: &ScanArgs,
    _: &Resolved,
    _: &mut ScanOutcome,
) -> Result<(), CommandError> {
    Err(CommandError::Usage(
        "--iam needs keyrot built with the `aws` feature".into(),
    ))
}

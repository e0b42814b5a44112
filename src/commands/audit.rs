//! `keyrot audit`: every access key of one or more AWS accounts, reported like a scan.

use super::CommandError;
use crate::cli::AuditArgs;

/// How to reach AWS; one profile only (only `audit` reads several).
#[cfg(feature = "aws")]
pub(super) fn aws_options(
    args: &crate::cli::AwsArgs,
) -> Result<crate::iam::AwsOptions, CommandError> {
    if args.profile.len() > 1 {
        return Err(CommandError::Usage(
            "--profile is given more than once: only audit reads several accounts through profiles"
                .into(),
        ));
    }
    Ok(aws_options_of(args, args.profile.first().cloned()))
}

#[cfg(feature = "aws")]
fn aws_options_of(args: &crate::cli::AwsArgs, profile: Option<String>) -> crate::iam::AwsOptions {
    crate::iam::AwsOptions {
        profile,
        region: args.region.clone(),
        timeout: std::time::Duration::from_secs(args.aws_timeout.max(1)),
        ..Default::default()
    }
}

#[cfg(feature = "aws")]
pub(super) fn audit(args: AuditArgs) -> Result<u8, CommandError> {
    use super::{report_outcome, Reporting};
    use crate::catalog::Catalog;
    use crate::cli::ColorChoice;
    use crate::detect::RuleSet;
    use crate::outcome::ScanOutcome;
    use crate::report;
    use crate::report::sarif::SarifOptions;

    let started = std::time::Instant::now();
    let catalog = Catalog::new(&RuleSet::load(None)?)?;
    // The same configuration a scan reads: the nearest `.keyrot.toml`, or `--config`.
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let config = crate::config::Config::load(args.config.as_deref(), &cwd)?;
    use super::settings::{Given, Resolved};
    let settings = Resolved::resolve(Given::audit(&args), &config, args.verbose);
    let fail_on = settings.fail_on;
    let opts = crate::iam::audit::AuditOptions {
        aws: aws_options_of(&args.aws, args.aws.profile.first().cloned()),
        profiles: args.aws.profile.iter().skip(1).cloned().collect(),
        max_key_age_days: i64::from(settings.max_key_age_days),
        max_unused_days: i64::from(settings.max_unused_days),
        as_of: settings.as_of,
        role_name: args.role_name.clone(),
        accounts: args.accounts.clone(),
        org: args.org,
        report_timeout: std::time::Duration::from_secs(args.report_timeout),
    };
    let mut audited = crate::iam::audit::run(&catalog, &opts)?;
    crate::suppress::Policy::of(&config, Default::default()).apply(&mut audited.findings);
    // CloudTrail's record of the keys the findings are about, by account.
    let mut by_account: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for f in &audited.findings {
        let account = f.facts.iam.as_ref().and_then(|k| k.account.clone());
        if let (Some(key), Some(account)) =
            (&f.facts.key_id, account.or(f.facts.account_id.clone()))
        {
            by_account.entry(account).or_default().push(key.clone());
        }
    }
    let trail = super::trail::Trail {
        s3: args.cloudtrail_s3.as_deref(),
        lookup: args.cloudtrail,
        days: settings.cloudtrail_days,
        as_of: opts.as_of,
    };
    trail.evidence(
        &opts.aws,
        by_account,
        &mut audited.findings,
        &mut audited.problems,
    )?;
    let keys: usize = audited.metrics.iter().map(|m| m.keys).sum();
    let accounts = audited.metrics.len();
    let label = args.label.clone().unwrap_or_else(|| {
        let ids: Vec<&str> = audited.metrics.iter().map(|m| m.account.as_str()).collect();
        format!("aws {}", ids.join(", "))
    });
    // An audit that could not read all it was asked to fails closed, as a scan does.
    let incomplete = !audited.problems.is_empty();
    let outcome = ScanOutcome {
        label: Some(label),
        incomplete,
        findings: audited.findings,
        problems: audited.problems,
        scope: Some(format!(
            "audit: {accounts} {}, {keys} access {}",
            if accounts == 1 { "account" } else { "accounts" },
            if keys == 1 { "key" } else { "keys" }
        )),
        metrics: Some(audited.metrics),
        inventory: Some(audited.inventory),
        duration: started.elapsed(),
        ..Default::default()
    };
    if let Some(path) = &args.inventory {
        let rows = outcome.inventory.iter().flatten();
        super::write_atomically(path, |out| {
            writeln!(out, "{}", crate::outcome::InventoryKey::CSV_HEADER)?;
            for row in rows {
                writeln!(out, "{}", row.csv_row())?;
            }
            Ok(())
        })?;
    }
    let how = Reporting {
        format: args.format,
        output: args.output.as_deref(),
        color: ColorChoice::Auto,
        show_suppressed: false,
        sarif: SarifOptions {
            category: args.sarif_category.as_deref(),
            max_results: report::sarif::GITHUB_MAX_RESULTS,
        },
        quiet: args.quiet,
        fail_on,
        markdown_summary: args.markdown_summary.as_deref(),
        allow_incomplete: false,
    };
    report_outcome(&outcome, &catalog, &how)
}

#[cfg(not(feature = "aws"))]
pub(super) fn audit(_: AuditArgs) -> Result<u8, CommandError> {
    Err(CommandError::Usage(
        "audit needs keyrot built with the `aws` feature".into(),
    ))
}

//! `keyrot scan` and `keyrot baseline`: configuration, rules, the scan itself (tree, history or
//! index), the team's suppressions, then live IAM facts when asked.

use std::path::{Path, PathBuf};

use super::{io_error, report_outcome, CommandError, Reporting};
use crate::catalog::Catalog;
use crate::cli::{FailOn, ScanArgs};
use crate::config::Config;
use crate::detect::{Engine, RuleSet};
use crate::outcome::ScanOutcome;
use crate::report::sarif::SarifOptions;
use crate::scan::git::GitOptions;
use crate::scan::ScanRequest;
use crate::source::fs::WalkOptions;
use crate::source::git::Selection;
use crate::suppress::{self, Policy};

/// A finished scan with what is needed to report it.
struct Scanned {
    catalog: Catalog,
    outcome: ScanOutcome,
    fail_on: FailOn,
}

fn execute(args: &ScanArgs) -> Result<Scanned, CommandError> {
    let start = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    let start = if start.as_os_str() == "-" {
        Path::new(".")
    } else {
        start
    };
    let config = Config::load(args.config.as_deref(), start)?;
    let fail_on = match (&args.fail_on, &config.fail_on) {
        (Some(level), _) => *level,
        (None, Some(level)) => FailOn::parse(level).unwrap_or(FailOn::Low),
        (None, None) => FailOn::Low,
    };
    let rules_dir = args.rules.clone().or_else(|| config.rules.clone());
    let rules = RuleSet::load(rules_dir.as_deref())?;
    let catalog = Catalog::new(&rules)?;
    let engine = Engine::new(rules, args.pair_lines.or(config.pair_lines))?;
    let filter = config.path_filter()?;
    let progress = !args.quiet && std::env::var_os("CI").is_none();
    let policies = crate::policy::Policies {
        anywhere: args.policies_anywhere,
    };
    let mut outcome = if args.git || args.staged {
        let repo = match args.paths.as_slice() {
            [one] => one.clone(),
            _ => {
                return Err(CommandError::Usage(
                    "--git and --staged take one repository path".into(),
                ))
            }
        };
        let opts = GitOptions {
            threads: args.threads,
            filter,
            max_file_size: args.max_file_size,
            progress,
            policies,
        };
        if args.staged {
            crate::scan::git::staged(&engine, &repo, &opts)?
        } else {
            crate::scan::git::history(&engine, &repo, &selection(args)?, &opts)?
        }
    } else {
        let request = ScanRequest {
            paths: args.paths.clone(),
            walk: WalkOptions {
                threads: args.threads,
                no_ignore: args.no_ignore,
                follow_links: !args.no_follow,
                max_file_size: args.max_file_size,
            },
            progress,
            filter,
            policies,
        };
        crate::scan::run(&engine, &request)
    };
    let policy = Policy {
        disabled: config.disable.iter().cloned().collect(),
        severity: config.severity.clone(),
        allowed: config
            .allow
            .iter()
            .map(|a| (a.fingerprint.clone(), a.reason.clone()))
            .collect(),
        baseline: match &args.baseline {
            Some(path) => suppress::read_baseline(path)?,
            None => Default::default(),
        },
    };
    policy.apply(&mut outcome.findings);
    if args.iam {
        let max_age = args.aws.max_key_age.or(config.max_key_age).unwrap_or(90);
        iam_facts(args, max_age, &mut outcome)?;
    }
    Ok(Scanned {
        catalog,
        outcome,
        fail_on,
    })
}

/// `--iam`: live facts for every distinct key found (never a canary-token key). When AWS
/// cannot be reached, one line says why and the offline findings stand, unless `--iam-required`.
#[cfg(feature = "aws")]
fn iam_facts(args: &ScanArgs, max_age: u32, outcome: &mut ScanOutcome) -> Result<(), CommandError> {
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
    match crate::iam::lookup::lookup(&keys, &super::audit::aws_options(&args.aws)) {
        Ok(facts) => {
            let policy = crate::iam::lookup::AgePolicy {
                max_key_age_days: i64::from(max_age),
                as_of: args.aws.as_of.unwrap_or_else(crate::time::now),
            };
            crate::iam::lookup::enrich(&mut outcome.findings, &facts, policy);
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

#[cfg(not(feature = "aws"))]
fn iam_facts(_: &ScanArgs, _: u32, _: &mut ScanOutcome) -> Result<(), CommandError> {
    Err(CommandError::Usage(
        "--iam needs keyrot built with the `aws` feature".into(),
    ))
}

fn selection(args: &ScanArgs) -> Result<Selection, CommandError> {
    let mut selection = Selection {
        tips: args.branch.clone(),
        hidden: args.since.clone(),
    };
    if let Some(range) = &args.range {
        let Some((from, to)) = range.split_once("..") else {
            return Err(CommandError::Usage(format!(
                "--range takes A..B, not `{range}`"
            )));
        };
        selection.hidden = Some(from.to_string());
        selection.tips = vec![if to.is_empty() { "HEAD" } else { to }.to_string()];
    }
    Ok(selection)
}

pub(super) fn scan(args: ScanArgs) -> Result<u8, CommandError> {
    let Scanned {
        catalog,
        outcome,
        fail_on,
    } = execute(&args)?;
    let how = Reporting {
        format: args.format,
        output: args.output.as_deref(),
        color: args.color,
        show_suppressed: args.show_suppressed,
        sarif: SarifOptions {
            category: args.sarif_category.as_deref(),
            max_results: args.sarif_max_results,
        },
        quiet: args.quiet,
        fail_on,
    };
    report_outcome(&outcome, &catalog, &how)
}

pub(super) fn baseline(mut args: ScanArgs) -> Result<u8, CommandError> {
    let path = args
        .output
        .take()
        .unwrap_or_else(|| PathBuf::from(".keyrot-baseline.json"));
    // A baseline records what is there now, whatever an older baseline said.
    args.baseline = None;
    let Scanned { outcome, .. } = execute(&args)?;
    super::print_notes(&outcome)?;
    let active: Vec<_> = outcome.active().cloned().collect();
    std::fs::write(&path, suppress::write_baseline(&active))
        .map_err(io_error(format!("cannot write {}", path.display())))?;
    if !args.quiet {
        eprintln!(
            "keyrot: wrote {} with {} {}",
            path.display(),
            active.len(),
            if active.len() == 1 {
                "finding"
            } else {
                "findings"
            }
        );
    }
    Ok(0)
}

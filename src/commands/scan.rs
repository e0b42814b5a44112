//! `keyrot scan` and `keyrot baseline`: configuration, rules, the scan itself (tree, history or
//! index), the team's suppressions, then live IAM facts when asked.

use std::path::{Path, PathBuf};

use super::{report_outcome, CommandError, Reporting};
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

/// The most worker threads a scan starts.
const MAX_THREADS: usize = crate::limits::DEFAULT.threads;

/// A finished scan with what is needed to report it.
struct Scanned {
    catalog: Catalog,
    outcome: ScanOutcome,
    fail_on: FailOn,
}

/// The revision a pull-request scan compares against: `--since REV`, or the `A` of `--range`.
fn base_revision(args: &ScanArgs) -> Option<String> {
    if !args.git {
        return None;
    }
    args.since.clone().or_else(|| {
        args.range
            .as_ref()
            .and_then(|r| r.split_once(".."))
            .map(|(a, _)| a.to_string())
    })
}

/// What the team decided (configuration, baseline), as a change cannot weaken it: in a scan of
/// what a change adds, read from the revision the change starts from. When the change edits
/// them, a note says so.
struct Settings {
    config: Config,
    baseline: std::collections::HashMap<String, Option<String>>,
    notes: Vec<String>,
}

fn settings(args: &ScanArgs, start: &Path) -> Result<Settings, CommandError> {
    let base = base_revision(args).filter(|_| args.config.is_none());
    let Some(base) = base else {
        return Ok(Settings {
            config: Config::load(args.config.as_deref(), start)?,
            baseline: match &args.baseline {
                Some(path) => suppress::read_baseline(path)?,
                None => Default::default(),
            },
            notes: Vec::new(),
        });
    };
    let repo = crate::source::git::open(start)?;
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| start.to_path_buf());
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    let rel = |path: &Path| -> Option<String> {
        let abs = std::fs::canonicalize(path).ok()?;
        let rel = abs.strip_prefix(&root).ok()?;
        Some(rel.to_string_lossy().replace('\\', "/"))
    };
    let mut notes = Vec::new();
    // The nearest `.keyrot.toml` from the scan root up to the repository root, at the base.
    let mut config = Config::default();
    let from = rel(start).unwrap_or_default();
    let mut dirs = vec![std::path::PathBuf::from(&from)];
    while let Some(mut parent) = dirs.last().cloned() {
        if !parent.pop() {
            break;
        }
        dirs.push(parent);
    }
    for dir in dirs {
        let candidate = if dir.as_os_str().is_empty() {
            crate::config::FILE_NAME.to_string()
        } else {
            format!("{}/{}", dir.to_string_lossy(), crate::config::FILE_NAME)
        };
        if let Some(bytes) = crate::source::git::file_at(&repo, &base, &candidate)? {
            let text = String::from_utf8_lossy(&bytes);
            config = Config::parse(&text, &format!("{candidate} at {base}"))?;
            // Extra rules named by it are read from the working tree, beside it.
            if let Some(rules) = config.rules.take() {
                config.rules = Some(root.join(&dir).join(rules));
            }
            if std::fs::read(root.join(&candidate)).ok().as_deref() != Some(&bytes[..]) {
                notes.push(format!(
                    "this change edits {candidate}: the scan uses the version at {base}"
                ));
            }
            break;
        }
        if root.join(&candidate).is_file() {
            notes.push(format!(
                "this change adds {candidate}: the scan ignores it and reads the configuration as at {base}"
            ));
        }
    }
    let baseline = match &args.baseline {
        None => Default::default(),
        Some(path) => match rel(path) {
            Some(rel_path) => match crate::source::git::file_at(&repo, &base, &rel_path)? {
                Some(bytes) => {
                    let now = std::fs::read(path).ok();
                    if now.as_deref() != Some(&bytes[..]) {
                        notes.push(format!(
                            "this change edits {rel_path}: the scan uses the baseline at {base}"
                        ));
                    }
                    suppress::parse_baseline(
                        &String::from_utf8_lossy(&bytes),
                        &format!("{rel_path} at {base}"),
                    )?
                }
                None => {
                    notes.push(format!(
                        "{rel_path} is not in {base}: this change adds it, so the scan uses no baseline"
                    ));
                    Default::default()
                }
            },
            // A baseline outside the repository is the CI's own: read it as it is.
            None => suppress::read_baseline(path)?,
        },
    };
    Ok(Settings {
        config,
        baseline,
        notes,
    })
}

fn execute(args: &ScanArgs) -> Result<Scanned, CommandError> {
    let start = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    let start = if start.as_os_str() == "-" {
        Path::new(".")
    } else {
        start
    };
    let Settings {
        config,
        baseline,
        notes,
    } = settings(args, start)?;
    use super::settings::{Given, Resolved};
    let resolved = Resolved::resolve(Given::scan(args), &config, args.verbose);
    let fail_on = resolved.fail_on;
    let mut rules = RuleSet::load(resolved.rules.as_deref())?;
    // With --iam the live lookup judges keys of the documentation accounts (an emulator's).
    rules.decoys.keep_documentation_accounts = args.iam;
    let catalog = Catalog::new(&rules)?;
    let engine =
        Engine::new(rules, resolved.pair_lines)?.with_decode_depth(usize::from(args.decode_depth));
    let filter = config.path_filter()?;
    // A progress line on a terminal, never in pipes or CI logs unless asked for.
    let progress = args.progress
        || (!args.quiet
            && std::env::var_os("CI").is_none()
            && std::io::IsTerminal::is_terminal(&std::io::stderr()));
    // A thread count past any machine's cores is a typo, not a plan.
    let threads = args.threads.min(MAX_THREADS);
    let mut notes = notes;
    if args.threads > MAX_THREADS {
        notes.push(format!(
            "--threads {} is capped at {MAX_THREADS}",
            args.threads
        ));
    }
    let policies = crate::policy::Policies {
        anywhere: args.policies_anywhere,
        today: Some(crate::time::day(resolved.as_of)),
        ..Default::default()
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
            threads,
            filter,
            max_file_size: args.max_file_size,
            archive: archive_limits(args),
            progress,
            policies,
            policies_at_head: args.policies_at_head,
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
                threads,
                no_ignore: args.no_ignore,
                follow_links: !args.no_follow,
                max_file_size: args.max_file_size,
                archive: archive_limits(args),
            },
            progress,
            filter,
            policies,
        };
        crate::scan::run(&engine, &request)
    };
    let policy = Policy::of(&config, baseline);
    outcome.notes.extend(notes);
    if base_revision(args).is_some() {
        review_added_allows(&mut outcome, args.strict_suppressions);
    }
    policy.apply(&mut outcome.findings);
    if args.iam {
        super::enrich::iam_facts(args, &resolved, &mut outcome)?;
    }
    Ok(Scanned {
        catalog,
        outcome,
        fail_on,
    })
}

/// In a scan of what a change adds, every finding is the change's, and so is an allow comment
/// on its line: it suppresses only under review (listed, and `underReview` in SARIF), or not
/// at all with `--strict-suppressions`.
fn review_added_allows(outcome: &mut ScanOutcome, strict: bool) {
    let mut n = 0;
    for finding in &mut outcome.findings {
        if finding
            .suppression
            .as_ref()
            .is_some_and(|s| s.by == crate::finding::SuppressedBy::Inline)
        {
            n += 1;
            if strict {
                finding.suppression = None;
            } else if let Some(s) = &mut finding.suppression {
                s.status = crate::finding::SuppressionStatus::UnderReview;
            }
        }
    }
    if n > 0 {
        outcome.notes.push(if strict {
            format!("{n} allow comments this change adds were not honoured (--strict-suppressions)")
        } else {
            format!("{n} findings suppressed by allow comments this change adds: under review")
        });
    }
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
    super::refuse_output_over_input(args.output.as_deref(), &args.paths)?;
    let Scanned {
        catalog,
        mut outcome,
        fail_on,
    } = execute(&args)?;
    outcome.label = args.label.clone().or_else(|| {
        let first = args.paths.first().map_or(Path::new("."), |p| p.as_path());
        if first == Path::new("-") {
            Some("stdin".into())
        } else {
            super::default_label(first)
        }
    });
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
        markdown_summary: args.markdown_summary.as_deref(),
        allow_incomplete: args.allow_incomplete,
    };
    report_outcome(&outcome, &catalog, &how)
}

pub(super) fn baseline(mut args: ScanArgs) -> Result<u8, CommandError> {
    // What only a report or live IAM uses means nothing to a baseline: refused, not ignored.
    let meaningless = [
        (args.format != crate::cli::Format::Text, "--format"),
        (args.fail_on.is_some(), "--fail-on"),
        (args.show_suppressed, "--show-suppressed"),
        (args.sarif_category.is_some(), "--sarif-category"),
        (args.label.is_some(), "--label"),
        (args.markdown_summary.is_some(), "--markdown-summary"),
        (args.iam, "--iam"),
        (args.verbose, "--verbose"),
        (args.baseline.is_some(), "--baseline"),
    ];
    if let Some((_, flag)) = meaningless.iter().find(|(given, _)| *given) {
        return Err(CommandError::Usage(format!(
            "{flag} means nothing for baseline (it writes the findings' fingerprints to --output)"
        )));
    }
    let path = args
        .output
        .take()
        .unwrap_or_else(|| PathBuf::from(".keyrot-baseline.json"));
    let Scanned { outcome, .. } = execute(&args)?;
    super::print_notes(&outcome)?;
    let active: Vec<_> = outcome.active().cloned().collect();
    let text = suppress::write_baseline(&active);
    super::write_atomically(&path, |out| out.write_all(text.as_bytes()))?;
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

/// The archive budgets the command line sets.
fn archive_limits(args: &ScanArgs) -> crate::source::archive::Limits {
    crate::source::archive::Limits {
        depth: args.archive_depth,
        bytes: args.max_archive_size,
        ..Default::default()
    }
}

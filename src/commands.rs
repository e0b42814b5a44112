//! The subcommands: each turns parsed arguments into work and an exit code (0 nothing at or
//! above `--fail-on`, 1 findings at or above it); errors become exit code 2 in `main`.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{
    AuditArgs, Cli, ColorChoice, Command, ExplainArgs, FailOn, InstallHookArgs, RulesArgs, ScanArgs,
};
use crate::config::Config;
use crate::report::{self, sarif::SarifOptions, Format};
use crate::scan::git::GitOptions;
use crate::source::fs::WalkOptions;
use crate::source::git::Selection;
use crate::suppress::{self, Policy};
use crate::{Engine, RuleSet, ScanOutcome, ScanRequest};

pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Baseline(args) => baseline(args),
        Command::Rules(args) => rules(args),
        Command::Explain(args) => explain(args),
        Command::InstallHook(args) => install_hook(args),
        Command::Audit(args) => audit(args),
    }
}

/// A finished scan with what is needed to report it.
struct Scanned {
    engine: Engine,
    outcome: ScanOutcome,
    fail_on: FailOn,
}

/// Configuration, rules, the scan itself (tree, history or index), then the team's policy.
fn execute(args: &ScanArgs) -> anyhow::Result<Scanned> {
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
    let engine = Engine::new(rules, args.pair_lines.or(config.pair_lines))?;
    let filter = config.path_filter()?;
    let progress = !args.quiet && std::env::var_os("CI").is_none();
    let mut outcome = if args.git || args.staged {
        let repo = match args.paths.as_slice() {
            [one] => one.clone(),
            _ => anyhow::bail!("--git and --staged take one repository path"),
        };
        let opts = GitOptions {
            threads: args.threads,
            filter,
            max_file_size: args.max_file_size,
            progress,
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
        engine,
        outcome,
        fail_on,
    })
}

/// `--iam`: live facts for every distinct key found (never a canary-token key). When AWS
/// cannot be reached, one line says why and the offline findings stand, unless `--iam-required`.
#[cfg(feature = "aws")]
fn iam_facts(args: &ScanArgs, max_age: u32, outcome: &mut ScanOutcome) -> anyhow::Result<()> {
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
    match crate::iam::lookup::lookup(&keys, &aws_options(&args.aws)) {
        Ok(facts) => {
            let policy = crate::iam::lookup::AgePolicy {
                max_key_age_days: i64::from(max_age),
                as_of: args.aws.as_of.unwrap_or_else(crate::time::now),
            };
            crate::iam::lookup::enrich(&mut outcome.findings, &facts, policy);
            outcome
                .findings
                .sort_by_cached_key(crate::Finding::sort_key);
            Ok(())
        }
        Err(err) if args.iam_required => Err(anyhow::anyhow!("--iam: cannot reach AWS: {err}")),
        Err(err) => {
            outcome.problems.push(format!(
                "--iam: cannot reach AWS, findings are offline only: {err}"
            ));
            Ok(())
        }
    }
}

#[cfg(not(feature = "aws"))]
fn iam_facts(_: &ScanArgs, _: u32, _: &mut ScanOutcome) -> anyhow::Result<()> {
    anyhow::bail!("--iam needs keyrot built with the `aws` feature")
}

#[cfg(feature = "aws")]
fn aws_options(args: &crate::cli::AwsArgs) -> crate::iam::AwsOptions {
    crate::iam::AwsOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
        timeout: std::time::Duration::from_secs(args.aws_timeout.max(1)),
        ..Default::default()
    }
}

#[cfg(feature = "aws")]
fn audit(args: AuditArgs) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let rules = RuleSet::load(None)?;
    let opts = crate::iam::audit::AuditOptions {
        aws: aws_options(&args.aws),
        max_key_age_days: i64::from(args.aws.max_key_age.unwrap_or(90)),
        max_unused_days: i64::from(args.max_unused_days),
        as_of: args.aws.as_of.unwrap_or_else(crate::time::now),
        role_name: args.role_name.clone(),
        accounts: args.accounts.clone(),
        org: args.org,
        report_timeout: std::time::Duration::from_secs(args.report_timeout),
    };
    let audited = crate::iam::audit::run(&rules, &opts)?;
    let keys: usize = audited.metrics.iter().map(|m| m.keys).sum();
    let outcome = ScanOutcome {
        findings: audited.findings,
        problems: audited.problems,
        scope: Some(format!(
            "audit: {} {}, {keys} access {}",
            audited.metrics.len(),
            if audited.metrics.len() == 1 {
                "account"
            } else {
                "accounts"
            },
            if keys == 1 { "key" } else { "keys" }
        )),
        metrics: Some(serde_json::to_value(&audited.metrics)?),
        duration: started.elapsed(),
        ..Default::default()
    };
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
        fail_on: args.fail_on,
    };
    report_outcome(&outcome, &rules, &how)
}

#[cfg(not(feature = "aws"))]
fn audit(_: AuditArgs) -> anyhow::Result<u8> {
    anyhow::bail!("audit needs keyrot built with the `aws` feature")
}

fn selection(args: &ScanArgs) -> anyhow::Result<Selection> {
    let mut selection = Selection {
        tips: args.branch.clone(),
        hidden: args.since.clone(),
    };
    if let Some(range) = &args.range {
        let Some((from, to)) = range.split_once("..") else {
            anyhow::bail!("--range takes A..B, not `{range}`");
        };
        selection.hidden = Some(from.to_string());
        selection.tips = vec![if to.is_empty() { "HEAD" } else { to }.to_string()];
    }
    Ok(selection)
}

fn scan(args: ScanArgs) -> anyhow::Result<u8> {
    let Scanned {
        engine,
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
    report_outcome(&outcome, &engine.rules, &how)
}

/// How a finished scan or audit is reported.
struct Reporting<'a> {
    format: Format,
    output: Option<&'a Path>,
    color: ColorChoice,
    show_suppressed: bool,
    sarif: SarifOptions<'a>,
    quiet: bool,
    fail_on: FailOn,
}

/// Notes, the report, the summary, then the exit code: 1 when an unsuppressed finding is at or
/// above `--fail-on`.
fn report_outcome(outcome: &ScanOutcome, rules: &RuleSet, how: &Reporting) -> anyhow::Result<u8> {
    print_notes(outcome)?;
    let to_terminal = how.output.is_none() && io::stdout().is_terminal();
    let color = match how.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut out = output(how.output)?;
    match how.format {
        Format::Text => report::text::render(outcome, color, how.show_suppressed, &mut out)?,
        Format::Json => report::json::render(outcome, how.show_suppressed, &mut out)?,
        Format::Sarif => report::sarif::render(outcome, rules, &how.sarif, &mut out)?,
    }
    out.flush()?;
    drop(out);
    if !how.quiet {
        print_summary(outcome)?;
    }
    let failing = how
        .fail_on
        .threshold()
        .is_some_and(|t| outcome.active().any(|f| f.severity >= t));
    Ok(u8::from(failing))
}

fn output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

fn print_notes(outcome: &ScanOutcome) -> io::Result<()> {
    let mut stderr = io::stderr().lock();
    for line in outcome.problems.iter().chain(&outcome.notes) {
        writeln!(stderr, "keyrot: {line}")?;
    }
    Ok(())
}

fn print_summary(outcome: &ScanOutcome) -> io::Result<()> {
    let mut stderr = io::stderr().lock();
    for line in report::summary_lines(outcome) {
        writeln!(stderr, "keyrot: {line}")?;
    }
    Ok(())
}

fn baseline(mut args: ScanArgs) -> anyhow::Result<u8> {
    let path = args
        .output
        .take()
        .unwrap_or_else(|| PathBuf::from(".keyrot-baseline.json"));
    // A baseline records what is there now, whatever an older baseline said.
    args.baseline = None;
    let Scanned { outcome, .. } = execute(&args)?;
    print_notes(&outcome)?;
    let active: Vec<_> = outcome.active().cloned().collect();
    std::fs::write(&path, suppress::write_baseline(&active))
        .with_context(|| format!("cannot write {}", path.display()))?;
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

fn rules(args: RulesArgs) -> anyhow::Result<u8> {
    let rules = RuleSet::load(args.rules.as_deref())?;
    if let Some(dir) = &args.write_docs {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for rule in &rules.rules {
            let path = dir.join(report::docs::page_name(rule));
            std::fs::write(&path, report::docs::page(rule))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        return Ok(0);
    }
    let mut out = io::stdout().lock();
    for rule in &rules.rules {
        writeln!(
            out,
            "{:<24} {:<8} {}",
            rule.spec.id, rule.spec.severity, rule.spec.name
        )?;
    }
    Ok(0)
}

fn explain(args: ExplainArgs) -> anyhow::Result<u8> {
    let rules = RuleSet::load(args.rules.as_deref())?;
    let Some(rule) = rules.get(&args.id) else {
        anyhow::bail!("no rule `{}`; `keyrot rules` lists them", args.id);
    };
    write!(io::stdout().lock(), "{}", report::docs::page(rule))?;
    Ok(0)
}

/// The hook runs the keyrot that installed it when it can still be found, else `keyrot` on PATH.
fn hook_script() -> String {
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .filter(|p| !p.contains('\''));
    let keyrot = exe.map_or_else(|| "keyrot".to_string(), |p| format!("'{p}'"));
    format!(
        "#!/bin/sh\n# Installed by `keyrot install-hook`: refuse commits that stage AWS credentials.\n\
         keyrot={keyrot}\ncommand -v \"$keyrot\" >/dev/null 2>&1 || [ -x \"$keyrot\" ] || keyrot=keyrot\n\
         exec \"$keyrot\" scan --staged .\n"
    )
}

fn install_hook(args: InstallHookArgs) -> anyhow::Result<u8> {
    let repo = crate::source::git::open(&args.repo)?;
    let hooks = repo.git_dir().join("hooks");
    let path = hooks.join("pre-commit");
    if path.exists() && !args.force {
        anyhow::bail!(
            "{} exists; use --force to replace it (or the pre-commit framework, see .pre-commit-hooks.yaml)",
            path.display()
        );
    }
    std::fs::create_dir_all(&hooks)
        .with_context(|| format!("cannot create {}", hooks.display()))?;
    std::fs::write(&path, hook_script())
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    eprintln!("keyrot: installed {}", path.display());
    Ok(0)
}

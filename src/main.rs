use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use keyrot::cli::{Cli, ColorChoice, Command, ExplainArgs, RulesArgs, ScanArgs};
use keyrot::report::{self, sarif::SarifOptions, Format};
use keyrot::source::fs::WalkOptions;
use keyrot::{Engine, RuleSet, ScanRequest};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("keyrot: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules(args) => rules(args),
        Command::Explain(args) => explain(args),
    }
}

fn scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let rules = RuleSet::load(args.rules.as_deref())?;
    let engine = Engine::new(rules, args.pair_lines)?;
    let request = ScanRequest {
        paths: args.paths.clone(),
        walk: WalkOptions {
            threads: args.threads,
            no_ignore: args.no_ignore,
            follow_links: !args.no_follow,
            max_file_size: args.max_file_size,
        },
        progress: !args.quiet && std::env::var_os("CI").is_none(),
    };
    let outcome = keyrot::scan::run(&engine, &request);

    let mut stderr = io::stderr().lock();
    for line in outcome.problems.iter().chain(&outcome.notes) {
        writeln!(stderr, "keyrot: {line}")?;
    }
    drop(stderr);

    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    match args.format {
        Format::Text => report::text::render(&outcome, color, &mut out)?,
        Format::Json => report::json::render(&outcome, &mut out)?,
        Format::Sarif => {
            let opts = SarifOptions {
                category: args.sarif_category.as_deref(),
                max_results: args.sarif_max_results,
            };
            report::sarif::render(&outcome, &engine.rules, &opts, &mut out)?
        }
    }
    out.flush()?;
    drop(out);

    if !args.quiet {
        let mut stderr = io::stderr().lock();
        for line in report::summary_lines(&outcome) {
            writeln!(stderr, "keyrot: {line}")?;
        }
    }
    let failing = args
        .fail_on
        .threshold()
        .is_some_and(|t| outcome.findings.iter().any(|f| f.severity >= t));
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn rules(args: RulesArgs) -> anyhow::Result<ExitCode> {
    let rules = RuleSet::load(args.rules.as_deref())?;
    if let Some(dir) = &args.write_docs {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for rule in &rules.rules {
            let path = dir.join(report::docs::page_name(rule));
            std::fs::write(&path, report::docs::page(rule))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = io::stdout().lock();
    for rule in &rules.rules {
        writeln!(
            out,
            "{:<24} {:<8} {}",
            rule.spec.id, rule.spec.severity, rule.spec.name
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn explain(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let rules = RuleSet::load(args.rules.as_deref())?;
    let Some(rule) = rules.get(&args.id) else {
        anyhow::bail!("no rule `{}`; `keyrot rules` lists them", args.id);
    };
    write!(io::stdout().lock(), "{}", report::docs::page(rule))?;
    Ok(ExitCode::SUCCESS)
}

//! The subcommands, one file each: each turns parsed arguments into work and an exit code
//! (0 nothing at or above `--fail-on`, 1 findings at or above it). Errors are typed
//! (`CommandError`); `main` prints them with their causes and exits 2.

mod audit;
mod enrich;
mod hook;
mod merge;
mod rotate;
mod rules;
mod scan;
mod settings;
#[cfg(feature = "aws")]
mod trail;

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use crate::catalog::Catalog;
use crate::cli::{Cli, ColorChoice, Command, FailOn, Format};
use crate::outcome::ScanOutcome;
use crate::report::{self, model::Report, sarif::SarifOptions};

/// Why a command could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The arguments do not make sense together.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    File(#[from] crate::error::FileError),
    #[error(transparent)]
    Git(#[from] crate::source::git::GitError),
    #[cfg(feature = "aws")]
    #[error(transparent)]
    Iam(#[from] crate::iam::IamError),
    #[error(transparent)]
    Prefilter(#[from] crate::detect::engine::BuildError),
    /// Writing a report, a baseline or a hook failed.
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

impl From<io::Error> for CommandError {
    fn from(source: io::Error) -> CommandError {
        CommandError::Io {
            what: "cannot write the report".into(),
            source,
        }
    }
}

pub(crate) fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> CommandError {
    let what = what.into();
    move |source| CommandError::Io { what, source }
}

pub fn run(cli: Cli) -> Result<u8, CommandError> {
    match cli.command {
        Command::Scan(args) => scan::scan(args),
        Command::Baseline(args) => scan::baseline(args),
        Command::Rules(args) => rules::rules(args),
        Command::Explain(args) => rules::explain(args),
        Command::InstallHook(args) => hook::install_hook(args),
        Command::Audit(args) => audit::audit(args),
        Command::Rotate(args) => rotate::rotate(args),
        Command::Revoke(args) => rotate::revoke(args),
        Command::Report(args) => merge::report(args),
        Command::Schema(args) => merge::schema(args),
        Command::Limits => {
            print!("{}", crate::limits::markdown());
            Ok(0)
        }
    }
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
    /// Also append the Markdown summary here (`$GITHUB_STEP_SUMMARY`).
    markdown_summary: Option<&'a Path>,
    /// Exit 0 rather than 2 when the run could not read all it was asked to (notes still say
    /// what).
    allow_incomplete: bool,
}

/// Notes, the report, the summary, then the exit code: 1 when an unsuppressed finding is at or
/// above `--fail-on`.
fn report_outcome(
    outcome: &ScanOutcome,
    rules: &Catalog,
    how: &Reporting,
) -> Result<u8, CommandError> {
    print_notes(outcome)?;
    let failing = how
        .fail_on
        .threshold()
        .is_some_and(|t| outcome.active().any(|f| f.severity >= t));
    // A reader that stops early (`| head`) changes nothing about what was found.
    let exit = if failing {
        1
    } else if outcome.incomplete && !how.allow_incomplete {
        2
    } else {
        0
    };
    // SARIF carries suppressed findings as suppressed results; the other formats list them
    // only with `--show-suppressed`. The summary counts them either way.
    let mut report = Report::new(outcome);
    let listed = how.show_suppressed || how.format == Format::Sarif;
    if !listed {
        report = report.without_suppressed();
    }
    match render(&report, rules, how) {
        Err(CommandError::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {
            return Ok(exit)
        }
        other => other?,
    }
    if let Some(path) = how.markdown_summary {
        let summary = if listed {
            std::borrow::Cow::Owned(report.clone().without_suppressed())
        } else {
            std::borrow::Cow::Borrowed(&report)
        };
        let links = report::markdown::Links::from_env(|k| std::env::var(k).ok());
        let page = report::markdown::page(
            std::slice::from_ref(summary.as_ref()),
            &title(&report),
            report::markdown::LIMIT,
            links.as_ref(),
        );
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io_error(format!("cannot write {}", path.display())))?;
        file.write_all(page.as_bytes())
            .map_err(io_error(format!("cannot write {}", path.display())))?;
    }
    if !how.quiet {
        print_summary(&report)?;
    }
    Ok(exit)
}

/// The report itself, in its format, to its output.
fn render(report: &Report, rules: &Catalog, how: &Reporting) -> Result<(), CommandError> {
    let to_terminal = how.output.is_none() && io::stdout().is_terminal();
    let color = match how.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let write = |out: &mut dyn Write| -> io::Result<()> {
        match how.format {
            Format::Text => report::text::render(report, color, out)?,
            Format::Json => report::json::render(report, out)?,
            Format::Sarif => report::sarif::render(report, rules, &how.sarif, out)?,
            Format::Html => {
                report::html::render(std::slice::from_ref(report), &title(report), out)?
            }
            Format::Markdown => {
                report::markdown::render(std::slice::from_ref(report), &title(report), out)?
            }
        }
        out.flush()
    };
    match how.output {
        Some(path) => write_atomically(path, write),
        None => Ok(write(&mut BufWriter::new(io::stdout().lock()))?),
    }
}

/// A report's title: `keyrot: LABEL`.
fn title(report: &Report) -> String {
    match &report.label {
        Some(label) => format!("keyrot: {label}"),
        None => "keyrot report".to_string(),
    }
}

/// A run's default label: the name of the repository the path is in (its `origin` remote's
/// last path segment, else its folder), else the folder's name.
pub(crate) fn default_label(path: &Path) -> Option<String> {
    crate::source::git::repository_name(path).or_else(|| {
        let full = std::fs::canonicalize(path).ok()?;
        full.file_name().map(|n| n.to_string_lossy().into_owned())
    })
}

/// Writes a file whole or not at all: into a temporary file beside it (an unpredictable name,
/// created exclusively, so nobody can plant it as a link), renamed over it on success, so that
/// a failed write or an interrupted run never leaves half a SARIF file or baseline where a
/// good one was. What is not a regular file (a device such as `/dev/null` or `/dev/stdout`, a
/// FIFO) is written through, never replaced; a symbolic link to a file keeps being a link, and
/// the file it points at is the one replaced.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CommandError> {
    let cannot = |source| CommandError::Io {
        what: format!("cannot write {}", path.display()),
        source,
    };
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(cannot)?;
            let mut out = BufWriter::new(file);
            return write(&mut out).and_then(|()| out.flush()).map_err(cannot);
        }
        _ => {}
    }
    // Through a link, the file it names.
    let target = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let result = (|| -> io::Result<()> {
        let temporary = tempfile::Builder::new()
            .prefix(".keyrot-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        let mut file = BufWriter::new(temporary);
        write(&mut file)?;
        let temporary = file.into_inner().map_err(|e| e.into_error())?;
        temporary.as_file().sync_all()?;
        temporary.persist(&target).map_err(|e| e.error)?;
        Ok(())
    })();
    result.map_err(cannot)
}

/// Refuses to write a report over one of the files it reads.
pub(crate) fn refuse_output_over_input(
    output: Option<&Path>,
    inputs: &[std::path::PathBuf],
) -> Result<(), CommandError> {
    let Some(output) = output else {
        return Ok(());
    };
    let Ok(out) = std::fs::canonicalize(output) else {
        return Ok(()); // not there yet: no input
    };
    if !out.is_file() {
        return Ok(());
    }
    for input in inputs {
        if std::fs::canonicalize(input).is_ok_and(|i| i == out) {
            return Err(CommandError::Usage(format!(
                "--output {} is one of the files to scan: it would be overwritten",
                output.display()
            )));
        }
    }
    Ok(())
}

fn print_notes(outcome: &ScanOutcome) -> io::Result<()> {
    let mut stderr = io::stderr().lock();
    for line in outcome.problems.iter().chain(&outcome.notes) {
        writeln!(stderr, "keyrot: {}", report::text::clean(line))?;
    }
    Ok(())
}

fn print_summary(report: &Report) -> io::Result<()> {
    let mut stderr = io::stderr().lock();
    for line in report::summary_lines(report) {
        writeln!(stderr, "keyrot: {}", report::text::clean(&line))?;
    }
    Ok(())
}

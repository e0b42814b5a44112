//! `keyrot report FILE...`: many JSON reports merged into one. Every input is checked first;
//! one that is not a keyrot JSON report of this version stops the command with exit 2 and
//! says which and why, rather than a report that silently leaves a repository out.

use std::io::{self, BufWriter, Write};

use super::{io_error, write_atomically, CommandError};
use crate::catalog::Catalog;
use crate::cli::{Format, ReportArgs};
use crate::detect::RuleSet;
use crate::report::{self, merge, model::MergedReport, sarif::SarifOptions};

/// Inputs larger than this are refused (a JSON report of 100,000 findings is far smaller).
const MAX_INPUT: u64 = crate::limits::DEFAULT.report_input;

pub(super) fn report(args: ReportArgs) -> Result<u8, CommandError> {
    let mut docs = Vec::new();
    for file in &args.files {
        let shown = file.display().to_string();
        let size = std::fs::metadata(file)
            .map_err(|e| crate::error::FileError::read(shown.clone(), e))?
            .len();
        if size > MAX_INPUT {
            return Err(CommandError::Usage(format!(
                "{shown}: {size} bytes, over the 1 GiB a report input may have"
            )));
        }
        let text = std::fs::read_to_string(file)
            .map_err(|e| crate::error::FileError::read(shown.clone(), e))?;
        let fallback = file
            .file_stem()
            .map_or_else(|| shown.clone(), |s| s.to_string_lossy().into_owned());
        let found = merge::documents(&shown, &text, &fallback)
            .map_err(|e| CommandError::Usage(e.to_string()))?;
        docs.extend(found);
    }
    let catalog = Catalog::new(&RuleSet::load(None)?)?;
    let (reports, findings) = (
        docs.len(),
        docs.iter().map(|d| d.findings.len()).sum::<usize>(),
    );
    let (format, title) = (args.format, &args.title);
    // Called once, so it owns the reports: the merged JSON takes them as they are, no copy of
    // inputs that may be a gibibyte each.
    let write = move |out: &mut dyn Write| -> io::Result<()> {
        match format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, &MergedReport::new(docs))?;
                writeln!(out)?;
            }
            Format::Html => report::html::render(&docs, title, out)?,
            Format::Markdown => report::markdown::render(&docs, title, out)?,
            Format::Sarif => {
                // One run per input, each with its own category so that code scanning keeps
                // them apart.
                let runs = docs
                    .iter()
                    .map(|d| {
                        report::sarif::run(
                            d,
                            &catalog,
                            &SarifOptions {
                                category: Some(d.label()),
                                max_results: report::sarif::GITHUB_MAX_RESULTS,
                            },
                        )
                    })
                    .collect();
                report::sarif::write(runs, out)?;
            }
            Format::Text => {
                for d in &docs {
                    writeln!(out, "# {}", report::text::clean(d.label()))?;
                    report::text::render(d, false, out)?;
                }
            }
        }
        out.flush()
    };
    match &args.output {
        Some(path) => write_atomically(path, write)?,
        None => write(&mut BufWriter::new(io::stdout().lock()))
            .map_err(io_error("cannot write the report"))?,
    }
    eprintln!(
        "keyrot: merged {reports} {} ({findings} findings)",
        if reports == 1 { "report" } else { "reports" }
    );
    Ok(0)
}

/// `keyrot schema`: the published JSON Schema of reports, as generated from their types.
pub(super) fn schema(args: crate::cli::SchemaArgs) -> Result<u8, CommandError> {
    let schema = report::model::schema(!args.merged);
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &schema)
        .map_err(io::Error::from)
        .and_then(|()| writeln!(out))
        .map_err(io_error("cannot write the schema"))?;
    Ok(0)
}

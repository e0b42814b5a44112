//! The JSON report: the `Report` type as it is (`model.rs`), one document per scan or audit;
//! `schemas/report.schema.json` is its schema.

use std::io::{self, Write};

use super::model::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

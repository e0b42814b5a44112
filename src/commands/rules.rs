//! `keyrot rules` and `keyrot explain`: the catalogue, listed or one rule's page.

use std::io::{self, Write};

use super::{io_error, CommandError};
use crate::catalog::Catalog;
use crate::cli::{ExplainArgs, RulesArgs};
use crate::detect::RuleSet;
use crate::report;

pub(super) fn rules(args: RulesArgs) -> Result<u8, CommandError> {
    let catalog = Catalog::new(&RuleSet::load(args.rules.as_deref())?)?;
    if let Some(dir) = &args.write_docs {
        std::fs::create_dir_all(dir)
            .map_err(io_error(format!("cannot create {}", dir.display())))?;
        for rule in catalog.rules() {
            let path = dir.join(report::docs::page_name(rule));
            std::fs::write(&path, report::docs::page(rule))
                .map_err(io_error(format!("cannot write {}", path.display())))?;
        }
        return Ok(0);
    }
    let mut out = io::stdout().lock();
    for rule in catalog.rules() {
        writeln!(out, "{:<24} {:<8} {}", rule.id, rule.severity, rule.title)?;
    }
    Ok(0)
}

pub(super) fn explain(args: ExplainArgs) -> Result<u8, CommandError> {
    let catalog = Catalog::new(&RuleSet::load(args.rules.as_deref())?)?;
    let Some(rule) = catalog.get(&args.id) else {
        return Err(CommandError::Usage(format!(
            "no rule `{}`; `keyrot rules` lists them",
            args.id
        )));
    };
    write!(io::stdout().lock(), "{}", report::docs::page(rule))?;
    Ok(0)
}

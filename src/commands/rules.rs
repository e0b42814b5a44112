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

/// `keyrot explain facts`: what each live fact a key finding can carry means.
const FACTS: &str = "\
# Facts of a key finding (`facts.iam` in JSON, `properties.facts` in SARIF)

With `--iam` (and in `audit`), each key of the signed-in account gets:

- `state`: `active`, `inactive`, `deleted` (no longer in IAM), `other-account` (owned by
  `account`, not the signed-in one: no further facts), `unknown` (see `error`).
- `account`, `user`: the owning account and IAM user.
- `created`, `age_days`: when the key was made; its age at `--as-of` (default now).
- `last_used`: `{date, service, region}` of the last use IAM recorded.
- `access`: the key's blast radius, from its user's effective policies (attached managed
  policies with their default version, inline policies, every group's policies, capped by
  the permissions boundary), evaluated as IaC policies are:
  - `level`: `admin` (everything on every resource), `can-escalate` (a known path to
    administrator; `path` names it), `can-read-secrets` (Secrets Manager, SSM parameters,
    credentials of others), `can-write-data` (any Write or Permissions-management action),
    `read-only` (only Read and List), `none`.
  - `summary`: the sentence the message carries; `policies`: every policy read, by how it
    reaches the user; `unread`: policies that could not be read (the level is then a lower
    bound). `admin` and `can-escalate` make an active key's finding critical. A user that
    can become a more powerful principal (assume a role, pass one to code it runs, make
    another user's credentials) gets that principal's level, `can-escalate` for an
    administrator, and `path` names the way (`user/frank -> sts:AssumeRole -> role/ops`).
  - `quarantine`: the AWS quarantine policy attached to the user
    (`AWSCompromisedKeyQuarantine`, `...V2`, `...V3`): AWS found one of its keys public. It
    makes the finding critical; `level` is what the key can do without the quarantine.
- `usage` (with `--cloudtrail` or `--cloudtrail-s3 s3://bucket/prefix`): what CloudTrail
  recorded over the last `--cloudtrail-days` (90): `source`, `from`, `to`, `events`, `first`,
  `last`, `source_ips`, `user_agents`, `top_events` (name and count). For a finding from git
  history, `used_after_leak` says whether the key was used after the commit that leaked it,
  and `new_ips_after_leak` lists addresses that used it after the leak and never before: any
  such address makes the finding critical, a possible compromise, with the incident steps
  first (revoke now, review the calls, rotate what it reached). `error` says why evidence is
  missing.
";

pub(super) fn explain(args: ExplainArgs) -> Result<u8, CommandError> {
    if args.id == "facts" {
        write!(io::stdout().lock(), "{FACTS}")?;
        return Ok(0);
    }
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

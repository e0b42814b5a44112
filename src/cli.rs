//! The whole command-line surface, as clap derive types, output formats included.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::finding::Severity;

/// The report's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    /// One self-contained page with charts, for people (opens offline).
    Html,
    /// GitHub-flavoured Markdown, for a pull request or a job summary (under 1 MiB).
    Markdown,
}

#[derive(Debug, Parser)]
#[command(
    name = "keyrot",
    version,
    about = "Find leaked AWS credentials and say how to rotate or revoke them",
    after_help = "Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 a usage or runtime error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and folders for AWS credentials.
    #[command(
        after_help = "Exit codes: 0 nothing at or above --fail-on; 1 a finding at or above it; 2 a usage or runtime error, or (unless --allow-incomplete) something that could hold a credential was not read."
    )]
    Scan(ScanArgs),
    /// List every rule: id, severity, title.
    Rules(RulesArgs),
    /// Print a rule's documentation: what it finds, why it matters, how to fix it.
    Explain(ExplainArgs),
    /// Record the current findings in a baseline file; `scan --baseline FILE` then reports only new ones.
    #[command(
        after_help = "Exit codes: 0 the baseline was written; 2 a usage or runtime error.",
        mut_arg("output", |a| a.help("Where to write the baseline [default: .keyrot-baseline.json]")),
        mut_arg("baseline", |a| a.hide(true)),
        mut_arg("format", |a| a.hide(true)),
        mut_arg("fail_on", |a| a.hide(true)),
        mut_arg("show_suppressed", |a| a.hide(true)),
        mut_arg("color", |a| a.hide(true)),
        mut_arg("sarif_category", |a| a.hide(true)),
        mut_arg("sarif_max_results", |a| a.hide(true)),
        mut_arg("label", |a| a.hide(true)),
        mut_arg("markdown_summary", |a| a.hide(true)),
        mut_arg("iam", |a| a.hide(true)),
        mut_arg("iam_required", |a| a.hide(true)),
        mut_arg("cloudtrail", |a| a.hide(true)),
        mut_arg("cloudtrail_s3", |a| a.hide(true)),
        mut_arg("cloudtrail_days", |a| a.hide(true)),
        mut_arg("profile", |a| a.hide(true)),
        mut_arg("region", |a| a.hide(true)),
        mut_arg("max_key_age", |a| a.hide(true)),
        mut_arg("as_of", |a| a.hide(true)),
        mut_arg("aws_timeout", |a| a.hide(true)),
        mut_arg("verbose", |a| a.hide(true))
    )]
    Baseline(ScanArgs),
    /// Write a git pre-commit hook that runs `keyrot scan --staged`.
    InstallHook(InstallHookArgs),
    /// Audit every access key of AWS accounts: age, status, last use, root keys, MFA.
    #[command(
        after_help = "Exit codes: 0 nothing at or above --fail-on; 1 a finding at or above it; 2 a usage or runtime error, or an AWS call failed (what depends on it is not audited)."
    )]
    Audit(AuditArgs),
    /// Rotate a user's access key without breaking production (a plan unless --execute).
    #[command(mut_arg("max_key_age", |a| a.hide(true)))]
    Rotate(RotateArgs),
    /// Revoke a leaked key now: deactivate it, or a temporary key's sessions (a plan unless --execute).
    #[command(mut_arg("max_key_age", |a| a.hide(true)))]
    Revoke(RevokeArgs),
    /// Merge the JSON reports of many scans and audits into one JSON, HTML, Markdown or SARIF report.
    Report(ReportArgs),
    /// Print the JSON Schema of `--format json` reports (`--merged`: of `keyrot report --format json`).
    Schema(SchemaArgs),
    /// Print every bound keyrot puts on what its input can make it do, with its reason (Markdown).
    #[command(hide = true)]
    Limits,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema of a merged report.
    #[arg(long)]
    pub merged: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// JSON reports of `keyrot scan` or `keyrot audit` (`--format json`), or merged reports.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format (`text` lists each report's findings).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Html)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The report's title.
    #[arg(long, value_name = "TEXT", default_value = "keyrot: estate report")]
    pub title: String,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The IAM user whose key to rotate.
    #[arg(long, value_name = "NAME")]
    pub user: String,
    /// The key to replace (needed when the user has two keys and which is old is unclear).
    #[arg(long, value_name = "ID")]
    pub key_id: Option<String>,
    /// Store the new key in this Secrets Manager secret as {AccessKeyId, SecretAccessKey}
    /// (created or updated); without it the new secret is printed once on standard output.
    #[arg(long, value_name = "NAME")]
    pub to_secret: Option<String>,
    /// Deactivate the old key only once IAM reports no use of it for this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub grace: u32,
    /// Deactivate the old key even if it was used within the grace period.
    #[arg(long)]
    pub force: bool,
    /// Delete the old key once it is inactive.
    #[arg(long)]
    pub delete: bool,
    /// Carry the plan out (without it, keyrot only says what it would do).
    #[arg(long)]
    pub execute: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The access key ID (AKIA... long-term, ASIA... temporary).
    pub key_id: String,
    /// For a temporary key: the role whose sessions to revoke.
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,
    /// Carry the plan out (without it, keyrot only says what it would do).
    #[arg(long)]
    pub execute: bool,
}

/// How to reach AWS (the standard credential chain does the rest).
#[derive(Debug, Args, Clone)]
pub struct AwsArgs {
    /// The AWS profile to use (`audit`: repeat it to audit each profile's account).
    #[arg(long, value_name = "NAME", action = clap::ArgAction::Append)]
    pub profile: Vec<String>,
    /// The AWS region for the API calls (IAM is global; default us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Rotation policy: keys older than this many days are out of policy [default: 90, or the
    /// configuration's `max-key-age`].
    #[arg(long, value_name = "DAYS")]
    pub max_key_age: Option<u32>,
    /// Compute ages, and judge time-bound policy conditions, at this date (YYYY-MM-DD) instead
    /// of now.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<i64>,
    /// Timeout for one AWS call, retries included, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub aws_timeout: u64,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Keys unused for more than this many days are findings [default: 90, or the
    /// configuration's `max-unused-days`].
    #[arg(long, value_name = "DAYS")]
    pub max_unused_days: Option<u32>,
    /// Assume this role in each account of --accounts or --org.
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,
    /// Accounts to audit, comma-separated (with --role-name).
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Audit every account of the AWS organization (with --role-name).
    #[arg(long, requires = "role_name")]
    pub org: bool,
    /// How long to wait for the credential report, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub report_timeout: u64,

    /// CloudTrail's record of each reported key's use (LookupEvents, with the first
    /// profile's credentials: an organization trail answers for every account).
    #[arg(long)]
    pub cloudtrail: bool,
    /// The same from the log files a trail delivers to S3 (s3://bucket/prefix).
    #[arg(long, value_name = "URL")]
    pub cloudtrail_s3: Option<String>,
    /// How many days back CloudTrail is searched [default: 90, or the configuration's
    /// `cloudtrail-days`].
    #[arg(long, value_name = "DAYS")]
    pub cloudtrail_days: Option<u32>,

    /// Read this configuration instead of the nearest `.keyrot.toml` (`max-key-age`,
    /// `fail-on`, `disable`, `severity` and `allow` apply to audits as to scans).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Also write every access key read (owner, age, last use, access level, quarantine) to
    /// this CSV file; the JSON and HTML reports always carry it.
    #[arg(long, value_name = "FILE.csv")]
    pub inventory: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity (`none`: never).
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
    /// SARIF `automationDetails.id` category.
    #[arg(long, value_name = "NAME")]
    pub sarif_category: Option<String>,
    /// Do not print the summary on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also print the settings the scan runs with and where each came from (command line,
    /// configuration, default).
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,
    /// What reports call this run [default: the repository's or folder's name; for an audit,
    /// the accounts].
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,
    /// Also append the Markdown summary to this file (for `$GITHUB_STEP_SUMMARY`).
    #[arg(long, value_name = "FILE")]
    pub markdown_summary: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// The repository.
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    /// Replace an existing pre-commit hook.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to scan; `-` reads standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Scan the git history of the repository at PATH: every blob reachable from any ref.
    #[arg(long, conflicts_with = "staged")]
    pub git: bool,

    /// With --git: only history reachable from this ref (repeatable).
    #[arg(long, value_name = "REF", requires = "git")]
    pub branch: Vec<String>,

    /// With --git: only what commits after REV introduced (for pull requests).
    #[arg(long, value_name = "REV", requires = "git", conflicts_with = "range")]
    pub since: Option<String>,

    /// With --git: only what the commits of A..B introduced.
    #[arg(long, value_name = "A..B", requires = "git")]
    pub range: Option<String>,

    /// Scan exactly what is staged for the next commit (the index), not the working tree.
    #[arg(long)]
    pub staged: bool,

    /// Show progress (files, bytes, rate) on standard error even when it is not a terminal
    /// (a CI log gets a line every five seconds).
    #[arg(long)]
    pub progress: bool,

    /// Look every key found up in live IAM: owner, status, age, last use.
    #[arg(long)]
    pub iam: bool,

    /// With --iam: fail (exit 2) when AWS cannot be reached, instead of reporting offline.
    #[arg(long, requires = "iam")]
    pub iam_required: bool,

    /// With --iam: CloudTrail's record of each key's use (LookupEvents, at most 2 calls a second).
    #[arg(long, requires = "iam")]
    pub cloudtrail: bool,

    /// With --iam: the same from the log files a trail delivers to S3 (s3://bucket/prefix).
    #[arg(long, requires = "iam", value_name = "URL")]
    pub cloudtrail_s3: Option<String>,

    /// How many days back CloudTrail is searched [default: 90, or the configuration's
    /// `cloudtrail-days`].
    #[arg(long, value_name = "DAYS")]
    pub cloudtrail_days: Option<u32>,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit 1 when a finding is at or above this severity (`none`: never) [default: low, or
    /// the configuration's `fail-on`].
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,

    /// Read this configuration instead of the nearest `.keyrot.toml`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Report only findings that are not in this baseline (see `keyrot baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Also list suppressed findings (allow comments, configuration, baseline).
    #[arg(long)]
    pub show_suppressed: bool,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Also scan what .gitignore and .ignore exclude.
    #[arg(long)]
    pub no_ignore: bool,

    /// Do not follow symbolic links.
    #[arg(long)]
    pub no_follow: bool,

    /// The most of one file that is read (bytes, or with a K, M or G suffix). Files longer
    /// than 32 MiB are read in overlapping windows (secrets only); what is past this limit is
    /// noted and the scan is incomplete (exit 2).
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Archives inside archives opened, at most (zip, jar, tar, gzip, bzip2, xz, zstd; a
    /// compressed tar counts once); a deeper one is read as it is, noted, incomplete.
    #[arg(long, value_name = "N", default_value_t = crate::limits::DEFAULT.archive_depth)]
    pub archive_depth: u8,

    /// The most one archive or compressed file may expand to, members and nested archives
    /// together (also at most 100 times its own size past the first 64 MiB); past it the
    /// reading stops, noted, and the scan is incomplete (exit 2).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub max_archive_size: u64,

    /// Exit 0, not 2, when something that could hold a credential was not read (an
    /// unreadable file or git object, a file or archive past its budget); the notes still say
    /// what. Without it such a scan fails closed.
    #[arg(long)]
    pub allow_incomplete: bool,

    /// With --since or --range: allow comments that the change itself adds do not suppress
    /// (without it they suppress, marked as under review).
    #[arg(long)]
    pub strict_suppressions: bool,

    /// Report IAM policy documents nested anywhere in JSON data (recorded API responses, test
    /// snapshots), not only those of deployable IaC and policy files.
    #[arg(long)]
    pub policies_anywhere: bool,

    /// With --git: judge IaC policies at HEAD only; policy findings of versions no longer at
    /// HEAD are left out and counted in a note (secrets of history are always reported).
    #[arg(long, requires = "git")]
    pub policies_at_head: bool,

    /// A folder of extra rule files (`*.yml`), added to the built-in rules.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// How many lines apart a key ID and its secret may be and still be paired.
    #[arg(long, value_name = "N")]
    pub pair_lines: Option<usize>,

    /// Layers of encoding (escapes, percent, HTML entities, base64, split literals) undone
    /// around a trigger before matching; 0 turns decoding off, at most 4.
    #[arg(long, value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(0..=4))]
    pub decode_depth: u8,

    /// Colour in the text report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// SARIF `automationDetails.id` category, for several uploads per commit.
    #[arg(long, value_name = "NAME")]
    pub sarif_category: Option<String>,

    /// At most this many SARIF results (GitHub's limit); the most severe are kept.
    #[arg(long, value_name = "N", default_value_t = crate::report::sarif::GITHUB_MAX_RESULTS, hide = true)]
    pub sarif_max_results: usize,

    /// Do not print the summary on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also print the settings the scan runs with and where each came from (command line,
    /// configuration, default).
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,
    /// What reports call this run [default: the repository's or folder's name; for an audit,
    /// the accounts].
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,
    /// Also append the Markdown summary to this file (for `$GITHUB_STEP_SUMMARY`).
    #[arg(long, value_name = "FILE")]
    pub markdown_summary: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Include the rules in this folder.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Write one Markdown page per rule into this folder (the project keeps them in docs/rules/).
    #[arg(long, value_name = "DIR")]
    pub write_docs: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule id, e.g. `aws.access-key-id`.
    pub id: String,
    /// Include the rules in this folder.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    None,
}

impl FailOn {
    /// Its name on the command line and in `.keyrot.toml`.
    pub fn name(self) -> &'static str {
        match self {
            FailOn::Critical => "critical",
            FailOn::High => "high",
            FailOn::Medium => "medium",
            FailOn::Low => "low",
            FailOn::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<FailOn> {
        <FailOn as ValueEnum>::from_str(s, true).ok()
    }

    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::None => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn parse_date(s: &str) -> Result<i64, String> {
    crate::time::parse_date(s).ok_or_else(|| format!("`{s}` is not a date like 2026-01-31"))
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a size like 20M"))?;
    let mult: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        other => return Err(format!("unknown size unit `{other}` (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_flags_defaults_are_the_bounds_of_the_limits_table() {
        use clap::Parser;
        let cli = super::Cli::parse_from(["keyrot", "scan"]);
        let super::Command::Scan(args) = cli.command else {
            panic!("not a scan")
        };
        let limits = crate::limits::DEFAULT;
        assert_eq!(args.max_file_size, limits.max_file_size);
        assert_eq!(args.max_archive_size, limits.archive_bytes);
        assert_eq!(args.archive_depth, limits.archive_depth);
        assert!(usize::from(args.decode_depth) <= limits.decode_depth);
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(super::parse_size("20M"), Ok(20 << 20));
        assert_eq!(super::parse_size("512"), Ok(512));
        assert!(super::parse_size("3X").is_err());
    }
}

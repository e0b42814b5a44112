//! One settings resolution for every command: the command line over the configuration
//! (`.keyrot.toml`) over the defaults, as ripgrep turns its low-level arguments into the
//! high-level ones the search runs on. `scan` and `audit` both read `Resolved`; no default is
//! written anywhere else.

use std::path::PathBuf;

use crate::cli::FailOn;
use crate::config::Config;

/// Keys older than this many days are out of the rotation policy; keys unused this long are
/// findings; CloudTrail is searched this far back (CloudTrail's own event history is 90 days).
pub const DEFAULT_DAYS: u32 = 90;

/// What the command line gave (`None`: not given).
#[derive(Clone, Debug, Default)]
pub struct Given {
    pub fail_on: Option<FailOn>,
    pub max_key_age: Option<u32>,
    pub max_unused_days: Option<u32>,
    pub cloudtrail_days: Option<u32>,
    pub pair_lines: Option<usize>,
    pub rules: Option<PathBuf>,
    pub as_of: Option<i64>,
}

impl Given {
    /// What `scan` (and `baseline`) was given.
    pub fn scan(args: &crate::cli::ScanArgs) -> Given {
        Given {
            fail_on: args.fail_on,
            max_key_age: args.aws.max_key_age,
            max_unused_days: None,
            cloudtrail_days: args.cloudtrail_days,
            pair_lines: args.pair_lines,
            rules: args.rules.clone(),
            as_of: args.aws.as_of,
        }
    }

    /// What `audit` was given.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    pub fn audit(args: &crate::cli::AuditArgs) -> Given {
        Given {
            fail_on: args.fail_on,
            max_key_age: args.aws.max_key_age,
            max_unused_days: args.max_unused_days,
            cloudtrail_days: args.cloudtrail_days,
            pair_lines: None,
            rules: None,
            as_of: args.aws.as_of,
        }
    }
}

/// The settings a command runs with.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub fail_on: FailOn,
    pub max_key_age_days: u32,
    pub max_unused_days: u32,
    pub cloudtrail_days: u32,
    /// `None`: the engine's own default distance.
    pub pair_lines: Option<usize>,
    /// A folder of extra rule files.
    pub rules: Option<PathBuf>,
    /// The instant ages and conditions are judged at, seconds since the epoch.
    pub as_of: i64,
    /// Each setting with where it came from, for `--verbose`.
    pub described: Vec<String>,
}

/// The command line's value, else the configuration's; and which gave it (`None`: neither).
fn layered<T>(cli: Option<T>, config: Option<T>) -> (Option<T>, Option<bool>) {
    match (cli, config) {
        (Some(v), _) => (Some(v), Some(true)),
        (None, Some(v)) => (Some(v), Some(false)),
        (None, None) => (None, None),
    }
}

impl Resolved {
    pub fn of(given: Given, config: &Config) -> Resolved {
        let file = config.source.as_ref().map_or_else(
            || "the configuration".to_string(),
            |p| p.display().to_string(),
        );
        let mut described = Vec::new();
        let mut note = |name: &str, value: String, from: Option<bool>| {
            let from = match from {
                Some(true) => "command line",
                Some(false) => file.as_str(),
                None => "default",
            };
            described.push(format!("{name} {value} ({from})"));
        };
        let (fail_on, from) = layered(
            given.fail_on,
            config.fail_on.as_deref().and_then(FailOn::parse),
        );
        let fail_on = fail_on.unwrap_or(FailOn::Low);
        note("fail-on", fail_on.name().to_string(), from);
        let mut days = |name: &str, cli: Option<u32>, conf: Option<u32>| {
            let (value, from) = layered(cli, conf);
            let value = value.unwrap_or(DEFAULT_DAYS);
            note(name, value.to_string(), from);
            value
        };
        let max_key_age_days = days("max-key-age", given.max_key_age, config.max_key_age);
        let max_unused_days = days(
            "max-unused-days",
            given.max_unused_days,
            config.max_unused_days,
        );
        let cloudtrail_days = days(
            "cloudtrail-days",
            given.cloudtrail_days,
            config.cloudtrail_days,
        );
        let (pair_lines, from) = layered(given.pair_lines, config.pair_lines);
        note(
            "pair-lines",
            pair_lines.map_or_else(|| "the rules' own".into(), |n| n.to_string()),
            from,
        );
        let (rules, from) = layered(given.rules, config.rules.clone());
        note(
            "rules",
            rules
                .as_ref()
                .map_or_else(|| "built-in only".into(), |p| p.display().to_string()),
            from,
        );
        let as_of = given.as_of.unwrap_or_else(crate::time::now);
        note(
            "as-of",
            given.as_of.map_or_else(|| "now".into(), crate::time::day),
            given.as_of.map(|_| true),
        );
        Resolved {
            fail_on,
            max_key_age_days,
            max_unused_days,
            cloudtrail_days,
            pair_lines,
            rules,
            as_of,
            described,
        }
    }

    /// `of`, with one line of every setting and its source on standard error when `verbose`.
    pub fn resolve(given: Given, config: &Config, verbose: bool) -> Resolved {
        let resolved = Resolved::of(given, config);
        if verbose {
            eprintln!("keyrot: settings: {}", resolved.described.join(", "));
        }
        resolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_wins_over_the_configuration_which_wins_over_the_defaults() {
        let config = Config::parse(
            "fail-on = \"high\"\nmax-key-age = 30\nmax-unused-days = 45\ncloudtrail-days = 7\npair-lines = 3\n",
            ".keyrot.toml",
        )
        .unwrap();
        let from_config = Resolved::of(Given::default(), &config);
        assert_eq!(from_config.fail_on, FailOn::High);
        assert!(
            from_config.described[0] == "fail-on high (.keyrot.toml)"
                || from_config.described[0] == "fail-on high (the configuration)",
            "{:?}",
            from_config.described
        );
        assert_eq!(
            (
                from_config.max_key_age_days,
                from_config.max_unused_days,
                from_config.cloudtrail_days,
                from_config.pair_lines
            ),
            (30, 45, 7, Some(3))
        );
        let given = Given {
            fail_on: Some(FailOn::None),
            max_key_age: Some(10),
            max_unused_days: Some(11),
            cloudtrail_days: Some(12),
            pair_lines: Some(1),
            rules: None,
            as_of: Some(86_400),
        };
        let from_cli = Resolved::of(given, &config);
        assert_eq!(from_cli.fail_on, FailOn::None);
        assert_eq!(
            (
                from_cli.max_key_age_days,
                from_cli.max_unused_days,
                from_cli.cloudtrail_days,
                from_cli.pair_lines,
                from_cli.as_of
            ),
            (10, 11, 12, Some(1), 86_400)
        );
        assert_eq!(from_cli.described[1], "max-key-age 10 (command line)");
        let defaults = Resolved::of(Given::default(), &Config::default());
        assert_eq!(defaults.fail_on, FailOn::Low);
        assert_eq!(defaults.described[1], "max-key-age 90 (default)");
        assert_eq!(
            (
                defaults.max_key_age_days,
                defaults.max_unused_days,
                defaults.cloudtrail_days,
                defaults.pair_lines
            ),
            (DEFAULT_DAYS, DEFAULT_DAYS, DEFAULT_DAYS, None)
        );
    }
}

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

impl Resolved {
    pub fn of(given: Given, config: &Config) -> Resolved {
        let file = config.source.as_ref().map_or_else(
            || "the configuration".to_string(),
            |p| p.display().to_string(),
        );
        let mut described = Vec::new();
        let mut pick = |name: &str, cli: Option<String>, conf: Option<String>, default: &str| {
            let (value, from) = match (cli, conf) {
                (Some(v), _) => (v, "command line".to_string()),
                (None, Some(v)) => (v, file.clone()),
                (None, None) => (default.to_string(), "default".to_string()),
            };
            described.push(format!("{name} {value} ({from})"));
        };
        let text = |v: Option<u32>| v.map(|d| d.to_string());
        pick(
            "fail-on",
            given.fail_on.map(|f| format!("{f:?}").to_lowercase()),
            config.fail_on.clone(),
            "low",
        );
        let days = DEFAULT_DAYS.to_string();
        pick(
            "max-key-age",
            text(given.max_key_age),
            text(config.max_key_age),
            &days,
        );
        pick(
            "max-unused-days",
            text(given.max_unused_days),
            text(config.max_unused_days),
            &days,
        );
        pick(
            "cloudtrail-days",
            text(given.cloudtrail_days),
            text(config.cloudtrail_days),
            &days,
        );
        pick(
            "pair-lines",
            given.pair_lines.map(|n| n.to_string()),
            config.pair_lines.map(|n| n.to_string()),
            "the rules' own",
        );
        pick(
            "rules",
            given.rules.as_ref().map(|p| p.display().to_string()),
            config.rules.as_ref().map(|p| p.display().to_string()),
            "built-in only",
        );
        pick(
            "as-of",
            given
                .as_of
                .map(|t| crate::time::rfc3339(t)[..10].to_string()),
            None,
            "now",
        );
        Resolved {
            fail_on: given
                .fail_on
                .or_else(|| config.fail_on.as_deref().and_then(FailOn::parse))
                .unwrap_or(FailOn::Low),
            max_key_age_days: given
                .max_key_age
                .or(config.max_key_age)
                .unwrap_or(DEFAULT_DAYS),
            max_unused_days: given
                .max_unused_days
                .or(config.max_unused_days)
                .unwrap_or(DEFAULT_DAYS),
            cloudtrail_days: given
                .cloudtrail_days
                .or(config.cloudtrail_days)
                .unwrap_or(DEFAULT_DAYS),
            pair_lines: given.pair_lines.or(config.pair_lines),
            rules: given.rules.or_else(|| config.rules.clone()),
            as_of: given.as_of.unwrap_or_else(crate::time::now),
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

//! `.keyrot.toml`: found from the scan root up to the repository root, or named with
//! `--config`. Unknown keys are errors that name the key and the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::error::FileError;
use crate::rule::Severity;

pub const FILE_NAME: &str = ".keyrot.toml";

/// An allowlisted finding: its fingerprint, and why it may stay.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    pub fingerprint: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// `critical`, `high`, `medium`, `low` or `none`.
    pub fail_on: Option<String>,
    /// Rotation policy for `--iam` and `audit`.
    pub max_key_age: Option<u32>,
    /// `audit`: keys unused for more than this many days are findings.
    pub max_unused_days: Option<u32>,
    /// How many days back CloudTrail is searched (`--cloudtrail`, `--cloudtrail-s3`).
    pub cloudtrail_days: Option<u32>,
    /// How many lines apart a key ID and its secret may be.
    pub pair_lines: Option<usize>,
    /// A folder of extra rule files, relative to this file.
    pub rules: Option<PathBuf>,
    /// Paths (globs, relative to the repository root) never scanned.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// When set, only paths matching one of these globs are scanned.
    #[serde(default)]
    pub include: Vec<String>,
    /// Rule ids whose findings are dropped.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Rule id to the severity its findings get.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Findings allowed by fingerprint.
    #[serde(default)]
    pub allow: Vec<Allow>,
    /// Where this configuration was read from (not a key of the file).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

impl Config {
    /// Reads `explicit` if given, else the nearest `.keyrot.toml` from `start` up to the
    /// repository root; no file is no configuration.
    pub fn load(explicit: Option<&Path>, start: &Path) -> Result<Config, FileError> {
        let path = match explicit {
            Some(path) => Some(path.to_path_buf()),
            None => discover(start),
        };
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| FileError::read(shown.clone(), e))?;
        Config::parse(&text, &shown).map(|mut config| {
            if let Some(rules) = &config.rules {
                let base = path.parent().unwrap_or(Path::new("."));
                config.rules = Some(base.join(rules));
            }
            config.source = Some(path);
            config
        })
    }

    pub fn parse(text: &str, shown: &str) -> Result<Config, FileError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            FileError::invalid(
                shown,
                match line {
                    Some(line) => format!("line {line}: {}", e.message().trim()),
                    None => e.message().trim().to_string(),
                },
            )
        })?;
        if let Some(level) = &config.fail_on {
            if !matches!(
                level.as_str(),
                "critical" | "high" | "medium" | "low" | "none"
            ) {
                return Err(FileError::invalid(
                    shown,
                    format!("fail-on: `{level}` is not one of critical, high, medium, low, none"),
                ));
            }
        }
        Ok(config)
    }

    /// The path filter from `include` and `exclude`.
    pub fn path_filter(&self) -> Result<PathFilter, FileError> {
        let build = |globs: &[String]| -> Result<Option<GlobSet>, FileError> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut set = GlobSetBuilder::new();
            for glob in globs {
                set.add(Glob::new(glob).map_err(|e| {
                    FileError::invalid(self.shown(), format!("bad glob `{glob}`: {e}"))
                })?);
            }
            set.build()
                .map(Some)
                .map_err(|e| FileError::invalid(self.shown(), e.to_string()))
        };
        Ok(PathFilter {
            include: build(&self.include)?,
            exclude: build(&self.exclude)?,
        })
    }

    fn shown(&self) -> String {
        self.source
            .as_ref()
            .map_or_else(|| FILE_NAME.to_string(), |p| p.display().to_string())
    }
}

/// The nearest `.keyrot.toml` from `start` (a folder or a file's folder) up to the repository
/// root (the first folder holding `.git`).
fn discover(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    let dir = if start.is_dir() {
        start
    } else {
        start.parent()?.to_path_buf()
    };
    for folder in dir.ancestors() {
        let candidate = folder.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if folder.join(".git").exists() {
            break;
        }
    }
    None
}

/// Which paths (relative, forward slashes) are scanned.
#[derive(Clone, Debug, Default)]
pub struct PathFilter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl PathFilter {
    pub fn allows(&self, rel: &str) -> bool {
        self.include.as_ref().is_none_or(|set| set.is_match(rel))
            && !self.exclude.as_ref().is_some_and(|set| set.is_match(rel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::parse("fail-on = \"high\"\nfial = 1\n", "x/.keyrot.toml").unwrap_err();
        let text = crate::error::chain(&err);
        assert!(
            text.starts_with("x/.keyrot.toml: line 2:") && text.contains("fial"),
            "{text}"
        );
    }

    #[test]
    fn globs_include_and_exclude() {
        let config =
            Config::parse("include = [\"src/**\"]\nexclude = [\"**/*.min.js\"]\n", "c").unwrap();
        let filter = config.path_filter().unwrap();
        assert!(filter.allows("src/a.py"));
        assert!(!filter.allows("src/b.min.js"));
        assert!(!filter.allows("docs/a.md"));
    }
}

//! Pairing key IDs with secrets by evidence: the names values are assigned to
//! (`AWS_SECRET_ACCESS_KEY_PROD`, `"SecretAccessKey":`), then distance. A value named for
//! another provider (`patterns/providers.txt`) never pairs with an AWS key; names that agree on
//! their distinguishing words (`_PROD`, `_DEV`, a profile) pair before nearer ones that
//! disagree.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::emit::Candidate;
use crate::context::LineIndex;

/// How far, in bytes, a pairing looks either side of a key ID.
pub(super) const PAIR_REACH: usize = crate::limits::DEFAULT.pair_reach;

const PROVIDERS: &str = include_str!("../../patterns/providers.txt");

fn providers() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        PROVIDERS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_ascii_uppercase)
            .collect()
    })
}

/// Words that say "AWS credential" and nothing about which one.
const GENERIC: &[&str] = &[
    "AWS",
    "AMAZON",
    "ACCESS",
    "KEY",
    "KEYS",
    "ID",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "SESSION",
    "ACCESSKEYID",
    "SECRETACCESSKEY",
    "ACCESSKEY",
    "SECRETKEY",
    "AWSACCESSKEYID",
    "AWSSECRETACCESSKEY",
    "CREDENTIALS",
    "CREDS",
    "IAM",
    "S3",
    "USER",
    "EXPORT",
    "ENV",
    "SET",
    "VAR",
    "CONST",
    "LET",
    "VALUE",
    "THE",
    "A",
];

/// The name the value at `at` is assigned to on its line: `NAME=`, `NAME: `, `"NAME": "`,
/// `name = '`. Empty when there is none.
pub(super) fn name_before(bytes: &[u8], at: usize) -> &[u8] {
    let line_start = memchr::memrchr(b'\n', &bytes[at.saturating_sub(256)..at])
        .map_or(at.saturating_sub(256), |i| at.saturating_sub(256) + i + 1);
    let mut i = at;
    // Back over quotes, spaces, `=`, `:` and `=>` between the name and the value.
    while i > line_start
        && matches!(
            bytes[i - 1],
            b'"' | b'\'' | b' ' | b'\t' | b'=' | b':' | b'>' | b'`'
        )
    {
        i -= 1;
    }
    let end = i;
    while i > line_start
        && (bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'_' | b'-' | b'.'))
    {
        i -= 1;
    }
    &bytes[i..end]
}

/// The words of a name, upper-cased: `aws_secret_access_key_prod` is AWS SECRET ACCESS KEY
/// PROD, `awsSecretKeyDev` is AWS SECRET KEY DEV.
fn words(name: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for &b in name {
        let c = b as char;
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word).to_ascii_uppercase());
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word).to_ascii_uppercase());
        }
        previous_lower = c.is_ascii_lowercase();
        word.push(c);
    }
    if !word.is_empty() {
        out.push(word.to_ascii_uppercase());
    }
    out
}

/// Whether the value is named for another provider (`CLOUDFLARE_API_TOKEN`).
pub(super) fn other_provider(name: &[u8]) -> bool {
    let providers = providers();
    words(name).iter().any(|w| providers.contains(w))
}

/// The words of a name that tell one credential from another (`PROD`, `DEV`, `EU`).
fn distinguishing(name: &[u8]) -> Vec<String> {
    words(name)
        .into_iter()
        .filter(|w| !GENERIC.contains(&w.as_str()))
        .collect()
}

/// How well two names agree: 0 they share a distinguishing word, 1 one has none to compare,
/// 2 both have some and share none (`_PROD` against `_DEV`).
/// Takes each side's `distinguishing` words, worked out once per candidate.
fn disagreement(k: &[String], v: &[String]) -> u8 {
    if k.is_empty() || v.is_empty() {
        1
    } else if k.iter().any(|w| v.contains(w)) {
        0
    } else {
        2
    }
}

/// Assignment of values to keys: names that agree first, then the closest line, a value after
/// its key before one above it; each value goes to one key at most.
///
/// Only values within `PAIR_REACH` bytes of a key are weighed (found by binary search over the
/// values in offset order), so pairing costs what the neighbourhoods hold, never keys times
/// values.
pub(super) fn assign(
    bytes: &[u8],
    index: &LineIndex,
    keys: &[&Candidate],
    values: &[Candidate],
    max_lines: usize,
) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by_key(|&v| values[v].start);
    let lines: Vec<usize> = values.iter().map(|v| index.line_of(v.start)).collect();
    let names: Vec<Vec<String>> = values
        .iter()
        .map(|v| distinguishing(name_before(bytes, v.start)))
        .collect();
    let mut options = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        let key_line = index.line_of(key.start);
        let key_name = distinguishing(name_before(bytes, key.start));
        let lo = order.partition_point(|&v| values[v].start + PAIR_REACH < key.start);
        for &v in order[lo..]
            .iter()
            .take_while(|&&v| values[v].start <= key.start + PAIR_REACH)
        {
            let value = &values[v];
            let distance = key_line.abs_diff(lines[v]);
            if distance <= max_lines {
                let above = value.start < key.start;
                let names = disagreement(&key_name, &names[v]);
                options.push((
                    names,
                    distance,
                    above,
                    key.start.abs_diff(value.start),
                    k,
                    v,
                ));
            }
        }
    }
    options.sort();
    let mut of_key = vec![None; keys.len()];
    let mut owner = vec![None; values.len()];
    let mut preferences: Vec<Vec<(u8, usize)>> = vec![Vec::new(); keys.len()];
    for &(names, _, _, _, k, v) in &options {
        preferences[k].push((names, v));
        if of_key[k].is_none() && owner[v].is_none() {
            of_key[k] = Some(v);
            owner[v] = Some(k);
        }
    }
    augment(&preferences, &mut of_key, &mut owner);
    of_key
}

/// How many values augmenting paths may visit in one blob, and how long a path may be.
const AUGMENT_BUDGET: usize = crate::limits::DEFAULT.augment_budget;
const AUGMENT_DEPTH: usize = crate::limits::DEFAULT.augment_depth;

/// Preference order can leave a key without a value that another key could have spared (A
/// reaches v1 and v2, B only v1, and A took v1 for being nearer). A key left alone takes a
/// value whose owner moves to another free value it reaches, never to one whose name agrees
/// worse than the one it gives up: more pairs, each still by evidence. Paths are short and
/// the search is budgeted per blob, so crafted text cannot make pairing quadratic.
fn augment(
    preferences: &[Vec<(u8, usize)>],
    of_key: &mut [Option<usize>],
    owner: &mut [Option<usize>],
) {
    let mut budget = AUGMENT_BUDGET;
    for k in 0..preferences.len() {
        if of_key[k].is_some() || preferences[k].is_empty() {
            continue;
        }
        let mut visited = HashSet::new();
        path(
            k,
            u8::MAX,
            0,
            preferences,
            of_key,
            owner,
            &mut visited,
            &mut budget,
        );
        if budget == 0 {
            return;
        }
    }
}

/// One augmenting path from key `k`, through values whose name agreement is at most `worst`.
#[allow(clippy::too_many_arguments)]
fn path(
    k: usize,
    worst: u8,
    depth: usize,
    preferences: &[Vec<(u8, usize)>],
    of_key: &mut [Option<usize>],
    owner: &mut [Option<usize>],
    visited: &mut HashSet<usize>,
    budget: &mut usize,
) -> bool {
    for &(names, v) in &preferences[k] {
        if names > worst || *budget == 0 || !visited.insert(v) {
            continue;
        }
        *budget -= 1;
        let moved = match owner[v] {
            None => true,
            Some(o) => {
                let kept = preferences[o]
                    .iter()
                    .find(|&&(_, w)| Some(w) == of_key[o])
                    .map_or(0, |&(n, _)| n);
                depth < AUGMENT_DEPTH
                    && path(
                        o,
                        kept,
                        depth + 1,
                        preferences,
                        of_key,
                        owner,
                        visited,
                        budget,
                    )
            }
        };
        if moved {
            of_key[k] = Some(v);
            owner[v] = Some(k);
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_and_compared() {
        let text = b"AWS_SECRET_ACCESS_KEY_PROD=\"x\"";
        assert_eq!(name_before(text, 28), b"AWS_SECRET_ACCESS_KEY_PROD");
        assert_eq!(words(b"awsSecretKeyDev"), ["AWS", "SECRET", "KEY", "DEV"]);
        assert_eq!(
            disagreement(
                &distinguishing(b"AWS_ACCESS_KEY_ID_PROD"),
                &distinguishing(b"AWS_SECRET_ACCESS_KEY_PROD")
            ),
            0
        );
        assert_eq!(
            disagreement(
                &distinguishing(b"AWS_ACCESS_KEY_ID_PROD"),
                &distinguishing(b"AWS_SECRET_ACCESS_KEY_DEV")
            ),
            2
        );
        assert_eq!(
            disagreement(
                &distinguishing(b"aws_access_key_id"),
                &distinguishing(b"aws_secret_access_key")
            ),
            1
        );
        assert!(other_provider(b"CLOUDFLARE_API_TOKEN"));
        assert!(!other_provider(b"AWS_SECRET_ACCESS_KEY"));
    }
}

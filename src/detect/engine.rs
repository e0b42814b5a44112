//! The detection engine: one pass of a literal prefilter over a blob finds every rule's
//! literals; only the neighbourhood of a hit reaches a rule's regex. Key IDs are then paired
//! with nearby secrets.
//!
//! The prefilter is one SIMD pass (`teddy`) over every rule literal and decoding hint, case
//! folded in its masks. Where it cannot run (no AVX2; user rules with a literal shorter than 3
//! bytes or not ASCII, or more than 64 literals in all) and past where it stops (text dense
//! with literal starts), alternations of the literals compiled by the `regex` crate find the
//! same hits: its literal optimiser hands them to aho-corasick's Teddy, case variants spelled
//! out; measured five times faster than an `ascii_case_insensitive` Aho-Corasick automaton on
//! source text.

use std::collections::{HashMap, HashSet};

use memchr::memmem;
use regex::bytes::Regex;

use super::aws::{self, Drop};
use super::emit::{shown, Candidate, Emitter};
use super::pair::{assign, name_before, other_provider, PAIR_REACH};
use super::rules::{Rule, RuleKind, RuleSet};
use super::teddy::{self, Teddy};
use crate::context::{BlobContext, Detector, LineIndex};
use crate::finding::Finding;

/// At most this many credential findings per blob; past it, one note says how many more.
pub const FINDINGS_PER_BLOB: usize = crate::limits::DEFAULT.findings_per_blob;
/// How many lines before (and one after) a weak literal its required nearby word may be.
const WEAK_LINES: usize = 3;
/// ... and how many bytes either side at most, whatever the lines' lengths.
const WEAK_REACH: usize = crate::limits::DEFAULT.weak_reach;

/// The literal start of every encoded spelling decoding looks for (`decode::STRONG_PATTERNS`):
/// the prefilter reports where they are, with every rule literal's hit (each a credential
/// word), so that a blob in which it saw nothing is not searched again for decoding at all,
/// and generic escapes count only near a hit. `(word, case-sensitive)`. Bare words such as
/// `secret` are left out: frequent in code, they slowed the one pass more than they found.
const HINT_WORDS: [(&[u8], bool); 17] = [
    (b"\\u0041", false),
    (b"\\u{", false),
    (b"\\x41", false),
    (b"&#x41;", false),
    (b"&#65;", true),
    (b"QUtJQ", true),
    (b"FLSU", true),
    (b"BS0lB", true),
    (b"QVNJQ", true),
    (b"FTSU", true),
    (b"BU0lB", true),
    (b"YXdzX", true),
    (b"F3c1", true),
    (b"hd3Nf", true),
    (b"QVdTX", true),
    (b"FXU18", true),
    (b"BV1Nf", true),
];
/// base64 of base64 of `AKIA` and `ASIA` at each alignment (`decode::STRONG_PATTERNS`):
/// searched in a pass of their own, as one more set of literals in the prefilter tips it
/// off its fastest search (it doubled the time of a tree scan).
const DOUBLE_BASE64: &str = "UVV0SlF|FVdEpR|RVXRKUV|GTFNVR|RkxTVU|ZMU1V|QlMwbEJ|JTMGxC|CUzBsQ|UVZOSlF|FWTkpR|RVk5KUV|GVFNVR|RlRTVU|ZUU1V|QlUwbEJ|JVMGxC|CVTBsQ";
/// At most this many hint offsets per blob.
const MAX_HINTS: usize = crate::limits::DEFAULT.hints_per_blob;

/// What one prefilter literal stands for.
struct Target {
    rule: usize,
    literal: Vec<u8>,
    case_sensitive: bool,
    weak: bool,
}

struct PairRule {
    rule: usize,
    key: usize,
    secret: usize,
    token: Option<usize>,
    lines: usize,
}

/// How many key-ID prefixes without a candidate a blob may have looked at for rejected shapes.
const MAX_REJECTED_LOOKS: usize = crate::limits::DEFAULT.rejected_looks;

/// Compiled once, shared by every worker.
pub struct Engine {
    pub rules: RuleSet,
    prefilter: Prefilter,
    targets: Vec<Target>,
    /// Lower-cased literal to the targets it stands for.
    by_literal: HashMap<Vec<u8>, Vec<usize>>,
    pairs: Vec<PairRule>,
    /// Layers of encoding undone around a trigger (0: plain text only).
    decode_depth: usize,
}

/// The literal search: Teddy where it can run, else (and past where Teddy stops, its
/// candidates too dense) the two `regex` alternations, the rule literals with the hint words
/// and `DOUBLE_BASE64`, which find the same hits.
struct Prefilter {
    teddy: Option<Box<Teddy>>,
    literals: Regex,
    twice: Regex,
}

/// Teddy's groups: the rule literals and hint words; `DOUBLE_BASE64`'s literals.
const LITERALS: usize = 0;
const TWICE: usize = 1;

/// Candidates `(rule, start, end)`, key-ID prefixes and hints (`Engine::prefilter_hits`).
pub type PrefilterHits = (Vec<(usize, usize, usize)>, Vec<usize>, Vec<usize>);

/// Every literal the prefilter looks for, `(literal, case-sensitive)`: the rules' (a target
/// each) and the hint words.
fn alternatives(targets: &[Target]) -> Vec<(&[u8], bool)> {
    targets
        .iter()
        .map(|t| (t.literal.as_slice(), t.case_sensitive))
        .chain(HINT_WORDS.iter().copied())
        .collect()
}

enum Verdict {
    Credential,
    NotASecret,
    Decoy(Drop),
}

/// What one blob's candidates become, decided before any finding is built so that every
/// secret's span is known to every excerpt.
enum Emission<'c> {
    Credential {
        rule: usize,
        key: &'c Candidate,
        secret: Option<&'c Candidate>,
        token: Option<&'c Candidate>,
        pair_lines: usize,
    },
    Lone(&'c Candidate),
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the literal prefilter: {0}")]
pub struct BuildError(#[from] regex::Error);

impl Engine {
    pub fn new(rules: RuleSet, pair_lines: Option<usize>) -> Result<Engine, BuildError> {
        let mut targets = Vec::new();
        for (index, rule) in rules.rules.iter().enumerate() {
            let spec = &rule.spec;
            let strong = spec.literals.iter().map(|l| (l, false));
            for (literal, weak) in strong.chain(spec.weak_literals.iter().map(|l| (l, true))) {
                targets.push(Target {
                    rule: index,
                    literal: literal.as_bytes().to_vec(),
                    case_sensitive: spec.case_sensitive,
                    weak,
                });
            }
        }
        let mut by_literal: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (i, t) in targets.iter().enumerate() {
            by_literal
                .entry(t.literal.to_ascii_lowercase())
                .or_default()
                .push(i);
        }
        let teddy = teddy::available()
            .then(|| Self::teddy(&alternatives(&targets)))
            .flatten();
        let prefilter = Prefilter {
            teddy: teddy.map(Box::new),
            ..Self::regex_prefilter(&targets)?
        };
        let pairs = rules
            .rules
            .iter()
            .enumerate()
            .filter_map(|(index, rule)| {
                let pair = rule.spec.pair.as_ref()?;
                Some(PairRule {
                    rule: index,
                    key: rules.index_of(&pair.key)?,
                    secret: rules.index_of(&pair.secret)?,
                    token: pair.token.as_deref().and_then(|t| rules.index_of(t)),
                    lines: pair_lines.unwrap_or(pair.lines),
                })
            })
            .collect();
        Ok(Engine {
            rules,
            prefilter,
            targets,
            by_literal,
            pairs,
            decode_depth: super::decode::DEPTH,
        })
    }

    /// The `regex` prefilter, whatever the CPU: the fuzz target and the tests compare its hits
    /// with Teddy's (`prefilter_hits`).
    #[doc(hidden)]
    pub fn with_regex_prefilter(mut self) -> Result<Engine, BuildError> {
        self.prefilter = Self::regex_prefilter(&self.targets)?;
        Ok(self)
    }

    /// What the prefilter's hits lead to in `bytes`: every candidate as `(rule, start, end)`,
    /// the key-ID prefixes looked at for rejected shapes, and the hints handed to decoding.
    #[doc(hidden)]
    pub fn prefilter_hits(&self, bytes: &[u8]) -> PrefilterHits {
        let (candidates, key_prefixes, hints) = self.candidates(bytes);
        let candidates = candidates
            .iter()
            .map(|c| (c.rule, c.start, c.end))
            .collect();
        (candidates, key_prefixes, hints)
    }

    fn regex_prefilter(targets: &[Target]) -> Result<Prefilter, BuildError> {
        Ok(Prefilter {
            teddy: None,
            literals: Self::alternation(alternatives(targets))?,
            twice: Regex::new(DOUBLE_BASE64)?,
        })
    }

    /// Teddy over the literals (one pattern per literal up to ASCII case, folded if any of its
    /// spellings is) and `DOUBLE_BASE64`'s; `None` where it cannot run.
    fn teddy(alternatives: &[(&[u8], bool)]) -> Option<Teddy> {
        let mut patterns: Vec<teddy::Pattern> = Vec::new();
        for &(literal, case_sensitive) in alternatives {
            match patterns
                .iter_mut()
                .find(|p| p.bytes.eq_ignore_ascii_case(literal))
            {
                Some(same) if same.fold || same.bytes == literal || !case_sensitive => {
                    same.fold |= !case_sensitive;
                }
                Some(_) => {
                    // The same letters in another case, both case-sensitive: two patterns.
                    patterns.push(teddy::Pattern {
                        bytes: literal.to_vec(),
                        fold: false,
                        group: LITERALS,
                    });
                }
                None => patterns.push(teddy::Pattern {
                    bytes: literal.to_vec(),
                    fold: !case_sensitive,
                    group: LITERALS,
                }),
            }
        }
        patterns.extend(DOUBLE_BASE64.split('|').map(|literal| teddy::Pattern {
            bytes: literal.as_bytes().to_vec(),
            fold: false,
            group: TWICE,
        }));
        Teddy::new(patterns)
    }

    /// The literals as one `regex` alternation, longest first, so that its leftmost-first
    /// search prefers the most specific literal.
    fn alternation(mut alternatives: Vec<(&[u8], bool)>) -> Result<Regex, regex::Error> {
        alternatives.sort_by_key(|(literal, _)| std::cmp::Reverse(literal.len()));
        let pattern = alternatives
            .iter()
            .map(|(literal, case_sensitive)| {
                let literal = regex::escape(&String::from_utf8_lossy(literal));
                if *case_sensitive {
                    literal
                } else {
                    format!("(?i:{literal})")
                }
            })
            .collect::<Vec<_>>()
            .join("|");
        regex::bytes::RegexBuilder::new(&pattern)
            .unicode(false)
            .size_limit(64 << 20)
            .build()
    }

    /// How many layers of encoding to undo, at most `decode::MAX_DEPTH`; 0 turns decoding off.
    pub fn with_decode_depth(mut self, depth: usize) -> Engine {
        self.decode_depth = depth.min(super::decode::MAX_DEPTH);
        self
    }

    pub(super) fn rule(&self, index: usize) -> &Rule {
        &self.rules.rules[index]
    }

    /// Scans one blob: candidates, then pairing, then one finding per credential.
    /// Finds, pairs and emits the blob's credentials; returns where credential words are (every
    /// prefilter hit), for decoding.
    fn scan_blob(&self, cx: &BlobContext, out: &mut Vec<Finding>) -> Vec<usize> {
        let bytes = cx.bytes();
        let (candidates, key_prefixes, hints) = self.candidates(bytes);
        self.count_rejected(cx, bytes, &candidates, &key_prefixes);
        if candidates.is_empty() {
            return hints;
        }
        let mut keys = Vec::new();
        let mut named_secrets = Vec::new();
        let mut tokens = Vec::new();
        let mut generic = Vec::new();
        // Key IDs dropped as decoys still pair: their secret and token are dropped with them,
        // not reported as values whose key ID is out of reach.
        let mut decoy_keys: HashMap<usize, Drop> = HashMap::new();
        for cand in candidates {
            let value = &bytes[cand.start..cand.end];
            let kind = self.rule(cand.rule).spec.kind;
            match self.judge(kind, value) {
                Verdict::Credential => {}
                Verdict::NotASecret => continue,
                Verdict::Decoy(why) => {
                    cx.dropped(why, self.redact(cand.rule, value));
                    if kind == RuleKind::KeyId {
                        decoy_keys.insert(cand.start, why);
                        keys.push(cand);
                    }
                    continue;
                }
            }
            match kind {
                RuleKind::KeyId => keys.push(cand),
                // A value named for another provider is that provider's, whatever word led to it.
                RuleKind::SecretKey if other_provider(name_before(bytes, cand.start)) => {}
                RuleKind::SecretKey => named_secrets.push(cand),
                RuleKind::SessionToken => tokens.push(cand),
                RuleKind::Generic | RuleKind::Pair | RuleKind::Audit => generic.push(cand),
            }
        }
        if keys.is_empty() && named_secrets.is_empty() && tokens.is_empty() && generic.is_empty() {
            return hints;
        }
        let lines = cx.lines();

        // Pair each key ID with the nearest secret (and token) within its rule's line window.
        let mut used_secret = HashSet::new();
        let mut used_token = HashSet::new();
        let mut paired_keys = HashSet::new();
        let mut neighbours: Vec<(usize, Vec<Candidate>, Vec<Candidate>)> = Vec::new();
        for (p, pair) in self.pairs.iter().enumerate() {
            let mut secrets = named_secrets.clone();
            let mut near_tokens = tokens.clone();
            // The keys' neighbourhoods, overlapping ones merged: each byte is searched once
            // however many keys share it.
            let mut windows: Vec<(usize, usize)> = Vec::new();
            for key in keys.iter().filter(|k| k.rule == pair.key) {
                let (from, to) = neighbourhood(lines, bytes, key.start, pair.lines);
                match windows.last_mut() {
                    Some(last) if from <= last.1 => last.1 = last.1.max(to),
                    _ => windows.push((from, to)),
                }
            }
            for (rule, list) in [
                (Some(pair.secret), &mut secrets),
                (pair.token, &mut near_tokens),
            ] {
                let Some(rule) = rule else { continue };
                let kind = self.rule(rule).spec.kind;
                let mut seen: HashSet<usize> = list.iter().map(|c| c.start).collect();
                for &(from, to) in &windows {
                    for c in self.matches_in(rule, bytes, from, to, None) {
                        // Neighbours are only candidates: decoys among them are not counted.
                        let usable = matches!(
                            self.judge(kind, &bytes[c.start..c.end]),
                            Verdict::Credential
                        );
                        // Another provider's secret is never an AWS key's.
                        let theirs = other_provider(name_before(bytes, c.start));
                        if usable && !theirs && seen.insert(c.start) {
                            list.push(c);
                        }
                    }
                }
            }
            neighbours.push((p, secrets, near_tokens));
        }
        let mut emissions = Vec::new();
        for (p, secrets, near_tokens) in &neighbours {
            let pair = &self.pairs[*p];
            let pair_keys: Vec<&Candidate> = keys.iter().filter(|k| k.rule == pair.key).collect();
            let secret_of = assign(bytes, lines, &pair_keys, secrets, pair.lines);
            let token_of = assign(bytes, lines, &pair_keys, near_tokens, pair.lines);
            for (i, key) in pair_keys.iter().enumerate() {
                let secret = secret_of[i].map(|s| &secrets[s]);
                let token = token_of[i].map(|t| &near_tokens[t]);
                if let Some(s) = secret {
                    used_secret.insert(s.start);
                }
                if let Some(t) = token {
                    used_token.insert(t.start);
                }
                paired_keys.insert(key.start);
                if decoy_keys.contains_key(&key.start) {
                    for c in secret.iter().chain(token.iter()) {
                        let value = &bytes[c.start..c.end];
                        cx.dropped(Drop::OfDecoyKey, self.redact(c.rule, value));
                    }
                    continue;
                }
                let rule = if secret.is_some() {
                    pair.rule
                } else {
                    key.rule
                };
                emissions.push(Emission::Credential {
                    rule,
                    key,
                    secret,
                    token,
                    pair_lines: pair.lines,
                });
            }
        }
        for key in keys
            .iter()
            .filter(|k| !paired_keys.contains(&k.start) && !decoy_keys.contains_key(&k.start))
        {
            emissions.push(Emission::Credential {
                rule: key.rule,
                key,
                secret: None,
                token: None,
                pair_lines: 0,
            });
        }
        emissions.extend(
            named_secrets
                .iter()
                .filter(|s| !used_secret.contains(&s.start))
                .map(Emission::Lone),
        );
        emissions.extend(
            tokens
                .iter()
                .filter(|t| !used_token.contains(&t.start))
                .map(Emission::Lone),
        );
        emissions.extend(generic.iter().map(Emission::Lone));

        // Every secret value is known before the first excerpt is cut, those over the budget
        // below included (a reported finding's line may show them), in every spelling.
        for emission in &emissions {
            match emission {
                Emission::Credential { secret, token, .. } => {
                    for c in secret.iter().chain(token.iter()) {
                        cx.add_secret(c.start..c.end);
                    }
                }
                Emission::Lone(c) => cx.add_secret(c.start..c.end),
            }
        }
        cx.add_other_spellings();
        // A budget on what one blob may report: a dump of 50,000 keys is one problem, and its
        // findings must not take gigabytes. Key pairs first, then the rest, in file order.
        if emissions.len() > FINDINGS_PER_BLOB {
            let more = emissions.len() - FINDINGS_PER_BLOB;
            emissions.sort_by_key(|e| match e {
                Emission::Credential {
                    secret: Some(_),
                    key,
                    ..
                } => (0, key.start),
                Emission::Credential { key, .. } => (1, key.start),
                Emission::Lone(c) => (2, c.start),
            });
            emissions.truncate(FINDINGS_PER_BLOB);
            cx.note(format!(
                "{}: {more} more credentials not reported (over the budget of {FINDINGS_PER_BLOB} findings per file): treat every key in this file as exposed",
                cx.origin().display()
            ));
        }
        let emit = Emitter {
            rules: &self.rules,
            cx,
        };
        for emission in emissions {
            out.push(match emission {
                Emission::Credential {
                    rule,
                    key,
                    secret,
                    token,
                    pair_lines,
                } => emit.credential(rule, key, secret, token, pair_lines),
                Emission::Lone(c) => emit.lone_value(c),
            });
        }
        hints
    }

    /// Key-ID-shaped strings that are not key IDs (a digit 0, 1, 8 or 9 in the body, which
    /// base32 never has) are counted under "dropped", never silently ignored.
    fn count_rejected(
        &self,
        cx: &BlobContext,
        bytes: &[u8],
        candidates: &[Candidate],
        key_prefixes: &[usize],
    ) {
        static SHAPE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
        let shape = SHAPE.get_or_init(|| {
            Regex::new(r"(?:^|[^A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?:$|[^A-Za-z0-9])")
                .expect("the shape pattern compiles")
        });
        // Only where the prefilter already pointed: a key prefix without a candidate there.
        for &hit in key_prefixes {
            // Candidates are sorted by start.
            if candidates.binary_search_by_key(&hit, |c| c.start).is_ok() {
                continue;
            }
            let from = hit.saturating_sub(1);
            let to = (hit + 21).min(bytes.len());
            if let Some(caps) = shape.captures(&bytes[from..to]) {
                let value = caps.get(1).map_or(&b""[..], |m| m.as_bytes());
                if value.iter().any(|b| matches!(b, b'0' | b'1' | b'8' | b'9')) {
                    cx.dropped(Drop::NotBase32, String::from_utf8_lossy(value).into_owned());
                }
            }
        }
    }

    /// Every rule match reached from a prefilter hit, each once, and where the hits were key
    /// ID prefixes (at most `MAX_REJECTED_LOOKS`), for `count_rejected`.
    fn candidates(&self, bytes: &[u8]) -> (Vec<Candidate>, Vec<usize>, Vec<usize>) {
        let mut out: Vec<Candidate> = Vec::new();
        let mut key_prefixes = Vec::new();
        let mut hints = Vec::new();
        let mut twice = Vec::new();
        // One buffer for every hit's lower-cased literal, not an allocation per hit.
        let mut literal = Vec::new();
        let mut hit = |start: usize, end: usize| {
            let text = &bytes[start..end];
            if hints.len() < MAX_HINTS {
                hints.push(start);
            }
            if matches!(text, b"AKIA" | b"ASIA") && key_prefixes.len() < MAX_REJECTED_LOOKS {
                key_prefixes.push(start);
            }
            literal.clear();
            literal.extend(text.iter().map(u8::to_ascii_lowercase));
            let Some(targets) = self.by_literal.get(&literal) else {
                return;
            };
            for &t in targets {
                self.visit_hit(&self.targets[t], bytes, start, end, &mut out);
            }
        };
        let prefilter = &self.prefilter;
        // Where each group's `regex` search starts: the whole blob without Teddy, nothing
        // where Teddy searched it all.
        let resume = match &prefilter.teddy {
            Some(teddy) => teddy.for_each(bytes, |pattern, start| {
                let pattern = teddy.pattern(pattern);
                if pattern.group == LITERALS {
                    hit(start, start + pattern.bytes.len());
                } else if twice.len() < MAX_HINTS {
                    twice.push(start);
                }
            }),
            None => Some([0; teddy::GROUPS]),
        };
        if let Some(resume) = resume {
            let rest = |group: usize| {
                let from = resume[group].min(bytes.len());
                (from, &bytes[from..])
            };
            let (from, text) = rest(LITERALS);
            for found in prefilter.literals.find_iter(text) {
                hit(from + found.start(), from + found.end());
            }
            let (from, text) = rest(TWICE);
            let room = MAX_HINTS.saturating_sub(twice.len());
            twice.extend(
                prefilter
                    .twice
                    .find_iter(text)
                    .take(room)
                    .map(|m| from + m.start()),
            );
        }
        out.sort_by_key(|c| (c.start, c.rule));
        out.dedup_by_key(|c| (c.start, c.rule));
        if !twice.is_empty() && hints.len() < MAX_HINTS {
            twice.truncate(MAX_HINTS - hints.len());
            hints.extend(twice);
            hints.sort_unstable();
        }
        (out, key_prefixes, hints)
    }

    /// Runs the rule of one literal hit over the hit's neighbourhood.
    fn visit_hit(
        &self,
        target: &Target,
        bytes: &[u8],
        start: usize,
        end: usize,
        out: &mut Vec<Candidate>,
    ) {
        let rule = self.rule(target.rule);
        if target.case_sensitive && bytes[start..end] != target.literal[..] {
            return;
        }
        if target.weak && !self.nearby_word(rule, bytes, start) {
            return;
        }
        // Never look past the rule's reach for a line's ends: one long line of hits must
        // cost each hit its reach, not the line.
        let (lo, hi) = (
            start.saturating_sub(rule.spec.reach),
            (end + rule.spec.reach).min(bytes.len()),
        );
        let (line_start, mut line_end) = line_bounds_within(bytes, start, lo, hi);
        for _ in 0..rule.spec.context_lines {
            if line_end < hi {
                line_end = line_bounds_within(bytes, line_end + 1, lo, hi).1;
            }
        }
        let to = line_end.min(end + rule.spec.reach);
        // Key IDs and tokens begin with their literal (after one boundary character), and a
        // secret follows the literal that names it; a user's generic rule may hold its
        // literal anywhere in the match.
        let (from, cover) = match rule.spec.kind {
            // Two characters back: the boundary may be an escape (`\n`, `\t`) before it.
            RuleKind::KeyId | RuleKind::SessionToken => (start.saturating_sub(2), Some(start)),
            RuleKind::SecretKey | RuleKind::Pair | RuleKind::Audit => (start, None),
            RuleKind::Generic => (
                line_start.max(start.saturating_sub(rule.spec.reach)),
                Some(start),
            ),
        };
        out.extend(self.matches_in(target.rule, bytes, from, to, cover));
    }

    /// Matches of rule `index` in `bytes[from..to]` (look-behind sees the whole blob). With
    /// `cover`, only matches whose whole span holds that offset.
    fn matches_in(
        &self,
        index: usize,
        bytes: &[u8],
        from: usize,
        to: usize,
        cover: Option<usize>,
    ) -> Vec<Candidate> {
        let rule = self.rule(index);
        let Some(regex) = &rule.regex else {
            return Vec::new();
        };
        let hay = &bytes[..to];
        let mut at = from;
        let mut out = Vec::new();
        while at <= to {
            let Some(caps) = regex.captures_at(hay, at) else {
                break;
            };
            let whole = caps.get(0).expect("group 0 always matches");
            if let Some(value) = caps.get(rule.secret_group) {
                let covers = cover.is_none_or(|c| whole.start() <= c && c < whole.end());
                if covers {
                    out.push(Candidate {
                        rule: index,
                        start: value.start(),
                        end: value.end(),
                    });
                }
                if cover.is_some_and(|c| whole.start() > c) {
                    break;
                }
            }
            // Boundary characters are part of the match: resume at the value's end so that
            // two values separated by one character are both found.
            let next = caps.get(rule.secret_group).map_or(whole.end(), |v| v.end());
            at = if next > at { next } else { at + 1 };
        }
        out
    }

    fn nearby_word(&self, rule: &Rule, bytes: &[u8], at: usize) -> bool {
        let (lo, hi) = (
            at.saturating_sub(WEAK_REACH),
            (at + WEAK_REACH).min(bytes.len()),
        );
        let mut from = line_bounds_within(bytes, at, lo, hi).0;
        for _ in 0..WEAK_LINES {
            if from <= lo {
                break;
            }
            from = line_bounds_within(bytes, from - 1, lo, hi).0;
        }
        let mut to = line_bounds_within(bytes, at, lo, hi).1;
        if to < hi {
            to = line_bounds_within(bytes, to + 1, lo, hi).1;
        }
        let window = bytes[from..to].to_ascii_lowercase();
        rule.spec
            .weak_needs_nearby
            .iter()
            .any(|word| memmem::find(&window, word.to_ascii_lowercase().as_bytes()).is_some())
    }

    /// Whether a matched value is a credential, cannot be a secret at all, or is a decoy.
    fn judge(&self, kind: RuleKind, value: &[u8]) -> Verdict {
        if kind == RuleKind::SecretKey && !plausible(value) {
            return Verdict::NotASecret;
        }
        match self.rules.decoys.classify(&String::from_utf8_lossy(value)) {
            Some(why) => Verdict::Decoy(why),
            None => Verdict::Credential,
        }
    }

    fn redact(&self, rule: usize, value: &[u8]) -> String {
        shown(self.rule(rule).spec.kind, value)
    }
}

impl Detector for Engine {
    fn scan(&self, cx: &BlobContext, out: &mut Vec<Finding>) {
        let first = out.len();
        let hints = self.scan_blob(cx, out);
        // Then the blob with its encodings undone, each finding brought back to its encoded
        // span; what the plain text already gave is not repeated.
        let Some(view) = super::decode::decode(cx.bytes(), self.decode_depth, &hints) else {
            return;
        };
        let blob = crate::source::Blob {
            origin: cx.origin().clone(),
            bytes: std::borrow::Cow::Borrowed(&view.bytes),
        };
        let decoded = BlobContext::new(&blob);
        let mut found = Vec::new();
        self.scan_blob(&decoded, &mut found);
        let before = cx.secrets().len();
        for span in decoded.secrets().iter() {
            let (start, end) = view.original_span(span.start, span.end);
            cx.add_secret(start..end);
        }
        // Secrets only the decoded text showed may sit on the lines of plain findings: cut
        // those excerpts again.
        if cx.secrets().len() > before {
            cx.add_other_spellings();
            for finding in &mut out[first..] {
                finding.excerpt =
                    super::emit::excerpt(cx, finding.location.start, finding.location.end);
            }
        }
        let how = view.layers.join(", ");
        for mut finding in found {
            if out[first..].iter().any(|plain| plain.same_secret(&finding)) {
                continue;
            }
            let (start, end) = view.original_span(finding.location.start, finding.location.end);
            finding.location = cx.location(start, end);
            for related in &mut finding.related {
                let (s, e) = view.original_span(related.location.start, related.location.end);
                related.location = cx.location(s, e);
            }
            finding.excerpt = super::emit::excerpt(cx, start, end);
            finding
                .message
                .push_str(&format!(" (found after decoding: {how})"));
            // A key the plain text showed alone and the decoded text pairs: the pair replaces it.
            if let (false, Some(key)) = (finding.related.is_empty(), &finding.facts.key_id) {
                let mut ours = out.split_off(first);
                ours.retain(|f| !(f.related.is_empty() && f.facts.key_id.as_ref() == Some(key)));
                out.append(&mut ours);
            }
            out.push(finding);
        }
    }
}

fn plausible(value: &[u8]) -> bool {
    std::str::from_utf8(value).is_ok_and(aws::plausible_secret)
}

/// Byte range of the line holding `at`, without its terminator, looking no further than
/// `lo..hi` for its ends.
fn line_bounds_within(bytes: &[u8], at: usize, lo: usize, hi: usize) -> (usize, usize) {
    let at = at.clamp(lo, hi);
    let start = memchr::memrchr(b'\n', &bytes[lo..at]).map_or(lo, |i| lo + i + 1);
    let end = memchr::memchr(b'\n', &bytes[at..hi]).map_or(hi, |i| at + i);
    (start, end)
}

/// Lines `lines` before and after the one holding `at`, clipped to `PAIR_REACH` bytes each side.
fn neighbourhood(index: &LineIndex, bytes: &[u8], at: usize, lines: usize) -> (usize, usize) {
    let line = index.line_of(at);
    let first = line.saturating_sub(lines);
    let last = (line + lines).min(index.line_count() - 1);
    let from = index
        .line_span(bytes, first)
        .0
        .max(at.saturating_sub(PAIR_REACH));
    let to = index.line_span(bytes, last).1.min(at + PAIR_REACH);
    (from, to.max(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Teddy and the `regex` alternations find the same hits: random text built of every
    /// literal (in random case), their beginnings, key IDs, base64 and arbitrary bytes, at
    /// lengths on both sides of Teddy's 32-byte step.
    #[test]
    fn teddy_finds_what_the_alternations_find() {
        let rules = || RuleSet::load(None).unwrap();
        let teddy = Engine::new(rules(), None).unwrap();
        assert!(
            teddy.prefilter.teddy.is_some() || !teddy::available(),
            "the built-in rules fit Teddy"
        );
        let regex = Engine::new(rules(), None)
            .unwrap()
            .with_regex_prefilter()
            .unwrap();
        let mut words: Vec<Vec<u8>> = alternatives(&teddy.targets)
            .iter()
            .map(|(l, _)| l.to_vec())
            .chain(DOUBLE_BASE64.split('|').map(|l| l.as_bytes().to_vec()))
            .collect();
        words.extend(
            [
                // Split, so that the repository's own scan does not report it.
                concat!("AKIA", "QWERTYUIOPASDFGH"),
                "ASIA2345672345672345",
                "=",
                " ",
                "\n",
                "\"",
                "\n",
                "\0",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ]
            .map(|w| w.as_bytes().to_vec()),
        );
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut hinted, mut fired) = (0, 0);
        for round in 0..3000 {
            let target = if round % 10 == 0 {
                3000
            } else {
                (next() % 200) as usize
            };
            let mut hay = Vec::new();
            while hay.len() < target {
                let word = &words[(next() % words.len() as u64) as usize];
                match next() % 6 {
                    0 => hay.push((next() % 256) as u8),
                    1 => hay.extend(&word[..1 + (next() as usize) % word.len()]),
                    2 => hay.extend(word.iter().map(|&b| {
                        if next() % 2 == 0 {
                            b.to_ascii_uppercase()
                        } else {
                            b.to_ascii_lowercase()
                        }
                    })),
                    _ => hay.extend(word),
                }
            }
            let (a, b) = (teddy.prefilter_hits(&hay), regex.prefilter_hits(&hay));
            assert_eq!(a, b, "on {:?}", String::from_utf8_lossy(&hay));
            hinted += usize::from(!a.2.is_empty());
            fired += usize::from(!a.0.is_empty());
        }
        // The comparison means something only where there were hits.
        assert!(
            hinted > 2500 && fired > 200,
            "{hinted} haystacks had hints, {fired} candidates"
        );
        // Where Teddy stops (candidates too dense) and the alternations take the rest over: a
        // blob sparse, then dense with literal starts and hits (the alternations find them
        // only past the stop), then sparse again.
        for round in 0..8 {
            let mut hay = Vec::new();
            let mut piece = |hay: &mut Vec<u8>, dense: bool, len: usize| {
                let start = hay.len();
                while hay.len() < start + len {
                    let word = &words[(next() % words.len() as u64) as usize];
                    hay.extend(word);
                    if !dense {
                        hay.extend(std::iter::repeat_n(b'.', (next() % 400) as usize));
                    } else if next() % 3 == 0 {
                        hay.extend(b"aws_awsSEC".iter().cycle().take((next() % 40) as usize));
                    }
                }
            };
            piece(&mut hay, false, 1000 + 7 * round);
            piece(&mut hay, true, 150_000);
            piece(&mut hay, false, 20_000);
            let stopped = teddy
                .prefilter
                .teddy
                .as_ref()
                .map(|t| t.for_each(&hay, |_, _| ()));
            assert!(
                stopped.is_none_or(|s| s.is_some()),
                "Teddy searched a dense blob through"
            );
            assert_eq!(teddy.prefilter_hits(&hay), regex.prefilter_hits(&hay));
        }
    }
}

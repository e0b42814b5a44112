//! The catalogue: every rule keyrot knows, whatever its family — secret rules and audit checks
//! (data in `patterns/`, loaded by `detect::rules`) and policy checks (code in
//! `policy::checks`) — in one list for `keyrot rules`, `explain`, the rule pages and SARIF.

use std::collections::HashSet;

use crate::detect::RuleSet;
use crate::error::FileError;
use crate::rule::RuleMeta;

pub struct Catalog {
    rules: Vec<RuleMeta>,
}

impl Catalog {
    /// The rules of `secrets` (embedded and the user's), then every policy check. An id
    /// defined twice is an error naming where.
    pub fn new(secrets: &RuleSet) -> Result<Catalog, FileError> {
        let mut rules: Vec<RuleMeta> = secrets.rules.iter().map(|r| r.spec.meta()).collect();
        let policy = crate::policy::rules();
        let mut seen: HashSet<&str> = HashSet::new();
        for rule in rules.iter().chain(&policy) {
            if !seen.insert(&rule.id) {
                let source = secrets
                    .get(&rule.id)
                    .map_or("src/policy/checks", |r| r.source.as_str());
                return Err(FileError::invalid(
                    source,
                    format!("rule id `{}` is defined twice", rule.id),
                ));
            }
        }
        rules.extend(policy);
        Ok(Catalog { rules })
    }

    pub fn rules(&self) -> &[RuleMeta] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rule's position in `rules()`, which is SARIF's `ruleIndex`.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_in_the_catalogue_once() {
        let catalog = Catalog::new(&RuleSet::load(None).unwrap()).unwrap();
        for id in [
            "aws.access-key-pair",
            "policy.full-admin",
            "iam.key-too-old",
        ] {
            assert!(catalog.get(id).is_some(), "{id}");
        }
        for rule in catalog.rules() {
            assert!(rule.documentation_gaps().is_empty(), "{}", rule.id);
        }
    }
}

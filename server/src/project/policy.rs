//! The rule policy of a `vigil.toml` (its top level and each `[[overrides]]` table)
//! and how it is laid over another [`RuleFilter`].
//!
//! Laying a policy over a filter: the keys the policy sets win (`select`,
//! `min-severity`, `min-confidence`, and each rule's `severity`), its `ignore` is added
//! to the filter's. A rule ignored anywhere stays off: a project can only be made
//! quieter by an override, never louder by accident.

use std::collections::HashMap;

use super::rules::Rules;
use crate::engine::{Confidence, RuleFilter, Severity};

/// What one file is analysed with: its project's rules and its resolved filter.
#[derive(Debug, Clone)]
pub struct FilePolicy {
    pub rules: Rules,
    pub filter: RuleFilter,
}

impl FilePolicy {
    pub fn builtin(filter: RuleFilter) -> FilePolicy {
        FilePolicy {
            rules: Rules::Builtin,
            filter,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// None: the file does not say (the filter below keeps its own selection).
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub severity: HashMap<String, Severity>,
    pub min_severity: Option<Severity>,
    pub min_confidence: Option<Confidence>,
    /// `[suppressions] honour-other-tools`; None: the file does not say.
    pub honour_other_tools: Option<bool>,
}

impl Policy {
    pub fn apply_to(&self, filter: &mut RuleFilter) {
        if let Some(select) = &self.select {
            filter.select = select.clone();
        }
        for s in &self.ignore {
            if !filter.ignore.contains(s) {
                filter.ignore.push(s.clone());
            }
        }
        for (id, severity) in &self.severity {
            filter.severity_overrides.insert(id.clone(), *severity);
        }
        if self.min_severity.is_some() {
            filter.min_severity = self.min_severity;
        }
        if self.min_confidence.is_some() {
            filter.min_confidence = self.min_confidence;
        }
        if let Some(honour) = self.honour_other_tools {
            filter.no_foreign_suppressions = !honour;
        }
    }

    /// Every selector and rule id the policy names, for checking against the rules.
    pub fn selectors(&self) -> impl Iterator<Item = &String> {
        self.select.iter().flatten().chain(&self.ignore)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_keys_win_and_ignores_accumulate() {
        let mut filter = RuleFilter {
            select: vec!["js/".into()],
            ignore: vec!["js/a".into()],
            min_confidence: Some(Confidence::Medium),
            ..RuleFilter::default()
        };
        Policy {
            ignore: vec!["js/b".into(), "js/a".into()],
            min_severity: Some(Severity::High),
            severity: HashMap::from([("js/c".to_string(), Severity::Low)]),
            ..Policy::default()
        }
        .apply_to(&mut filter);
        assert_eq!(
            filter.select,
            ["js/"],
            "select kept: the policy does not set it"
        );
        assert_eq!(filter.ignore, ["js/a", "js/b"]);
        assert_eq!(filter.min_severity, Some(Severity::High));
        assert_eq!(filter.min_confidence, Some(Confidence::Medium));
        assert_eq!(filter.severity_overrides["js/c"], Severity::Low);
        Policy {
            select: Some(vec!["go/".into()]),
            ..Policy::default()
        }
        .apply_to(&mut filter);
        assert_eq!(filter.select, ["go/"]);
    }
}

//! Which rules run and how their findings are graded: selectors, severity and
//! confidence thresholds, overrides. Shared by the CLI and the server.

use std::collections::HashMap;

use crate::engine::rule::{Confidence, Rule, Severity};

/// Which rules run and how their findings are graded; shared by CLI and server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleFilter {
    /// Selectors (rule id, id prefix such as `go/`, `CWE-89`, or a tag); empty = all.
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub min_severity: Option<Severity>,
    pub min_confidence: Option<Confidence>,
    pub severity_overrides: HashMap<String, Severity>,
    /// Ignore other tools' suppression markers (`#nosec`, `nosemgrep`,
    /// `eslint-disable-next-line`); by default they suppress the rules that name
    /// them in `aliases`.
    pub no_foreign_suppressions: bool,
}

fn selector_matches(selector: &str, rule: &Rule) -> bool {
    if let Some(n) = selector
        .strip_prefix("CWE-")
        .or_else(|| selector.strip_prefix("cwe-"))
    {
        return n.parse::<u32>().is_ok_and(|n| rule.cwe.contains(&n));
    }
    rule.id == selector
        || (selector.ends_with('/') && rule.id.starts_with(selector))
        || rule.id.starts_with(&format!("{selector}-"))
        || rule.id.split('/').next() == Some(selector)
        || rule.tags.iter().any(|t| t == selector)
}

impl RuleFilter {
    pub fn severity_of(&self, rule: &Rule) -> Severity {
        self.severity_overrides
            .get(&rule.id)
            .copied()
            .unwrap_or(rule.severity)
    }

    pub fn enabled(&self, rule: &Rule) -> bool {
        if !self.select.is_empty() && !self.select.iter().any(|s| selector_matches(s, rule)) {
            return false;
        }
        if self.ignore.iter().any(|s| selector_matches(s, rule)) {
            return false;
        }
        if self
            .min_severity
            .is_some_and(|min| self.severity_of(rule) < min)
        {
            return false;
        }
        if self.min_confidence.is_some_and(|min| rule.confidence < min) {
            return false;
        }
        true
    }
}

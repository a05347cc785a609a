//! Which rules and filter each scanned file gets: its `vigil.toml` (found by walking
//! up, or `--config`), its project's organisation rules, then the command-line flags.
//!
//! Precedence: built-in defaults < the file's top level < its matching
//! `[[overrides]]` (in file order) < flags. `--select`, `--min-severity` and
//! `--min-confidence` replace what the file says; `--ignore` adds to it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::suggest;
use super::walk::{Candidate, Exclude};
use crate::engine::rule::load::load_rules;
use crate::engine::{Confidence, RuleFilter, RuleSet, Severity};
use crate::project::rules::{builtin_sources, load_with_dirs};
use crate::project::{ConfigFinder, FilePolicy, ProjectConfig, RuleSetCache, Rules};

/// The rule flags given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub min_severity: Option<Severity>,
    pub min_confidence: Option<Confidence>,
    pub no_foreign_suppressions: bool,
}

impl Flags {
    /// The filter of a file no `vigil.toml` covers.
    pub fn filter(&self) -> RuleFilter {
        let mut filter = RuleFilter::default();
        self.apply_to(&mut filter);
        filter
    }

    fn apply_to(&self, filter: &mut RuleFilter) {
        if self.no_foreign_suppressions {
            filter.no_foreign_suppressions = true;
        }
        if !self.select.is_empty() {
            filter.select = self.select.clone();
        }
        for s in &self.ignore {
            if !filter.ignore.contains(s) {
                filter.ignore.push(s.clone());
            }
        }
        if self.min_severity.is_some() {
            filter.min_severity = self.min_severity;
        }
        if self.min_confidence.is_some() {
            filter.min_confidence = self.min_confidence;
        }
    }
}

/// The finder for this run: `--config FILE`, or discovery from each path.
pub fn finder(config: Option<&Path>) -> Result<Arc<ConfigFinder>, String> {
    Ok(Arc::new(match config {
        Some(file) => ConfigFinder::fixed(ProjectConfig::load(file).map_err(|e| e.to_string())?),
        None => ConfigFinder::discovering(),
    }))
}

/// The walker's exclusion: each path against its own project's `exclude`.
pub fn exclude(finder: &Arc<ConfigFinder>) -> Exclude {
    let finder = finder.clone();
    Exclude(Arc::new(move |path, is_dir| {
        let (full, config) = finder.lookup(path, is_dir);
        config.is_some_and(|c| c.is_excluded(&full))
    }))
}

pub struct Resolved {
    /// Parallel to the candidates.
    pub policies: Vec<Arc<FilePolicy>>,
    /// Every rule that may run, for the report (SARIF lists them all).
    pub rules: Rules,
    /// Rule files that did not load: reported, the other rules still run.
    pub rule_errors: Vec<String>,
}

/// Resolves the policy of every candidate. Errors (a vigil.toml that does not load
/// or names no rule, a flag selecting no rule) stop the run.
pub fn resolve(
    finder: &ConfigFinder,
    candidates: &[Candidate],
    flags: &Flags,
) -> Result<Resolved, String> {
    let cache = RuleSetCache::default();
    let mut rule_errors = Vec::new();
    let mut policies = Vec::with_capacity(candidates.len());
    for c in candidates {
        let (full, config) = finder.lookup(&c.path, false);
        let mut filter = RuleFilter::default();
        let rules = match &config {
            Some(config) => {
                filter = config.filter_for(&full, &filter);
                cache.get(&config.rule_dirs, |e| rule_errors.push(e.to_string()))
            }
            None => Rules::Builtin,
        };
        flags.apply_to(&mut filter);
        policies.push(Arc::new(FilePolicy { rules, filter }));
    }
    let mut config_errors: Vec<String> = finder.errors().iter().map(|e| e.to_string()).collect();
    for config in finder.configs() {
        let (rules, errors) = match cache
            .all()
            .into_iter()
            .find(|(d, _)| *d == config.rule_dirs)
        {
            Some((_, rules)) => (rules, Vec::new()),
            None => load_with_dirs(&config.rule_dirs),
        };
        rule_errors.extend(errors.iter().map(|e| e.to_string()));
        config_errors.extend(
            config
                .check_against(rules.get())
                .iter()
                .map(|e| e.to_string()),
        );
    }
    if !config_errors.is_empty() {
        config_errors.sort();
        config_errors.dedup();
        return Err(format!(
            "invalid vigil.toml:\n  {}",
            config_errors.join("\n  ")
        ));
    }
    let rules = report_rules(&cache);
    check_flags(flags, rules.get())?;
    rule_errors.sort();
    rule_errors.dedup();
    Ok(Resolved {
        policies,
        rules,
        rule_errors,
    })
}

/// One set holding every rule of the run: the only one loaded, or the union.
fn report_rules(cache: &RuleSetCache) -> Rules {
    let sets = cache.all();
    match sets.as_slice() {
        [] => Rules::Builtin,
        [(_, only)] => only.clone(),
        _ => {
            let mut dirs: Vec<_> = sets.iter().flat_map(|(d, _)| d.clone()).collect();
            dirs.sort();
            dirs.dedup();
            let mut sources = builtin_sources();
            for d in &dirs {
                sources.extend(crate::engine::rule::load::read_rule_dir(d).0);
            }
            // Errors were reported when each project's set was loaded; a rule id
            // defined by two projects keeps the first definition here.
            Rules::Custom(Arc::new(load_rules(sources).0))
        }
    }
}

/// Rejects flag selectors that match no rule (a typo would otherwise silently disable
/// every rule and report a clean scan).
fn check_flags(flags: &Flags, rules: &RuleSet) -> Result<(), String> {
    let mut seen = HashMap::new();
    for selector in flags.select.iter().chain(&flags.ignore) {
        if seen.insert(selector, ()).is_some() {
            continue;
        }
        let probe = RuleFilter {
            select: vec![selector.clone()],
            ..RuleFilter::default()
        };
        if !rules.rules().iter().any(|r| probe.enabled(r)) {
            let ids: Vec<&str> = rules.rules().iter().map(|r| r.id.as_str()).collect();
            return Err(format!(
                "`{selector}` matches no rule{}\n  (selectors: a rule id, a prefix such as `go/` or `js`, `CWE-89`, or a tag; see `vigil rules`)",
                suggest::did_you_mean(selector, &ids)
            ));
        }
    }
    Ok(())
}

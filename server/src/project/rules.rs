//! The rules a project runs: the built-in set, or it plus organisation rule
//! directories. Sets are loaded once per distinct list of directories and shared.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::engine::RuleSet;
use crate::engine::rule::RuleOrigin;
use crate::engine::rule::load::{RuleError, RuleSource, load_rules, read_rule_dir};

/// The built-in set, or a set loaded with organisation rules.
#[derive(Debug, Clone)]
pub enum Rules {
    Builtin,
    Custom(Arc<RuleSet>),
}

impl Rules {
    pub fn get(&self) -> &RuleSet {
        match self {
            Rules::Builtin => RuleSet::builtin(),
            Rules::Custom(set) => set,
        }
    }
}

/// The built-in rule files, as sources to load together with organisation rules (so
/// an organisation rule cannot reuse a built-in id).
pub fn builtin_sources() -> Vec<RuleSource> {
    crate::engine::builtin_rules::BUILTIN_RULES
        .iter()
        .map(|(path, text)| RuleSource {
            origin: RuleOrigin::Builtin(path),
            text: (*text).to_string(),
        })
        .collect()
}

/// Loads the built-in rules plus every rule file below `dirs`. Broken files are
/// returned as errors; the other rules load.
pub fn load_with_dirs(dirs: &[PathBuf]) -> (Rules, Vec<RuleError>) {
    if dirs.is_empty() {
        return (Rules::Builtin, Vec::new());
    }
    let mut sources = builtin_sources();
    let mut errors = Vec::new();
    for dir in dirs {
        let (found, errs) = read_rule_dir(dir);
        sources.extend(found);
        errors.extend(errs);
    }
    let (set, errs) = load_rules(sources);
    errors.extend(errs);
    (Rules::Custom(Arc::new(set)), errors)
}

/// Rule sets by directory list, so projects naming the same directories share one.
#[derive(Debug, Default)]
pub struct RuleSetCache {
    sets: Mutex<HashMap<Vec<PathBuf>, Rules>>,
}

impl RuleSetCache {
    /// The set for `dirs`; `on_error` sees each broken rule file once, when the set is
    /// first loaded.
    pub fn get(&self, dirs: &[PathBuf], on_error: impl FnMut(RuleError)) -> Rules {
        let mut sets = self.sets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(rules) = sets.get(dirs) {
            return rules.clone();
        }
        let (rules, errors) = load_with_dirs(dirs);
        errors.into_iter().for_each(on_error);
        sets.insert(dirs.to_vec(), rules.clone());
        rules
    }

    /// Every distinct set loaded so far.
    pub fn all(&self) -> Vec<(Vec<PathBuf>, Rules)> {
        let sets = self.sets.lock().unwrap_or_else(|e| e.into_inner());
        sets.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

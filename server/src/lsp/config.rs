//! Server settings: the `vigil` section of `initializationOptions` and of
//! `workspace/configuration`, validated field by field.
//!
//! An invalid field is reported and ignored (its default stays in force); it never
//! stops the server or discards the valid fields around it.
//!
//! ```json
//! {
//!   "rules": {
//!     "select": ["js/", "CWE-89", "crypto"],
//!     "ignore": ["js/weak-hash"],
//!     "severity": { "go/weak-hash-md5": "high" }
//!   },
//!   "minConfidence": "medium",
//!   "minSeverity": "low",
//!   "debounceMs": 25,
//!   "maxFileSize": 1048576,
//!   "extraRuleDirs": ["/abs/path/to/org-rules"],
//!   "baseline": ".vigil-baseline.json",
//!   "suppressions": { "honourOtherTools": true }
//! }
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::baseline::Baseline;
use crate::engine::rule::load::{RuleSource, load_rules, read_rule_dir};
use crate::engine::rule::{Confidence, RuleSet, Severity};
use crate::engine::{Rule, RuleFilter};

/// Default pause after the last keystroke before analysing.
pub const DEFAULT_DEBOUNCE_MS: u64 = 25;
/// Files larger than this are not analysed by default (1 MiB).
pub const DEFAULT_MAX_FILE_SIZE: usize = 1 << 20;
/// Upper bound for `debounceMs`: a longer pause would look like a hung server.
const MAX_DEBOUNCE_MS: u64 = 10_000;

/// The settings as the server uses them.
#[derive(Debug, Clone)]
pub struct Settings {
    pub filter: RuleFilter,
    pub debounce: Duration,
    pub max_file_size: usize,
    pub extra_rule_dirs: Vec<PathBuf>,
    /// A baseline file (`vigil check --write-baseline`) whose findings are hidden.
    pub baseline: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            filter: RuleFilter {
                // Editors show medium confidence and up unless asked otherwise.
                min_confidence: Some(Confidence::Medium),
                ..RuleFilter::default()
            },
            debounce: Duration::from_millis(DEFAULT_DEBOUNCE_MS),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            extra_rule_dirs: Vec::new(),
            baseline: None,
        }
    }
}

/// Parses the `vigil` settings object. Returns the settings with every valid field
/// applied, and one message per problem found.
pub fn parse_settings(value: &Value) -> (Settings, Vec<String>) {
    let mut settings = Settings::default();
    let mut problems = Vec::new();
    let obj = match value {
        Value::Null => return (settings, problems),
        Value::Object(obj) => obj,
        other => {
            problems.push(format!(
                "vigil settings must be an object, got {}",
                kind(other)
            ));
            return (settings, problems);
        }
    };
    for (key, value) in obj {
        match key.as_str() {
            "rules" => parse_rules(value, &mut settings.filter, &mut problems),
            "minConfidence" => match value.as_str().and_then(Confidence::parse) {
                Some(c) => settings.filter.min_confidence = Some(c),
                None => problems.push(format!(
                    "vigil.minConfidence must be \"low\", \"medium\" or \"high\", got {value}"
                )),
            },
            "minSeverity" => match value.as_str().and_then(Severity::parse) {
                Some(s) => settings.filter.min_severity = Some(s),
                None => problems.push(format!(
                    "vigil.minSeverity must be \"low\", \"medium\", \"high\" or \"critical\", got {value}"
                )),
            },
            "debounceMs" => match value.as_u64() {
                Some(ms) if ms <= MAX_DEBOUNCE_MS => settings.debounce = Duration::from_millis(ms),
                _ => problems.push(format!(
                    "vigil.debounceMs must be a whole number of milliseconds from 0 to {MAX_DEBOUNCE_MS}, got {value}"
                )),
            },
            "maxFileSize" => match value.as_u64() {
                Some(n) if n > 0 => settings.max_file_size = n as usize,
                _ => problems.push(format!(
                    "vigil.maxFileSize must be a positive number of bytes, got {value}"
                )),
            },
            "extraRuleDirs" => match string_list(value) {
                Some(dirs) => settings.extra_rule_dirs = dirs.into_iter().map(PathBuf::from).collect(),
                None => problems.push(format!(
                    "vigil.extraRuleDirs must be a list of directory paths, got {value}"
                )),
            },
            "baseline" => match value {
                // VS Code's default for an unset path is "".
                Value::Null => settings.baseline = None,
                Value::String(s) if s.is_empty() => settings.baseline = None,
                Value::String(s) => settings.baseline = Some(PathBuf::from(s)),
                _ => problems.push(format!(
                    "vigil.baseline must be the path of a baseline file, got {value}"
                )),
            },
            "suppressions" => parse_suppressions(value, &mut settings.filter, &mut problems),
            // Client-side settings that editors keep in the same section.
            "trace" | "server" | "enable" => {}
            other => problems.push(format!("unknown setting vigil.{other}")),
        }
    }
    (settings, problems)
}

fn parse_rules(value: &Value, filter: &mut RuleFilter, problems: &mut Vec<String>) {
    let Value::Object(obj) = value else {
        problems.push(format!(
            "vigil.rules must be an object, got {}",
            kind(value)
        ));
        return;
    };
    for (key, value) in obj {
        match key.as_str() {
            "select" | "ignore" => match string_list(value) {
                Some(list) if key == "select" => filter.select = list,
                Some(list) => filter.ignore = list,
                None => problems.push(format!(
                    "vigil.rules.{key} must be a list of rule ids, prefixes, CWE ids or tags, got {value}"
                )),
            },
            "severity" => parse_severity_overrides(value, &mut filter.severity_overrides, problems),
            other => problems.push(format!("unknown setting vigil.rules.{other}")),
        }
    }
}

fn parse_suppressions(value: &Value, filter: &mut RuleFilter, problems: &mut Vec<String>) {
    let Value::Object(obj) = value else {
        problems.push(format!(
            "vigil.suppressions must be an object, got {}",
            kind(value)
        ));
        return;
    };
    for (key, value) in obj {
        match (key.as_str(), value) {
            ("honourOtherTools", Value::Bool(on)) => filter.no_foreign_suppressions = !on,
            ("honourOtherTools", _) => problems.push(format!(
                "vigil.suppressions.honourOtherTools must be true or false, got {value}"
            )),
            (other, _) => problems.push(format!("unknown setting vigil.suppressions.{other}")),
        }
    }
}

fn parse_severity_overrides(
    value: &Value,
    overrides: &mut HashMap<String, Severity>,
    problems: &mut Vec<String>,
) {
    let Value::Object(obj) = value else {
        problems.push(format!(
            "vigil.rules.severity must map rule ids to severities, got {}",
            kind(value)
        ));
        return;
    };
    for (id, sev) in obj {
        match sev.as_str().and_then(Severity::parse) {
            Some(s) => {
                overrides.insert(id.clone(), s);
            }
            None => problems.push(format!(
                "vigil.rules.severity.{id} must be \"low\", \"medium\", \"high\" or \"critical\", got {sev}"
            )),
        }
    }
}

fn string_list(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `initializationOptions` may hold the settings directly or under a `vigil` key.
pub fn settings_from_init_options(options: Option<&Value>) -> Value {
    match options {
        Some(Value::Object(obj)) => match obj.get("vigil") {
            Some(inner) => inner.clone(),
            None => Value::Object(obj.clone()),
        },
        _ => Value::Null,
    }
}

/// Overlays `overlay`'s top-level keys on `base` (workspace settings win over
/// initialization options).
pub fn merge(base: &Value, overlay: &Value) -> Value {
    if !overlay.is_object() {
        return base.clone();
    }
    let mut out: Map<String, Value> = base.as_object().cloned().unwrap_or_default();
    if let Value::Object(o) = overlay {
        for (k, v) in o {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// The rules the server runs: the built-in set, or it plus organisation rules.
pub use crate::project::Rules;

/// Loads the rule set for `settings`, reporting unreadable or invalid rule files.
/// `root` resolves relative directories (the workspace root).
pub fn load_rule_set(
    settings: &Settings,
    root: Option<&Path>,
    problems: &mut Vec<String>,
) -> Rules {
    if settings.extra_rule_dirs.is_empty() {
        return Rules::Builtin;
    }
    let mut sources: Vec<RuleSource> = crate::project::rules::builtin_sources();
    for dir in &settings.extra_rule_dirs {
        let dir = match root {
            Some(root) if dir.is_relative() => root.join(dir),
            _ => dir.clone(),
        };
        if !dir.is_dir() {
            problems.push(format!(
                "vigil.extraRuleDirs: {} is not a directory",
                dir.display()
            ));
            continue;
        }
        let (found, errors) = read_rule_dir(&dir);
        sources.extend(found);
        problems.extend(errors.iter().map(|e| format!("rule not loaded: {e}")));
    }
    let (set, errors) = load_rules(sources);
    problems.extend(errors.iter().map(|e| format!("rule not loaded: {e}")));
    Rules::Custom(Arc::new(set))
}

/// A baseline as the server uses it: the findings to hide, and the directory the
/// paths in their fingerprints are relative to.
#[derive(Debug, Clone)]
pub struct EditorBaseline {
    pub dir: PathBuf,
    pub baseline: Baseline,
}

/// Reads the baseline `settings` name, once per configuration change: analyses then
/// only look it up in memory. `root` resolves a relative path (the workspace root).
pub fn load_baseline(
    settings: &Settings,
    root: Option<&Path>,
    problems: &mut Vec<String>,
) -> Option<EditorBaseline> {
    let path = settings.baseline.as_ref()?;
    let path = match root {
        Some(root) => root.join(path), // `join` keeps an absolute `path` as it is
        None if path.is_absolute() => path.clone(),
        None => {
            problems.push(format!(
                "vigil.baseline: {} is relative, but the workspace has no root folder to resolve it against",
                path.display()
            ));
            return None;
        }
    };
    match crate::baseline::file::load(&path) {
        Ok(baseline) => Some(EditorBaseline {
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            baseline,
        }),
        Err(e) => {
            problems.push(format!("vigil.baseline: {e}"));
            None
        }
    }
}

/// Warns about selectors and overrides that name no rule: a typo there would
/// otherwise silently keep a noisy rule on or a wanted one off.
pub fn check_against_rules(settings: &Settings, rules: &RuleSet, problems: &mut Vec<String>) {
    let probe = |selector: &str| {
        let filter = RuleFilter {
            select: vec![selector.to_string()],
            ..RuleFilter::default()
        };
        rules.rules().iter().any(|r: &Arc<Rule>| filter.enabled(r))
    };
    for (key, list) in [
        ("select", &settings.filter.select),
        ("ignore", &settings.filter.ignore),
    ] {
        for s in list {
            if !probe(s) {
                problems.push(format!("vigil.rules.{key}: `{s}` matches no rule"));
            }
        }
    }
    for id in settings.filter.severity_overrides.keys() {
        if rules.get(id).is_none() {
            problems.push(format!("vigil.rules.severity: no rule has the id `{id}`"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn valid_settings_apply() {
        let (s, problems) = parse_settings(&json!({
            "rules": {"select": ["js/"], "ignore": ["CWE-328"], "severity": {"js/weak-hash": "critical"}},
            "minConfidence": "high",
            "minSeverity": "medium",
            "debounceMs": 0,
            "maxFileSize": 10,
            "suppressions": {"honourOtherTools": false},
            "trace": {"server": "verbose"}
        }));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.filter.select, ["js/"]);
        assert_eq!(s.filter.ignore, ["CWE-328"]);
        assert_eq!(
            s.filter.severity_overrides.get("js/weak-hash"),
            Some(&Severity::Critical)
        );
        assert_eq!(s.filter.min_confidence, Some(Confidence::High));
        assert_eq!(s.filter.min_severity, Some(Severity::Medium));
        assert_eq!(s.debounce, Duration::ZERO);
        assert_eq!(s.max_file_size, 10);
        assert!(s.filter.no_foreign_suppressions);
        assert!(!Settings::default().filter.no_foreign_suppressions);
    }

    #[test]
    fn invalid_fields_are_reported_and_ignored() {
        let (s, problems) = parse_settings(&json!({
            "minConfidence": "very",
            "debounceMs": -3,
            "maxFileSize": "big",
            "rules": {"select": "js", "severity": {"js/weak-hash": "extreme"}},
            "colour": true,
            "suppressions": {"honourOtherTools": "yes", "other": 1}
        }));
        assert_eq!(problems.len(), 8, "{problems:?}");
        assert!(!s.filter.no_foreign_suppressions);
        let d = Settings::default();
        assert_eq!(s.filter.min_confidence, d.filter.min_confidence);
        assert_eq!(s.debounce, d.debounce);
        assert_eq!(s.max_file_size, d.max_file_size);
        assert!(s.filter.select.is_empty());
        assert!(s.filter.severity_overrides.is_empty());
        let (_, problems) = parse_settings(&json!([1]));
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn init_options_accept_both_shapes() {
        let inner = json!({"debounceMs": 3});
        assert_eq!(
            settings_from_init_options(Some(&json!({"vigil": inner.clone()}))),
            inner
        );
        assert_eq!(settings_from_init_options(Some(&inner)), inner);
        assert_eq!(settings_from_init_options(None), Value::Null);
        assert_eq!(
            merge(&json!({"a": 1, "b": 1}), &json!({"b": 2})),
            json!({"a": 1, "b": 2})
        );
    }

    #[test]
    fn baseline_paths_resolve_against_the_root_and_bad_ones_are_reported() {
        let (s, problems) = parse_settings(&json!({"baseline": ""}));
        assert!(
            problems.is_empty() && s.baseline.is_none(),
            "empty means none"
        );
        let (_, problems) = parse_settings(&json!({"baseline": 3}));
        assert_eq!(problems.len(), 1, "{problems:?}");

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("b.json"),
            r#"{"version": 1, "fingerprints": "vigil/v1", "findings": []}"#,
        )
        .unwrap();
        let (s, _) = parse_settings(&json!({"baseline": "b.json"}));
        let mut problems = Vec::new();
        let loaded = load_baseline(&s, Some(dir.path()), &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(loaded.dir, dir.path());
        // Relative without a workspace root, or missing: reported, nothing hidden.
        assert!(load_baseline(&s, None, &mut problems).is_none());
        let (s, _) = parse_settings(&json!({"baseline": "missing.json"}));
        assert!(load_baseline(&s, Some(dir.path()), &mut problems).is_none());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[1].contains("missing.json"), "{problems:?}");
    }

    #[test]
    fn unknown_selectors_are_flagged() {
        let (s, _) = parse_settings(&json!({
            "rules": {"ignore": ["js/weak-hash", "js/wek-hash"], "severity": {"nope/x": "low"}}
        }));
        let mut problems = Vec::new();
        check_against_rules(&s, RuleSet::builtin(), &mut problems);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("js/wek-hash"));
    }
}

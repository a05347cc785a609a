//! Reading a `vigil.toml`: TOML with spans, then the checks that need more than the
//! schema (globs compile, rule directories exist and stay inside the project, every
//! selector names a rule). Each error names the file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::globs::PathPatterns;
use super::policy::Policy;
use super::schema::ConfigFile;
use crate::engine::{RuleFilter, RuleSet};

/// A `vigil.toml` is a few lines; anything this large is not one.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Why a `vigil.toml` cannot be used; `line` and `column` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// A selector or rule id written in the file, kept to check it against the rules.
#[derive(Debug, Clone)]
struct Named {
    value: String,
    /// `select`, `ignore` or `severity`: an id in `severity` must be a whole rule id.
    key: &'static str,
    line: usize,
    column: usize,
}

/// A loaded `vigil.toml`.
#[derive(Debug, Clone)]
pub struct ProjectConfig {
    /// The file as found or given.
    pub file: PathBuf,
    /// The directory holding it, with symlinks resolved: patterns and rule directories
    /// are relative to it, and nothing the file names may lie outside it.
    pub root: PathBuf,
    pub policy: Policy,
    pub overrides: Vec<(PathPatterns, Policy)>,
    pub exclude: PathPatterns,
    /// Organisation rule directories, resolved (inside `root`).
    pub rule_dirs: Vec<PathBuf>,
    named: Vec<Named>,
}

impl ProjectConfig {
    /// Reads and validates `file`.
    pub fn load(file: &Path) -> Result<ProjectConfig, ConfigError> {
        let whole = |message: String| ConfigError {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            message,
        };
        let meta = std::fs::metadata(file).map_err(|e| whole(format!("cannot read: {e}")))?;
        if !meta.is_file() {
            return Err(whole("not a regular file".into()));
        }
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(whole(format!(
                "file is {} bytes; a vigil.toml may have at most {MAX_CONFIG_BYTES}",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(file).map_err(|e| whole(format!("cannot read: {e}")))?;
        ProjectConfig::parse(file, &text)
    }

    /// Validates `text` as the contents of `file` (which locates the project root).
    pub fn parse(file: &Path, text: &str) -> Result<ProjectConfig, ConfigError> {
        let at = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ConfigError {
                file: file.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let raw: ConfigFile = toml::from_str(text).map_err(|e| {
            at(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_string(),
            )
        })?;
        let parent = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let root = parent.canonicalize().map_err(|e| {
            at(
                0,
                format!("cannot resolve the directory {}: {e}", parent.display()),
            )
        })?;

        let mut named = Vec::new();
        let mut name = |list: &[Spanned<String>], key: &'static str| {
            for s in list {
                let (line, column) = line_col(text, s.span().start);
                named.push(Named {
                    value: s.get_ref().clone(),
                    key,
                    line,
                    column,
                });
            }
        };
        name(raw.select.as_deref().unwrap_or_default(), "select");
        name(&raw.ignore, "ignore");
        name(
            &raw.severity.keys().cloned().collect::<Vec<_>>(),
            "severity",
        );
        for o in &raw.overrides {
            name(o.select.as_deref().unwrap_or_default(), "select");
            name(&o.ignore, "ignore");
            name(&o.severity.keys().cloned().collect::<Vec<_>>(), "severity");
        }

        let policy = Policy {
            select: raw.select.as_ref().map(|l| values(l)),
            ignore: values(&raw.ignore),
            severity: raw
                .severity
                .iter()
                .map(|(k, v)| (k.get_ref().clone(), *v))
                .collect(),
            min_severity: raw.min_severity,
            min_confidence: raw.min_confidence,
            honour_other_tools: raw.suppressions.as_ref().and_then(|s| s.honour_other_tools),
        };
        let patterns = |list: &[Spanned<String>], fallback: usize| {
            PathPatterns::new(list.iter().map(|s| s.get_ref().as_str()))
                .map_err(|(i, m)| at(list.get(i).map_or(fallback, |s| s.span().start), m))
        };
        let exclude = patterns(&raw.exclude, 0)?;
        let mut overrides = Vec::new();
        for o in &raw.overrides {
            if o.paths.get_ref().is_empty() {
                return Err(at(
                    o.paths.span().start,
                    "`paths` needs at least one pattern".into(),
                ));
            }
            let globs = patterns(o.paths.get_ref(), o.paths.span().start)?;
            let policy = Policy {
                select: o.select.as_ref().map(|l| values(l)),
                ignore: values(&o.ignore),
                severity: o
                    .severity
                    .iter()
                    .map(|(k, v)| (k.get_ref().clone(), *v))
                    .collect(),
                min_severity: o.min_severity,
                min_confidence: o.min_confidence,
                honour_other_tools: None,
            };
            overrides.push((globs, policy));
        }

        let mut rule_dirs = Vec::new();
        for entry in &raw.extra_rule_dirs {
            let dir = inside_root(&root, entry.get_ref()).map_err(|m| at(entry.span().start, m))?;
            if !rule_dirs.contains(&dir) {
                rule_dirs.push(dir);
            }
        }

        Ok(ProjectConfig {
            file: file.to_path_buf(),
            root,
            policy,
            overrides,
            exclude,
            rule_dirs,
            named,
        })
    }

    /// `path` relative to the project root, if it lies below it. `path` should be
    /// absolute with symlinks resolved, like the root.
    pub fn relative<'a>(&self, path: &'a Path) -> Option<&'a Path> {
        path.strip_prefix(&self.root).ok()
    }

    /// Whether the walker should skip `path` (a file or directory).
    pub fn is_excluded(&self, path: &Path) -> bool {
        self.relative(path)
            .is_some_and(|rel| self.exclude.covers(rel))
    }

    /// The filter for the file at `path`: `base` with the file's policy laid over it,
    /// then every override whose patterns cover the path, in file order.
    pub fn filter_for(&self, path: &Path, base: &RuleFilter) -> RuleFilter {
        let mut filter = base.clone();
        self.policy.apply_to(&mut filter);
        if let Some(rel) = self.relative(path) {
            for (globs, policy) in &self.overrides {
                if globs.covers(rel) {
                    policy.apply_to(&mut filter);
                }
            }
        }
        filter
    }

    /// Selectors that match no rule and severities of unknown rule ids: a typo there
    /// would silently keep a rule on or off.
    pub fn check_against(&self, rules: &RuleSet) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        for n in &self.named {
            let known = if n.key == "severity" {
                rules.get(&n.value).is_some()
            } else {
                let probe = RuleFilter {
                    select: vec![n.value.clone()],
                    ..RuleFilter::default()
                };
                rules.rules().iter().any(|r| probe.enabled(r))
            };
            if !known {
                let what = if n.key == "severity" {
                    format!("`{}` is not a rule id", n.value)
                } else {
                    format!("`{}` matches no rule", n.value)
                };
                let ids: Vec<&str> = rules.rules().iter().map(|r| r.id.as_str()).collect();
                errors.push(ConfigError {
                    file: self.file.clone(),
                    line: n.line,
                    column: n.column,
                    message: format!(
                        "{}: {what}{}",
                        n.key,
                        crate::cli::suggest::did_you_mean(&n.value, &ids)
                    ),
                });
            }
        }
        errors
    }
}

fn values(list: &[Spanned<String>]) -> Vec<String> {
    list.iter().map(|s| s.get_ref().clone()).collect()
}

/// Resolves a rule directory named in the file; it must exist and, once symlinks are
/// resolved, lie inside `root`: the scanned workspace is untrusted, and its
/// configuration must not make Vigil read files elsewhere.
fn inside_root(root: &Path, entry: &str) -> Result<PathBuf, String> {
    let dir = root.join(entry);
    let resolved = dir.canonicalize().map_err(|e| {
        format!(
            "extra-rule-dirs: cannot use `{entry}` ({}): {}",
            dir.display(),
            crate::cli::walk::io_reason(&e)
        )
    })?;
    if !resolved.starts_with(root) {
        return Err(format!(
            "extra-rule-dirs: `{entry}` resolves to {}, outside the directory holding this vigil.toml ({})",
            resolved.display(),
            root.display()
        ));
    }
    if !resolved.is_dir() {
        return Err(format!("extra-rule-dirs: `{entry}` is not a directory"));
    }
    Ok(resolved)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

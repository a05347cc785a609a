//! The rule file format, as written in `rules/<language>/<id>.toml`.
//!
//! This is the on-disk schema; [`super::compile`] turns it into a checked [`super::Rule`].
//! Unknown keys are errors so that a misspelt key never silently disables a check.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::engine::language::RuleLanguage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    /// The CVSS-like score code-scanning dashboards read from `security-severity`.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
    pub fn parse(s: &str) -> Option<Confidence> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Some(Confidence::Low),
            "medium" => Some(Confidence::Medium),
            "high" => Some(Confidence::High),
            _ => None,
        }
    }
}

/// Whether applying a fix can change what the program does (ruff's safe/unsafe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Keeps the program's intended behaviour; applied by `--fix` and fix-all.
    Safe,
    /// Secure, but observable behaviour changes (hash output, escaping, options);
    /// applied only with `--unsafe-fixes` or one quick fix at a time.
    ChangesBehaviour,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::ChangesBehaviour => "changes-behaviour",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleFile {
    /// Unique id, `<language>/<name>`, e.g. `js/weak-hash`.
    pub id: String,
    pub title: String,
    pub language: RuleLanguage,
    pub severity: Severity,
    pub confidence: Confidence,
    pub cwe: Vec<u32>,
    /// OWASP Top 10 2021 categories, e.g. `A02:2021-Cryptographic Failures`.
    pub owasp: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// One line shown in the editor; may use `{{capture}}`.
    pub message: String,
    /// Markdown: what it finds, why it is dangerous, what to use instead.
    pub explanation: String,
    #[serde(default)]
    pub references: Vec<String>,
    /// The same check in other tools, as `tool:id` (`gosec:G401`,
    /// `eslint:security/detect-child-process`, `semgrep:<rule id>`): their inline
    /// suppression markers then suppress this rule too (see `engine::suppress`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// A tree-sitter query; the capture named by `report` is the flagged range.
    pub query: Spanned<String>,
    #[serde(default = "default_report")]
    pub report: String,
    #[serde(default)]
    pub constraints: Vec<Spanned<ConstraintSpec>>,
    #[serde(default)]
    pub fixes: Vec<Spanned<FixSpec>>,
    #[serde(default)]
    pub bad: Vec<BadExample>,
    #[serde(default)]
    pub good: Vec<GoodExample>,
}

fn default_report() -> String {
    "finding".to_string()
}

/// One extra condition on a match; every field given must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConstraintSpec {
    /// The capture the condition is about.
    pub capture: Option<String>,
    /// `true`: the expression's value is known at analysis time (literals, their
    /// concatenation, templates without substitutions, local constants).
    /// `false`: it is not.
    pub constant: Option<bool>,
    /// The capture's source text matches / does not match this regex.
    pub matches: Option<String>,
    pub not_matches: Option<String>,
    /// The constant text parts of a string-building expression (literal pieces of a
    /// concatenation, template or format string) match this regex.
    pub literal_parts_match: Option<String>,
    /// The capture names an imported module member, e.g. `child_process.exec`,
    /// `crypto/md5.Sum` (Go: import path, dot, name). Aliases and destructuring resolve.
    pub resolves_to: Option<Vec<String>>,
    /// A descendant of the capture matches this query (searched to `depth` levels).
    pub has: Option<String>,
    pub not_has: Option<String>,
    pub depth: Option<u32>,
    /// An ancestor of the capture matches this query.
    pub inside: Option<String>,
    pub not_inside: Option<String>,
    /// Shannon entropy (bits per character) of the string value is at least this.
    pub min_entropy: Option<f64>,
    /// The string value is at least this many characters long.
    pub min_length: Option<usize>,
    /// A local name the condition is about instead of a capture: with `resolves-to`,
    /// the name must be bound by an import or `require` to one of those targets; with
    /// `bound`, it must (not) be bound by any import. Lets a fix that writes
    /// `crypto.randomInt(...)` check that `crypto` means Node's module here.
    pub binding: Option<String>,
    pub bound: Option<bool>,
    /// The file imports (Go) or requires/imports (JS) one of these modules.
    pub file_imports: Option<Vec<String>>,
    pub file_not_imports: Option<Vec<String>>,
    /// The file's package (Go's `package` clause) matches / does not match this
    /// regex: a file fact, read once, where a pattern rooted at the file would walk
    /// its top level after every edit in the editor.
    pub file_package_matches: Option<String>,
    pub file_package_not_matches: Option<String>,
    /// Some node of the file matches / no node matches this query. For conditions on
    /// the file as a whole: a rule's pattern rooted at the file itself would be
    /// matched again over the whole file after every edit in the editor.
    pub file_has: Option<String>,
    pub file_not_has: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FixSpec {
    pub title: String,
    pub applicability: Applicability,
    /// Conditions (same keys as `constraints`) under which this fix is offered; lets
    /// a rule pick between fix variants, e.g. `md5.Sum` -> `sha256.Sum256` and
    /// `md5.New` -> `sha256.New`.
    #[serde(default)]
    pub when: Vec<ConstraintSpec>,
    #[serde(default)]
    pub edits: Vec<EditSpec>,
    /// Imports the fix needs: Go import paths (`crypto/sha256`), or for JavaScript
    /// `module:name`, added to an existing destructuring `require` or named `import`
    /// of that module, else as a new statement after its top-level `require`/`import`
    /// (the fix is not offered when the module is not imported at the top level).
    #[serde(default)]
    pub add_imports: Vec<String>,
    /// Go import paths to remove when the fix leaves them unused.
    #[serde(default)]
    pub remove_unused_imports: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EditAction {
    /// Replace the capture's text with `text`.
    #[default]
    Replace,
    InsertBefore,
    InsertAfter,
    /// Remove the capture, as an element of a list (object property, struct field,
    /// argument): its separating comma goes too, and its line if it stood alone.
    DeleteItem,
    /// Add `text` as the last element of the captured list (object, composite
    /// literal body, arguments), keeping commas and the list's layout right.
    AppendItem,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EditSpec {
    pub capture: String,
    #[serde(default)]
    pub action: EditAction,
    /// A template: `{{name}}` is a capture's text, `{{f(name)}}` a transform.
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BadExample {
    pub code: String,
    /// Source text of each expected finding's range, in order.
    pub expect: Vec<String>,
    /// Text after applying a fix to every finding of this rule: fix number `fix` of
    /// the rule where a finding offers it, else the first fix the finding offers.
    pub fixed: Option<String>,
    pub fix: Option<usize>,
    /// File extension to parse the snippet as (default: the language's).
    pub ext: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GoodExample {
    pub code: String,
    pub ext: Option<String>,
}

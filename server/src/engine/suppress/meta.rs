//! Vigil's own checks on suppression markers. They are ordinary [`Rule`]s without a
//! query (every [`RuleSet`](crate::engine::RuleSet) includes them), so their findings
//! have an id, a severity, hover text, `vigil rules explain`, SARIF rule metadata and
//! `--select`/`--ignore` like any other finding. They run on every language.

use std::sync::Arc;

use crate::engine::language::RuleLanguage;
use crate::engine::rule::{Confidence, Rule, RuleOrigin, Severity};

/// Ids starting with this are Vigil's own; rule files may not use them.
pub const META_PREFIX: &str = "vigil/";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaCheck {
    Malformed,
    UnknownRule,
    NoJustification,
    Unused,
}

impl MetaCheck {
    pub const ALL: [MetaCheck; 4] = [
        MetaCheck::Malformed,
        MetaCheck::UnknownRule,
        MetaCheck::NoJustification,
        MetaCheck::Unused,
    ];

    pub fn id(self) -> &'static str {
        match self {
            MetaCheck::Malformed => "vigil/suppression-malformed",
            MetaCheck::UnknownRule => "vigil/suppression-unknown-rule",
            MetaCheck::NoJustification => "vigil/suppression-no-justification",
            MetaCheck::Unused => "vigil/unused-suppression",
        }
    }

    fn title(self) -> &'static str {
        match self {
            MetaCheck::Malformed => "Malformed suppression comment",
            MetaCheck::UnknownRule => "Suppression names an unknown rule",
            MetaCheck::NoJustification => "Suppression without a justification",
            MetaCheck::Unused => "Unused suppression",
        }
    }

    fn severity(self) -> Severity {
        match self {
            MetaCheck::Malformed | MetaCheck::UnknownRule => Severity::Medium,
            MetaCheck::NoJustification | MetaCheck::Unused => Severity::Low,
        }
    }

    fn explanation(self) -> &'static str {
        match self {
            MetaCheck::Malformed => {
                "## What it finds\nA comment that starts with `vigil-ignore` but is not a valid marker, e.g. `// vigil-ignore: reason` without rule ids in brackets.\n\n## Why is this bad?\nA malformed marker suppresses nothing, although its author meant it to. Reporting it keeps a typo from looking like a deliberate decision.\n\n## Example\n```js\n// vigil-ignore js/weak-hash - legacy checksum\n```\n\n## Use instead\n```js\n// vigil-ignore[js/weak-hash]: legacy checksum, not used for security\n```\n\n## Fix\nNone: write the marker as `vigil-ignore[rule-id, other-id]: justification`."
            }
            MetaCheck::UnknownRule => {
                "## What it finds\nA `vigil-ignore[...]` marker naming a rule id that does not exist, or a rule that does not run on this language.\n\n## Why is this bad?\nA misspelt id suppresses nothing: the finding it was meant for stays, or worse, the marker looks like an audited exception that never applied. The message suggests the closest existing id.\n\n## Example\n```js\n// vigil-ignore[js/weak-hsh]: legacy checksum\n```\n\n## Use instead\n```js\n// vigil-ignore[js/weak-hash]: legacy checksum\n```\n\n## Fix\nNone: correct the id (`vigil rules` lists them)."
            }
            MetaCheck::NoJustification => {
                "## What it finds\nA `vigil-ignore[...]` marker without a justification after `:`, or with the `<justification>` placeholder the \"Suppress here\" action inserts.\n\n## Why is this bad?\nA suppression is a security decision that someone will audit. Without the reason, the auditor cannot tell an analysed false positive from a silenced warning. The marker still suppresses; this finding asks for the reason.\n\n## Example\n```go\n// vigil-ignore[go/weak-hash-md5]\n```\n\n## Use instead\n```go\n// vigil-ignore[go/weak-hash-md5]: content-addressed cache key, not a security boundary\n```\n\n## Fix\nNone: write the reason after the colon."
            }
            MetaCheck::Unused => {
                "## What it finds\nA rule id in a `vigil-ignore[...]` marker that suppressed nothing: the code it applies to has no finding of that rule (any more). Only rules enabled in this run are checked, so a rule turned off by `--select`, `--ignore` or a setting is never reported as unused.\n\n## Why is this bad?\nStale markers pile up and hide the next, real finding of that rule at the same place. The marker applies to the statement, declaration, property, field or JSX element it precedes on its own line, or that ends where it trails on its line; a marker elsewhere applies to nothing.\n\n## Example\n```js\n// vigil-ignore[js/weak-hash]: legacy\nconst h = crypto.createHash('sha256');\n```\n\n## Use instead\n```js\nconst h = crypto.createHash('sha256');\n```\n\n## Fix\nNone: remove the id (or the whole comment)."
            }
        }
    }

    /// The rule describing this check.
    pub fn rule(self) -> Rule {
        Rule {
            id: self.id().to_string(),
            title: self.title().to_string(),
            language: RuleLanguage::Any,
            severity: self.severity(),
            confidence: Confidence::High,
            cwe: Vec::new(),
            owasp: Vec::new(),
            tags: vec!["suppression".to_string()],
            message: self.title().to_string(),
            explanation: self.explanation().to_string(),
            references: Vec::new(),
            aliases: Vec::new(),
            origin: RuleOrigin::Builtin("server/src/engine/suppress/meta.rs"),
            fixes: Vec::new(),
            bad: Vec::new(),
            good: Vec::new(),
            query_source: String::new(),
            report: String::new(),
            constraints: Vec::new(),
            fix_when: Vec::new(),
        }
    }
}

/// Whether `rule` is one of Vigil's own suppression checks.
pub fn is_meta(rule: &Rule) -> bool {
    rule.id.starts_with(META_PREFIX)
}

/// The checks as rules, for [`crate::engine::RuleSet`] to include.
pub fn meta_rules() -> Vec<Arc<Rule>> {
    MetaCheck::ALL.iter().map(|c| Arc::new(c.rule())).collect()
}

//! Rules: their file format ([`model`]), loading and validation ([`load`]), and the
//! compiled form the analyzer runs ([`Rule`], [`RuleSet`]).

pub mod examples;
pub mod load;
pub mod model;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use regex::Regex;
use tree_sitter::Query;

pub use model::{Applicability, Confidence, EditAction, Severity};
use model::{BadExample, FixSpec, GoodExample};

use crate::engine::analyze::incremental::next_rule_set_id;
use crate::engine::analyze::roots::{CaptureDepths, capture_depths};
use crate::engine::language::{Language, RuleLanguage};

/// Where a rule came from, for error messages and documentation links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOrigin {
    /// Embedded at build time; the path is relative to the repository root.
    Builtin(&'static str),
    /// Loaded from a file at run time (organisation rules).
    File(std::path::PathBuf),
}

impl std::fmt::Display for RuleOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleOrigin::Builtin(p) => write!(f, "{p}"),
            RuleOrigin::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A validated rule, ready to run.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub language: RuleLanguage,
    pub severity: Severity,
    pub confidence: Confidence,
    pub cwe: Vec<u32>,
    pub owasp: Vec<String>,
    pub tags: Vec<String>,
    pub message: String,
    pub explanation: String,
    pub references: Vec<String>,
    /// The same check in other tools, whose suppression markers also apply.
    pub aliases: Vec<Alias>,
    pub origin: RuleOrigin,
    pub fixes: Vec<FixSpec>,
    pub bad: Vec<BadExample>,
    pub good: Vec<GoodExample>,
    pub(crate) query_source: String,
    pub(crate) report: String,
    pub(crate) constraints: Vec<Constraint>,
    /// For each fix, the conditions under which it is offered.
    pub(crate) fix_when: Vec<Vec<Constraint>>,
    /// How many patterns the query has in each grammar it targets.
    pub(crate) pattern_counts: HashMap<Language, usize>,
}

impl Rule {
    pub fn has_fix(&self) -> bool {
        !self.fixes.is_empty()
    }
    /// `CWE-79` style tags.
    pub fn cwe_tags(&self) -> Vec<String> {
        self.cwe.iter().map(|c| format!("CWE-{c}")).collect()
    }
    /// The rule's documentation page, as linked from editors and SARIF.
    pub fn help_uri(&self) -> String {
        format!("https://vigil.dev/rules/{}", self.id)
    }
}

/// Another tool whose inline suppression markers Vigil can honour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForeignTool {
    /// `// #nosec G401 -- why` (Go).
    Gosec,
    /// `// nosemgrep: rule-id`.
    Semgrep,
    /// `// eslint-disable-next-line plugin/rule -- why`, `// eslint-disable-line ...`.
    Eslint,
}

impl ForeignTool {
    pub const ALL: [ForeignTool; 3] = [
        ForeignTool::Gosec,
        ForeignTool::Semgrep,
        ForeignTool::Eslint,
    ];

    /// The prefix used in a rule's `aliases` (`gosec:G401`).
    pub fn name(self) -> &'static str {
        match self {
            ForeignTool::Gosec => "gosec",
            ForeignTool::Semgrep => "semgrep",
            ForeignTool::Eslint => "eslint",
        }
    }
}

/// One of a rule's `aliases`: the id of the equivalent check in another tool.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Alias {
    pub tool: ForeignTool,
    pub id: String,
}

impl Alias {
    /// Whether a marker naming `id` for this alias's tool means this alias. Semgrep
    /// markers may name a rule by the last part of its dotted id, as semgrep allows.
    pub fn named_by(&self, tool: ForeignTool, id: &str) -> bool {
        self.tool == tool
            && (self.id == id
                || (tool == ForeignTool::Semgrep
                    && self
                        .id
                        .strip_suffix(id)
                        .is_some_and(|head| head.ends_with('.'))))
    }
}

impl std::fmt::Display for Alias {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.tool.name(), self.id)
    }
}

/// A compiled constraint: regexes built, sub-queries compiled for each grammar.
#[derive(Debug)]
pub(crate) struct Constraint {
    pub capture: Option<String>,
    pub constant: Option<bool>,
    pub matches: Option<Regex>,
    pub not_matches: Option<Regex>,
    pub literal_parts_match: Option<Regex>,
    pub resolves_to: Option<Vec<String>>,
    pub has: Option<HashMap<Language, Query>>,
    pub not_has: Option<HashMap<Language, Query>>,
    pub depth: Option<u32>,
    pub inside: Option<HashMap<Language, Query>>,
    pub not_inside: Option<HashMap<Language, Query>>,
    pub min_entropy: Option<f64>,
    pub min_length: Option<usize>,
    pub file_imports: Option<Vec<String>>,
    pub file_not_imports: Option<Vec<String>>,
    pub binding: Option<String>,
    pub bound: Option<bool>,
}

/// All patterns of one grammar's rules, compiled into a single query so a file is
/// traversed once however many rules there are.
#[derive(Debug)]
pub(crate) struct CompiledLanguage {
    pub query: Query,
    /// For each pattern of `query`, the index of its rule in [`RuleSet::rules`].
    pub pattern_rule: Vec<usize>,
    /// For each pattern, how deep each capture sits below the pattern's root.
    pub capture_depths: Vec<CaptureDepths>,
}

/// A set of rules, compiled once per grammar.
#[derive(Debug)]
pub struct RuleSet {
    /// Unique in the process: analyses cached with other rules are not reused.
    id: u64,
    rules: Vec<Arc<Rule>>,
    by_id: HashMap<String, usize>,
    pub(crate) languages: HashMap<Language, CompiledLanguage>,
}

impl RuleSet {
    pub fn id(&self) -> u64 {
        self.id
    }
    pub fn rules(&self) -> &[Arc<Rule>] {
        &self.rules
    }
    pub fn get(&self, id: &str) -> Option<&Arc<Rule>> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// The rules shipped in the binary. Built-in rules are checked by the test suite,
    /// so a load error here is a build defect and panics with the loader's message.
    pub fn builtin() -> &'static RuleSet {
        static BUILTIN: OnceLock<RuleSet> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let sources = crate::engine::builtin_rules::BUILTIN_RULES
                .iter()
                .map(|(path, text)| load::RuleSource {
                    origin: RuleOrigin::Builtin(path),
                    text: (*text).to_string(),
                })
                .collect();
            let (set, errors) = load::load_rules(sources);
            if let Some(e) = errors.first() {
                panic!("built-in rule failed to load: {e}");
            }
            set
        })
    }

    /// Builds a set from already validated rules; used by [`load::load_rules`]. Vigil's
    /// own suppression checks ([`crate::engine::suppress::meta`]) are added at the end.
    pub(crate) fn from_rules(mut rules: Vec<Arc<Rule>>) -> Result<RuleSet, (usize, String)> {
        // Loaded rules cannot take these ids (the loader reserves the prefix).
        rules.retain(|r| !crate::engine::suppress::is_meta(r));
        rules.extend(crate::engine::suppress::meta::meta_rules());
        let mut by_id = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            by_id.insert(r.id.clone(), i);
        }
        let mut languages = HashMap::new();
        for lang in Language::ALL {
            let mut source = String::new();
            let mut pattern_rule = Vec::new();
            for (i, rule) in rules.iter().enumerate() {
                if !rule.language.targets().contains(&lang) {
                    continue;
                }
                // Each rule's query compiled alone during validation; count its patterns
                // to map combined pattern indices back to rules.
                let count = rule.pattern_counts.get(&lang).copied().unwrap_or(0);
                pattern_rule.extend(std::iter::repeat_n(i, count));
                source.push_str(&rule.query_source);
                source.push('\n');
            }
            let query =
                Query::new(&lang.grammar(), &source).map_err(|e| (usize::MAX, e.message))?;
            if query.pattern_count() != pattern_rule.len() {
                return Err((usize::MAX, "combined query lost patterns".into()));
            }
            let capture_depths = capture_depths(&query, &source);
            languages.insert(
                lang,
                CompiledLanguage {
                    query,
                    pattern_rule,
                    capture_depths,
                },
            );
        }
        Ok(RuleSet {
            id: next_rule_set_id(),
            rules,
            by_id,
            languages,
        })
    }
}

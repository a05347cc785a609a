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
use crate::engine::analyze::prefilter::{Prefilter, Requirement};
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

/// A compiled constraint: regexes built, sub-queries ready to compile for each grammar.
#[derive(Debug)]
pub(crate) struct Constraint {
    pub capture: Option<String>,
    pub constant: Option<bool>,
    pub matches: Option<Regex>,
    pub not_matches: Option<Regex>,
    pub literal_parts_match: Option<Regex>,
    pub resolves_to: Option<Vec<String>>,
    pub has: Option<SubQuery>,
    pub not_has: Option<SubQuery>,
    pub depth: Option<u32>,
    pub inside: Option<SubQuery>,
    pub not_inside: Option<SubQuery>,
    pub min_entropy: Option<f64>,
    pub min_length: Option<usize>,
    pub file_imports: Option<Vec<String>>,
    pub file_not_imports: Option<Vec<String>>,
    pub file_package_matches: Option<Regex>,
    pub file_package_not_matches: Option<Regex>,
    pub file_has: Option<SubQuery>,
    pub file_not_has: Option<SubQuery>,
    pub binding: Option<String>,
    pub bound: Option<bool>,
}

/// A constraint's sub-query (`has`, `inside`, ...), compiled for a grammar when a
/// match in that grammar first needs it. Organisation rules compile it for every
/// target grammar at load ([`SubQuery::compile_all`]), which validates it and fills
/// the slots, so it is never compiled twice.
#[derive(Debug)]
pub(crate) struct SubQuery {
    /// Interned: equal sub-queries of different rules share answers in a pass
    /// ([`SubQuery::memo_key`]).
    source: Arc<str>,
    /// One slot per target grammar; `None` inside if it does not compile (only
    /// possible for a built-in rule the test suite would reject).
    compiled: HashMap<Language, OnceLock<Option<Query>>>,
    /// Per grammar, the node kinds its patterns can start at (None: any).
    root_kinds: HashMap<Language, OnceLock<Option<Vec<String>>>>,
}

impl SubQuery {
    pub(crate) fn new(source: String, langs: &[Language]) -> SubQuery {
        SubQuery {
            source: intern(source),
            compiled: langs.iter().map(|&l| (l, OnceLock::new())).collect(),
            root_kinds: langs.iter().map(|&l| (l, OnceLock::new())).collect(),
        }
    }

    /// The same for sub-queries of equal text (many Go rules share one "not in a
    /// test package" check), so a pass remembers each check's answer once for all.
    pub(crate) fn memo_key(&self) -> usize {
        Arc::as_ptr(&self.source).cast::<u8>() as usize
    }

    /// Compiles the query for every target grammar now, keeping the results; the
    /// first grammar it does not compile for is the error.
    pub(crate) fn compile_all(&self) -> Result<(), (Language, tree_sitter::QueryError)> {
        for lang in Language::ALL {
            let Some(slot) = self.compiled.get(&lang) else {
                continue;
            };
            if slot.get().is_none() {
                let query = self.compile(lang).map_err(|e| (lang, e))?;
                let _ = slot.set(Some(query));
            }
        }
        Ok(())
    }

    /// The query for `lang`, compiled on first use; `None` if `lang` is not one of the
    /// rule's grammars or the query does not compile for it.
    pub(crate) fn get(&self, lang: &Language) -> Option<&Query> {
        self.compiled
            .get(lang)?
            .get_or_init(|| self.compile(*lang).ok())
            .as_ref()
    }

    /// Whether a match of the query for `lang` can start at a node of `kind`: false
    /// only when no pattern is rooted at that kind, so running it there is skipped.
    pub(crate) fn may_start_at(&self, lang: &Language, kind: &str) -> bool {
        let (Some(slot), Some(query)) = (self.root_kinds.get(lang), self.get(lang)) else {
            return true;
        };
        slot.get_or_init(|| {
            crate::engine::analyze::roots::root_kinds(query, &self.source, &lang.grammar())
        })
        .as_ref()
        .is_none_or(|kinds| kinds.iter().any(|k| k == kind))
    }

    fn compile(&self, lang: Language) -> Result<Query, tree_sitter::QueryError> {
        Query::new(&lang.grammar(), &self.source)
    }
}

/// The one shared copy of `text`. Sub-query texts are few and small (they come from
/// rule files), so the table is never pruned.
fn intern(text: String) -> Arc<str> {
    static TABLE: OnceLock<std::sync::Mutex<std::collections::HashSet<Arc<str>>>> = OnceLock::new();
    let mut table = TABLE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(shared) = table.get(text.as_str()) {
        return shared.clone();
    }
    let shared: Arc<str> = text.into();
    table.insert(shared.clone());
    shared
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
    /// Where in a file the patterns can match, from the literals they require.
    pub prefilter: Prefilter,
}

/// Builds the combined query of the rules in `rules` that target `lang`: their
/// queries one after the other, each pattern mapped back to its rule by where it
/// starts. The only place a [`CompiledLanguage`] is made.
///
/// Each rule's query is valid alone (checked at load for organisation rules, by the
/// test suite for built-in ones), so the concatenation parses into exactly the
/// patterns of each rule in turn.
fn compile_language(lang: Language, rules: &[Arc<Rule>]) -> Result<CompiledLanguage, String> {
    let mut source = String::new();
    // (offset of a rule's query in `source`, index of the rule), by offset.
    let mut starts: Vec<(usize, usize)> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if !rule.language.targets().contains(&lang) || rule.query_source.is_empty() {
            continue;
        }
        starts.push((source.len(), i));
        source.push_str(&rule.query_source);
        // Ends a trailing `;` comment, so the next query starts on a fresh line.
        source.push('\n');
    }
    // The rule whose query holds `offset`: the last one starting at or before it.
    let rule_at = |offset: usize| {
        let k = starts.partition_point(|&(start, _)| start <= offset);
        k.checked_sub(1).map(|k| starts[k].1)
    };
    let query = Query::new(&lang.grammar(), &source).map_err(|e| {
        let origin = rule_at(e.offset).map_or("<rules>".into(), |i| rules[i].origin.to_string());
        format!(
            "the {} rules cannot be compiled together ({origin}): {}",
            lang.name(),
            e.message.trim()
        )
    })?;
    let pattern_rule = (0..query.pattern_count())
        .map(|p| rule_at(query.start_byte_for_pattern(p)))
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| format!("the {} rules' query has a pattern of no rule", lang.name()))?;
    let capture_depths = capture_depths(&query, &source);
    let prefilter = Prefilter::build(&query, &source, |p| {
        let mut out = Vec::new();
        // A condition on a named binding instead of a capture says nothing about text.
        for c in rules[pattern_rule[p]]
            .constraints
            .iter()
            .filter(|c| c.binding.is_none())
        {
            let Some(capture) = c.capture.as_deref() else {
                continue;
            };
            if let Some(re) = &c.matches {
                out.push(Requirement::Matches {
                    capture,
                    regex: re.as_str(),
                });
            }
            if let Some(targets) = &c.resolves_to {
                out.push(Requirement::ResolvesTo { capture, targets });
            }
        }
        out
    });
    Ok(CompiledLanguage {
        query,
        pattern_rule,
        capture_depths,
        prefilter,
    })
}

/// A set of rules. Each grammar's combined query is compiled when a file of that
/// grammar is first analysed ([`RuleSet::compiled`]), so a scan pays only for the
/// grammars it meets.
#[derive(Debug)]
pub struct RuleSet {
    /// Unique in the process: analyses cached with other rules are not reused.
    id: u64,
    rules: Vec<Arc<Rule>>,
    by_id: HashMap<String, usize>,
    /// One slot per grammar; `None` inside if the combined query did not compile.
    languages: HashMap<Language, OnceLock<Option<CompiledLanguage>>>,
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

    /// The combined query of `lang`'s rules, compiled on first use (callers on other
    /// threads wait for it). `None` if it does not compile, which validation makes
    /// impossible short of a tree-sitter limit: the grammar's files are then not
    /// analysed and the reason is logged, rather than the analysis failing.
    pub(crate) fn compiled(&self, lang: Language) -> Option<&CompiledLanguage> {
        self.languages
            .get(&lang)?
            .get_or_init(|| {
                compile_language(lang, &self.rules)
                    .inspect_err(|e| tracing::error!("{e}; {} files are not analysed", lang.name()))
                    .ok()
            })
            .as_ref()
    }

    /// The rules with a pattern that requires no literal text: for them every file of
    /// `lang` is traversed whole (see [`crate::engine::analyze`]'s prefilter). For
    /// rule authors and the scan benchmark.
    pub fn rules_matching_anywhere(&self, lang: Language) -> Vec<&str> {
        let Some(compiled) = self.compiled(lang) else {
            return Vec::new();
        };
        let mut ids: Vec<&str> = compiled
            .prefilter
            .unfiltered_patterns()
            .map(|p| self.rules[compiled.pattern_rule[p]].id.as_str())
            .collect();
        ids.dedup();
        ids
    }

    /// Compiles the combined queries of `langs` now, in parallel on the rayon pool:
    /// a scan about to meet several grammars then waits for about the slowest, not
    /// for their sum. Analysis would compile them anyway ([`RuleSet::compiled`]).
    pub fn prepare(&self, langs: &[Language]) {
        // Largest grammar first (compiling a query costs more the larger the parse
        // table), taken in that order by whichever thread is free.
        let mut langs = langs.to_vec();
        langs.sort_by_key(|l| std::cmp::Reverse(l.grammar().parse_state_count()));
        rayon::scope_fifo(|s| {
            for lang in langs {
                s.spawn_fifo(move |_| {
                    self.compiled(lang);
                });
            }
        });
    }

    /// The rules shipped in the binary. Built-in rules are checked by the test suite
    /// (their queries are compiled when first needed, not validated at load), so a
    /// load error here is a build defect and panics with the loader's message.
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
    /// Compiles nothing: see [`RuleSet::compiled`].
    pub(crate) fn from_rules(mut rules: Vec<Arc<Rule>>) -> RuleSet {
        // Loaded rules cannot take these ids (the loader reserves the prefix).
        rules.retain(|r| !crate::engine::suppress::is_meta(r));
        rules.extend(crate::engine::suppress::meta::meta_rules());
        let mut by_id = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            by_id.insert(r.id.clone(), i);
        }
        RuleSet {
            id: next_rule_set_id(),
            rules,
            by_id,
            languages: Language::ALL
                .into_iter()
                .map(|l| (l, OnceLock::new()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::load::{RuleSource, load_rules};
    use super::*;
    use crate::engine::{Document, RuleFilter, analyze};

    fn rule(id: &str, origin: RuleOrigin, language: &str, query: &str) -> RuleSource {
        RuleSource {
            origin,
            text: format!(
                "id = \"{id}\"\ntitle = \"t\"\nlanguage = \"{language}\"\nseverity = \"low\"\nconfidence = \"high\"\ncwe = [1]\nowasp = []\nmessage = \"m\"\nexplanation = \"e\"\nquery = '''\n{query}'''\n"
            ),
        }
    }

    fn file(name: &str) -> RuleOrigin {
        RuleOrigin::File(name.into())
    }

    fn compiled_languages(set: &RuleSet) -> Vec<Language> {
        Language::ALL
            .into_iter()
            .filter(|l| set.languages[l].get().is_some())
            .collect()
    }

    #[test]
    fn builtin_rules_compile_together_for_each_grammar() {
        let set = RuleSet::builtin();
        for lang in Language::ALL {
            let compiled = set.compiled(lang).expect("the built-in rules compile");
            for (i, rule) in set.rules().iter().enumerate() {
                let targeted = rule.language.targets().contains(&lang);
                let has_patterns = compiled.pattern_rule.contains(&i);
                if !crate::engine::suppress::is_meta(rule) {
                    assert_eq!(has_patterns, targeted, "{} in {lang:?}", rule.id);
                }
            }
        }
    }

    /// A JavaScript and a Go rule, nothing compiled yet.
    fn two_grammar_set() -> RuleSet {
        let (set, errors) = load_rules(vec![
            rule("js/a", file("a.toml"), "javascript", "(comment) @finding"),
            rule("go/b", file("b.toml"), "go", "(comment) @finding"),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        set
    }

    #[test]
    fn grammars_are_compiled_when_first_needed() {
        let set = two_grammar_set();
        assert_eq!(compiled_languages(&set), []);
        let doc = Document::new(Language::JavaScript, "// x\n");
        assert_eq!(
            analyze(&doc, &set, &RuleFilter::default()).findings.len(),
            1
        );
        assert_eq!(compiled_languages(&set), [Language::JavaScript]);
    }

    #[test]
    fn prepare_compiles_the_grammars_asked_for() {
        let set = two_grammar_set();
        set.prepare(&[Language::Go, Language::Tsx]);
        assert_eq!(compiled_languages(&set), [Language::Tsx, Language::Go]);
    }

    #[test]
    fn combined_patterns_map_back_to_their_rules() {
        // Several patterns per rule, comments before, between and after (one with no
        // final newline), a rule of another grammar in between.
        let (set, errors) = load_rules(vec![
            rule(
                "js/a",
                file("a.toml"),
                "javascript",
                "; first\n(comment) @finding\n\n(identifier) @finding ; two\n",
            ),
            rule(
                "js/b",
                file("b.toml"),
                "javascript",
                "(number) @finding ; end",
            ),
            rule("go/c", file("c.toml"), "go", "(comment) @finding"),
            rule(
                "js/d",
                file("d.toml"),
                "javascript",
                "((string) @finding (#eq? @finding \"';'\"))\n[(true) (false)] @finding",
            ),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        let ids = |lang| {
            let compiled = set.compiled(lang).expect("compiles");
            compiled
                .pattern_rule
                .iter()
                .map(|&i| set.rules()[i].id.as_str())
                .collect::<Vec<_>>()
        };
        for lang in [Language::JavaScript, Language::TypeScript, Language::Tsx] {
            assert_eq!(
                ids(lang),
                ["js/a", "js/a", "js/b", "js/d", "js/d"],
                "{lang:?}"
            );
        }
        assert_eq!(ids(Language::Go), ["go/c"]);
    }

    #[test]
    fn a_query_that_does_not_compile_lazily_skips_its_grammar_without_panicking() {
        // Built-in rules are trusted at load (the test suite checks them); one that
        // slipped through must not take the analysis down.
        let (set, errors) = load_rules(vec![
            rule(
                "js/bad",
                RuleOrigin::Builtin("bad.toml"),
                "javascript",
                "(no_such_node) @finding",
            ),
            rule(
                "go/ok",
                RuleOrigin::Builtin("ok.toml"),
                "go",
                "(comment) @finding",
            ),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        let js = Document::new(Language::JavaScript, "x;\n");
        assert!(
            analyze(&js, &set, &RuleFilter::default())
                .findings
                .is_empty()
        );
        assert!(set.compiled(Language::JavaScript).is_none());
        let go = Document::new(Language::Go, "package p // x\n");
        assert_eq!(analyze(&go, &set, &RuleFilter::default()).findings.len(), 1);
        // The same file as an organisation rule is an error at load, with its position.
        let (_, errors) = load_rules(vec![rule(
            "js/bad",
            file("bad.toml"),
            "javascript",
            "(no_such_node) @finding",
        )]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].line, errors[0].column), (11, 2), "{}", errors[0]);
        assert!(errors[0].message.contains("NodeType"), "{}", errors[0]);
    }

    #[test]
    fn organisation_sub_queries_are_compiled_once_at_load() {
        let mut source = rule(
            "js/a",
            file("a.toml"),
            "javascript",
            "(call_expression) @finding",
        );
        source
            .text
            .push_str("[[constraints]]\ncapture = \"finding\"\nhas = \"(string) @s\"\n");
        let (set, errors) = load_rules(vec![source]);
        assert!(errors.is_empty(), "{errors:?}");
        let rule = set.get("js/a").unwrap();
        let has = rule.constraints[0].has.as_ref().unwrap();
        for lang in [Language::JavaScript, Language::TypeScript, Language::Tsx] {
            assert!(
                has.compiled[&lang].get().is_some_and(Option::is_some),
                "{lang:?}"
            );
        }
        assert!(has.get(&Language::Go).is_none(), "not a target grammar");
    }
}

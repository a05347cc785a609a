//! Running a rule set over a document: one query traversal per file, limited to where
//! the patterns' literals occur ([`prefilter`]), then each match's constraints, message
//! and fixes ([`matcher`]); in the editor, only over what changed since the last
//! analysis ([`incremental`]).

mod constraints;
mod filter;
pub mod incremental;
mod matcher;
pub(crate) mod prefilter;
pub(crate) mod roots;

use std::cell::OnceCell;
use std::sync::Arc;

pub use filter::RuleFilter;
use matcher::{Matcher, nested_deeper_than};

use super::document::{Document, TextRange};
use super::fix::Fix;
use super::rule::{Rule, RuleSet, Severity};
use super::suppress::{self, SuppressedFinding};

/// One reported problem.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: Arc<Rule>,
    /// The flagged range (the rule's report capture).
    pub range: TextRange,
    pub message: String,
    pub severity: Severity,
    /// Candidate fixes, in the rule's order; not yet verified to parse
    /// (see [`super::fix::apply::verify_fix`]).
    pub fixes: Vec<Fix>,
}

#[derive(Debug, Default)]
pub struct Analysis {
    /// What to report, by position: the rules' findings that no marker suppresses,
    /// and the findings of Vigil's checks on the markers themselves.
    pub findings: Vec<Finding>,
    /// Findings silenced by a suppression comment, by position.
    pub suppressed: Vec<SuppressedFinding>,
    /// Non-fatal problems worth telling the user (limits hit, rules cut short).
    pub warnings: Vec<String>,
}

/// At most this many findings of one rule in one file: a rule matching pathologically
/// often is cut short with a warning rather than flooding the user.
pub const MAX_FINDINGS_PER_RULE: usize = 500;
/// Bound on in-progress query matches (tree-sitter's match limit).
const MATCH_LIMIT: u32 = 4096;
/// Matches start only at nodes at most this deep in the tree. Every enclosing node
/// can hold in-progress matches, and tree-sitter scans them all at each capture once
/// the match limit is reached: on code nested 100,000 levels deep that took minutes.
/// Real code stays far below this depth (measured in tree nodes, several per
/// syntactic level); deeper code is reported as not checked.
const MAX_MATCH_DEPTH: u32 = 1000;

fn depth_warning() -> String {
    format!("code nested more than {MAX_MATCH_DEPTH} levels deep was not checked")
}

/// Runs the enabled rules over `doc`, then applies the document's suppression
/// comments ([`suppress::apply`]).
pub fn analyze(doc: &Document, rules: &RuleSet, filter: &RuleFilter) -> Analysis {
    analyze_with(doc, rules, filter, true)
}

/// [`analyze`] with the query traversing the whole tree instead of only where the
/// patterns' literals occur ([`prefilter`]): the same findings, slower. For the tests
/// and the benchmark that check exactly that.
#[doc(hidden)]
pub fn analyze_exhaustive(doc: &Document, rules: &RuleSet, filter: &RuleFilter) -> Analysis {
    analyze_with(doc, rules, filter, false)
}

fn analyze_with(doc: &Document, rules: &RuleSet, filter: &RuleFilter, prefilter: bool) -> Analysis {
    let facts = OnceCell::new();
    let mut analysis = Analysis::default();
    let matcher = Matcher::new(doc, rules, filter, &facts, false);
    if let Some(mut matcher) = matcher.map(|m| if prefilter { m } else { m.whole_tree() }) {
        matcher.run(None);
        if nested_deeper_than(doc, MAX_MATCH_DEPTH, None) {
            analysis.warnings.push(depth_warning());
        }
        analysis.warnings.extend(matcher.warnings());
        analysis.findings = matcher.into_sorted().0;
    }
    let mut keywords = suppress::KeywordHits::find(doc.text());
    suppress::apply(doc, &mut keywords, rules, filter, &mut analysis);
    analysis
}

/// [`analyze`] for a document that is being edited: the document keeps the analysis,
/// and the next call redoes only what its edits can have changed
/// ([`incremental`]). Same result as [`analyze`].
pub fn analyze_document(doc: &mut Document, rules: &RuleSet, filter: &RuleFilter) -> Analysis {
    let (cache, log) = doc.analysis_cache();
    let mut keywords = match cache {
        Some(cache) => suppress::KeywordHits::update(&cache.keywords, doc.text(), log),
        None => suppress::KeywordHits::find(doc.text()),
    };
    let (mut analysis, mut cache) =
        incremental::analyze_tracked(doc, rules, filter, cache.map(|c| (c.as_ref(), log)));
    suppress::apply(doc, &mut keywords, rules, filter, &mut analysis);
    cache.keywords = keywords;
    doc.set_analysis_cache(Some(Arc::new(cache)));
    analysis
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::language::Language;
    use crate::engine::rule::RuleOrigin;
    use crate::engine::rule::load::{RuleSource, load_rules};

    fn rules(toml: &str) -> RuleSet {
        let (set, errors) = load_rules(vec![RuleSource {
            origin: RuleOrigin::File("test.toml".into()),
            text: toml.to_string(),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        set
    }

    const HEAD: &str = r#"
id = "js/t"
title = "t"
language = "javascript"
severity = "low"
confidence = "high"
cwe = [1]
owasp = []
message = "m"
explanation = "e"
"#;

    fn fix_titles(set: &RuleSet, src: &str) -> Vec<Vec<String>> {
        let doc = Document::new(Language::JavaScript, src);
        analyze(&doc, set, &RuleFilter::default())
            .findings
            .iter()
            .map(|f| f.fixes.iter().map(|x| x.title.clone()).collect())
            .collect()
    }

    #[test]
    fn patterns_reporting_one_node_make_one_finding_with_all_fixes() {
        let set = rules(&format!(
            r#"{HEAD}
query = """
(call_expression function: (identifier) @f (#eq? @f "r")) @finding
(call_expression function: (identifier) @f (#eq? @f "r") arguments: (arguments (number) @n)) @finding
"""
[[fixes]]
title = "general"
applicability = "safe"
edits = [{{ capture = "f", text = "s" }}]
[[fixes]]
title = "specific"
applicability = "safe"
edits = [{{ capture = "n", text = "1" }}]
"#
        ));
        assert_eq!(
            fix_titles(&set, "r(2);\nr(x);\n"),
            vec![vec!["general", "specific"], vec!["general"]]
        );
    }

    #[test]
    fn binding_conditions_check_imports_of_a_name() {
        let set = rules(&format!(
            r#"{HEAD}
query = "(call_expression function: (identifier) @f (#eq? @f \"r\")) @finding"
[[fixes]]
title = "imported"
applicability = "safe"
when = [{{ binding = "crypto", resolves-to = ["crypto"] }}]
edits = [{{ capture = "f", text = "s" }}]
[[fixes]]
title = "global"
applicability = "safe"
when = [{{ binding = "crypto", bound = false }}]
edits = [{{ capture = "f", text = "s" }}]
"#
        ));
        assert_eq!(fix_titles(&set, "r();"), vec![vec!["global"]]);
        assert_eq!(
            fix_titles(&set, "const crypto = require('node:crypto');\nr();"),
            vec![vec!["imported"]]
        );
        assert_eq!(
            fix_titles(&set, "import crypto from 'crypto-js';\nr();"),
            vec![Vec::<String>::new()]
        );
    }

    /// One sub-query text used as `file-has` and as `not-inside`: a pass remembers
    /// answers by query and node, and the two checks must not share them (at the
    /// file's root, "somewhere in the file" holds while "rooted here" does not).
    #[test]
    fn remembered_checks_keep_their_kind() {
        let marker = r#"((identifier) @m (#eq? @m "marker"))"#;
        let set = rules(&format!(
            r#"{HEAD}
query = "(call_expression) @finding"
[[constraints]]
file-has = '{marker}'
[[constraints]]
capture = "finding"
not-inside = '{marker}'
"#
        ));
        let findings = |src: &str| {
            let doc = Document::new(Language::JavaScript, src);
            analyze(&doc, &set, &RuleFilter::default()).findings.len()
        };
        assert_eq!(findings("marker;\nf();\n"), 1);
        assert_eq!(findings("f();\n"), 0, "file-has fails without the marker");
    }

    #[test]
    fn binding_without_condition_is_rejected() {
        let (_, errors) = load_rules(vec![RuleSource {
            origin: RuleOrigin::File("t.toml".into()),
            text: format!(
                "{HEAD}\nquery = \"(identifier) @finding\"\n[[constraints]]\nbinding = \"x\"\n"
            ),
        }]);
        assert!(errors[0].message.contains("binding"), "{errors:?}");
    }
}

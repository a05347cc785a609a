//! Running a rule set over a document: one query traversal per file, then each match's
//! constraints, message and fixes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tree_sitter::StreamingIterator;
use tree_sitter::{Node, QueryCursor};

use super::document::{Document, TextRange};
use super::fix::{self, Fix, template::Template};
use super::rule::{Confidence, Constraint, Rule, RuleSet, Severity};
use super::semantics::{Evaluator, FileFacts, shannon_entropy};
use super::suppress::{self, SuppressedFinding};

/// Which rules run and how their findings are graded; shared by CLI and server.
#[derive(Debug, Clone, Default)]
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

/// Runs the enabled rules over `doc`, then applies the document's suppression
/// comments ([`suppress::apply`]).
pub fn analyze(doc: &Document, rules: &RuleSet, filter: &RuleFilter) -> Analysis {
    let mut analysis = run_rules(doc, rules, filter);
    suppress::apply(doc, rules, filter, &mut analysis);
    analysis
}

fn run_rules(doc: &Document, rules: &RuleSet, filter: &RuleFilter) -> Analysis {
    let mut analysis = Analysis::default();
    let Some(compiled) = rules.compiled(doc.language()) else {
        return analysis;
    };
    let enabled: Vec<bool> = rules.rules().iter().map(|r| filter.enabled(r)).collect();
    // Only rules of this file's language matter (a Go rule leaves JS files alone).
    if !compiled.pattern_rule.iter().any(|&i| enabled[i]) {
        return analysis;
    }
    // Computed at the first match that needs constraints checked: most files have
    // no candidate match at all, and the facts walk the whole tree.
    let mut facts: Option<FileFacts> = None;
    let text = doc.text();
    let query = &compiled.query;
    let names = query.capture_names();

    let mut cursor = QueryCursor::new();
    cursor.set_match_limit(MATCH_LIMIT);
    cursor.set_max_start_depth(Some(MAX_MATCH_DEPTH));
    if nested_deeper_than(doc, MAX_MATCH_DEPTH) {
        analysis.warnings.push(format!(
            "code nested more than {MAX_MATCH_DEPTH} levels deep was not checked"
        ));
    }
    // (rule, flagged range) -> index of its finding: several patterns of one rule may
    // report the same node, e.g. a general pattern and a more specific one that knows
    // a fix. They make one finding that offers the fixes of every matching pattern.
    let mut seen: HashMap<(usize, TextRange), usize> = HashMap::new();
    let mut per_rule: HashMap<usize, usize> = HashMap::new();
    let mut capped: HashSet<usize> = HashSet::new();
    let mut matches = cursor.matches(query, doc.tree().root_node(), text.as_bytes());
    while let Some(m) = matches.next() {
        let rule_index = compiled.pattern_rule[m.pattern_index];
        if !enabled[rule_index] {
            continue;
        }
        let rule = &rules.rules()[rule_index];
        let mut captures: HashMap<&str, Node> = HashMap::new();
        for c in m.captures() {
            captures.entry(names[c.index as usize]).or_insert(c.node);
        }
        let Some(report) = captures.get(rule.report.as_str()) else {
            continue;
        };
        let range: TextRange = report.byte_range().into();
        // A rule at its cap gains nothing from checking more new ranges, and checking
        // constraints is the expensive part: a rule matching every identifier of a
        // large file must not cost a constraint evaluation per identifier.
        if per_rule.get(&rule_index).copied().unwrap_or(0) >= MAX_FINDINGS_PER_RULE
            && !seen.contains_key(&(rule_index, range))
        {
            capped.insert(rule_index);
            continue;
        }
        let ev = Evaluator {
            doc,
            facts: facts.get_or_insert_with(|| FileFacts::compute(doc)),
        };
        if !rule.constraints.iter().all(|c| holds(c, &captures, &ev)) {
            continue;
        }
        if let Some(&existing) = seen.get(&(rule_index, range)) {
            merge_fixes(&mut analysis.findings[existing], rule, &captures, &ev);
            continue;
        }
        *per_rule.entry(rule_index).or_default() += 1;
        seen.insert((rule_index, range), analysis.findings.len());
        let message = Template::parse(&rule.message)
            .ok()
            .and_then(|t| fix::render(&t, &captures, &ev))
            .unwrap_or_else(|| rule.message.clone());
        let fixes = offered_fixes(rule, &captures, &ev);
        analysis.findings.push(Finding {
            rule: rule.clone(),
            range,
            message,
            severity: filter.severity_of(rule),
            fixes,
        });
    }
    if cursor.did_exceed_match_limit() {
        analysis.warnings.push(
            "the file is too complex to match every rule pattern; some findings may be missing"
                .into(),
        );
    }
    for i in capped {
        analysis.warnings.push(format!(
            "rule {} reached the limit of {MAX_FINDINGS_PER_RULE} findings in one file; further matches were not reported",
            rules.rules()[i].id
        ));
    }
    analysis.findings.sort_by(|a, b| {
        (a.range.start, a.range.end, &a.rule.id).cmp(&(b.range.start, b.range.end, &b.rule.id))
    });
    analysis
}

/// Whether some node lies deeper than `max` below the root: a linear cursor walk
/// that stops at the first such node.
fn nested_deeper_than(doc: &Document, max: u32) -> bool {
    let mut cursor = doc.tree().walk();
    loop {
        if cursor.depth() > max {
            return true;
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return false;
            }
        }
    }
}

/// The fixes of `rule` whose conditions hold for this match and that can be built.
fn offered_fixes(rule: &Rule, captures: &HashMap<&str, Node>, ev: &Evaluator) -> Vec<Fix> {
    rule.fixes
        .iter()
        .enumerate()
        .filter(|(i, _)| rule.fix_when[*i].iter().all(|c| holds(c, captures, ev)))
        .filter_map(|(i, spec)| fix::build_fix(i, spec, captures, ev))
        .collect()
}

/// Adds the fixes another match of the same rule and range offers, keeping the
/// rule's fix order and each fix once.
fn merge_fixes(finding: &mut Finding, rule: &Rule, captures: &HashMap<&str, Node>, ev: &Evaluator) {
    for fix in offered_fixes(rule, captures, ev) {
        if !finding.fixes.iter().any(|f| f.index == fix.index) {
            finding.fixes.push(fix);
        }
    }
    finding.fixes.sort_by_key(|f| f.index);
}

fn holds(c: &Constraint, captures: &HashMap<&str, Node>, ev: &Evaluator) -> bool {
    if let Some(mods) = &c.file_imports
        && !mods.iter().any(|m| ev.facts.imports_module(m))
    {
        return false;
    }
    if let Some(mods) = &c.file_not_imports
        && mods.iter().any(|m| ev.facts.imports_module(m))
    {
        return false;
    }
    if let Some(name) = &c.binding {
        let bound_to = ev.facts.bindings.get(name.as_str());
        if c.bound.is_some_and(|want| bound_to.is_some() != want) {
            return false;
        }
        if let Some(targets) = &c.resolves_to
            && !bound_to.is_some_and(|b| targets.iter().any(|t| t == b))
        {
            return false;
        }
        return true;
    }
    let Some(name) = &c.capture else { return true };
    // An optional capture that did not participate: conditions about it do not apply.
    let Some(&node) = captures.get(name.as_str()) else {
        return true;
    };
    let text = &ev.doc.text()[node.byte_range()];
    if let Some(want) = c.constant
        && ev.is_constant(node) != want
    {
        return false;
    }
    if let Some(re) = &c.matches
        && !re.is_match(text)
    {
        return false;
    }
    if let Some(re) = &c.not_matches
        && re.is_match(text)
    {
        return false;
    }
    if let Some(re) = &c.literal_parts_match {
        match ev.literal_parts(node).or_else(|| ev.constant_value(node)) {
            Some(parts) if re.is_match(&parts) => {}
            _ => return false,
        }
    }
    if let Some(targets) = &c.resolves_to {
        match ev.qualified_name(node) {
            Some(q) if targets.contains(&q) => {}
            _ => return false,
        }
    }
    if c.min_entropy.is_some() || c.min_length.is_some() {
        let Some(value) = ev.constant_value(node) else {
            return false;
        };
        if c.min_length.is_some_and(|n| value.chars().count() < n) {
            return false;
        }
        if c.min_entropy.is_some_and(|e| shannon_entropy(&value) < e) {
            return false;
        }
    }
    let lang = ev.doc.language();
    if let Some(q) = c.has.as_ref().and_then(|m| m.get(&lang))
        && !subtree_matches(q, node, c.depth, ev)
    {
        return false;
    }
    if let Some(q) = c.not_has.as_ref().and_then(|m| m.get(&lang))
        && subtree_matches(q, node, c.depth, ev)
    {
        return false;
    }
    if let Some(q) = c.inside.as_ref().and_then(|m| m.get(&lang))
        && !ancestor_matches(q, node, ev)
    {
        return false;
    }
    if let Some(q) = c.not_inside.as_ref().and_then(|m| m.get(&lang))
        && ancestor_matches(q, node, ev)
    {
        return false;
    }
    true
}

fn subtree_matches(q: &tree_sitter::Query, node: Node, depth: Option<u32>, ev: &Evaluator) -> bool {
    let mut cursor = QueryCursor::new();
    cursor.set_match_limit(MATCH_LIMIT);
    cursor.set_max_start_depth(depth);
    let mut it = cursor.matches(q, node, ev.doc.text().as_bytes());
    it.next().is_some()
}

/// Whether some ancestor of `node` is the outermost node of a match of `q`.
fn ancestor_matches(q: &tree_sitter::Query, node: Node, ev: &Evaluator) -> bool {
    let mut cursor = QueryCursor::new();
    cursor.set_match_limit(MATCH_LIMIT);
    let mut ancestor = node.parent();
    let mut steps = 0;
    while let Some(a) = ancestor {
        steps += 1;
        if steps > 256 {
            break; // bounded: deep nesting cannot make this quadratic
        }
        cursor.set_max_start_depth(Some(0));
        let mut it = cursor.matches(q, a, ev.doc.text().as_bytes());
        if it.next().is_some() {
            return true;
        }
        ancestor = a.parent();
    }
    false
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

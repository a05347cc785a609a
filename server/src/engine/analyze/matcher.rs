//! One pass of a rule set's query over a document, or over parts of it: each match's
//! constraints, message and fixes, merged into findings; optionally with what every
//! match depended on, for [`super::incremental`].

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tree_sitter::{Node, QueryCursor, QueryMatch, StreamingIterator};

use super::constraints::{holds, merge_fixes, offered_fixes};
use super::prefilter::{Scope, stands_alone};
use super::roots::match_root;
use super::{Finding, MATCH_LIMIT, MAX_FINDINGS_PER_RULE, MAX_MATCH_DEPTH, RuleFilter};
use crate::engine::document::{Document, TextRange};
use crate::engine::fix::{self, template::Template};
use crate::engine::rule::{CompiledLanguage, RuleSet};
use crate::engine::semantics::{AncestorRead, Evaluator, FactKey, FileFacts, QueryMemo, Reads};
use crate::engine::walk::children_touching;

/// What a finding depends on: the root nodes of the matches that make it, and what
/// their evaluation read elsewhere.
#[derive(Debug, Clone)]
pub struct Deps {
    pub roots: Vec<TextRange>,
    pub reads: Reads,
}

/// A match its constraints rejected after reading something outside it: a change
/// there can make it a finding.
#[derive(Debug, Clone)]
pub struct Record {
    pub root: TextRange,
    /// The facts its evaluation read, shared between the analyses that keep the
    /// record: a file can have tens of thousands of records, each kept across most
    /// keystrokes.
    pub facts: Arc<[FactKey]>,
    /// Text outside the match it read (see [`Reads::elsewhere`]).
    pub elsewhere: Option<TextRange>,
    /// The ancestors it climbed (see [`Reads::ancestors`]).
    pub ancestors: Vec<AncestorRead>,
}

pub struct Matcher<'d> {
    doc: &'d Document,
    rules: &'d RuleSet,
    filter: &'d RuleFilter,
    compiled: &'d CompiledLanguage,
    enabled: Vec<bool>,
    /// The facts of the file: given, or computed at the first match that needs them
    /// (most files have no candidate match, and the facts walk the whole tree).
    facts: &'d OnceCell<FileFacts>,
    /// Keep [`Deps`] and [`Record`]s.
    track: bool,
    pub findings: Vec<Finding>,
    /// For each finding, when tracking.
    pub deps: Vec<Deps>,
    pub records: Vec<Record>,
    /// (rule, flagged range) -> index of its finding: several patterns of one rule may
    /// report the same node, e.g. a general pattern and a more specific one that knows
    /// a fix. They make one finding that offers the fixes of every matching pattern.
    seen: HashMap<(usize, TextRange), usize>,
    per_rule: HashMap<usize, usize>,
    pub capped: HashSet<usize>,
    pub exceeded_match_limit: bool,
    memo: QueryMemo,
    /// Whole-file passes look only where the patterns' literals occur
    /// ([`super::prefilter`]); off only to test that this changes nothing.
    prefilter: bool,
}

impl<'d> Matcher<'d> {
    /// None when no enabled rule applies to the document's language.
    pub fn new(
        doc: &'d Document,
        rules: &'d RuleSet,
        filter: &'d RuleFilter,
        facts: &'d OnceCell<FileFacts>,
        track: bool,
    ) -> Option<Matcher<'d>> {
        let compiled = rules.compiled(doc.language())?;
        let enabled: Vec<bool> = rules.rules().iter().map(|r| filter.enabled(r)).collect();
        // Only rules of this file's language matter (a Go rule leaves JS files alone).
        if !compiled.pattern_rule.iter().any(|&i| enabled[i]) {
            return None;
        }
        Some(Matcher {
            doc,
            rules,
            filter,
            compiled,
            enabled,
            facts,
            track,
            findings: Vec::new(),
            deps: Vec::new(),
            records: Vec::new(),
            seen: HashMap::new(),
            per_rule: HashMap::new(),
            capped: HashSet::new(),
            exceeded_match_limit: false,
            memo: QueryMemo::default(),
            prefilter: true,
        })
    }

    /// Traverses the whole tree in whole-file passes: the reference the prefilter is
    /// tested against.
    pub fn whole_tree(mut self) -> Self {
        self.prefilter = false;
        self
    }

    /// Starts from findings known to hold (incremental analysis keeps those the
    /// changes cannot affect), so new matches of the same node merge into them.
    pub fn keep(&mut self, finding: Finding, deps: Deps) {
        let rule_index = self
            .rules
            .index_of(&finding.rule.id)
            .expect("a kept finding's rule is in the set it came from");
        *self.per_rule.entry(rule_index).or_default() += 1;
        self.seen
            .insert((rule_index, finding.range), self.findings.len());
        self.findings.push(finding);
        self.deps.push(deps);
    }

    /// Keeps records of an earlier analysis, before [`Matcher::run`] adds new ones.
    pub fn keep_records(&mut self, mut records: Vec<Record>) {
        if self.records.is_empty() {
            // Moved, not copied: a file can have tens of thousands.
            self.records = records;
        } else {
            self.records.append(&mut records);
        }
    }

    /// Runs the query over the whole tree, or over each of `ranges` (sorted, disjoint):
    /// then only matches whose root node intersects a range.
    pub fn run(&mut self, ranges: Option<&[TextRange]>) {
        let doc = self.doc;
        let text = doc.text().as_bytes();
        let mut cursor = QueryCursor::new();
        cursor.set_match_limit(MATCH_LIMIT);
        cursor.set_max_start_depth(Some(MAX_MATCH_DEPTH));
        let query = &self.compiled.query;
        let scoped;
        let ranges = match ranges {
            Some(ranges) => ranges,
            None => {
                let scope = if self.prefilter {
                    let (enabled, rule_of) = (&self.enabled, &self.compiled.pattern_rule);
                    let bindings = || self.facts().bindings();
                    // Aliases only while nothing is tracked: an edit elsewhere can make
                    // a new one, and incremental analysis re-matches only what changed.
                    let bindings: Option<&dyn Fn() -> _> = (!self.track).then_some(&bindings);
                    self.compiled
                        .prefilter
                        .scope(text, |p| enabled[rule_of[p]], bindings)
                } else {
                    Scope::Everywhere
                };
                match scope {
                    Scope::Ranges(ranges) => {
                        scoped = ranges;
                        &scoped
                    }
                    Scope::Everywhere => {
                        let mut matches = cursor.matches(query, doc.tree().root_node(), text);
                        while let Some(m) = matches.next() {
                            self.process(m);
                        }
                        self.exceeded_match_limit |= cursor.did_exceed_match_limit();
                        return;
                    }
                }
            }
        };
        // A match whose root spans two ranges comes back from both.
        let mut reported: HashSet<(usize, Vec<usize>)> = HashSet::new();
        for range in ranges {
            cursor.set_byte_range(range.start..range.end);
            let mut matches = cursor.matches(query, doc.tree().root_node(), text);
            while let Some(m) = matches.next() {
                let key = (
                    m.pattern_index,
                    m.captures().iter().map(|c| c.node.id()).collect(),
                );
                if ranges.len() > 1 && !reported.insert(key) {
                    continue;
                }
                self.process(m);
            }
            self.exceeded_match_limit |= cursor.did_exceed_match_limit();
        }
    }

    fn facts(&self) -> &'d FileFacts {
        let doc = self.doc;
        self.facts.get_or_init(|| FileFacts::compute(doc))
    }

    fn root_of(&self, m: &QueryMatch<'_, 'd>) -> TextRange {
        self.known_root(m).unwrap_or_else(|| self.whole_file())
    }

    /// The root of a match whose root is not known: as if it spanned the file.
    fn whole_file(&self) -> TextRange {
        TextRange::new(0, self.doc.text().len())
    }

    fn known_root(&self, m: &QueryMatch<'_, 'd>) -> Option<TextRange> {
        let tree_root = self.doc.tree().root_node();
        match_root(
            tree_root,
            &self.compiled.capture_depths[m.pattern_index],
            m.captures(),
        )
        .map(|n| n.byte_range().into())
    }

    /// Whether a rejected match needs no [`Record`]: it read nothing but bindings,
    /// each of a name written as a word inside the match. When one of those bindings
    /// changes, incremental analysis searches again the top-level code around every
    /// place the name is written (`incremental::binding_uses`), which finds this match: most
    /// of a large file's rejected matches (calls whose callee resolves elsewhere) are
    /// then not copied and moved on every keystroke.
    fn found_again_by_name(&self, root: TextRange, reads: &Reads) -> bool {
        let text = self.doc.text().as_bytes();
        let inside = &text[root.start..root.end];
        reads.elsewhere.is_none()
            && reads.ancestors.is_empty()
            && reads.facts.iter().all(|k| match k {
                FactKey::Binding(name) => {
                    !name.is_empty()
                        && memchr::memmem::find_iter(inside, name.as_bytes()).any(|at| {
                            let start = root.start + at;
                            stands_alone(text, start, start + name.len())
                        })
                }
                _ => false,
            })
    }

    fn process(&mut self, m: &QueryMatch<'_, 'd>) {
        let rule_index = self.compiled.pattern_rule[m.pattern_index];
        if !self.enabled[rule_index] {
            return;
        }
        let rules = self.rules;
        let rule = &rules.rules()[rule_index];
        let names = self.compiled.query.capture_names();
        let mut captures: HashMap<&str, Node> = HashMap::new();
        for c in m.captures() {
            captures.entry(names[c.index as usize]).or_insert(c.node);
        }
        let Some(report) = captures.get(rule.report.as_str()) else {
            return;
        };
        let range: TextRange = report.byte_range().into();
        // A rule at its cap gains nothing from checking more new ranges, and checking
        // constraints is the expensive part: a rule matching every identifier of a
        // large file must not cost a constraint evaluation per identifier.
        if self.per_rule.get(&rule_index).copied().unwrap_or(0) >= MAX_FINDINGS_PER_RULE
            && !self.seen.contains_key(&(rule_index, range))
        {
            self.capped.insert(rule_index);
            return;
        }
        let ev = if self.track {
            Evaluator::tracking(self.doc, self.facts())
        } else {
            Evaluator::new(self.doc, self.facts())
        }
        .with_memo(&self.memo);
        if !rule.constraints.iter().all(|c| holds(c, &captures, &ev)) {
            if self.track {
                let reads = ev.take_reads();
                let root = (!reads.is_empty()).then(|| self.known_root(m));
                if let Some(root) = root
                    && !root.is_some_and(|r| self.found_again_by_name(r, &reads))
                {
                    self.records.push(Record {
                        root: root.unwrap_or_else(|| self.whole_file()),
                        facts: reads.facts.into(),
                        elsewhere: reads.elsewhere,
                        ancestors: reads.ancestors,
                    });
                }
            }
            return;
        }
        if let Some(&existing) = self.seen.get(&(rule_index, range)) {
            merge_fixes(&mut self.findings[existing], rule, &captures, &ev);
            if self.track {
                let root = self.root_of(m);
                let deps = &mut self.deps[existing];
                deps.roots.push(root);
                deps.reads.merge(ev.take_reads());
            }
            return;
        }
        *self.per_rule.entry(rule_index).or_default() += 1;
        self.seen.insert((rule_index, range), self.findings.len());
        let message = Template::parse(&rule.message)
            .ok()
            .and_then(|t| fix::render(&t, &captures, &ev))
            .unwrap_or_else(|| rule.message.clone());
        let fixes = offered_fixes(rule, &captures, &ev);
        self.findings.push(Finding {
            rule: rule.clone(),
            range,
            message,
            severity: self.filter.severity_of(rule),
            fixes,
        });
        if self.track {
            let root = self.root_of(m);
            self.deps.push(Deps {
                roots: vec![root],
                reads: ev.take_reads(),
            });
        }
    }

    /// The warnings of the pass: limits hit.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.exceeded_match_limit {
            warnings.push(
                "the file is too complex to match every rule pattern; some findings may be missing"
                    .into(),
            );
        }
        let mut capped: Vec<usize> = self.capped.iter().copied().collect();
        capped.sort_unstable();
        for i in capped {
            warnings.push(format!(
                "rule {} reached the limit of {MAX_FINDINGS_PER_RULE} findings in one file; further matches were not reported",
                self.rules.rules()[i].id
            ));
        }
        warnings
    }

    /// The findings by position, with their dependencies in the same order.
    pub fn into_sorted(self) -> (Vec<Finding>, Vec<Deps>, Vec<Record>) {
        let Matcher {
            mut findings,
            deps,
            records,
            track,
            ..
        } = self;
        let key = |f: &Finding| (f.range.start, f.range.end, f.rule.id.clone());
        if !track {
            findings.sort_by_key(key);
            return (findings, deps, records);
        }
        let mut pairs: Vec<(Finding, Deps)> = findings.into_iter().zip(deps).collect();
        pairs.sort_by_key(|(f, _)| key(f));
        let (findings, deps) = pairs.into_iter().unzip();
        (findings, deps, records)
    }
}

/// Whether some node lies deeper than `max` below the root; with `within`, only
/// nodes intersecting one of those ranges are looked at (code elsewhere kept its
/// depth). A walk that stops at the first such node and skips every subtree too small
/// to reach that deep: a subtree of n nodes is at most n levels deep, and tree-sitter
/// stores each node's descendant count, so on ordinary code only the few large
/// subtrees near the root are entered (a full walk cost a tenth of a scan's analysis).
pub fn nested_deeper_than(doc: &Document, max: u32, within: Option<&[TextRange]>) -> bool {
    let whole = [TextRange::new(0, doc.text().len())];
    within
        .unwrap_or(&whole)
        .iter()
        .any(|&r| deeper_near(doc, max, r))
}

/// Whether the subtree of `node` (at `depth`) is large enough to hold a node deeper
/// than `max` (a descendant count includes the node itself).
fn may_reach_below(node: Node, depth: u32, max: u32) -> bool {
    depth as usize + node.descendant_count() - 1 > max as usize
}

/// [`nested_deeper_than`] for the nodes intersecting (or touching) `range`: from each
/// entered node straight to its first child near the range, so a keystroke in a file
/// with thousands of top-level declarations does not visit them all.
fn deeper_near(doc: &Document, max: u32, range: TextRange) -> bool {
    let mut stack = vec![(doc.tree().root_node(), 0u32)];
    while let Some((node, depth)) = stack.pop() {
        if !may_reach_below(node, depth, max) {
            continue;
        }
        for child in children_touching(node, range) {
            if depth + 1 > max {
                return true;
            }
            stack.push((child, depth + 1));
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::language::Language;
    use crate::engine::walk::{Step, preorder};

    /// Within ranges, the targeted walk answers as a walk over every node
    /// intersecting them does, for ranges anywhere in nested and wide trees.
    #[test]
    fn depth_check_within_ranges_agrees_with_a_full_walk() {
        let max = 12;
        for n in [0, 5, 11, 12, 13, 20] {
            let text = format!(
                "a(1);\nx = {}1,   2{};\nb([2, [3]]);\n",
                "[".repeat(n),
                "]".repeat(n)
            );
            let doc = Document::new(Language::JavaScript, text.clone());
            for start in 0..=text.len() {
                for len in [0, 1, 3] {
                    let r = TextRange::new(start, (start + len).min(text.len()));
                    let mut expected = false;
                    preorder(doc.tree(), |node, depth| {
                        if node.start_byte() <= r.end && r.start <= node.end_byte() {
                            expected |= depth > max;
                            Step::Into
                        } else {
                            Step::Over
                        }
                    });
                    assert_eq!(
                        nested_deeper_than(&doc, max, Some(&[r])),
                        expected,
                        "n = {n}, range {r:?}"
                    );
                }
            }
        }
    }

    /// The pruned walk answers as a full walk does, at and around the limit, in
    /// narrow and in wide (many small siblings) trees.
    #[test]
    fn depth_check_agrees_with_a_full_walk() {
        let max = 20;
        for n in 0..30 {
            let nested = format!("x = {}1{};\n", "[".repeat(n), "]".repeat(n));
            let wide = format!("f({});\n{nested}", "[1, [2]], ".repeat(n * 10));
            for text in [nested, wide] {
                let doc = Document::new(Language::JavaScript, text);
                let mut deepest = 0;
                preorder(doc.tree(), |_, depth| {
                    deepest = deepest.max(depth);
                    Step::Into
                });
                assert_eq!(
                    nested_deeper_than(&doc, max, None),
                    deepest > max,
                    "n = {n}, deepest = {deepest}"
                );
            }
        }
    }
}

//! Analysis that redoes only what an edit can have changed.
//!
//! A document keeps its last analysis ([`AnalysisCache`]) with, for every finding, the
//! root nodes of the matches that make it and what their evaluation read elsewhere
//! (facts by name, other parts of the text, the chain of ancestors an `inside`
//! check climbed), and the rejected matches that read something elsewhere
//! ([`Record`]). An ancestor chain is compared with the new tree's (a cheap walk down
//! to the node), not invalidated by any edit within its outermost ancestor, the root,
//! which every edit is. After edits, the query runs again only over the
//! changed text and over the roots of matches whose reads changed; every other
//! finding is kept, moved by the edits. The result equals a fresh analysis
//! (tests/properties.rs checks this on random edits); whenever that cannot be
//! guaranteed cheaply (whole-text replacement, a limit hit, different rules or
//! filter) the document is analysed afresh.

use std::cell::OnceCell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::matcher::{Deps, Matcher, Record, nested_deeper_than};
use super::prefilter::stands_alone;
use super::{Analysis, Finding, MAX_MATCH_DEPTH, RuleFilter, depth_warning};
use crate::engine::document::{ChangeLog, Document, TextRange, merge_ranges};
use crate::engine::rule::RuleSet;
use crate::engine::semantics::{AncestorRead, ChangedFacts, FileFacts, Reads};
use crate::engine::suppress::KeywordHits;
use crate::engine::walk::path_to;

/// The last analysis of a document, before suppressions, with its dependencies.
#[derive(Debug)]
pub struct AnalysisCache {
    rules_id: u64,
    filter: RuleFilter,
    facts: FileFacts,
    findings: Vec<Finding>,
    deps: Vec<Deps>,
    records: Vec<Record>,
    /// No limit was hit: the findings are all there are.
    complete: bool,
    /// Where the text has marker keywords, for the suppressions applied after the
    /// analysis.
    pub(super) keywords: KeywordHits,
}

/// The facts kept with `doc`'s last analysis, for tests of [`FileFacts::update`].
pub fn cached_facts(doc: &Document) -> Option<&FileFacts> {
    doc.analysis_cache().0.map(|c| &c.facts)
}

/// How often analyses were incremental, for tests and benchmarks.
pub static INCREMENTAL_RUNS: AtomicU64 = AtomicU64::new(0);

/// Analyses `doc` (before suppressions), incrementally from `previous` when it
/// allows; returns the analysis and the cache for the next one.
pub fn analyze_tracked(
    doc: &Document,
    rules: &RuleSet,
    filter: &RuleFilter,
    previous: Option<(&AnalysisCache, &ChangeLog)>,
) -> (Analysis, AnalysisCache) {
    let facts = OnceCell::from(match previous {
        Some((cache, log)) => FileFacts::update(&cache.facts, doc, log),
        None => FileFacts::compute(doc),
    });
    let updated = previous.and_then(|(cache, log)| update(doc, rules, filter, cache, log, &facts));
    let (analysis, findings, deps, records) = match updated {
        Some(result) => {
            INCREMENTAL_RUNS.fetch_add(1, Ordering::Relaxed);
            result
        }
        None => full(doc, rules, filter, &facts),
    };
    let cache = AnalysisCache {
        rules_id: rules.id(),
        filter: filter.clone(),
        facts: facts.into_inner().unwrap_or_default(),
        findings,
        deps,
        records,
        complete: analysis.warnings.is_empty(),
        keywords: KeywordHits::default(),
    };
    (analysis, cache)
}

type Outcome = (Analysis, Vec<Finding>, Vec<Deps>, Vec<Record>);

fn full(
    doc: &Document,
    rules: &RuleSet,
    filter: &RuleFilter,
    facts: &OnceCell<FileFacts>,
) -> Outcome {
    let Some(mut matcher) = Matcher::new(doc, rules, filter, facts, true) else {
        return (Analysis::default(), Vec::new(), Vec::new(), Vec::new());
    };
    matcher.run(None);
    let mut warnings = Vec::new();
    if nested_deeper_than(doc, MAX_MATCH_DEPTH, None) {
        warnings.push(depth_warning());
    }
    warnings.extend(matcher.warnings());
    finish(matcher, warnings)
}

fn finish(matcher: Matcher, warnings: Vec<String>) -> Outcome {
    let (findings, deps, records) = matcher.into_sorted();
    let analysis = Analysis {
        findings: findings.clone(),
        suppressed: Vec::new(),
        warnings,
    };
    (analysis, findings, deps, records)
}

/// Whether a node spanning `node` is visited by a query restricted to `range`, as
/// tree-sitter decides it.
fn intersects(node: TextRange, range: TextRange) -> bool {
    (node.end > range.start || (node.is_empty() && node.end == range.start))
        && node.start < range.end
}

fn update(
    doc: &Document,
    rules: &RuleSet,
    filter: &RuleFilter,
    cache: &AnalysisCache,
    log: &ChangeLog,
    facts: &OnceCell<FileFacts>,
) -> Option<Outcome> {
    if log.lost || !cache.complete || cache.rules_id != rules.id() || cache.filter != *filter {
        return None;
    }
    let new_facts = facts.get()?;
    let changed_facts = new_facts.changed_since(&cache.facts);
    let len = doc.text().len();
    let map = |r: TextRange| log.map(r);
    let widen = |r: TextRange| log.widen(r);
    // A read elsewhere, moved; None if an edit touched that text or the syntax there
    // changed: the reads include the ancestors a constraint climbed, and an edit far
    // away can re-shape them (an unclosed string in TypeScript turns the next line's
    // declaration into the previous one's) while tree-sitter reports the nodes below
    // them unchanged.
    let map_elsewhere = |e: Option<TextRange>| match e {
        Some(e) => {
            let moved = map(e)?;
            let reshaped = log.changed.iter().any(|c| c.touches(&moved));
            (!reshaped).then_some(Some(moved))
        }
        None => Some(None),
    };
    let map_ancestors = |reads: &[AncestorRead]| -> Option<Vec<AncestorRead>> {
        reads.iter().map(|r| same_ancestors(doc, log, r)).collect()
    };
    let map_reads = |reads: &Reads| -> Option<Reads> {
        if changed_facts.any(&reads.facts) {
            return None;
        }
        Some(Reads {
            facts: reads.facts.clone(),
            elsewhere: map_elsewhere(reads.elsewhere)?,
            ancestors: map_ancestors(&reads.ancestors)?,
        })
    };
    // Changed text, a byte wider on each side so that nodes ending or starting at
    // an edit are visited too.
    let mut ranges: Vec<TextRange> = log
        .changed
        .iter()
        .map(|r| TextRange::new(r.start.saturating_sub(1), (r.end + 1).min(len)))
        .collect();
    // Matches rejected for what a name was bound to keep no record: the code around
    // every use of a name whose binding changed is searched again.
    ranges.extend(binding_uses(doc, &changed_facts)?);

    // Findings the changes cannot affect, moved; the others' roots are searched again.
    let mut kept: Vec<(Finding, Deps)> = Vec::new();
    for (finding, deps) in cache.findings.iter().zip(&cache.deps) {
        // Its reads (an ancestor chain is a walk down the tree) only if it moved.
        let moved = || {
            let roots = deps
                .roots
                .iter()
                .map(|&r| map(r))
                .collect::<Option<Vec<_>>>()?;
            let finding = moved_finding(finding, &map)?;
            let reads = map_reads(&deps.reads)?;
            Some((finding, Deps { roots, reads }))
        };
        match moved() {
            Some(kept_finding) => kept.push(kept_finding),
            // Searched again where its matches were, edits included (a root found
            // from a capture can be larger than the node tree-sitter starts from).
            None => ranges.extend(deps.roots.iter().map(|&r| widen(r))),
        }
    }
    let mut records: Vec<Record> = Vec::with_capacity(cache.records.len());
    for record in &cache.records {
        let moved = match (map(record.root), map_elsewhere(record.elsewhere)) {
            (Some(root), Some(elsewhere)) if !changed_facts.any(&record.facts) => {
                map_ancestors(&record.ancestors).map(|ancestors| Record {
                    root,
                    facts: record.facts.clone(),
                    elsewhere,
                    ancestors,
                })
            }
            _ => None,
        };
        match moved {
            Some(record) => records.push(record),
            None => ranges.push(widen(record.root)),
        }
    }
    // A finding whose root is searched again is found again (or not) by that search,
    // with all of its matches: their roots are searched too.
    loop {
        let before = kept.len();
        kept.retain(|(_, deps)| {
            let hit = deps
                .roots
                .iter()
                .any(|&root| ranges.iter().any(|&r| intersects(root, r)));
            if hit {
                ranges.extend(deps.roots.iter().copied());
            }
            !hit
        });
        if kept.len() == before {
            break;
        }
    }
    let ranges = merge_ranges(ranges);
    records.retain(|rec| !ranges.iter().any(|&r| intersects(rec.root, r)));

    let mut matcher = Matcher::new(doc, rules, filter, facts, true)?;
    for (finding, deps) in kept {
        matcher.keep(finding, deps);
    }
    matcher.keep_records(records);
    matcher.run(Some(&ranges));
    let warnings = matcher.warnings();
    if !warnings.is_empty() {
        return None; // limits depend on the whole file: count them afresh
    }
    let mut warnings = Vec::new();
    if nested_deeper_than(doc, MAX_MATCH_DEPTH, Some(&ranges)) {
        warnings.push(depth_warning());
    }
    Some(finish(matcher, warnings))
}

/// The top-level nodes of `doc` (the root's children) in which a name whose binding
/// changed is written as a word: every match that read such a binding and kept no
/// record lies inside one (see `Matcher::found_again_by_name`). None when that is so
/// much of the file that a fresh analysis is as cheap.
fn binding_uses(doc: &Document, changed: &ChangedFacts) -> Option<Vec<TextRange>> {
    const MAX_USES: usize = 4096;
    let text = doc.text().as_bytes();
    let root = doc.tree().root_node();
    let mut uses = Vec::new();
    for name in changed.bindings().filter(|n| !n.is_empty()) {
        for start in memchr::memmem::find_iter(text, name.as_bytes()) {
            let end = start + name.len();
            if !stands_alone(text, start, end) {
                continue;
            }
            if uses.len() == MAX_USES {
                return None;
            }
            // The match's root lies inside the top-level node around the use (or is
            // the root itself, which every range meets).
            let top = path_to(root, start, end).into_iter().rev().nth(1);
            uses.push(match top {
                Some(top) => top.byte_range().into(),
                None => TextRange::new(start, end),
            });
        }
    }
    let uses = merge_ranges(uses);
    let covered: usize = uses.iter().map(TextRange::len).sum();
    (covered <= text.len() / 2).then_some(uses)
}

/// `read` in the edited document, if the node it is about is still there, enclosed by
/// the same kinds of nodes at the same places (an ancestor around an edit grows with
/// it); None if anything differs.
fn same_ancestors(doc: &Document, log: &ChangeLog, read: &AncestorRead) -> Option<AncestorRead> {
    let range = log.map(read.node)?;
    let path = path_to(doc.tree().root_node(), range.start, range.end);
    // The node is the deepest one over its range, or an ancestor of it that spans
    // the same range.
    let at = path.iter().position(|n| n.kind_id() == read.kind)?;
    let (node, above) = (path[at], &path[at + 1..]);
    let same = TextRange::from(node.byte_range()) == range
        && above.len() == read.chain.len()
        && above.iter().zip(&read.chain).all(|(a, &(kind, old))| {
            a.kind_id() == kind && TextRange::from(a.byte_range()) == log.widen(old)
        });
    same.then(|| AncestorRead::of(node, above))
}

/// `finding` with its range and fix edits moved by the edits, or None if one touched
/// them.
fn moved_finding(
    finding: &Finding,
    map: &impl Fn(TextRange) -> Option<TextRange>,
) -> Option<Finding> {
    let mut moved = finding.clone();
    moved.range = map(finding.range)?;
    for fix in &mut moved.fixes {
        for edit in &mut fix.edits {
            edit.range = map(edit.range)?;
        }
    }
    Some(moved)
}

/// A process-unique id for each rule set, so a cache made with other rules is not
/// reused.
pub fn next_rule_set_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::same_ancestors;
    use crate::engine::{
        Document, Language, RuleFilter, RuleSet, TextRange, analyze, analyze_document,
    };

    fn ranges(a: &crate::engine::Analysis) -> Vec<(String, TextRange)> {
        a.findings
            .iter()
            .map(|f| (f.rule.id.clone(), f.range))
            .collect()
    }

    /// Analyses `code`, replaces `range` with `text` and analyses it again,
    /// incrementally: the findings before, after, and of a fresh analysis.
    fn before_after_fresh(
        language: Language,
        code: &str,
        range: TextRange,
        text: &str,
    ) -> [Vec<(String, TextRange)>; 3] {
        let (rules, filter) = (RuleSet::builtin(), RuleFilter::default());
        let mut doc = Document::new(language, code);
        let before = ranges(&analyze_document(&mut doc, rules, &filter));
        doc.edit(range, text);
        doc.reparse();
        let incremental = ranges(&analyze_document(&mut doc, rules, &filter));
        [before, incremental, ranges(&analyze(&doc, rules, &filter))]
    }

    /// `:'` typed in TypeScript opens a string type that swallows the next line's
    /// declaration into this one; tree-sitter reports the next line's call unchanged,
    /// yet the declarator around it (what `inside` read) is another one now.
    #[test]
    fn a_reshaped_ancestor_is_read_again() {
        let code = "import crypto from 'crypto-js';\nconst session = { nonce: 1 };\nconst verificationCode = Math.floor(100000 + Math.random() * 900000);\n";
        let at = code.find("session").unwrap() + "session ".len();
        let [before, incremental, fresh] =
            before_after_fresh(Language::TypeScript, code, TextRange::new(at, at), ":'");
        assert_eq!(before.len(), 1, "{before:?}");
        assert_eq!(incremental, fresh);
    }

    /// A call rejected because its callee resolved to nothing dangerous keeps no
    /// record; re-binding the name makes it a finding all the same.
    #[test]
    fn a_rebound_name_is_searched_again_where_it_is_used() {
        let code =
            "const cp = require('fs');\n\nfunction f(input) {\n  cp.exec('ls ' + input);\n}\n";
        let at = code.find("fs").unwrap();
        let edit = TextRange::new(at, at + 2);
        let [before, incremental, fresh] =
            before_after_fresh(Language::JavaScript, code, edit, "child_process");
        assert!(before.is_empty());
        assert!(!incremental.is_empty());
        assert_eq!(incremental, fresh);
    }

    /// Deleting a `;` makes the next line's array a subscript of this line's
    /// declaration: a rejected `Math.random()` there is now inside a secret's
    /// declarator, though nothing inside the call changed.
    #[test]
    fn a_new_ancestor_is_seen() {
        let code = "const token = g;\n[Math.random()].forEach(f);\n";
        let at = code.find(';').unwrap();
        let [before, incremental, fresh] =
            before_after_fresh(Language::JavaScript, code, TextRange::new(at, at + 1), "");
        assert!(before.is_empty());
        assert_eq!(incremental.len(), 1, "{incremental:?}");
        assert_eq!(incremental, fresh);
    }

    /// A match rejected after climbing to the file's root is not searched again for
    /// an edit in another function: its ancestors are the same.
    #[test]
    fn an_edit_elsewhere_keeps_a_rejected_match() {
        let code = "function a() {\n  const id = Math.random();\n}\nfunction b() {\n  g();\n}\n";
        let mut doc = Document::new(Language::JavaScript, code);
        analyze_document(&mut doc, RuleSet::builtin(), &RuleFilter::default());
        let at = code.find("g()").unwrap();
        doc.edit(TextRange::new(at, at), "h();");
        doc.reparse();
        let (cache, log) = doc.analysis_cache();
        let records = &cache.expect("kept").records;
        assert_eq!(records.len(), 1, "{records:?}");
        let read = &records[0].ancestors[0];
        let moved = same_ancestors(&doc, log, read).expect("same ancestors");
        assert_eq!(moved.chain.len(), read.chain.len());
        assert_eq!(moved.node, read.node);
    }
}

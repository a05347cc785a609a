//! Checking a rule against its own examples: every bad example yields exactly the
//! expected findings (by flagged text, in order); every good example yields none;
//! every `fixed` expectation equals the text after applying the rule's fixes, parses
//! without error nodes, no longer triggers the rule, and triggers no rule the bad
//! example did not. Shared by the built-in rules' test and `vigil rules test`.

use std::collections::BTreeMap;

use super::{Rule, RuleSet};
use crate::engine::fix::apply::fix_all_with;
use crate::engine::{Analysis, Document, Language, RuleFilter, analyze, analyze_exhaustive};

fn only(rule: &Rule) -> RuleFilter {
    RuleFilter {
        select: vec![rule.id.clone()],
        ..Default::default()
    }
}

fn language_for(rule: &Rule, ext: Option<&str>) -> Language {
    match ext {
        Some(e) => Language::from_extension(e).expect("validated by the loader"),
        None => rule.language.targets()[0],
    }
}

fn rule_counts(doc: &Document, rules: &RuleSet) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for f in analyze(doc, rules, &RuleFilter::default()).findings {
        *counts.entry(f.rule.id.clone()).or_insert(0) += 1;
    }
    counts
}

/// What a finding is, for comparing two analyses of one document.
fn summary(doc: &Document, analysis: &Analysis) -> Vec<String> {
    analysis
        .findings
        .iter()
        .map(|f| {
            let fixes: Vec<&str> = f.fixes.iter().map(|x| x.title.as_str()).collect();
            format!(
                "{} {:?} {} {fixes:?}",
                f.rule.id,
                doc.slice(f.range),
                f.message
            )
        })
        .collect()
}

/// A problem when the analysis differs from one traversing the whole tree: the
/// prefilter skipped a place a pattern matches (a wrong literal; Vigil's bug, found
/// through the rule's examples).
fn prefilter_problem(
    doc: &Document,
    rules: &RuleSet,
    filter: &RuleFilter,
    analysis: &Analysis,
) -> Option<String> {
    let got = summary(doc, analysis);
    let whole = summary(doc, &analyze_exhaustive(doc, rules, filter));
    (got != whole).then(|| {
        format!("findings differ from a whole-tree traversal (prefilter): got {got:?}, whole tree {whole:?}")
    })
}

/// The problems of `rule` (one message each, prefixed with its id), checked within
/// `rules` (the set it runs in, for the "no new findings of other rules" check).
/// `strict` also requires a bad and a good example and that every fix is exercised,
/// as the built-in rules do.
pub fn check_rule(rule: &Rule, rules: &RuleSet, strict: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let id = &rule.id;
    if strict {
        if rule.bad.is_empty() {
            problems.push(format!("{id}: has no bad example"));
        }
        if rule.good.is_empty() {
            problems.push(format!("{id}: has no good example"));
        }
    }
    let filter = only(rule);
    let mut fixes_exercised = vec![false; rule.fixes.len()];
    for (i, ex) in rule.bad.iter().enumerate() {
        let lang = language_for(rule, ex.ext.as_deref());
        let doc = Document::new(lang, ex.code.clone());
        if doc.has_syntax_errors() {
            problems.push(format!(
                "{id}: bad example {} does not parse as {}",
                i + 1,
                lang.name()
            ));
        }
        let analysis = analyze(&doc, rules, &filter);
        if let Some(p) = prefilter_problem(&doc, rules, &filter, &analysis) {
            problems.push(format!("{id}: bad example {}: {p}", i + 1));
        }
        let got: Vec<&str> = analysis
            .findings
            .iter()
            .map(|f| doc.slice(f.range))
            .collect();
        if got != ex.expect {
            problems.push(format!(
                "{id}: bad example {}: expected findings {:?}, got {:?}",
                i + 1,
                ex.expect,
                got
            ));
        }
        let Some(expected) = &ex.fixed else {
            if analysis.findings.iter().any(|f| !f.fixes.is_empty()) {
                problems.push(format!(
                    "{id}: bad example {} offers a fix but has no `fixed` text",
                    i + 1
                ));
            }
            continue;
        };
        for f in &analysis.findings {
            for fix in &f.fixes {
                fixes_exercised[fix.index] = true;
            }
        }
        let outcome = fix_all_with(&doc, rules, &filter, |_| true, ex.fix);
        let fixed = outcome.document;
        if fixed.text() != expected {
            problems.push(format!(
                "{id}: bad example {}: fixed text differs\n--- expected\n{expected}\n--- got\n{}\n---",
                i + 1,
                fixed.text()
            ));
        }
        for r in &outcome.rejected {
            problems.push(format!(
                "{id}: bad example {}: fix `{}` rejected: {}",
                i + 1,
                r.title,
                r.reason
            ));
        }
        if fixed.has_syntax_errors() {
            problems.push(format!(
                "{id}: bad example {}: fixed text has syntax errors",
                i + 1
            ));
        }
        let fresh = Document::new(lang, fixed.text().to_string());
        let left = analyze(&fresh, rules, &filter).findings;
        if !left.is_empty() {
            problems.push(format!(
                "{id}: bad example {}: still flagged after the fix at {:?}",
                i + 1,
                left.iter()
                    .map(|f| fresh.slice(f.range))
                    .collect::<Vec<_>>()
            ));
        }
        let before = rule_counts(&doc, rules);
        for (other, n) in rule_counts(&fresh, rules) {
            if other != *id && n > before.get(&other).copied().unwrap_or(0) {
                problems.push(format!(
                    "{id}: bad example {}: the fix introduces a finding of {other}",
                    i + 1
                ));
            }
        }
    }
    if strict {
        for (n, exercised) in fixes_exercised.iter().enumerate() {
            if !exercised {
                problems.push(format!(
                    "{id}: fix `{}` is not exercised by any bad example",
                    rule.fixes[n].title
                ));
            }
        }
    }
    for (i, ex) in rule.good.iter().enumerate() {
        let lang = language_for(rule, ex.ext.as_deref());
        let doc = Document::new(lang, ex.code.clone());
        if doc.has_syntax_errors() {
            problems.push(format!(
                "{id}: good example {} does not parse as {}",
                i + 1,
                lang.name()
            ));
        }
        let analysis = analyze(&doc, rules, &filter);
        if let Some(p) = prefilter_problem(&doc, rules, &filter, &analysis) {
            problems.push(format!("{id}: good example {}: {p}", i + 1));
        }
        let found: Vec<&str> = analysis
            .findings
            .iter()
            .map(|f| doc.slice(f.range))
            .collect();
        if !found.is_empty() {
            problems.push(format!(
                "{id}: good example {} is flagged at {found:?}",
                i + 1
            ));
        }
    }
    problems
}

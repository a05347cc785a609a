//! Inline suppressions: `// vigil-ignore[rule-id]: justification` comments (and, when
//! enabled, other tools' markers for the same checks) that silence findings in the
//! code they apply to, with problems in the markers reported as findings of Vigil's
//! own rules ([`meta`]).
//!
//! Comments are found in the syntax tree (only `comment` nodes count, never text in
//! strings); [`marker`] reads one comment, [`anchor`] finds the node it applies to,
//! [`insert`] writes a new marker for the editor's "Suppress here" action.

pub mod anchor;
pub mod insert;
pub mod keywords;
pub mod marker;
pub mod meta;

use std::collections::{HashMap, HashSet};

use super::analyze::{Analysis, Finding, RuleFilter};
use super::document::{Document, TextRange};
use super::rule::{Rule, RuleSet};
use super::suggest::did_you_mean;
use super::walk::node_at;
pub use keywords::KeywordHits;
use marker::{Marker, MarkerTool, Parsed};
pub use meta::{META_PREFIX, MetaCheck, is_meta};

/// At most this many marker comments per file are read; a file with more (generated
/// or hostile) gets a warning, and the rest suppress nothing.
pub const MAX_MARKERS: usize = 10_000;

/// Why a finding is not reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Which marker syntax: `vigil`, `gosec`, `semgrep` or `eslint`.
    pub tool: &'static str,
    pub justification: Option<String>,
    /// The marker's text in the document.
    pub marker: TextRange,
}

/// A finding silenced by a marker: not shown, not counted, kept for reports that
/// record suppressions (JSON, SARIF).
#[derive(Debug, Clone)]
pub struct SuppressedFinding {
    pub finding: Finding,
    pub suppression: Suppression,
}

/// One marker with what it applies to.
struct Placed {
    marker: Marker,
    /// The code it applies to; None: nothing (e.g. after an opening bracket), or not
    /// looked for (it covers no rule).
    target: Option<TextRange>,
    /// Indices into the rule set of the rules it suppresses, with the index of the
    /// id that named each (None for a bare foreign marker).
    rules: Vec<(usize, Option<usize>)>,
}

/// Applies the document's markers to `analysis`: moves suppressed findings to
/// `analysis.suppressed` and adds the findings of Vigil's suppression checks.
/// `keywords` are the marker keywords in the document's text.
pub fn apply(
    doc: &Document,
    keywords: &mut KeywordHits,
    rules: &RuleSet,
    filter: &RuleFilter,
    analysis: &mut Analysis,
) {
    if keywords.is_empty() {
        return;
    }
    let text = doc.text();
    let mut meta_findings = Vec::new();
    let mut placed = Vec::new();
    let mut meta = |check: MetaCheck, range: TextRange, message: String| {
        if let Some(rule) = rules.get(check.id())
            && filter.enabled(rule)
        {
            meta_findings.push(Finding {
                rule: rule.clone(),
                range,
                message,
                severity: filter.severity_of(rule),
                fixes: Vec::new(),
            });
        }
    };
    // Only comments are markers, never text in strings or templates.
    let found = keywords.comments(doc.tree());
    if found.len() > MAX_MARKERS {
        analysis.warnings.push(format!(
            "more than {MAX_MARKERS} suppression comments; only the first {MAX_MARKERS} were read"
        ));
    }
    for comment in found.into_iter().take(MAX_MARKERS) {
        let parsed = marker::parse(&text[comment.start..comment.end], comment.start);
        let marker = match parsed {
            Parsed::NotAMarker => continue,
            Parsed::Malformed { range, reason } => {
                meta(MetaCheck::Malformed, range, reason);
                continue;
            }
            Parsed::Marker(m) => m,
        };
        let foreign = !matches!(marker.tool, MarkerTool::Vigil);
        if foreign && filter.no_foreign_suppressions {
            continue;
        }
        let covered = if foreign {
            foreign_rules(&marker, rules)
        } else {
            vigil_rules(&marker, doc, rules, &mut meta)
        };
        if !foreign && marker.justification.is_none() && !covered.is_empty() {
            let names: Vec<&str> = marker.ids.iter().map(|n| n.id.as_str()).collect();
            meta(
                MetaCheck::NoJustification,
                marker.range,
                format!(
                    "suppression of {} has no justification: say why it is safe after `:`",
                    names.join(", ")
                ),
            );
        }
        // Findings are matched only against the rules a marker covers: another
        // tool's marker for its own rules needs no target (finding it walks the tree).
        let target = if covered.is_empty() {
            None
        } else {
            let root = doc.tree().root_node();
            anchor::target(
                doc,
                node_at(root, comment.start, comment.end),
                marker.placement,
            )
        };
        placed.push(Placed {
            target,
            marker,
            rules: covered,
        });
    }

    // For each rule, the markers that name it: a finding only looks at those.
    let mut by_rule: HashMap<usize, Vec<usize>> = HashMap::new();
    for (m, p) in placed.iter().enumerate() {
        for &(r, _) in &p.rules {
            let markers = by_rule.entry(r).or_default();
            if markers.last() != Some(&m) {
                markers.push(m);
            }
        }
    }
    // (marker, id) pairs that suppressed something.
    let mut used: HashSet<(usize, usize)> = HashSet::new();
    let mut kept = Vec::new();
    for finding in std::mem::take(&mut analysis.findings) {
        let Some(rule_index) = rules.index_of(&finding.rule.id) else {
            kept.push(finding);
            continue;
        };
        let mut by: Option<&Placed> = None;
        for &m in by_rule.get(&rule_index).map_or(&[][..], Vec::as_slice) {
            let p = &placed[m];
            if !p.target.is_some_and(|t| t.contains_range(&finding.range)) {
                continue;
            }
            for &(r, id) in &p.rules {
                if r == rule_index {
                    by.get_or_insert(p);
                    if let Some(id) = id {
                        used.insert((m, id));
                    }
                }
            }
        }
        match by {
            Some(p) => analysis.suppressed.push(SuppressedFinding {
                finding,
                suppression: Suppression {
                    tool: p.marker.tool.name(),
                    justification: p.marker.justification.clone(),
                    marker: p.marker.range,
                },
            }),
            None => kept.push(finding),
        }
    }
    analysis.findings = kept;

    // Like ruff's RUF100, only rules enabled in this run can be unused.
    for (m, p) in placed.iter().enumerate() {
        if !matches!(p.marker.tool, MarkerTool::Vigil) {
            continue; // other tools' markers may be there for the other tool
        }
        for &(r, id) in &p.rules {
            let (Some(id), rule) = (id, &rules.rules()[r]) else {
                continue;
            };
            if filter.enabled(rule) && !used.contains(&(m, id)) {
                let named = &p.marker.ids[id];
                meta(
                    MetaCheck::Unused,
                    named.range,
                    format!(
                        "unused suppression: no {} finding in the code this comment applies to",
                        named.id
                    ),
                );
            }
        }
    }
    analysis.findings.extend(meta_findings);
    analysis.findings.sort_by(|a, b| {
        (a.range.start, a.range.end, &a.rule.id).cmp(&(b.range.start, b.range.end, &b.rule.id))
    });
}

/// The rules a `vigil-ignore[...]` marker names, reporting ids that name no rule
/// that could run here.
fn vigil_rules(
    marker: &Marker,
    doc: &Document,
    rules: &RuleSet,
    meta: &mut impl FnMut(MetaCheck, TextRange, String),
) -> Vec<(usize, Option<usize>)> {
    let mut out = Vec::new();
    for (i, named) in marker.ids.iter().enumerate() {
        let problem = match rules.index_of(&named.id).map(|r| (r, &rules.rules()[r])) {
            None => {
                let ids: Vec<&str> = rules
                    .rules()
                    .iter()
                    .filter(|r| !is_meta(r))
                    .map(|r| r.id.as_str())
                    .collect();
                format!(
                    "unknown rule `{}` in vigil-ignore{}",
                    named.id,
                    did_you_mean(&named.id, &ids)
                )
            }
            Some((_, rule)) if is_meta(rule) => format!(
                "`{}` reports problems with suppressions and cannot itself be suppressed",
                named.id
            ),
            Some((_, rule)) if !runs_on(rule, doc) => format!(
                "rule `{}` does not run on {} files, so it cannot be suppressed here",
                named.id,
                doc.language().name()
            ),
            Some((r, _)) => {
                out.push((r, Some(i)));
                continue;
            }
        };
        meta(MetaCheck::UnknownRule, named.range, problem);
    }
    out
}

fn runs_on(rule: &Rule, doc: &Document) -> bool {
    rule.language.targets().contains(&doc.language())
}

/// The rules another tool's marker means: those with an alias it names, or for a
/// bare marker every rule with an alias of that tool.
fn foreign_rules(marker: &Marker, rules: &RuleSet) -> Vec<(usize, Option<usize>)> {
    let MarkerTool::Foreign(tool) = marker.tool else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (r, rule) in rules.rules().iter().enumerate() {
        let hit = if marker.ids.is_empty() {
            rule.aliases.iter().any(|a| a.tool == tool)
        } else {
            marker
                .ids
                .iter()
                .any(|n| rule.aliases.iter().any(|a| a.named_by(tool, &n.id)))
        };
        if hit {
            out.push((r, None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Language, analyze};

    #[test]
    fn gosec_markers_suppress_aliased_rules() {
        let src = "package main\n\nimport \"crypto/md5\"\n\nfunc a(d []byte) {\n\t_ = md5.Sum(d) // #nosec G401 -- checksum\n}\n";
        let doc = Document::new(Language::Go, src);
        let rules = RuleSet::builtin();
        let md5 = rules.get("go/weak-hash-md5").unwrap();
        assert!(!md5.aliases.is_empty(), "{:?}", md5.aliases);
        let a = analyze(&doc, rules, &RuleFilter::default());
        assert_eq!(a.suppressed.len(), 1, "{:?}", a.findings);
    }
}

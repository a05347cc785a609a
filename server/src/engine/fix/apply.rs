//! Applying fixes: one at a time with verification, or all of a document's fixes
//! iterated to a fixed point the way `ruff --fix` does.

use super::Fix;
use crate::engine::analyze::{RuleFilter, analyze};
use crate::engine::document::{Document, count_syntax_errors};
use crate::engine::rule::{Applicability, RuleSet};

/// Why a fix was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixError {
    /// The edited text would not parse as cleanly as the original.
    BreaksSyntax,
    /// Edits overlap or fall outside the text.
    InvalidEdits,
}

impl std::fmt::Display for FixError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FixError::BreaksSyntax => write!(f, "the fix would leave a syntax error"),
            FixError::InvalidEdits => write!(f, "the fix's edits overlap or are out of range"),
        }
    }
}

/// Applies the fix to a copy of `doc` and returns it re-parsed, or an error if it
/// would introduce syntax errors. Edits apply back to front so offsets stay valid.
pub fn verify_fix(doc: &Document, fix: &Fix) -> Result<Document, FixError> {
    let mut edits: Vec<_> = fix.edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse((e.range.start, e.range.end)));
    for pair in edits.windows(2) {
        if pair[1].range.end > pair[0].range.start {
            return Err(FixError::InvalidEdits);
        }
    }
    let text = doc.text();
    if edits.iter().any(|e| {
        e.range.end > text.len()
            || !text.is_char_boundary(e.range.start)
            || !text.is_char_boundary(e.range.end)
    }) {
        return Err(FixError::InvalidEdits);
    }
    let before = count_syntax_errors(doc.tree());
    let mut out = doc.clone();
    for e in edits {
        out.edit(e.range, &e.new_text);
    }
    out.reparse();
    if count_syntax_errors(out.tree()) > before {
        return Err(FixError::BreaksSyntax);
    }
    Ok(out)
}

/// Removes each of the Go `imports` that `doc` no longer uses (see
/// [`super::imports::go_remove_unused_import`]); a removal that would not verify
/// is skipped.
fn remove_unused_imports(mut doc: Document, imports: &[String]) -> Document {
    if doc.language() != crate::engine::language::Language::Go {
        return doc;
    }
    for path in imports {
        let Some(edit) = super::imports::go_remove_unused_import(&doc, path, &[]) else {
            continue;
        };
        let fix = Fix {
            index: 0,
            title: String::new(),
            applicability: Applicability::Safe,
            edits: vec![edit],
        };
        if let Ok(next) = verify_fix(&doc, &fix) {
            doc = next;
        }
    }
    doc
}

/// One fix applied by [`fix_all`].
#[derive(Debug, Clone)]
pub struct AppliedFix {
    pub rule_id: String,
    pub title: String,
    /// Line (0-based) of the finding in the text as it was when the fix applied.
    pub line: usize,
}

/// A fix that was skipped because applying it would break the file.
#[derive(Debug, Clone)]
pub struct RejectedFix {
    pub rule_id: String,
    pub title: String,
    pub line: usize,
    pub reason: FixError,
}

#[derive(Debug)]
pub struct FixAllOutcome {
    pub document: Document,
    pub applied: Vec<AppliedFix>,
    pub rejected: Vec<RejectedFix>,
}

/// At most this many analyse-and-fix rounds per file.
const MAX_ROUNDS: usize = 16;

/// Applies the first fix of every finding, where `unsafe_fixes` allows fixes that
/// change behaviour. Fixes whose edits conflict wait for the next round, which
/// re-analyses the fixed text; each fix is verified to keep the file parsing.
pub fn fix_all(
    doc: &Document,
    rules: &RuleSet,
    filter: &RuleFilter,
    unsafe_fixes: bool,
) -> FixAllOutcome {
    fix_all_with(
        doc,
        rules,
        filter,
        |f| unsafe_fixes || f.applicability == Applicability::Safe,
        None,
    )
}

/// Like [`fix_all`], choosing for each finding the rule's fix number `preferred` when
/// the finding offers it, else its first offered fix, among those `allowed`.
pub fn fix_all_with(
    doc: &Document,
    rules: &RuleSet,
    filter: &RuleFilter,
    allowed: impl Fn(&Fix) -> bool,
    preferred: Option<usize>,
) -> FixAllOutcome {
    let mut current = doc.clone();
    let mut applied = Vec::new();
    let mut rejected: Vec<RejectedFix> = Vec::new();
    // (rule id, flagged text) of fixes that broke the file: not retried.
    let mut refused: Vec<(String, String)> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let analysis = analyze(&current, rules, filter);
        let mut chosen: Vec<(AppliedFix, String, Fix)> = Vec::new();
        // Imports this round's fixes may leave unused. Each fix decided about them
        // while the other findings still used them, so two fixes of one import both
        // keep it: it is removed after the round if nothing uses it any more.
        let mut cleanup: Vec<String> = Vec::new();
        for finding in analysis.findings {
            let allowed_fixes = || finding.fixes.iter().filter(|f| allowed(f));
            let picked = preferred
                .and_then(|p| allowed_fixes().find(|f| f.index == p))
                .or_else(|| allowed_fixes().next());
            let Some(fix) = picked else { continue };
            let key = (
                finding.rule.id.clone(),
                current.slice(finding.range).to_string(),
            );
            if refused.contains(&key) || chosen.iter().any(|(_, _, c)| c.conflicts_with(fix)) {
                continue;
            }
            let record = AppliedFix {
                rule_id: finding.rule.id.clone(),
                title: fix.title.clone(),
                line: current.line_index().line_of(finding.range.start),
            };
            if let Some(spec) = finding.rule.fixes.get(fix.index) {
                cleanup.extend(spec.remove_unused_imports.iter().cloned());
            }
            chosen.push((record, key.1, fix.clone()));
        }
        if chosen.is_empty() {
            break;
        }
        // Non-overlapping fixes compose: apply them all at once and verify the result.
        let batch = Fix {
            index: 0,
            title: String::new(),
            applicability: Applicability::Safe,
            edits: chosen
                .iter()
                .flat_map(|(_, _, f)| f.edits.iter().cloned())
                .collect(),
        };
        if let Ok(next) = verify_fix(&current, &batch) {
            current = remove_unused_imports(next, &cleanup);
            applied.extend(chosen.into_iter().map(|(r, _, _)| r));
            continue;
        }
        // Some fix breaks the file: find it by applying them one at a time, the
        // first that verifies wins this round.
        let mut progressed = false;
        for (record, flagged, fix) in chosen {
            match verify_fix(&current, &fix) {
                Ok(next) => {
                    current = remove_unused_imports(next, &cleanup);
                    applied.push(record);
                    progressed = true;
                    break;
                }
                Err(reason) => {
                    refused.push((record.rule_id.clone(), flagged));
                    rejected.push(RejectedFix {
                        rule_id: record.rule_id,
                        title: record.title,
                        line: record.line,
                        reason,
                    });
                }
            }
        }
        if !progressed {
            break;
        }
    }
    FixAllOutcome {
        document: current,
        applied,
        rejected,
    }
}

//! Code actions: each finding's fixes as quick fixes, "Suppress <rule> here", and
//! `source.fixAll.vigil`. Every edit is applied to a copy of the document and
//! re-parsed (`verify_fix`) before it is offered.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Diagnostic, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};

use super::convert::{self, DiagnosticData};
use crate::engine::fix::Edit;
use crate::engine::fix::apply::{fix_all, verify_fix};
use crate::engine::suppress;
use crate::engine::{
    Applicability, Document, Finding, Fix, PositionEncoding, RuleFilter, RuleSet, TextRange,
};

pub const FIX_ALL_KIND: CodeActionKind = CodeActionKind::new("source.fixAll.vigil");

/// The analysed version of a document that actions are computed against.
pub struct Target<'a> {
    pub uri: &'a Uri,
    pub version: i32,
    pub document: &'a Document,
    pub enc: PositionEncoding,
    /// The client takes versioned `documentChanges`.
    pub document_changes: bool,
}

impl Target<'_> {
    fn text_edits(&self, edits: &[Edit]) -> Vec<TextEdit> {
        let doc = self.document;
        edits
            .iter()
            .map(|e| TextEdit {
                range: convert::to_range(doc.line_index(), doc.text(), e.range, self.enc),
                new_text: e.new_text.clone(),
            })
            .collect()
    }

    fn workspace_edit(&self, edits: &[Edit]) -> WorkspaceEdit {
        let edits = self.text_edits(edits);
        if self.document_changes {
            WorkspaceEdit {
                document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier {
                        uri: self.uri.clone(),
                        version: Some(self.version),
                    },
                    edits: edits.into_iter().map(OneOf::Left).collect(),
                }])),
                ..WorkspaceEdit::default()
            }
        } else {
            WorkspaceEdit {
                changes: Some(HashMap::from([(self.uri.clone(), edits)])),
                ..WorkspaceEdit::default()
            }
        }
    }
}

/// Quick fixes and suppressions for the Vigil diagnostics the client sent.
/// Diagnostics of another version than `target`'s are skipped: their ranges no longer
/// describe this text, and the client asks again once it has the new diagnostics.
pub fn quick_fixes(
    target: &Target,
    diagnostics: &[Diagnostic],
    findings: &[Finding],
) -> Vec<CodeActionOrCommand> {
    let doc = target.document;
    let mut actions = Vec::new();
    for diagnostic in diagnostics {
        let Some(rule_id) = convert::rule_id(diagnostic) else {
            continue;
        };
        let start = convert::to_offset(
            doc.line_index(),
            doc.text(),
            diagnostic.range.start,
            target.enc,
        );
        let fixes: Vec<Fix> = match diagnostic
            .data
            .clone()
            .and_then(|d| serde_json::from_value::<DiagnosticData>(d).ok())
        {
            Some(data) if data.version != target.version => continue,
            Some(data) => data
                .fixes
                .iter()
                .map(|f| f.to_fix(doc.line_index(), doc.text(), target.enc))
                .collect(),
            // A client that dropped `data`: the same finding from the stored analysis.
            None => findings
                .iter()
                .filter(|f| f.rule.id == rule_id && f.range.start == start)
                .flat_map(|f| f.fixes.clone())
                .collect(),
        };
        let mut preferred_given = false;
        for fix in fixes {
            if let Err(e) = verify_fix(doc, &fix) {
                tracing::info!("not offering fix `{}` for {rule_id}: {e}", fix.title);
                continue;
            }
            let safe = fix.applicability == Applicability::Safe;
            let preferred = safe && !preferred_given;
            preferred_given |= preferred;
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(target.workspace_edit(&fix.edits)),
                is_preferred: Some(preferred),
                ..CodeAction::default()
            }));
        }
        let end = convert::to_offset(
            doc.line_index(),
            doc.text(),
            diagnostic.range.end,
            target.enc,
        );
        // Vigil's checks on suppression comments are fixed by editing the comment.
        let suppressible = !rule_id.starts_with(suppress::META_PREFIX);
        let flagged = TextRange::new(start, end.max(start));
        if let Some(edit) = suppressible
            .then(|| suppress::insert::suppression_edit(doc, flagged, rule_id))
            .flatten()
        {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Suppress {rule_id} here"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(target.workspace_edit(&[edit])),
                is_preferred: Some(false),
                ..CodeAction::default()
            }));
        }
    }
    actions
}

/// `source.fixAll.vigil`: every safe fix, iterated until none applies. None when there
/// is nothing to fix.
pub fn fix_all_action(
    target: &Target,
    rules: &RuleSet,
    filter: &RuleFilter,
) -> Option<CodeActionOrCommand> {
    let outcome = fix_all(target.document, rules, filter, false);
    if outcome.applied.is_empty() {
        return None;
    }
    let edit = minimal_edit(target.document.text(), outcome.document.text())?;
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title: format!(
            "Fix all safe Vigil issues ({} fix{})",
            outcome.applied.len(),
            if outcome.applied.len() == 1 { "" } else { "es" }
        ),
        kind: Some(FIX_ALL_KIND),
        edit: Some(target.workspace_edit(&[edit])),
        ..CodeAction::default()
    }))
}

/// One edit turning `old` into `new`: the span between their common prefix and
/// suffix, so the editor keeps the cursor and folds outside it.
fn minimal_edit(old: &str, new: &str) -> Option<Edit> {
    if old == new {
        return None;
    }
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    Some(Edit {
        range: TextRange::new(prefix, old.len() - suffix),
        new_text: new[prefix..new.len() - suffix].to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edit_reproduces_the_new_text() {
        for (old, new) in [
            ("abc😀def", "abc😃def"),
            ("md5(x)", "sha256(x)"),
            ("aaa", "aaaa"),
            ("中文", "中"),
            ("x", ""),
        ] {
            let e = minimal_edit(old, new).unwrap();
            let mut out = old.to_string();
            out.replace_range(e.range.start..e.range.end, &e.new_text);
            assert_eq!(out, new);
        }
        assert!(minimal_edit("same", "same").is_none());
    }
}

//! Fixes: turning a rule's fix specification and a match's captures into concrete
//! text edits ([`build_fix`]), and applying and verifying them ([`apply`]).

pub mod apply;
pub mod imports;
pub mod list_edit;
pub mod template;
pub mod transform;

use std::collections::HashMap;

use tree_sitter::Node;

use crate::engine::document::TextRange;
use crate::engine::language::Language;
use crate::engine::rule::Applicability;
use crate::engine::rule::model::{EditAction, FixSpec};
use crate::engine::semantics::Evaluator;
use template::{Piece, Template};

/// Replace `range` of the original text with `new_text`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Edit {
    pub range: TextRange,
    pub new_text: String,
}

/// A fix: edits that apply together, non-overlapping, sorted by position.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Fix {
    /// Index of the rule fix this came from.
    pub index: usize,
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Fix {
    /// The span from the first to the last edit.
    pub fn extent(&self) -> TextRange {
        let start = self.edits.iter().map(|e| e.range.start).min().unwrap_or(0);
        let end = self.edits.iter().map(|e| e.range.end).max().unwrap_or(0);
        TextRange::new(start, end)
    }

    pub fn conflicts_with(&self, other: &Fix) -> bool {
        self.edits
            .iter()
            .any(|a| other.edits.iter().any(|b| a.range.overlaps(&b.range)))
    }
}

/// Renders a template against a match's captures; None if a transform declines.
pub fn render(
    template: &Template,
    captures: &HashMap<&str, Node>,
    ev: &Evaluator,
) -> Option<String> {
    let src = ev.doc.text();
    let mut out = String::new();
    for piece in &template.pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Capture(c) => out.push_str(&src[captures.get(c.as_str())?.byte_range()]),
            Piece::Call { func, capture } => out.push_str(&transform::apply(
                func,
                *captures.get(capture.as_str())?,
                ev,
            )?),
        }
    }
    Some(out)
}

/// Builds the concrete fix for one match, or None when it cannot be expressed safely
/// here (a transform declined, an import has no place to go, edits overlap).
pub fn build_fix(
    index: usize,
    spec: &FixSpec,
    captures: &HashMap<&str, Node>,
    ev: &Evaluator,
) -> Option<Fix> {
    let text = ev.doc.text();
    let go = ev.doc.language() == Language::Go;
    let mut edits = Vec::new();
    for e in &spec.edits {
        let node = *captures.get(e.capture.as_str())?;
        // Templates were validated at load time.
        let tpl = Template::parse(&e.text).ok()?;
        let rendered = render(&tpl, captures, ev)?;
        let edit = match e.action {
            EditAction::Replace => Edit {
                range: node.byte_range().into(),
                new_text: rendered,
            },
            EditAction::InsertBefore => Edit {
                range: TextRange::new(node.start_byte(), node.start_byte()),
                new_text: rendered,
            },
            EditAction::InsertAfter => Edit {
                range: TextRange::new(node.end_byte(), node.end_byte()),
                new_text: rendered,
            },
            EditAction::DeleteItem => list_edit::delete_item(text, node)?,
            EditAction::AppendItem => list_edit::append_item(text, node, &rendered, go)?,
        };
        edits.push(edit);
    }
    let replaced: Vec<TextRange> = edits.iter().map(|e| e.range).collect();
    if !spec.remove_unused_imports.is_empty() || !spec.add_imports.is_empty() {
        // Import edits look at the whole file (other uses, names taken, where the
        // imports are).
        ev.depends_on_file();
    }
    // Go imports that go away, with their removal edits: an added import whose
    // insertion point falls inside one (the file's only import is the one replaced,
    // `import "crypto/md5"`) takes its place instead of being inserted next to it.
    let mut removals: Vec<(&str, Edit)> = Vec::new();
    for import in &spec.remove_unused_imports {
        if let Some(edit) = imports::go_remove_unused_import(ev.doc, import, &replaced) {
            removals.push((import, edit));
        }
    }
    for import in &spec.add_imports {
        if go {
            let Some(add) = imports::go_add_import(ev.doc, import).ok()? else {
                continue;
            };
            let at = add.range.start;
            match removals
                .iter()
                .position(|(_, r)| r.range.start < at && at < r.range.end)
            {
                Some(i) => {
                    let (removed, _) = removals.remove(i);
                    edits.push(imports::go_replace_import_path(ev.doc, removed, import)?);
                }
                None => edits.push(add),
            }
        } else {
            let edit = imports::js_add_named_import(ev.doc, ev.all_facts(), import)
                .or_else(|_| {
                    imports::js_add_import_statement(ev.doc, ev.all_facts(), import).map(Some)
                })
                .ok()?;
            edits.extend(edit);
        }
    }
    edits.extend(removals.into_iter().map(|(_, edit)| edit));
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    // Merge two insertions at one point (an added import next to a removed one is
    // fine, two edits over the same text are not).
    for pair in edits.windows(2) {
        if pair[0].range.end > pair[1].range.start {
            return None;
        }
    }
    Some(Fix {
        index,
        title: spec.title.clone(),
        applicability: spec.applicability,
        edits,
    })
}

//! A source file as the engine sees it: text, language, line index and syntax tree.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use tree_sitter::{InputEdit, Parser, Tree};

use super::analyze::incremental::AnalysisCache;
use super::language::Language;
use super::line_index::LineIndex;
use super::walk::{into_if, preorder};

thread_local! {
    // A parser per grammar per thread: creating one allocates, and the CLI's rayon
    // workers and the server's analysis tasks parse many files.
    static PARSERS: RefCell<HashMap<Language, Parser>> = RefCell::new(HashMap::new());
}

/// Parses `text`, reusing `old` (already edited to match `text`) when given.
pub fn parse(language: Language, text: &str, old: Option<&Tree>) -> Tree {
    PARSERS.with(|parsers| {
        let mut parsers = parsers.borrow_mut();
        let parser = parsers.entry(language).or_insert_with(|| {
            let mut parser = Parser::new();
            parser
                .set_language(&language.grammar())
                .expect("bundled grammar is ABI compatible with the tree-sitter runtime");
            parser
        });
        // tree-sitter only returns None when cancelled or without a language; we set
        // neither, but a fresh parser is a cheap fallback rather than a panic.
        parser.parse(text, old).unwrap_or_else(|| {
            let mut fresh = Parser::new();
            fresh
                .set_language(&language.grammar())
                .expect("bundled grammar is ABI compatible");
            fresh.parse(text, None).expect("parse without cancellation")
        })
    })
}

/// A half-open byte range `[start, end)` into a document's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> TextRange {
        TextRange { start, end }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    pub fn overlaps(&self, other: &TextRange) -> bool {
        self.start < other.end && other.start < self.end
            // Two insertions at the same point conflict too: their order is ambiguous.
            || (self.start == other.start && (self.is_empty() || other.is_empty()))
    }
    pub fn contains_range(&self, other: &TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }
    /// Whether the two overlap or border each other.
    pub fn touches(&self, other: &TextRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

/// `ranges` sorted, with overlapping and adjacent ones joined.
pub fn merge_ranges(mut ranges: Vec<TextRange>) -> Vec<TextRange> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<TextRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

impl From<std::ops::Range<usize>> for TextRange {
    fn from(r: std::ops::Range<usize>) -> Self {
        TextRange::new(r.start, r.end)
    }
}

impl From<tree_sitter::Range> for TextRange {
    fn from(r: tree_sitter::Range) -> Self {
        TextRange::new(r.start_byte, r.end_byte)
    }
}

/// Largest text re-parsed from scratch when an incremental re-parse has syntax errors
/// (see [`Document::reparse`]): a fresh parse of this much takes a few milliseconds.
pub const FRESH_REPARSE_MAX_BYTES: usize = 64 << 10;

/// One edit in bytes: `[start, old_end)` of the text before it became
/// `[start, new_end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteEdit {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
}

impl ByteEdit {
    /// Where `range` (before the edit) lies after it, widened to cover the edit when
    /// they meet: a range of changed text stays a range of changed text.
    pub fn widen(&self, range: TextRange) -> TextRange {
        if range.end < self.start {
            range
        } else if range.start > self.old_end {
            self.shift(range)
        } else {
            let end = if range.end <= self.old_end {
                self.new_end
            } else {
                range.end - self.old_end + self.new_end
            };
            TextRange::new(range.start.min(self.start), end.max(self.new_end))
        }
    }

    /// Where `range` lies after the edit, or None when the edit touches it (overlaps
    /// or borders it: text typed at either end may belong to the node).
    pub fn map(&self, range: TextRange) -> Option<TextRange> {
        if range.end < self.start {
            Some(range)
        } else if range.start > self.old_end {
            Some(self.shift(range))
        } else {
            None
        }
    }

    fn shift(&self, range: TextRange) -> TextRange {
        let s = |p: usize| p - self.old_end + self.new_end;
        TextRange::new(s(range.start), s(range.end))
    }
}

/// What changed since the document's last analysis, so the next one can be limited to
/// it (see [`super::analyze::incremental`]).
#[derive(Debug, Clone, Default)]
pub struct ChangeLog {
    /// The edits, in order, each in the coordinates of the text it applied to.
    pub edits: Vec<ByteEdit>,
    /// Ranges of the current text whose characters or syntax changed.
    pub changed: Vec<TextRange>,
    /// Too much happened to track (whole-text replacement, very many edits, a
    /// from-scratch re-parse): the next analysis looks at everything.
    pub lost: bool,
}

/// More edits than this between two analyses are not tracked one by one.
const MAX_TRACKED_EDITS: usize = 256;

impl ChangeLog {
    /// Where a range of the text before the edits lies after them; None if an edit
    /// touched it.
    pub fn map(&self, range: TextRange) -> Option<TextRange> {
        self.edits.iter().try_fold(range, |r, e| e.map(r))
    }

    /// Where a range of the text before the edits went, the edits that met it
    /// included.
    pub fn widen(&self, range: TextRange) -> TextRange {
        self.edits.iter().fold(range, |r, e| e.widen(r))
    }

    fn record(&mut self, edit: ByteEdit) {
        if self.lost {
            return;
        }
        if self.edits.len() >= MAX_TRACKED_EDITS {
            self.lose();
            return;
        }
        for r in &mut self.changed {
            *r = edit.widen(*r);
        }
        self.changed.push(TextRange::new(edit.start, edit.new_end));
        self.edits.push(edit);
    }

    fn lose(&mut self) {
        *self = ChangeLog {
            lost: true,
            ..ChangeLog::default()
        };
    }
}

#[derive(Debug, Clone)]
pub struct Document {
    language: Language,
    /// Shared between clones until one is edited: the server hands a snapshot to
    /// the analysis worker and keeps the analysed document, and a 4 MB text was
    /// copied twice per keystroke.
    text: Arc<String>,
    /// Shared the same way: 800 KB for a 100k-line file.
    line_index: Arc<LineIndex>,
    tree: Tree,
    /// True while edits were applied to text and tree but not yet re-parsed.
    dirty: bool,
    /// Changes since `analysis` was made; empty while there is none.
    changes: ChangeLog,
    /// The last analysis of this document with what incremental analysis needs to
    /// update it.
    analysis: Option<Arc<AnalysisCache>>,
}

impl Document {
    pub fn new(language: Language, text: impl Into<String>) -> Document {
        let text = Arc::new(text.into());
        let tree = parse(language, &text, None);
        Document {
            language,
            line_index: Arc::new(LineIndex::new(&text)),
            text,
            tree,
            dirty: false,
            changes: ChangeLog::default(),
            analysis: None,
        }
    }

    /// The last analysis kept with the document, and what changed since.
    pub(crate) fn analysis_cache(&self) -> (Option<&Arc<AnalysisCache>>, &ChangeLog) {
        (self.analysis.as_ref(), &self.changes)
    }

    /// The parts that are slow to free, the tree and the kept analysis, to be freed
    /// elsewhere (the server does it off the latency path); the text is released
    /// now, so another document sharing it can edit it without copying it.
    pub fn into_slow_parts(self) -> impl Send + 'static {
        (self.tree, self.analysis)
    }

    /// Keeps `cache` as the analysis of the current text.
    pub(crate) fn set_analysis_cache(&mut self, cache: Option<Arc<AnalysisCache>>) {
        self.analysis = cache;
        self.changes = ChangeLog::default();
    }

    pub fn language(&self) -> Language {
        self.language
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn line_index(&self) -> &LineIndex {
        &self.line_index
    }
    /// The syntax tree. Call [`Document::reparse`] after edits before relying on it.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Replaces `range` (bytes, on char boundaries) with `new_text`, keeping the tree's
    /// positions in step so the next [`Document::reparse`] is incremental.
    pub fn edit(&mut self, range: TextRange, new_text: &str) {
        assert!(
            range.start <= range.end
                && range.end <= self.text.len()
                && self.text.is_char_boundary(range.start)
                && self.text.is_char_boundary(range.end),
            "edit range {range:?} is not a char range of a {}-byte text",
            self.text.len()
        );
        let start_position = self.line_index.point(range.start);
        let old_end_position = self.line_index.point(range.end);
        Arc::make_mut(&mut self.text).replace_range(range.start..range.end, new_text);
        Arc::make_mut(&mut self.line_index).edit(range.start, range.end, new_text);
        let new_end_byte = range.start + new_text.len();
        let new_end_position = self.line_index.point(new_end_byte);
        self.tree.edit(&InputEdit {
            start_byte: range.start,
            old_end_byte: range.end,
            new_end_byte,
            start_position,
            old_end_position,
            new_end_position,
        });
        if self.analysis.is_some() {
            self.changes.record(ByteEdit {
                start: range.start,
                old_end: range.end,
                new_end: new_end_byte,
            });
        }
        self.dirty = true;
    }

    /// Replaces the whole text; the next parse starts from scratch.
    pub fn replace_all(&mut self, text: impl Into<String>) {
        self.text = Arc::new(text.into());
        self.line_index = Arc::new(LineIndex::new(&self.text));
        self.tree = parse(self.language, &self.text, None);
        self.dirty = false;
        self.changes.lose();
    }

    /// Re-parses after edits, reusing the unchanged parts of the old tree.
    ///
    /// Text with syntax errors, up to [`FRESH_REPARSE_MAX_BYTES`], is parsed again from
    /// scratch: tree-sitter's error recovery can settle differently when it reuses old
    /// subtrees, and findings should not depend on the order in which the text was
    /// typed. Error-free text (the common case) keeps the incremental parse, which then
    /// equals a fresh one. Larger broken files stay incremental: a fresh parse of a
    /// 500 KB file costs ~100 ms per keystroke (measured with `cargo bench --bench
    /// latency` on lodash.js, whose tree has an error node), far over the editor's
    /// budget, and the rare difference in error recovery is confined to broken code.
    pub fn reparse(&mut self) {
        if self.dirty {
            let mut new = parse(self.language, &self.text, Some(&self.tree));
            if new.root_node().has_error() && self.text.len() <= FRESH_REPARSE_MAX_BYTES {
                new = parse(self.language, &self.text, None);
            }
            // Where the syntax changed beyond the edited text (a quote typed turns the
            // rest of the line into a string). The old tree was edited to match the
            // new text, as tree-sitter requires; a tree parsed from scratch compares
            // by structure all the same.
            // Only a document that keeps an analysis needs to know what changed (one
            // verifying a fix does not). tree-sitter's comparison is quadratic in the
            // nesting depth at a change: code nested thousands of levels deep is
            // analysed afresh instead.
            if self.analysis.is_some() && !self.changes.lost {
                let deep = self.changes.changed.iter().any(|r| {
                    nested_deeper_at(&self.tree, *r, MAX_TRACKED_DEPTH)
                        || nested_deeper_at(&new, *r, MAX_TRACKED_DEPTH)
                });
                if deep {
                    self.changes.lose();
                } else {
                    self.changes
                        .changed
                        .extend(self.tree.changed_ranges(&new).map(TextRange::from));
                }
            }
            self.tree = new;
            self.dirty = false;
        }
    }

    /// Whether the tree contains syntax errors or missing nodes.
    pub fn has_syntax_errors(&self) -> bool {
        self.tree.root_node().has_error()
    }

    pub fn slice(&self, range: TextRange) -> &str {
        &self.text[range.start..range.end]
    }
}

/// Nesting depth beyond which changes are not tracked (see [`Document::reparse`]).
const MAX_TRACKED_DEPTH: usize = 1000;

/// Whether the nodes at `range.start` go more than `max` levels deep. A cursor walk
/// down from the root (`Node::parent` costs the depth itself).
fn nested_deeper_at(tree: &Tree, range: TextRange, max: usize) -> bool {
    let mut cursor = tree.walk();
    let mut depth = 0;
    while cursor.goto_first_child_for_byte(range.start).is_some() {
        depth += 1;
        if depth > max {
            return true;
        }
    }
    false
}

/// Counts ERROR and MISSING nodes without recursion (trees can be very deep).
pub fn count_syntax_errors(tree: &Tree) -> usize {
    let mut count = 0;
    preorder(tree, |node, _| {
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        // Only subtrees that contain errors.
        into_if(node.has_error())
    });
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_edit_matches_fresh_parse() {
        let mut doc = Document::new(Language::JavaScript, "const a = 1;\nfoo(a);\n");
        let at = doc.text().find("1").unwrap();
        doc.edit(TextRange::new(at, at + 1), "'😀' + b");
        doc.reparse();
        let fresh = Document::new(Language::JavaScript, doc.text().to_string());
        assert_eq!(
            doc.tree().root_node().to_sexp(),
            fresh.tree().root_node().to_sexp()
        );
        assert!(!doc.has_syntax_errors());
    }

    /// tree-sitter's error recovery can differ between an incremental re-parse and a
    /// fresh parse of the same broken text (here a `MISSING ?.` against an ERROR
    /// node), so findings would depend on the edit history. Found by the
    /// `document_edits` fuzz target.
    #[test]
    fn broken_text_reparses_like_a_fresh_parse() {
        let base = "\u{fffd}import { randomBytesInvite {\n  email:\0\0\0\0\0\0\0\0 string;\n  code: string\u{fffd}\u{fffd}\u{fffd}\u{fffd}\nexport function createInvite(email: string): Invite {\n   code: string\u{fffd}\u{fffd}\u{fffd}\u{fffd}\nexport function createInvite(email: string): Invite {\n  const inviteToken = Math.random().toString(18).substring(2\u{fffd}, 12);\n  return { email, code: inviteToken };\n}\n\n// Safe: a cryptographieturn randomBytes(16).toString('hex');\n}\n";
        let mut doc = Document::new(Language::TypeScript, base);
        doc.edit(TextRange::new(31, 31), "中文");
        doc.edit(TextRange::new(10, 46), "");
        doc.reparse();
        let fresh = Document::new(Language::TypeScript, doc.text().to_string());
        assert_eq!(
            doc.tree().root_node().to_sexp(),
            fresh.tree().root_node().to_sexp()
        );
    }

    #[test]
    fn counts_errors_iteratively() {
        let doc = Document::new(Language::Go, "package main\nfunc f() { x := }\n");
        assert!(count_syntax_errors(doc.tree()) >= 1);
        let ok = Document::new(Language::Go, "package main\n");
        assert_eq!(count_syntax_errors(ok.tree()), 0);
    }
}

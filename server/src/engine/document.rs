//! A source file as the engine sees it: text, language, line index and syntax tree.

use std::cell::RefCell;
use std::collections::HashMap;

use tree_sitter::{InputEdit, Parser, Tree};

use super::language::Language;
use super::line_index::LineIndex;

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

#[derive(Debug, Clone)]
pub struct Document {
    language: Language,
    text: String,
    line_index: LineIndex,
    tree: Tree,
    /// True while edits were applied to text and tree but not yet re-parsed.
    dirty: bool,
}

impl Document {
    pub fn new(language: Language, text: impl Into<String>) -> Document {
        let text = text.into();
        let tree = parse(language, &text, None);
        Document {
            language,
            line_index: LineIndex::new(&text),
            text,
            tree,
            dirty: false,
        }
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
        self.text.replace_range(range.start..range.end, new_text);
        self.line_index = LineIndex::new(&self.text);
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
        self.dirty = true;
    }

    /// Replaces the whole text; the next parse starts from scratch.
    pub fn replace_all(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.line_index = LineIndex::new(&self.text);
        self.tree = parse(self.language, &self.text, None);
        self.dirty = false;
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
            self.tree = parse(self.language, &self.text, Some(&self.tree));
            if self.tree.root_node().has_error() && self.text.len() <= FRESH_REPARSE_MAX_BYTES {
                self.tree = parse(self.language, &self.text, None);
            }
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

/// Counts ERROR and MISSING nodes without recursion (trees can be very deep).
pub fn count_syntax_errors(tree: &Tree) -> usize {
    let mut count = 0;
    let mut cursor = tree.walk();
    if !tree.root_node().has_error() {
        return 0;
    }
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        // Only descend into subtrees that contain errors.
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return count;
            }
        }
    }
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

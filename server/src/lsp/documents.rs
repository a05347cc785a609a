//! Open documents, keyed by URI: text, version, and (below the size limit) the tree.
//!
//! Edits arrive as LSP ranges in the negotiated encoding and are applied one by one,
//! each to the text and to the tree ([`Document::edit`]), then the tree is re-parsed
//! once, incrementally from the old one.

use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::watch;
use tower_lsp_server::ls_types::{Range, TextDocumentContentChangeEvent, Uri};

use super::convert::to_offset;
use super::scheduler::Outcome;
use crate::engine::{Document, Language, LineIndex, PositionEncoding, TextRange};

/// The text of a document, with its syntax tree while it has one.
///
/// An opened document is parsed by the analysis worker, not on the protocol task; the
/// tree is then kept so later edits re-parse incrementally. Trees cost about thirty
/// times the text in memory, so only the most recently changed documents keep theirs
/// (see [`super::scheduler`]); the others go back to text and are parsed again when
/// edited or asked about.
#[derive(Debug, Clone)]
pub enum Content {
    Parsed(Document),
    /// Not parsed: new, parked to save memory, or above the size limit.
    Text {
        text: String,
        line_index: LineIndex,
    },
}

impl Content {
    pub fn new(text: String) -> Content {
        Content::Text {
            line_index: LineIndex::new(&text),
            text,
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Content::Parsed(doc) => doc.text(),
            Content::Text { text, .. } => text,
        }
    }

    pub fn line_index(&self) -> &LineIndex {
        match self {
            Content::Parsed(doc) => doc.line_index(),
            Content::Text { line_index, .. } => line_index,
        }
    }

    fn edit(&mut self, range: TextRange, new_text: &str) {
        match self {
            Content::Parsed(doc) => doc.edit(range, new_text),
            Content::Text { text, line_index } => {
                text.replace_range(range.start..range.end, new_text);
                line_index.edit(range.start, range.end, new_text);
            }
        }
    }

    /// After edits: re-parses incrementally, drops the tree once the text is above
    /// `max_size`, or parses a text-only document that is being edited again (so the
    /// keystrokes after the first re-parse incrementally).
    pub fn settle(&mut self, language: Language, max_size: usize) {
        match self {
            Content::Parsed(doc) if doc.text().len() > max_size => self.park(),
            Content::Parsed(doc) => doc.reparse(),
            Content::Text { text, .. } if text.len() <= max_size => {
                *self = Content::Parsed(Document::new(language, std::mem::take(text)));
            }
            Content::Text { .. } => {}
        }
    }

    /// Drops the tree, keeping the text.
    pub fn park(&mut self) {
        if let Content::Parsed(doc) = self {
            *self = Content::Text {
                text: doc.text().to_string(),
                line_index: doc.line_index().clone(),
            };
        }
    }

    /// What is slow to free (a tree, a kept analysis), to be freed elsewhere; the text
    /// is released here, so a document sharing it can edit it in place.
    pub fn into_slow_parts(self) -> Option<impl Send + 'static> {
        match self {
            Content::Parsed(doc) => Some(doc.into_slow_parts()),
            Content::Text { .. } => None,
        }
    }

    /// A parsed document of this text: the kept one, or a fresh parse.
    pub fn to_document(&self, language: Language) -> Document {
        match self {
            Content::Parsed(doc) => doc.clone(),
            Content::Text { text, .. } => Document::new(language, text.clone()),
        }
    }
}

#[derive(Debug)]
pub struct OpenDocument {
    pub language: Language,
    pub version: i32,
    pub content: Content,
    /// Bumped on every change of text or settings; analysis results carry the
    /// generation they were computed for, so superseded ones are dropped.
    pub generation: u64,
    /// The latest analysis outcome; requests that need the analysis of the current
    /// generation wait on it.
    pub results: watch::Sender<Option<Arc<Outcome>>>,
}

impl OpenDocument {
    /// Applies one `didChange`'s content changes in order: a change without a range
    /// replaces the whole text. The tree is re-parsed once at the end.
    pub fn apply_changes(
        &mut self,
        changes: &[TextDocumentContentChangeEvent],
        enc: PositionEncoding,
        max_size: usize,
    ) {
        for change in changes {
            match change.range {
                Some(range) => {
                    let range = byte_range(&self.content, range, enc);
                    self.content.edit(range, &change.text);
                }
                None => self.content = Content::new(change.text.clone()),
            }
        }
        self.content.settle(self.language, max_size);
    }
}

/// Converts an LSP range to bytes of `content`; a reversed range is treated as empty
/// at its start rather than rejected, as editors never send one on purpose.
pub fn byte_range(content: &Content, range: Range, enc: PositionEncoding) -> TextRange {
    let text = content.text();
    let index = content.line_index();
    let start = to_offset(index, text, range.start, enc);
    let end = to_offset(index, text, range.end, enc).max(start);
    TextRange::new(start, end)
}

pub type DocumentStore = DashMap<Uri, OpenDocument>;

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::Position;

    fn change(l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn sequential_changes_and_size_transitions() {
        let mut doc = OpenDocument {
            language: Language::JavaScript,
            version: 1,
            content: Content::Parsed(Document::new(Language::JavaScript, "let a = '😀';\n")),
            generation: 0,
            results: watch::Sender::new(None),
        };
        // After the emoji (2 UTF-16 units at columns 9-10): insert, then edit the
        // result of the first change.
        doc.apply_changes(
            &[change(0, 11, 0, 11, "x"), change(0, 12, 0, 12, "y")],
            PositionEncoding::Utf16,
            100,
        );
        assert_eq!(doc.content.text(), "let a = '😀xy';\n");
        let Content::Parsed(parsed) = &doc.content else {
            panic!("a parsed document stays parsed under the limit");
        };
        assert_eq!(
            parsed.tree().root_node().to_sexp(),
            Document::new(Language::JavaScript, doc.content.text())
                .tree()
                .root_node()
                .to_sexp()
        );
        doc.apply_changes(
            &[change(0, 0, 0, 0, &"/".repeat(200))],
            PositionEncoding::Utf8,
            100,
        );
        assert!(
            matches!(doc.content, Content::Text { .. }),
            "tree dropped above the limit"
        );
        doc.apply_changes(&[change(0, 0, 0, 200, "")], PositionEncoding::Utf8, 100);
        assert_eq!(doc.content.text(), "let a = '😀xy';\n");
        assert!(
            !doc.content
                .to_document(Language::JavaScript)
                .has_syntax_errors()
        );
    }
}

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

/// The text of a document, parsed unless it is above the file-size limit.
#[derive(Debug, Clone)]
pub enum Content {
    Parsed(Document),
    /// Too large to analyse: only the text is kept so edits still apply.
    Oversized {
        text: String,
        line_index: LineIndex,
    },
}

impl Content {
    pub fn new(language: Language, text: String, max_size: usize) -> Content {
        if text.len() > max_size {
            Content::Oversized {
                line_index: LineIndex::new(&text),
                text,
            }
        } else {
            Content::Parsed(Document::new(language, text))
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Content::Parsed(doc) => doc.text(),
            Content::Oversized { text, .. } => text,
        }
    }

    pub fn line_index(&self) -> &LineIndex {
        match self {
            Content::Parsed(doc) => doc.line_index(),
            Content::Oversized { line_index, .. } => line_index,
        }
    }

    fn edit(&mut self, range: TextRange, new_text: &str) {
        match self {
            Content::Parsed(doc) => doc.edit(range, new_text),
            Content::Oversized { text, line_index } => {
                text.replace_range(range.start..range.end, new_text);
                *line_index = LineIndex::new(text);
            }
        }
    }

    /// Re-parses after edits and moves between parsed and oversized as the text
    /// crosses `max_size`.
    pub fn settle(&mut self, language: Language, max_size: usize) {
        match self {
            Content::Parsed(doc) if doc.text().len() > max_size => {
                *self = Content::Oversized {
                    text: doc.text().to_string(),
                    line_index: doc.line_index().clone(),
                };
            }
            Content::Parsed(doc) => doc.reparse(),
            Content::Oversized { text, .. } if text.len() <= max_size => {
                *self = Content::Parsed(Document::new(language, std::mem::take(text)));
            }
            Content::Oversized { .. } => {}
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
                None => self.content = Content::new(self.language, change.text.clone(), max_size),
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
            content: Content::new(Language::JavaScript, "let a = '😀';\n".into(), 100),
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
        doc.apply_changes(
            &[change(0, 0, 0, 0, &"/".repeat(200))],
            PositionEncoding::Utf8,
            100,
        );
        assert!(matches!(doc.content, Content::Oversized { .. }));
        doc.apply_changes(&[change(0, 0, 0, 200, "")], PositionEncoding::Utf8, 100);
        let Content::Parsed(parsed) = &doc.content else {
            panic!("back under the limit, the document is parsed again");
        };
        assert!(!parsed.has_syntax_errors());
    }
}

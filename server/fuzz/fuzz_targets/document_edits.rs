//! A sequence of `didChange` notifications applied the way the server applies them
//! (`OpenDocument::apply_changes`: `Document::edit` per change, one incremental
//! re-parse per notification), checked after each against a fresh parse and
//! analysis of the same text: same text as an independently edited copy, same tree
//! (kinds, fields, byte ranges, points), same findings and fixes.
//!
//! Input: `[flags] [n] n × [start: u16 LE, removed: u8, insert: u8] [base text...]`.
//! flags: bits 0-1 grammar, bit 2 UTF-16 (else UTF-8) columns, bit 3 CRLF line
//! endings, bit 4 a tiny size limit (the tree is dropped and re-made as the text
//! crosses it). A start with its top bit set begins a new notification. `insert`
//! picks a snippet (< 0x80) or a slice of the base text. Seeds are real files behind
//! two zero bytes; libFuzzer then grows the edit script.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokio::sync::watch;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};
use vigil::engine::{Document, Language, PositionEncoding, RuleFilter, RuleSet, analyze};
use vigil::lsp::documents::{Content, OpenDocument};

// The tests' tree comparison: pre-order (kind, field, bytes, points, flags) of every
// node. Only its exact `shape` is used here.
#[allow(dead_code)]
#[path = "../../../tests/support/tree_shape.rs"]
mod tree_shape;
use tree_shape::shape;

const SNIPPETS: &[&str] = &[
    "", "😀", "🦀", "中文", "é", "\r\n", "\n", "\r", "\t", " ", "{", "}", "(", ")", "\"", "'", "`",
    "${", "/*", "*/", "//", ";", "=>", ":=", "<div>", "</div>", "import ", "func ", "exec(",
    "md5.Sum(", "eval(", "x", "\u{2028}", "\u{feff}",
];

struct Op {
    start: u16,
    removed: u8,
    insert: u8,
}

fn boundaries(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect()
}

/// The char boundary at or before `offset` that an LSP position can name (not the
/// one inside a CRLF).
fn addressable(text: &str, mut offset: usize) -> usize {
    while offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text[offset..].starts_with('\n') {
        offset -= 1;
    }
    offset
}

fn position(doc_text: &str, offset: usize, enc: PositionEncoding) -> Position {
    let index = vigil::engine::LineIndex::new(doc_text);
    let lc = index.line_col(doc_text, offset, enc);
    Position::new(lc.line, lc.col)
}

fn findings(doc: &Document) -> Vec<String> {
    analyze(doc, RuleSet::builtin(), &RuleFilter::default())
        .findings
        .iter()
        .map(|f| format!("{} {:?} {} {:?}", f.rule.id, f.range, f.message, f.fixes))
        .collect()
}

fn check(doc: &OpenDocument, model: &str) {
    assert_eq!(
        doc.content.text(),
        model,
        "the server's text drifted from the edits"
    );
    let Content::Parsed(incremental) = &doc.content else {
        return; // text only: the next analysis parses from scratch anyway
    };
    let fresh = Document::new(doc.language, model);
    assert_eq!(
        shape(incremental.tree()),
        shape(fresh.tree()),
        "tree differs from a fresh parse"
    );
    assert_eq!(
        findings(incremental),
        findings(&fresh),
        "findings differ from a fresh analysis"
    );
}

fuzz_target!(init: vigil_fuzz::warm_up(), |data: &[u8]| {
    let [flags, n, rest @ ..] = data else { return };
    let n = (*n as usize) % 17;
    if rest.len() < n * 4 {
        return;
    }
    let (op_bytes, base) = rest.split_at(n * 4);
    let ops: Vec<Op> = op_bytes
        .chunks_exact(4)
        .map(|c| Op {
            start: u16::from_le_bytes([c[0], c[1]]),
            removed: c[2],
            insert: c[3],
        })
        .collect();
    let language = Language::ALL[(flags & 3) as usize];
    let enc = if flags & 4 != 0 { PositionEncoding::Utf16 } else { PositionEncoding::Utf8 };
    let mut base = String::from_utf8_lossy(base).into_owned();
    if flags & 8 != 0 {
        base = base.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    let max_size = if flags & 16 != 0 { 64 } else { usize::MAX };
    let base_chars: Vec<char> = base.chars().collect();

    let mut model = base.clone();
    let mut doc = OpenDocument {
        language,
        version: 1,
        content: Content::Parsed(Document::new(language, base.clone())),
        generation: 0,
        results: watch::Sender::new(None),
    };
    doc.content.settle(language, max_size);
    let mut pending: Vec<TextDocumentContentChangeEvent> = Vec::new();
    for op in &ops {
        if op.start & 0x8000 != 0 && !pending.is_empty() {
            doc.apply_changes(&pending, enc, max_size);
            pending.clear();
            check(&doc, &model);
        }
        let bounds = boundaries(&model);
        let i = (op.start & 0x7fff) as usize % bounds.len();
        let j = (i + (op.removed as usize % 48)).min(bounds.len() - 1);
        let start = addressable(&model, bounds[i]);
        let end = addressable(&model, bounds[j]).max(start);
        let inserted: String = if op.insert < 0x80 {
            SNIPPETS[op.insert as usize % SNIPPETS.len()].to_string()
        } else {
            let from = (op.insert as usize * 31) % base_chars.len().max(1);
            base_chars.iter().skip(from).take((op.insert & 0x3f) as usize + 1).collect()
        };
        pending.push(TextDocumentContentChangeEvent {
            range: Some(Range::new(position(&model, start, enc), position(&model, end, enc))),
            range_length: None,
            text: inserted.clone(),
        });
        model.replace_range(start..end, &inserted);
    }
    if !pending.is_empty() {
        doc.apply_changes(&pending, enc, max_size);
        check(&doc, &model);
    }
});

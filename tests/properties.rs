//! Property tests for the two things a user must be able to trust while typing:
//!
//! 1. **Incremental equals from scratch.** Random `didChange` notifications (inserts,
//!    deletions and replacements at arbitrary character boundaries, with emoji, CJK,
//!    CRLF and lone CR, positions in UTF-8 or UTF-16 columns) are applied to real
//!    sources exactly as the server applies them (`OpenDocument::apply_changes`: each
//!    change through `Document::edit`, one incremental re-parse per notification).
//!    After every notification the text equals an independently edited copy, and the
//!    tree (every node's kind, field, byte range and points) and the findings (rule,
//!    range, message, severity, fixes, suppressed ones, warnings) equal those of a
//!    fresh parse and analysis. The server's findings come from incremental analysis
//!    (`analyze_document`, which redoes only what the edits changed), run after most
//!    notifications and so over one or several edits at a time.
//! 2. **Positions round-trip.** On text with multi-byte characters and mixed line
//!    endings, byte offset -> line/column -> byte offset is the identity at every
//!    addressable character boundary, columns agree with an independent count, and
//!    out-of-range positions clamp to the nearest earlier boundary of their line.
//!
//! Positions are computed by this file's own converter (`oracle_position`), not by
//! the engine's `LineIndex`, so a conversion bug cannot hide behind itself.
//!
//! Case counts are fixed so the file runs in seconds; `PROPTEST_CASES=N` runs more.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use tokio::sync::watch;
use tower_lsp_server::ls_types::{Position, TextDocumentContentChangeEvent};
use vigil::engine::analyze::incremental::{INCREMENTAL_RUNS, cached_facts};
use vigil::engine::semantics::FileFacts;
use vigil::engine::{
    Analysis, Document, Language, LineCol, LineIndex, PositionEncoding, RuleFilter, RuleLanguage,
    RuleSet, analyze, analyze_document,
};
use vigil::lsp::documents::{Content, OpenDocument};

#[path = "support/tree_shape.rs"]
mod tree_shape;
use tree_shape::tree_difference;

// --- the sources edits start from --------------------------------------------------

struct Source {
    language: Language,
    text: String,
}

/// The demo apps and every built-in rule's examples: real code in every grammar,
/// much of it with findings and fixes to keep or lose as it is edited.
fn corpus() -> &'static [Source] {
    static CORPUS: OnceLock<Vec<Source>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut sources = Vec::new();
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/demo");
        let mut dirs = vec![demo];
        while let Some(dir) = dirs.pop() {
            let mut entries: Vec<_> = std::fs::read_dir(&dir)
                .expect("tests/demo is readable")
                .map(|e| e.expect("directory entry").path())
                .collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    dirs.push(path);
                } else if let Some(language) = Language::from_path(&path) {
                    let text = std::fs::read_to_string(&path).expect("demo files are UTF-8");
                    sources.push(Source { language, text });
                }
            }
        }
        for rule in RuleSet::builtin().rules() {
            let examples = rule
                .bad
                .iter()
                .map(|b| (&b.code, &b.ext))
                .chain(rule.good.iter().map(|g| (&g.code, &g.ext)));
            for (code, ext) in examples {
                let languages: Vec<Language> = match ext {
                    Some(ext) => vec![Language::from_extension(ext).expect("valid ext")],
                    // A JavaScript example is also TypeScript and TSX input, as the
                    // rule runs on those too.
                    None if rule.language == RuleLanguage::JavaScript => {
                        rule.language.targets().to_vec()
                    }
                    None => vec![rule.language.targets()[0]],
                };
                for language in languages {
                    sources.push(Source {
                        language,
                        text: code.clone(),
                    });
                }
            }
        }
        for language in Language::ALL {
            assert!(
                sources.iter().any(|s| s.language == language),
                "the corpus has {} sources",
                language.name()
            );
        }
        sources
    })
}

// --- an independent model of LSP positions -----------------------------------------

/// The LSP position of byte `offset`: lines end at `\n` (a preceding `\r` belongs to
/// the terminator), columns in UTF-8 bytes or UTF-16 code units.
fn oracle_position(text: &str, offset: usize, enc: PositionEncoding) -> Position {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = match enc {
        PositionEncoding::Utf8 => offset - line_start,
        PositionEncoding::Utf16 => before[line_start..].encode_utf16().count(),
    };
    Position::new(line as u32, col as u32)
}

/// The byte offsets an LSP position can name: every char boundary except the one
/// between the `\r` and `\n` of a CRLF (inside the line terminator).
fn addressable(text: &str, offset: usize) -> bool {
    text.is_char_boundary(offset)
        && !(offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text[offset..].starts_with('\n'))
}

/// Char boundaries of `text`, including its end.
fn boundaries(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect()
}

/// The addressable boundary at or before `offset`.
fn snap_back(text: &str, mut offset: usize) -> usize {
    while !addressable(text, offset) {
        offset -= 1;
    }
    offset
}

// --- edits -----------------------------------------------------------------------

/// One content change: where it starts (a char boundary picked at application time,
/// as the text keeps changing), how many chars it removes, what it inserts.
#[derive(Debug, Clone)]
struct ChangeSpec {
    start: Index,
    removed_chars: usize,
    inserted: String,
}

/// Text worth inserting: syntax that opens and closes constructs, multi-byte and
/// line-ending characters, random runs of them, and slices of real code (which bring
/// findings and fixes in and out of the document).
fn inserted_text() -> impl Strategy<Value = String> {
    let snippets = prop::sample::select(vec![
        "😀",
        "🦀",
        "中文",
        "é",
        "\r\n",
        "\n",
        "\r",
        "\t",
        "{",
        "}",
        "(",
        ")",
        "\"",
        "'",
        "`",
        "${",
        "/*",
        "*/",
        "//",
        ";",
        ",",
        "=>",
        ":=",
        "<div>",
        "</div>",
        "import ",
        "func ",
        "exec(",
        "md5.Sum(",
        "eval(",
        "crypto.createHash('md5')",
        "`ls ${x}`",
        "+ req.query.q",
        // Suppression markers, whole and in part: kept or found again as they are
        // typed and broken.
        "// vigil-ignore[",
        " eslint-disable-line",
        "#nosec",
        "nosemgrep",
        // Bindings that make or unmake findings far from the edit, and a type
        // annotation that opens a string across the next line in TypeScript.
        "import * as cp from 'child_process';\n",
        "const crypto = require('crypto');\n",
        ":'",
    ])
    .prop_map(str::to_string);
    let random = "[a-z0-9 _.,;:(){}<>=+*/\"'`$\\\\\n\r\t😀中é🦀-]{1,12}";
    let n = corpus().len();
    let slice = (0..n, any::<Index>(), 1..80usize).prop_map(|(i, at, len)| {
        let text = &corpus()[i].text;
        let chars: Vec<char> = text.chars().collect();
        let start = at.index(chars.len().max(1));
        chars.iter().skip(start).take(len).collect()
    });
    prop_oneof![
        2 => Just(String::new()),
        4 => snippets,
        3 => random,
        3 => slice,
    ]
}

fn change_spec() -> impl Strategy<Value = ChangeSpec> {
    (
        any::<Index>(),
        prop_oneof![Just(0usize), 0..6usize, 0..60usize],
        inserted_text(),
    )
        .prop_map(|(start, removed_chars, inserted)| ChangeSpec {
            start,
            removed_chars,
            inserted,
        })
}

#[derive(Debug, Clone)]
struct Case {
    source: usize,
    crlf: bool,
    encoding: PositionEncoding,
    /// Notifications, each with one or more content changes applied in order.
    notifications: Vec<Vec<ChangeSpec>>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..corpus().len(),
        any::<bool>(),
        prop_oneof![Just(PositionEncoding::Utf16), Just(PositionEncoding::Utf8)],
        prop::collection::vec(prop::collection::vec(change_spec(), 1..4), 1..10),
    )
        .prop_map(|(source, crlf, encoding, notifications)| Case {
            source,
            crlf,
            encoding,
            notifications,
        })
}

/// Resolves `spec` against the current `text`: the byte range it replaces, on
/// addressable boundaries.
fn resolve(text: &str, spec: &ChangeSpec) -> Range<usize> {
    let bounds = boundaries(text);
    let i = spec.start.index(bounds.len());
    let start = snap_back(text, bounds[i]);
    let end = snap_back(text, bounds[(i + spec.removed_chars).min(bounds.len() - 1)]);
    start..end.max(start)
}

// --- comparing what the server holds with a fresh start ----------------------------

/// An analysis, comparably: findings, suppressed findings (with their markers) and
/// warnings.
fn describe(analysis: &Analysis) -> Vec<String> {
    let finding = |f: &vigil::engine::Finding| {
        format!(
            "{} {:?} {:?} {:?} {:?}",
            f.rule.id, f.range, f.message, f.severity, f.fixes
        )
    };
    analysis
        .findings
        .iter()
        .map(finding)
        .chain(
            analysis
                .suppressed
                .iter()
                .map(|s| format!("suppressed {} by {:?}", finding(&s.finding), s.suppression)),
        )
        .chain(analysis.warnings.iter().map(|w| format!("warning {w}")))
        .collect()
}

fn fresh_findings(doc: &Document) -> Vec<String> {
    describe(&analyze(doc, RuleSet::builtin(), &RuleFilter::default()))
}

/// What the server reports: the document's analysis, updated incrementally.
fn server_findings(doc: &mut Document) -> Vec<String> {
    describe(&analyze_document(
        doc,
        RuleSet::builtin(),
        &RuleFilter::default(),
    ))
}

fn open(language: Language, text: String) -> OpenDocument {
    OpenDocument {
        language,
        version: 1,
        content: Content::Parsed(Document::new(language, text)),
        generation: 0,
        results: watch::Sender::new(None),
    }
}

/// Runs one case; Err describes the first step at which the server's document and a
/// fresh start disagree.
fn check_case(case: &Case) -> Result<(), String> {
    let source = &corpus()[case.source];
    let mut model = if case.crlf {
        source.text.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        source.text.clone()
    };
    let mut server_doc = open(source.language, model.clone());
    if let Content::Parsed(doc) = &mut server_doc.content {
        server_findings(doc);
    }
    let steps = case.notifications.len();
    for (step, specs) in case.notifications.iter().enumerate() {
        let mut changes = Vec::new();
        for spec in specs {
            let range = resolve(&model, spec);
            changes.push(TextDocumentContentChangeEvent {
                range: Some(tower_lsp_server::ls_types::Range::new(
                    oracle_position(&model, range.start, case.encoding),
                    oracle_position(&model, range.end, case.encoding),
                )),
                range_length: None,
                text: spec.inserted.clone(),
            });
            model.replace_range(range, &spec.inserted);
        }
        // No size limit: the document keeps its tree, as an open file below
        // `maxFileSize` does.
        server_doc.apply_changes(&changes, case.encoding, usize::MAX);
        let Content::Parsed(incremental) = &mut server_doc.content else {
            return Err(format!("step {step}: the document lost its tree"));
        };
        if incremental.text() != model {
            return Err(format!(
                "step {step}: text {:?} but the edits give {model:?}",
                incremental.text()
            ));
        }
        // Typing goes on while analysis runs: some analyses cover several notifications.
        if (step + case.source) % 3 == 1 && step + 1 < steps {
            continue;
        }
        // The server's incremental analysis equals a full analysis of its document...
        let got = server_findings(incremental);
        let facts = cached_facts(incremental).expect("the analysis is kept");
        if !facts.same_as(&FileFacts::compute(incremental)) {
            return Err(format!(
                "step {step} on {model:?}: facts updated to {facts:#?}, computed afresh {:#?}",
                FileFacts::compute(incremental)
            ));
        }
        let full = fresh_findings(incremental);
        if got != full {
            return Err(format!(
                "step {step} on {model:?}: incremental analysis {got:#?}, full analysis {full:#?}"
            ));
        }
        // ...and that document equals a fresh parse of the text.
        let fresh = Document::new(source.language, model.clone());
        if let Some(diff) = tree_difference(incremental.tree(), fresh.tree()) {
            return Err(format!("step {step} on {model:?}: {diff}"));
        }
        let want = fresh_findings(&fresh);
        if got != want {
            return Err(format!(
                "step {step} on {model:?}: findings {got:#?}, fresh {want:#?}"
            ));
        }
    }
    Ok(())
}

/// A fixed number of cases unless `PROPTEST_CASES` asks for more; no regression files
/// (failures found here become named tests below).
fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn incremental_edits_equal_a_fresh_parse_and_analysis(case in case()) {
        if let Err(e) = check_case(&case) {
            return Err(TestCaseError::fail(e));
        }
    }
}

/// The property above is only worth something if analyses really are incremental:
/// typing into real code (no whole-text replacement, no limit hit) must not fall back
/// to a full analysis.
#[test]
fn typing_is_analysed_incrementally() {
    for source in corpus().iter().filter(|s| s.text.len() > 200).take(20) {
        let mut doc = Document::new(source.language, source.text.clone());
        let filter = RuleFilter::default();
        analyze_document(&mut doc, RuleSet::builtin(), &filter);
        let before = INCREMENTAL_RUNS.load(std::sync::atomic::Ordering::Relaxed);
        for line in 0..3 {
            // A space at the end of a line, as the latency benchmark types.
            let at = doc
                .text()
                .match_indices('\n')
                .nth(line)
                .map_or(doc.text().len(), |(i, _)| i);
            doc.edit(vigil::engine::TextRange::new(at, at), " ");
            doc.reparse();
            let got = describe(&analyze_document(&mut doc, RuleSet::builtin(), &filter));
            let fresh = Document::new(source.language, doc.text().to_string());
            assert_eq!(got, fresh_findings(&fresh), "on {:?}", doc.text());
        }
        let after = INCREMENTAL_RUNS.load(std::sync::atomic::Ordering::Relaxed);
        // Other tests run in parallel and may add to the counter; at least ours did.
        assert!(
            after >= before + 3,
            "a keystroke in {:?} was analysed in full",
            source.text
        );
    }
}

#[test]
fn corpus_covers_every_grammar_with_findings() {
    // The property above is only as good as its inputs: make sure they include
    // findings with fixes in every grammar, so "equal findings" is not "both empty".
    for language in Language::ALL {
        let with_fixes = corpus()
            .iter()
            .filter(|s| s.language == language)
            .map(|s| Document::new(language, s.text.clone()))
            .filter(|d| {
                analyze(d, RuleSet::builtin(), &RuleFilter::default())
                    .findings
                    .iter()
                    .any(|f| !f.fixes.is_empty())
            })
            .count();
        assert!(
            with_fixes > 0,
            "no {} source with a fixable finding",
            language.name()
        );
    }
}

// --- positions ---------------------------------------------------------------------

/// Text made of pieces that stress conversions: multi-byte characters (emoji are
/// UTF-16 surrogate pairs), and every kind of line ending, mixed.
fn tricky_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "x", " ", "\t", "é", "中", "😀", "🦀", "\n", "\r\n", "\r", "\r\r\n", "\n\r",
        ]),
        0..60,
    )
    .prop_map(|pieces| pieces.concat())
}

fn both_encodings() -> [PositionEncoding; 2] {
    [PositionEncoding::Utf8, PositionEncoding::Utf16]
}

fn to_line_col(p: Position) -> LineCol {
    LineCol {
        line: p.line,
        col: p.character,
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn offsets_round_trip_through_positions(text in tricky_text()) {
        let index = LineIndex::new(&text);
        for enc in both_encodings() {
            for offset in boundaries(&text) {
                let lc = index.line_col(&text, offset, enc);
                if addressable(&text, offset) {
                    prop_assert_eq!(lc, to_line_col(oracle_position(&text, offset, enc)),
                        "{:?} position of {} in {:?}", enc, offset, text);
                    prop_assert_eq!(index.offset(&text, lc, enc), offset,
                        "{:?} round trip of {} in {:?}", enc, offset, text);
                }
                // tree-sitter's points count bytes from the last `\n`.
                let point = index.point(offset);
                let utf8 = oracle_position(&text, offset, PositionEncoding::Utf8);
                prop_assert_eq!((point.row, point.column), (utf8.line as usize, utf8.character as usize));
            }
            // Offsets inside a character are clamped to its start.
            for offset in 0..=text.len() + 2 {
                let mut floor = offset.min(text.len());
                while !text.is_char_boundary(floor) {
                    floor -= 1;
                }
                prop_assert_eq!(index.line_col(&text, offset, enc), index.line_col(&text, floor, enc));
            }
        }
    }

    #[test]
    fn out_of_range_positions_clamp_to_the_earlier_boundary(text in tricky_text(), extra in 0u32..4) {
        let index = LineIndex::new(&text);
        let lines = text.matches('\n').count() + 1;
        for enc in both_encodings() {
            for line in 0..lines {
                // This line's addressable offsets and their columns, by the oracle.
                let offsets: Vec<(usize, u32)> = boundaries(&text)
                    .into_iter()
                    .filter(|&o| addressable(&text, o))
                    .map(|o| (o, oracle_position(&text, o, enc)))
                    .filter(|(_, p)| p.line as usize == line)
                    .map(|(o, p)| (o, p.character))
                    .collect();
                // Addressable offsets of a line all lie within its content: the
                // offset just after its `\n` is on the next line, and the one inside
                // a CRLF is not addressable.
                let content = offsets;
                let max_col = content.last().map_or(0, |&(_, c)| c);
                for col in 0..=max_col + extra {
                    let got = index.offset(&text, LineCol { line: line as u32, col }, enc);
                    // The last boundary of the line whose column does not exceed `col`.
                    let want = content
                        .iter()
                        .filter(|&&(_, c)| c <= col)
                        .map(|&(o, _)| o)
                        .next_back()
                        .expect("column 0 is always a boundary");
                    prop_assert_eq!(got, want, "{:?} ({}, {}) in {:?}", enc, line, col, text);
                }
            }
            let past = index.offset(&text, LineCol { line: lines as u32 + extra, col: 0 }, enc);
            prop_assert_eq!(past, text.len());
        }
    }
}

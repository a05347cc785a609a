//! What the fuzz targets share: the checks run on every input. Each check panics on
//! a broken invariant, which libFuzzer reports as a crash with the input saved.

use vigil::engine::document::count_syntax_errors;
use vigil::engine::fix::apply::{fix_all, verify_fix};
use vigil::engine::{Analysis, Document, Language, RuleFilter, RuleSet, TextRange, analyze};

/// Fuzz input as text: documents and rule files are UTF-8 by the time they reach the
/// engine (the CLI skips other files, LSP carries strings), so invalid bytes are
/// replaced rather than the input thrown away.
pub fn text_of(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

fn assert_range(doc: &Document, range: TextRange, what: &str) {
    let text = doc.text();
    assert!(
        range.start <= range.end
            && range.end <= text.len()
            && text.is_char_boundary(range.start)
            && text.is_char_boundary(range.end),
        "{what} {range:?} is not a char range of the {}-byte text",
        text.len()
    );
}

/// Analyses `doc` with `rules` and checks what comes out: findings and fix edits lie
/// on char boundaries of the text, every fix either verifies or is rejected (never
/// panics), and fixing everything never leaves more syntax errors than there were.
pub fn check_analysis(doc: &Document, rules: &RuleSet) -> Analysis {
    let filter = RuleFilter::default();
    let analysis = analyze(doc, rules, &filter);
    for finding in &analysis.findings {
        assert_range(doc, finding.range, "finding");
        for fix in &finding.fixes {
            for edit in &fix.edits {
                assert_range(doc, edit.range, "fix edit");
            }
            if let Ok(fixed) = verify_fix(doc, fix) {
                assert!(count_syntax_errors(fixed.tree()) <= count_syntax_errors(doc.tree()));
            }
        }
    }
    let outcome = fix_all(doc, rules, &filter, true);
    assert!(
        count_syntax_errors(outcome.document.tree()) <= count_syntax_errors(doc.tree()),
        "fix_all added syntax errors"
    );
    analysis
}

/// The analysis target of one grammar: arbitrary bytes as a document, all built-in
/// rules, every fix.
pub fn fuzz_analysis(language: Language, data: &[u8]) {
    let doc = Document::new(language, text_of(data));
    check_analysis(&doc, RuleSet::builtin());
}

/// Compiles the built-in rules before the first input: that takes seconds in an
/// instrumented build, which would otherwise count against the first input's
/// `-timeout` and be reported as a hang.
pub fn warm_up() {
    RuleSet::builtin();
}

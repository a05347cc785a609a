//! Where the words that can start a marker occur in the text. Finding them is a scan
//! of the whole file, about a millisecond for a 4 MB one, so while typing the
//! occurrences are kept from the last analysis, moved by the edits, and only the
//! changed text is searched again ([`KeywordHits::update`]).

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use super::marker;
use crate::engine::document::{ChangeLog, TextRange, merge_ranges};

/// Words that can start a marker; a file containing none of them has no marker, and
/// its tree is not searched.
const KEYWORDS: &[&str] = &[marker::KEYWORD, "#nosec", "nosemgrep", "eslint-disable"];

/// Finds every keyword in one pass. Leftmost-first matching lets the searcher use its
/// SIMD prefilter (the standard, overlapping kind walks the automaton byte by byte).
/// A keyword hidden by an overlapping one (`eslint-disableslint-disable`) lies in the
/// same comment as the one found, and only the comments matter.
fn keyword_finder() -> &'static AhoCorasick {
    static FINDER: OnceLock<AhoCorasick> = OnceLock::new();
    FINDER.get_or_init(|| {
        AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(KEYWORDS)
            .expect("fixed, valid keywords")
    })
}

/// The occurrences of marker keywords in a text, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeywordHits(Vec<TextRange>);

impl KeywordHits {
    /// Every occurrence in `text`.
    pub fn find(text: &str) -> KeywordHits {
        KeywordHits(search(text.as_bytes(), 0))
    }

    /// The occurrences in `text`, the text `old` was found in after the edits in
    /// `log`: those no edit touched, moved, and those found again around the changed
    /// ranges, which include every edit.
    pub fn update(old: &KeywordHits, text: &str, log: &ChangeLog) -> KeywordHits {
        if log.lost {
            return KeywordHits::find(text);
        }
        let mut hits: Vec<TextRange> = old.0.iter().filter_map(|&r| log.map(r)).collect();
        // A keyword that overlaps a changed range lies within this reach of it.
        let reach = KEYWORDS.iter().map(|k| k.len()).max().unwrap_or(0);
        let bytes = text.as_bytes();
        // Overlapping windows are searched as one: a keyword can straddle the point
        // where one ends and the next begins.
        let windows = merge_ranges(
            log.changed
                .iter()
                .map(|r| {
                    let end = (r.end + reach).min(bytes.len());
                    TextRange::new(r.start.saturating_sub(reach).min(end), end)
                })
                .collect(),
        );
        for w in windows {
            hits.extend(search(&bytes[w.start..w.end], w.start));
        }
        hits.sort_by_key(|r| (r.start, r.end));
        hits.dedup();
        KeywordHits(hits)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ranges(&self) -> &[TextRange] {
        &self.0
    }
}

fn search(bytes: &[u8], base: usize) -> Vec<TextRange> {
    keyword_finder()
        .find_iter(bytes)
        .map(|m| TextRange::new(base + m.start(), base + m.end()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Document, Language, RuleFilter, RuleSet, analyze_document};

    /// Applies `(range, replacement)` edits in order to an analysed document (which
    /// tracks its changes), then checks the kept occurrences against a fresh search.
    fn check(text: &str, edits: &[(TextRange, &str)]) {
        let mut doc = Document::new(Language::JavaScript, text);
        analyze_document(&mut doc, RuleSet::builtin(), &RuleFilter::default());
        let hits = KeywordHits::find(doc.text());
        for &(range, new) in edits {
            doc.edit(range, new);
        }
        doc.reparse();
        let updated = KeywordHits::update(&hits, doc.text(), doc.analysis_cache().1);
        assert_eq!(updated, KeywordHits::find(doc.text()), "{:?}", doc.text());
    }

    #[test]
    fn typing_a_keyword_finds_it() {
        check("// eslint-disabl\nx();\n", &[(TextRange::new(16, 16), "e")]);
        check("// #nose\nx();\n", &[(TextRange::new(8, 8), "c")]);
    }

    #[test]
    fn a_keyword_where_the_searched_windows_overlap_is_found() {
        // The first edit's window ends inside the keyword the second one completes.
        check(
            "// eslint-disabl\n",
            &[(TextRange::new(0, 0), "a"), (TextRange::new(17, 17), "e")],
        );
    }

    #[test]
    fn breaking_a_keyword_loses_it() {
        check("// eslint-disable\nx();\n", &[(TextRange::new(9, 10), "")]);
        check("// #nosec\nx();\n", &[(TextRange::new(4, 4), " ")]);
    }

    #[test]
    fn keywords_elsewhere_move_with_the_edits() {
        check(
            "a();\n// nosemgrep\nb();\n// vigil-ignore[x]: y\nc();\n",
            &[
                (TextRange::new(0, 0), "let q = 1;\n"),
                (TextRange::new(30, 31), ""),
            ],
        );
    }

    #[test]
    fn text_typed_next_to_a_keyword_keeps_it_once() {
        check("// #nosec\n", &[(TextRange::new(9, 9), " G401")]);
        check("//#nosec\n", &[(TextRange::new(2, 2), " ")]);
    }
}

//! Where the words that can start a marker occur in the text. Finding them is a scan
//! of the whole file, about a millisecond for a 4 MB one, so while typing the
//! occurrences are kept from the last analysis, moved by the edits, and only the
//! changed text is searched again ([`KeywordHits::update`]). So is what each one lies
//! in (a comment or other syntax): looking that up walks down the tree, a few
//! microseconds per occurrence in a large file, and a bundle has hundreds of
//! `eslint-disable` comments.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use tree_sitter::Tree;

use super::marker;
use crate::engine::document::{ChangeLog, TextRange, merge_ranges};
use crate::engine::walk::node_at;

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
#[derive(Debug, Clone, Default)]
pub struct KeywordHits(Vec<Hit>);

#[derive(Debug, Clone)]
struct Hit {
    range: TextRange,
    /// The smallest syntax node over the occurrence, once looked up: its range and
    /// whether it is a comment. A leaf token no edit touched and whose syntax did not
    /// change is the same token.
    within: Option<(TextRange, bool)>,
}

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
        let unchanged = |r: TextRange| {
            log.map(r)
                .filter(|r| !log.changed.iter().any(|c| c.touches(r)))
        };
        let mut hits: Vec<Hit> = old
            .0
            .iter()
            .filter_map(|h| {
                Some(Hit {
                    range: log.map(h.range)?,
                    within: h
                        .within
                        .and_then(|(node, comment)| Some((unchanged(node)?, comment))),
                })
            })
            .collect();
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
        // A kept occurrence found again keeps what it knows.
        hits.sort_by_key(|h| (h.range.start, h.range.end, h.within.is_none()));
        hits.dedup_by_key(|h| h.range);
        KeywordHits(hits)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ranges(&self) -> impl Iterator<Item = TextRange> + '_ {
        self.0.iter().map(|h| h.range)
    }

    /// The comments the occurrences lie in (a comment with several, once each), in
    /// document order; looked up in `tree` where not known from before.
    pub fn comments(&mut self, tree: &Tree) -> Vec<TextRange> {
        let root = tree.root_node();
        let mut out: Vec<TextRange> = Vec::new();
        for hit in &mut self.0 {
            let (node, comment) = *hit.within.get_or_insert_with(|| {
                let node = node_at(root, hit.range.start, hit.range.end);
                (node.byte_range().into(), node.kind() == "comment")
            });
            if comment && out.last() != Some(&node) {
                out.push(node);
            }
        }
        out
    }
}

fn search(bytes: &[u8], base: usize) -> Vec<Hit> {
    keyword_finder()
        .find_iter(bytes)
        .map(|m| Hit {
            range: TextRange::new(base + m.start(), base + m.end()),
            within: None,
        })
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
        let fresh = KeywordHits::find(doc.text());
        assert!(updated.ranges().eq(fresh.ranges()), "{:?}", doc.text());
    }

    /// After one edit of `inserted` at every offset, the comments found from kept
    /// lookups equal those found afresh.
    fn check_comments_at_every_offset(text: &str, inserted: &str) {
        for at in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let mut doc = Document::new(Language::JavaScript, text);
            analyze_document(&mut doc, RuleSet::builtin(), &RuleFilter::default());
            let mut hits = KeywordHits::find(doc.text());
            hits.comments(doc.tree());
            doc.edit(TextRange::new(at, at), inserted);
            doc.reparse();
            let mut updated = KeywordHits::update(&hits, doc.text(), doc.analysis_cache().1);
            let mut fresh = KeywordHits::find(doc.text());
            assert_eq!(
                updated.comments(doc.tree()),
                fresh.comments(doc.tree()),
                "{inserted:?} at {at}: {:?}",
                doc.text()
            );
        }
    }

    #[test]
    fn kept_lookups_find_the_comments_a_fresh_one_does() {
        let text = "a(); // eslint-disable-line\nconst s = 'nosemgrep';\n/* #nosec */ b(`eslint-disable ${c}`);\n// vigil-ignore[x]: y\nd();\n";
        for inserted in ["'", "`", "/*", "*/", "//", "\n", "x"] {
            check_comments_at_every_offset(text, inserted);
        }
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

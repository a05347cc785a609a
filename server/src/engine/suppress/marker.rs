//! Reading one comment as a suppression marker: Vigil's own
//! `vigil-ignore[rule-a, rule-b]: justification`, and the markers of other tools
//! (`#nosec`, `nosemgrep`, `eslint-disable-next-line`).
//!
//! A comment is a marker only when its text *starts* with the keyword (after `//`,
//! `/*`, whitespace and the `*`s of a doc comment). Prose that mentions a keyword later
//! in a comment is not a marker and is not reported.

use crate::engine::document::TextRange;
use crate::engine::rule::ForeignTool;

/// Vigil's marker keyword.
pub const KEYWORD: &str = "vigil-ignore";
/// What the "Suppress here" action writes where the user must put the reason; it
/// counts as no justification, so the user is prompted to replace it.
pub const JUSTIFICATION_PLACEHOLDER: &str = "<justification>";

/// Where a marker looks for the code it suppresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// On its own line: the code after it; after code: the code before it.
    ByPosition,
    /// The code after it (`eslint-disable-next-line`).
    Next,
    /// The code before it on its line (`eslint-disable-line`).
    SameLine,
}

/// A rule id named in a marker, with its range in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedId {
    pub id: String,
    pub range: TextRange,
}

/// Who wrote the marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerTool {
    Vigil,
    Foreign(ForeignTool),
}

impl MarkerTool {
    pub fn name(self) -> &'static str {
        match self {
            MarkerTool::Vigil => "vigil",
            MarkerTool::Foreign(t) => t.name(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub tool: MarkerTool,
    /// Empty for a bare foreign marker (`#nosec`), which means every rule that has
    /// an alias of that tool.
    pub ids: Vec<NamedId>,
    pub justification: Option<String>,
    pub placement: Placement,
    /// The marker text, from its keyword to the end of the comment's content.
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// An ordinary comment.
    NotAMarker,
    Marker(Marker),
    /// Starts with `vigil-ignore` but does not follow the syntax; suppresses nothing.
    Malformed {
        range: TextRange,
        reason: String,
    },
}

/// The content of a comment (without `//`, `/* */`) and its offset in the document.
fn content(comment: &str, start: usize) -> (&str, usize) {
    if let Some(body) = comment.strip_prefix("//") {
        (body, start + 2)
    } else if let Some(body) = comment.strip_prefix("/*") {
        (body.strip_suffix("*/").unwrap_or(body), start + 2)
    } else {
        (comment, start)
    }
}

/// Parses the comment `comment` found at byte `start` of the document.
pub fn parse(comment: &str, start: usize) -> Parsed {
    let (body, body_start) = content(comment, start);
    // Leading whitespace, and the `*` of `/** ... */` or of a continued block comment.
    let lead = body.len()
        - body
            .trim_start_matches(|c: char| c.is_whitespace() || c == '*')
            .len();
    let text = body[lead..].trim_end();
    let at = body_start + lead;
    let range = TextRange::new(at, at + text.len());
    if let Some(rest) = text.strip_prefix(KEYWORD) {
        return vigil(rest, at + KEYWORD.len(), range);
    }
    foreign(text, at, range).map_or(Parsed::NotAMarker, Parsed::Marker)
}

fn malformed(range: TextRange, reason: impl Into<String>) -> Parsed {
    Parsed::Malformed {
        range,
        reason: reason.into(),
    }
}

/// `[a, b]: justification` after the keyword; `at` is `rest`'s offset.
fn vigil(rest: &str, at: usize, range: TextRange) -> Parsed {
    let Some(list) = rest.strip_prefix('[') else {
        return malformed(
            range,
            "`vigil-ignore` must be followed by rule ids in brackets: `vigil-ignore[rule-id]: justification`",
        );
    };
    let Some(close) = list.find(']') else {
        return malformed(range, "the rule id list is missing its closing `]`");
    };
    let mut ids = Vec::new();
    let mut offset = at + 1;
    for piece in list[..close].split(',') {
        let id = piece.trim();
        if id.is_empty() {
            return malformed(range, "empty rule id in the brackets");
        }
        if id.contains(char::is_whitespace) {
            return malformed(
                range,
                format!("`{id}` is not a rule id: separate ids with commas"),
            );
        }
        let id_start = offset + (piece.len() - piece.trim_start().len());
        ids.push(NamedId {
            id: id.to_string(),
            range: TextRange::new(id_start, id_start + id.len()),
        });
        offset += piece.len() + 1;
    }
    let after = list[close + 1..].trim();
    let justification = if after.is_empty() {
        None
    } else if let Some(reason) = after.strip_prefix(':') {
        let reason = reason.trim();
        (!reason.is_empty() && reason != JUSTIFICATION_PLACEHOLDER).then(|| reason.to_string())
    } else {
        return malformed(
            range,
            "expected `: justification` after the rule ids, e.g. `vigil-ignore[rule-id]: why it is safe`",
        );
    };
    Parsed::Marker(Marker {
        tool: MarkerTool::Vigil,
        ids,
        justification,
        placement: Placement::ByPosition,
        range,
    })
}

/// `keyword` at the start of `text`, followed by the end or whitespace (or `extra`).
fn strip_word<'a>(text: &'a str, keyword: &str, extra: &[char]) -> Option<&'a str> {
    let rest = text.strip_prefix(keyword)?;
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_whitespace() || extra.contains(&c) => Some(rest),
        Some(_) => None,
    }
}

/// Splits `list` (at byte `at`) into ids at commas and whitespace.
fn ids(list: &str, at: usize, keep: impl Fn(&str) -> bool) -> Vec<NamedId> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in list
        .char_indices()
        .chain(std::iter::once((list.len(), ' ')))
    {
        let separator = c.is_whitespace() || c == ',';
        match (separator, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                let id = &list[s..i];
                if keep(id) {
                    out.push(NamedId {
                        id: id.to_string(),
                        range: TextRange::new(at + s, at + i),
                    });
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// `text -- justification` -> (text, justification), as gosec and ESLint write it.
fn split_reason(text: &str) -> (&str, Option<String>) {
    match text.split_once("--") {
        Some((head, reason)) => {
            let reason = reason.trim();
            (head, (!reason.is_empty()).then(|| reason.to_string()))
        }
        None => (text, None),
    }
}

fn foreign(text: &str, at: usize, range: TextRange) -> Option<Marker> {
    let marker = |tool, ids, justification, placement| Marker {
        tool: MarkerTool::Foreign(tool),
        ids,
        justification,
        placement,
        range,
    };
    if let Some(rest) = strip_word(text, "#nosec", &[]) {
        let (list, reason) = split_reason(rest);
        let start = at + "#nosec".len();
        // gosec ignores words that are not rule ids (`#nosec G401 legacy`).
        let is_id = |id: &str| {
            id.len() == 4 && id.starts_with('G') && id[1..].bytes().all(|b| b.is_ascii_digit())
        };
        return Some(marker(
            ForeignTool::Gosec,
            ids(list, start, is_id),
            reason,
            Placement::ByPosition,
        ));
    }
    if let Some(rest) = strip_word(text, "nosemgrep", &[':']) {
        let start = at + "nosemgrep".len();
        let list = rest.trim_start();
        let ids = match list.strip_prefix(':') {
            Some(list) => ids(list, start + (rest.len() - list.len()), |_| true),
            None => Vec::new(),
        };
        return Some(marker(
            ForeignTool::Semgrep,
            ids,
            None,
            Placement::ByPosition,
        ));
    }
    for (keyword, placement) in [
        ("eslint-disable-next-line", Placement::Next),
        ("eslint-disable-line", Placement::SameLine),
    ] {
        if let Some(rest) = strip_word(text, keyword, &[]) {
            let (list, reason) = split_reason(rest);
            let ids = ids(list, at + keyword.len(), |_| true);
            return Some(marker(ForeignTool::Eslint, ids, reason, placement));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(comment: &str) -> Marker {
        match parse(comment, 0) {
            Parsed::Marker(m) => m,
            other => panic!("{comment}: {other:?}"),
        }
    }

    fn ids(m: &Marker, comment: &str) -> Vec<String> {
        m.ids
            .iter()
            .map(|n| {
                assert_eq!(&comment[n.range.start..n.range.end], n.id);
                n.id.clone()
            })
            .collect()
    }

    #[test]
    fn reads_vigil_markers_in_line_and_block_comments() {
        let c = "// vigil-ignore[js/a, go/b]: fixed input";
        let m = marker(c);
        assert_eq!(ids(&m, c), ["js/a", "go/b"]);
        assert_eq!(m.justification.as_deref(), Some("fixed input"));
        let c = "/* vigil-ignore[js/a]:why */";
        let m = marker(c);
        assert_eq!(ids(&m, c), ["js/a"]);
        assert_eq!(m.justification.as_deref(), Some("why"));
        let c = "/**\n * vigil-ignore[js/a]\n */";
        assert_eq!(marker(c).justification, None);
        assert_eq!(
            marker("// vigil-ignore[x]: <justification>").justification,
            None
        );
    }

    #[test]
    fn prose_is_not_a_marker_and_bad_syntax_is_malformed() {
        assert_eq!(parse("// see the vigil-ignore docs", 0), Parsed::NotAMarker);
        assert_eq!(parse("// TODO: #nosec later", 0), Parsed::NotAMarker);
        assert_eq!(parse("// nosemgrepped", 0), Parsed::NotAMarker);
        for bad in [
            "// vigil-ignore: no brackets",
            "// vigil-ignore js/a",
            "// vigil-ignore[js/a",
            "// vigil-ignore[]: x",
            "// vigil-ignore[js/a go/b]: x",
            "// vigil-ignore[js/a] because",
        ] {
            assert!(matches!(parse(bad, 0), Parsed::Malformed { .. }), "{bad}");
        }
    }

    #[test]
    fn reads_foreign_markers() {
        let c = "// #nosec G401 G501 -- checksum only";
        let m = marker(c);
        assert_eq!(m.tool, MarkerTool::Foreign(ForeignTool::Gosec));
        assert_eq!(ids(&m, c), ["G401", "G501"]);
        assert_eq!(m.justification.as_deref(), Some("checksum only"));
        assert!(marker("//#nosec").ids.is_empty());
        let c = "// nosemgrep: a.b.c, d";
        assert_eq!(ids(&marker(c), c), ["a.b.c", "d"]);
        assert!(marker("// nosemgrep").ids.is_empty());
        let c = "// eslint-disable-next-line security/detect-child-process, no-eval -- ok";
        let m = marker(c);
        assert_eq!(ids(&m, c), ["security/detect-child-process", "no-eval"]);
        assert_eq!(m.placement, Placement::Next);
        assert_eq!(
            marker("// eslint-disable-line").placement,
            Placement::SameLine
        );
    }
}

//! Where a match starts: the root node of the pattern that produced it.
//!
//! tree-sitter reports a match's captures, not the node its pattern is rooted at, yet
//! incremental analysis needs exactly that node: a query restricted to a byte range
//! returns the matches whose root intersects the range, so the root is what decides
//! whether an edit can change a match. The root is found from a capture by walking up
//! as many parents as the capture is deep in its pattern; [`capture_depths`] reads those
//! depths from the pattern's source text.

use std::collections::HashMap;

use tree_sitter::{Node, Query, QueryCapture};

/// For one pattern: capture index -> how many node levels below the pattern's root
/// the captured node sits, for the captures whose depth is certain (a name captured
/// at two depths, in alternatives, is left out). None when the pattern is not rooted
/// in one node; its matches are then treated as spanning the file.
pub type CaptureDepths = Option<HashMap<u32, u32>>;

/// The depths of every pattern of `query`, compiled from `source`.
pub fn capture_depths(query: &Query, source: &str) -> Vec<CaptureDepths> {
    (0..query.pattern_count())
        .map(|i| {
            if !query.is_pattern_rooted(i) {
                return None;
            }
            let text =
                source.get(query.start_byte_for_pattern(i)..query.end_byte_for_pattern(i))?;
            let by_name = depths_in_pattern(text)?;
            let mut by_index = HashMap::new();
            for (name, depth) in by_name {
                if let Some(depth) = depth {
                    by_index.insert(query.capture_index_for_name(&name)?, depth);
                }
            }
            (!by_index.is_empty()).then_some(by_index)
        })
        .collect()
}

/// The root node of a match, or None when it cannot be told (the caller then assumes
/// the whole file).
pub fn match_root<'t>(
    tree_root: Node<'t>,
    depths: &CaptureDepths,
    captures: &[QueryCapture<'t>],
) -> Option<Node<'t>> {
    let depths = depths.as_ref()?;
    let (known, depth) = captures
        .iter()
        .find_map(|c| depths.get(&c.index).map(|d| (c, *d)))?;
    let root = match depth as usize {
        0 => known.node,
        d => *crate::engine::walk::ancestors(tree_root, known.node).get(d - 1)?,
    };
    // Every capture lies inside the root; anything else means the depths were misread.
    let inside = captures
        .iter()
        .all(|c| root.start_byte() <= c.node.start_byte() && c.node.end_byte() <= root.end_byte());
    inside.then_some(root)
}

/// The node kinds the patterns of `query` (compiled from `source`) can start at,
/// to skip running it where it cannot match; None when some pattern may start at any
/// node (a wildcard, a supertype, an unrooted pattern, or text this reader does not
/// understand). `grammar` is the query's, to tell supertypes (`(expression)` starts
/// at an `identifier`) from node kinds.
pub fn root_kinds(
    query: &Query,
    source: &str,
    grammar: &tree_sitter::Language,
) -> Option<Vec<String>> {
    let mut kinds = Vec::new();
    for i in 0..query.pattern_count() {
        if !query.is_pattern_rooted(i) {
            return None;
        }
        let text = source.get(query.start_byte_for_pattern(i)..query.end_byte_for_pattern(i))?;
        let bytes = text.as_bytes();
        element_kinds(bytes, skip_trivia(bytes, 0), &mut kinds)?;
    }
    let is_kind = |k: &String| {
        let id = grammar.id_for_node_kind(k, true);
        // Unnamed (a string in the pattern) or a named kind that is no supertype.
        id == 0 && grammar.id_for_node_kind(k, false) != 0
            || id != 0 && !grammar.node_kind_is_supertype(id)
    };
    kinds.iter().all(is_kind).then_some(kinds)
}

/// Adds the kinds the pattern element at `i` can start at to `out`.
fn element_kinds(bytes: &[u8], i: usize, out: &mut Vec<String>) -> Option<()> {
    match *bytes.get(i)? {
        b'(' => {
            let j = skip_trivia(bytes, i + 1);
            match *bytes.get(j)? {
                // A group holding the rooted pattern's one node and its predicates.
                b'(' | b'[' | b'"' => element_kinds(bytes, j, out),
                c if is_ident(c) => {
                    let name = std::str::from_utf8(&bytes[j..ident_end(bytes, j)]).ok()?;
                    if name == "_" || name.contains('/') {
                        return None;
                    }
                    out.push(name.to_string());
                    Some(())
                }
                _ => None,
            }
        }
        b'[' => {
            let mut k = skip_trivia(bytes, i + 1);
            loop {
                match *bytes.get(k)? {
                    b']' => return Some(()),
                    b'(' | b'[' | b'"' => {
                        element_kinds(bytes, k, out)?;
                        k = skip_element(bytes, k)?;
                    }
                    b'@' => k = capture_end(bytes, k + 1),
                    b'?' | b'*' | b'+' => k += 1,
                    _ => return None,
                }
                k = skip_trivia(bytes, k);
            }
        }
        b'"' => {
            let end = skip_string(bytes, i)?;
            let literal = &bytes[i + 1..end - 1];
            if literal.contains(&b'\\') {
                return None;
            }
            out.push(std::str::from_utf8(literal).ok()?.to_string());
            Some(())
        }
        _ => None,
    }
}

/// The end of the element (a string, or a parenthesised or bracketed one) at `i`.
fn skip_element(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i)? {
        b'"' => skip_string(bytes, i),
        _ => skip_balanced(bytes, i),
    }
}

/// Past spaces and `;` comments.
fn skip_trivia(bytes: &[u8], mut i: usize) -> usize {
    loop {
        i = skip_space(bytes, i);
        if bytes.get(i) != Some(&b';') {
            return i;
        }
        i = skip_line(bytes, i);
    }
}

/// What an element of a pattern opened.
#[derive(Clone, Copy, PartialEq)]
enum Frame {
    /// `(kind ...)` or `(_ ...)`: a node one level deeper.
    Node,
    /// `((a) (b))`: siblings at the same level.
    Group,
    /// `[(a) (b)]`: alternatives at the same level.
    Alternation,
}

/// Capture name -> node depth below the root (None: captured at several depths), for
/// one pattern's source text. None on text this reader does not understand.
fn depths_in_pattern(text: &str) -> Option<HashMap<String, Option<u32>>> {
    let bytes = text.as_bytes();
    let mut stack: Vec<(Frame, u32)> = Vec::new();
    let mut depths: HashMap<String, Option<u32>> = HashMap::new();
    // Depth of the element that ended last, which a following `@capture` names.
    let mut last: Option<u32> = None;
    let node_depth =
        |stack: &[(Frame, u32)]| stack.iter().filter(|(f, _)| *f == Frame::Node).count() as u32;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b';' => i = skip_line(bytes, i),
            b'(' => {
                let j = skip_space(bytes, i + 1);
                let depth = node_depth(&stack);
                match bytes.get(j) {
                    Some(b'#') => {
                        // A predicate: its arguments name captures, they are not steps.
                        i = skip_balanced(bytes, i)?;
                        continue;
                    }
                    Some(b'(' | b'[' | b'.' | b'"') => stack.push((Frame::Group, depth)),
                    Some(_) => stack.push((Frame::Node, depth)),
                    None => return None,
                }
                last = None;
                i += 1;
            }
            b'[' => {
                stack.push((Frame::Alternation, node_depth(&stack)));
                last = None;
                i += 1;
            }
            b')' | b']' => {
                let (frame, depth) = stack.pop()?;
                if (c == b']') != (frame == Frame::Alternation) {
                    return None;
                }
                last = Some(depth);
                i += 1;
            }
            b'"' => {
                i = skip_string(bytes, i)?;
                last = Some(node_depth(&stack));
            }
            b'@' => {
                let end = capture_end(bytes, i + 1);
                let name = text.get(i + 1..end)?.to_string();
                let depth = last?;
                let known = depths.entry(name).or_insert(Some(depth));
                if *known != Some(depth) {
                    *known = None;
                }
                i = end;
            }
            b'!' => i = ident_end(bytes, skip_space(bytes, i + 1)),
            b'*' | b'+' | b'?' | b'.' | b':' => i += 1,
            _ if is_ident(c) => {
                let end = ident_end(bytes, i);
                // Words are node kinds after `(` and field names before `:`, neither an
                // element of its own; only a bare `_` is (a wildcard step).
                let after_paren = i > 0 && bytes[skip_back_space(bytes, i)] == b'(';
                if &bytes[i..end] == b"_" && !after_paren {
                    last = Some(node_depth(&stack));
                }
                i = end;
            }
            _ => return None,
        }
    }
    stack.is_empty().then_some(depths)
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'/' | b'$')
}

fn ident_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_ident(bytes[i]) {
        i += 1;
    }
    i
}

/// Capture names may contain dots (`@a.b`).
fn capture_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && (is_ident(bytes[i]) || bytes[i] == b'.') {
        i += 1;
    }
    i
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Index of the last non-space byte before `i`.
fn skip_back_space(bytes: &[u8], i: usize) -> usize {
    let mut j = i - 1;
    while j > 0 && bytes[j].is_ascii_whitespace() {
        j -= 1;
    }
    j
}

fn skip_line(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] != b'\n' {
        i += 1;
    }
    i
}

/// Past the string starting at `i` (a `"`), honouring backslash escapes.
fn skip_string(bytes: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Past the parenthesised (or bracketed) form starting at `i`, skipping strings and
/// comments.
fn skip_balanced(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = skip_string(bytes, i)?;
                continue;
            }
            b';' => {
                i = skip_line(bytes, i);
                continue;
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Language;

    fn kinds(lang: Language, source: &str) -> Option<Vec<String>> {
        let query = Query::new(&lang.grammar(), source).expect("valid query");
        root_kinds(&query, source, &lang.grammar())
    }

    #[test]
    fn reads_the_kinds_patterns_start_at() {
        let go = Language::Go;
        assert_eq!(
            kinds(
                go,
                "((function_declaration name: (identifier) @n) (#match? @n \"^Test\"))\n\
                 ; a comment\n\
                 ((method_declaration name: (field_identifier) @n) (#eq? @n \"x\"))"
            ),
            Some(vec![
                "function_declaration".into(),
                "method_declaration".into()
            ])
        );
        assert_eq!(
            kinds(go, "(source_file (package_clause (package_identifier) @p))"),
            Some(vec!["source_file".into()])
        );
        assert_eq!(
            kinds(go, "[(call_expression) @c \"go\" (selector_expression)]"),
            Some(vec![
                "call_expression".into(),
                "go".into(),
                "selector_expression".into()
            ])
        );
        // Anything may be where a wildcard or a supertype starts.
        assert_eq!(kinds(go, "(_ (identifier) @i)"), None);
        assert_eq!(kinds(go, "[(identifier) (_)]"), None);
        let js = Language::JavaScript;
        assert_eq!(kinds(js, "(expression) @e"), None);
        assert_eq!(kinds(js, "(primary_expression/identifier) @e"), None);
    }

    fn depths(p: &str) -> Vec<(String, u32)> {
        let mut v: Vec<_> = depths_in_pattern(p)
            .expect("understood")
            .into_iter()
            .filter_map(|(name, d)| Some((name, d?)))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn reads_capture_depths() {
        assert_eq!(
            depths(
                r#"((call_expression function: (member_expression object: (identifier) @o property: (property_identifier) @p) arguments: (arguments . (string) @s)) @finding (#eq? @p "createHash"))"#
            ),
            vec![
                ("finding".into(), 0),
                ("o".into(), 2),
                ("p".into(), 2),
                ("s".into(), 2)
            ]
        );
        assert_eq!(
            depths(r#"(pair key: [(property_identifier) (string)] @k value: (_) @v) @finding"#),
            vec![("finding".into(), 0), ("k".into(), 1), ("v".into(), 1)]
        );
        assert_eq!(
            depths(
                "(call_expression arguments: (arguments ((identifier) @a . (_)* @rest))) ; comment (x) @y\n"
            ),
            vec![("a".into(), 2), ("rest".into(), 2)]
        );
        assert_eq!(
            depths(r#"(object (pair key: _ @k) !value "," @comma) @o"#),
            vec![("comma".into(), 1), ("k".into(), 2), ("o".into(), 0)]
        );
    }

    #[test]
    fn leaves_out_ambiguous_captures_and_declines_broken_text() {
        assert_eq!(
            depths("(a [(b) @x (c (d) @x)] @y) @z"),
            vec![("y".into(), 1), ("z".into(), 0)]
        );
        assert!(depths_in_pattern("(a (b)").is_none());
    }

    #[test]
    /// See the invariant in ARCHITECTURE.md: a pattern rooted at the file would be
    /// matched again over the whole file after every keystroke.
    fn no_builtin_pattern_is_rooted_at_the_file() {
        for rule in crate::engine::RuleSet::builtin().rules() {
            for lang in rule.language.targets() {
                if rule.query_source.is_empty() {
                    continue;
                }
                let query = tree_sitter::Query::new(&lang.grammar(), &rule.query_source)
                    .expect("the built-in rules compile");
                for p in 0..query.pattern_count() {
                    let text = &rule.query_source[query.start_byte_for_pattern(p)..];
                    let root: String = text
                        .trim_start_matches(['(', '[', ' ', '\n'])
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    assert!(
                        !["source_file", "program"].contains(&root.as_str()),
                        "pattern {p} of {} is rooted at the file",
                        rule.id
                    );
                }
            }
        }
    }

    /// Every built-in pattern's root can be found: a pattern whose root is unknown
    /// would make every edit re-check its matches over the whole file.
    #[test]
    fn every_builtin_pattern_has_a_known_root() {
        let rules = crate::engine::RuleSet::builtin();
        for lang in crate::engine::Language::ALL {
            let compiled = rules.compiled(lang).expect("the built-in rules compile");
            for (i, depths) in compiled.capture_depths.iter().enumerate() {
                let rule = &rules.rules()[compiled.pattern_rule[i]];
                assert!(
                    depths.is_some(),
                    "pattern {i} of {} ({lang:?}) has no capture of known depth",
                    rule.id
                );
            }
        }
    }
}

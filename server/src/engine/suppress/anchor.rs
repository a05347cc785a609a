//! Which code a suppression comment applies to: a syntax node, not a line, so the
//! marker keeps working when a formatter re-wraps the code.
//!
//! - A marker on its own line (nothing but whitespace before it) applies to the code
//!   that follows it: starting from the first token after it (other comments
//!   skipped), the nearest *anchor* among the nodes that start at that token.
//! - A marker after code on its line applies to the code before it: starting from the
//!   last token before it (a trailing `,` skipped), the nearest anchor among the
//!   nodes that end at that token.
//! - If no anchor starts (ends) there, the largest named node that does is used; a
//!   marker right after an opening bracket or right before a closing one applies to
//!   nothing.
//!
//! Anchors are statement-level nodes: statements and declarations (`*_statement`,
//! `*_declaration`), object properties (`pair`), Go keyed composite literal elements and
//! specs, class members, struct fields, switch cases, JSX elements and attributes.
//! A comment that is all of a JSX expression (`{/* ... */}`) is placed like its braces.

use tree_sitter::Node;

use crate::engine::document::{Document, TextRange};
use crate::engine::walk::path_to;

use super::marker::Placement;

/// Node kinds, besides `*_statement` and `*_declaration`, a marker can apply to.
const ANCHOR_KINDS: &[&str] = &[
    "pair",
    "spread_element",
    "shorthand_property_identifier",
    "method_definition",
    "field_definition",
    "public_field_definition",
    "property_signature",
    "switch_case",
    "switch_default",
    "jsx_element",
    "jsx_self_closing_element",
    "jsx_attribute",
    "keyed_element",
    "var_spec",
    "const_spec",
    "import_spec",
    "type_spec",
    "expression_case",
    "type_case",
    "default_case",
    "communication_case",
];

/// At most this many comments in a row are skipped looking for the code after a
/// marker, and at most this many ancestors climbed: bounds on hostile input.
const MAX_STEPS: usize = 256;

fn is_anchor(node: Node) -> bool {
    let kind = node.kind();
    node.is_named()
        && (kind.ends_with("_statement")
            || kind.ends_with("_declaration")
            || ANCHOR_KINDS.contains(&kind))
}

/// A node that is only a comment wrapper: the comment itself, or a JSX expression
/// whose only content is a comment.
fn is_comment_like(node: Node) -> bool {
    if node.kind() == "comment" {
        return true;
    }
    if node.kind() != "jsx_expression" {
        return false;
    }
    let mut cursor = node.walk();
    let named: Vec<Node> = node.named_children(&mut cursor).collect();
    !named.is_empty() && named.iter().all(|n| n.kind() == "comment")
}

/// The range of the code `comment` applies to, if any.
pub fn target(doc: &Document, comment: Node, placement: Placement) -> Option<TextRange> {
    let text = doc.text();
    // A JSX expression starts with `{`: only then is the parent looked up (a walk
    // down from the root).
    let in_braces =
        doc.language().has_jsx() && text[..comment.start_byte()].trim_end().ends_with('{');
    let parent = || {
        let path = path_to(
            doc.tree().root_node(),
            comment.start_byte(),
            comment.end_byte(),
        );
        path.iter()
            .position(|n| *n == comment)
            .and_then(|i| path.get(i + 1).copied())
    };
    let outer = match in_braces.then(parent).flatten() {
        Some(p) if p.kind() == "jsx_expression" && is_comment_like(p) => p,
        _ => comment,
    };
    let (start, end) = (outer.start_byte(), outer.end_byte());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let code_before = !text[line_start..start].trim().is_empty();
    match placement {
        Placement::Next => after(doc, end),
        Placement::SameLine if code_before => before(doc, start),
        Placement::SameLine => None,
        Placement::ByPosition if code_before => before(doc, start),
        Placement::ByPosition => after(doc, end),
    }
}

/// The anchor starting at the first token at or after `offset`, comments skipped.
fn after(doc: &Document, mut offset: usize) -> Option<TextRange> {
    let text = doc.text();
    let root = doc.tree().root_node();
    for _ in 0..MAX_STEPS {
        let at = offset + (text[offset..].len() - text[offset..].trim_start().len());
        if at >= text.len() {
            return None;
        }
        let path = path_to(root, at, at);
        // Skip up to the outermost comment wrapper starting here (`{/* */}`).
        let mut from = 0;
        while path
            .get(from + 1)
            .is_some_and(|p| p.start_byte() == at && is_comment_like(*p))
        {
            from += 1;
        }
        if is_comment_like(path[from]) {
            offset = path[from].end_byte();
            continue;
        }
        return climb(&path[from..], |n| n.start_byte() == at);
    }
    None
}

/// The anchor ending at the last token before `offset` (a trailing `,` skipped).
fn before(doc: &Document, offset: usize) -> Option<TextRange> {
    let text = doc.text();
    let mut end = text[..offset].trim_end().len();
    if text[..end].ends_with(',') {
        end = text[..end - 1].trim_end().len();
    }
    if end == 0 {
        return None;
    }
    let path = path_to(doc.tree().root_node(), end - 1, end);
    if path[0].end_byte() != end {
        return None;
    }
    climb(&path, |n| n.end_byte() == end)
}

/// From `path[0]` up through its ancestors (`path[1..]`, the root last) that still
/// satisfy `same_edge`, below the root: the first anchor, else the largest named
/// node.
fn climb(path: &[Node], same_edge: impl Fn(Node) -> bool) -> Option<TextRange> {
    let below_root = &path[..path.len().saturating_sub(1).max(1)];
    let mut largest_named = None;
    for (step, &node) in below_root.iter().enumerate().take(MAX_STEPS + 1) {
        if step > 0 && !same_edge(node) {
            break;
        }
        // As many anchors looked at as levels climbed: MAX_STEPS.
        if is_anchor(node) && step < MAX_STEPS {
            return Some(node.byte_range().into());
        }
        if node.is_named() {
            largest_named = Some(node);
        }
    }
    largest_named.map(|n| n.byte_range().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Language;

    /// The text the comment starting with `marker` applies to.
    fn applies_to(lang: Language, src: &str, marker: &str) -> Option<String> {
        let doc = Document::new(lang, src);
        let at = src.find(marker).unwrap();
        let comment = doc
            .tree()
            .root_node()
            .descendant_for_byte_range(at, at + 2)
            .unwrap();
        assert_eq!(comment.kind(), "comment", "{marker}");
        target(&doc, comment, Placement::ByPosition).map(|r| src[r.start..r.end].to_string())
    }

    #[test]
    fn own_line_markers_take_the_next_statement_level_node() {
        let js = "function f() {\n  // m\n  const a = g(\n    1,\n  );\n  h();\n}\n";
        assert_eq!(
            applies_to(Language::JavaScript, js, "// m").as_deref(),
            Some("const a = g(\n    1,\n  );")
        );
        let obj = "const o = {\n  a: 1,\n  // m\n  b: g(x),\n};\n";
        assert_eq!(
            applies_to(Language::JavaScript, obj, "// m").as_deref(),
            Some("b: g(x)")
        );
        let jsx = "const e = <div\n  // m\n  title={t}\n  id=\"x\"\n/>;\n";
        assert_eq!(
            applies_to(Language::JavaScript, jsx, "// m").as_deref(),
            Some("title={t}")
        );
        // At the end of a block there is nothing to apply to.
        let end = "function f() {\n  g();\n  // m\n}\n";
        assert_eq!(applies_to(Language::JavaScript, end, "// m"), None);
    }

    #[test]
    fn trailing_markers_take_the_node_ending_before_them() {
        let go = "package p\n\nvar c = tls.Config{\n\tA: 1,\n\tB: true, // m\n}\n";
        assert_eq!(
            applies_to(Language::Go, go, "// m").as_deref(),
            Some("B: true")
        );
        let go_stmt = "package p\n\nfunc f() {\n\tx := g(\n\t\t1,\n\t) // m\n}\n";
        assert_eq!(
            applies_to(Language::Go, go_stmt, "// m").as_deref(),
            Some("x := g(\n\t\t1,\n\t)")
        );
        // After an opening bracket: nothing.
        let open = "if (g()) { // m\n  h();\n}\n";
        assert_eq!(applies_to(Language::JavaScript, open, "// m"), None);
    }
}

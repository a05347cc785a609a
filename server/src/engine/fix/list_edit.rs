//! Adding and removing elements of comma-separated lists (object literals, Go composite
//! literal bodies, argument lists) while keeping commas and layout right.

use tree_sitter::Node;

use super::Edit;
use crate::engine::document::TextRange;

/// Named children that are list elements (comments are not).
fn elements<'t>(list: Node<'t>) -> Vec<Node<'t>> {
    let mut c = list.walk();
    list.named_children(&mut c)
        .filter(|n| n.kind() != "comment")
        .collect()
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

fn indentation_at(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..];
    let width = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..width]
}

/// The `,` token right after `node`, if any.
fn comma_after(node: Node) -> Option<Node> {
    let next = node.next_sibling()?;
    (next.kind() == ",").then_some(next)
}

fn comma_before(node: Node) -> Option<Node> {
    let prev = node.prev_sibling()?;
    (prev.kind() == ",").then_some(prev)
}

/// Removes `item` from its list.
pub fn delete_item(text: &str, item: Node) -> Option<Edit> {
    let list = item.parent()?;
    let items = elements(list);
    let pos = items.iter().position(|n| n.id() == item.id())?;
    let start = item.start_byte();
    let mut end = comma_after(item).map_or(item.end_byte(), |c| c.end_byte());
    // Alone on its line(s)? Remove the whole lines.
    let ls = line_start(text, start);
    let before_blank = text[ls..start].trim().is_empty();
    let rest_of_line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let after_blank = text[end..rest_of_line_end].trim().is_empty();
    if before_blank && after_blank && rest_of_line_end < text.len() {
        return Some(Edit {
            range: TextRange::new(ls, rest_of_line_end + 1),
            new_text: String::new(),
        });
    }
    if comma_after(item).is_some() {
        // `a, b` -> drop `a, ` including the space after the comma.
        end += text[end..].len() - text[end..].trim_start_matches([' ', '\t']).len();
        return Some(Edit {
            range: TextRange::new(start, end),
            new_text: String::new(),
        });
    }
    if pos > 0 {
        // Last item without trailing comma: drop the comma before it.
        let c = comma_before(item)?;
        return Some(Edit {
            range: TextRange::new(c.start_byte(), item.end_byte()),
            new_text: String::new(),
        });
    }
    // Only item: empty the brackets entirely (`{ a: 1 }` -> `{}`), unless comments
    // or other text sit inside.
    let (open, close) = (
        list.child(0)?,
        list.child(list.child_count().checked_sub(1)?)?,
    );
    let inner_blank = text[open.end_byte()..start].trim().is_empty()
        && text[item.end_byte()..close.start_byte()].trim().is_empty();
    if inner_blank && open.end_byte() <= start && item.end_byte() <= close.start_byte() {
        return Some(Edit {
            range: TextRange::new(open.end_byte(), close.start_byte()),
            new_text: String::new(),
        });
    }
    Some(Edit {
        range: TextRange::new(start, item.end_byte()),
        new_text: String::new(),
    })
}

/// Adds `new_item` as the last element of `list` (a node whose first and last children
/// are the brackets).
pub fn append_item(text: &str, list: Node, new_item: &str, go: bool) -> Option<Edit> {
    let close = list.child(list.child_count().checked_sub(1)?)?;
    if !matches!(close.kind(), "}" | ")" | "]") {
        return None;
    }
    let items = elements(list);
    let Some(last) = items.last() else {
        let open = list.child(0)?;
        let inner = &text[open.end_byte()..close.start_byte()];
        let pad = if !go && open.kind() == "{" { " " } else { "" };
        return Some(Edit {
            range: TextRange::new(open.end_byte(), close.start_byte()),
            new_text: if inner.trim().is_empty() {
                format!("{pad}{new_item}{pad}")
            } else {
                return None; // only comments inside: leave it to a human
            },
        });
    };
    let multiline = text[last.end_byte()..close.start_byte()].contains('\n');
    let trailing = comma_after(*last);
    if multiline {
        let indent = indentation_at(text, last.start_byte()).to_string();
        let at = trailing.map_or(last.end_byte(), |c| c.end_byte());
        let lead = if trailing.is_some() { "" } else { "," };
        // Go requires a trailing comma before a newline; JS keeps the file's style.
        let tail = if go || trailing.is_some() { "," } else { "" };
        Some(Edit {
            range: TextRange::new(at, at),
            new_text: format!("{lead}\n{indent}{new_item}{tail}"),
        })
    } else if let Some(c) = trailing {
        Some(Edit {
            range: TextRange::new(c.end_byte(), c.end_byte()),
            new_text: format!(" {new_item},"),
        })
    } else {
        Some(Edit {
            range: TextRange::new(last.end_byte(), last.end_byte()),
            new_text: format!(", {new_item}"),
        })
    }
}

//! Pre-order walks over a syntax tree with a cursor: no recursion (trees can be
//! 100,000 levels deep), and the visitor decides which subtrees to enter.

use tree_sitter::{Node, Tree};

use crate::engine::document::TextRange;

/// Where a walk goes after visiting a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Into the node's children.
    Into,
    /// On to the node's next sibling (or up), skipping its children.
    Over,
    /// Nowhere: the walk ends.
    Stop,
}

/// Visits the nodes of `tree` in pre-order with their depth (the root's is 0).
/// Returns false if `visit` stopped the walk.
pub fn preorder<'t>(tree: &'t Tree, visit: impl FnMut(Node<'t>, u32) -> Step) -> bool {
    preorder_from(tree.root_node(), visit)
}

/// [`preorder`] over the subtree of `top`, depths counted from it.
pub fn preorder_from<'t>(top: Node<'t>, mut visit: impl FnMut(Node<'t>, u32) -> Step) -> bool {
    let mut cursor = top.walk();
    let mut depth = 0u32;
    loop {
        match visit(cursor.node(), depth) {
            Step::Stop => return false,
            Step::Into if cursor.goto_first_child() => {
                depth += 1;
                continue;
            }
            _ => {}
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return true;
            }
            depth -= 1;
        }
    }
}

/// `Into` when `enter`, else `Over`.
pub fn into_if(enter: bool) -> Step {
    if enter { Step::Into } else { Step::Over }
}

/// The ancestors of `node`, its parent first and `root` last (none for the root),
/// found in one walk down from `root`. A tree-sitter node has no parent link:
/// `Node::parent` walks down from the root every time, through every sibling on the
/// way (thousands at the top of a large file), so climbing k levels with it costs k
/// such walks. Analysis climbs from every match it checks.
pub fn ancestors<'t>(root: Node<'t>, node: Node<'t>) -> Vec<Node<'t>> {
    let mut path = Vec::new();
    let mut current = root;
    while current != node {
        path.push(current);
        match current.child_with_descendant(node) {
            Some(child) => current = child,
            None => break,
        }
    }
    path.reverse();
    path
}

/// The smallest node spanning `start..end` (as `Node::descendant_for_byte_range`
/// finds it), then its ancestors up to `root`: one cursor walk down, looking children
/// up by offset, where that lookup and [`ancestors`] would take two walks.
pub fn path_to<'t>(root: Node<'t>, start: usize, end: usize) -> Vec<Node<'t>> {
    let mut path = vec![root];
    descend(root, start, end, |child| path.push(child));
    path.reverse();
    path
}

/// The smallest node spanning `start..end`, as `Node::descendant_for_byte_range` finds
/// it, with a cursor: children are looked up by offset through tree-sitter's balanced
/// lists instead of one by one.
pub fn node_at(root: Node<'_>, start: usize, end: usize) -> Node<'_> {
    let mut node = root;
    descend(root, start, end, |child| node = child);
    node
}

/// The children of `node` that touch `range` (overlap or border it), found by offset:
/// a lookup through tree-sitter's balanced lists to the first child ending at or
/// after the range's start, then siblings until one starts after its end, so a
/// keystroke among thousands of sibling statements does not visit them all. The
/// lookup finds nothing when that byte lies in a hidden token (Go's newline
/// terminators): then the children are looked at from the first.
pub fn children_touching<'t>(node: Node<'t>, range: TextRange) -> impl Iterator<Item = Node<'t>> {
    let mut cursor = node.walk();
    let mut more = match range.start {
        0 => cursor.goto_first_child(),
        start => cursor.goto_first_child_for_byte(start - 1).is_some() || cursor.goto_first_child(),
    };
    std::iter::from_fn(move || {
        while more {
            let child = cursor.node();
            if child.start_byte() > range.end {
                return None;
            }
            more = cursor.goto_next_sibling();
            if range.touches(&child.byte_range().into()) {
                return Some(child);
            }
        }
        None
    })
}

/// Calls `enter` with each node on the way down from `root` to the smallest node
/// spanning `start..end`.
fn descend<'t>(root: Node<'t>, start: usize, end: usize, mut enter: impl FnMut(Node<'t>)) {
    let mut cursor = root.walk();
    // The first child ending after `start` (and at or after `end`) is the one to
    // enter, if it starts at or before `start`.
    while cursor.goto_first_child_for_byte(start).is_some() {
        let child = cursor.node();
        if child.end_byte() < end || child.start_byte() > start {
            break;
        }
        enter(child);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Document, Language};

    /// At every offset, and over every one-byte range, of JavaScript and of Go with
    /// its hidden newline tokens, `path_to` finds what a lookup and `ancestors` find.
    #[test]
    fn path_to_is_the_lookup_and_its_ancestors() {
        let js = "function f(a) {\n  // c\n  if (a) { return g(a, [1, {b: 2}]); }\n}\nconst x = `t${y}`;\n";
        let go = "package p\n\nimport \"os\"\n\nfunc f() {\n\tx := os.Args\n\t_ = x // c\n}\n";
        let jsx = "const e = <div a={1}>{/* c */}x </div>;\nlet broken = (;\n";
        for (language, src) in [
            (Language::JavaScript, js),
            (Language::Go, go),
            (Language::JavaScript, jsx),
        ] {
            let doc = Document::new(language, src);
            let root = doc.tree().root_node();
            for start in 0..src.len() {
                for end in [start, start + 1] {
                    let expected = root.descendant_for_byte_range(start, end).map(|leaf| {
                        let mut path = vec![leaf];
                        path.extend(ancestors(root, leaf));
                        path
                    });
                    assert_eq!(
                        Some(path_to(root, start, end)),
                        expected,
                        "{start}..{end} of {src:?}"
                    );
                    assert_eq!(Some(node_at(root, start, end)), expected.map(|p| p[0]));
                }
            }
        }
    }

    #[test]
    fn ancestors_are_the_parent_chain() {
        let src = "function f(a) {\n  if (a) { return g(a, [1, {b: 2}]); }\n}\nconst x = 1;\n";
        let doc = Document::new(Language::JavaScript, src);
        let root = doc.tree().root_node();
        let mut checked = 0;
        preorder(doc.tree(), |node, depth| {
            let mut chain = Vec::new();
            let mut at = node;
            while let Some(p) = at.parent() {
                chain.push(p);
                at = p;
            }
            assert_eq!(ancestors(root, node), chain, "{}", node.kind());
            assert_eq!(chain.len(), depth as usize);
            checked += 1;
            Step::Into
        });
        assert!(checked > 30);
    }
}

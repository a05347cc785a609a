//! Pre-order walks over a syntax tree with a cursor: no recursion (trees can be
//! 100,000 levels deep), and the visitor decides which subtrees to enter.

use tree_sitter::{Node, Tree};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Document, Language};

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

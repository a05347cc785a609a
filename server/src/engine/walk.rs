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
pub fn preorder<'t>(tree: &'t Tree, mut visit: impl FnMut(Node<'t>, u32) -> Step) -> bool {
    let mut cursor = tree.walk();
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

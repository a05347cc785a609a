//! Comparing syntax trees node by node, for tests that hold an incrementally
//! re-parsed tree against a fresh parse (`properties.rs`, `incremental_parse.rs`).

use std::ops::Range;

use tree_sitter::Tree;

/// Everything tree-sitter says about one node; a tree is the list of these in
/// pre-order with depths, which determines it completely.
#[derive(Debug, PartialEq)]
pub struct NodeShape {
    depth: usize,
    kind: String,
    field: Option<String>,
    bytes: Range<usize>,
    start: (usize, usize),
    end: (usize, usize),
    flags: (bool, bool, bool), // missing, error, extra
}

/// The tree in pre-order, walked with a cursor (no recursion: trees can be deep).
pub fn shape(tree: &Tree) -> Vec<NodeShape> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    let mut depth = 0;
    loop {
        let node = cursor.node();
        out.push(NodeShape {
            depth,
            kind: node.kind().to_string(),
            field: cursor.field_name().map(str::to_string),
            bytes: node.byte_range(),
            start: (node.start_position().row, node.start_position().column),
            end: (node.end_position().row, node.end_position().column),
            flags: (node.is_missing(), node.is_error(), node.is_extra()),
        });
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
            depth -= 1;
        }
    }
}

/// A tree without its extras (comments), each node spanning the tokens it covers:
/// tree-sitter may attach a comment next to a statement to a different parent after
/// an incremental re-parse than after a fresh one (a trailing `// ...` inside the
/// declaration it follows, or after it), which changes the parent's byte range but
/// not the code's structure, and nothing Vigil reads.
#[derive(Debug, PartialEq)]
pub struct CodeShape {
    nodes: Vec<CodeNode>,
    tokens: Vec<(String, Range<usize>)>,
}

/// Depth, kind, field, (missing, error), and the tokens it covers.
type CodeNode = (usize, String, Option<String>, (bool, bool), Range<usize>);

pub fn code_shape(tree: &Tree) -> CodeShape {
    let mut nodes = Vec::new();
    let mut tokens: Vec<(String, Range<usize>)> = Vec::new();
    // Indices into `nodes` of the nodes being walked, outermost first.
    let mut open: Vec<usize> = Vec::new();
    let mut cursor = tree.walk();
    let mut depth = 0;
    loop {
        let node = cursor.node();
        let mut entered = false;
        if !node.is_extra() {
            nodes.push((
                depth,
                node.kind().to_string(),
                cursor.field_name().map(str::to_string),
                (node.is_missing(), node.is_error()),
                tokens.len()..tokens.len(),
            ));
            if cursor.goto_first_child() {
                open.push(nodes.len() - 1);
                depth += 1;
                entered = true;
            } else {
                tokens.push((node.kind().to_string(), node.byte_range()));
                let last = nodes.len() - 1;
                nodes[last].4.end = tokens.len();
            }
        }
        if entered {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return CodeShape { nodes, tokens };
            }
            depth -= 1;
            if let Some(i) = open.pop() {
                nodes[i].4.end = tokens.len();
            }
        }
    }
}

/// Where two trees first differ, readably; None when they are the same (but for
/// where comments attach, see [`CodeShape`]).
pub fn tree_difference(incremental: &Tree, fresh: &Tree) -> Option<String> {
    if code_shape(incremental) == code_shape(fresh) {
        return None;
    }
    let (a, b) = (shape(incremental), shape(fresh));
    let at = a.iter().zip(&b).position(|(x, y)| x != y);
    // Whole trees only while they stay readable.
    let sexps = |limit: usize| {
        let (x, y) = (
            incremental.root_node().to_sexp(),
            fresh.root_node().to_sexp(),
        );
        if x.len() + y.len() > limit {
            String::new()
        } else {
            format!("\nincremental: {x}\nfresh:       {y}")
        }
    };
    match at {
        Some(i) => Some(format!(
            "node {i}: incremental {:?}, fresh {:?}{}",
            a[i],
            b[i],
            sexps(20_000)
        )),
        None if a.len() != b.len() => Some(format!(
            "incremental tree has {} nodes, fresh {}",
            a.len(),
            b.len()
        )),
        None => None,
    }
}

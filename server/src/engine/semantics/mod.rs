//! Light, file-local semantics that make rules precise without dataflow: which module
//! a name was imported from, which local constants hold which strings, and the value
//! or literal pieces of a string-building expression.
//!
//! Everything here is bounded: traversals are iterative and evaluation depth is capped,
//! so deeply nested or cyclic input cannot overflow the stack.

mod facts;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use tree_sitter::Node;

use super::document::{Document, TextRange};
use super::language::Language;
use super::walk::ancestors;
pub use facts::FileFacts;

/// How deep constant evaluation follows nested expressions and constant names.
const MAX_EVAL_DEPTH: usize = 64;

/// A fact an evaluation looked up; incremental analysis re-checks a match when a fact
/// it read changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FactKey {
    Binding(String),
    Const(String),
    /// Any question about the imported modules.
    Modules,
    /// Any question about the file's package.
    Package,
}

/// The facts that differ between two versions of a file.
#[derive(Debug, Default)]
pub struct ChangedFacts {
    keys: HashSet<FactKey>,
}

impl ChangedFacts {
    pub fn any(&self, read: &[FactKey]) -> bool {
        !self.keys.is_empty() && read.iter().any(|k| self.keys.contains(k))
    }

    /// The names whose binding changed.
    pub fn bindings(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().filter_map(|k| match k {
            FactKey::Binding(name) => Some(name.as_str()),
            _ => None,
        })
    }
}

pub(super) fn text<'a>(node: Node, src: &'a str) -> &'a str {
    &src[node.byte_range()]
}

pub(super) fn normalise_module(m: &str) -> String {
    m.strip_prefix("node:").unwrap_or(m).to_string()
}

/// The last path element of a Go import path that names the package
/// (`github.com/x/y/v2` -> `y`).
pub fn go_default_package_name(path: &str) -> &str {
    let mut parts = path.rsplit('/');
    let last = parts.next().unwrap_or(path);
    let is_version =
        last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit());
    if is_version {
        parts.next().unwrap_or(last)
    } else {
        last
    }
}

/// `require('m')` -> `m`; `require('m').x` -> `m.x`; `import('m')` -> `m`.
pub(super) fn js_require_target(node: Node, src: &str) -> Option<String> {
    let node = skip_wrappers(node);
    match node.kind() {
        "call_expression" => {
            let f = node.child_by_field_name("function")?;
            let is_require =
                (f.kind() == "identifier" && text(f, src) == "require") || f.kind() == "import";
            if !is_require {
                return None;
            }
            let args = node.child_by_field_name("arguments")?;
            let first = args.named_child(0)?;
            Some(normalise_module(&string_literal_value(
                first,
                src,
                Language::JavaScript,
            )?))
        }
        "member_expression" => {
            let obj = node.child_by_field_name("object")?;
            let prop = node.child_by_field_name("property")?;
            let base = js_require_target(obj, src)?;
            Some(format!("{base}.{}", text(prop, src)))
        }
        _ => None,
    }
}

pub(super) fn skip_wrappers(mut node: Node) -> Node {
    while matches!(
        node.kind(),
        "parenthesized_expression" | "await_expression" | "non_null_expression"
    ) {
        match node.named_child(0) {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

/// The value of a plain string literal node, with common escapes decoded.
pub fn string_literal_value(node: Node, src: &str, lang: Language) -> Option<String> {
    let kind = node.kind();
    let is_string = match lang {
        Language::Go => matches!(kind, "interpreted_string_literal" | "raw_string_literal"),
        _ => {
            kind == "string"
                || (kind == "template_string" && !has_child_kind(node, "template_substitution"))
        }
    };
    if !is_string {
        return None;
    }
    let mut out = String::new();
    let mut c = node.walk();
    for child in node.named_children(&mut c) {
        let t = text(child, src);
        match child.kind() {
            "escape_sequence" => out.push_str(&decode_escape(t)),
            _ => out.push_str(t),
        }
    }
    Some(out)
}

fn has_child_kind(node: Node, kind: &str) -> bool {
    let mut c = node.walk();
    node.named_children(&mut c).any(|n| n.kind() == kind)
}

fn decode_escape(e: &str) -> String {
    match e {
        "\\n" => "\n".into(),
        "\\t" => "\t".into(),
        "\\r" => "\r".into(),
        "\\\\" => "\\".into(),
        "\\'" => "'".into(),
        "\\\"" => "\"".into(),
        "\\`" => "`".into(),
        "\\0" => "\0".into(),
        other => other.trim_start_matches('\\').to_string(),
    }
}

/// One piece of a string-building expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment<'t> {
    Literal(String),
    /// A non-constant expression spliced in, by its node.
    Expr(Node<'t>),
}

/// Evaluates expressions of one document against its facts, and notes what outside
/// the evaluated nodes it looked at (see [`Reads`]).
pub struct Evaluator<'a> {
    pub doc: &'a Document,
    facts: &'a FileFacts,
    /// Whether to note [`Reads`] (incremental analysis needs them; a one-off scan
    /// does not pay for them).
    track: bool,
    reads: RefCell<Reads>,
    /// Answers of sub-query checks on nodes, shared by the evaluators of one pass;
    /// an evaluator outside a pass (fix building, tests) remembers nothing.
    memo: Option<QueryMemo>,
}

/// Answers of sub-query checks within one pass over one tree, by (kind of check,
/// sub-query, node id). Every match of a file shares its ancestors, and a check on
/// the file's root (`not-inside (source_file ...)`, `file-has`) walks much of the
/// file: once per pass, not once per match.
pub type QueryMemo = Rc<RefCell<HashMap<((Check, usize), usize), bool>>>;

/// How a sub-query is checked against a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// A match rooted at the node (`inside`, `not-inside`).
    At,
    /// A match anywhere in the node's subtree (`file-has`).
    Within,
}

/// What an evaluation depended on besides the nodes it was given: facts looked up by
/// name, text elsewhere in the file (a range covering all of it), and which nodes
/// enclose a node (the chain `inside` climbed).
#[derive(Debug, Default, Clone)]
pub struct Reads {
    pub facts: Vec<FactKey>,
    pub elsewhere: Option<TextRange>,
    pub ancestors: Vec<AncestorRead>,
}

/// The ancestors of a node, as an `inside` or `not-inside` check climbed them: the
/// answer depends on their kinds (whether a pattern can start there) as much as on
/// the content of those it checked, which is read `elsewhere`. Kept as a chain, not
/// as the outermost ancestor's range: that is the whole file, which every edit
/// touches, and re-checking every such match per keystroke cost a large file
/// milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AncestorRead {
    pub node: TextRange,
    pub kind: u16,
    /// Each ancestor's kind and range, the parent first.
    pub chain: Vec<(u16, TextRange)>,
}

impl AncestorRead {
    pub fn of(node: Node, ancestors: &[Node]) -> AncestorRead {
        AncestorRead {
            node: node.byte_range().into(),
            kind: node.kind_id(),
            chain: ancestors
                .iter()
                .map(|a| (a.kind_id(), a.byte_range().into()))
                .collect(),
        }
    }
}

impl Reads {
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty() && self.elsewhere.is_none() && self.ancestors.is_empty()
    }
    pub fn merge(&mut self, other: Reads) {
        for k in other.facts {
            if !self.facts.contains(&k) {
                self.facts.push(k);
            }
        }
        if let Some(r) = other.elsewhere {
            self.depends_on(r);
        }
        for a in other.ancestors {
            if !self.ancestors.contains(&a) {
                self.ancestors.push(a);
            }
        }
    }
    fn depends_on(&mut self, r: TextRange) {
        self.elsewhere = Some(match self.elsewhere {
            Some(e) => TextRange::new(e.start.min(r.start), e.end.max(r.end)),
            None => r,
        });
    }
}

impl<'a> Evaluator<'a> {
    pub fn new(doc: &'a Document, facts: &'a FileFacts) -> Evaluator<'a> {
        Evaluator {
            doc,
            facts,
            track: false,
            reads: RefCell::new(Reads::default()),
            memo: None,
        }
    }

    /// Shares `memo` with the other evaluators of a pass over the same tree.
    pub fn with_memo(self, memo: &QueryMemo) -> Evaluator<'a> {
        Evaluator {
            memo: Some(memo.clone()),
            ..self
        }
    }

    /// The answer of the sub-query check `query` (its kind, and the sub-query's
    /// `memo_key`) on `node`: remembered, or found by `check`.
    pub fn query_matches_at(
        &self,
        query: (Check, usize),
        node: Node,
        check: impl FnOnce() -> bool,
    ) -> bool {
        let Some(memo) = &self.memo else {
            return check();
        };
        let key = (query, node.id());
        if let Some(&known) = memo.borrow().get(&key) {
            return known;
        }
        let answer = check();
        memo.borrow_mut().insert(key, answer);
        answer
    }

    /// An evaluator that notes what it reads ([`Evaluator::take_reads`]).
    pub fn tracking(doc: &'a Document, facts: &'a FileFacts) -> Evaluator<'a> {
        Evaluator {
            track: true,
            ..Evaluator::new(doc, facts)
        }
    }

    fn src(&self) -> &'a str {
        self.doc.text()
    }

    fn read(&self, key: impl FnOnce() -> FactKey) {
        if !self.track {
            return;
        }
        let key = key();
        let mut reads = self.reads.borrow_mut();
        if !reads.facts.contains(&key) {
            reads.facts.push(key);
        }
    }

    /// What `name` was imported or required as.
    pub fn binding(&self, name: &str) -> Option<&'a String> {
        self.read(|| FactKey::Binding(name.to_string()));
        self.facts.bindings().get(name)
    }

    pub fn imports_module(&self, module: &str) -> bool {
        self.read(|| FactKey::Modules);
        self.facts.imports_module(module)
    }

    /// The names in the file's `package` clauses (Go; one in a well-formed file).
    pub fn packages(&self) -> &'a [String] {
        self.read(|| FactKey::Package);
        self.facts.packages()
    }

    /// The facts, for code that consults them wholesale (import fixes); the evaluation
    /// then depends on the whole file.
    pub fn all_facts(&self) -> &'a FileFacts {
        self.depends_on_file();
        self.facts
    }

    /// Notes that the evaluation looked at `range`.
    pub fn depends_on(&self, range: TextRange) {
        if self.track {
            self.reads.borrow_mut().depends_on(range);
        }
    }

    /// Notes that the evaluation depended on which nodes enclose `node`
    /// (`ancestors`: all of them, the parent first).
    pub fn depends_on_ancestors(&self, node: Node, ancestors: &[Node]) {
        if self.track {
            let read = AncestorRead::of(node, ancestors);
            let mut reads = self.reads.borrow_mut();
            if !reads.ancestors.contains(&read) {
                reads.ancestors.push(read);
            }
        }
    }

    /// Notes that the evaluation looked at the file as a whole.
    pub fn depends_on_file(&self) {
        self.depends_on(TextRange::new(0, self.doc.text().len()));
    }

    /// What the evaluation read so far, leaving the record empty.
    pub fn take_reads(&self) -> Reads {
        std::mem::take(&mut *self.reads.borrow_mut())
    }

    /// The compile-time string (or number) value of `node`, if it has one.
    pub fn constant_value(&self, node: Node<'a>) -> Option<String> {
        self.constant_value_depth(node, 0)
    }

    fn constant_value_depth(&self, node: Node<'a>, depth: usize) -> Option<String> {
        if depth > MAX_EVAL_DEPTH {
            return None;
        }
        let lang = self.doc.language();
        let src = self.src();
        if let Some(s) = string_literal_value(node, src, lang) {
            return Some(s);
        }
        match node.kind() {
            "number" | "int_literal" | "float_literal" | "true" | "false" | "null" | "nil"
            | "rune_literal" => Some(text(node, src).to_string()),
            "parenthesized_expression" => {
                self.constant_value_depth(node.named_child(0)?, depth + 1)
            }
            "binary_expression" => {
                let op = node.child_by_field_name("operator")?;
                if text(op, src) != "+" {
                    return None;
                }
                let l = self.constant_value_depth(node.child_by_field_name("left")?, depth + 1)?;
                let r = self.constant_value_depth(node.child_by_field_name("right")?, depth + 1)?;
                Some(l + &r)
            }
            "identifier" => {
                let name = text(node, src);
                self.read(|| FactKey::Const(name.to_string()));
                let (start, end) = self.facts.const_initializer(name)?;
                let init = self
                    .doc
                    .tree()
                    .root_node()
                    .descendant_for_byte_range(start, end)?;
                // Guard against `const a = a` style self-reference.
                if init.byte_range() == node.byte_range() {
                    return None;
                }
                self.constant_value_depth(init, depth + 1)
            }
            _ => None,
        }
    }

    /// Whether `node`'s value is known statically: a constant string or number, string
    /// building (`fmt.Sprintf`, templates, `+`) whose every piece is constant, or a
    /// JavaScript array literal of constants (an argument vector such as
    /// `['log', '-n', '5']`).
    pub fn is_constant(&self, node: Node<'a>) -> bool {
        if node.kind() == "array" && self.doc.language() != Language::Go {
            let mut c = node.walk();
            return node
                .named_children(&mut c)
                .filter(|n| n.kind() != "comment")
                .all(|n| self.constant_value(n).is_some());
        }
        self.constant_value(node).is_some()
            || self
                .segments(node)
                .is_some_and(|segs| segs.iter().all(|s| matches!(s, Segment::Literal(_))))
    }

    /// Splits a string-building expression (`+` chains, template literals, Go
    /// `fmt.Sprintf`) into literal and spliced pieces. Returns None when the node is
    /// not string building at all.
    pub fn segments(&self, node: Node<'a>) -> Option<Vec<Segment<'a>>> {
        let mut out = Vec::new();
        if self.collect_segments(node, &mut out, 0) {
            // Merge adjacent literals.
            let mut merged: Vec<Segment<'a>> = Vec::new();
            for s in out {
                match (merged.last_mut(), s) {
                    (Some(Segment::Literal(a)), Segment::Literal(b)) => a.push_str(&b),
                    (_, s) => merged.push(s),
                }
            }
            Some(merged)
        } else {
            None
        }
    }

    fn collect_segments(&self, node: Node<'a>, out: &mut Vec<Segment<'a>>, depth: usize) -> bool {
        if depth > MAX_EVAL_DEPTH {
            return false;
        }
        let src = self.src();
        if let Some(v) = self.constant_value(node) {
            out.push(Segment::Literal(v));
            return true;
        }
        match node.kind() {
            "parenthesized_expression" => match node.named_child(0) {
                Some(n) => self.collect_segments(n, out, depth + 1),
                None => false,
            },
            "binary_expression" => {
                let Some(op) = node.child_by_field_name("operator") else {
                    return false;
                };
                if text(op, src) != "+" {
                    return false;
                }
                let (Some(l), Some(r)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) else {
                    return false;
                };
                // A `+` is string building only if some side is (or contains) a string.
                let mut left = Vec::new();
                let mut right = Vec::new();
                let lok = self.collect_or_splice(l, &mut left, depth + 1);
                let rok = self.collect_or_splice(r, &mut right, depth + 1);
                let stringy = left
                    .iter()
                    .chain(right.iter())
                    .any(|s| matches!(s, Segment::Literal(_)));
                if !(lok && rok && stringy) {
                    return false;
                }
                out.extend(left);
                out.extend(right);
                true
            }
            "template_string" => {
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    match child.kind() {
                        "string_fragment" => {
                            out.push(Segment::Literal(text(child, src).to_string()))
                        }
                        "escape_sequence" => {
                            out.push(Segment::Literal(decode_escape(text(child, src))))
                        }
                        "template_substitution" => match child.named_child(0) {
                            Some(e) => match self.constant_value(e) {
                                Some(v) => out.push(Segment::Literal(v)),
                                None => out.push(Segment::Expr(e)),
                            },
                            None => return false,
                        },
                        _ => {}
                    }
                }
                true
            }
            "call_expression" if self.doc.language() == Language::Go => {
                self.sprintf_segments(node, out)
            }
            _ => false,
        }
    }

    /// Collects `node`'s pieces, or failing that splices it in whole.
    fn collect_or_splice(&self, node: Node<'a>, out: &mut Vec<Segment<'a>>, depth: usize) -> bool {
        let before = out.len();
        if self.collect_segments(node, out, depth) {
            return true;
        }
        out.truncate(before);
        out.push(Segment::Expr(node));
        true
    }

    /// `fmt.Sprintf("... %s ...", x)` -> literal and spliced pieces. Only the plain
    /// verbs `%s %d %v` are understood; anything else is not decomposed.
    fn sprintf_segments(&self, call: Node<'a>, out: &mut Vec<Segment<'a>>) -> bool {
        let src = self.src();
        let Some(f) = call.child_by_field_name("function") else {
            return false;
        };
        if self.qualified_name(f).as_deref() != Some("fmt.Sprintf") {
            return false;
        }
        let Some(args) = call.child_by_field_name("arguments") else {
            return false;
        };
        let mut c = args.walk();
        let argv: Vec<Node> = args
            .named_children(&mut c)
            .filter(|n| n.kind() != "comment")
            .collect();
        let Some((&fmt_node, rest)) = argv.split_first() else {
            return false;
        };
        let Some(format) = self.constant_value(fmt_node) else {
            return false;
        };
        let mut rest = rest.iter();
        let mut lit = String::new();
        let mut chars = format.chars().peekable();
        while let Some(ch) = chars.next() {
            if ch != '%' {
                lit.push(ch);
                continue;
            }
            match chars.next() {
                Some('%') => lit.push('%'),
                Some('s' | 'd' | 'v') => {
                    let Some(&arg) = rest.next() else {
                        return false;
                    };
                    out.push(Segment::Literal(std::mem::take(&mut lit)));
                    match self.constant_value(arg) {
                        Some(v) => out.push(Segment::Literal(v)),
                        None => out.push(Segment::Expr(arg)),
                    }
                }
                _ => return false,
            }
        }
        if rest.next().is_some() {
            return false;
        }
        out.push(Segment::Literal(lit));
        let _ = src;
        true
    }

    /// The literal pieces of a string-building expression joined by a space, for
    /// keyword checks such as "looks like SQL".
    pub fn literal_parts(&self, node: Node<'a>) -> Option<String> {
        let segs = self.segments(node)?;
        Some(
            segs.iter()
                .filter_map(|s| match s {
                    Segment::Literal(l) => Some(l.as_str()),
                    Segment::Expr(_) => None,
                })
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    /// What a name or member access refers to: `cp.exec` with `cp = require('child_process')`
    /// -> `child_process.exec`; Go `md5.Sum` -> `crypto/md5.Sum`. Unbound names resolve to
    /// themselves (`eval`, `Math.random`).
    pub fn qualified_name(&self, node: Node<'a>) -> Option<String> {
        self.qualified_name_depth(node, 0)
    }

    fn qualified_name_depth(&self, node: Node<'a>, depth: usize) -> Option<String> {
        if depth > MAX_EVAL_DEPTH {
            return None;
        }
        let src = self.src();
        let node = skip_wrappers(node);
        match node.kind() {
            "identifier"
            | "package_identifier"
            | "type_identifier"
            | "property_identifier"
            | "field_identifier" => {
                let name = text(node, src);
                // A Go local (parameter, `:=`, `var`...) named like an import hides it.
                let bound = self.binding(name);
                if node.kind() == "identifier"
                    && self.doc.language() == Language::Go
                    && bound.is_some()
                {
                    // The declarations looked at lie in the enclosing top-level one.
                    let above = ancestors(self.doc.tree().root_node(), node);
                    if self.track {
                        match top_level_range(node, &above) {
                            Some(range) => self.depends_on(range),
                            None => self.depends_on_file(),
                        }
                    }
                    if go_declared_locally(node, &above, name, src) {
                        return Some(name.to_string());
                    }
                }
                Some(bound.cloned().unwrap_or_else(|| name.to_string()))
            }
            "member_expression" => {
                if let Some(t) = js_require_target(node, src) {
                    return Some(t);
                }
                let obj = node.child_by_field_name("object")?;
                let prop = node.child_by_field_name("property")?;
                Some(format!(
                    "{}.{}",
                    self.qualified_name_depth(obj, depth + 1)?,
                    text(prop, src)
                ))
            }
            "subscript_expression" => {
                // obj['exec'] with a constant key
                let obj = node.child_by_field_name("object")?;
                let idx = node.child_by_field_name("index")?;
                let key = self.constant_value(idx)?;
                Some(format!(
                    "{}.{}",
                    self.qualified_name_depth(obj, depth + 1)?,
                    key
                ))
            }
            "selector_expression" => {
                let operand = node.child_by_field_name("operand")?;
                let field = node.child_by_field_name("field")?;
                Some(format!(
                    "{}.{}",
                    self.qualified_name_depth(operand, depth + 1)?,
                    text(field, src)
                ))
            }
            "qualified_type" => {
                let pkg = node.child_by_field_name("package")?;
                let name = node.child_by_field_name("name")?;
                Some(format!(
                    "{}.{}",
                    self.qualified_name_depth(pkg, depth + 1)?,
                    text(name, src)
                ))
            }
            "call_expression" => js_require_target(node, src),
            _ => None,
        }
    }
}

/// The range of the ancestor of `node` (or `node`) that is a child of the root; None
/// for code nested deeper than is worth walking up from. `above`: `node`'s ancestors
/// ([`ancestors`]).
fn top_level_range(node: Node, above: &[Node]) -> Option<TextRange> {
    if above.len() > 1024 {
        return None;
    }
    // Its ancestors end with a child of the root, then the root.
    let top = match above.len() {
        0 | 1 => node,
        n => above[n - 2],
    };
    Some(top.byte_range().into())
}

/// Whether the Go identifier `node` (spelled `name`) refers to a declaration inside
/// its function: a receiver, parameter or named result, an earlier `:=`, `var` or
/// `const` in an enclosing block, or a name declared by an enclosing `for`, `if` or
/// `switch` header. Such a local hides a file-level import of the same name. `above`:
/// `node`'s ancestors ([`ancestors`]).
pub fn go_declared_locally(node: Node, above: &[Node], name: &str, src: &str) -> bool {
    let mut child = node;
    // Bounded: pathological nesting is not worth walking.
    for &parent in above.iter().take(512) {
        match parent.kind() {
            "function_declaration" | "method_declaration" | "func_literal" => {
                for field in ["receiver", "parameters", "result"] {
                    if let Some(list) = parent.child_by_field_name(field)
                        && go_params_declare(list, name, src)
                    {
                        return true;
                    }
                }
            }
            "statement_list" => {
                let mut c = parent.walk();
                for stmt in parent.named_children(&mut c) {
                    if stmt.start_byte() >= child.start_byte() {
                        break;
                    }
                    if go_statement_declares(stmt, name, src) {
                        return true;
                    }
                }
            }
            "for_statement"
            | "if_statement"
            | "expression_switch_statement"
            | "type_switch_statement" => {
                let mut c = parent.walk();
                for header in parent.named_children(&mut c) {
                    if header.id() == child.id() || header.kind() == "block" {
                        continue;
                    }
                    let declares = match header.kind() {
                        "range_clause" => header
                            .child_by_field_name("left")
                            .is_some_and(|l| go_list_names(l, name, src)),
                        "for_clause" => header
                            .child_by_field_name("initializer")
                            .is_some_and(|i| go_statement_declares(i, name, src)),
                        "expression_list" => go_list_names(header, name, src), // type switch alias
                        _ => go_statement_declares(header, name, src),
                    };
                    if declares {
                        return true;
                    }
                }
            }
            _ => {}
        }
        child = parent;
    }
    false
}

fn go_params_declare(list: Node, name: &str, src: &str) -> bool {
    let mut c = list.walk();
    list.named_children(&mut c).any(|param| {
        let mut c2 = param.walk();
        param
            .children_by_field_name("name", &mut c2)
            .any(|n| text(n, src) == name)
    })
}

/// An expression list of plain identifiers (left of `:=`, a range clause) names `name`.
fn go_list_names(list: Node, name: &str, src: &str) -> bool {
    let mut c = list.walk();
    list.named_children(&mut c)
        .any(|n| n.kind() == "identifier" && text(n, src) == name)
}

fn go_statement_declares(stmt: Node, name: &str, src: &str) -> bool {
    match stmt.kind() {
        "short_var_declaration" => stmt
            .child_by_field_name("left")
            .is_some_and(|l| go_list_names(l, name, src)),
        "var_declaration" | "const_declaration" | "var_spec_list" => {
            let mut c = stmt.walk();
            stmt.named_children(&mut c)
                .any(|spec| go_statement_declares(spec, name, src))
        }
        "var_spec" | "const_spec" => {
            let mut c = stmt.walk();
            stmt.children_by_field_name("name", &mut c)
                .any(|n| text(n, src) == name)
        }
        _ => false,
    }
}

/// Shannon entropy in bits per character.
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    let mut total = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'t>(doc: &'t Document, kind: &str) -> Node<'t> {
        let mut cursor = doc.tree().walk();
        loop {
            if cursor.node().kind() == kind {
                return cursor.node();
            }
            if cursor.goto_first_child() || cursor.goto_next_sibling() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                assert!(cursor.goto_parent(), "no {kind}");
            }
        }
    }

    #[test]
    fn resolves_js_requires_and_imports() {
        let doc = Document::new(
            Language::JavaScript,
            "const cp = require('node:child_process');\nconst { exec: run } = require('child_process');\nimport * as c from 'crypto';\nimport { createHash as h } from 'crypto';\n",
        );
        let facts = FileFacts::compute(&doc);
        assert_eq!(facts.bindings()["cp"], "child_process");
        assert_eq!(facts.bindings()["run"], "child_process.exec");
        assert_eq!(facts.bindings()["c"], "crypto");
        assert_eq!(facts.bindings()["h"], "crypto.createHash");
        assert!(facts.imports_module("child_process"));
    }

    #[test]
    fn resolves_promisified_imports() {
        let doc = Document::new(
            Language::JavaScript,
            "const util = require('util');\nconst { promisify } = require('node:util');\nconst cp = require('child_process');\nconst { exec } = require('child_process');\nconst a = promisify(exec);\nconst b = util.promisify(cp.execFile);\nconst d = promisify(require('child_process').exec);\nfunction local() {}\nconst c = promisify(local);\n",
        );
        let facts = FileFacts::compute(&doc);
        assert_eq!(facts.bindings()["a"], "util.promisify(child_process.exec)");
        assert_eq!(
            facts.bindings()["b"],
            "util.promisify(child_process.execFile)"
        );
        assert_eq!(facts.bindings()["d"], "util.promisify(child_process.exec)");
        assert!(!facts.bindings().contains_key("c"));
    }

    #[test]
    fn evaluates_constants_and_segments() {
        let doc = Document::new(
            Language::JavaScript,
            "const base = 'ls ';\nconst x = base + '-l';\nrun(`${x} ${dir}`);\n",
        );
        let facts = FileFacts::compute(&doc);
        let ev = Evaluator::new(&doc, &facts);
        let tpl = find(&doc, "template_string");
        let segs = ev.segments(tpl).unwrap();
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0], Segment::Literal("ls -l ".into()));
        assert!(matches!(segs[1], Segment::Expr(_)));
    }

    #[test]
    fn arrays_of_constants_are_constant() {
        let doc = Document::new(
            Language::JavaScript,
            "const flag = '-n';\nf(['log', flag, 5]);\ng(['log', ref]);\nh([...args]);\n",
        );
        let facts = FileFacts::compute(&doc);
        let ev = Evaluator::new(&doc, &facts);
        let mut arrays = Vec::new();
        let mut cursor = doc.tree().walk();
        'walk: loop {
            if cursor.node().kind() == "array" {
                arrays.push(cursor.node());
            }
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        let constant: Vec<bool> = arrays.iter().map(|a| ev.is_constant(*a)).collect();
        assert_eq!(constant, vec![true, false, false]);
    }

    #[test]
    fn resolves_go_imports_and_sprintf() {
        let doc = Document::new(
            Language::Go,
            "package p\nimport (\n\tm \"crypto/md5\"\n\t\"fmt\"\n)\nfunc f(id string) { q(fmt.Sprintf(\"SELECT * FROM t WHERE id = '%s'\", id)); m.Sum(nil) }\n",
        );
        let facts = FileFacts::compute(&doc);
        assert_eq!(facts.bindings()["m"], "crypto/md5");
        assert_eq!(facts.bindings()["fmt"], "fmt");
        let ev = Evaluator::new(&doc, &facts);
        let call = find(&doc, "call_expression");
        // The first call found is q(...); its argument is the Sprintf call.
        let arg = call
            .child_by_field_name("arguments")
            .unwrap()
            .named_child(0)
            .unwrap();
        let segs = ev.segments(arg).unwrap();
        assert_eq!(
            segs[0],
            Segment::Literal("SELECT * FROM t WHERE id = '".into())
        );
        assert_eq!(
            ev.literal_parts(arg).unwrap(),
            "SELECT * FROM t WHERE id = ' '"
        );
    }

    #[test]
    fn string_building_from_constants_is_constant() {
        let doc = Document::new(
            Language::Go,
            "package p\nconst t = \"users\"\nfunc f(x string) { a(fmt.Sprintf(\"FROM %s\", t)); b(fmt.Sprintf(\"FROM %s\", x)) }\n",
        );
        let facts = FileFacts::compute(&doc);
        let ev = Evaluator::new(&doc, &facts);
        let mut calls = Vec::new();
        let mut cursor = doc.tree().walk();
        'walk: loop {
            let n = cursor.node();
            if n.kind() == "call_expression"
                && n.child_by_field_name("function")
                    .is_some_and(|f| &doc.text()[f.byte_range()] == "fmt.Sprintf")
            {
                calls.push(n);
            }
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        assert_eq!(calls.len(), 2);
        assert!(ev.is_constant(calls[0]));
        assert!(!ev.is_constant(calls[1]));
    }

    #[test]
    fn go_locals_hide_imports() {
        let src = "package p\nimport (\n\t\"crypto/md5\"\n\t\"math/rand\"\n)\nfunc a(rand *rand.Rand) { rand.Intn(1) }\nfunc b() { md5.Sum(nil); md5 := h{}; md5.Sum(nil) }\nfunc c(xs []h) { for _, md5 := range xs { md5.Sum(nil) } }\nfunc d() { if md5 := (h{}); true { md5.Sum(nil) } }\nfunc e() { f := func(rand int) { rand.Intn(2) }; rand.Intn(3) }\n";
        let doc = Document::new(Language::Go, src);
        let facts = FileFacts::compute(&doc);
        let ev = Evaluator::new(&doc, &facts);
        let mut resolved = Vec::new();
        let mut cursor = doc.tree().walk();
        'walk: loop {
            let n = cursor.node();
            if n.kind() == "call_expression" {
                let f = n.child_by_field_name("function").unwrap();
                resolved.push(ev.qualified_name(f).unwrap());
            }
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        assert_eq!(
            resolved,
            [
                "rand.Intn",
                "crypto/md5.Sum",
                "md5.Sum",
                "md5.Sum",
                "md5.Sum",
                "rand.Intn",
                "math/rand.Intn",
            ]
        );
    }

    #[test]
    fn entropy_separates_keys_from_words() {
        assert!(shannon_entropy("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") > 4.0);
        assert!(shannon_entropy("password") < 3.0);
    }
}

//! Light, file-local semantics that make rules precise without dataflow: which module
//! a name was imported from, which local constants hold which strings, and the value
//! or literal pieces of a string-building expression.
//!
//! Everything here is bounded: traversals are iterative and evaluation depth is capped,
//! so deeply nested or cyclic input cannot overflow the stack.

use std::collections::HashMap;

use tree_sitter::Node;

use super::document::Document;
use super::language::Language;

/// How deep constant evaluation follows nested expressions and constant names.
const MAX_EVAL_DEPTH: usize = 64;

/// Facts about one file, computed once per analysis.
#[derive(Debug, Default)]
pub struct FileFacts {
    /// Local name -> what it refers to: `child_process`, `child_process.exec`,
    /// `crypto/md5` (Go import path).
    pub bindings: HashMap<String, String>,
    /// Every imported or required module (normalised: no `node:` prefix).
    pub modules: Vec<String>,
    /// Local constants whose initializer is an expression: name -> initializer range.
    consts: HashMap<String, (usize, usize)>,
}

fn text<'a>(node: Node, src: &'a str) -> &'a str {
    &src[node.byte_range()]
}

fn normalise_module(m: &str) -> String {
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

impl FileFacts {
    pub fn compute(doc: &Document) -> FileFacts {
        let mut facts = FileFacts::default();
        let src = doc.text();
        let mut cursor = doc.tree().walk();
        // Iterative pre-order walk.
        'walk: loop {
            let node = cursor.node();
            match doc.language() {
                Language::Go => facts.visit_go(node, src),
                _ => facts.visit_js(node, src),
            }
            if cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        facts
    }

    pub fn imports_module(&self, module: &str) -> bool {
        self.modules.iter().any(|m| {
            m == module || (module.ends_with('*') && m.starts_with(&module[..module.len() - 1]))
        })
    }

    fn visit_go(&mut self, node: Node, src: &str) {
        match node.kind() {
            "import_spec" => {
                let Some(path_node) = node.child_by_field_name("path") else {
                    return;
                };
                let path = string_literal_value(path_node, src, Language::Go).unwrap_or_default();
                let name = match node.child_by_field_name("name") {
                    Some(n) if n.kind() == "package_identifier" => text(n, src).to_string(),
                    Some(_) => String::new(), // `_` or `.`: no qualified uses to resolve
                    None => go_default_package_name(&path).to_string(),
                };
                if !name.is_empty() {
                    self.bindings.insert(name, path.clone());
                }
                self.modules.push(path);
            }
            "const_spec" => {
                let mut names = Vec::new();
                let mut c = node.walk();
                for child in node.children_by_field_name("name", &mut c) {
                    names.push(text(child, src).to_string());
                }
                if let Some(values) = node.child_by_field_name("value") {
                    let mut c = values.walk();
                    let vals: Vec<Node> = values.named_children(&mut c).collect();
                    for (name, v) in names.into_iter().zip(vals) {
                        self.consts.insert(name, (v.start_byte(), v.end_byte()));
                    }
                }
            }
            _ => {}
        }
    }

    fn visit_js(&mut self, node: Node, src: &str) {
        match node.kind() {
            "import_statement" => {
                let Some(source) = node.child_by_field_name("source") else {
                    return;
                };
                let module = normalise_module(
                    &string_literal_value(source, src, Language::JavaScript).unwrap_or_default(),
                );
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    if child.kind() != "import_clause" {
                        continue;
                    }
                    let mut c2 = child.walk();
                    for part in child.named_children(&mut c2) {
                        match part.kind() {
                            "identifier" => {
                                self.bindings
                                    .insert(text(part, src).to_string(), module.clone());
                            }
                            "namespace_import" => {
                                if let Some(id) = part.named_child(0) {
                                    self.bindings
                                        .insert(text(id, src).to_string(), module.clone());
                                }
                            }
                            "named_imports" => {
                                let mut c3 = part.walk();
                                for spec in part.named_children(&mut c3) {
                                    if spec.kind() != "import_specifier" {
                                        continue;
                                    }
                                    let Some(name) = spec.child_by_field_name("name") else {
                                        continue;
                                    };
                                    let local = spec.child_by_field_name("alias").unwrap_or(name);
                                    let imported =
                                        string_literal_value(name, src, Language::JavaScript)
                                            .unwrap_or_else(|| text(name, src).to_string());
                                    self.bindings.insert(
                                        text(local, src).to_string(),
                                        format!("{module}.{imported}"),
                                    );
                                }
                            }
                            _ => {}
                        }
                    }
                }
                self.modules.push(module);
            }
            "variable_declarator" => {
                let (Some(name), Some(value)) = (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("value"),
                ) else {
                    return;
                };
                // `require('m')`, `require('m').x`, `await import('m')`
                if let Some(target) = js_require_target(value, src) {
                    match name.kind() {
                        "identifier" => {
                            self.bindings
                                .insert(text(name, src).to_string(), target.clone());
                        }
                        "object_pattern" => {
                            let mut c = name.walk();
                            for p in name.named_children(&mut c) {
                                match p.kind() {
                                    "shorthand_property_identifier_pattern" => {
                                        let n = text(p, src);
                                        self.bindings
                                            .insert(n.to_string(), format!("{target}.{n}"));
                                    }
                                    "pair_pattern" => {
                                        if let (Some(k), Some(v)) = (
                                            p.child_by_field_name("key"),
                                            p.child_by_field_name("value"),
                                        ) && v.kind() == "identifier"
                                        {
                                            self.bindings.insert(
                                                text(v, src).to_string(),
                                                format!("{target}.{}", text(k, src)),
                                            );
                                        }
                                    }
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                    if let Some(module) = target.split('.').next()
                        && !self.modules.iter().any(|m| m == module)
                    {
                        self.modules.push(module.to_string());
                    }
                    return;
                }
                // `const run = promisify(exec)`: `run` is the promise-returning
                // wrapper, written `util.promisify(child_process.exec)`, so rules can
                // name it without mistaking it for the callback API.
                if name.kind() == "identifier"
                    && let Some(wrapped) = self.js_promisified(value, src)
                {
                    self.bindings.insert(text(name, src).to_string(), wrapped);
                    return;
                }
                let is_const = node
                    .parent()
                    .filter(|p| p.kind() == "lexical_declaration")
                    .and_then(|p| p.child_by_field_name("kind"))
                    .is_some_and(|k| text(k, src) == "const");
                if is_const && name.kind() == "identifier" {
                    self.consts.insert(
                        text(name, src).to_string(),
                        (value.start_byte(), value.end_byte()),
                    );
                }
            }
            "call_expression" => {
                // A bare `require('m')` statement still counts as importing the module.
                if let Some(m) = js_require_target(node, src)
                    && !m.contains('.')
                    && !self.modules.contains(&m)
                {
                    self.modules.push(m);
                }
            }
            _ => {}
        }
    }
}

impl FileFacts {
    /// `promisify(f)` / `util.promisify(f)` with `promisify` from `util` and `f` an
    /// imported name or member: `util.promisify(<what f refers to>)`.
    fn js_promisified(&self, value: Node, src: &str) -> Option<String> {
        let value = skip_wrappers(value);
        if value.kind() != "call_expression" {
            return None;
        }
        let callee = self.js_bound_name(value.child_by_field_name("function")?, src)?;
        if callee != "util.promisify" {
            return None;
        }
        let args = value.child_by_field_name("arguments")?;
        if args.named_child_count() != 1 {
            return None;
        }
        let arg = args.named_child(0)?;
        let wrapped = self.js_bound_name(arg, src)?;
        // Only names that come from an import: a local function is nothing to resolve.
        let root = wrapped.split('.').next().unwrap_or_default();
        if js_require_target(arg, src).is_none() && !self.modules.iter().any(|m| m == root) {
            return None;
        }
        Some(format!("util.promisify({wrapped})"))
    }

    /// What an identifier or member chain refers to, by the bindings seen so far.
    fn js_bound_name(&self, node: Node, src: &str) -> Option<String> {
        match node.kind() {
            "identifier" => {
                let n = text(node, src);
                Some(
                    self.bindings
                        .get(n)
                        .cloned()
                        .unwrap_or_else(|| n.to_string()),
                )
            }
            "member_expression" => {
                if let Some(t) = js_require_target(node, src) {
                    return Some(t);
                }
                let obj = self.js_bound_name(node.child_by_field_name("object")?, src)?;
                Some(format!(
                    "{obj}.{}",
                    text(node.child_by_field_name("property")?, src)
                ))
            }
            _ => None,
        }
    }
}

/// `require('m')` -> `m`; `require('m').x` -> `m.x`; `import('m')` -> `m`.
fn js_require_target(node: Node, src: &str) -> Option<String> {
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

fn skip_wrappers(mut node: Node) -> Node {
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

pub struct Evaluator<'a> {
    pub doc: &'a Document,
    pub facts: &'a FileFacts,
}

impl<'a> Evaluator<'a> {
    fn src(&self) -> &'a str {
        self.doc.text()
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
                let &(start, end) = self.facts.consts.get(text(node, src))?;
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
                if node.kind() == "identifier"
                    && self.doc.language() == Language::Go
                    && self.facts.bindings.contains_key(name)
                    && go_declared_locally(node, name, src)
                {
                    return Some(name.to_string());
                }
                Some(
                    self.facts
                        .bindings
                        .get(name)
                        .cloned()
                        .unwrap_or_else(|| name.to_string()),
                )
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

/// Whether the Go identifier `node` (spelled `name`) refers to a declaration inside
/// its function: a receiver, parameter or named result, an earlier `:=`, `var` or
/// `const` in an enclosing block, or a name declared by an enclosing `for`, `if` or
/// `switch` header. Such a local hides a file-level import of the same name.
pub fn go_declared_locally(node: Node, name: &str, src: &str) -> bool {
    let mut child = node;
    let mut steps = 0;
    while let Some(parent) = child.parent() {
        steps += 1;
        if steps > 512 {
            break; // bounded: pathological nesting is not worth walking
        }
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
        assert_eq!(facts.bindings["cp"], "child_process");
        assert_eq!(facts.bindings["run"], "child_process.exec");
        assert_eq!(facts.bindings["c"], "crypto");
        assert_eq!(facts.bindings["h"], "crypto.createHash");
        assert!(facts.imports_module("child_process"));
    }

    #[test]
    fn resolves_promisified_imports() {
        let doc = Document::new(
            Language::JavaScript,
            "const util = require('util');\nconst { promisify } = require('node:util');\nconst cp = require('child_process');\nconst { exec } = require('child_process');\nconst a = promisify(exec);\nconst b = util.promisify(cp.execFile);\nconst d = promisify(require('child_process').exec);\nfunction local() {}\nconst c = promisify(local);\n",
        );
        let facts = FileFacts::compute(&doc);
        assert_eq!(facts.bindings["a"], "util.promisify(child_process.exec)");
        assert_eq!(
            facts.bindings["b"],
            "util.promisify(child_process.execFile)"
        );
        assert_eq!(facts.bindings["d"], "util.promisify(child_process.exec)");
        assert!(!facts.bindings.contains_key("c"));
    }

    #[test]
    fn evaluates_constants_and_segments() {
        let doc = Document::new(
            Language::JavaScript,
            "const base = 'ls ';\nconst x = base + '-l';\nrun(`${x} ${dir}`);\n",
        );
        let facts = FileFacts::compute(&doc);
        let ev = Evaluator {
            doc: &doc,
            facts: &facts,
        };
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
        let ev = Evaluator {
            doc: &doc,
            facts: &facts,
        };
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
        assert_eq!(facts.bindings["m"], "crypto/md5");
        assert_eq!(facts.bindings["fmt"], "fmt");
        let ev = Evaluator {
            doc: &doc,
            facts: &facts,
        };
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
        let ev = Evaluator {
            doc: &doc,
            facts: &facts,
        };
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
        let ev = Evaluator {
            doc: &doc,
            facts: &facts,
        };
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

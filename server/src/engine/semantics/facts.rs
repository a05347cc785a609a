//! File facts: what each name was imported or required as, which modules the file
//! uses, and its local constants. Computed from the syntax tree once per analysis,
//! and while typing only where the tree changed ([`FileFacts::update`]).
//!
//! A fact comes from one syntax node (an import, a declarator, a `require` call); the
//! file's facts are those of its nodes folded in document order, as later
//! declarations win. A node's facts come from its own subtree, and for a declarator
//! also from its parent (the declaration's `const`), so after an edit only the nodes
//! the edit touched, and the declarators of a declaration it touched, are read again.
//! They are found by byte offset at every level, never by walking the siblings of a
//! touched node: a large file has thousands of statements in one list (at top level,
//! or in the function body a bundle wraps its modules in).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use tree_sitter::Node;

use super::{
    ChangedFacts, FactKey, go_default_package_name, js_require_target, normalise_module,
    skip_wrappers, string_literal_value, text,
};
use crate::engine::document::{ChangeLog, Document, TextRange};
use crate::engine::language::Language;
use crate::engine::walk::{Step, children_touching, path_to, preorder_from};

/// Facts about one file, computed once per analysis.
///
/// The folded facts are shared (`Arc`): an edit that re-reads nodes and finds the
/// same facts in the same order (most keystrokes) keeps them as they are, without
/// re-folding the whole file ([`FileFacts::update`]).
#[derive(Debug, Default, Clone)]
pub struct FileFacts {
    folded: Arc<Folded>,
    /// The nodes the facts come from, in document order.
    sources: Vec<Source>,
}

/// The file's facts, folded from its sources in document order.
#[derive(Debug, Default)]
struct Folded {
    /// Local name -> what it refers to: `child_process`, `child_process.exec`,
    /// `crypto/md5` (Go import path).
    bindings: HashMap<String, String>,
    /// Every imported or required module (normalised: no `node:` prefix).
    modules: Vec<String>,
    /// `modules` as a set: a `require` adds its module only if it is new.
    module_set: HashSet<String>,
    /// The names of the file's `package` clauses (Go), in document order.
    packages: Vec<String>,
    /// Local constants whose initializer is an expression: name -> the index in
    /// `sources` of the node that declares it, and the initializer's range relative
    /// to that node (so that moving nodes does not change this map).
    consts: HashMap<String, (usize, TextRange)>,
    /// A hash of each constant's initializer text, so two versions of a file can be
    /// compared without positions ([`FileFacts::changed_since`]).
    const_hashes: HashMap<String, u64>,
}

/// The facts one node contributes. They hold no absolute positions (a constant's
/// value is relative to `node`), so moving the node moves them: a source an edit
/// did not touch is kept as it is, its facts shared.
#[derive(Debug, Clone)]
struct Source {
    node: TextRange,
    /// The parent's range, for a node whose facts depend on its parent
    /// ([`reads_parent`]): read again if an edit touched either.
    parent: Option<TextRange>,
    facts: Arc<[Fact]>,
}

#[derive(Debug, Clone, PartialEq)]
enum Fact {
    Binding(String, String),
    /// An import: the module, even if seen before.
    Module(String),
    /// A `require`: the module, unless seen before.
    ModuleIfNew(String),
    /// A Go `package` clause: the package's name.
    Package(String),
    Const {
        name: String,
        /// The initializer, relative to the start of the source node.
        value: TextRange,
        hash: u64,
    },
    /// `const run = promisify(exec)`, resolved against the bindings and modules
    /// before it; a constant if it is not a promisified import after all.
    Promisified {
        name: String,
        callee: Chain,
        arg: Chain,
        arg_is_require: bool,
        otherwise: Option<Box<Fact>>,
    },
}

/// A name or member chain as written (`util.promisify`, `require('m').x`), to be
/// resolved against the bindings: the base, then property names.
#[derive(Debug, Clone, PartialEq)]
struct Chain {
    base: Base,
    props: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Base {
    Name(String),
    /// `require('m')` (or a member of one): already resolved.
    Required(String),
}

impl Chain {
    /// The chain of an identifier or member expression; None for anything else.
    fn of(node: Node, src: &str) -> Option<Chain> {
        let mut props = Vec::new();
        let mut node = node;
        for _ in 0..64 {
            match node.kind() {
                "identifier" => {
                    props.reverse();
                    return Some(Chain {
                        base: Base::Name(text(node, src).to_string()),
                        props,
                    });
                }
                "member_expression" => {
                    if let Some(t) = js_require_target(node, src) {
                        props.reverse();
                        return Some(Chain {
                            base: Base::Required(t),
                            props,
                        });
                    }
                    props.push(text(node.child_by_field_name("property")?, src).to_string());
                    node = node.child_by_field_name("object")?;
                }
                _ => return None,
            }
        }
        None
    }

    fn resolve(&self, bindings: &HashMap<String, String>) -> String {
        let mut out = match &self.base {
            Base::Name(n) => bindings.get(n).cloned().unwrap_or_else(|| n.clone()),
            Base::Required(t) => t.clone(),
        };
        for p in &self.props {
            out.push('.');
            out.push_str(p);
        }
        out
    }
}

fn text_hash(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// The names whose entry differs between `new` and `old` (added, removed, changed).
fn changed_names<V: PartialEq>(
    new: &HashMap<String, V>,
    old: &HashMap<String, V>,
    key: fn(String) -> FactKey,
    out: &mut HashSet<FactKey>,
) {
    let differs = |name: &String| new.get(name) != old.get(name);
    for name in new.keys().chain(old.keys()).filter(|n| differs(n)) {
        out.insert(key(name.clone()));
    }
}

impl FileFacts {
    pub fn compute(doc: &Document) -> FileFacts {
        let mut sources = Vec::new();
        collect(doc, &mut sources);
        FileFacts::fold(sources)
    }

    /// The facts of `doc` after the edits in `log`, from `old` (the facts before
    /// them): nodes the edits cannot have changed keep their facts.
    pub fn update(old: &FileFacts, doc: &Document, log: &ChangeLog) -> FileFacts {
        if log.lost {
            return FileFacts::compute(doc);
        }
        let changed = &log.changed;
        let touched = |r: &TextRange| changed.iter().any(|c| c.touches(r));
        // Nodes an edit did not touch whose facts depend on a parent it did touch.
        let mut orphans: Vec<TextRange> = Vec::new();
        // Each kept source with its index in `old.sources`.
        let mut sources: Vec<(Source, Option<usize>)> = old
            .sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let node = log.map(s.node).filter(|n| !touched(n))?;
                let parent = match s.parent {
                    Some(p) => match log.map(p).filter(|p| !touched(p)) {
                        Some(p) => Some(p),
                        None => {
                            orphans.push(node);
                            return None;
                        }
                    },
                    None => None,
                };
                let source = Source {
                    node,
                    parent,
                    facts: s.facts.clone(),
                };
                Some((source, Some(i)))
            })
            .collect();
        let mut fresh = Vec::new();
        collect_changed(doc, changed, &mut fresh);
        // The walk above reads the declarators of a declaration it touched; an orphan
        // can have another parent now (an ERROR node, in broken code): read again
        // wherever it is.
        let walked: HashSet<TextRange> = fresh.iter().map(|s| s.node).collect();
        for node in orphans.into_iter().filter(|n| !walked.contains(n)) {
            collect_at(doc, node, &mut fresh);
        }
        // A node read again replaces what it contributed before.
        let read_again: HashSet<TextRange> = fresh.iter().map(|s| s.node).collect();
        sources.retain(|(s, _)| !read_again.contains(&s.node));
        sources.extend(fresh.into_iter().map(|s| (s, None)));
        sources.sort_by_key(|(s, _)| (s.node.start, std::cmp::Reverse(s.node.end)));
        let (sources, origins): (Vec<Source>, Vec<Option<usize>>) = sources.into_iter().unzip();
        if old.same_sequence(&sources, &origins) {
            return FileFacts {
                folded: old.folded.clone(),
                sources,
            };
        }
        FileFacts::fold(sources)
    }

    /// Whether `sources` (each with its index in `self.sources`, None if read
    /// again) contribute the same facts in the same order as `self.sources`: then
    /// they fold to the same facts (constants are kept by source index, relative to
    /// their node).
    fn same_sequence(&self, sources: &[Source], origins: &[Option<usize>]) -> bool {
        sources.len() == self.sources.len()
            && origins.iter().enumerate().all(|(i, origin)| match origin {
                Some(o) => *o == i,
                None => self.sources[i].facts == sources[i].facts,
            })
    }

    /// The file's facts from its nodes' facts, in document order.
    fn fold(sources: Vec<Source>) -> FileFacts {
        let mut folded = Folded::default();
        for (index, source) in sources.iter().enumerate() {
            for fact in source.facts.iter() {
                folded.apply(fact, index);
            }
        }
        FileFacts {
            folded: Arc::new(folded),
            sources,
        }
    }

    /// Local name -> what it was imported or required as.
    pub fn bindings(&self) -> &HashMap<String, String> {
        &self.folded.bindings
    }

    /// The names of the file's `package` clauses (Go), in document order.
    pub fn packages(&self) -> &[String] {
        &self.folded.packages
    }

    /// The initializer of the local constant `name`, as a byte range.
    pub fn const_initializer(&self, name: &str) -> Option<(usize, usize)> {
        let &(index, value) = self.folded.consts.get(name)?;
        let base = self.sources.get(index)?.node.start;
        Some((base + value.start, base + value.end))
    }

    /// What differs between `old` and these facts, by name, never by position.
    pub fn changed_since(&self, old: &FileFacts) -> ChangedFacts {
        let mut keys = HashSet::new();
        let (new, old) = (&self.folded, &old.folded);
        if Arc::ptr_eq(new, old) {
            return ChangedFacts { keys };
        }
        changed_names(&new.bindings, &old.bindings, FactKey::Binding, &mut keys);
        changed_names(
            &new.const_hashes,
            &old.const_hashes,
            FactKey::Const,
            &mut keys,
        );
        if new.module_set != old.module_set {
            keys.insert(FactKey::Modules);
        }
        if new.packages != old.packages {
            keys.insert(FactKey::Package);
        }
        ChangedFacts { keys }
    }

    /// The same facts, positions included (for tests of [`FileFacts::update`]).
    pub fn same_as(&self, other: &FileFacts) -> bool {
        let initializers = |f: &FileFacts| -> HashMap<String, Option<(usize, usize)>> {
            f.folded
                .consts
                .keys()
                .map(|name| (name.clone(), f.const_initializer(name)))
                .collect()
        };
        let (a, b) = (&self.folded, &other.folded);
        a.bindings == b.bindings
            && a.modules == b.modules
            && a.packages == b.packages
            && initializers(self) == initializers(other)
            && a.const_hashes == b.const_hashes
    }

    pub fn imports_module(&self, module: &str) -> bool {
        self.folded.modules.iter().any(|m| {
            m == module || (module.ends_with('*') && m.starts_with(&module[..module.len() - 1]))
        })
    }
}

impl Folded {
    /// Adds one fact of the source node at `index` in the file's sources.
    fn apply(&mut self, fact: &Fact, index: usize) {
        match fact {
            Fact::Binding(name, target) => {
                self.bindings.insert(name.clone(), target.clone());
            }
            Fact::Module(m) => {
                self.modules.push(m.clone());
                self.module_set.insert(m.clone());
            }
            Fact::Package(p) => self.packages.push(p.clone()),
            Fact::ModuleIfNew(m) => {
                if self.module_set.insert(m.clone()) {
                    self.modules.push(m.clone());
                }
            }
            Fact::Const { name, value, hash } => {
                self.const_hashes.insert(name.clone(), *hash);
                self.consts.insert(name.clone(), (index, *value));
            }
            Fact::Promisified {
                name,
                callee,
                arg,
                arg_is_require,
                otherwise,
            } => {
                let wrapped = arg.resolve(&self.bindings);
                // Only names that come from an import: a local function is nothing
                // to resolve.
                let root = wrapped.split('.').next().unwrap_or_default();
                let imported = *arg_is_require || self.module_set.contains(root);
                if callee.resolve(&self.bindings) == "util.promisify" && imported {
                    self.bindings
                        .insert(name.clone(), format!("util.promisify({wrapped})"));
                } else if let Some(otherwise) = otherwise {
                    self.apply(otherwise, index);
                }
            }
        }
    }
}

/// Appends the facts of every node of `doc`, in document order.
fn collect(doc: &Document, out: &mut Vec<Source>) {
    // The current node's ancestors, by depth.
    let mut ancestors: Vec<Node> = Vec::new();
    preorder_from(doc.tree().root_node(), |node, depth| {
        ancestors.truncate(depth as usize);
        push_source(doc, node, ancestors.last().copied(), out);
        ancestors.push(node);
        Step::Into
    });
}

/// Appends the facts of the nodes an edit can have changed (see [`FileFacts::update`]):
/// every node that touches a range of `changed` (the root always does), and the
/// declarators of a declaration that does. Children are looked up by offset.
fn collect_changed(doc: &Document, changed: &[TextRange], out: &mut Vec<Source>) {
    let root = doc.tree().root_node();
    let mut done: HashSet<usize> = HashSet::new();
    let mut stack: Vec<(Node, Option<Node>)> = vec![(root, None)];
    while let Some((node, parent)) = stack.pop() {
        push_source(doc, node, parent, out);
        if declares_children(doc.language(), node.kind()) {
            // Few children, and each declarator depends on this node.
            for child in node.children(&mut node.walk()) {
                if touches_any(child, changed) {
                    stack.push((child, Some(node)));
                } else if reads_parent(doc.language(), child.kind()) {
                    push_source(doc, child, Some(node), out);
                }
            }
            continue;
        }
        for &c in changed
            .iter()
            .filter(|c| c.touches(&node.byte_range().into()))
        {
            for child in children_touching(node, c) {
                if done.insert(child.id()) {
                    stack.push((child, Some(node)));
                }
            }
        }
    }
}

/// Appends the facts of the node over `range` that [`reads_parent`], if there is one.
fn collect_at(doc: &Document, range: TextRange, out: &mut Vec<Source>) {
    // The deepest node over the range, then its ancestors: each one's parent follows it.
    let chain = path_to(doc.tree().root_node(), range.start, range.end);
    let found = chain.windows(2).find(|pair| {
        TextRange::from(pair[0].byte_range()) == range
            && reads_parent(doc.language(), pair[0].kind())
    });
    if let Some(pair) = found {
        push_source(doc, pair[0], Some(pair[1]), out);
    }
}

fn touches_any(node: Node, ranges: &[TextRange]) -> bool {
    let range: TextRange = node.byte_range().into();
    ranges.iter().any(|c| c.touches(&range))
}

/// Appends the facts of `node`, if it has any.
fn push_source(doc: &Document, node: Node, parent: Option<Node>, out: &mut Vec<Source>) {
    let facts = visit(doc, node, parent);
    if facts.is_empty() {
        return;
    }
    let parent = parent
        .filter(|_| reads_parent(doc.language(), node.kind()))
        .map(|p| p.byte_range().into());
    out.push(Source {
        node: node.byte_range().into(),
        parent,
        facts: facts.into(),
    });
}

/// Whether the facts of a node of `kind` depend on its parent: a JavaScript
/// declarator is a constant only in a `const` declaration.
fn reads_parent(language: Language, kind: &str) -> bool {
    language != Language::Go && kind == "variable_declarator"
}

/// Whether `kind` is the parent of nodes that [`reads_parent`].
fn declares_children(language: Language, kind: &str) -> bool {
    language != Language::Go && matches!(kind, "lexical_declaration" | "variable_declaration")
}

/// The facts `node` contributes; `parent` is its parent (None for the root).
fn visit(doc: &Document, node: Node, parent: Option<Node>) -> Vec<Fact> {
    match doc.language() {
        Language::Go => visit_go(node, doc.text()),
        _ => visit_js(node, parent, doc.text()),
    }
}

/// A constant declared by `node` (the source node) with initializer `value`.
fn constant(node: Node, name: String, value: Node, src: &str) -> Fact {
    let base = node.start_byte();
    Fact::Const {
        name,
        value: TextRange::new(value.start_byte() - base, value.end_byte() - base),
        hash: text_hash(text(value, src)),
    }
}

fn visit_go(node: Node, src: &str) -> Vec<Fact> {
    let mut out = Vec::new();
    match node.kind() {
        "package_clause" => {
            let mut c = node.walk();
            let name = node
                .named_children(&mut c)
                .find(|n| n.kind() == "package_identifier");
            if let Some(name) = name {
                out.push(Fact::Package(text(name, src).to_string()));
            }
        }
        "import_spec" => {
            let Some(path_node) = node.child_by_field_name("path") else {
                return out;
            };
            let path = string_literal_value(path_node, src, Language::Go).unwrap_or_default();
            let name = match node.child_by_field_name("name") {
                Some(n) if n.kind() == "package_identifier" => text(n, src).to_string(),
                Some(_) => String::new(), // `_` or `.`: no qualified uses to resolve
                None => go_default_package_name(&path).to_string(),
            };
            if !name.is_empty() {
                out.push(Fact::Binding(name, path.clone()));
            }
            out.push(Fact::Module(path));
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
                    out.push(constant(node, name, v, src));
                }
            }
        }
        _ => {}
    }
    out
}

fn visit_js(node: Node, parent: Option<Node>, src: &str) -> Vec<Fact> {
    let mut out = Vec::new();
    match node.kind() {
        "import_statement" => {
            let Some(source) = node.child_by_field_name("source") else {
                return out;
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
                            out.push(Fact::Binding(text(part, src).to_string(), module.clone()));
                        }
                        "namespace_import" => {
                            if let Some(id) = part.named_child(0) {
                                out.push(Fact::Binding(text(id, src).to_string(), module.clone()));
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
                                out.push(Fact::Binding(
                                    text(local, src).to_string(),
                                    format!("{module}.{imported}"),
                                ));
                            }
                        }
                        _ => {}
                    }
                }
            }
            out.push(Fact::Module(module));
        }
        "variable_declarator" => {
            let (Some(name), Some(value)) = (
                node.child_by_field_name("name"),
                node.child_by_field_name("value"),
            ) else {
                return out;
            };
            // `require('m')`, `require('m').x`, `await import('m')`
            if let Some(target) = js_require_target(value, src) {
                match name.kind() {
                    "identifier" => {
                        out.push(Fact::Binding(text(name, src).to_string(), target.clone()));
                    }
                    "object_pattern" => {
                        let mut c = name.walk();
                        for p in name.named_children(&mut c) {
                            match p.kind() {
                                "shorthand_property_identifier_pattern" => {
                                    let n = text(p, src);
                                    out.push(Fact::Binding(n.to_string(), format!("{target}.{n}")));
                                }
                                "pair_pattern" => {
                                    if let (Some(k), Some(v)) = (
                                        p.child_by_field_name("key"),
                                        p.child_by_field_name("value"),
                                    ) && v.kind() == "identifier"
                                    {
                                        out.push(Fact::Binding(
                                            text(v, src).to_string(),
                                            format!("{target}.{}", text(k, src)),
                                        ));
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                if let Some(module) = target.split('.').next() {
                    out.push(Fact::ModuleIfNew(module.to_string()));
                }
                return out;
            }
            // (See `reads_parent`.)
            let is_const = parent
                .filter(|p| p.kind() == "lexical_declaration")
                .and_then(|p| p.child_by_field_name("kind"))
                .is_some_and(|k| text(k, src) == "const");
            let otherwise = (is_const && name.kind() == "identifier")
                .then(|| constant(node, text(name, src).to_string(), value, src));
            // `const run = promisify(exec)`: `run` is the promise-returning wrapper,
            // written `util.promisify(child_process.exec)`, so rules can name it
            // without mistaking it for the callback API.
            if name.kind() == "identifier"
                && let Some((callee, arg, arg_is_require)) = promisify_call(value, src)
            {
                out.push(Fact::Promisified {
                    name: text(name, src).to_string(),
                    callee,
                    arg,
                    arg_is_require,
                    otherwise: otherwise.map(Box::new),
                });
                return out;
            }
            out.extend(otherwise);
        }
        "call_expression" => {
            // A bare `require('m')` statement still counts as importing the module.
            if let Some(m) = js_require_target(node, src)
                && !m.contains('.')
            {
                out.push(Fact::ModuleIfNew(m));
            }
        }
        _ => {}
    }
    out
}

/// `f(x)` with `f` and `x` names or member chains: the shape of `promisify(exec)`,
/// whose meaning depends on what the names are bound to.
fn promisify_call(value: Node, src: &str) -> Option<(Chain, Chain, bool)> {
    let value = skip_wrappers(value);
    if value.kind() != "call_expression" {
        return None;
    }
    let callee = Chain::of(value.child_by_field_name("function")?, src)?;
    let args = value.child_by_field_name("arguments")?;
    if args.named_child_count() != 1 {
        return None;
    }
    let arg = args.named_child(0)?;
    let arg_chain = Chain::of(arg, src)?;
    Some((callee, arg_chain, js_require_target(arg, src).is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::analyze::incremental::cached_facts;
    use crate::engine::{RuleFilter, RuleSet, analyze_document};

    /// The facts after one edit at every offset of `text` equal the facts computed
    /// afresh: the children of the root are found by offset, in gaps and hidden
    /// tokens too.
    fn check_every_offset(language: Language, text: &str, inserted: &str) {
        for at in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let mut doc = analysed(language, text);
            let updated = edit_and_update(&mut doc, &[(TextRange::new(at, at), inserted)]);
            assert!(
                updated.same_as(&FileFacts::compute(&doc)),
                "{inserted:?} at {at} of {text:?}: {updated:#?}"
            );
        }
    }

    #[test]
    fn updated_facts_equal_fresh_ones_wherever_the_edit_is() {
        // A broken file: a Go newline terminator is a hidden token at top level.
        let go = "package main\n\nimport \"crypto/sha256\" markers, not keys.\nconst example = 'AKIAIOSFO\n\nfunc main() { _ = sha256.Sum256([]byte(\"hi\")) }\n";
        check_every_offset(Language::Go, go, "");
        let go = "package main\n\nimport (\n\t\"os/exec\"\n)\n\nconst cmd = \"ls\"\n\nfunc f() { exec.Command(cmd) }\n";
        check_every_offset(Language::Go, go, " ");
        check_every_offset(Language::Go, go, "\n");
        let js = "const cp = require('child_process');\n\nconst run = cp.exec;\nrun(x);\n";
        check_every_offset(Language::JavaScript, js, " ");
        check_every_offset(Language::JavaScript, js, ";");
    }

    /// `text`, analysed: the document keeps the analysis and tracks its edits.
    fn analysed(language: Language, text: &str) -> Document {
        let mut doc = Document::new(language, text);
        analyze_document(&mut doc, RuleSet::builtin(), &RuleFilter::default());
        doc
    }

    /// Applies `edits` in order, re-parses and analyses again: the facts it keeps.
    fn edit_and_update(doc: &mut Document, edits: &[(TextRange, &str)]) -> FileFacts {
        for &(range, text) in edits {
            doc.edit(range, text);
        }
        doc.reparse();
        analyze_document(doc, RuleSet::builtin(), &RuleFilter::default());
        cached_facts(doc).expect("kept").clone()
    }

    /// A declarator's facts depend on its declaration (`const` or not): changing only
    /// the keyword updates them, among the siblings of a function body too.
    #[test]
    fn a_declarators_facts_follow_its_declaration() {
        let js = "function f() {\n  g();\n  let a = 'x', b = require('child_process').exec;\n  h();\n}\n";
        check_every_offset(Language::JavaScript, js, " ");
        let mut doc = analysed(Language::JavaScript, js);
        let at = js.find("let").unwrap();
        let updated = edit_and_update(&mut doc, &[(TextRange::new(at, at + 3), "const")]);
        assert!(updated.const_initializer("a").is_some(), "{updated:#?}");
        assert!(updated.same_as(&FileFacts::compute(&doc)), "{updated:#?}");
    }

    /// A declarator whose declaration breaks around it (its parent is an ERROR node
    /// now) is read again, though no edit touched it. Found by tests/properties.rs;
    /// fails without the re-read of such orphans.
    #[test]
    fn a_declarator_in_a_broken_declaration_is_read_again() {
        let js = "var exec = require('child_process'), y = 2;\nexec(x);\n";
        let mut doc = analysed(Language::JavaScript, js);
        let r = TextRange::new;
        let steps: [&[(TextRange, &str)]; 2] = [
            &[(r(40, 43), ")"), (r(48, 50), "(")],
            &[(r(44, 46), ")"), (r(42, 46), "*/")],
        ];
        for edits in steps {
            let updated = edit_and_update(&mut doc, edits);
            assert!(
                updated.same_as(&FileFacts::compute(&doc)),
                "{:?}: {updated:#?}",
                doc.text()
            );
        }
    }

    /// An edit that leaves every fact as it was (a space typed after a statement that
    /// is read again) keeps the folded facts themselves, so nothing is folded and
    /// nothing reported changed; a constant then still points at its moved
    /// initializer. An edit that changes a fact folds again.
    #[test]
    fn unchanged_facts_are_kept_without_folding() {
        let js = "const cp = require('child_process');\nconst cmd = 'ls' + x;\ncp.exec(cmd);\n";
        let mut doc = analysed(Language::JavaScript, js);
        let before = cached_facts(&doc).expect("kept").clone();
        let at = js.find(';').unwrap() + 1;
        let after = edit_and_update(
            &mut doc,
            &[
                (TextRange::new(0, 0), "\n"),
                (TextRange::new(at + 1, at + 1), " "),
            ],
        );
        assert!(Arc::ptr_eq(&after.folded, &before.folded));
        assert!(after.changed_since(&before).keys.is_empty());
        assert!(after.same_as(&FileFacts::compute(&doc)), "{after:#?}");
        let (start, end) = after.const_initializer("cmd").expect("cmd");
        assert_eq!(&doc.text()[start..end], "'ls' + x");

        let at = doc.text().find("'ls'").unwrap() + 1;
        let changed = edit_and_update(&mut doc, &[(TextRange::new(at, at), "-la ")]);
        assert!(!Arc::ptr_eq(&changed.folded, &after.folded));
        assert!(changed.same_as(&FileFacts::compute(&doc)), "{changed:#?}");
    }
}

//! Import edits: Go import specs added or removed, JavaScript named imports extended.

use tree_sitter::Node;

use super::Edit;
use crate::engine::document::{Document, TextRange};
use crate::engine::semantics::{FileFacts, go_default_package_name, string_literal_value};
use crate::engine::walk::{Step, preorder};

fn kids<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut c = node.walk();
    node.named_children(&mut c).collect()
}

fn go_import_specs<'t>(doc: &'t Document) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    for decl in kids(doc.tree().root_node()) {
        if decl.kind() != "import_declaration" {
            continue;
        }
        for child in kids(decl) {
            match child.kind() {
                "import_spec" => out.push(child),
                "import_spec_list" => out.extend(
                    kids(child)
                        .into_iter()
                        .filter(|n| n.kind() == "import_spec"),
                ),
                _ => {}
            }
        }
    }
    out
}

fn spec_path(doc: &Document, spec: Node) -> String {
    spec.child_by_field_name("path")
        .and_then(|p| string_literal_value(p, doc.text(), doc.language()))
        .unwrap_or_default()
}

/// An edit adding `import "path"` to a Go file, so that the package's default name
/// (`crypto/sha256` -> `sha256`) refers to it. `Ok(None)` when it already does;
/// `Err(NameTaken)` when the name cannot mean that package here: the path is imported
/// only under another name (`h "crypto/sha256"`), or the name belongs to another
/// import. A blank or dot import of the path does not bind the name, so one is added.
pub fn go_add_import(doc: &Document, path: &str) -> Result<Option<Edit>, NameTaken> {
    let specs = go_import_specs(doc);
    let default = go_default_package_name(path);
    let mut aliased_only = false;
    for s in &specs {
        let name = s.child_by_field_name("name");
        let local = match name {
            Some(n) if n.kind() == "package_identifier" => &doc.text()[n.byte_range()],
            Some(_) => continue, // `_` or `.`: binds no name
            None => go_default_package_name_of(doc, *s),
        };
        let same_path = spec_path(doc, *s) == path;
        match (same_path, local == default) {
            (true, true) => return Ok(None),
            (true, false) => aliased_only = true,
            (false, true) => return Err(NameTaken),
            (false, false) => {}
        }
    }
    if aliased_only {
        return Err(NameTaken);
    }
    Ok(go_insert_import(doc, path))
}

fn go_default_package_name_of<'d>(doc: &'d Document, spec: Node) -> &'d str {
    let path = spec
        .child_by_field_name("path")
        .map(|p| &doc.text()[p.byte_range()])
        .unwrap_or_default();
    go_default_package_name(path.trim_matches(['"', '`']))
}

/// The edit inserting `import "path"`: in sorted position inside the first import
/// block, else after the last import declaration or the package clause.
fn go_insert_import(doc: &Document, path: &str) -> Option<Edit> {
    let text = doc.text();
    let root = doc.tree().root_node();
    // Prefer a parenthesised block: insert in sorted position within it.
    let block = kids(root)
        .into_iter()
        .filter(|d| d.kind() == "import_declaration")
        .find_map(|d| kids(d).into_iter().find(|c| c.kind() == "import_spec_list"));
    if let Some(list) = block {
        let in_list: Vec<Node> = kids(list)
            .into_iter()
            .filter(|n| n.kind() == "import_spec")
            .collect();
        let line_start = |o: usize| text[..o].rfind('\n').map_or(0, |i| i + 1);
        let at = match in_list.iter().find(|s| spec_path(doc, **s).as_str() > path) {
            Some(s) => line_start(s.start_byte()),
            None => match in_list.last() {
                Some(last) => text[last.end_byte()..]
                    .find('\n')
                    .map_or(text.len(), |i| last.end_byte() + i + 1),
                None => line_start(list.end_byte() - 1),
            },
        };
        return Some(Edit {
            range: TextRange::new(at, at),
            new_text: format!("\t\"{path}\"\n"),
        });
    }
    let anchor = kids(root)
        .into_iter()
        .rfind(|d| d.kind() == "import_declaration" || d.kind() == "package_clause")?;
    let at = anchor.end_byte();
    let sep = if anchor.kind() == "package_clause" {
        "\n\n"
    } else {
        "\n"
    };
    Some(Edit {
        range: TextRange::new(at, at),
        new_text: format!("{sep}import \"{path}\""),
    })
}

/// Counts qualified uses (`name.X`) of a Go package name outside `skip` ranges.
fn go_package_uses(doc: &Document, name: &str, skip: &[TextRange]) -> usize {
    let text = doc.text();
    let mut count = 0;
    preorder(doc.tree(), |node, _| {
        let operand = match node.kind() {
            "selector_expression" => node.child_by_field_name("operand"),
            "qualified_type" => node.child_by_field_name("package"),
            _ => None,
        };
        if let Some(op) = operand
            && &text[op.byte_range()] == name
            && !skip
                .iter()
                .any(|r| r.start <= op.start_byte() && op.end_byte() <= r.end)
        {
            count += 1;
        }
        Step::Into
    });
    count
}

/// An edit removing the import of `path` if nothing outside `replaced` uses it.
pub fn go_remove_unused_import(doc: &Document, path: &str, replaced: &[TextRange]) -> Option<Edit> {
    let specs = go_import_specs(doc);
    let spec = *specs.iter().find(|s| spec_path(doc, **s) == path)?;
    let name = match spec.child_by_field_name("name") {
        Some(n) if n.kind() == "package_identifier" => doc.text()[n.byte_range()].to_string(),
        Some(_) => return None, // blank or dot import: uses cannot be counted
        None => go_default_package_name(path).to_string(),
    };
    if go_package_uses(doc, &name, replaced) > 0 {
        return None;
    }
    let text = doc.text();
    let parent = spec.parent()?;
    // The node to delete: the spec's line inside a block, else the whole declaration.
    let target = if parent.kind() == "import_spec_list" {
        let siblings = kids(parent)
            .into_iter()
            .filter(|n| n.kind() == "import_spec")
            .count();
        if siblings > 1 { spec } else { parent.parent()? }
    } else {
        parent
    };
    let ls = text[..target.start_byte()].rfind('\n').map_or(0, |i| i + 1);
    let le = text[target.end_byte()..]
        .find('\n')
        .map_or(text.len(), |i| target.end_byte() + i + 1);
    let whole_lines = text[ls..target.start_byte()].trim().is_empty()
        && text[target.end_byte()..le].trim().is_empty();
    let range = if whole_lines {
        TextRange::new(ls, le + blank_group_separator_after(text, ls, le))
    } else {
        TextRange::new(target.start_byte(), target.end_byte())
    };
    Some(Edit {
        range,
        new_text: String::new(),
    })
}

/// The edit rewriting the path of the (unnamed) import of `old` to `new`: used when
/// `old` goes away and `new` comes in at the same place.
pub fn go_replace_import_path(doc: &Document, old: &str, new: &str) -> Option<Edit> {
    let spec = *go_import_specs(doc)
        .iter()
        .find(|s| spec_path(doc, **s) == old)?;
    if spec.child_by_field_name("name").is_some() {
        return None;
    }
    let path = spec.child_by_field_name("path")?;
    Some(Edit {
        range: path.byte_range().into(),
        new_text: format!("\"{new}\""),
    })
}

/// A Go package's default name is not free to refer to the package being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameTaken;

/// There is no existing import of the module to extend with a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoImportSite;

/// When the import line `ls..le` is the first of its block (right after `import (`)
/// and a blank line follows, the length of that blank line: removing both keeps the
/// block from starting with an empty line (`"fmt"` above a blank line and a group of
/// third-party imports).
fn blank_group_separator_after(text: &str, ls: usize, le: usize) -> usize {
    let opens_block = text[..ls].trim_end().ends_with('(');
    let next_end = text[le..].find('\n').map(|i| le + i + 1);
    match next_end {
        Some(end) if opens_block && text[le..end].trim().is_empty() => end - le,
        _ => 0,
    }
}

/// For `module:name`, makes `name` a binding of `module`'s export in a JS file by
/// extending an existing destructuring `require` or named `import`. Returns
/// `Ok(None)` when already bound, `Err(NoImportSite)` when there is no place to add it.
pub fn js_add_named_import(
    doc: &Document,
    facts: &FileFacts,
    spec: &str,
) -> Result<Option<Edit>, NoImportSite> {
    let (module, name) = spec.split_once(':').ok_or(NoImportSite)?;
    let wanted = format!("{module}.{name}");
    match facts.bindings().get(name) {
        Some(b) if *b == wanted => return Ok(None),
        Some(_) => return Err(NoImportSite), // the name means something else here
        None => {}
    }
    let text = doc.text();
    let mut found = None;
    preorder(doc.tree(), |node, _| {
        let list = match node.kind() {
            // const { exec } = require('child_process')
            "variable_declarator" => node
                .child_by_field_name("name")
                .filter(|n| n.kind() == "object_pattern")
                .filter(|_| {
                    node.child_by_field_name("value")
                        .is_some_and(|v| facts_target(v, text).as_deref() == Some(module))
                }),
            // import { exec } from 'child_process'
            "import_statement" => node
                .child_by_field_name("source")
                .and_then(|s| string_literal_value(s, text, doc.language()))
                .filter(|m| m.strip_prefix("node:").unwrap_or(m) == module)
                .and_then(|_| kids(node).into_iter().find(|c| c.kind() == "import_clause"))
                .and_then(|c| kids(c).into_iter().find(|k| k.kind() == "named_imports")),
            _ => None,
        };
        if let Some(list) = list
            && let Some(edit) = super::list_edit::append_item(text, list, name, false)
        {
            found = Some(edit);
            return Step::Stop;
        }
        Step::Into
    });
    if let Some(edit) = found {
        return Ok(Some(edit));
    }
    Err(NoImportSite)
}

/// For `module:name` when there is no destructuring `require` or named `import` of
/// the module to extend: a new statement binding `name`, placed right after the
/// top-level statement that already requires or imports the module, in the same
/// style (`const { name } = require('m');` or `import { name } from 'm';`) and with
/// the module spelt as there (`node:crypto`). Declines when the module is not
/// required or imported at the top level, or when `name` already occurs as an
/// identifier in the file: a second declaration of it would not compile.
pub fn js_add_import_statement(
    doc: &Document,
    facts: &FileFacts,
    spec: &str,
) -> Result<Edit, NoImportSite> {
    let (module, name) = spec.split_once(':').ok_or(NoImportSite)?;
    if facts.bindings().contains_key(name) || identifier_occurs(doc, name) {
        return Err(NoImportSite);
    }
    let text = doc.text();
    for stmt in kids(doc.tree().root_node()) {
        let (spelling, esm) = match stmt.kind() {
            "import_statement" => {
                let Some(source) = stmt.child_by_field_name("source") else {
                    continue;
                };
                match string_literal_value(source, text, doc.language()) {
                    Some(m) if m.strip_prefix("node:").unwrap_or(&m) == module => {
                        (&text[source.byte_range()], true)
                    }
                    _ => continue,
                }
            }
            "lexical_declaration" | "variable_declaration" => {
                let Some(arg) = kids(stmt)
                    .into_iter()
                    .filter(|d| d.kind() == "variable_declarator")
                    .filter_map(|d| d.child_by_field_name("value"))
                    .find_map(|v| required_module_literal(v, text, module))
                else {
                    continue;
                };
                (&text[arg.byte_range()], false)
            }
            _ => continue,
        };
        let semi = if text[..stmt.end_byte()].ends_with(';') {
            ";"
        } else {
            ""
        };
        let new_text = if esm {
            format!("\nimport {{ {name} }} from {spelling}{semi}")
        } else {
            format!("\nconst {{ {name} }} = require({spelling}){semi}")
        };
        return Ok(Edit {
            range: TextRange::new(stmt.end_byte(), stmt.end_byte()),
            new_text,
        });
    }
    Err(NoImportSite)
}

/// The string literal of `require('m')` (or `require('m').x`) when `m` is `module`.
fn required_module_literal<'t>(value: Node<'t>, text: &str, module: &str) -> Option<Node<'t>> {
    let call = if value.kind() == "member_expression" {
        value.child_by_field_name("object")?
    } else {
        value
    };
    if facts_target(call, text).as_deref() != Some(module) {
        return None;
    }
    call.child_by_field_name("arguments")?.named_child(0)
}

/// Whether `name` occurs as an identifier (a use or a declaration) anywhere.
fn identifier_occurs(doc: &Document, name: &str) -> bool {
    let text = doc.text();
    !preorder(doc.tree(), |node, _| {
        let found = matches!(
            node.kind(),
            "identifier"
                | "shorthand_property_identifier"
                | "shorthand_property_identifier_pattern"
        ) && &text[node.byte_range()] == name;
        if found { Step::Stop } else { Step::Into }
    })
}

fn facts_target(value: Node, text: &str) -> Option<String> {
    if value.kind() != "call_expression" {
        return None;
    }
    let f = value.child_by_field_name("function")?;
    if &text[f.byte_range()] != "require" {
        return None;
    }
    let arg = value.child_by_field_name("arguments")?.named_child(0)?;
    let m = string_literal_value(arg, text, crate::engine::language::Language::JavaScript)?;
    Some(m.strip_prefix("node:").unwrap_or(&m).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::language::Language;

    fn add_statement(src: &str, spec: &str) -> Option<String> {
        let doc = Document::new(Language::JavaScript, src);
        let facts = FileFacts::compute(&doc);
        let edit = js_add_import_statement(&doc, &facts, spec).ok()?;
        let mut out = src.to_string();
        out.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        Some(out)
    }

    #[test]
    fn adds_an_import_statement_next_to_the_module_import() {
        assert_eq!(
            add_statement(
                "var exec = require('child_process').exec;\nexec(x);\n",
                "child_process:execFile"
            )
            .as_deref(),
            Some(
                "var exec = require('child_process').exec;\nconst { execFile } = require('child_process');\nexec(x);\n"
            )
        );
        assert_eq!(
            add_statement("import cp from \"node:crypto\"\nf()\n", "crypto:randomInt").as_deref(),
            Some(
                "import cp from \"node:crypto\"\nimport { randomInt } from \"node:crypto\"\nf()\n"
            )
        );
    }

    #[test]
    fn declines_without_a_top_level_import_or_when_the_name_is_taken() {
        assert_eq!(
            add_statement("f(require('crypto'));\n", "crypto:randomInt"),
            None
        );
        assert_eq!(
            add_statement(
                "function g() { const c = require('crypto'); }\n",
                "crypto:randomInt"
            ),
            None
        );
        assert_eq!(
            add_statement(
                "const c = require('crypto');\nfunction randomInt() {}\n",
                "crypto:randomInt"
            ),
            None
        );
    }

    fn remove(src: &str, path: &str) -> String {
        let doc = Document::new(Language::Go, src);
        let edit = go_remove_unused_import(&doc, path, &[]).expect("unused import");
        let mut out = src.to_string();
        out.replace_range(edit.range.start..edit.range.end, &edit.new_text);
        out
    }

    fn add(src: &str, path: &str) -> Result<Option<String>, NameTaken> {
        let doc = Document::new(Language::Go, src);
        Ok(go_add_import(&doc, path)?.map(|edit| {
            let mut out = src.to_string();
            out.replace_range(edit.range.start..edit.range.end, &edit.new_text);
            out
        }))
    }

    #[test]
    fn adding_an_import_respects_names_in_use() {
        let block = "package p\n\nimport (\n\t\"fmt\"\n\t_ \"crypto/sha256\"\n)\n";
        // A blank import binds no name: a plain one is added.
        assert_eq!(
            add(block, "crypto/sha256").unwrap().unwrap(),
            "package p\n\nimport (\n\t\"crypto/sha256\"\n\t\"fmt\"\n\t_ \"crypto/sha256\"\n)\n"
        );
        assert_eq!(add("package p\n\nimport \"time\"\n", "time"), Ok(None));
        // Imported under another name, or the name taken by another package: decline.
        assert_eq!(
            add("package p\n\nimport t \"time\"\n", "time"),
            Err(NameTaken)
        );
        assert_eq!(
            add("package p\n\nimport \"text/template\"\n", "html/template"),
            Err(NameTaken)
        );
        assert_eq!(
            add("package p\n\nimport \"fmt\"\n", "os").unwrap().unwrap(),
            "package p\n\nimport \"fmt\"\nimport \"os\"\n"
        );
    }

    #[test]
    fn removing_the_first_import_drops_its_group_separator() {
        let src = "package p\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/x\"\n)\n\nvar _ = x.Y\n";
        assert_eq!(
            remove(src, "fmt"),
            "package p\n\nimport (\n\t\"example.com/x\"\n)\n\nvar _ = x.Y\n"
        );
        // A separator between two remaining groups stays.
        let src = "package p\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\n\t\"example.com/x\"\n)\n\nvar _, _ = os.Args, x.Y\n";
        assert_eq!(
            remove(src, "fmt"),
            "package p\n\nimport (\n\t\"os\"\n\n\t\"example.com/x\"\n)\n\nvar _, _ = os.Args, x.Y\n"
        );
    }
}

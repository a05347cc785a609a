//! tree-sitter's incremental re-parse, as the copy Vigil builds does it
//! (`server/vendor/tree-sitter`, patched so that long lists of statements are reused
//! whole; see its `VIGIL.md`), against a parse from scratch.
//!
//! Large generated files with many top-level declarations, struct fields and
//! comments get rounds of four random edits (quotes, brackets, comment markers,
//! keywords, deletions), each re-parsed from the previous tree as an editor does.
//! After every edit whose text parses without errors, the re-parsed tree must have
//! no errors either and the same shape as a fresh parse (every node's kind, field
//! and range; where a comment attaches aside, as in `properties.rs`), and the ranges
//! tree-sitter reports as changed must cover every token outside the edit whose kind
//! or extent changed. This file drives tree-sitter directly: `Document::reparse`
//! re-parses small broken files from scratch, which would hide a wrong tree.
//! `STRESS_SEEDS=N` runs N seeds (default 4).
//!
//! Two faults of earlier versions of the patch were of the kind this catches: a
//! rotated repetition node given a state the parser cannot be in, after which the
//! whole file became one ERROR; the second is kept as a named test below.

use std::collections::HashSet;

use tree_sitter::{InputEdit, Parser, Point, Tree};
use vigil::engine::Language;

#[path = "support/tree_shape.rs"]
mod tree_shape;
use tree_shape::tree_difference;

/// Deterministic pseudo-random numbers (a 64-bit LCG): the same edits every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

/// ~2,500 lines of Go: many top-level declarations (a long repetition), structs
/// with commented fields, functions with statement lists.
fn go_source() -> String {
    let mut text = String::from(
        "// Package big is generated for the test.\npackage big\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\n",
    );
    for i in 0..120 {
        text.push_str(&format!(
            "// Record{i} is a record.\ntype Record{i} struct {{\n\tName   string // e.g. \"n{i}\"\n\tCount  int    // e.g. {i}\n\tTags   []string\n\tParent *Record{i}\n}}\n\n"
        ));
        text.push_str(&format!(
            "// Describe{i} describes r.\nfunc Describe{i}(r *Record{i}, sep string) (string, error) {{\n\tif r == nil {{\n\t\treturn \"\", fmt.Errorf(\"nil record %d\", {i})\n\t}}\n\tparts := []string{{r.Name}}\n\tfor _, t := range r.Tags {{\n\t\tparts = append(parts, t)\n\t}}\n\treturn strings.Join(parts, sep), nil\n}}\n\nvar limit{i} = {i} * 2\n\n"
        ));
    }
    text
}

/// Go shaped like the standard library's sort/search.go: `count` functions, each
/// with a long doc comment and commented statements.
fn search_like_go_source(count: usize) -> String {
    let mut text = String::from("// Copyright notice.\n\n// Package s does things.\npackage s\n\n");
    for i in 0..count {
        text.push_str(&format!(
            "// Search{i} uses binary search to find and return the smallest index i\n// in [0, n) at which f(i) is true, assuming that on the range [0, n),\n// f(i) == true implies f(i+1) == true.\n//\n// Search{i} calls f(i) only for i in the range [0, n).\nfunc Search{i}(n int, f func(int) bool) int {{\n\t// Define f(-1) == false and f(n) == true.\n\ti, j := 0, n\n\tfor i < j {{\n\t\th := int(uint(i+j) >> 1) // avoid overflow\n\t\tif !f(h) {{\n\t\t\ti = h + 1 // preserves f(i-1) == false\n\t\t}} else {{\n\t\t\tj = h\n\t\t}}\n\t}}\n\treturn i\n}}\n\n"
        ));
    }
    text
}

/// ~2,500 lines of JavaScript: top-level statements with and without semicolons
/// (automatic semicolon insertion), functions, classes, template strings, comments.
fn javascript_source() -> String {
    let mut text = String::from("'use strict';\n\n/**\n * Module dependencies.\n */\n\n");
    for i in 0..120 {
        text.push_str(&format!(
            "var dep{i} = require('dep{i}')\nvar other{i} = require('other').Thing{i};\n\n/**\n * Does thing {i}.\n */\nfunction thing{i}(req, res, next) {{\n  const id = req.params.id // the id\n  if (!id) {{\n    return next(new Error(`missing id ${{{i}}}`));\n  }}\n  res.send(dep{i}(id), other{i});\n}}\n\nexports.thing{i} = thing{i};\nclass Widget{i} extends Base {{\n  render() {{ return `<b>${{this.name}}</b>` }}\n}}\n\n"
        ));
    }
    text
}

/// Script-style code, where the parser's state between statements depends on how
/// the previous one ended: no semicolons (automatic insertion), statements that
/// start with a name, a contextual keyword (`async`, `get`, `of`, `static` as
/// names), `[`, `(`, `++` or a regular expression, comments between statements.
/// With `typed`, TypeScript's declarations and annotations too.
fn script_source(typed: bool) -> String {
    let mut text = String::from("// generated\n");
    for i in 0..40 {
        text.push_str(&format!(
            "const a{i} = require('a{i}')\nlet b{i} = a{i}.make({i})\nexports.c{i} = b{i}\n\
             module.exports.d{i} = function (x) {{ return x / 2 / {i} }}\n\
             async function e{i}(get, set) {{\n  const r = /ab+c/g.test(get) ? await set(get) : null\n\
             \x20 for (const of of [1, 2]) {{ if (of) continue }}\n  return r\n}}\n\
             x{i} = y{i}\n++z{i}\n;[a{i}, b{i}] = [b{i}, a{i}]\n;(function () {{ async = {i} }})()\n\
             /* block {i} */ f{i}()\n`t ${{a{i}}}`.length\n\
             var get{i} = {{ get x() {{ return 1 }}, set x(v) {{}}, static: 1, async: 2 }}\n\
             if (a{i}) b{i}()\nelse c{i}()\n\n"
        ));
        if typed {
            text.push_str(&format!(
                "type T{i} = {{ a: string }}\ninterface I{i} {{ x: number }}\n\
                 enum E{i} {{ A, B }}\nconst t{i}: T{i} = g<T{i}>(a{i}) as T{i}\n\
                 export declare function h{i}(): void\n\n"
            ));
        }
    }
    text
}

const PIECES: &[&str] = &[
    "\"", "'", "`", "{", "}", "(", ")", "[", "]", ";", ",", "\n", " ", "a", "1", "/*", "*/", "//",
    "func ", "x := ", "var ", "=> ", "if ", "return ",
];

fn point(text: &str, at: usize) -> Point {
    let before = &text[..at];
    let row = before.matches('\n').count();
    let column = at - before.rfind('\n').map_or(0, |i| i + 1);
    Point { row, column }
}

/// Every leaf's kind and byte range.
fn leaves(tree: &Tree) -> Vec<(u16, usize, usize)> {
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    loop {
        let n = cursor.node();
        if cursor.goto_first_child() {
            continue;
        }
        out.push((n.kind_id(), n.start_byte(), n.end_byte()));
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// One byte edit: replace `start..end` with `inserted`.
type Edit = (usize, usize, &'static str);

/// Two parsers for one language: one re-parses incrementally, one from scratch.
struct Parsers {
    language: Language,
    incremental: Parser,
    fresh: Parser,
}

impl Parsers {
    fn new(language: Language) -> Parsers {
        let grammar = language.grammar();
        let mut incremental = Parser::new();
        incremental.set_language(&grammar).unwrap();
        let mut fresh = Parser::new();
        fresh.set_language(&grammar).unwrap();
        Parsers {
            language,
            incremental,
            fresh,
        }
    }

    /// Applies `edit` to `text` and `tree` as an editor does, re-parses from the old
    /// tree, and checks the result against a fresh parse (see the file's comment).
    fn edit(&mut self, text: &mut String, tree: &mut Tree, edit: Edit) -> Result<(), String> {
        let (at, end, inserted) = edit;
        let (start_position, old_end_position) = (point(text, at), point(text, end));
        text.replace_range(at..end, inserted);
        tree.edit(&InputEdit {
            start_byte: at,
            old_end_byte: end,
            new_end_byte: at + inserted.len(),
            start_position,
            old_end_position,
            new_end_position: point(text, at + inserted.len()),
        });
        let new = self.incremental.parse(&*text, Some(tree)).unwrap();
        let old = std::mem::replace(tree, new);
        let fresh = self.fresh.parse(&*text, None).unwrap();
        if fresh.root_node().has_error() {
            return Ok(());
        }
        if tree.root_node().has_error() {
            return Err("the re-parsed tree has syntax errors, a fresh parse none".into());
        }
        if let Some(difference) = tree_difference(tree, &fresh) {
            return Err(format!(
                "the re-parsed tree differs from a fresh parse: {difference}"
            ));
        }
        // The edited old tree shares positions with the new text: a token outside the
        // edit whose kind or extent changed (a quote typed turns the rest of the line
        // into a string) lies in a reported range.
        let ranges: Vec<_> = old.changed_ranges(tree).collect();
        let before: HashSet<_> = leaves(&old).into_iter().collect();
        let edit_end = at + inserted.len();
        let missed = leaves(tree).into_iter().find(|&(kind, start, end_byte)| {
            let outside_edit = end_byte < at || start > edit_end;
            let covered = ranges
                .iter()
                .any(|r| r.start_byte <= end_byte && start <= r.end_byte);
            outside_edit && !covered && !before.contains(&(kind, start, end_byte))
        });
        match missed {
            Some((_, start, end_byte)) => Err(format!(
                "the token at {start}..{end_byte} changed outside the changed ranges {ranges:?}"
            )),
            None => Ok(()),
        }
    }

    /// Applies `edits` one by one to a fresh parse of `original`.
    fn replay(&mut self, original: &str, edits: &[Edit]) -> Result<(), String> {
        let mut text = original.to_string();
        let mut tree = self.fresh.parse(&text, None).unwrap();
        for (i, &edit) in edits.iter().enumerate() {
            self.edit(&mut text, &mut tree, edit)
                .map_err(|e| format!("{:?}, after edits {:?}: {e}", self.language, &edits[..=i]))?;
        }
        Ok(())
    }
}

/// `rounds` rounds of `edits` random edits, each round from `original`; the failures.
fn stress(
    language: Language,
    original: &str,
    rounds: usize,
    edits: usize,
    pieces: &[&'static str],
    seed: u64,
) -> Vec<String> {
    let mut parsers = Parsers::new(language);
    let mut rng = Lcg(seed);
    let mut failures = Vec::new();
    for round in 0..rounds {
        let mut text = original.to_string();
        let mut made = Vec::new();
        for _ in 0..edits {
            let len = text.len();
            let mut at = rng.next() % (len + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let delete = if rng.next().is_multiple_of(3) {
                rng.next() % 6
            } else {
                0
            };
            let mut end = (at + delete).min(len);
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let inserted = if delete > 0 && rng.next().is_multiple_of(2) {
                ""
            } else {
                pieces[rng.next() % pieces.len()]
            };
            made.push((at, end, inserted));
            text.replace_range(at..end, inserted);
        }
        if let Err(e) = parsers.replay(original, &made) {
            failures.push(format!("seed {seed} round {round}: {e}"));
        }
    }
    failures
}

/// Seeds 1..=N: four unless `STRESS_SEEDS` asks for more.
fn seeds() -> std::ops::RangeInclusive<u64> {
    let n = std::env::var("STRESS_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    1..=n
}

/// What typing mostly inserts: text stays valid longer, so long chains of edits
/// keep being compared with fresh parses.
const TYPING: &[&str] = &[" ", "\n", "a", "\n\n", ";", "x ", "// c\n"];

/// For each seed, sixty rounds of four edits on `source`, and two of thirty
/// mostly harmless ones (the trees an editor keeps re-parsing from); fails with
/// every failure.
fn assert_stress_passes(language: Language, source: &str) {
    let failures: Vec<String> = seeds()
        .flat_map(|seed| {
            let mut failures = stress(language, source, 60, 4, PIECES, seed);
            failures.extend(stress(language, source, 2, 30, TYPING, seed));
            failures
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn go_reparses_like_a_fresh_parse() {
    assert_stress_passes(Language::Go, &go_source());
}

#[test]
fn search_like_go_reparses_like_a_fresh_parse() {
    assert_stress_passes(Language::Go, &search_like_go_source(30));
}

/// Found by random edits against an earlier version of the patch, which gave every
/// rotated node the state of the middle of its list even where the balancing had
/// split one element (a function declaration and its terminating newline) rather
/// than a pair of the list's nodes: after the last edit the parser reused such a
/// node, could not continue, and the whole file became one ERROR.
#[test]
fn a_rotated_half_of_an_element_is_not_reused_whole() {
    let source = search_like_go_source(30);
    let edits = [
        (13802, 13802, "\n"),
        (4930, 4930, ","),
        (162, 165, ""),
        (14525, 14525, "{"),
    ];
    Parsers::new(Language::Go).replay(&source, &edits).unwrap();
}

#[test]
fn javascript_reparses_like_a_fresh_parse() {
    assert_stress_passes(Language::JavaScript, &javascript_source());
}

#[test]
fn scripts_without_semicolons_reparse_like_a_fresh_parse() {
    let source = script_source(false);
    assert_parses_cleanly(Language::JavaScript, &source);
    assert_stress_passes(Language::JavaScript, &source);
}

#[test]
fn typescript_reparses_like_a_fresh_parse() {
    let source = script_source(true);
    assert_parses_cleanly(Language::TypeScript, &source);
    assert_stress_passes(Language::TypeScript, &source);
}

/// A source with syntax errors would make every comparison above vacuous.
fn assert_parses_cleanly(language: Language, source: &str) {
    let tree = Parsers::new(language).fresh.parse(source, None).unwrap();
    assert!(
        !tree.root_node().has_error(),
        "the generated source has errors"
    );
}

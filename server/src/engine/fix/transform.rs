//! Built-in rewrites that fix templates call: they turn a string-building expression
//! into its safe equivalent, or refuse (None) when the result would not be equivalent,
//! in which case the fix is not offered at all.

use tree_sitter::Node;

use crate::engine::language::Language;
use crate::engine::semantics::{Evaluator, Segment};

pub fn apply(func: &str, node: Node, ev: &Evaluator) -> Option<String> {
    match func {
        "shell_argv" => shell_argv(node, ev),
        "sql_placeholders" => sql_placeholders(node, ev),
        "env_name" => Some(env_name(&ev.doc.text()[node.byte_range()])),
        _ => None,
    }
}

fn node_text<'a>(node: Node, ev: &Evaluator<'a>) -> &'a str {
    &ev.doc.text()[node.byte_range()]
}

/// Characters that make a command line depend on a shell: with any of them the
/// command cannot become an argument vector without changing what it does.
const SHELL_META: &[char] = &[
    '|', '&', ';', '<', '>', '(', ')', '$', '`', '\\', '"', '\'', '*', '?', '[', ']', '#', '~',
    '=', '%', '{', '}', '\n', '!',
];

enum Word<'t> {
    Lit(String),
    Expr(Node<'t>),
}

/// `` `git log ${ref}` `` -> `'git', ['log', ref]` (JS) or `"git", "log", ref` (Go).
/// Every spliced value must be a whole word; the program must be a literal.
fn shell_argv(node: Node, ev: &Evaluator) -> Option<String> {
    let segs = ev.segments(node)?;
    let mut words: Vec<Word> = Vec::new();
    // Whether the previous piece ended in the middle of a word.
    let mut open_word = false;
    for seg in segs {
        match seg {
            Segment::Literal(s) => {
                if s.contains(SHELL_META) {
                    return None;
                }
                let starts_ws = s.starts_with(char::is_whitespace);
                for (i, w) in s.split_whitespace().enumerate() {
                    if i == 0 && open_word && !starts_ws {
                        // glued to a spliced value: `${dir}/x`
                        return None;
                    }
                    words.push(Word::Lit(w.to_string()));
                }
                open_word = !s.is_empty() && !s.ends_with(char::is_whitespace);
                if s.trim().is_empty() {
                    open_word = false;
                }
            }
            Segment::Expr(e) => {
                if open_word {
                    return None;
                }
                words.push(Word::Expr(e));
                open_word = true;
            }
        }
    }
    let (program, args) = words.split_first()?;
    let Word::Lit(program) = program else {
        return None;
    };
    if !args.iter().any(|w| matches!(w, Word::Expr(_))) {
        return None; // nothing spliced: not an injection, nothing to rewrite
    }
    let go = ev.doc.language() == Language::Go;
    let quote = |s: &str| if go { go_quote(s) } else { js_quote(s) };
    let rendered: Vec<String> = args
        .iter()
        .map(|w| match w {
            Word::Lit(s) => quote(s),
            Word::Expr(e) => node_text(*e, ev).to_string(),
        })
        .collect();
    Some(if go {
        format!("{}, {}", quote(program), rendered.join(", "))
    } else {
        format!("{}, [{}]", quote(program), rendered.join(", "))
    })
}

/// `"SELECT * FROM u WHERE id = '" + id + "'"` -> `'SELECT * FROM u WHERE id = ?', [id]`
/// (JS) or `"... = ?", id` (Go); `$1, $2...` when the file uses PostgreSQL drivers.
fn sql_placeholders(node: Node, ev: &Evaluator) -> Option<String> {
    let segs = ev.segments(node)?;
    let go = ev.doc.language() == Language::Go;
    let postgres = if go {
        ["github.com/lib/pq", "github.com/jackc/pgx*"]
            .iter()
            .any(|m| ev.imports_module(m))
    } else {
        ["pg", "postgres", "pg-promise"]
            .iter()
            .any(|m| ev.imports_module(m))
    };
    let mut sql = String::new();
    let mut args: Vec<&str> = Vec::new();
    let mut pending_quote: Option<char> = None;
    for seg in &segs {
        match seg {
            Segment::Literal(s) => {
                let mut s = s.as_str();
                if let Some(q) = pending_quote.take() {
                    // The value was quoted in SQL: the closing quote must follow.
                    s = s.strip_prefix(q)?;
                }
                sql.push_str(s);
            }
            Segment::Expr(e) => {
                if pending_quote.is_some() {
                    return None; // two values inside one SQL string literal
                }
                match sql.chars().last() {
                    Some(q @ ('\'' | '"')) => {
                        sql.pop();
                        pending_quote = Some(q);
                    }
                    // `LIKE '%` + x` and similar: value is part of a larger literal.
                    Some(c) if c.is_alphanumeric() || c == '%' || c == '_' => return None,
                    _ => {}
                }
                // An unquoted splice may be a table, column or keyword (`FROM %s`,
                // `ORDER BY %s`): a placeholder there would not mean the same thing.
                if pending_quote.is_none() && !sql_value_position(&sql) {
                    return None;
                }
                args.push(node_text(*e, ev));
                if postgres {
                    sql.push_str(&format!("${}", args.len()));
                } else {
                    sql.push('?');
                }
            }
        }
    }
    if pending_quote.is_some() || args.is_empty() {
        return None;
    }
    // A placeholder glued to letters (`id=?x`) means the value was part of a token.
    Some(if go {
        format!("{}, {}", go_quote(&sql), args.join(", "))
    } else {
        format!("{}, [{}]", js_quote(&sql), args.join(", "))
    })
}

/// Whether a value spliced after `before` (the SQL text so far) stands where SQL
/// expects a value, so that a placeholder can take its place: after a comparison or
/// arithmetic operator, `LIKE`, `LIMIT`, `OFFSET`, or inside parentheses (`IN (...)`,
/// `VALUES (...)`). Identifier positions (`FROM`, `ORDER BY`, select lists) are not.
fn sql_value_position(before: &str) -> bool {
    let trimmed = before.trim_end();
    let Some(last) = trimmed.chars().last() else {
        return false;
    };
    let depth = trimmed.matches('(').count() as isize - trimmed.matches(')').count() as isize;
    match last {
        '=' | '<' | '>' | '+' | '-' | '*' | '/' => true,
        '(' | ',' => depth > 0,
        _ => {
            let word: String = trimmed
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            matches!(
                word.to_ascii_uppercase().as_str(),
                "LIKE" | "ILIKE" | "LIMIT" | "OFFSET"
            )
        }
    }
}

/// `apiKey` -> `API_KEY`, `db_password` -> `DB_PASSWORD`.
pub fn env_name(ident: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in ident.chars() {
        if !c.is_ascii_alphanumeric() {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(c.to_ascii_uppercase());
    }
    out.trim_matches('_').to_string()
}

/// A JavaScript string literal for `s`: single quotes, or a template literal for
/// multi-line text.
pub fn js_quote(s: &str) -> String {
    if s.contains('\n') {
        let body = s
            .replace('\\', "\\\\")
            .replace('`', "\\`")
            .replace("${", "\\${");
        return format!("`{body}`");
    }
    if s.contains('\'') && !s.contains('"') {
        return format!("\"{}\"", s.replace('\\', "\\\\"));
    }
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A Go string literal for `s`: interpreted, or raw for multi-line text.
pub fn go_quote(s: &str) -> String {
    if s.contains('\n') && !s.contains('`') && !s.contains('\r') {
        return format!("`{s}`");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::document::Document;
    use crate::engine::semantics::FileFacts;

    fn first_arg(
        lang: Language,
        src: &str,
        f: fn(Node, &Evaluator) -> Option<String>,
    ) -> Option<String> {
        let doc = Document::new(lang, src);
        let facts = FileFacts::compute(&doc);
        let ev = Evaluator::new(&doc, &facts);
        let root = doc.tree().root_node();
        let off = src.find("run(").unwrap() + 4;
        let mut node = root.descendant_for_byte_range(off, off + 1).unwrap();
        while node
            .parent()
            .is_some_and(|p| p.kind() != "arguments" && p.kind() != "argument_list")
        {
            node = node.parent().unwrap();
        }
        f(node, &ev)
    }

    #[test]
    fn shell_argv_splits_whole_words_only() {
        let js = |s| first_arg(Language::JavaScript, s, shell_argv);
        assert_eq!(
            js("run(`git log ${ref} -n 5`)").as_deref(),
            Some("'git', ['log', ref, '-n', '5']")
        );
        assert_eq!(
            js("run('ls -l ' + dir)").as_deref(),
            Some("'ls', ['-l', dir]")
        );
        assert_eq!(js("run(`cat ${dir}/x`)"), None);
        assert_eq!(js("run(`ls ${d} | grep x`)"), None);
        assert_eq!(js("run(`${prog} x`)"), None);
        let go = |s| first_arg(Language::Go, s, shell_argv);
        assert_eq!(
            go("package p\nfunc f() { run(fmt.Sprintf(\"ping -c 1 %s\", host)) }").as_deref(),
            Some("\"ping\", \"-c\", \"1\", host")
        );
    }

    #[test]
    fn sql_placeholders_strip_value_quotes() {
        let js = |s| first_arg(Language::JavaScript, s, sql_placeholders);
        assert_eq!(
            js("run(\"SELECT * FROM u WHERE name = '\" + name + \"' AND id = \" + id)").as_deref(),
            Some("'SELECT * FROM u WHERE name = ? AND id = ?', [name, id]")
        );
        assert_eq!(js("run(`SELECT * FROM u WHERE n LIKE '%${q}%'`)"), None);
        assert_eq!(
            js("const pg = require('pg');\nrun(`SELECT * FROM u WHERE id = ${id}`)").as_deref(),
            Some("'SELECT * FROM u WHERE id = $1', [id]")
        );
        // Identifier positions are not values: no placeholder there.
        assert_eq!(js("run('SELECT * FROM ' + table + ' WHERE id = 1')"), None);
        assert_eq!(js("run(`SELECT a FROM t ORDER BY ${col}`)"), None);
        assert_eq!(js("run(`SELECT a, ${col} FROM t WHERE x = 1`)"), None);
        assert_eq!(
            js("run(`SELECT * FROM t WHERE id IN (${a}, ${b}) LIMIT ${n}`)").as_deref(),
            Some("'SELECT * FROM t WHERE id IN (?, ?) LIMIT ?', [a, b, n]")
        );
        let go = |s| first_arg(Language::Go, s, sql_placeholders);
        assert_eq!(
            go("package p\nfunc f() { run(fmt.Sprintf(\"DELETE FROM %s WHERE id = %d\", t, id)) }"),
            None
        );
        assert_eq!(
            go("package p\nfunc f() { run(fmt.Sprintf(\"SELECT * FROM u WHERE id = '%s'\", id)) }")
                .as_deref(),
            Some("\"SELECT * FROM u WHERE id = ?\", id")
        );
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name("apiKey"), "API_KEY");
        assert_eq!(env_name("db_password"), "DB_PASSWORD");
        assert_eq!(env_name("AWSSecret"), "AWSSECRET");
    }
}

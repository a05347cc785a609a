//! Hostile inputs: what a scanned workspace (or an editor buffer) can throw at Vigil.
//! Each test runs the real binary, `vigil check` as a process with the default
//! main-thread stack and `vigil serve` over stdio, and checks that Vigil neither
//! crashes nor hangs and tells the user what it skipped or cut short.
//!
//! Inputs are generated into temporary directories; nothing large is committed.

#[path = "support/process.rs"]
mod process;
use process::{code, json, stderr, stdout, vigil as vigil_in, write};

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use lsp_client::{Encoding, LspClient, apply_edits, push_client_caps};
use serde_json::{Value, json};
use tempfile::TempDir;

/// Nesting depth of the deep inputs: far beyond any real code, and far beyond what a
/// recursive walk survives on an 8 MiB (main thread) or 2 MiB (worker) stack.
const DEPTH: usize = 100_000;

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

const JS_HEAD: &str = "const crypto = require('crypto');\nconst h = crypto.createHash('md5');\n";
const GO_HEAD: &str =
    "package main\n\nimport \"crypto/md5\"\n\nfunc main() {\n\t_ = md5.Sum(nil)\n}\n\n";

fn nest(open: &str, inner: &str, close: &str) -> String {
    let mut s = String::with_capacity((open.len() + close.len()) * DEPTH + inner.len());
    for _ in 0..DEPTH {
        s.push_str(open);
    }
    s.push_str(inner);
    for _ in 0..DEPTH {
        s.push_str(close);
    }
    s
}

/// (file name, LSP language id, text): every file has one known weak-hash finding
/// (with a safe fix) before a construct nested [`DEPTH`] levels deep.
fn deep_inputs() -> Vec<(String, &'static str, String)> {
    let js = |body: String| format!("{JS_HEAD}{body}\n");
    let go = |body: String| format!("{GO_HEAD}{body}\n");
    let plus_chain = {
        let mut s = String::from("const { exec } = require('child_process');\nexec('ls ' + a");
        for _ in 0..DEPTH {
            s.push_str(" + a");
        }
        s.push_str(");");
        s
    };
    vec![
        // A deep argument of a rule's call: constant folding and fixes walk it.
        (
            "parens.js".into(),
            "javascript",
            js(format!("eval({});", nest("(", "x", ")"))),
        ),
        (
            "calls.js".into(),
            "javascript",
            js(format!("{};", nest("f(", "x", ")"))),
        ),
        ("chain.js".into(), "javascript", js(plus_chain)),
        (
            "arrows.ts".into(),
            "typescript",
            js(format!("const g = {};", nest("() => ", "1", ""))),
        ),
        (
            "jsx.tsx".into(),
            "typescriptreact",
            js(format!("const el = {};", nest("<div>", "x", "</div>"))),
        ),
        (
            "literals.go".into(),
            "go",
            go(format!("var v = {}", nest("[]any{", "1", "}"))),
        ),
    ]
    .into_iter()
    .map(|(name, lang, text): (String, &str, String)| (name, lang, text))
    .collect()
}

fn weak_hash_paths(report: &Value) -> Vec<String> {
    let mut paths: Vec<String> = findings(report)
        .iter()
        .filter(|f| {
            f["rule_id"]
                .as_str()
                .is_some_and(|r| r.starts_with("js/weak-hash") || r.starts_with("go/weak-hash"))
        })
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn deeply_nested_code_is_checked_reported_and_fixed_without_overflowing_the_stack() {
    let dir = TempDir::new().unwrap();
    let inputs = deep_inputs();
    for (name, _, text) in &inputs {
        write(dir.path(), name, text);
    }
    let mut names: Vec<String> = inputs.iter().map(|i| i.0.clone()).collect();
    names.sort();

    // The report formats walk the findings and their fixes. (Each run of a debug
    // build costs seconds here, so the formats share the work: JSON and SARIF are
    // both serde_json, human output is checked once.)
    let out = vigil_in(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(weak_hash_paths(&report), names, "{}", stderr(&out));
    assert_eq!(report["summary"]["files_skipped"], 0);
    // The user is told what was not checked.
    assert!(
        stderr(&out).contains("calls.js: code nested more than 1000 levels deep was not checked"),
        "{}",
        stderr(&out)
    );
    let out = vigil_in(dir.path(), &["check", "--format", "human"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).contains("Found"), "{}", stdout(&out));

    // --fix re-parses every fixed file to verify it, then analyses it again.
    let out = vigil_in(
        dir.path(),
        &["check", "--fix", "--unsafe-fixes", "--format", "sarif"],
    );
    code(&out);
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let left: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("SARIF results")
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .filter(|id| id.contains("weak-hash"))
        .collect();
    assert!(left.is_empty(), "{left:?}: {}", stderr(&out));
    for (name, _, text) in &inputs {
        let fixed = std::fs::read_to_string(dir.path().join(name)).unwrap();
        // The Go fix swaps the file's only import along with the call.
        let expected = text
            .replace("createHash('md5')", "createHash('sha256')")
            .replace("import \"crypto/md5\"", "import \"crypto/sha256\"")
            .replace("md5.Sum(nil)", "sha256.Sum256(nil)");
        assert!(fixed == expected, "{name}: only the finding was fixed");
    }
}

fn push_session() -> LspClient {
    let mut c = LspClient::spawn(&[], &[]);
    c.initialize(push_client_caps(), json!({"debounceMs": 0}));
    c
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn deeply_nested_documents_are_served_edited_and_closed() {
    let mut c = LspClient::spawn(&[], &[]);
    // The JSX nesting is 1.1 MB, over the default limit.
    c.initialize(
        push_client_caps(),
        json!({"debounceMs": 0, "maxFileSize": 4 << 20}),
    );
    for (name, lang, text) in deep_inputs() {
        let uri = format!("file:///deep/{name}");
        c.open(&uri, lang, 1, &text);
        let diagnostics = c.published(&uri, 1);
        let weak = diagnostics
            .iter()
            .find(|d| d["code"].as_str().is_some_and(|r| r.contains("weak-hash")))
            .unwrap_or_else(|| panic!("{name}: no weak-hash finding in {diagnostics:?}"));
        // The quick fix, as the client applies it.
        let actions = c
            .request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": weak["range"],
                       "context": {"diagnostics": [weak], "only": ["quickfix"]}}),
            )
            .expect("code actions");
        let fix = actions.as_array().unwrap().iter().find(|a| {
            a["title"]
                .as_str()
                .is_some_and(|t| t.contains("SHA-256") || t.contains("sha256"))
        });
        match fix {
            Some(fix) => {
                let edits = fix["edit"]["changes"][&uri].as_array().expect("edits");
                let fixed = apply_edits(&text, edits, Encoding::Utf16);
                assert!(
                    fixed.contains("sha256") && fixed.len() < text.len() + 100,
                    "{name}"
                );
            }
            None => panic!("{name}: no SHA-256 fix in {actions}"),
        }
        let hover = c
            .request(
                "textDocument/hover",
                json!({"textDocument": {"uri": uri}, "position": weak["range"]["start"]}),
            )
            .expect("hover");
        assert!(hover["contents"]["value"].is_string(), "{name}: {hover}");
        // An edit at the deepest point re-parses incrementally.
        let middle = text.len() - (text.len() - JS_HEAD.len()) / 2;
        let middle = (middle..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap();
        let at = c.position(&text, middle);
        c.change(
            &uri,
            2,
            vec![json!({"range": {"start": at, "end": at}, "text": " "})],
        );
        c.published(&uri, 2);
        c.close(&uri);
    }
    assert!(c.shutdown_and_exit().success(), "{}", c.stderr());
}

/// A minified bundle: one line of about `size` bytes, with a weak hash at the
/// start, the middle and the end.
fn bundle(size: usize) -> String {
    let finding = "var h=require('crypto').createHash('md5');";
    let filler = "var f=function(a,b){return a+b*2};";
    let mut s = String::with_capacity(size + 200);
    s.push_str(finding);
    while s.len() < size / 2 {
        s.push_str(filler);
    }
    s.push_str(finding);
    while s.len() < size {
        s.push_str(filler);
    }
    s.push_str(finding);
    s.push('\n');
    s
}

#[test]
fn huge_files_and_minified_bundles_are_skipped_or_analysed_within_the_limits() {
    let dir = TempDir::new().unwrap();
    let line = "const x = require('crypto').createHash('md5'); // padding padding padding\n";
    let huge = line.repeat(50 * 1024 * 1024 / line.len());
    write(dir.path(), "huge.js", &huge);
    let bundle = bundle(5 * 1024 * 1024);
    write(dir.path(), "dist/app.min.js", &bundle);
    write(dir.path(), "src/ok.js", JS_HEAD);

    // Default limit (2M): both are skipped with a note, the rest is scanned.
    let out = vigil_in(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("skipped huge.js: file is") && err.contains("--max-file-size"),
        "{err}"
    );
    assert!(err.contains("skipped dist/app.min.js: file is"), "{err}");
    assert_eq!(weak_hash_paths(&json(&out)), vec!["src/ok.js".to_string()]);

    // Raised limit: the bundle is analysed; the huge file stays over it.
    let out = vigil_in(
        dir.path(),
        &["check", "--max-file-size", "6M", "--format", "json"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    let in_bundle: Vec<&Value> = findings(&report)
        .iter()
        .filter(|f| f["path"] == "dist/app.min.js" && f["rule_id"] == "js/weak-hash")
        .collect();
    assert_eq!(in_bundle.len(), 3, "{}", stderr(&out));
    let expected_columns: Vec<usize> = bundle
        .match_indices("'md5'")
        .map(|(i, _)| i + 1) // ASCII: characters are bytes
        .collect();
    let columns: Vec<usize> = in_bundle
        .iter()
        .map(|f| f["start"]["column"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(columns, expected_columns);
    assert!(in_bundle.iter().all(|f| f["start"]["line"] == 1));

    // Human output cuts the 5 MB line to a window around each caret.
    let out = vigil_in(dir.path(), &["check", "--max-file-size", "6M", "dist"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    let longest = text.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest < 300, "a snippet line of {longest} characters");
    let lines: Vec<&str> = text.lines().collect();
    let mut carets_checked = 0;
    for pair in lines.windows(2) {
        let (Some(shown), Some(carets)) =
            (pair[0].strip_prefix("1 | "), pair[1].strip_prefix("  | "))
        else {
            continue;
        };
        let caret = carets.find('^').expect("carets under the snippet");
        let flagged: String = shown.chars().skip(caret).take(5).collect();
        assert_eq!(
            flagged, "'md5'",
            "caret column in:\n{}\n{}",
            pair[0], pair[1]
        );
        assert_eq!(carets.trim(), "^^^^^");
        carets_checked += 1;
    }
    assert_eq!(carets_checked, 3, "{text}");
}

/// The diagnostics of a 5 MB document: a debug build on a busy 2-core machine takes
/// tens of seconds to analyse it (and verify its fixes), so this waits longer than
/// the client's usual timeout. A bound on hanging, not a speed assertion.
fn published_slowly(c: &mut LspClient, uri: &str, version: i32) -> Vec<Value> {
    let params = c
        .wait_notification(
            "textDocument/publishDiagnostics",
            Duration::from_secs(600),
            |p| p["uri"] == uri && p["version"] == version,
        )
        .unwrap_or_else(|| panic!("no diagnostics for {uri} v{version}"));
    params["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn the_server_notes_documents_over_its_size_limit_and_analyses_a_raised_one() {
    let mut c = LspClient::spawn(&[], &[]);
    c.initialize(
        push_client_caps(),
        json!({"debounceMs": 0, "maxFileSize": 6 * 1024 * 1024}),
    );
    // 50 MB: one informational note, no analysis.
    let line = "const x = require('crypto').createHash('md5'); // padding padding padding\n";
    let huge = line.repeat(50 * 1024 * 1024 / line.len());
    c.open("file:///big/huge.js", "javascript", 1, &huge);
    let diagnostics = c.published("file:///big/huge.js", 1);
    assert_eq!(codes(&diagnostics), vec!["vigil/file-too-large"]);
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .contains("vigil.maxFileSize")
    );
    c.close("file:///big/huge.js");
    drop(huge);

    // A 5 MB single line under the raised limit: analysed, positions exact, edits work.
    let bundle = bundle(5 * 1024 * 1024);
    let uri = "file:///big/app.min.js";
    c.open(uri, "javascript", 1, &bundle);
    let diagnostics = published_slowly(&mut c, uri, 1);
    let starts: Vec<u64> = diagnostics
        .iter()
        .filter(|d| d["code"] == "js/weak-hash")
        .map(|d| d["range"]["start"]["character"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = bundle
        .match_indices("'md5'")
        .map(|(i, _)| i as u64)
        .collect();
    assert_eq!(starts, expected);
    // Typing at the end of the 5 MB line.
    let end = bundle.len() - 1;
    let at = c.position(&bundle, end);
    let typed = "var z=require('crypto').createHash('md5');";
    c.change(
        uri,
        2,
        vec![json!({"range": {"start": at, "end": at}, "text": typed})],
    );
    let diagnostics = published_slowly(&mut c, uri, 2);
    let last = diagnostics
        .iter()
        .filter(|d| d["code"] == "js/weak-hash")
        .map(|d| d["range"]["start"]["character"].as_u64().unwrap())
        .max();
    assert_eq!(last, Some((end + typed.find("'md5'").unwrap()) as u64));
    assert!(c.shutdown_and_exit().success(), "{}", c.stderr());
}

#[test]
fn binary_and_non_utf8_files_are_skipped_with_a_reason() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "ok.js", JS_HEAD);
    // What a repository really holds under source names: compiled output, an image
    // renamed, a UTF-16 file (NULs in every other byte), Latin-1 text.
    write(
        dir.path(),
        "logo.js",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10",
    );
    let utf16: Vec<u8> = "const h = crypto.createHash('md5');\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    write(dir.path(), "utf16.ts", [&[0xFF, 0xFE][..], &utf16].concat());
    write(dir.path(), "latin1.go", b"package main\n// caf\xe9\n");
    let out = vigil_in(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("skipped logo.js: binary file"), "{err}");
    assert!(err.contains("skipped utf16.ts: binary file"), "{err}");
    assert!(
        err.contains("skipped latin1.go: not valid UTF-8 (invalid byte at offset 19)"),
        "{err}"
    );
    let report = json(&out);
    assert_eq!(report["summary"]["files_skipped"], 3);
    assert_eq!(weak_hash_paths(&report), vec!["ok.js".to_string()]);
}

#[test]
fn the_server_notes_binary_documents_and_analyses_them_once_they_are_text() {
    let mut c = push_session();
    let uri = "file:///bin/blob.js";
    let text = format!("{JS_HEAD}\0\0\0");
    c.open(uri, "javascript", 1, &text);
    let diagnostics = c.published(uri, 1);
    assert_eq!(codes(&diagnostics), vec!["vigil/binary-document"]);
    assert_eq!(diagnostics[0]["severity"], 3, "informational");
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": diagnostics[0]["range"],
                   "context": {"diagnostics": diagnostics}}),
        )
        .expect("code actions are answered");
    assert!(actions.as_array().is_none_or(Vec::is_empty), "{actions}");
    // Deleting the NULs makes it source again.
    let (from, to) = (
        c.position(&text, JS_HEAD.len()),
        c.position(&text, text.len()),
    );
    c.change(
        uri,
        2,
        vec![json!({"range": {"start": from, "end": to}, "text": ""})],
    );
    assert_eq!(codes(&c.published(uri, 2)), vec!["js/weak-hash"]);
    assert!(c.shutdown_and_exit().success(), "{}", c.stderr());
}

/// Waits for the response with a null id (the answer to an unparsable message).
fn null_id_error(c: &mut LspClient) -> Value {
    c.response(-1).expect_err("an error response")
}

#[test]
fn invalid_utf8_and_nested_json_in_the_protocol_stream_get_errors_and_the_session_goes_on() {
    let mut c = push_session();
    // A didOpen whose text holds bytes that are not UTF-8.
    let mut body = br#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///x.js","languageId":"javascript","version":1,"text":"caf"#.to_vec();
    body.extend_from_slice(b"\xe9\xff\"}}}");
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend(&body);
    c.send_raw(&framed);
    assert_eq!(null_id_error(&mut c)["code"], -32700);
    // JSON nested 100k deep: refused by the JSON parser's depth limit, not a crash.
    let deep = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    c.send_raw(format!("Content-Length: {}\r\n\r\n{deep}", deep.len()).as_bytes());
    assert_eq!(null_id_error(&mut c)["code"], -32700);
    // A header that lies about the length in a way we can detect.
    c.send_raw(b"Content-Length: lots\r\n\r\n");
    assert_eq!(null_id_error(&mut c)["code"], -32700);
    // The session goes on.
    c.open("file:///ok.js", "javascript", 1, JS_HEAD);
    assert_eq!(
        codes(&c.published("file:///ok.js", 1)),
        vec!["js/weak-hash"]
    );
    assert!(c.shutdown_and_exit().success(), "{}", c.stderr());
}

/// CRLF lines, then LF lines, then CRLF again, with a multi-byte character before
/// each finding.
const MIXED_EOL: &str = "const crypto = require('crypto');\r\n\
// é😀\r\n\
const a = '中'; const h1 = crypto.createHash('md5');\r\n\
\n\
const b = '😀'; const h2 = crypto.createHash('sha1');\n\
const c = 1;\r\n\
  const h3 = crypto.createHash('md5');\r\n";

/// 1-based line and character column of a byte offset, counting lines by `\n`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[start..offset].chars().count() + 1)
}

/// (line, column) of the start and end of a finding, and its text.
type Span = ((u64, u64), (u64, u64), String);

#[test]
fn crlf_and_mixed_line_endings_keep_check_positions_and_fixes_exact() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "eol.js", MIXED_EOL);
    let out = vigil_in(
        dir.path(),
        &["check", "--format", "json", "--select", "js/weak-hash"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    let got: Vec<Span> = findings(&report)
        .iter()
        .map(|f| {
            let range = (
                f["byte_range"]["start"].as_u64().unwrap() as usize,
                f["byte_range"]["end"].as_u64().unwrap() as usize,
            );
            (
                (
                    f["start"]["line"].as_u64().unwrap(),
                    f["start"]["column"].as_u64().unwrap(),
                ),
                (
                    f["end"]["line"].as_u64().unwrap(),
                    f["end"]["column"].as_u64().unwrap(),
                ),
                MIXED_EOL[range.0..range.1].to_string(),
            )
        })
        .collect();
    let expected: Vec<Span> = ["'md5'", "'sha1'", "'md5'"]
        .iter()
        .zip(
            MIXED_EOL
                .match_indices("createHash(")
                .map(|(i, _)| i + "createHash(".len()),
        )
        .map(|(lit, start)| {
            let (l1, c1) = line_col(MIXED_EOL, start);
            let (l2, c2) = line_col(MIXED_EOL, start + lit.len());
            (
                (l1 as u64, c1 as u64),
                (l2 as u64, c2 as u64),
                lit.to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected);

    // SARIF: the same lines, UTF-16 columns.
    let out = vigil_in(
        dir.path(),
        &["check", "--format", "sarif", "--select", "js/weak-hash"],
    );
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let regions: Vec<(u64, u64)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let region = &r["locations"][0]["physicalLocation"]["region"];
            (
                region["startLine"].as_u64().unwrap(),
                region["startColumn"].as_u64().unwrap(),
            )
        })
        .collect();
    let utf16_expected: Vec<(u64, u64)> = MIXED_EOL
        .match_indices("createHash(")
        .map(|(i, _)| {
            let start = i + "createHash(".len();
            let line_start = MIXED_EOL[..start].rfind('\n').map_or(0, |i| i + 1);
            let (line, _) = line_col(MIXED_EOL, start);
            (
                line as u64,
                MIXED_EOL[line_start..start].encode_utf16().count() as u64 + 1,
            )
        })
        .collect();
    assert_eq!(regions, utf16_expected);

    // The human snippet shows no stray carriage return.
    let out = vigil_in(
        dir.path(),
        &["check", "--color", "never", "--select", "js/weak-hash"],
    );
    assert!(
        !stdout(&out).contains('\r') && !stdout(&out).contains('\u{FFFD}'),
        "{}",
        stdout(&out)
    );

    // --fix keeps every line ending as it was.
    let out = vigil_in(
        dir.path(),
        &[
            "check",
            "--fix",
            "--unsafe-fixes",
            "--select",
            "js/weak-hash",
        ],
    );
    code(&out);
    let fixed = std::fs::read_to_string(dir.path().join("eol.js")).unwrap();
    assert_eq!(
        fixed,
        MIXED_EOL
            .replace("createHash('md5')", "createHash('sha256')")
            .replace("createHash('sha1')", "createHash('sha256')")
    );
}

#[test]
fn crlf_and_mixed_line_endings_keep_server_ranges_and_fix_edits_exact() {
    for caps in [push_client_caps(), {
        let mut caps = push_client_caps();
        caps["general"] = json!({"positionEncodings": ["utf-8"]});
        caps
    }] {
        let mut c = LspClient::spawn(&[], &[]);
        c.initialize(caps, json!({"debounceMs": 0}));
        let uri = "file:///eol/app.js";
        c.open(uri, "javascript", 1, MIXED_EOL);
        let diagnostics = c.published(uri, 1);
        let ranges: Vec<Value> = diagnostics
            .iter()
            .filter(|d| d["code"] == "js/weak-hash")
            .map(|d| d["range"].clone())
            .collect();
        let expected: Vec<Value> = MIXED_EOL
            .match_indices("createHash(")
            .zip([5, 6, 5])
            .map(|((i, _), len)| {
                let start = i + "createHash(".len();
                c.range(MIXED_EOL, start, start + len)
            })
            .collect();
        assert_eq!(ranges, expected, "{:?}", c.encoding);

        // Every quick fix applied by the client leaves the right text.
        let mut text = MIXED_EOL.to_string();
        let mut diagnostics = diagnostics;
        for (version, lit) in [(2, "'md5'"), (3, "'sha1'"), (4, "'md5'")] {
            let diagnostic = diagnostics
                .iter()
                .find(|d| d["code"] == "js/weak-hash")
                .expect("a weak hash left")
                .clone();
            let actions = c
                .request(
                    "textDocument/codeAction",
                    json!({"textDocument": {"uri": uri}, "range": diagnostic["range"],
                           "context": {"diagnostics": [diagnostic], "only": ["quickfix"]}}),
                )
                .unwrap();
            let fix = actions
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["title"].as_str().is_some_and(|t| t.contains("SHA-256")))
                .unwrap_or_else(|| panic!("no fix in {actions}"))
                .clone();
            let edits = fix["edit"]["changes"][uri].as_array().unwrap().clone();
            let next = apply_edits(&text, &edits, c.encoding);
            assert_eq!(
                next,
                text.replacen(&format!("createHash({lit})"), "createHash('sha256')", 1)
            );
            c.change(uri, version, vec![json!({"text": next})]);
            text = next;
            diagnostics = c.published(uri, version);
        }
        // An incremental edit that inserts CRLF lines keeps later ranges right.
        let at = text.find("const c").unwrap();
        let insert = "const h4 = crypto.createHash('md5');\r\n";
        c.change(
            uri,
            5,
            vec![json!({"range": c.range(&text, at, at), "text": insert})],
        );
        text.insert_str(at, insert);
        let diagnostics = c.published(uri, 5);
        let start = text.find("'md5'").unwrap();
        assert_eq!(
            diagnostics
                .iter()
                .filter(|d| d["code"] == "js/weak-hash")
                .map(|d| d["range"].clone())
                .collect::<Vec<_>>(),
            vec![c.range(&text, start, start + 5)]
        );
        assert!(c.shutdown_and_exit().success());
    }
}

/// Runs `vigil` as an unprivileged user when the tests run as root (CI does), so that
/// a mode-000 file really is unreadable: root reads anything, `nobody` does not.
/// Returns None when that is not possible here.
#[cfg(unix)]
fn vigil_unprivileged(dir: &Path, args: &[&str]) -> Option<Output> {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut cmd = if root {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_vigil"));
        cmd
    } else {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
    };
    let out = cmd
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .ok()?;
    // setpriv missing, or the binary not reachable for `nobody`.
    if out.status.code() == Some(127) || out.status.code() == Some(126) {
        return None;
    }
    Some(out)
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_symlink_loops_are_reported_and_the_scan_goes_on() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = tempfile::Builder::new().tempdir().unwrap();
    let root = dir.path();
    let mode =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    mode(root, 0o755);
    write(root, "app/ok.js", JS_HEAD);
    write(root, "app/locked.js", JS_HEAD);
    write(root, "secret/inner.js", JS_HEAD);
    mode(&root.join("app"), 0o755);
    mode(&root.join("app/ok.js"), 0o644);
    mode(&root.join("app/locked.js"), 0o000);
    mode(&root.join("secret"), 0o000);
    // Loops: a link to itself, two links to each other, a directory linking to its
    // parent; and a link to nowhere.
    symlink("self.js", root.join("app/self.js")).unwrap();
    symlink("b.js", root.join("app/a.js")).unwrap();
    symlink("a.js", root.join("app/b.js")).unwrap();
    symlink("..", root.join("app/up")).unwrap();
    symlink("missing.js", root.join("app/dangling.js")).unwrap();

    let Some(out) = vigil_unprivileged(root, &["check", "--format", "json"]) else {
        eprintln!("skipped: cannot run vigil as an unprivileged user here");
        return;
    };
    mode(&root.join("secret"), 0o755);
    mode(&root.join("app/locked.js"), 0o644);
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "the scan went on: {err}");
    assert!(
        err.contains("skipped app/locked.js: permission denied"),
        "{err}"
    );
    assert!(err.contains("skipped secret: permission denied"), "{err}");
    let report = json(&out);
    assert_eq!(weak_hash_paths(&report), vec!["app/ok.js".to_string()]);
    let skipped: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert!(
        skipped.contains(&"app/locked.js") && skipped.contains(&"secret"),
        "{skipped:?}"
    );
    // Links inside a scanned directory are not followed, so a loop cannot make the
    // walk go round; they are listed as skipped.
    for link in ["app/self.js", "app/a.js", "app/b.js", "app/dangling.js"] {
        assert!(
            err.contains(&format!("skipped {link}: symbolic link")),
            "{link}: {err}"
        );
    }

    // Named explicitly, a looping link is an error (exit 2) with the reason.
    let out = vigil_in(root, &["check", "app/self.js"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("app/self.js"), "{}", stderr(&out));
}

const ORG_EVERY_IDENTIFIER: &str = r###"
id = "org/every-identifier"
title = "Every identifier"
language = "javascript"
severity = "low"
confidence = "high"
cwe = [1]
owasp = []
message = "identifier {{finding}}"
explanation = "## What it finds\nEvery identifier: a rule gone wrong.\n"
query = "((identifier) @finding (#not-eq? @finding \"zzz\"))"
[[constraints]]
capture = "finding"
not-inside = "(string) @s"
"###;

#[test]
fn a_rule_matching_everywhere_is_cut_short_with_a_warning() {
    // A large file with 20,000 identifiers.
    let text: String = (0..10_000).map(|i| format!("let v{i} = w{i};\n")).collect();

    // The server, with the rule loaded as an organisation rule.
    let rules = TempDir::new().unwrap();
    write(rules.path(), "every.toml", ORG_EVERY_IDENTIFIER);
    let mut c = LspClient::spawn(&[], &[]);
    c.initialize(
        push_client_caps(),
        json!({"debounceMs": 0, "extraRuleDirs": [rules.path()]}),
    );
    c.open("file:///big/ids.js", "javascript", 1, &text);
    let diagnostics = c.published("file:///big/ids.js", 1);
    let org = diagnostics
        .iter()
        .filter(|d| d["code"] == "org/every-identifier")
        .count();
    assert_eq!(org, 500, "MAX_FINDINGS_PER_RULE findings");
    let note = diagnostics
        .iter()
        .find(|d| d["code"] == "vigil/analysis-limited")
        .expect("the user is told the rule was cut short");
    assert!(
        note["message"]
            .as_str()
            .unwrap()
            .contains("org/every-identifier"),
        "{note}"
    );
    assert!(c.shutdown_and_exit().success());

    // The CLI: a built-in rule on a file with more findings than the limit.
    let dir = TempDir::new().unwrap();
    let many: String = (0..700)
        .map(|i| format!("const h{i} = require('crypto').createHash('md5');\n"))
        .collect();
    write(dir.path(), "many.js", &many);
    let out = vigil_in(
        dir.path(),
        &["check", "--format", "json", "--select", "js/weak-hash"],
    );
    assert_eq!(code(&out), 1);
    let report = json(&out);
    assert_eq!(findings(&report).len(), 500);
    assert!(
        stderr(&out).contains("many.js: rule js/weak-hash reached the limit of 500 findings"),
        "{}",
        stderr(&out)
    );
    assert!(
        report["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("js/weak-hash"),
        "{report}"
    );
}

#[test]
fn positions_far_outside_the_document_are_clamped() {
    // Positions far outside the document are clamped, not a panic.
    let mut c = push_session();
    c.open("file:///p/a.js", "javascript", 1, JS_HEAD);
    c.published("file:///p/a.js", 1);
    let far = json!({"line": u32::MAX, "character": u32::MAX});
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "file:///p/a.js"}, "position": far}),
    );
    assert!(hover.is_ok(), "{hover:?}");
    c.change(
        "file:///p/a.js",
        2,
        vec![json!({"range": {"start": far, "end": {"line": 0, "character": 0}}, "text": "x"})],
    );
    c.published("file:///p/a.js", 2);
    assert!(c.shutdown_and_exit().success(), "{}", c.stderr());
}

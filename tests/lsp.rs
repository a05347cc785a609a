//! Integration tests for `vigil serve`: each drives the real binary over stdio with the
//! typed client in `support/lsp_client.rs` and checks what a user's editor would see.
//! Expected findings come from the engine run on the same text, and positions are
//! converted by the client's own implementation, so both sides are checked.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::time::Duration;

use lsp_client::{
    Encoding, LspClient, TIMEOUT, apply_edits, offset, pull_client_caps, push_client_caps,
};
use serde_json::{Value, json};
use vigil::engine::{Confidence, Document, Language, RuleFilter, RuleSet, analyze};

const JS_URI: &str = "file:///work/app/hash.js";
const GO_URI: &str = "file:///work/app/main.go";

const JS_VULNERABLE: &str = "const crypto = require('crypto');\n\
// 😀 emoji and 中文 before the finding\n\
const label = '日本語😀'; const digest = crypto.createHash('md5').update(label).digest('hex');\n\
const other = crypto.createHash(\"sha1\");\n";

const GO_VULNERABLE: &str = "package main\n\nimport (\n\t\"crypto/md5\"\n\t\"fmt\"\n)\n\n\
func main() {\n\t// héllo 😀 世界\n\tfmt.Printf(\"%x\\n\", md5.Sum([]byte(\"héllo 😀\")))\n}\n";

/// An organisation rule with a safe fix, and a low-confidence one, loaded through
/// `vigil.extraRuleDirs`.
const ORG_SAFE_RULE: &str = r##"
id = "org/tls-verify-off"
title = "TLS certificate verification disabled"
language = "javascript"
severity = "high"
confidence = "high"
cwe = [295]
owasp = ["A07:2021-Identification and Authentication Failures"]
message = "`rejectUnauthorized: false` accepts any certificate."
explanation = """
## What it finds
TLS options that turn certificate checks off.

## Why is this bad?
Anyone on the network path can impersonate the server.

## Use instead
Keep `rejectUnauthorized: true` and trust the right CA.

## Fix
Sets the option to `true`.
"""
query = """
(pair
  key: (property_identifier) @key
  value: (false) @finding
  (#eq? @key "rejectUnauthorized"))
"""

[[fixes]]
title = "Verify certificates"
applicability = "safe"
[[fixes.edits]]
capture = "finding"
text = "true"
"##;

const ORG_LOW_CONFIDENCE_RULE: &str = r###"
id = "org/todo-security"
title = "Security TODO"
language = "javascript"
severity = "low"
confidence = "low"
cwe = [1078]
owasp = ["A04:2021-Insecure Design"]
message = "security TODO left in code"
explanation = "## What it finds\nA call named `securityTodo`.\n"
query = """
(call_expression function: (identifier) @f (#eq? @f "securityTodo")) @finding
"""
"###;

fn org_rules_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tls.toml"), ORG_SAFE_RULE).unwrap();
    std::fs::write(dir.path().join("todo.toml"), ORG_LOW_CONFIDENCE_RULE).unwrap();
    dir
}

fn push_client() -> LspClient {
    let mut c = LspClient::spawn(&[], &[]);
    c.initialize(push_client_caps(), json!({"debounceMs": 0}));
    c
}

fn pull_client() -> LspClient {
    let mut c = LspClient::spawn(&[], &[]);
    c.initialize(pull_client_caps(), json!({"debounceMs": 0}));
    c
}

/// (rule id, range, message) of each diagnostic.
fn summary(diagnostics: &[Value]) -> Vec<(String, Value, String)> {
    let mut out: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["range"].clone(),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort_by_key(|a| a.1.to_string());
    out
}

/// What the engine finds in `text` with the editor's default filter (medium
/// confidence and up), as the same summary.
fn engine_summary(
    language: Language,
    text: &str,
    enc: Encoding,
    rules: &RuleSet,
) -> Vec<(String, Value, String)> {
    let doc = Document::new(language, text);
    let filter = RuleFilter {
        min_confidence: Some(Confidence::Medium),
        ..RuleFilter::default()
    };
    let mut out: Vec<_> = analyze(&doc, rules, &filter)
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.id.clone(),
                json!({
                    "start": lsp_client::position(text, f.range.start, enc),
                    "end": lsp_client::position(text, f.range.end, enc),
                }),
                f.message.clone(),
            )
        })
        .collect();
    out.sort_by_key(|a| a.1.to_string());
    out
}

fn builtin_summary(language: Language, text: &str, enc: Encoding) -> Vec<(String, Value, String)> {
    engine_summary(language, text, enc, RuleSet::builtin())
}

fn parses_cleanly(language: Language, text: &str) -> bool {
    !Document::new(language, text).has_syntax_errors()
}

fn text_change(text: &str, start: usize, end: usize, new: &str, enc: Encoding) -> Value {
    json!({
        "range": {
            "start": lsp_client::position(text, start, enc),
            "end": lsp_client::position(text, end, enc),
        },
        "text": new,
    })
}

#[test]
fn initialize_negotiates_encoding_and_advertises_capabilities() {
    let mut push = LspClient::spawn(&[], &[]);
    let result = push.initialize(push_client_caps(), Value::Null);
    let caps = &result["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(caps["textDocumentSync"]["openClose"], true);
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(
        caps["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix", "source.fixAll.vigil"])
    );
    assert!(
        caps.get("diagnosticProvider").is_none(),
        "a client that cannot pull gets pushed diagnostics only"
    );
    assert_eq!(result["serverInfo"]["name"], "vigil");
    assert!(push.shutdown_and_exit().success());

    let mut pull = LspClient::spawn(&[], &[]);
    let result = pull.initialize(pull_client_caps(), Value::Null);
    let caps = &result["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-8");
    assert_eq!(caps["diagnosticProvider"]["interFileDependencies"], false);
    assert_eq!(caps["diagnosticProvider"]["workspaceDiagnostics"], false);
    assert!(pull.shutdown_and_exit().success());
}

#[test]
fn pushed_diagnostics_equal_engine_findings_in_utf16() {
    let mut c = push_client();
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    c.open(GO_URI, "go", 7, GO_VULNERABLE);
    let js = c.published(JS_URI, 1);
    let go = c.published(GO_URI, 7);
    let expected_js = builtin_summary(Language::JavaScript, JS_VULNERABLE, Encoding::Utf16);
    assert_eq!(expected_js.len(), 2, "the fixture has two weak hashes");
    assert_eq!(summary(&js), expected_js);
    let expected_go = builtin_summary(Language::Go, GO_VULNERABLE, Encoding::Utf16);
    assert_eq!(expected_go.len(), 1);
    assert_eq!(summary(&go), expected_go);
    // The finding after the emoji: UTF-16 columns count the surrogate pair as two.
    let md5 = JS_VULNERABLE.find("'md5'").unwrap();
    assert_eq!(
        js.iter()
            .find(|d| d["message"].as_str().unwrap().contains("md5"))
            .unwrap()["range"]["start"],
        lsp_client::position(JS_VULNERABLE, md5, Encoding::Utf16)
    );
    let d = &js[0];
    assert_eq!(d["source"], "vigil");
    assert_eq!(d["severity"], 2, "medium is a warning");
    assert_eq!(
        d["codeDescription"]["href"],
        "https://vigil.dev/rules/js/weak-hash"
    );
    assert_eq!(d["data"]["version"], 1);
    assert_eq!(d["data"]["fixes"][0]["title"], "Use SHA-256");
    // No pull support: nothing else is needed for the client to see them.
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn pulled_diagnostics_equal_engine_findings_in_utf8_and_nothing_is_pushed() {
    let mut c = pull_client();
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    let items = c.pull(JS_URI).unwrap();
    assert_eq!(
        summary(&items),
        builtin_summary(Language::JavaScript, JS_VULNERABLE, Encoding::Utf8)
    );
    // UTF-8 columns count bytes: the emoji is four.
    let md5 = JS_VULNERABLE.find("'md5'").unwrap();
    let line_start = JS_VULNERABLE[..md5].rfind('\n').unwrap() + 1;
    assert!(
        items
            .iter()
            .any(|d| d["range"]["start"]["character"] == md5 - line_start)
    );
    // The same result again is reported as unchanged.
    let first = c
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": JS_URI}}),
        )
        .unwrap();
    let again = c
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": JS_URI}, "previousResultId": first["resultId"]}),
        )
        .unwrap();
    assert_eq!(again["kind"], "unchanged");
    assert_eq!(again["resultId"], first["resultId"]);
    // A document that is not open has nothing to report.
    assert_eq!(c.pull("file:///not/open.js").unwrap(), Vec::<Value>::new());
    c.drain_for(Duration::from_millis(300));
    assert!(
        !c.history
            .iter()
            .any(|n| n["method"] == "textDocument/publishDiagnostics"),
        "a pulling client must not also get pushed diagnostics (duplicates)"
    );
    assert!(c.shutdown_and_exit().success());
}

/// Applies a sequence of incremental edits in and around emoji and CJK text, checking
/// after each version that the diagnostics equal the engine's on the client's text.
fn incremental_edits_in(encoding_caps: Value) {
    let mut c = LspClient::spawn(&[], &[]);
    c.initialize(encoding_caps, json!({"debounceMs": 0}));
    let enc = c.encoding;
    let pull = matches!(enc, Encoding::Utf8);
    let mut text = JS_VULNERABLE.to_string();
    c.open(JS_URI, "javascript", 1, &text);
    let check = |c: &mut LspClient, text: &str, version: i32| {
        let got = if pull {
            c.pull(JS_URI).unwrap()
        } else {
            c.published(JS_URI, version)
        };
        assert_eq!(
            summary(&got),
            builtin_summary(Language::JavaScript, text, enc),
            "version {version}:\n{text}"
        );
    };
    check(&mut c, &text, 1);

    // Each step is one didChange with these changes, in order: (anchor text, bytes
    // into the anchor where the change starts, bytes removed, new text). Offsets are
    // computed on the client's text; the change is sent in the negotiated encoding.
    const TO_LINE_END: usize = usize::MAX;
    let steps: Vec<Vec<(&str, usize, usize, &str)>> = vec![
        // Insert right after the emoji in the string (after a surrogate pair).
        vec![("😀'", 4, 0, "x")],
        // Insert right before the emoji and, in the same notification, after 中文.
        vec![("😀x'", 0, 0, "🎉"), ("中文", 6, 0, "字")],
        // Replace a run of CJK and emoji with ASCII.
        vec![("日本語🎉😀x", 0, "日本語🎉😀x".len(), "plain")],
        // Turn md5 into sha256: that finding goes away.
        vec![("md5", 0, 3, "sha256")],
        // Bring a weak hash back, before a comment with an emoji.
        vec![("// 😀", 0, 0, "const 変数 = crypto.createHash('md4'); ")],
        // Delete a whole line including its newline.
        vec![("const other", 0, TO_LINE_END, "")],
    ];
    let mut version = 1;
    for step in steps {
        let mut changes = Vec::new();
        for (anchor, into, len, new) in step {
            let at = text
                .find(anchor)
                .unwrap_or_else(|| panic!("{anchor} in {text}"));
            let start = at + into;
            let end = if len == TO_LINE_END {
                start + text[start..].find('\n').unwrap() + 1
            } else {
                start + len
            };
            changes.push(text_change(&text, start, end, new, enc));
            text.replace_range(start..end, new);
        }
        version += 1;
        c.change(JS_URI, version, changes);
        check(&mut c, &text, version);
    }
    assert!(text.contains("変数"));
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn incremental_edits_around_multibyte_text_utf16() {
    incremental_edits_in(push_client_caps());
}

#[test]
fn incremental_edits_around_multibyte_text_utf8() {
    incremental_edits_in(pull_client_caps());
}

#[test]
fn full_text_change_replaces_the_document() {
    let mut c = push_client();
    c.open(GO_URI, "go", 1, "package main\n");
    assert!(c.published(GO_URI, 1).is_empty());
    c.change(GO_URI, 2, vec![json!({"text": GO_VULNERABLE})]);
    assert_eq!(
        summary(&c.published(GO_URI, 2)),
        builtin_summary(Language::Go, GO_VULNERABLE, Encoding::Utf16)
    );
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn stale_and_out_of_order_versions_never_yield_old_diagnostics() {
    let mut c = push_client();
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    assert_eq!(c.published(JS_URI, 1).len(), 2);
    let clean = "const crypto = require('crypto');\ncrypto.createHash('sha256');\n";
    c.change(JS_URI, 5, vec![json!({"text": clean})]);
    assert!(c.published(JS_URI, 5).is_empty());
    // A late change with an older version (and a replay of version 5) describes old
    // text: it is ignored.
    c.change(JS_URI, 3, vec![json!({"text": JS_VULNERABLE})]);
    c.change(JS_URI, 5, vec![json!({"text": JS_VULNERABLE})]);
    // The next real change applies to the version 5 text.
    let at = clean.find("sha256").unwrap();
    c.change(
        JS_URI,
        6,
        vec![text_change(clean, at, at + 6, "md5", Encoding::Utf16)],
    );
    let now = clean.replace("sha256", "md5");
    let diags = c.published(JS_URI, 6);
    assert_eq!(
        summary(&diags),
        builtin_summary(Language::JavaScript, &now, Encoding::Utf16)
    );
    assert_eq!(diags.len(), 1);
    c.drain_for(Duration::from_millis(300));
    let versions: Vec<i64> = c
        .history
        .iter()
        .filter(|n| n["method"] == "textDocument/publishDiagnostics")
        .map(|n| n["params"]["version"].as_i64().unwrap())
        .collect();
    assert_eq!(
        versions,
        [1, 5, 6],
        "nothing published for ignored versions"
    );
    assert!(c.stderr_contains("ignoring change"));
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn latest_version_wins_and_requests_are_answered_during_analysis() {
    let mut c = LspClient::spawn(&[("VIGIL_TEST_SLOW_ON", "__slow__")], &[]);
    c.initialize(push_client_caps(), json!({"debounceMs": 0}));
    // Version 1 takes two seconds to analyse; version 2 arrives meanwhile.
    let slow = format!("// __slow__\n{JS_VULNERABLE}");
    c.open(JS_URI, "javascript", 1, &slow);
    c.drain_for(Duration::from_millis(200));
    // While that analysis runs, another document is opened and answered.
    c.open(GO_URI, "go", 1, GO_VULNERABLE);
    let hover_pos = lsp_client::position(
        GO_VULNERABLE,
        GO_VULNERABLE.find("md5.Sum").unwrap(),
        Encoding::Utf16,
    );
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": GO_URI}, "position": hover_pos}),
        )
        .unwrap();
    assert!(hover["contents"]["value"].as_str().unwrap().contains("MD5"));
    let go_answered_at = c.history.len();
    c.change(JS_URI, 2, vec![json!({"text": JS_VULNERABLE})]);
    assert_eq!(c.published(JS_URI, 2).len(), 2);
    c.drain_for(Duration::from_millis(2500));
    let js_versions: Vec<i64> = c
        .history
        .iter()
        .filter(|n| {
            n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == JS_URI
        })
        .map(|n| n["params"]["version"].as_i64().unwrap())
        .collect();
    assert_eq!(
        js_versions,
        [2],
        "the superseded analysis of v1 was dropped"
    );
    let js_first = c
        .history
        .iter()
        .position(|n| {
            n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == JS_URI
        })
        .unwrap();
    assert!(
        go_answered_at <= js_first + 1,
        "the hover was answered before the slow analysis ended"
    );
    assert!(c.shutdown_and_exit().success());
}

/// Requests the quick fixes for the first diagnostic, applies the one titled `title`
/// client-side, syncs the edit as incremental changes and returns the new text and
/// the diagnostics of the new version.
fn apply_quick_fix(
    c: &mut LspClient,
    uri: &str,
    language: Language,
    text: &str,
    version: i32,
    diagnostic: &Value,
    title: &str,
) -> (String, Vec<Value>, Value) {
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri},
                "range": diagnostic["range"],
                "context": {"diagnostics": [diagnostic], "only": ["quickfix"]},
            }),
        )
        .unwrap();
    let action = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == title)
        .unwrap_or_else(|| panic!("no action `{title}` in {actions}"))
        .clone();
    assert_eq!(action["kind"], "quickfix");
    let edits: Vec<Value> = if let Some(dc) = action["edit"]["documentChanges"].as_array() {
        assert_eq!(dc[0]["textDocument"]["version"], version, "versioned edit");
        assert_eq!(dc[0]["textDocument"]["uri"], uri);
        dc[0]["edits"].as_array().unwrap().clone()
    } else {
        action["edit"]["changes"][uri].as_array().unwrap().clone()
    };
    let enc = c.encoding;
    let fixed = apply_edits(text, &edits, enc);
    assert!(
        parses_cleanly(language, &fixed),
        "fixed text parses:\n{fixed}"
    );
    // Sync as an editor does: the edits as incremental changes, last first so each
    // range is still valid when applied.
    let mut sorted = edits.clone();
    sorted.sort_by_key(|e| std::cmp::Reverse(offset(text, &e["range"]["start"], enc)));
    let changes: Vec<Value> = sorted
        .iter()
        .map(|e| json!({"range": e["range"], "text": e["newText"]}))
        .collect();
    c.change(uri, version + 1, changes);
    let diags = if c.encoding == Encoding::Utf8 {
        c.pull(uri).unwrap()
    } else {
        c.published(uri, version + 1)
    };
    (fixed, diags, action)
}

#[test]
fn quick_fix_round_trip_javascript_push() {
    let mut c = push_client();
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    let diags = c.published(JS_URI, 1);
    let md5 = diags
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("md5"))
        .unwrap()
        .clone();
    let (fixed, after, action) = apply_quick_fix(
        &mut c,
        JS_URI,
        Language::JavaScript,
        JS_VULNERABLE,
        1,
        &md5,
        "Use SHA-256",
    );
    assert_eq!(
        action["isPreferred"], false,
        "a behaviour-changing fix is not preferred"
    );
    assert_eq!(fixed, JS_VULNERABLE.replace("'md5'", "'sha256'"));
    assert_eq!(after.len(), 1, "only the sha1 finding is left");
    assert!(!after[0]["message"].as_str().unwrap().contains("md5"));
    assert_eq!(
        summary(&after),
        builtin_summary(Language::JavaScript, &fixed, Encoding::Utf16)
    );
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn quick_fix_round_trip_go_with_import_edits_pull() {
    let mut c = pull_client();
    c.open(GO_URI, "go", 3, GO_VULNERABLE);
    let diags = c.pull(GO_URI).unwrap();
    assert_eq!(diags.len(), 1);
    let (fixed, after, _) = apply_quick_fix(
        &mut c,
        GO_URI,
        Language::Go,
        GO_VULNERABLE,
        3,
        &diags[0],
        "Use sha256.Sum256",
    );
    assert!(fixed.contains("\"crypto/sha256\""), "{fixed}");
    assert!(
        !fixed.contains("crypto/md5"),
        "unused import removed:\n{fixed}"
    );
    assert!(fixed.contains("sha256.Sum256([]byte(\"héllo 😀\"))"));
    assert!(after.is_empty(), "{after:?}");
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn stale_diagnostics_get_no_fixes() {
    let mut c = push_client();
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    let old = c.published(JS_URI, 1)[0].clone();
    c.change(JS_URI, 2, vec![json!({"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "\n\n"})]);
    c.published(JS_URI, 2);
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": JS_URI}, "range": old["range"], "context": {"diagnostics": [old]}}),
        )
        .unwrap();
    assert_eq!(
        actions,
        json!([]),
        "edits for version 1 would corrupt version 2"
    );
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn suppress_action_inserts_a_justified_comment_above() {
    let mut c = push_client();
    let text = "const crypto = require('crypto');\nfunction f(d) {\n    return crypto.createHash('md5').update(d);\n}\n";
    c.open(JS_URI, "javascript", 1, text);
    let diags = c.published(JS_URI, 1);
    let (fixed, after, action) = apply_quick_fix(
        &mut c,
        JS_URI,
        Language::JavaScript,
        text,
        1,
        &diags[0],
        "Suppress js/weak-hash here",
    );
    assert_eq!(action["isPreferred"], false);
    assert_eq!(
        fixed,
        "const crypto = require('crypto');\nfunction f(d) {\n    // vigil-ignore[js/weak-hash]: <justification>\n    return crypto.createHash('md5').update(d);\n}\n"
    );
    // The finding is suppressed; the placeholder counts as no justification, so the
    // editor now asks for one, on the marker.
    assert_eq!(
        summary(&after),
        [(
            "vigil/suppression-no-justification".to_string(),
            json!({"start": {"line": 2, "character": 7}, "end": {"line": 2, "character": 50}}),
            "suppression of js/weak-hash has no justification: say why it is safe after `:`"
                .to_string()
        )]
    );
    // Vigil's own findings are fixed by editing the comment, not suppressed.
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": JS_URI}, "range": after[0]["range"], "context": {"diagnostics": [after[0]], "only": ["quickfix"]}}),
        )
        .unwrap();
    assert_eq!(actions, json!([]));
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn safe_fix_is_preferred_and_fix_all_applies_every_safe_fix() {
    let dir = org_rules_dir();
    let mut c = LspClient::spawn(&[], &[]);
    c.initialize(
        pull_client_caps(),
        // Only the organisation rules and one built-in rule, so the expectations do
        // not move as the built-in packs grow.
        json!({"debounceMs": 0, "extraRuleDirs": [dir.path()], "rules": {"select": ["org/", "js/weak-hash"]}}),
    );
    let text = "const https = require('https');\nconst crypto = require('crypto');\n\
https.get({ host: 'a', rejectUnauthorized: false });\n\
const agent = new https.Agent({ rejectUnauthorized: false, keepAlive: true });\n\
crypto.createHash('md5');\n";
    c.open(JS_URI, "javascript", 1, text);
    let diags = c.pull(JS_URI).unwrap();
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        ["org/tls-verify-off", "org/tls-verify-off", "js/weak-hash"]
    );
    assert_eq!(diags[0]["severity"], 1, "high is an error");

    let actions = c
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": JS_URI}, "range": diags[0]["range"], "context": {"diagnostics": [diags[0]], "only": ["quickfix"]}}),
        )
        .unwrap();
    let verify = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Verify certificates")
        .unwrap();
    assert_eq!(verify["isPreferred"], true, "the safe fix is preferred");
    assert!(
        !actions
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "source.fixAll.vigil"),
        "only quick fixes were asked for"
    );

    let actions = c
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": JS_URI}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
        )
        .unwrap();
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.vigil");
    let dc = &actions[0]["edit"]["documentChanges"][0];
    assert_eq!(dc["textDocument"]["version"], 1);
    let fixed = apply_edits(text, dc["edits"].as_array().unwrap(), c.encoding);
    assert_eq!(
        fixed,
        text.replace("rejectUnauthorized: false", "rejectUnauthorized: true"),
        "safe fixes applied, the behaviour-changing md5 fix not"
    );
    c.change(JS_URI, 2, vec![json!({"text": fixed})]);
    let after = c.pull(JS_URI).unwrap();
    let codes: Vec<&str> = after.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["js/weak-hash"]);
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn clients_without_document_changes_get_plain_changes() {
    let mut c = push_client();
    c.open(GO_URI, "go", 1, GO_VULNERABLE);
    let diags = c.published(GO_URI, 1);
    let (_, after, action) = apply_quick_fix(
        &mut c,
        GO_URI,
        Language::Go,
        GO_VULNERABLE,
        1,
        &diags[0],
        "Use sha256.Sum256",
    );
    assert!(action["edit"]["documentChanges"].is_null());
    assert!(action["edit"]["changes"][GO_URI].is_array());
    assert!(after.is_empty());
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn hover_explains_the_finding() {
    let mut c = pull_client();
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    let at = JS_VULNERABLE.find("'md5'").unwrap() + 2;
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": JS_URI}, "position": c.position(JS_VULNERABLE, at)}),
        )
        .unwrap();
    assert_eq!(hover["contents"]["kind"], "markdown");
    let md = hover["contents"]["value"].as_str().unwrap();
    for needle in [
        "Weak hash algorithm (MD5, SHA-1)",
        "js/weak-hash",
        "Why is this dangerous?",
        "practical collision attacks",
        "Secure alternative",
        "createHash('sha256')",
        "[CWE-328](https://cwe.mitre.org/data/definitions/328.html)",
        "(https://owasp.org/Top10/A02_2021-Cryptographic_Failures/)",
        "Confidence: **high**",
    ] {
        assert!(md.contains(needle), "hover lacks {needle:?}:\n{md}");
    }
    let start = JS_VULNERABLE.find("'md5'").unwrap();
    assert_eq!(hover["range"], c.range(JS_VULNERABLE, start, start + 5));
    let elsewhere = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": JS_URI}, "position": {"line": 0, "character": 2}}),
        )
        .unwrap();
    assert!(elsewhere.is_null());
    assert!(c.shutdown_and_exit().success());
}

fn wait_for_refresh(c: &mut LspClient, count: usize) {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while c.refreshes < count {
        assert!(
            std::time::Instant::now() < deadline,
            "no diagnostic refresh"
        );
        c.pump(Duration::from_millis(50));
    }
}

#[test]
fn configuration_from_init_options_workspace_and_changes() {
    let dir = org_rules_dir();
    let mut c = LspClient::spawn(&[], &[]);
    // Workspace settings (answered to workspace/configuration) overlay the
    // initialization options.
    c.settings = json!({"rules": {"severity": {"js/weak-hash": "critical"}}});
    c.initialize(
        pull_client_caps(),
        json!({"vigil": {"debounceMs": 0, "extraRuleDirs": [dir.path()]}}),
    );
    let text = "const crypto = require('crypto');\ncrypto.createHash('md5');\nsecurityTodo();\n";
    c.open(JS_URI, "javascript", 1, text);
    // The workspace settings arrive after `initialized`; pulling clients are then
    // asked to refresh.
    wait_for_refresh(&mut c, 1);
    let diags = c.pull(JS_URI).unwrap();
    assert!(
        c.history
            .iter()
            .any(|m| m["method"] == "client/registerCapability"),
        "registered for configuration changes"
    );
    assert_eq!(
        diags.len(),
        1,
        "the low-confidence rule is hidden by default: {diags:?}"
    );
    assert_eq!(
        diags[0]["severity"], 1,
        "severity override: critical is an error"
    );

    // Change: show low confidence, ignore the weak hash rule, plus one bad value.
    c.settings = json!({"minConfidence": "low", "rules": {"ignore": ["js/weak-hash"]}, "debounceMs": "soon"});
    let refreshes = c.refreshes;
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    wait_for_refresh(&mut c, refreshes + 1);
    let shown = c
        .wait_notification("window/showMessage", TIMEOUT, |_| true)
        .expect("invalid setting reported");
    assert_eq!(shown["type"], 2, "a warning");
    assert!(
        shown["message"]
            .as_str()
            .unwrap()
            .contains("vigil.debounceMs"),
        "{shown}"
    );
    let diags = c.pull(JS_URI).unwrap();
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["org/todo-security"]);
    c.drain_for(Duration::from_millis(100));
    assert!(
        c.refreshes > refreshes,
        "pulling clients are asked to refresh"
    );

    // A file-size limit below the file: one informational diagnostic, no analysis.
    c.settings = json!({"maxFileSize": 20});
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    c.drain_for(Duration::from_millis(200));
    let diags = c.pull(JS_URI).unwrap();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "vigil/file-too-large");
    assert_eq!(diags[0]["severity"], 3);
    // Shrinking the file below the limit brings analysis back.
    c.change(JS_URI, 2, vec![json!({"text": "let x = 1;\n"})]);
    assert_eq!(c.pull(JS_URI).unwrap(), Vec::<Value>::new());
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn push_clients_take_settings_from_the_notification() {
    let mut c = push_client();
    c.open(GO_URI, "go", 1, GO_VULNERABLE);
    assert_eq!(c.published(GO_URI, 1).len(), 1);
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"vigil": {"rules": {"select": ["js/"]}, "debounceMs": 0}}}),
    );
    let params = c
        .wait_notification("textDocument/publishDiagnostics", TIMEOUT, |p| {
            p["uri"] == GO_URI
        })
        .unwrap();
    assert_eq!(
        params["diagnostics"],
        json!([]),
        "Go rules are no longer selected"
    );
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn a_panic_in_analysis_is_contained_to_that_request() {
    let mut c = LspClient::spawn(&[("VIGIL_TEST_PANIC_ON", "__boom__")], &[]);
    c.initialize(pull_client_caps(), json!({"debounceMs": 0}));
    let boom = format!("// __boom__\n{JS_VULNERABLE}");
    c.open(JS_URI, "javascript", 1, &boom);
    c.open(GO_URI, "go", 1, GO_VULNERABLE);
    let err = c.pull(JS_URI).unwrap_err();
    assert_eq!(err["code"], -32603, "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("panicked"),
        "{err}"
    );
    assert_eq!(err["data"]["retriggerRequest"], false);
    // Other documents and later versions are served as usual.
    assert_eq!(c.pull(GO_URI).unwrap().len(), 1);
    c.change(JS_URI, 2, vec![json!({"text": JS_VULNERABLE})]);
    assert_eq!(c.pull(JS_URI).unwrap().len(), 2);
    let logged = c.wait_notification("window/logMessage", TIMEOUT, |p| {
        p["type"] == 1 && p["message"].as_str().unwrap().contains("panicked")
    });
    assert!(logged.is_some(), "the panic is logged to the client");
    assert!(c.stderr_contains("panicked"));
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn did_close_clears_diagnostics() {
    let mut c = push_client();
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    assert_eq!(c.published(JS_URI, 1).len(), 2);
    c.close(JS_URI);
    let params = c
        .wait_notification("textDocument/publishDiagnostics", TIMEOUT, |p| {
            p["uri"] == JS_URI
        })
        .unwrap();
    assert_eq!(params["diagnostics"], json!([]));
    // Changes to a closed document are ignored, not crashes.
    c.change(JS_URI, 2, vec![json!({"text": "x"})]);
    assert!(
        c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": JS_URI}, "position": {"line": 0, "character": 0}})
        )
        .unwrap()
        .is_null()
    );
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn protocol_errors_get_proper_answers() {
    let mut c = LspClient::spawn(&[], &[]);
    // Before initialize: "server not initialized".
    let err = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": JS_URI}, "position": {"line": 0, "character": 0}}),
        )
        .unwrap_err();
    assert_eq!(err["code"], -32002);
    // Malformed JSON: a parse error, and the server keeps going.
    c.send_raw(b"Content-Length: 12\r\n\r\n{not json!!}");
    let deadline = std::time::Instant::now() + TIMEOUT;
    while c.history.is_empty() && !c.pump(Duration::from_millis(50)) {
        assert!(std::time::Instant::now() < deadline);
    }
    let parse_error = c.response(-1).unwrap_err();
    assert_eq!(parse_error["code"], -32700);
    c.initialize(push_client_caps(), Value::Null);
    // Unknown methods: "method not found" for requests, silence for notifications.
    let err = c.request("vigil/noSuchThing", json!({})).unwrap_err();
    assert_eq!(err["code"], -32601);
    c.notify("$/noSuchNotification", json!({}));
    c.notify("textDocument/didOpen", json!({"bogus": true}));
    // Unknown languages are not analysed.
    c.open("file:///a/notes.py", "python", 1, "eval(x)\n");
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    assert_eq!(c.published(JS_URI, 1).len(), 2);
    assert!(
        !c.history
            .iter()
            .any(|n| n["params"]["uri"] == "file:///a/notes.py"),
        "nothing for a Python file"
    );
    let status = c.shutdown_and_exit();
    assert_eq!(status.code(), Some(0));
}

/// Valid JSON-RPC that tower-lsp-server cannot decode (an id of 1.5, a key given
/// twice) once ended the session: it stopped reading input after answering it. Found
/// by the `lsp_framing` fuzz target.
#[test]
fn undecodable_json_rpc_is_answered_and_the_session_goes_on() {
    let mut c = LspClient::spawn(&[], &[]);
    let bad: [&[u8]; 2] = [
        br#"{"jsonrpc":"2.0","id":1.5,"method":"initialize","params":{}}"#,
        br#"{"jsonrpc":"2.0","id":"twice","method":"shutdown","method":"exit"}"#,
    ];
    for body in bad {
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(body);
        c.send_raw(&frame);
    }
    c.initialize(push_client_caps(), Value::Null);
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    assert_eq!(c.published(JS_URI, 1).len(), 2);
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn exit_is_prompt_and_leaves_no_process() {
    // Exit without shutdown: status 1, per the specification.
    let mut c = push_client();
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    c.notify("exit", Value::Null);
    let status = c.wait_exit(Duration::from_secs(5)).expect("exits promptly");
    assert_eq!(status.code(), Some(1));

    // Exit while an analysis is still running, with stdin left open.
    let mut c = LspClient::spawn(&[("VIGIL_TEST_SLOW_ON", "__slow__")], &[]);
    c.initialize(push_client_caps(), json!({"debounceMs": 0}));
    let pid = c.pid();
    c.open(JS_URI, "javascript", 1, "// __slow__\n");
    c.drain_for(Duration::from_millis(100));
    let started = std::time::Instant::now();
    assert!(c.shutdown_and_exit().success());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "exit does not wait for the running analysis"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "no process left"
    );

    // The client dies (stdin closes): the server ends too.
    let mut c = push_client();
    c.close_stdin();
    assert!(c.wait_exit(Duration::from_secs(5)).is_some());
}

#[test]
fn logs_go_to_stderr_and_the_client_never_to_stdout() {
    let mut c = LspClient::spawn(&[], &["--log-level", "debug"]);
    c.initialize(push_client_caps(), json!({"debounceMs": 0}));
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    c.published(JS_URI, 1);
    c.drain_for(Duration::from_millis(200));
    // Every byte on stdout was framed LSP (the client panics otherwise).
    assert!(
        c.stderr_contains("analysed file:///work/app/hash.js v1"),
        "{}",
        c.stderr()
    );
    let logged = c.wait_notification("window/logMessage", TIMEOUT, |p| {
        p["message"].as_str().unwrap().contains("analysed")
    });
    assert!(logged.is_some(), "debug logs reach the client too");
    assert!(c.shutdown_and_exit().success());

    let mut quiet = LspClient::spawn(&[], &["--log-level", "error"]);
    quiet.initialize(push_client_caps(), json!({"debounceMs": 0}));
    quiet.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    quiet.published(JS_URI, 1);
    assert!(quiet.shutdown_and_exit().success());
    assert!(!quiet.stderr().contains("analysed"));
}

#[test]
fn documents_whose_trees_were_dropped_are_still_served() {
    // A budget of one byte keeps only the tree of the document analysed last.
    let mut c = LspClient::spawn(
        &[("VIGIL_TEST_TREE_BUDGET", "1")],
        &["--log-level", "debug"],
    );
    c.initialize(pull_client_caps(), json!({"debounceMs": 0}));
    c.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    let diags = c.pull(JS_URI).unwrap();
    c.open(GO_URI, "go", 1, GO_VULNERABLE);
    assert_eq!(c.pull(GO_URI).unwrap().len(), 1);
    c.drain_for(Duration::from_millis(100));
    assert!(
        c.stderr_contains(&format!("parked the tree of {JS_URI}")),
        "{}",
        c.stderr()
    );
    // Hover and quick fixes parse the parked text again.
    let at = JS_VULNERABLE.find("'md5'").unwrap();
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": JS_URI}, "position": c.position(JS_VULNERABLE, at)}),
        )
        .unwrap();
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("js/weak-hash")
    );
    let md5 = diags
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("md5"))
        .unwrap()
        .clone();
    let (fixed, after, _) = apply_quick_fix(
        &mut c,
        JS_URI,
        Language::JavaScript,
        JS_VULNERABLE,
        1,
        &md5,
        "Use SHA-256",
    );
    assert_eq!(
        summary(&after),
        builtin_summary(Language::JavaScript, &fixed, Encoding::Utf8)
    );
    assert!(c.shutdown_and_exit().success());
}

/// The findings `vigil check --format json` reports for `text` saved as `file_name`,
/// as the same (rule, LSP range, message) summary.
fn cli_summary(file_name: &str, text: &str, enc: Encoding) -> Vec<(String, Value, String)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file_name);
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["check", "--format", "json", "--min-confidence", "medium"])
        .arg(&path)
        .output()
        .expect("run vigil check");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "vigil check JSON: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let mut found: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let start = f["byte_range"]["start"].as_u64().unwrap() as usize;
            let end = f["byte_range"]["end"].as_u64().unwrap() as usize;
            (
                f["rule_id"].as_str().unwrap().to_string(),
                json!({
                    "start": lsp_client::position(text, start, enc),
                    "end": lsp_client::position(text, end, enc),
                }),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort_by_key(|a| a.1.to_string());
    found
}

#[test]
fn diagnostics_equal_the_cli_findings_for_the_same_text() {
    let mut push = push_client();
    push.open(JS_URI, "javascript", 1, JS_VULNERABLE);
    push.open(GO_URI, "go", 1, GO_VULNERABLE);
    let js = cli_summary("hash.js", JS_VULNERABLE, Encoding::Utf16);
    assert!(!js.is_empty());
    assert_eq!(summary(&push.published(JS_URI, 1)), js);
    assert_eq!(
        summary(&push.published(GO_URI, 1)),
        cli_summary("main.go", GO_VULNERABLE, Encoding::Utf16)
    );
    assert!(push.shutdown_and_exit().success());

    let mut pull = pull_client();
    pull.open(GO_URI, "go", 1, GO_VULNERABLE);
    assert_eq!(
        summary(&pull.pull(GO_URI).unwrap()),
        cli_summary("main.go", GO_VULNERABLE, Encoding::Utf8)
    );
    assert!(pull.shutdown_and_exit().success());
}

/// Applies the "Suppress <rule> here" action to the first diagnostic and returns the
/// new text and the diagnostics that remain.
fn suppress_first(
    c: &mut LspClient,
    uri: &str,
    language: Language,
    text: &str,
    rule: &str,
) -> (String, Vec<Value>) {
    let diags = c.published(uri, 1);
    let first = diags
        .iter()
        .find(|d| d["code"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {diags:?}"));
    let (fixed, after, _) = apply_quick_fix(
        c,
        uri,
        language,
        text,
        1,
        first,
        &format!("Suppress {rule} here"),
    );
    (fixed, after)
}

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect()
}

#[test]
fn suppress_action_writes_a_jsx_comment_among_jsx_children() {
    let mut c = push_client();
    let uri = "file:///work/app/page.jsx";
    let text = "export function Page({ html }) {\n  return (\n    <div>\n      <p dangerouslySetInnerHTML={{ __html: html }} />\n    </div>\n  );\n}\n";
    c.open(uri, "javascriptreact", 1, text);
    let (fixed, after) = suppress_first(
        &mut c,
        uri,
        Language::JavaScript,
        text,
        "js/react-dangerous-html",
    );
    assert_eq!(
        fixed,
        text.replace(
            "      <p",
            "      {/* vigil-ignore[js/react-dangerous-html]: <justification> */}\n      <p"
        )
    );
    assert_eq!(codes(&after), ["vigil/suppression-no-justification"]);
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn suppress_action_in_go_keeps_go_valid_and_suppresses() {
    let mut c = push_client();
    let (fixed, after) = {
        c.open(GO_URI, "go", 1, GO_VULNERABLE);
        suppress_first(
            &mut c,
            GO_URI,
            Language::Go,
            GO_VULNERABLE,
            "go/weak-hash-md5",
        )
    };
    assert!(
        fixed.contains("\t// vigil-ignore[go/weak-hash-md5]: <justification>\n\tfmt.Printf"),
        "{fixed}"
    );
    assert_eq!(codes(&after), ["vigil/suppression-no-justification"]);
    // Writing the justification clears the last diagnostic.
    let justified = fixed.replace("<justification>", "test vector, not a security use");
    c.change(GO_URI, 3, vec![json!({"text": justified})]);
    assert!(c.published(GO_URI, 3).is_empty());
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn suppression_problems_are_diagnostics_with_hover() {
    let mut c = pull_client();
    let text = "const crypto = require('crypto');\n\
// vigil-ignore[js/weak-hsh]: legacy\n\
const a = crypto.createHash('md5');\n\
// vigil-ignore[js/command-injection]: nothing to suppress here\n\
const b = 1;\n\
// vigil-ignore: no brackets\n\
const c = 2;\n\
// a comment mentioning vigil-ignore[js/weak-hash] in prose\n\
const d = crypto.createHash('md5');\n";
    c.open(JS_URI, "javascript", 1, text);
    let diags = c.pull(JS_URI).unwrap();
    assert_eq!(
        codes(&diags),
        [
            "vigil/suppression-unknown-rule",
            "js/weak-hash",
            "vigil/unused-suppression",
            "vigil/suppression-malformed",
            "js/weak-hash",
        ]
    );
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `js/weak-hash`"),
        "{diags:?}"
    );
    // The unknown id itself is underlined.
    assert_eq!(
        diags[0]["range"]["start"],
        json!({"line": 1, "character": 16})
    );
    assert_eq!(
        diags[0]["range"]["end"],
        json!({"line": 1, "character": 27})
    );
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": JS_URI}, "position": {"line": 3, "character": 20}}),
        )
        .unwrap();
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("Unused suppression"), "{markdown}");
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn other_tools_markers_follow_the_setting() {
    let text = "package main\n\nimport \"crypto/md5\"\n\nfunc h(d []byte) [16]byte {\n\treturn md5.Sum(d) // #nosec G401 -- cache key\n}\n";
    for (options, expected) in [
        (json!({"debounceMs": 0}), Vec::<&str>::new()),
        (
            json!({"debounceMs": 0, "suppressions": {"honourOtherTools": false}}),
            vec!["go/weak-hash-md5"],
        ),
    ] {
        let mut c = LspClient::spawn(&[], &[]);
        c.initialize(push_client_caps(), options.clone());
        c.open(GO_URI, "go", 1, text);
        assert_eq!(codes(&c.published(GO_URI, 1)), expected, "{options}");
        assert!(c.shutdown_and_exit().success());
    }
}

//! `vigil.toml` and organisation rules in the language server, driven over stdio with
//! the typed test client: a running server picks up an edited `vigil.toml` when the
//! client reports it changed, keeps its last good configuration when the file becomes
//! invalid (and says so), hot-reloads organisation rules (a broken file is reported
//! and the other rules stay), and shows the problems of an open `vigil.toml` or rule
//! file as diagnostics on it.

#[path = "support/process.rs"]
mod process;
use process::repo_root;

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lsp_client::{Encoding, LspClient, TIMEOUT, pull_client_caps, push_client_caps};
use serde_json::{Value, json};
use tempfile::TempDir;

const JS_WEAK: &str = "const crypto = require('crypto');\nconst d = crypto.createHash('md5').update('x').digest('hex');\n";
const GO_MAIN: &str = "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n)\n\nfunc main() {\n\thttp.Get(\"https://example.com\")\n\tfmt.Println(\"done\")\n}\n";

/// A second organisation rule, added while the server runs.
const NO_PRINTLN_RULE: &str = r###"
id = "acme/no-println"
title = "Println in services"
language = "go"
severity = "low"
confidence = "high"
cwe = [532]
owasp = ["A09:2021-Security Logging and Monitoring Failures"]
message = "use the structured logger"
explanation = "## What it finds\n`fmt.Println` in service code.\n"
query = """
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  (#eq? @pkg "fmt") (#eq? @fn "Println")) @finding
"""
"###;

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A workspace folder with symlinks resolved (the server reports resolved paths).
fn workspace() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let root = dir.path().canonicalize().unwrap();
    (dir, root)
}

/// Starts a server on `folder` for a client with `caps` that can register file
/// watchers dynamically.
fn start(folder: &Path, caps: Value) -> LspClient {
    start_with(folder, caps, json!({"debounceMs": 0}))
}

fn start_with(folder: &Path, mut caps: Value, init_options: Value) -> LspClient {
    if caps["workspace"]["didChangeWatchedFiles"].is_null() {
        caps["workspace"]["didChangeWatchedFiles"] = json!({"dynamicRegistration": true});
    }
    let mut c = LspClient::spawn(&[], &[]);
    let folder_uri = uri(folder);
    let result = c
        .request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": folder_uri,
                "workspaceFolders": [{"uri": folder_uri, "name": "ws"}],
                "capabilities": caps,
                "initializationOptions": init_options,
            }),
        )
        .expect("initialize succeeds");
    c.encoding = match result["capabilities"]["positionEncoding"].as_str() {
        Some("utf-8") => Encoding::Utf8,
        _ => Encoding::Utf16,
    };
    c.notify("initialized", json!({}));
    c
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect();
    codes.sort();
    codes
}

/// Tells the server files changed on disk (1 created, 2 changed, 3 deleted).
fn files_changed(c: &mut LspClient, changes: &[(&Path, u32)]) {
    let changes: Vec<Value> = changes
        .iter()
        .map(|(p, kind)| json!({"uri": uri(p), "type": kind}))
        .collect();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": changes }),
    );
}

fn shown_message(c: &mut LspClient, needle: &str) -> String {
    let params = c
        .wait_notification("window/showMessage", TIMEOUT, |p| {
            p["message"].as_str().is_some_and(|m| m.contains(needle))
        })
        .unwrap_or_else(|| panic!("no message containing {needle:?}; stderr:\n{}", c.stderr()));
    params["message"].as_str().unwrap().to_string()
}

/// The watchers' glob patterns of each registration, most recent last.
fn registered_watchers(c: &LspClient) -> Vec<Vec<Value>> {
    c.history
        .iter()
        .filter(|m| m["method"] == "client/registerCapability")
        .flat_map(|m| {
            m["params"]["registrations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|r| r["method"] == "workspace/didChangeWatchedFiles")
        .map(|r| {
            r["registerOptions"]["watchers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["globPattern"].clone())
                .collect()
        })
        .collect()
}

#[test]
fn edited_vigil_toml_is_picked_up_and_an_invalid_one_keeps_the_last_good() {
    let (_dir, root) = workspace();
    let config = root.join("vigil.toml");
    write(&config, "select = [\"js/weak-hash\"]\n");
    let app = root.join("web/app.js");
    write(&app, JS_WEAK);
    let app_uri = uri(&app);

    let mut c = start(&root, push_client_caps());
    c.open(&app_uri, "javascript", 1, JS_WEAK);
    assert_eq!(codes(&c.published(&app_uri, 1)), ["js/weak-hash"]);
    c.drain_for(Duration::from_millis(200));
    let watchers = registered_watchers(&c);
    assert!(
        watchers.iter().any(|w| w.contains(&json!("**/vigil.toml"))),
        "watchers registered: {watchers:?}"
    );

    // The project turns the rule off: the open document is analysed again.
    write(
        &config,
        "select = [\"js/weak-hash\"]\nignore = [\"js/weak-hash\"]\n",
    );
    files_changed(&mut c, &[(&config, 2)]);
    assert!(c.published(&app_uri, 1).is_empty());

    // An invalid edit: reported with its position; the last good file stays in force.
    let broken = "select = [\"js/weak-hash\"]\nignroe = [\"js/weak-hash\"]\n";
    write(&config, broken);
    files_changed(&mut c, &[(&config, 2)]);
    let message = shown_message(&mut c, "vigil.toml:2:1");
    assert!(
        message.contains("unknown field `ignroe`") && message.contains("last good"),
        "{message}"
    );
    c.change(&app_uri, 2, vec![json!({"text": JS_WEAK})]);
    assert!(
        c.published(&app_uri, 2).is_empty(),
        "still the last good config"
    );

    // Open in the editor, the broken file carries the error itself.
    let config_uri = uri(&config);
    c.open(&config_uri, "toml", 1, broken);
    let diags = c.published(&config_uri, 1);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        diags[0]["range"]["start"],
        json!({"line": 1, "character": 0})
    );
    assert_eq!(diags[0]["severity"], 1);
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `ignroe`")
    );
    // Fixing it in the editor clears the diagnostic as the user types.
    c.change(
        &config_uri,
        2,
        vec![json!({"text": "select = [\"js/weak-hash\"]\n"})],
    );
    assert!(c.published(&config_uri, 2).is_empty());

    // Saved: the rule is on again.
    write(&config, "select = [\"js/weak-hash\"]\n");
    files_changed(&mut c, &[(&config, 2)]);
    assert_eq!(codes(&c.published(&app_uri, 2)), ["js/weak-hash"]);

    // Deleted: the editor's settings alone apply (every rule).
    std::fs::remove_file(&config).unwrap();
    files_changed(&mut c, &[(&config, 3)]);
    assert_eq!(codes(&c.published(&app_uri, 2)), ["js/weak-hash"]);
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn organisation_rules_are_hot_reloaded_and_a_broken_file_is_reported() {
    let (_dir, root) = workspace();
    let rules = root.join("security/rules");
    let example =
        std::fs::read_to_string(repo_root().join("rules/examples/org-rules/raw-http-client.toml"))
            .unwrap();
    write(&rules.join("raw-http.toml"), &example);
    write(
        &root.join("vigil.toml"),
        "select = [\"acme/\"]\nextra-rule-dirs = [\"security/rules\"]\n",
    );
    let main = root.join("svc/main.go");
    write(&main, GO_MAIN);
    let main_uri = uri(&main);

    // A client that takes watchers relative to a base directory, as VS Code does.
    let mut caps = push_client_caps();
    caps["workspace"]["didChangeWatchedFiles"] =
        json!({"dynamicRegistration": true, "relativePatternSupport": true});
    let mut c = start(&root, caps);
    c.open(&main_uri, "go", 1, GO_MAIN);
    assert_eq!(codes(&c.published(&main_uri, 1)), ["acme/raw-http-client"]);
    c.drain_for(Duration::from_millis(200));
    let watchers = registered_watchers(&c);
    assert!(
        watchers.last().is_some_and(|w| w.contains(&json!({
            "baseUri": uri(&rules),
            "pattern": "**/*.toml"
        }))),
        "the project's rule directory is watched: {watchers:?}"
    );

    // A new rule file appears.
    let second = rules.join("no-println.toml");
    write(&second, NO_PRINTLN_RULE);
    files_changed(&mut c, &[(&second, 1)]);
    assert_eq!(
        codes(&c.published(&main_uri, 1)),
        ["acme/no-println", "acme/raw-http-client"]
    );

    // It breaks: reported with file and line, and the other rule keeps running.
    let broken = NO_PRINTLN_RULE.replace("language = \"go\"", "language = \"cobol\"");
    write(&second, &broken);
    files_changed(&mut c, &[(&second, 2)]);
    let message = shown_message(&mut c, "no-println.toml:4:12");
    assert!(message.contains("unknown variant `cobol`"), "{message}");
    assert_eq!(codes(&c.published(&main_uri, 1)), ["acme/raw-http-client"]);

    // Open in the editor, the rule file shows the loader's error where it is.
    let second_uri = uri(&second);
    c.open(&second_uri, "toml", 1, &broken);
    let diags = c.published(&second_uri, 1);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        diags[0]["range"]["start"],
        json!({"line": 3, "character": 11})
    );
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown variant `cobol`")
    );
    c.change(&second_uri, 2, vec![json!({"text": NO_PRINTLN_RULE})]);
    assert!(c.published(&second_uri, 2).is_empty());
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn pulling_clients_get_rule_file_diagnostics_and_project_policies() {
    let (_dir, root) = workspace();
    let rules = root.join("rules");
    let broken = NO_PRINTLN_RULE.replace("(#eq? @pkg \"fmt\")", "(#eq? @nope \"fmt\")");
    write(&rules.join("no-println.toml"), &broken);
    write(
        &root.join("vigil.toml"),
        "extra-rule-dirs = [\"rules\"]\n\n[[overrides]]\npaths = [\"tests\"]\nignore = [\"js/weak-hash\"]\n",
    );
    let app = root.join("src/app.js");
    let test = root.join("tests/app.test.js");
    write(&app, JS_WEAK);
    write(&test, JS_WEAK);

    let mut c = start(&root, pull_client_caps());
    c.open(&uri(&app), "javascript", 1, JS_WEAK);
    c.open(&uri(&test), "javascript", 1, JS_WEAK);
    assert_eq!(codes(&c.pull(&uri(&app)).unwrap()), ["js/weak-hash"]);
    assert!(
        c.pull(&uri(&test)).unwrap().is_empty(),
        "the override covers tests/"
    );
    let message = shown_message(&mut c, "no-println.toml:");
    assert!(message.contains("rule not loaded"), "{message}");

    let rule_uri = uri(&rules.join("no-println.toml"));
    c.open(&rule_uri, "toml", 1, &broken);
    let diags = c.pull(&rule_uri).unwrap();
    assert_eq!(diags.len(), 1, "{diags:?}");
    // The query's error is placed at the capture it names.
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("Capture error: \"nope\""),
        "{diags:?}"
    );
    let line = broken.lines().position(|l| l.contains("@nope")).unwrap();
    let character = broken.lines().nth(line).unwrap().find("nope").unwrap();
    assert_eq!(
        diags[0]["range"]["start"],
        json!({"line": line, "character": character})
    );
    assert!(c.shutdown_and_exit().success());
}

#[test]
fn the_project_file_wins_over_editor_settings_and_none_above_the_folder_is_used() {
    let (_dir, outer) = workspace();
    // Above the workspace folder: never read by the server.
    write(&outer.join("vigil.toml"), "ignore = [\"js/weak-hash\"]\n");
    let root = outer.join("ws");
    write(
        &root.join("a/vigil.toml"),
        "select = [\"js/weak-hash\"]\n\n[severity]\n\"js/weak-hash\" = \"critical\"\n",
    );
    let governed = root.join("a/app.js");
    let free = root.join("b/app.js");
    write(&governed, JS_WEAK);
    write(&free, JS_WEAK);

    // The editor says low; the project file says critical for its files.
    let mut c = start_with(
        &root,
        push_client_caps(),
        json!({"debounceMs": 0, "rules": {"severity": {"js/weak-hash": "low"}}}),
    );
    c.open(&uri(&governed), "javascript", 1, JS_WEAK);
    c.open(&uri(&free), "javascript", 1, JS_WEAK);
    let governed_diags = c.published(&uri(&governed), 1);
    assert_eq!(codes(&governed_diags), ["js/weak-hash"]);
    assert_eq!(governed_diags[0]["severity"], 1, "critical: the file wins");
    let free_diags = c.published(&uri(&free), 1);
    assert_eq!(
        codes(&free_diags),
        ["js/weak-hash"],
        "the vigil.toml above the folder does not apply"
    );
    assert_eq!(free_diags[0]["severity"], 3, "low: the editor setting");
    assert!(c.shutdown_and_exit().success());
}

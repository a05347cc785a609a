//! Baselines through the real interfaces: `vigil check --write-baseline` and
//! `--baseline` run as a process on copies of the demo and on small projects, and
//! `vigil serve` with the `baseline` setting over stdio.
//!
//! Expectations come from the scans themselves (a plain `--format json` run), so they
//! hold for any rule set; the small projects use `js/weak-hash`, which flags every
//! `createHash('md5'|'sha1')`.

#[path = "support/process.rs"]
mod process;
use process::{code, demo_copy, json as json_of, stderr, stdout, vigil, write};

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::collections::BTreeMap;
use std::path::Path;

use lsp_client::{LspClient, TIMEOUT, push_client_caps};
use serde_json::{Value, json};
use tempfile::TempDir;

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

/// The source files under `dir`, relative paths with `/`.
fn source_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if vigil::engine::Language::from_path(&p).is_some() {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy();
                out.push(rel.replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// Moves every finding down without touching its lines: a header at the top of each
/// file, blank lines above each finding's first line, and a new function at the end.
fn move_and_edit_elsewhere(root: &Path, report: &Value) {
    let mut finding_lines: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for f in findings(report) {
        finding_lines
            .entry(f["path"].as_str().unwrap().to_string())
            .or_default()
            .push(f["start"]["line"].as_u64().unwrap() as usize);
    }
    for rel in source_files(&root.join("demo")) {
        let path = root.join("demo").join(&rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let above = finding_lines
            .get(&format!("demo/{rel}"))
            .cloned()
            .unwrap_or_default();
        let mut out = String::from("// Reviewed for the baseline test.\n// Lines moved.\n\n");
        for (i, line) in text.split_inclusive('\n').enumerate() {
            if above.contains(&(i + 1)) {
                out.push_str("\n\n");
            }
            out.push_str(line);
        }
        out.push_str(if rel.ends_with(".go") {
            "\nfunc addedLater() int { return 1 }\n"
        } else {
            "\nfunction addedLater() { return 1; }\n"
        });
        std::fs::write(&path, out).unwrap();
    }
}

/// (path, rule) -> sorted fingerprints of a SARIF run's results.
fn sarif_prints(report: &Value) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in report["runs"][0]["results"].as_array().unwrap() {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string();
        let fp = r["partialFingerprints"]["vigil/v1"]
            .as_str()
            .unwrap_or_else(|| panic!("no vigil/v1 fingerprint: {r}"));
        assert_eq!(fp.len(), 32, "{fp}");
        assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()), "{fp}");
        out.entry((uri, r["ruleId"].as_str().unwrap().to_string()))
            .or_default()
            .push(fp.to_string());
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

fn start_lines(report: &Value) -> Vec<u64> {
    findings(report)
        .iter()
        .map(|f| f["start"]["line"].as_u64().unwrap())
        .collect()
}

#[test]
fn demo_baseline_survives_moved_lines_and_reports_exactly_a_new_finding() {
    let dir = demo_copy();
    let root = dir.path();
    let before = json_of(&vigil(root, &["check", "--format", "json", "demo"]));
    let total = findings(&before).len();
    assert!(total > 10, "the demo has findings");

    let out = vigil(
        root,
        &["check", "--write-baseline", "vigil-baseline.json", "demo"],
    );
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "Recorded {total} finding(s) in the baseline vigil-baseline.json."
        )),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("No new findings"), "{}", stdout(&out));
    let text = std::fs::read_to_string(root.join("vigil-baseline.json")).unwrap();
    let recorded: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(recorded["version"], 1);
    assert_eq!(recorded["fingerprints"], "vigil/v1");
    let entries = recorded["findings"].as_array().unwrap();
    assert_eq!(entries.len(), total);
    // Readable and sorted by path, then rule: it diffs well.
    let keys: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
            (
                e["path"].as_str().unwrap().to_string(),
                e["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(keys.iter().all(|(p, _)| p.starts_with("demo/")), "{keys:?}");
    // Writing it again from the same code gives the same bytes.
    vigil(
        root,
        &["check", "--write-baseline", "vigil-baseline.json", "demo"],
    );
    assert_eq!(
        std::fs::read_to_string(root.join("vigil-baseline.json")).unwrap(),
        text
    );

    move_and_edit_elsewhere(root, &before);
    let moved = json_of(&vigil(root, &["check", "--format", "json", "demo"]));
    assert_eq!(findings(&moved).len(), total, "the edits add no finding");
    assert_ne!(start_lines(&moved), start_lines(&before), "findings moved");

    let out = vigil(
        root,
        &[
            "check",
            "--baseline",
            "vigil-baseline.json",
            "--format",
            "json",
            "demo",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let report = json_of(&out);
    assert_eq!(findings(&report), &Vec::<Value>::new());
    assert_eq!(report["summary"]["findings"], 0);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"hidden": total, "fixed": 0})
    );
    let human = vigil(
        root,
        &["check", "--baseline", "vigil-baseline.json", "demo"],
    );
    assert_eq!(code(&human), 0);
    assert!(
        stdout(&human).contains("No new findings")
            && stdout(&human).contains(&format!("{total} findings hidden by the baseline.")),
        "{}",
        stdout(&human)
    );

    // One new vulnerable line: exactly it is reported, and fails the run.
    let server = root.join("demo/notes-app/src/server.js");
    let mut js = std::fs::read_to_string(&server).unwrap();
    js.push_str(
        "function auditDigest(x) { return crypto.createHash('sha1').update(x).digest('hex'); }\n",
    );
    std::fs::write(&server, &js).unwrap();
    let out = vigil(
        root,
        &[
            "check",
            "--baseline",
            "vigil-baseline.json",
            "--format",
            "json",
            "demo",
        ],
    );
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let report = json_of(&out);
    let new = findings(&report);
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["rule_id"], "js/weak-hash");
    assert_eq!(new[0]["path"], "demo/notes-app/src/server.js");
    assert_eq!(new[0]["start"]["line"], js.lines().count());
    assert_eq!(
        report["summary"]["baseline"],
        json!({"hidden": total, "fixed": 0})
    );
    let human = vigil(
        root,
        &["check", "--baseline", "vigil-baseline.json", "demo"],
    );
    assert!(
        stdout(&human).contains("Found 1 new finding in 1 file"),
        "{}",
        stdout(&human)
    );
}

#[test]
fn sarif_and_json_fingerprints_are_stable_across_moved_lines() {
    let dir = demo_copy();
    let root = dir.path();
    let sarif_before = json_of(&vigil(root, &["check", "--format", "sarif", "demo"]));
    let json_before = json_of(&vigil(root, &["check", "--format", "json", "demo"]));
    let before = sarif_prints(&sarif_before);
    let results = sarif_before["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), findings(&json_before).len());
    // JSON findings carry the same fingerprint as the SARIF result in their place.
    for (r, f) in results.iter().zip(findings(&json_before)) {
        assert_eq!(
            r["partialFingerprints"]["vigil/v1"], f["fingerprint"],
            "{f}"
        );
    }
    // All distinct: every finding is its own.
    let mut all: Vec<&String> = before.values().flatten().collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), results.len());
    assert!(results.iter().all(|r| r.get("baselineState").is_none()));

    move_and_edit_elsewhere(root, &json_before);
    let sarif_after = json_of(&vigil(root, &["check", "--format", "sarif", "demo"]));
    assert_eq!(sarif_prints(&sarif_after), before);
    let lines = |s: &Value| -> Vec<Value> {
        s["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].clone())
            .collect()
    };
    assert_ne!(lines(&sarif_after), lines(&sarif_before), "results moved");

    // With a baseline, SARIF holds the new results only, marked as such, and counts.
    vigil(root, &["check", "--write-baseline", "b.json", "demo"]);
    let server = root.join("demo/notes-app/src/server.js");
    let mut js = std::fs::read_to_string(&server).unwrap();
    js.push_str("const digest2 = crypto.createHash('md5');\n");
    std::fs::write(&server, js).unwrap();
    let out = vigil(
        root,
        &["check", "--baseline", "b.json", "--format", "sarif", "demo"],
    );
    assert_eq!(code(&out), 1);
    let sarif = json_of(&out);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["baselineState"], "new");
    assert_eq!(
        sarif["runs"][0]["properties"]["baseline"],
        json!({"hidden": findings(&json_before).len(), "fixed": 0})
    );
}

const TWO_WEAK: &str = "const crypto = require('crypto');\n\
const a = crypto.createHash('md5');\n\
const a = crypto.createHash('md5');\n";

#[test]
fn identical_findings_in_one_file_stay_distinct() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(root, "web/app.js", TWO_WEAK);
    let out = vigil(root, &["check", "--write-baseline", "base.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("base.json")).unwrap()).unwrap();
    let entries = recorded["findings"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_ne!(entries[0]["fingerprint"], entries[1]["fingerprint"]);
    assert_eq!(entries[0]["path"], "web/app.js");

    // A third identical line is one new finding.
    write(
        root,
        "web/app.js",
        format!("{TWO_WEAK}const a = crypto.createHash('md5');\n"),
    );
    let out = vigil(
        root,
        &["check", "--baseline", "base.json", "--format", "json"],
    );
    assert_eq!(code(&out), 1);
    let report = json_of(&out);
    assert_eq!(findings(&report).len(), 1, "{report}");
    assert_eq!(
        report["summary"]["baseline"],
        json!({"hidden": 2, "fixed": 0})
    );

    // Down to one: nothing new, and one recorded finding is gone.
    write(
        root,
        "web/app.js",
        "const crypto = require('crypto');\nconst a = crypto.createHash('md5');\n",
    );
    let out = vigil(
        root,
        &["check", "--baseline", "base.json", "--format", "json"],
    );
    assert_eq!(code(&out), 0);
    assert_eq!(
        json_of(&out)["summary"]["baseline"],
        json!({"hidden": 1, "fixed": 1})
    );
}

const JS_TWO_FILES: [(&str, &str); 2] = [
    (
        "web/a.js",
        "const crypto = require('crypto');\nconst h = crypto.createHash('md5');\n",
    ),
    (
        "api/b.js",
        "const crypto = require('crypto');\nconst h = crypto.createHash('sha1');\n",
    ),
];

fn two_file_project() -> TempDir {
    let dir = TempDir::new().unwrap();
    for (rel, text) in JS_TWO_FILES {
        write(dir.path(), rel, text);
    }
    let out = vigil(
        dir.path(),
        &["check", "--write-baseline", "vigil-baseline.json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    dir
}

#[test]
fn fixed_findings_are_counted_within_what_was_scanned() {
    let dir = two_file_project();
    let root = dir.path();
    write(
        root,
        "web/a.js",
        "const crypto = require('crypto');\nconst h = crypto.createHash('sha256');\n",
    );
    let out = vigil(root, &["check", "--baseline", "vigil-baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("1 finding hidden by the baseline."), "{text}");
    assert!(
        text.contains(
            "1 finding fixed since the baseline: record it again with `--write-baseline` to drop it."
        ),
        "{text}"
    );
    // Scanning only api/, or running only other rules, fixes nothing.
    let out = vigil(
        root,
        &[
            "check",
            "--baseline",
            "vigil-baseline.json",
            "--format",
            "json",
            "api",
        ],
    );
    assert_eq!(
        json_of(&out)["summary"]["baseline"],
        json!({"hidden": 1, "fixed": 0})
    );
    let out = vigil(
        root,
        &[
            "check",
            "--baseline",
            "vigil-baseline.json",
            "--format",
            "json",
            "--select",
            "js/code-injection",
        ],
    );
    assert_eq!(
        json_of(&out)["summary"]["baseline"],
        json!({"hidden": 0, "fixed": 0})
    );
    // Recording again drops the fixed entry.
    vigil(root, &["check", "--write-baseline", "vigil-baseline.json"]);
    let out = vigil(
        root,
        &[
            "check",
            "--baseline",
            "vigil-baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        json_of(&out)["summary"]["baseline"],
        json!({"hidden": 1, "fixed": 0})
    );
}

#[test]
fn paths_are_relative_to_the_baseline_file_wherever_vigil_runs() {
    let dir = two_file_project();
    let root = dir.path();
    // From a subdirectory, naming the baseline above it: the same findings match.
    let out = vigil(
        &root.join("web"),
        &[
            "check",
            "--baseline",
            "../vigil-baseline.json",
            "--format",
            "json",
            ".",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(
        json_of(&out)["summary"]["baseline"],
        json!({"hidden": 1, "fixed": 0}),
        "only web/ was scanned"
    );
    // A baseline kept in a subdirectory records paths relative to it.
    std::fs::create_dir_all(root.join("ci")).unwrap();
    let out = vigil(root, &["check", "--write-baseline", "ci/base.json"]);
    assert_eq!(code(&out), 0);
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("ci/base.json")).unwrap()).unwrap();
    let paths: Vec<&str> = recorded["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["../api/b.js", "../web/a.js"]);
}

#[test]
fn fix_with_a_baseline_fixes_baselined_findings_and_counts_them_fixed() {
    let dir = two_file_project();
    let root = dir.path();
    let out = vigil(
        root,
        &[
            "check",
            "--fix",
            "--unsafe-fixes",
            "--baseline",
            "vigil-baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["fixed"].as_array().unwrap().len(), 2);
    assert_eq!(
        report["summary"]["baseline"],
        json!({"hidden": 0, "fixed": 2})
    );
    let a = std::fs::read_to_string(root.join("web/a.js")).unwrap();
    assert!(a.contains("sha256") && !a.contains("md5"), "{a}");
}

#[test]
fn missing_invalid_or_conflicting_baselines_are_clear_errors() {
    let dir = two_file_project();
    let root = dir.path();
    let missing = vigil(root, &["check", "--baseline", "nope.json"]);
    assert_eq!(code(&missing), 2);
    assert!(
        stderr(&missing).contains("cannot read the baseline nope.json"),
        "{}",
        stderr(&missing)
    );
    assert!(
        stdout(&missing).is_empty(),
        "no report: {}",
        stdout(&missing)
    );

    write(root, "broken.json", "{\"version\": 1, \"findings\": [");
    let broken = vigil(
        root,
        &["check", "--baseline", "broken.json", "--format", "sarif"],
    );
    assert_eq!(code(&broken), 2);
    assert!(
        stderr(&broken).contains("broken.json: not a Vigil baseline"),
        "{}",
        stderr(&broken)
    );

    write(root, "future.json", "{\"version\": 7, \"findings\": []}");
    let future = vigil(root, &["check", "--baseline", "future.json"]);
    assert_eq!(code(&future), 2);
    assert!(
        stderr(&future).contains("baseline version 7 is not supported"),
        "{}",
        stderr(&future)
    );

    let both = vigil(
        root,
        &[
            "check",
            "--baseline",
            "vigil-baseline.json",
            "--write-baseline",
            "x.json",
        ],
    );
    assert_eq!(code(&both), 2);
    assert!(
        stderr(&both).contains("cannot be used with"),
        "{}",
        stderr(&both)
    );
    assert!(!root.join("x.json").exists());

    let unwritable = vigil(root, &["check", "--write-baseline", "no/such/dir/b.json"]);
    assert_eq!(code(&unwritable), 2);
    assert!(
        stderr(&unwritable)
            .contains("cannot write the baseline no/such/dir/b.json: no directory no/such/dir"),
        "{}",
        stderr(&unwritable)
    );
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn the_server_hides_baselined_findings() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let app = write(root, "web/app.js", TWO_WEAK);
    std::fs::create_dir(root.join(".vigil")).unwrap();
    let out = vigil(root, &["check", "--write-baseline", ".vigil/baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let mut c = LspClient::spawn(&[], &[]);
    c.initialize_in(
        Some(&file_uri(root)),
        push_client_caps(),
        json!({"debounceMs": 0, "baseline": ".vigil/baseline.json"}),
    );
    // The editor's text: lines inserted above the recorded findings, and a new one.
    let uri = file_uri(&app);
    let edited = format!("// header\n\n{TWO_WEAK}const b = crypto.createHash('sha1');\n");
    c.open(&uri, "javascript", 1, &edited);
    let diags = c.published(&uri, 1);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "js/weak-hash");
    assert_eq!(diags[0]["range"]["start"]["line"], 5, "the sha1 line");

    // Another file in the workspace is not in the baseline: all its findings show.
    let other = file_uri(&root.join("web/other.js"));
    c.open(&other, "javascript", 1, TWO_WEAK);
    assert_eq!(c.published(&other, 1).len(), 2);

    // Without the setting every finding shows again.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"vigil": {"debounceMs": 0, "baseline": null}}}),
    );
    let params = c
        .wait_notification("textDocument/publishDiagnostics", TIMEOUT, |p| {
            p["uri"] == uri.as_str()
        })
        .expect("re-analysed after the settings changed");
    assert_eq!(params["diagnostics"].as_array().unwrap().len(), 3);

    // A baseline that cannot be read is reported; the server goes on showing all.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"vigil": {"debounceMs": 0, "baseline": "missing.json"}}}),
    );
    let shown = c
        .wait_notification("window/showMessage", TIMEOUT, |_| true)
        .expect("the bad baseline is reported");
    let message = shown["message"].as_str().unwrap();
    assert!(
        message.contains("vigil.baseline") && message.contains("missing.json"),
        "{message}"
    );
    c.change(&uri, 2, vec![json!({"text": edited})]);
    assert_eq!(c.published(&uri, 2).len(), 3);
    assert!(c.shutdown_and_exit().success());
}

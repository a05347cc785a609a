//! `vigil check` and `vigil rules`, run as a real process on files in temporary
//! directories: exit codes, the human, JSON and SARIF reports, rule selection, files
//! that must be skipped, `--fix` on a copy of the demo, `--diff`, and the rule listing.
//!
//! Exact expectations use the two crypto rules (`js/weak-hash`, `go/weak-hash-md5`)
//! selected explicitly, so new rules do not change them; the demo tests derive their
//! expectations from the scan itself and hold for any rule set.

#[path = "support/process.rs"]
mod process;
use process::{code, demo_copy, json, stderr, stdout, vigil, write};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

const CRYPTO_RULES: &str = "js/weak-hash,go/weak-hash-md5";

/// `\t` and a multi-byte string before the flagged call test column arithmetic.
const JS_WEAK: &str = "const crypto = require('crypto');\n\tconst a = '日本😀'; const d = crypto.createHash('md5').update(a).digest('hex');\n";
const GO_WEAK: &str = "package main\n\nimport (\n\t\"crypto/md5\"\n\t\"fmt\"\n)\n\nfunc main() {\n\tfmt.Println(md5.Sum([]byte(\"x\")))\n}\n";
const JS_SAFE: &str = "const crypto = require('crypto');\nconst d = crypto.createHash('sha256').update('x').digest('hex');\n";

fn weak_project() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "web/app.js", JS_WEAK);
    write(dir.path(), "svc/main.go", GO_WEAK);
    write(dir.path(), "web/safe.js", JS_SAFE);
    dir
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

fn rule_ids(report: &Value) -> Vec<String> {
    findings(report)
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn exit_codes_distinguish_clean_findings_and_errors() {
    let dir = weak_project();
    let clean = vigil(dir.path(), &["check", "web/safe.js"]);
    assert_eq!(code(&clean), 0, "{}", stdout(&clean));
    assert!(stdout(&clean).contains("No findings"), "{}", stdout(&clean));

    let found = vigil(dir.path(), &["check", "--select", CRYPTO_RULES]);
    assert_eq!(code(&found), 1, "{}", stderr(&found));

    let missing = vigil(dir.path(), &["check", "no/such/dir"]);
    assert_eq!(code(&missing), 2);
    assert!(
        stderr(&missing).contains("no/such/dir"),
        "{}",
        stderr(&missing)
    );
    assert!(
        stderr(&missing).contains("no such file"),
        "{}",
        stderr(&missing)
    );

    let bad_flag = vigil(dir.path(), &["check", "--min-severity", "extreme"]);
    assert_eq!(code(&bad_flag), 2);
    assert!(stderr(&bad_flag).contains("low, medium, high, critical"));

    let typo = vigil(dir.path(), &["check", "--select", "js/weak-hsh"]);
    assert_eq!(code(&typo), 2);
    assert!(
        stderr(&typo).contains("did you mean `js/weak-hash`"),
        "{}",
        stderr(&typo)
    );

    let diff_json = vigil(dir.path(), &["check", "--diff", "--format", "json"]);
    assert_eq!(code(&diff_json), 2);
}

/// The byte offset of the `n`-th (1-based) line and character column, computed
/// independently of vigil.
fn char_offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    text[start..]
        .char_indices()
        .nth(column - 1)
        .map_or(text.len(), |(i, _)| start + i)
}

#[test]
fn human_report_shows_snippet_carets_help_and_summary() {
    let dir = weak_project();
    let out = vigil(dir.path(), &["check", "--select", CRYPTO_RULES]);
    let text = stdout(&out);
    // Position: line 2, after a tab, `const a = '日本😀'; const d = crypto.createHash(`.
    let col = "\tconst a = '日本😀'; const d = crypto.createHash("
        .chars()
        .count()
        + 1;
    assert!(
        text.contains(&format!("web/app.js:2:{col}")),
        "expected web/app.js:2:{col} in\n{text}"
    );
    assert!(text.contains("medium[js/weak-hash]"), "{text}");
    assert!(
        text.contains("help: Use SHA-256 (changes behaviour)"),
        "{text}"
    );
    assert!(text.contains("svc/main.go:9:14"), "{text}");
    // The snippet line, tab expanded, and carets exactly under `'md5'`: the prefix is
    // 4 columns of tab plus characters, the CJK and emoji two columns each.
    let snippet = text
        .lines()
        .find(|l| l.contains("createHash('md5')"))
        .expect("snippet line");
    let carets = text
        .lines()
        .skip_while(|l| !l.contains("createHash('md5')"))
        .nth(1)
        .unwrap();
    assert!(
        snippet.contains("|     const a"),
        "tab shown as 4 spaces: {snippet}"
    );
    let bar = snippet.find('|').unwrap();
    let source_display = &snippet[bar + 2..];
    let before = &source_display[..source_display.find("'md5'").unwrap()];
    let display_cols = before.chars().count() + 3; // 日, 本 and 😀 are two columns wide
    let caret_bar = carets.find('|').unwrap();
    assert_eq!(caret_bar, bar, "gutters align");
    assert_eq!(
        &carets[caret_bar + 2..],
        format!("{}^^^^^", " ".repeat(display_cols)),
        "carets under 'md5' in\n{snippet}\n{carets}"
    );
    assert!(
        text.contains("Found 2 findings in 2 files (2 medium; 3 files scanned)"),
        "{text}"
    );
    assert!(
        text.contains("2 fixable with `--fix --unsafe-fixes`"),
        "{text}"
    );
    // Not a terminal: no colour unless asked for.
    assert!(!text.contains('\x1b'));
    let coloured = vigil(dir.path(), &["check", "--color", "always", "web"]);
    assert!(stdout(&coloured).contains("\x1b["));
    let never = vigil(dir.path(), &["check", "--color", "never", "web"]);
    assert!(!stdout(&never).contains('\x1b'));
}

#[test]
fn json_report_has_documented_schema_and_exact_positions() {
    let dir = weak_project();
    let out = vigil(
        dir.path(),
        &["check", "--format", "json", "--select", CRYPTO_RULES],
    );
    assert_eq!(code(&out), 1);
    let report = json(&out);
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"]["name"], "vigil");
    let list = findings(&report);
    // Ordered by path, then position.
    let paths: Vec<&str> = list.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["svc/main.go", "web/app.js"]);
    for f in list {
        let path = dir.path().join(f["path"].as_str().unwrap());
        let text = std::fs::read_to_string(path).unwrap();
        let (s, e) = (
            f["byte_range"]["start"].as_u64().unwrap() as usize,
            f["byte_range"]["end"].as_u64().unwrap() as usize,
        );
        let start = char_offset(
            &text,
            f["start"]["line"].as_u64().unwrap() as usize,
            f["start"]["column"].as_u64().unwrap() as usize,
        );
        let end = char_offset(
            &text,
            f["end"]["line"].as_u64().unwrap() as usize,
            f["end"]["column"].as_u64().unwrap() as usize,
        );
        assert_eq!((start, end), (s, e), "line/column agree with bytes: {f}");
        for key in ["severity", "confidence", "message", "title", "help_uri"] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
        assert!(f["cwe"].as_array().unwrap().contains(&"CWE-328".into()));
        let fix = &f["fixes"][0];
        assert_eq!(fix["applicability"], "changes-behaviour");
        assert!(fix["edits"].as_array().is_some_and(|e| !e.is_empty()));
    }
    let js = &list[1];
    assert_eq!(js["rule_id"], "js/weak-hash");
    let text = std::fs::read_to_string(dir.path().join("web/app.js")).unwrap();
    let r = &js["byte_range"];
    assert_eq!(
        &text[r["start"].as_u64().unwrap() as usize..r["end"].as_u64().unwrap() as usize],
        "'md5'"
    );
    assert_eq!(js["fixes"][0]["edits"][0]["new_text"], "sha256");
    assert_eq!(report["summary"]["findings"], 2);
    assert_eq!(report["summary"]["files_scanned"], 3);
    assert_eq!(report["summary"]["by_severity"]["medium"], 2);
    assert_eq!(report["summary"]["fixable_unsafe"], 2);
}

#[test]
fn sarif_report_is_structurally_complete() {
    let dir = weak_project();
    let all_rules = json(&vigil(dir.path(), &["rules", "--format", "json"]));
    let all_ids: Vec<&str> = all_rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    // Only the Go rule selected: every rule must still be described.
    let out = vigil(
        dir.path(),
        &["check", "--format", "sarif", "--select", "go/weak-hash-md5"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let sarif = json(&out);
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let root_uri = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(root_uri.starts_with("file:///") && root_uri.ends_with('/'));
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "vigil");
    assert!(driver["version"].is_string() && driver["informationUri"].is_string());
    let rules = driver["rules"].as_array().unwrap();
    let sarif_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(sarif_ids, all_ids, "every rule is listed");
    for rule in rules {
        for key in ["name", "helpUri"] {
            assert!(rule[key].is_string(), "{key} in {rule}");
        }
        for key in ["shortDescription", "fullDescription"] {
            assert!(!rule[key]["text"].as_str().unwrap().is_empty());
        }
        assert!(rule["help"]["text"].as_str().unwrap().contains("## "));
        assert!(rule["help"]["markdown"].as_str().unwrap().contains("## "));
        assert!(
            ["error", "warning", "note"]
                .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap())
        );
        let tags: Vec<&str> = rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(tags.contains(&"security"), "{tags:?}");
        // Vigil's checks on suppression comments are not weaknesses: no CWE.
        if !rule["id"].as_str().unwrap().starts_with("vigil/") {
            assert!(tags.iter().any(|t| t.starts_with("CWE-")), "{tags:?}");
        }
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&score));
        assert!(
            ["very-high", "high", "medium", "low"]
                .contains(&rule["properties"]["precision"].as_str().unwrap())
        );
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result["ruleId"], "go/weak-hash-md5");
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "go/weak-hash-md5");
    assert_eq!(result["level"], "warning");
    assert!(result["message"]["text"].as_str().unwrap().contains("MD5"));
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "svc/main.go");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    let region = &loc["region"];
    assert_eq!(
        (
            &region["startLine"],
            &region["startColumn"],
            &region["endLine"],
            &region["endColumn"]
        ),
        (&9.into(), &14.into(), &9.into(), &21.into())
    );
    let change = &result["fixes"][0]["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "svc/main.go");
    let inserted: Vec<&str> = change["replacements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["deletedRegion"]["startLine"].as_u64().unwrap() >= 1);
            assert!(r["deletedRegion"]["startColumn"].as_u64().unwrap() >= 1);
            r["insertedContent"]["text"].as_str().unwrap()
        })
        .collect();
    assert!(inserted.contains(&"sha256.Sum256"), "{inserted:?}");
}

#[test]
fn sarif_columns_are_utf16_code_units() {
    let dir = weak_project();
    let out = vigil(
        dir.path(),
        &[
            "check",
            "--format",
            "sarif",
            "--select",
            "js/weak-hash",
            "web/app.js",
        ],
    );
    let sarif = json(&out);
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    let prefix = "\tconst a = '日本😀'; const d = crypto.createHash(";
    let utf16 = prefix.encode_utf16().count();
    assert_eq!(region["startLine"], 2);
    assert_eq!(region["startColumn"], utf16 + 1);
    assert_eq!(region["endColumn"], utf16 + 1 + 5);
}

#[test]
fn select_ignore_and_thresholds_filter_rules() {
    let dir = weak_project();
    let ids = |args: &[&str]| {
        let mut full = vec!["check", "--format", "json"];
        full.extend_from_slice(args);
        let out = vigil(dir.path(), &full);
        assert_ne!(code(&out), 2, "{}", stderr(&out));
        rule_ids(&json(&out))
    };
    assert_eq!(ids(&["--select", "go/"]), ["go/weak-hash-md5"]);
    assert_eq!(ids(&["--select", "js/weak-hash"]), ["js/weak-hash"]);
    assert_eq!(
        ids(&["--select", "go/weak-hash-md5", "--select", "js/weak-hash"]),
        ["go/weak-hash-md5", "js/weak-hash"]
    );
    assert_eq!(
        ids(&["--select", CRYPTO_RULES, "--ignore", "js/weak-hash"]),
        ["go/weak-hash-md5"]
    );
    assert_eq!(
        ids(&["--select", "CWE-328", "--select", CRYPTO_RULES]),
        ["go/weak-hash-md5", "js/weak-hash"]
    );
    assert_eq!(
        ids(&["--select", "crypto", "--ignore", "go"]),
        ["js/weak-hash"]
    );
    // Both rules are medium severity and high confidence.
    let high = vigil(
        dir.path(),
        &["check", "--select", CRYPTO_RULES, "--min-severity", "high"],
    );
    assert_eq!(code(&high), 0, "{}", stdout(&high));
    assert_eq!(
        ids(&[
            "--select",
            CRYPTO_RULES,
            "--min-severity",
            "medium",
            "--min-confidence",
            "high"
        ])
        .len(),
        2
    );
}

#[test]
fn unreadable_binary_invalid_and_oversized_files_are_skipped_with_a_message() {
    let dir = weak_project();
    write(dir.path(), "web/blob.js", b"var a = 1;\0\x01\x02");
    write(dir.path(), "web/latin1.ts", b"const s = \"caf\xe9\";\n");
    write(
        dir.path(),
        "web/big.js",
        format!("// {}\n", "x".repeat(4096)),
    );
    let locked = write(dir.path(), "web/locked.go", GO_WEAK);
    set_mode(&locked, 0o000);
    // Root reads anything: only expect the permission message when it applies.
    let locked_unreadable = std::fs::read(&locked).is_err();
    let out = vigil(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--select",
            CRYPTO_RULES,
            "--max-file-size",
            "2K",
        ],
    );
    set_mode(&locked, 0o644);
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "the scan goes on and finds the rest: {err}");
    assert!(err.contains("skipped web/blob.js: binary file"), "{err}");
    assert!(
        err.contains("skipped web/latin1.ts: not valid UTF-8"),
        "{err}"
    );
    assert!(err.contains("skipped web/big.js: file is"), "{err}");
    assert!(err.contains("--max-file-size"), "{err}");
    let report = json(&out);
    let skipped: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert!(skipped.contains(&"web/blob.js") && skipped.contains(&"web/latin1.ts"));
    if locked_unreadable {
        assert!(
            err.contains("skipped web/locked.go: permission denied"),
            "{err}"
        );
    }
    // The readable vulnerable files were still scanned.
    let paths: Vec<&str> = findings(&report)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"svc/main.go") && paths.contains(&"web/app.js"));
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

#[cfg(unix)]
#[test]
fn fifos_and_symlink_loops_do_not_hang_the_scan() {
    let dir = weak_project();
    std::os::unix::fs::symlink(dir.path().join("web"), dir.path().join("web/loop")).unwrap();
    let fifo = dir.path().join("web/pipe.js");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let mut args = vec!["check", "--select", CRYPTO_RULES, "."];
    if made.is_ok_and(|s| s.success()) {
        args.push("web/pipe.js");
    }
    let out = vigil(dir.path(), &args);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Found 2 findings"),
        "{}",
        stdout(&out)
    );
    if args.contains(&"web/pipe.js") {
        assert!(
            stderr(&out).contains("skipped web/pipe.js: not a regular file"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn walk_honours_gitignore_hidden_and_node_modules_but_not_explicit_files() {
    let dir = weak_project();
    write(dir.path(), ".gitignore", "generated/\n");
    write(dir.path(), "generated/out.js", JS_WEAK);
    write(dir.path(), "node_modules/lib/index.js", JS_WEAK);
    write(dir.path(), ".cache/x.js", JS_WEAK);
    write(dir.path(), "notes.txt", "createHash('md5')");
    let paths = |args: &[&str]| {
        let mut full = vec!["check", "--format", "json", "--select", CRYPTO_RULES];
        full.extend_from_slice(args);
        let report = json(&vigil(dir.path(), &full));
        let mut p: Vec<String> = findings(&report)
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect();
        p.dedup();
        p
    };
    assert_eq!(paths(&[]), ["svc/main.go", "web/app.js"]);
    assert_eq!(paths(&["generated/out.js"]), ["generated/out.js"]);
    assert_eq!(
        paths(&["--no-ignore"]),
        [
            ".cache/x.js",
            "generated/out.js",
            "node_modules/lib/index.js",
            "svc/main.go",
            "web/app.js"
        ]
    );
    let txt = vigil(dir.path(), &["check", "notes.txt"]);
    assert_eq!(code(&txt), 0);
    assert!(stderr(&txt).contains("not a JavaScript, TypeScript or Go file"));
}

#[test]
fn output_flag_writes_the_report_to_a_file() {
    let dir = weak_project();
    let out = vigil(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "-o",
            "report.json",
            "--select",
            CRYPTO_RULES,
        ],
    );
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(findings(&report).len(), 2);
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    files
}

#[test]
fn fix_applies_only_allowed_fixes_and_composes_on_one_line() {
    let dir = TempDir::new().unwrap();
    let app = write(
        dir.path(),
        "app.js",
        "const crypto = require('crypto');\nconst a = crypto.createHash('md5'), b = crypto.createHash(\"sha1\");\n",
    );
    write(dir.path(), "main.go", GO_WEAK);
    let before = snapshot(dir.path());
    // Both fixes change behaviour: plain --fix leaves the files alone.
    let safe_only = vigil(dir.path(), &["check", "--fix", "--select", CRYPTO_RULES]);
    assert_eq!(code(&safe_only), 1);
    assert_eq!(snapshot(dir.path()), before);
    assert!(stdout(&safe_only).contains("3 fixable with `--fix --unsafe-fixes`"));

    let out = vigil(
        dir.path(),
        &["check", "--fix", "--unsafe-fixes", "--select", CRYPTO_RULES],
    );
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("Fixed 3 findings in 2 files."),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&app).unwrap(),
        "const crypto = require('crypto');\nconst a = crypto.createHash('sha256'), b = crypto.createHash(\"sha256\");\n"
    );
    let go = std::fs::read_to_string(dir.path().join("main.go")).unwrap();
    assert!(
        go.contains("\"crypto/sha256\"") && go.contains("sha256.Sum256("),
        "{go}"
    );
    assert!(!go.contains("md5"), "{go}");
    // No temporary files are left behind.
    let names: Vec<PathBuf> = snapshot(dir.path()).into_keys().collect();
    assert_eq!(names, [PathBuf::from("app.js"), PathBuf::from("main.go")]);
}

/// (path, rule, message) of each finding: stable across fixes that move lines.
fn finding_keys(report: &Value, filter: impl Fn(&Value) -> bool) -> Vec<(String, String, String)> {
    let mut keys: Vec<_> = findings(report)
        .iter()
        .filter(|f| filter(f))
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn fix_on_the_demo_leaves_parsing_files_and_only_unfixable_findings() {
    let dir = demo_copy();
    let before = json(&vigil(dir.path(), &["check", "--format", "json", "demo"]));
    assert!(!findings(&before).is_empty(), "the demo has findings");
    let unfixable = finding_keys(&before, |f| f["fixes"].as_array().unwrap().is_empty());
    let fixable = findings(&before).len() - unfixable.len();
    assert!(fixable > 0, "the demo has fixable findings");

    let out = vigil(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--fix",
            "--unsafe-fixes",
            "demo",
        ],
    );
    let after = json(&out);
    let remaining = findings(&after).len();
    assert_eq!(code(&out), if remaining > 0 { 1 } else { 0 });
    assert!(!after["fixed"].as_array().unwrap().is_empty());
    assert_eq!(after["summary"]["fixable"], 0, "{}", after["findings"]);
    assert_eq!(
        after["summary"]["fixable_unsafe"], 0,
        "{}",
        after["findings"]
    );
    // Exactly the unfixable findings remain: fixed ones are gone, and no fix
    // removed or introduced another finding.
    let still = finding_keys(&after, |_| true);
    assert_eq!(
        still, unfixable,
        "remaining findings after --fix --unsafe-fixes"
    );
    // Every file still parses cleanly (as it did before the fixes).
    for (path, content) in snapshot(&dir.path().join("demo")) {
        let Some(lang) = vigil::engine::Language::from_path(&path) else {
            continue;
        };
        let text = String::from_utf8(content).unwrap();
        let doc = vigil::engine::Document::new(lang, text.clone());
        assert!(
            !doc.has_syntax_errors(),
            "{} no longer parses:\n{text}",
            path.display()
        );
    }
    // A second run agrees with what the fixing run reported as remaining.
    let again = json(&vigil(dir.path(), &["check", "--format", "json", "demo"]));
    assert_eq!(finding_keys(&again, |_| true), still);
}

#[test]
fn diff_shows_fixes_and_writes_nothing() {
    let dir = demo_copy();
    let before = snapshot(dir.path());
    let out = vigil(dir.path(), &["check", "--diff", "--unsafe-fixes", "demo"]);
    assert_eq!(snapshot(dir.path()), before, "--diff must not write");
    assert_eq!(code(&out), 1);
    let diff = stdout(&out);
    assert!(diff.contains("--- a/demo/"), "{diff}");
    assert!(diff.contains("+++ b/demo/"), "{diff}");
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains("sha256")),
        "{diff}"
    );
    assert!(stderr(&out).contains("Would fix"), "{}", stderr(&out));
}

#[test]
fn rules_lists_every_rule_and_explains_one() {
    let dir = TempDir::new().unwrap();
    let list = json(&vigil(dir.path(), &["rules", "--format", "json"]));
    let list = list.as_array().unwrap();
    assert!(list.len() >= 2);
    let table = vigil(dir.path(), &["rules"]);
    assert_eq!(code(&table), 0);
    let table = stdout(&table);
    let header = table.lines().next().unwrap();
    for col in ["ID", "SEVERITY", "CONFIDENCE", "CWE", "FIX", "TITLE"] {
        assert!(header.contains(col), "{header}");
    }
    for rule in list {
        let id = rule["id"].as_str().unwrap();
        let row = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("{id} listed in\n{table}"));
        assert!(row.contains(rule["severity"].as_str().unwrap()));
        let has_fix = !rule["fixes"].as_array().unwrap().is_empty();
        let fix_col = if has_fix { " yes " } else { " no " };
        assert!(row.contains(fix_col), "{row}");
        if let Some(cwe) = rule["cwe"][0].as_str() {
            assert!(row.contains(cwe), "{row}");
        } else {
            assert!(
                id.starts_with("vigil/"),
                "only suppression checks lack a CWE: {id}"
            );
        }
    }

    let explain = vigil(dir.path(), &["rules", "explain", "js/weak-hash"]);
    assert_eq!(code(&explain), 0);
    let text = stdout(&explain);
    assert!(text.contains("js/weak-hash: Weak hash algorithm"), "{text}");
    assert!(text.contains("CWE-328"));
    assert!(text.contains("## Why is this bad?"));
    assert!(text.contains("Use SHA-256 (changes behaviour)"));

    let unknown = vigil(dir.path(), &["rules", "explain", "js/weak-hsh"]);
    assert_eq!(code(&unknown), 2);
    assert!(out_contains(&unknown, "unknown rule `js/weak-hsh`"));
    assert!(out_contains(&unknown, "did you mean `js/weak-hash`"));
}

fn out_contains(o: &Output, needle: &str) -> bool {
    stderr(o).contains(needle)
}

#[test]
fn files_with_syntax_errors_are_scanned_with_a_warning() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "broken.js",
        "const crypto = require('crypto');\nconst d = crypto.createHash('md5');\nfunction (\n",
    );
    let out = vigil(dir.path(), &["check", "--select", CRYPTO_RULES]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("broken.js: syntax error at line 3"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("broken.js:2:"), "{}", stdout(&out));
    let report = json(&vigil(
        dir.path(),
        &["check", "--format", "json", "--select", CRYPTO_RULES],
    ));
    assert_eq!(report["warnings"][0]["path"], "broken.js");
    assert_eq!(findings(&report).len(), 1);
    let sarif = json(&vigil(dir.path(), &["check", "--format", "sarif"]));
    let note = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert!(
        note["message"]["text"]
            .as_str()
            .unwrap()
            .contains("syntax error")
    );
}

/// Runs vigil on a pseudo-terminal with util-linux `script`, if installed.
fn vigil_on_tty(dir: &Path, args: &str, no_color: bool) -> Option<String> {
    let which = Command::new("script").arg("--version").output().ok()?;
    if !which.status.success() {
        return None;
    }
    let mut cmd = Command::new("script");
    cmd.args([
        "-qec",
        &format!("{} {args}", env!("CARGO_BIN_EXE_vigil")),
        "/dev/null",
    ])
    .current_dir(dir)
    .env_remove("CLICOLOR_FORCE")
    .env_remove("NO_COLOR");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    Some(String::from_utf8_lossy(&cmd.output().ok()?.stdout).into_owned())
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let dir = weak_project();
    let Some(tty) = vigil_on_tty(dir.path(), "check web/app.js", false) else {
        eprintln!("`script` not available: terminal colour not tested");
        return;
    };
    assert!(tty.contains("\x1b["), "coloured on a terminal: {tty}");
    assert!(tty.contains("web/app.js:2:"), "{tty}");
    let plain = vigil_on_tty(dir.path(), "check web/app.js", true).unwrap();
    assert!(plain.contains("web/app.js:2:"), "{plain}");
    assert!(!plain.contains('\x1b'), "NO_COLOR is honoured: {plain}");
}

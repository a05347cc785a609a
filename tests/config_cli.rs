//! `vigil.toml` and organisation rules through the CLI, run as a real process in
//! temporary directories: discovery walking up (nearest file wins), `--config`,
//! command-line flags over the file, per-path overrides, `exclude`, errors with file,
//! line and column, rule directories that lead out of the project, organisation rules
//! loaded from the file (a broken one reported without losing the others), and
//! `vigil rules test`.

#[path = "support/process.rs"]
mod process;
use process::{code, repo_root, stderr, stdout, vigil, write};

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

const JS_WEAK: &str = "const crypto = require('crypto');\nconst d = crypto.createHash('md5').update('x').digest('hex');\n";
const GO_RAW_HTTP: &str = "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.Get(\"https://example.com\")\n}\n";

/// `vigil check --format json ARGS` in `dir`: (path, rule id, severity) of each finding.
fn check_json(dir: &Path, args: &[&str]) -> (i32, Vec<(String, String, String)>, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let o = vigil(dir, &all);
    assert!(
        code(&o) == 0 || code(&o) == 1,
        "exit {}: {}",
        code(&o),
        stderr(&o)
    );
    let report: Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    let findings = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (code(&o), findings, report)
}

fn finding(path: &str, rule: &str, severity: &str) -> (String, String, String) {
    (path.into(), rule.into(), severity.into())
}

#[test]
fn nearest_vigil_toml_above_each_file_wins() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        "vigil.toml",
        "select = [\"js/weak-hash\"]\nignore = [\"js/weak-hash\"]\n",
    );
    write(root, "web/src/deep/app.js", JS_WEAK);
    // A nested project with its own file: the outer one no longer applies there.
    write(root, "svc/vigil.toml", "select = [\"js/weak-hash\"]\n");
    write(root, "svc/app.js", JS_WEAK);

    let (exit, found, _) = check_json(root, &[]);
    assert_eq!(exit, 1);
    assert_eq!(found, [finding("svc/app.js", "js/weak-hash", "medium")]);

    // Run from deep inside the project: the file is found by walking up.
    let (exit, found, _) = check_json(&root.join("web/src/deep"), &["app.js"]);
    assert_eq!((exit, found), (0, vec![]));
}

#[test]
fn config_flag_and_command_line_flags_over_the_file() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(root, "app.js", JS_WEAK);
    write(root, "main.go", GO_RAW_HTTP);
    write(
        root,
        "conf/strict.toml",
        "select = [\"js/weak-hash\"]\n\n[severity]\n\"js/weak-hash\" = \"critical\"\n",
    );
    // No vigil.toml is found by walking up, so every built-in rule runs.
    let (_, found, _) = check_json(root, &["--select", "js/weak-hash"]);
    assert_eq!(found, [finding("app.js", "js/weak-hash", "medium")]);

    let (_, found, _) = check_json(root, &["--config", "conf/strict.toml"]);
    assert_eq!(found, [finding("app.js", "js/weak-hash", "critical")]);

    // Flags win: --min-severity and --select replace the file's values, --ignore adds.
    let (exit, found, _) = check_json(
        root,
        &[
            "--config",
            "conf/strict.toml",
            "--min-severity",
            "critical",
            "--select",
            "js/",
        ],
    );
    assert_eq!(exit, 1);
    assert_eq!(found, [finding("app.js", "js/weak-hash", "critical")]);
    let (exit, found, _) = check_json(
        root,
        &["--config", "conf/strict.toml", "--ignore", "js/weak-hash"],
    );
    assert_eq!((exit, found), (0, vec![]));

    let missing = vigil(root, &["check", "--config", "conf/nope.toml"]);
    assert_eq!(code(&missing), 2);
    assert!(
        stderr(&missing).contains("conf/nope.toml"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn per_path_overrides_and_excludes() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        "vigil.toml",
        r#"select = ["js/weak-hash"]
exclude = ["vendor", "**/*.min.js"]

[[overrides]]
paths = ["tests/**"]
ignore = ["js/weak-hash"]

[[overrides]]
paths = ["legacy"]
severity = { "js/weak-hash" = "low" }
"#,
    );
    for rel in [
        "src/app.js",
        "tests/unit/app.js",
        "legacy/old/app.js",
        "vendor/lib/app.js",
        "src/bundle.min.js",
        "src/tests/app.js",
    ] {
        write(root, rel, JS_WEAK);
    }
    let (_, found, report) = check_json(root, &[]);
    assert_eq!(
        found,
        [
            finding("legacy/old/app.js", "js/weak-hash", "low"),
            finding("src/app.js", "js/weak-hash", "medium"),
            // `tests/**` is anchored at the project root.
            finding("src/tests/app.js", "js/weak-hash", "medium"),
        ]
    );
    assert_eq!(
        report["summary"]["files_scanned"], 4,
        "excluded files are not scanned"
    );

    // A file named on the command line is scanned even when excluded.
    let (_, found, _) = check_json(root, &["vendor/lib/app.js"]);
    assert_eq!(
        found,
        [finding("vendor/lib/app.js", "js/weak-hash", "medium")]
    );
}

#[test]
fn an_invalid_file_is_an_error_with_file_line_and_column() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(root, "app.js", JS_WEAK);
    let cases = [
        (
            "select = [\"js/\"]\n\nignroe = [\"js/weak-hash\"]\n",
            "vigil.toml:3:1",
            "unknown field `ignroe`",
        ),
        (
            "[severity]\n\"js/weak-hash\" = \"extreme\"\n",
            "vigil.toml:2:18",
            "unknown variant `extreme`",
        ),
        (
            "ignore = [\"js/weak-hash\", \"js/wek-hash\"]\n",
            "vigil.toml:1:27",
            "`js/wek-hash` matches no rule; did you mean `js/weak-hash`",
        ),
        (
            "[[overrides]]\npaths = [\"tests/[\"]\n",
            "vigil.toml:2:10",
            "invalid glob `tests/[`",
        ),
        ("select = [\"js/\"\n", "vigil.toml:1:", "vigil.toml"),
    ];
    for (text, at, reason) in cases {
        write(root, "vigil.toml", text);
        let o = vigil(root, &["check"]);
        assert_eq!(code(&o), 2, "{text}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(at) && err.contains(reason), "{text}:\n{err}");
        assert!(
            stdout(&o).is_empty(),
            "no report from an invalid configuration"
        );
    }
}

#[test]
fn rule_dirs_leading_out_of_the_project_are_rejected() {
    let outside = TempDir::new().unwrap();
    write(outside.path(), "evil.toml", "not a rule");
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(root, "app.js", JS_WEAK);
    let outside_dir = outside.path().display().to_string();
    for entry in ["../", outside_dir.as_str(), "linked"] {
        #[cfg(unix)]
        if entry == "linked" {
            std::os::unix::fs::symlink(outside.path(), root.join("linked")).unwrap();
        }
        write(
            root,
            "vigil.toml",
            format!("extra-rule-dirs = [{entry:?}]\n"),
        );
        let o = vigil(root, &["check"]);
        assert_eq!(code(&o), 2, "{entry}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("vigil.toml:1:20")
                && err.contains("outside the directory holding this vigil.toml"),
            "{entry}:\n{err}"
        );
        assert!(!err.contains("evil.toml"), "nothing outside is read: {err}");
    }
}

#[test]
fn organisation_rules_from_the_file_and_a_broken_one_reported() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    let rule =
        std::fs::read_to_string(repo_root().join("rules/examples/org-rules/raw-http-client.toml"))
            .unwrap();
    write(root, "security/rules/raw-http.toml", &rule);
    write(
        root,
        "vigil.toml",
        "select = [\"acme/\"]\nextra-rule-dirs = [\"security/rules\"]\n",
    );
    write(root, "svc/main.go", GO_RAW_HTTP);
    let (exit, found, _) = check_json(root, &[]);
    assert_eq!(exit, 1);
    assert_eq!(
        found,
        [finding("svc/main.go", "acme/raw-http-client", "medium")]
    );

    // A broken rule file next to it: reported with its position, the scan still runs
    // with the good rule, and the exit code says something is wrong.
    write(
        root,
        "security/rules/broken.toml",
        "id = \"acme/broken\"\ntitle = \"x\"\nlanguage = \"cobol\"\n",
    );
    let o = vigil(root, &["check", "--format", "json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("rule not loaded: ") && stderr(&o).contains("broken.toml:3:12"),
        "{}",
        stderr(&o)
    );
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["findings"][0]["rule_id"], "acme/raw-http-client");
}

#[test]
fn the_sample_configuration_in_the_docs_is_valid() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(root, "app.js", JS_WEAK);
    write(root, "tests/app.test.js", JS_WEAK);
    let sample = repo_root().join("rules/examples/vigil.toml");
    let (exit, found, _) = check_json(root, &["--config", sample.to_str().unwrap()]);
    assert_eq!(exit, 1);
    // The sample raises js/weak-hash to high.
    assert!(
        found.contains(&finding("app.js", "js/weak-hash", "high")),
        "{found:?}"
    );
}

#[test]
fn rules_test_passes_the_worked_example_and_reports_failures() {
    let o = vigil(&repo_root(), &["rules", "test", "rules/examples/org-rules"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("PASS acme/raw-http-client"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("1 passed, 0 failed"));
    // Its pattern names the functions: no advice about speed.
    assert!(!stdout(&o).contains("note:"), "{}", stdout(&o));

    // A wrong expectation and a file that does not load: both fail, readably.
    let dir = TempDir::new().unwrap();
    let rule =
        std::fs::read_to_string(repo_root().join("rules/examples/org-rules/raw-http-client.toml"))
            .unwrap();
    write(
        dir.path(),
        "rules/raw-http.toml",
        rule.replace("expect = [\"http.Get(url)\"]", "expect = [\"http.Get\"]"),
    );
    write(
        dir.path(),
        "rules/broken.toml",
        "id = \"acme/x\"\nseverity = \n",
    );
    let o = vigil(dir.path(), &["rules", "test", "rules"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("FAIL acme/raw-http-client"), "{out}");
    assert!(
        out.contains("bad example 1: expected findings [\"http.Get\"], got [\"http.Get(url)\"]"),
        "{out}"
    );
    assert!(out.contains("FAIL rules/broken.toml:2:"), "{out}");
    assert!(out.contains("0 passed, 2 failed"), "{out}");

    // Without the predicate and `resolves-to`, the pattern names nothing: every call
    // is a candidate, in every file, and the author is told.
    let generic = rule
        .replace(
            "\n  (#any-of? @fn \"Get\" \"Head\" \"Post\" \"PostForm\")",
            "",
        )
        .replace(
            "capture = \"callee\"\nresolves-to",
            "capture = \"callee\"\nnot-matches = \"^fmt\\\\.\"\n# resolves-to",
        );
    assert_ne!(generic, rule);
    std::fs::remove_file(dir.path().join("rules/broken.toml")).unwrap();
    write(dir.path(), "rules/raw-http.toml", generic);
    let o = vigil(dir.path(), &["rules", "test", "rules"]);
    let out = stdout(&o);
    assert!(out.contains("acme/raw-http-client"), "{out}");
    assert!(out.contains("note: a pattern names no literal"), "{out}");

    let o = vigil(dir.path(), &["rules", "test", "no-such-dir"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no-such-dir is not a directory"));
}

#[test]
fn suppressions_section_turns_other_tools_markers_off_for_the_project() {
    let dir = TempDir::new().unwrap();
    let go = "package main\n\nimport (\n\t\"crypto/md5\"\n\t\"fmt\"\n)\n\nfunc main() {\n\t// #nosec G401 -- checksum of a public file\n\tfmt.Println(md5.Sum(nil))\n}\n";
    write(dir.path(), "svc/main.go", go);
    // No vigil.toml: gosec's marker is honoured, as by default.
    let (status, findings, report) = check_json(dir.path(), &[]);
    assert_eq!((status, findings), (0, vec![]));
    assert_eq!(report["summary"]["suppressed"], 1);

    write(
        dir.path(),
        "vigil.toml",
        "[suppressions]\nhonour-other-tools = false\n",
    );
    let (status, findings, _) = check_json(dir.path(), &[]);
    assert_eq!(status, 1);
    assert_eq!(
        findings,
        vec![finding("svc/main.go", "go/weak-hash-md5", "medium")]
    );

    // A misspelt key is an error with its line, never silently ignored.
    write(
        dir.path(),
        "vigil.toml",
        "[suppressions]\nhonour-other-tool = false\n",
    );
    let o = vigil(dir.path(), &["check"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("vigil.toml:2:"), "{}", stderr(&o));
}

//! Inline suppressions through `vigil check`, run as a process: every marker form,
//! markers surviving a formatter's re-wrapping, prose that mentions the keyword,
//! Vigil's findings about bad markers, other tools' markers on and off, and how
//! suppressed findings appear in the human, JSON and SARIF reports and in `--fix`.
//!
//! Each suppressing case is checked against the same code without its marker, so a
//! test cannot pass because the rule simply did not fire.

#[path = "support/process.rs"]
mod process;
use process::{stdout, vigil};

use serde_json::Value;
use tempfile::TempDir;

/// Scans files with the given names and contents in a fresh directory, in one run
/// (each run loads every rule, so cases share a run), and returns the JSON report.
fn scan_files(files: &[(String, String)], extra: &[&str]) -> Value {
    let dir = TempDir::new().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let out = vigil(dir.path(), &args);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&out)));
    let expected_code = if report["findings"].as_array().unwrap().is_empty() {
        0
    } else {
        1
    };
    assert_eq!(out.status.code(), Some(expected_code), "{report}");
    report
}

fn scan(name: &str, text: &str, extra: &[&str]) -> Value {
    scan_files(&[(name.to_string(), text.to_string())], extra)
}

/// Rule ids of the report's `key` list (`findings` or `suppressed`) in file `path`.
fn ids_in(report: &Value, key: &str, path: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path)
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

fn ids(report: &Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

/// A case: file extension, text, the rules it suppresses, and the marker text whose
/// removal must make those rules fire.
struct Case {
    ext: &'static str,
    text: String,
    rules: Vec<&'static str>,
    strip: String,
}

fn case(ext: &'static str, text: String, rules: &[&'static str], strip: &str) -> Case {
    Case {
        ext,
        text,
        rules: rules.to_vec(),
        strip: strip.to_string(),
    }
}

/// Asserts each case has exactly its rules suppressed and nothing reported, and that
/// without its marker those rules do fire; all cases in one run.
fn assert_suppressed(cases: &[Case]) {
    let mut files = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let bare = c.text.replace(&c.strip, "");
        assert_ne!(bare, c.text, "the marker to strip is in case {i}");
        files.push((format!("case{i}.{}", c.ext), c.text.clone()));
        files.push((format!("bare{i}.{}", c.ext), bare));
    }
    let report = scan_files(&files, &[]);
    for (i, c) in cases.iter().enumerate() {
        let with = format!("case{i}.{}", c.ext);
        let without = format!("bare{i}.{}", c.ext);
        assert_eq!(
            ids_in(&report, "findings", &with),
            Vec::<String>::new(),
            "case {i}:\n{}\n{report}",
            c.text
        );
        assert_eq!(
            ids_in(&report, "suppressed", &with),
            c.rules,
            "case {i}:\n{}",
            c.text
        );
        assert_eq!(
            ids_in(&report, "findings", &without),
            c.rules,
            "case {i} without its marker:\n{}",
            c.text.replace(&c.strip, "")
        );
    }
}

const JS_HEAD: &str =
    "const crypto = require('crypto');\nconst { exec } = require('child_process');\n";

#[test]
fn every_marker_form_suppresses() {
    let md5 = "const h = crypto.createHash('md5');\n";
    let mut cases = Vec::new();
    for marker in [
        "// vigil-ignore[js/weak-hash]: cache key, not security\n",
        "/* vigil-ignore[js/weak-hash]: cache key */\n",
        "/**\n * vigil-ignore[js/weak-hash]: cache key\n */\n",
    ] {
        cases.push(case(
            "js",
            format!("{JS_HEAD}{marker}{md5}"),
            &["js/weak-hash"],
            marker,
        ));
    }
    for trailing in [
        " // vigil-ignore[js/weak-hash]: cache key",
        " /* vigil-ignore[js/weak-hash]: cache key */",
    ] {
        let text = format!("{JS_HEAD}const h = crypto.createHash('md5');{trailing}\n");
        cases.push(case("js", text, &["js/weak-hash"], trailing));
    }
    // Several ids in one marker.
    let marker = "// vigil-ignore[js/command-injection, js/weak-hash]: fixture\n";
    let text =
        format!("{JS_HEAD}{marker}exec(`echo ${{crypto.createHash('md5').digest('hex')}}`);\n");
    cases.push(case(
        "js",
        text,
        &["js/command-injection", "js/weak-hash"],
        marker,
    ));
    // Inside JSX children, a comment is written `{/* ... */}`.
    let marker = "      {/* vigil-ignore[js/react-dangerous-html]: sanitised upstream */}\n";
    let text = format!(
        "export function Page({{ html }}) {{\n  return (\n    <div>\n{marker}      <p dangerouslySetInnerHTML={{{{ __html: html }}}} />\n    </div>\n  );\n}}\n"
    );
    cases.push(case("jsx", text, &["js/react-dangerous-html"], marker));
    // Go, before a statement.
    let marker = "\t// vigil-ignore[go/weak-hash-md5]: content address\n";
    let text = format!(
        "package main\n\nimport \"crypto/md5\"\n\nfunc h(d []byte) [16]byte {{\n{marker}\treturn md5.Sum(d)\n}}\n"
    );
    cases.push(case("go", text, &["go/weak-hash-md5"], marker));
    assert_suppressed(&cases);
}

#[test]
fn markers_survive_a_formatter_rewrapping_the_code() {
    let mut cases = Vec::new();
    let marker = "  // vigil-ignore[js/command-injection]: dir is an allow-listed constant\n";
    let one_line = "  exec(`ls ${dir}`, { cwd: base }, (err, out) => done(out));\n";
    let wrapped =
        "  exec(\n    `ls ${dir}`,\n    { cwd: base },\n    (err, out) => done(out),\n  );\n";
    for code in [one_line, wrapped] {
        let text = format!("{JS_HEAD}function run(dir, base, done) {{\n{marker}{code}}}\n");
        cases.push(case("js", text, &["js/command-injection"], marker));
    }
    // A trailing marker follows the statement's last line, wherever that is.
    let trailing = " // vigil-ignore[js/command-injection]: allow-listed";
    let wrapped = format!("  exec(\n    `ls ${{dir}}`,\n    {{ cwd: base }},\n  );{trailing}\n");
    let joined = format!("  exec(`ls ${{dir}}`, {{ cwd: base }});{trailing}\n");
    for code in [wrapped, joined] {
        let text = format!("{JS_HEAD}function run(dir, base) {{\n{code}}}\n");
        cases.push(case("js", text, &["js/command-injection"], trailing));
    }
    // Go: a marker on a struct field, with the literal on one line or several.
    let trailing = " // vigil-ignore[go/tls-insecure-skip-verify]: test server only";
    let head = "package main\n\nimport \"crypto/tls\"\n\nfunc cfg() *tls.Config {\n";
    let multi = format!(
        "\treturn &tls.Config{{\n\t\tMinVersion:         tls.VersionTLS12,\n\t\tInsecureSkipVerify: true,{trailing}\n\t}}\n"
    );
    let single = format!(
        "\treturn &tls.Config{{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}}{trailing}\n"
    );
    for code in [multi, single] {
        let text = format!("{head}{code}}}\n");
        cases.push(case("go", text, &["go/tls-insecure-skip-verify"], trailing));
    }
    assert_suppressed(&cases);
}

#[test]
fn a_marker_applies_to_its_statement_only() {
    // The next statement's finding stays: the marker is anchored to one node.
    let text = format!(
        "{JS_HEAD}// vigil-ignore[js/weak-hash]: cache key\nconst a = crypto.createHash('md5');\nconst b = crypto.createHash('md5');\n"
    );
    let report = scan("a.js", &text, &[]);
    assert_eq!(ids(&report, "suppressed"), ["js/weak-hash"]);
    assert_eq!(ids(&report, "findings"), ["js/weak-hash"]);
    assert_eq!(report["findings"][0]["start"]["line"], 5);
}

#[test]
fn prose_mentioning_the_keyword_suppresses_nothing_and_is_not_reported() {
    for comment in [
        "// see the vigil-ignore[js/weak-hash] docs before adding one",
        "/* TODO: maybe vigil-ignore[js/weak-hash]: later */",
        "// TODO #nosec G401",
    ] {
        let text = format!("{JS_HEAD}{comment}\nconst h = crypto.createHash('md5');\n");
        let report = scan("a.js", &text, &[]);
        assert_eq!(ids(&report, "findings"), ["js/weak-hash"], "{comment}");
        assert!(ids(&report, "suppressed").is_empty());
    }
    // Nor is text in a string that looks like a marker.
    let text = format!(
        "{JS_HEAD}const s = `\n// vigil-ignore[js/weak-hash]: x\n`; const h = crypto.createHash('md5');\n"
    );
    assert_eq!(ids(&scan("a.js", &text, &[]), "findings"), ["js/weak-hash"]);
}

#[test]
fn problems_with_markers_are_findings() {
    let text = format!(
        "{JS_HEAD}\
// vigil-ignore[js/weak-hsh]: cache key\n\
const a = crypto.createHash('md5');\n\
// vigil-ignore[js/weak-hash]\n\
const b = crypto.createHash('md5');\n\
// vigil-ignore[js/command-injection]: was an exec once\n\
const c = 1;\n\
// vigil-ignore: forgot the brackets\n\
const d = 2;\n\
// vigil-ignore[go/weak-hash-md5]: wrong language\n\
const e = 3;\n"
    );
    let report = scan("a.js", &text, &[]);
    let found: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |rule: &str, line: u64, needle: &str| {
        assert!(
            found
                .iter()
                .any(|(r, l, m)| r == rule && *l == line && m.contains(needle)),
            "{rule} on line {line} containing {needle:?} in {found:#?}"
        );
    };
    expect(
        "vigil/suppression-unknown-rule",
        3,
        "unknown rule `js/weak-hsh` in vigil-ignore; did you mean `js/weak-hash`",
    );
    expect("js/weak-hash", 4, "md5");
    expect("vigil/suppression-no-justification", 5, "js/weak-hash");
    expect(
        "vigil/unused-suppression",
        7,
        "no js/command-injection finding",
    );
    expect("vigil/suppression-malformed", 9, "in brackets");
    expect(
        "vigil/suppression-unknown-rule",
        11,
        "does not run on javascript files",
    );
    assert_eq!(found.len(), 6, "{found:#?}");
    // The unjustified marker still suppresses.
    assert_eq!(ids(&report, "suppressed"), ["js/weak-hash"]);
    // A rule turned off in this run is not "unused"; ignoring the meta check hides it.
    let report = scan("a.js", &text, &["--ignore", "js/command-injection"]);
    assert!(!ids(&report, "findings").contains(&"vigil/unused-suppression".to_string()));
    let report = scan(
        "a.js",
        &text,
        &["--ignore", "vigil/suppression-unknown-rule"],
    );
    assert!(!ids(&report, "findings").contains(&"vigil/suppression-unknown-rule".to_string()));
}

#[test]
fn other_tools_markers_count_unless_turned_off() {
    let go = "package main\n\nimport \"crypto/md5\"\n\nfunc h(d []byte) [16]byte {\n\treturn md5.Sum(d) // #nosec G401 -- cache key\n}\n";
    let go_bare = go.replace("G401 -- cache key", "");
    let go_other = go.replace("G401", "G404");
    let js = format!(
        "{JS_HEAD}function run(dir) {{\n  // eslint-disable-next-line security/detect-child-process -- allow-listed\n  exec(`ls ${{dir}}`);\n}}\n"
    );
    let js_bare = js.replace(" security/detect-child-process -- allow-listed", "");
    let semgrep = js.replace(
        "eslint-disable-next-line security/detect-child-process -- allow-listed",
        "nosemgrep: detect-child-process",
    );
    let cases = [
        ("go", go.to_string(), "go/weak-hash-md5", "gosec"),
        ("go", go_bare, "go/weak-hash-md5", "gosec"),
        ("js", js, "js/command-injection", "eslint"),
        ("js", js_bare, "js/command-injection", "eslint"),
        ("js", semgrep, "js/command-injection", "semgrep"),
    ];
    let mut files: Vec<(String, String)> = cases
        .iter()
        .enumerate()
        .map(|(i, (ext, text, _, _))| (format!("case{i}.{ext}"), text.clone()))
        .collect();
    files.push(("other.go".into(), go_other));
    let on = scan_files(&files, &[]);
    let off = scan_files(&files, &["--no-foreign-suppressions"]);
    for (i, (ext, text, rule, tool)) in cases.iter().enumerate() {
        let path = format!("case{i}.{ext}");
        assert_eq!(ids_in(&on, "suppressed", &path), [*rule], "{text}");
        assert!(ids_in(&on, "findings", &path).is_empty(), "{text}");
        let entry = on["suppressed"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path.as_str())
            .unwrap();
        assert_eq!(entry["suppression"]["kind"], *tool);
        assert_eq!(ids_in(&off, "findings", &path), [*rule], "{text}");
    }
    // A gosec id that is not this rule's alias suppresses nothing, and is not
    // reported: it may be there for gosec.
    assert_eq!(ids_in(&on, "findings", "other.go"), ["go/weak-hash-md5"]);
}

#[test]
fn reports_record_suppressions_and_exit_codes_ignore_them() {
    let dir = TempDir::new().unwrap();
    let text = format!(
        "{JS_HEAD}// vigil-ignore[js/weak-hash]: cache key, not security\nconst h = crypto.createHash('md5');\n"
    );
    std::fs::write(dir.path().join("a.js"), &text).unwrap();

    let human = vigil(dir.path(), &["check", "a.js"]);
    assert_eq!(
        human.status.code(),
        Some(0),
        "suppressed findings do not fail"
    );
    let out = stdout(&human);
    assert!(!out.contains("js/weak-hash"), "{out}");
    assert!(out.contains("1 suppressed"), "{out}");

    let report: Value =
        serde_json::from_slice(&vigil(dir.path(), &["check", "--format", "json"]).stdout).unwrap();
    assert_eq!(report["summary"]["findings"], 0);
    assert_eq!(report["summary"]["suppressed"], 1);
    let s = &report["suppressed"][0];
    assert_eq!(s["rule_id"], "js/weak-hash");
    assert_eq!(s["start"]["line"], 4);
    assert_eq!(
        s["suppression"],
        serde_json::json!({"kind": "vigil", "justification": "cache key, not security", "line": 3})
    );

    let sarif: Value =
        serde_json::from_slice(&vigil(dir.path(), &["check", "--format", "sarif"]).stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "js/weak-hash");
    let suppressions = results[0]["suppressions"].as_array().unwrap();
    assert_eq!(suppressions.len(), 1);
    assert_eq!(suppressions[0]["kind"], "inSource");
    assert_eq!(suppressions[0]["justification"], "cache key, not security");
    // Vigil's own checks are described like any rule.
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules.iter().any(|r| r["id"] == "vigil/unused-suppression"));

    // --fix leaves suppressed findings alone.
    let fix = vigil(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!(fix.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.js")).unwrap(),
        text
    );
}

#[test]
fn rules_explain_covers_the_suppression_checks_and_aliases() {
    let dir = TempDir::new().unwrap();
    let out = vigil(
        dir.path(),
        &["rules", "explain", "vigil/unused-suppression"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Only rules enabled in this run are checked"));
    let out = vigil(dir.path(), &["rules", "explain", "go/weak-hash-md5"]);
    assert!(stdout(&out).contains("gosec:G401"), "{}", stdout(&out));
}

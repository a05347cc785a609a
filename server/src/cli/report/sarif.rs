//! `--format sarif`: SARIF 2.1.0, as read by GitHub code scanning and other
//! dashboards.
//!
//! Findings silenced by a suppression comment are results too, with
//! `suppressions: [{"kind": "inSource", "justification": ...}]` (SARIF 2.1.0 §3.35),
//! so dashboards show them as suppressed rather than not at all.
//!
//! Every rule of the set is listed in `tool.driver.rules` (also those without results,
//! so dashboards can show what was checked). Artifact URIs are relative to the working
//! directory, given as the `%SRCROOT%` base; files outside it get absolute `file://`
//! URIs. Columns are 1-based UTF-16 code units (`columnKind: utf16CodeUnits`, the
//! SARIF default). Each result carries its fingerprint as
//! `partialFingerprints["vigil/v1"]`; with a baseline, results are only the new
//! findings (`baselineState: "new"`) and the run's `properties.baseline` counts the
//! hidden and fixed ones.

use std::path::{Component, Path};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Value, json};

use super::{Report, position};
use crate::baseline::path::normalize;
use crate::cli::scan::ScannedFile;
use crate::engine::{
    Confidence, FINGERPRINT_VERSION, Finding, Rule, Severity, Suppression, TextRange,
};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";
const INFORMATION_URI: &str = "https://github.com/vigil-dev/vigil";

/// Characters escaped in a URI path segment (RFC 3986 `pchar` minus sub-delims kept).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "recommendation",
    }
}

fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

/// `js/weak-hash` -> `JsWeakHash`: SARIF wants an identifier-like name.
fn rule_name(id: &str) -> String {
    id.split(['/', '-', '_', '.'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// The explanation's "What it finds" section as one paragraph, else the title.
fn full_description(rule: &Rule) -> String {
    let mut lines = rule.explanation.lines().skip_while(|l| {
        !l.trim_start()
            .trim_start_matches('#')
            .trim()
            .eq_ignore_ascii_case("what it finds")
    });
    if lines.next().is_none() {
        return rule.title.clone();
    }
    let para: Vec<&str> = lines
        .take_while(|l| !l.trim_start().starts_with('#'))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if para.is_empty() {
        rule.title.clone()
    } else {
        para.join(" ")
    }
}

fn rule_descriptor(rule: &Rule) -> Value {
    let mut tags = vec!["security".to_string()];
    tags.extend(rule.cwe_tags());
    tags.extend(rule.tags.iter().cloned());
    tags.extend(rule.owasp.iter().cloned());
    let mut help = rule.explanation.clone();
    if !rule.references.is_empty() {
        help.push_str("\n\n## References\n");
        for r in &rule.references {
            help.push_str(&format!("- {r}\n"));
        }
    }
    json!({
        "id": rule.id,
        "name": rule_name(&rule.id),
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": full_description(rule) },
        "help": { "text": help, "markdown": help },
        "helpUri": rule.help_uri(),
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": {
            "tags": tags,
            "precision": precision(rule.confidence),
            "problem.severity": problem_severity(rule.severity),
            "security-severity": rule.severity.security_severity(),
        },
    })
}

fn encode_path(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => {
                Some(utf8_percent_encode(&s.to_string_lossy(), SEGMENT).to_string())
            }
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn file_uri(abs: &Path) -> String {
    format!("file:///{}", encode_path(abs))
}

/// The root as a directory URI, which SARIF requires to end with `/`.
fn root_uri(root: &Path) -> String {
    let path = encode_path(&normalize(root));
    if path.is_empty() {
        "file:///".into()
    } else {
        format!("file:///{path}/")
    }
}

/// The artifact location of a scanned path: relative to `root` when inside it.
fn artifact_location(path: &Path, root: &Path) -> Value {
    let abs = normalize(&root.join(path));
    match abs.strip_prefix(normalize(root)) {
        Ok(rel) => json!({ "uri": encode_path(rel), "uriBaseId": SRCROOT }),
        Err(_) => json!({ "uri": file_uri(&abs) }),
    }
}

fn region(file: &ScannedFile, range: TextRange) -> Value {
    let start = position(&file.text, &file.line_index, range.start);
    let end = position(&file.text, &file.line_index, range.end);
    json!({
        "startLine": start.line,
        "startColumn": start.utf16_column,
        "endLine": end.line,
        "endColumn": end.utf16_column,
    })
}

fn result(file: &ScannedFile, f: &Finding, rule_index: Option<usize>, root: &Path) -> Value {
    let location = artifact_location(&file.path, root);
    let mut region_value = region(file, f.range);
    region_value["snippet"] = json!({ "text": &file.text[f.range.start..f.range.end] });
    let fixes: Vec<Value> = f
        .fixes
        .iter()
        .map(|fix| {
            json!({
                "description": { "text": fix.title },
                "artifactChanges": [{
                    "artifactLocation": location,
                    "replacements": fix.edits.iter().map(|e| json!({
                        "deletedRegion": region(file, e.range),
                        "insertedContent": { "text": e.new_text },
                    })).collect::<Vec<_>>(),
                }],
                "properties": { "applicability": fix.applicability.as_str() },
            })
        })
        .collect();
    let mut value = json!({
        "ruleId": f.rule.id,
        "level": level(f.severity),
        "message": { "text": f.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": location,
                "region": region_value,
            }
        }],
        "properties": {
            "severity": f.severity.as_str(),
            "confidence": f.rule.confidence.as_str(),
        },
    });
    if let Some(i) = rule_index {
        value["ruleIndex"] = json!(i);
    }
    if !fixes.is_empty() {
        value["fixes"] = Value::Array(fixes);
    }
    value
}

/// SARIF 2.1.0 §3.35: a suppression written in the source, with its reason.
fn in_source_suppression(s: &Suppression) -> Value {
    let mut value = json!({ "kind": "inSource", "properties": { "marker": s.tool } });
    if let Some(why) = &s.justification {
        value["justification"] = json!(why);
    }
    json!([value])
}

pub fn render(report: &Report, out: &mut String) {
    let rules: Vec<Value> = report
        .rules
        .rules()
        .iter()
        .map(|r| rule_descriptor(r))
        .collect();
    let results: Vec<Value> = report
        .files
        .iter()
        .flat_map(|file| {
            let reported = file.findings.iter().enumerate().map(move |(i, f)| {
                let mut value = result(file, f, report.rules.index_of(&f.rule.id), report.root);
                if let Some(fp) = file.fingerprints.get(i) {
                    value["partialFingerprints"] = json!({ FINGERPRINT_VERSION: fp.as_str() });
                }
                if report.baseline.is_some() {
                    value["baselineState"] = json!("new");
                }
                value
            });
            let suppressed = file.suppressed.iter().map(move |s| {
                let mut value = result(
                    file,
                    &s.finding,
                    report.rules.index_of(&s.finding.rule.id),
                    report.root,
                );
                value["suppressions"] = in_source_suppression(&s.suppression);
                value
            });
            reported.chain(suppressed)
        })
        .collect();
    let notification = |path: &Path, text: String| {
        json!({
            "level": "warning",
            "message": { "text": text },
            "locations": [{ "physicalLocation": {
                "artifactLocation": artifact_location(path, report.root)
            }}],
        })
    };
    let notifications: Vec<Value> = report
        .skipped
        .iter()
        .map(|s| notification(&s.path, format!("skipped: {}", s.reason)))
        .chain(
            report
                .files
                .iter()
                .flat_map(|f| f.warnings.iter().map(|w| notification(&f.path, w.clone()))),
        )
        .collect();
    let mut sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "vigil",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "originalUriBaseIds": {
                SRCROOT: { "uri": root_uri(report.root) }
            },
            "columnKind": "utf16CodeUnits",
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    if let Some(b) = report.baseline {
        sarif["runs"][0]["properties"] =
            json!({ "baseline": { "hidden": b.hidden, "fixed": b.fixed } });
    }
    out.push_str(&serde_json::to_string_pretty(&sarif).expect("SARIF serialises"));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_identifiers() {
        assert_eq!(rule_name("js/weak-hash"), "JsWeakHash");
        assert_eq!(rule_name("go/sql-injection"), "GoSqlInjection");
    }

    #[test]
    fn uris_are_relative_inside_the_root_and_encoded() {
        let root = Path::new("/work/repo");
        let loc = artifact_location(Path::new("src/my app/a#1.js"), root);
        assert_eq!(loc["uri"], "src/my%20app/a%231.js");
        assert_eq!(loc["uriBaseId"], SRCROOT);
        let loc = artifact_location(Path::new("./b/../c.go"), root);
        assert_eq!(loc["uri"], "c.go");
        let loc = artifact_location(Path::new("../other/x.go"), root);
        assert_eq!(loc["uri"], "file:///work/other/x.go");
        assert!(loc.get("uriBaseId").is_none());
        let loc = artifact_location(Path::new("/abs/y.ts"), root);
        assert_eq!(loc["uri"], "file:///abs/y.ts");
        assert_eq!(root_uri(root), "file:///work/repo/");
        assert_eq!(root_uri(Path::new("/")), "file:///");
    }
}

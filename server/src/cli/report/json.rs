//! `--format json`: a stable, versioned report for scripts.
//!
//! Schema (version 1). Additions keep the version; removals or changes bump it.
//!
//! ```text
//! {
//!   "version": 1,
//!   "tool": { "name": "vigil", "version": "0.1.0" },
//!   "findings": [{
//!     "rule_id": "js/weak-hash", "title": "...",
//!     "severity": "low|medium|high|critical", "confidence": "low|medium|high",
//!     "cwe": ["CWE-328"], "owasp": ["A02:2021-Cryptographic Failures"],
//!     "path": "src/app.js",                  // as scanned, `/`-separated
//!     "start": { "line": 3, "column": 34 },  // 1-based; columns count characters
//!     "end":   { "line": 3, "column": 39 },  // exclusive
//!     "byte_range": { "start": 61, "end": 66 },  // 0-based UTF-8 bytes, end exclusive
//!     "message": "...", "help_uri": "https://...",
//!     "fingerprint": "3f0c...",              // 32 hex digits, stable across line moves
//!     "fixes": [{                            // only fixes verified to keep the file parsing
//!       "title": "Use SHA-256", "applicability": "safe|changes-behaviour",
//!       "edits": [{ "start": {..}, "end": {..}, "byte_range": {..}, "new_text": "sha256" }]
//!     }]
//!   }],
//!   "suppressed": [{                       // findings silenced by a suppression comment:
//!     ...same fields as a finding...,      // not in `findings`, not counted there
//!     "suppression": { "kind": "vigil|gosec|semgrep|eslint",   // whose marker
//!                      "justification": "why it is safe" | null,
//!                      "line": 2 }         // 1-based line of the marker
//!   }],
//!   "skipped": [{ "path": "...", "reason": "binary file" }],
//!   "warnings": [{ "path": "...", "message": "syntax error at line 3; ..." }],
//!   "fixed": [{ "path": "...", "line": 3, "rule_id": "...", "title": "..." }],
//!   "rejected_fixes": [{ "path": "...", "line": 3, "rule_id": "...", "title": "...", "reason": "..." }],
//!   "summary": { "files_scanned": 12, "files_skipped": 0, "files_with_findings": 2,
//!                "findings": 3, "by_severity": { "critical": 0, "high": 1, "medium": 2, "low": 0 },
//!                "fixable": 1, "fixable_unsafe": 1, "fixed": 0, "suppressed": 0,
//!                "baseline": { "hidden": 12, "fixed": 1 } }  // only with a baseline
//! }
//! ```
//! Findings are ordered by path, then position. With `--baseline` they are only the
//! findings not in the baseline, and `summary.findings` counts those.

use serde::Serialize;

use super::{Report, SEVERITIES, Summary, display_path, position};
use crate::cli::scan::ScannedFile;
use crate::engine::{Finding, TextRange};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding>,
    suppressed: Vec<JsonSuppressed>,
    skipped: Vec<JsonSkipped>,
    warnings: Vec<JsonWarning>,
    fixed: Vec<JsonFixed>,
    rejected_fixes: Vec<JsonRejected>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding {
    rule_id: String,
    title: String,
    severity: &'static str,
    confidence: &'static str,
    cwe: Vec<String>,
    owasp: Vec<String>,
    path: String,
    start: JsonPosition,
    end: JsonPosition,
    byte_range: TextRange,
    message: String,
    help_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
    fixes: Vec<JsonFix>,
}

#[derive(Serialize)]
struct JsonSuppressed {
    #[serde(flatten)]
    finding: JsonFinding,
    suppression: JsonSuppression,
}

#[derive(Serialize)]
struct JsonSuppression {
    kind: &'static str,
    justification: Option<String>,
    line: usize,
}

#[derive(Serialize)]
struct JsonPosition {
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct JsonFix {
    title: String,
    applicability: &'static str,
    edits: Vec<JsonEdit>,
}

#[derive(Serialize)]
struct JsonEdit {
    start: JsonPosition,
    end: JsonPosition,
    byte_range: TextRange,
    new_text: String,
}

#[derive(Serialize)]
struct JsonSkipped {
    path: String,
    reason: String,
}

#[derive(Serialize)]
struct JsonWarning {
    path: String,
    message: String,
}

#[derive(Serialize)]
struct JsonFixed {
    path: String,
    line: usize,
    rule_id: String,
    title: String,
}

#[derive(Serialize)]
struct JsonRejected {
    path: String,
    line: usize,
    rule_id: String,
    title: String,
    reason: String,
}

#[derive(Serialize)]
struct JsonSummary {
    files_scanned: usize,
    files_skipped: usize,
    files_with_findings: usize,
    findings: usize,
    by_severity: serde_json::Map<String, serde_json::Value>,
    fixable: usize,
    fixable_unsafe: usize,
    fixed: usize,
    suppressed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<JsonBaseline>,
}

#[derive(Serialize)]
struct JsonBaseline {
    hidden: usize,
    fixed: usize,
}

fn pos(file: &ScannedFile, offset: usize) -> JsonPosition {
    let p = position(&file.text, &file.line_index, offset);
    JsonPosition {
        line: p.line,
        column: p.column,
    }
}

/// `i` is the finding's index in `file.findings`, for its fingerprint; `None` for a
/// suppressed finding, which has none.
fn finding(file: &ScannedFile, i: Option<usize>, f: &Finding) -> JsonFinding {
    JsonFinding {
        rule_id: f.rule.id.clone(),
        title: f.rule.title.clone(),
        severity: f.severity.as_str(),
        confidence: f.rule.confidence.as_str(),
        cwe: f.rule.cwe_tags(),
        owasp: f.rule.owasp.clone(),
        path: display_path(&file.path),
        start: pos(file, f.range.start),
        end: pos(file, f.range.end),
        byte_range: f.range,
        message: f.message.clone(),
        help_uri: f.rule.help_uri(),
        fingerprint: i
            .and_then(|i| file.fingerprints.get(i))
            .map(|fp| fp.to_string()),
        fixes: f
            .fixes
            .iter()
            .map(|fix| JsonFix {
                title: fix.title.clone(),
                applicability: fix.applicability.as_str(),
                edits: fix
                    .edits
                    .iter()
                    .map(|e| JsonEdit {
                        start: pos(file, e.range.start),
                        end: pos(file, e.range.end),
                        byte_range: e.range,
                        new_text: e.new_text.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

pub fn render(report: &Report, out: &mut String) {
    let s = Summary::of(report);
    let by_severity = SEVERITIES
        .iter()
        .rev()
        .map(|sev| {
            let n = s.by_severity[super::severity_index(*sev)];
            (sev.as_str().to_string(), serde_json::Value::from(n))
        })
        .collect();
    let json = JsonReport {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "vigil",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: report
            .files
            .iter()
            .flat_map(|file| {
                file.findings
                    .iter()
                    .enumerate()
                    .map(move |(i, f)| finding(file, Some(i), f))
            })
            .collect(),
        suppressed: report
            .files
            .iter()
            .flat_map(|file| {
                file.suppressed.iter().map(move |s| JsonSuppressed {
                    finding: finding(file, None, &s.finding),
                    suppression: JsonSuppression {
                        kind: s.suppression.tool,
                        justification: s.suppression.justification.clone(),
                        line: pos(file, s.suppression.marker.start).line,
                    },
                })
            })
            .collect(),
        skipped: report
            .skipped
            .iter()
            .map(|s| JsonSkipped {
                path: display_path(&s.path),
                reason: s.reason.clone(),
            })
            .collect(),
        warnings: report
            .files
            .iter()
            .flat_map(|f| {
                f.warnings.iter().map(|w| JsonWarning {
                    path: display_path(&f.path),
                    message: w.clone(),
                })
            })
            .collect(),
        fixed: report
            .fixed
            .iter()
            .map(|f| JsonFixed {
                path: display_path(&f.path),
                line: f.line,
                rule_id: f.rule_id.clone(),
                title: f.title.clone(),
            })
            .collect(),
        rejected_fixes: report
            .rejected
            .iter()
            .map(|f| JsonRejected {
                path: display_path(&f.path),
                line: f.line,
                rule_id: f.rule_id.clone(),
                title: f.title.clone(),
                reason: f.reason.clone(),
            })
            .collect(),
        summary: JsonSummary {
            files_scanned: s.files_scanned,
            files_skipped: s.files_skipped,
            files_with_findings: s.files_with_findings,
            findings: s.findings,
            by_severity,
            fixable: s.fixable,
            fixable_unsafe: s.fixable_unsafe,
            fixed: s.fixed,
            suppressed: s.suppressed,
            baseline: report.baseline.map(|b| JsonBaseline {
                hidden: b.hidden,
                fixed: b.fixed,
            }),
        },
    };
    out.push_str(&serde_json::to_string_pretty(&json).expect("report serialises"));
    out.push('\n');
}

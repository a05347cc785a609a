//! Engine values to LSP values and back: positions, ranges, findings as diagnostics,
//! and the `data` a diagnostic carries so code actions need no re-analysis.

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticSeverity, NumberOrString, Position, Range, Uri,
};

use crate::engine::fix::Edit;
use crate::engine::{
    Applicability, Finding, Fix, LineCol, LineIndex, PositionEncoding, Severity, TextRange,
};

pub const SOURCE: &str = "vigil";
/// Code of the informational diagnostic on files above the size limit.
pub const FILE_TOO_LARGE: &str = "vigil/file-too-large";
/// Code of the informational diagnostic on documents that look like binary data.
pub const BINARY_DOCUMENT: &str = "vigil/binary-document";
/// Code of the informational diagnostic on a limit the analysis hit.
pub const ANALYSIS_LIMITED: &str = "vigil/analysis-limited";
/// Codes of Vigil's own notes, which are not findings of a rule.
const NOTES: [&str; 3] = [FILE_TOO_LARGE, BINARY_DOCUMENT, ANALYSIS_LIMITED];

pub fn to_offset(index: &LineIndex, text: &str, pos: Position, enc: PositionEncoding) -> usize {
    index.offset(
        text,
        LineCol {
            line: pos.line,
            col: pos.character,
        },
        enc,
    )
}

pub fn to_position(
    index: &LineIndex,
    text: &str,
    offset: usize,
    enc: PositionEncoding,
) -> Position {
    let lc = index.line_col(text, offset, enc);
    Position::new(lc.line, lc.col)
}

pub fn to_range(index: &LineIndex, text: &str, range: TextRange, enc: PositionEncoding) -> Range {
    Range::new(
        to_position(index, text, range.start, enc),
        to_position(index, text, range.end, enc),
    )
}

pub fn lsp_severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Critical | Severity::High => DiagnosticSeverity::ERROR,
        Severity::Medium => DiagnosticSeverity::WARNING,
        Severity::Low => DiagnosticSeverity::INFORMATION,
    }
}

/// What a diagnostic carries for code actions: the document version it describes and
/// its fixes as LSP edits of that version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DiagnosticData {
    pub version: i32,
    pub fixes: Vec<FixData>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FixData {
    pub index: usize,
    pub title: String,
    pub safe: bool,
    pub edits: Vec<EditData>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EditData {
    pub range: Range,
    #[serde(rename = "newText")]
    pub new_text: String,
}

impl FixData {
    fn from_fix(fix: &Fix, index: &LineIndex, text: &str, enc: PositionEncoding) -> FixData {
        FixData {
            index: fix.index,
            title: fix.title.clone(),
            safe: fix.applicability == Applicability::Safe,
            edits: fix
                .edits
                .iter()
                .map(|e| EditData {
                    range: to_range(index, text, e.range, enc),
                    new_text: e.new_text.clone(),
                })
                .collect(),
        }
    }

    /// Back to an engine fix over `text` (the version the data was made for).
    pub fn to_fix(&self, index: &LineIndex, text: &str, enc: PositionEncoding) -> Fix {
        Fix {
            index: self.index,
            title: self.title.clone(),
            applicability: if self.safe {
                Applicability::Safe
            } else {
                Applicability::ChangesBehaviour
            },
            edits: self
                .edits
                .iter()
                .map(|e| Edit {
                    range: TextRange::new(
                        to_offset(index, text, e.range.start, enc),
                        to_offset(index, text, e.range.end, enc),
                    ),
                    new_text: e.new_text.clone(),
                })
                .collect(),
        }
    }
}

pub fn diagnostic(
    finding: &Finding,
    version: i32,
    index: &LineIndex,
    text: &str,
    enc: PositionEncoding,
) -> Diagnostic {
    let data = DiagnosticData {
        version,
        fixes: finding
            .fixes
            .iter()
            .map(|f| FixData::from_fix(f, index, text, enc))
            .collect(),
    };
    Diagnostic {
        range: to_range(index, text, finding.range, enc),
        severity: Some(lsp_severity(finding.severity)),
        code: Some(NumberOrString::String(finding.rule.id.clone())),
        code_description: finding
            .rule
            .help_uri()
            .parse::<Uri>()
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message: finding.message.clone(),
        related_information: None,
        tags: None,
        data: serde_json::to_value(data).ok(),
    }
}

/// The one diagnostic a file above the size limit gets.
pub fn file_too_large(size: usize, limit: usize) -> Diagnostic {
    Diagnostic {
        range: Range::default(),
        severity: Some(DiagnosticSeverity::INFORMATION),
        code: Some(NumberOrString::String(FILE_TOO_LARGE.to_string())),
        source: Some(SOURCE.to_string()),
        message: format!(
            "Vigil did not analyse this file: {size} bytes is above the limit of {limit} bytes (setting vigil.maxFileSize)"
        ),
        ..Diagnostic::default()
    }
}

/// The one diagnostic a document that looks like binary data gets.
pub fn binary_document() -> Diagnostic {
    Diagnostic {
        range: Range::default(),
        severity: Some(DiagnosticSeverity::INFORMATION),
        code: Some(NumberOrString::String(BINARY_DOCUMENT.to_string())),
        source: Some(SOURCE.to_string()),
        message: "Vigil did not analyse this document: it contains NUL bytes, so it is binary data rather than source code".into(),
        ..Diagnostic::default()
    }
}

/// A limit the analysis hit (a rule cut short, a query too complex), shown at the
/// top of the document.
pub fn analysis_limited(warning: &str) -> Diagnostic {
    Diagnostic {
        range: Range::default(),
        severity: Some(DiagnosticSeverity::INFORMATION),
        code: Some(NumberOrString::String(ANALYSIS_LIMITED.to_string())),
        source: Some(SOURCE.to_string()),
        message: format!("Vigil: {warning}"),
        ..Diagnostic::default()
    }
}

/// The rule id of a Vigil diagnostic.
pub fn rule_id(diagnostic: &Diagnostic) -> Option<&str> {
    if diagnostic.source.as_deref() != Some(SOURCE) {
        return None;
    }
    match &diagnostic.code {
        Some(NumberOrString::String(id)) if !NOTES.contains(&id.as_str()) => Some(id),
        _ => None,
    }
}

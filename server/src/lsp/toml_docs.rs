//! Open `vigil.toml` files and organisation rule files: their problems as diagnostics
//! on the document itself, checked on the editor's text as the user types (the same
//! checks as on load: schema, globs, rule directories, selectors; the rule loader's).

use std::path::{Path, PathBuf};

use dashmap::DashMap;
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticSeverity, NumberOrString, TextDocumentContentChangeEvent, Uri,
};

use super::convert::{self, SOURCE};
use crate::engine::rule::RuleOrigin;
use crate::engine::rule::load::{RuleSource, parse_rule};
use crate::engine::{LineIndex, PositionEncoding, TextRange};
use crate::project::{CONFIG_FILE_NAME, ProjectConfig, Rules};

/// Code of the diagnostics on configuration and rule files.
pub const INVALID_CONFIG: &str = "vigil/invalid-config";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TomlKind {
    Project,
    Rule,
}

#[derive(Debug)]
pub struct TomlDocument {
    pub kind: TomlKind,
    pub path: PathBuf,
    pub version: i32,
    pub text: String,
}

pub type TomlDocuments = DashMap<Uri, TomlDocument>;

/// Whether a document is one of ours: a `vigil.toml`, or a `.toml` file below one of
/// the organisation rule directories in use.
pub fn classify(path: &Path, rule_dirs: &[PathBuf]) -> Option<TomlKind> {
    if path.file_name().is_some_and(|n| n == CONFIG_FILE_NAME) {
        return Some(TomlKind::Project);
    }
    if path.extension().is_none_or(|e| e != "toml") {
        return None;
    }
    let resolved = path.canonicalize().ok()?;
    rule_dirs
        .iter()
        .any(|d| resolved.starts_with(d))
        .then_some(TomlKind::Rule)
}

/// Applies `didChange` content changes to a plain text.
pub fn apply_changes(
    text: &mut String,
    changes: &[TextDocumentContentChangeEvent],
    enc: PositionEncoding,
) {
    for change in changes {
        match change.range {
            Some(range) => {
                let index = LineIndex::new(text);
                let start = convert::to_offset(&index, text, range.start, enc);
                let end = convert::to_offset(&index, text, range.end, enc).max(start);
                text.replace_range(start..end, &change.text);
            }
            None => *text = change.text.clone(),
        }
    }
}

/// A problem at 1-based `line`/`column` (characters) as a diagnostic over the rest of
/// that line.
pub fn diagnostic_at(
    text: &str,
    line: usize,
    column: usize,
    message: String,
    enc: PositionEncoding,
) -> Diagnostic {
    let index = LineIndex::new(text);
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[line_start.min(text.len())..];
    let line_text = rest.split('\n').next().unwrap_or("").trim_end_matches('\r');
    let start = line_start
        + line_text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_text.len(), |(i, _)| i);
    let end = (line_start + line_text.len()).max(start);
    Diagnostic {
        range: convert::to_range(&index, text, TextRange::new(start, end), enc),
        severity: Some(DiagnosticSeverity::ERROR),
        code: Some(NumberOrString::String(INVALID_CONFIG.into())),
        source: Some(SOURCE.into()),
        message,
        ..Diagnostic::default()
    }
}

/// The problems of a `vigil.toml`'s text: loading it, then its selectors against
/// `rules` (the rules it would run with, when it loads).
pub fn check_project(
    path: &Path,
    text: &str,
    rules: impl FnOnce(&ProjectConfig) -> Rules,
    enc: PositionEncoding,
) -> Vec<Diagnostic> {
    let errors = match ProjectConfig::parse(path, text) {
        Ok(config) => config.check_against(rules(&config).get()),
        Err(e) => vec![e],
    };
    errors
        .into_iter()
        .map(|e| diagnostic_at(text, e.line, e.column, e.message, enc))
        .collect()
}

/// The problem of an organisation rule file's text, as the rule loader reports it.
pub fn check_rule_file(path: &Path, text: &str, enc: PositionEncoding) -> Vec<Diagnostic> {
    let source = RuleSource {
        origin: RuleOrigin::File(path.to_path_buf()),
        text: text.to_string(),
    };
    match parse_rule(&source) {
        Ok(_) => Vec::new(),
        Err(e) => vec![diagnostic_at(text, e.line, e.column, e.message, enc)],
    }
}

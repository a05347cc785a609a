//! Rendering a scan as a report: human-readable snippets ([`human`]), JSON
//! ([`json`]) or SARIF 2.1.0 ([`sarif`]). Formatters only read the scan results.

pub mod human;
pub mod json;
pub mod sarif;

use std::path::Path;

use super::baselining::BaselineSummary;
use super::fixing::{FixedRecord, RejectedRecord};
use super::scan::ScannedFile;
use super::walk::Skipped;
use crate::engine::{Applicability, Finding, LineIndex, PositionEncoding, RuleSet, Severity};

/// Everything a formatter may show.
pub struct Report<'a> {
    /// Sorted by path; findings within a file by position.
    pub files: &'a [ScannedFile],
    pub skipped: &'a [Skipped],
    pub rules: &'a RuleSet,
    /// Fixes written by `--fix` (empty otherwise).
    pub fixed: &'a [FixedRecord],
    pub rejected: &'a [RejectedRecord],
    /// The directory relative paths are resolved against (the working directory).
    pub root: &'a Path,
    /// With `--baseline`/`--write-baseline`: `files` holds only the new findings.
    pub baseline: Option<BaselineSummary>,
}

/// A 1-based position, with the column counted three ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    /// In Unicode scalar values (characters), as editors and rustc show it.
    pub column: usize,
    /// In UTF-16 code units, SARIF's default `columnKind`.
    pub utf16_column: usize,
}

pub fn position(text: &str, index: &LineIndex, offset: usize) -> Position {
    let lc = index.line_col(text, offset, PositionEncoding::Utf16);
    let line_start = index.line_start(lc.line as usize);
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    Position {
        line: lc.line as usize + 1,
        column: text[line_start..offset].chars().count() + 1,
        utf16_column: lc.col as usize + 1,
    }
}

/// How a finding can be fixed by `vigil check --fix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixability {
    None,
    /// With `--fix`.
    Safe,
    /// Only with `--unsafe-fixes`.
    Unsafe,
}

pub fn fixability(finding: &Finding) -> Fixability {
    if finding
        .fixes
        .iter()
        .any(|f| f.applicability == Applicability::Safe)
    {
        Fixability::Safe
    } else if finding.fixes.is_empty() {
        Fixability::None
    } else {
        Fixability::Unsafe
    }
}

/// Counts for the summary line and the JSON `summary` object.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub files_scanned: usize,
    pub files_with_findings: usize,
    pub files_skipped: usize,
    pub findings: usize,
    /// Indexed by [`Severity`] order: low, medium, high, critical.
    pub by_severity: [usize; 4],
    pub fixable: usize,
    pub fixable_unsafe: usize,
    pub fixed: usize,
    /// Findings silenced by suppression comments (not in `findings`).
    pub suppressed: usize,
}

pub const SEVERITIES: [Severity; 4] = [
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

impl Summary {
    pub fn of(report: &Report) -> Summary {
        let mut s = Summary {
            files_scanned: report.files.len(),
            files_skipped: report.skipped.len(),
            fixed: report.fixed.len(),
            ..Summary::default()
        };
        for file in report.files {
            if !file.findings.is_empty() {
                s.files_with_findings += 1;
            }
            s.suppressed += file.suppressed.len();
            for f in &file.findings {
                s.findings += 1;
                s.by_severity[severity_index(f.severity)] += 1;
                match fixability(f) {
                    Fixability::Safe => s.fixable += 1,
                    Fixability::Unsafe => s.fixable_unsafe += 1,
                    Fixability::None => {}
                }
            }
        }
        s
    }
}

pub fn severity_index(s: Severity) -> usize {
    SEVERITIES.iter().position(|x| *x == s).unwrap_or(0)
}

/// A path as shown to users and written into reports: `/` separated.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_chars_and_utf16_units() {
        let text = "a\n\t😀é x";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap();
        let p = position(text, &idx, x);
        assert_eq!(p.line, 2);
        assert_eq!(p.column, 5); // tab, emoji, é, space, then x
        assert_eq!(p.utf16_column, 6); // the emoji is two UTF-16 units
    }
}

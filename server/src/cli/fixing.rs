//! `--fix` and `--diff`: apply the engine's fixes to scanned files, then write them
//! back atomically or show them as a unified diff.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::scan::{ScannedFile, analyze_text};
use crate::engine::fix::apply::fix_all;
use crate::engine::{Applicability, Document};

/// A fix that was applied (or, with `--diff`, would be).
#[derive(Debug, Clone)]
pub struct FixedRecord {
    pub path: PathBuf,
    /// 1-based line of the finding when its fix applied.
    pub line: usize,
    pub rule_id: String,
    pub title: String,
}

/// A fix that was not applied because it would have broken the file.
#[derive(Debug, Clone)]
pub struct RejectedRecord {
    pub path: PathBuf,
    pub line: usize,
    pub rule_id: String,
    pub title: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixMode {
    /// Write fixed files in place.
    Write,
    /// Leave files alone; produce a unified diff.
    Diff,
}

#[derive(Debug, Default)]
pub struct FixOutcome {
    pub fixed: Vec<FixedRecord>,
    pub rejected: Vec<RejectedRecord>,
    /// Unified diffs of the changed files, in path order (`--diff`).
    pub diff: String,
    /// Files whose fixes could not be written.
    pub write_errors: Vec<(PathBuf, String)>,
}

#[derive(Default)]
struct FileFix {
    fixed: Vec<FixedRecord>,
    rejected: Vec<RejectedRecord>,
    diff: String,
    write_error: Option<String>,
}

/// Fixes every file with an applicable fix. In [`FixMode::Write`] the fixed files are
/// re-analysed so `files` then holds the findings that remain.
pub fn fix_files(files: &mut [ScannedFile], unsafe_fixes: bool, mode: FixMode) -> FixOutcome {
    let per_file: Vec<FileFix> = files
        .par_iter_mut()
        .map(|file| fix_file(file, unsafe_fixes, mode))
        .collect();
    let mut outcome = FixOutcome::default();
    for (file, f) in files.iter().zip(per_file) {
        outcome.fixed.extend(f.fixed);
        outcome.rejected.extend(f.rejected);
        outcome.diff.push_str(&f.diff);
        if let Some(e) = f.write_error {
            outcome.write_errors.push((file.path.clone(), e));
        }
    }
    outcome
}

fn fix_file(file: &mut ScannedFile, unsafe_fixes: bool, mode: FixMode) -> FileFix {
    let wanted = file
        .findings
        .iter()
        .flat_map(|f| &f.fixes)
        .any(|fix| unsafe_fixes || fix.applicability == Applicability::Safe);
    if !wanted {
        return FileFix::default();
    }
    let doc = Document::new(file.language, file.text.to_string());
    let policy = file.policy.clone();
    let result = fix_all(&doc, policy.rules.get(), &policy.filter, unsafe_fixes);
    let mut out = FileFix {
        rejected: result
            .rejected
            .iter()
            .map(|r| RejectedRecord {
                path: file.path.clone(),
                line: r.line + 1,
                rule_id: r.rule_id.clone(),
                title: r.title.clone(),
                reason: r.reason.to_string(),
            })
            .collect(),
        ..FileFix::default()
    };
    let new_text = result.document.text();
    if new_text == &*file.text {
        return out;
    }
    let fixed = result
        .applied
        .iter()
        .map(|a| FixedRecord {
            path: file.path.clone(),
            line: a.line + 1,
            rule_id: a.rule_id.clone(),
            title: a.title.clone(),
        })
        .collect();
    match mode {
        FixMode::Diff => {
            out.diff = unified_diff(&file.path, &file.text, new_text);
            out.fixed = fixed;
        }
        FixMode::Write => match write_if_unchanged(&file.path, &file.text, new_text) {
            Ok(()) => {
                out.fixed = fixed;
                *file = analyze_text(
                    file.path.clone(),
                    file.language,
                    new_text.to_string(),
                    &policy,
                );
            }
            Err(e) => out.write_error = Some(e),
        },
    }
    out
}

pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let name = super::report::display_path(path);
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// Replaces the file's content with `new`, unless it changed on disk since it was
/// scanned. The text goes to a temporary file in the same directory that is then
/// renamed over the original, so a crash never leaves a half-written file.
fn write_if_unchanged(path: &Path, scanned: &str, new: &str) -> Result<(), String> {
    let reason = |e: std::io::Error| super::walk::io_reason(&e);
    // Write through symlinks to the real file rather than replacing the link.
    let target = std::fs::canonicalize(path).map_err(reason)?;
    let current = std::fs::read(&target).map_err(reason)?;
    if current != scanned.as_bytes() {
        return Err("the file changed on disk during the scan; not fixed".into());
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".vigil-fix-")
        .tempfile_in(dir)
        .map_err(reason)?;
    tmp.write_all(new.as_bytes()).map_err(reason)?;
    let permissions = std::fs::metadata(&target).map_err(reason)?.permissions();
    tmp.as_file().set_permissions(permissions).map_err(reason)?;
    tmp.as_file().sync_all().map_err(reason)?;
    tmp.persist(&target).map_err(|e| reason(e.error))?;
    Ok(())
}

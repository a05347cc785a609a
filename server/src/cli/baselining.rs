//! `--baseline FILE` and `--write-baseline FILE`: fingerprint the scanned findings,
//! record them, or hide the recorded ones and count the recorded ones that are gone.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::scan::ScannedFile;
use super::walk::{Candidate, Skipped};
use crate::baseline::path::relative_path;
use crate::baseline::{Baseline, Entry};
use crate::engine::{RuleFilter, RuleSet, fingerprints};
use crate::project::FilePolicy;

/// What a baseline did to a scan, for the report's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BaselineSummary {
    /// Findings of this scan recorded in the baseline, and so not reported.
    pub hidden: usize,
    /// Baseline entries within this scan that matched no finding: fixed, or their
    /// code changed. Recording the baseline again drops them.
    pub fixed: usize,
}

/// The directory fingerprint paths are relative to: the baseline file's, or without
/// one the working directory `root`.
pub fn base_dir(root: &Path, baseline_file: Option<&Path>) -> PathBuf {
    match baseline_file.map(|f| root.join(f)) {
        Some(file) => file
            .parent()
            .map_or_else(|| root.to_path_buf(), Path::to_path_buf),
        None => root.to_path_buf(),
    }
}

/// Fills in each file's fingerprints (paths relative to `base`).
pub fn fingerprint_files(files: &mut [ScannedFile], root: &Path, base: &Path) {
    for file in files {
        let path = relative_path(&root.join(&file.path), base);
        file.fingerprints = fingerprints(&path, &file.text, &file.line_index, &file.findings);
    }
}

/// A baseline of every finding in `files` (fingerprinted with [`fingerprint_files`]).
pub fn record(files: &[ScannedFile], root: &Path, base: &Path) -> Baseline {
    let mut entries = Vec::new();
    for file in files {
        let path = relative_path(&root.join(&file.path), base);
        for (finding, fingerprint) in file.findings.iter().zip(&file.fingerprints) {
            entries.push(Entry {
                rule_id: finding.rule.id.clone(),
                path: path.clone(),
                fingerprint: fingerprint.to_string(),
                message: finding.message.clone(),
            });
        }
    }
    Baseline::from_entries(entries)
}

/// What the scan covered, to tell a baseline entry that is gone from one that was
/// not looked at: scanning `src/` or selecting `go/` rules must not count every other
/// entry as fixed.
pub struct Scope<'a> {
    pub root: &'a Path,
    pub base: &'a Path,
    /// The paths given on the command line.
    pub paths: &'a [PathBuf],
    pub skipped: &'a [Skipped],
    pub rules: &'a RuleSet,
    /// Each scanned file's filter (its `vigil.toml` and the flags), by its path as the
    /// baseline records it.
    pub filters: HashMap<String, &'a RuleFilter>,
    /// The filter of files that were not scanned (no `vigil.toml` known for them).
    pub default_filter: &'a RuleFilter,
}

/// The filter each candidate ran with, keyed by its path relative to `base`.
pub fn filters_by_path<'a>(
    candidates: &[Candidate],
    policies: &'a [Arc<FilePolicy>],
    root: &Path,
    base: &Path,
) -> HashMap<String, &'a RuleFilter> {
    candidates
        .iter()
        .zip(policies)
        .map(|(c, p)| (relative_path(&root.join(&c.path), base), &p.filter))
        .collect()
}

impl Scope<'_> {
    fn covers(&self, entry: &Entry, skipped: &HashSet<String>) -> bool {
        // A rule that no longer exists cannot report its entries again.
        let rule_ran = self.rules.get(&entry.rule_id).is_none_or(|r| {
            self.filters
                .get(&entry.path)
                .copied()
                .unwrap_or(self.default_filter)
                .enabled(r)
        });
        let under_scan = self.paths.iter().any(|p| {
            Path::new(&entry.path).starts_with(relative_path(&self.root.join(p), self.base))
        });
        rule_ran && under_scan && !skipped.contains(&entry.path)
    }
}

/// Removes the findings recorded in `baseline` from `files` (fingerprinted with
/// [`fingerprint_files`]), keeping the fingerprints in step.
pub fn hide_baselined(
    files: &mut [ScannedFile],
    baseline: &Baseline,
    scope: &Scope,
) -> BaselineSummary {
    let mut summary = BaselineSummary::default();
    let mut matched: HashSet<String> = HashSet::new();
    for file in files.iter_mut() {
        debug_assert_eq!(
            file.findings.len(),
            file.fingerprints.len(),
            "fingerprinted"
        );
        let findings = std::mem::take(&mut file.findings);
        let prints = std::mem::take(&mut file.fingerprints);
        for (finding, fingerprint) in findings.into_iter().zip(prints) {
            if baseline.contains(&fingerprint) {
                summary.hidden += 1;
                matched.insert(fingerprint.to_string());
            } else {
                file.findings.push(finding);
                file.fingerprints.push(fingerprint);
            }
        }
    }
    let skipped: HashSet<String> = scope
        .skipped
        .iter()
        .map(|s| relative_path(&scope.root.join(&s.path), scope.base))
        .collect();
    summary.fixed = baseline
        .entries()
        .iter()
        .filter(|e| !matched.contains(&e.fingerprint) && scope.covers(e, &skipped))
        .count();
    summary
}

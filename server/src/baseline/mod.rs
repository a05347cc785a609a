//! Baselines: the findings a team recorded once (`vigil check --write-baseline`), so
//! that later scans and the editor show only findings that are not in it.
//!
//! Findings are matched by their [fingerprint](crate::engine::fingerprint), which
//! leaves out positions, so the baseline keeps matching while code around the
//! findings moves. Paths in fingerprints are relative to the baseline file's
//! directory ([`path::relative_path`]), so the CLI run from any directory and the
//! language server agree.
//!
//! - [`file`]: the versioned JSON file, read and written
//! - [`path`]: the path a fingerprint uses for a file

pub mod file;
pub mod path;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::engine::{Finding, Fingerprint, LineIndex, fingerprints};

/// One recorded finding. Rule, path and message are for the people reviewing the
/// baseline in version control; matching uses the fingerprint alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub rule_id: String,
    pub path: String,
    pub fingerprint: String,
    pub message: String,
}

/// A set of recorded findings.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Sorted by path, rule and fingerprint, without duplicates: the file diffs well.
    entries: Vec<Entry>,
    fingerprints: HashSet<String>,
}

impl Baseline {
    pub fn from_entries(mut entries: Vec<Entry>) -> Baseline {
        entries.sort_by(|a, b| {
            (&a.path, &a.rule_id, &a.fingerprint).cmp(&(&b.path, &b.rule_id, &b.fingerprint))
        });
        entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        let fingerprints = entries.iter().map(|e| e.fingerprint.clone()).collect();
        Baseline {
            entries,
            fingerprints,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether a finding with this fingerprint was recorded.
    pub fn contains(&self, fingerprint: &Fingerprint) -> bool {
        self.fingerprints.contains(fingerprint.as_str())
    }
}

/// Drops the findings of one file that `baseline` records: what an editor shows.
/// `path` is the file's path relative to the baseline's directory
/// ([`path::relative_path`]); `text` and `line_index` are the analysed text.
pub fn retain_new(
    findings: &mut Vec<Finding>,
    baseline: &Baseline,
    path: &str,
    text: &str,
    line_index: &LineIndex,
) {
    if baseline.is_empty() || findings.is_empty() {
        return;
    }
    let prints = fingerprints(path, text, line_index, findings);
    let mut prints = prints.iter();
    findings.retain(|_| prints.next().is_some_and(|fp| !baseline.contains(fp)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, rule: &str, fp: &str) -> Entry {
        Entry {
            rule_id: rule.into(),
            path: path.into(),
            fingerprint: fp.into(),
            message: "m".into(),
        }
    }

    #[test]
    fn entries_are_sorted_and_deduplicated() {
        let b = Baseline::from_entries(vec![
            entry("b.js", "js/x", "02"),
            entry("a.js", "js/y", "03"),
            entry("a.js", "js/x", "01"),
            entry("a.js", "js/x", "01"),
        ]);
        let order: Vec<&str> = b.entries().iter().map(|e| e.fingerprint.as_str()).collect();
        assert_eq!(order, ["01", "03", "02"]);
    }
}

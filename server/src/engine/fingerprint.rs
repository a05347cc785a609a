//! Stable fingerprints of findings, for baselines and code-scanning dashboards.
//!
//! A fingerprint must survive what does not touch the finding: lines inserted or
//! removed above it, edits elsewhere in the file, re-indentation, CRLF checkouts. So it
//! is built from what the finding *is*, never from where it is:
//!
//! - the rule id;
//! - the file's path as given by the caller (relative, `/`-separated);
//! - the code: the text of the lines the finding spans and the flagged text itself,
//!   each with all whitespace removed (so re-indenting, reflowing a statement across
//!   lines or switching line endings keeps the fingerprint);
//! - the occurrence index among findings of the same rule with the same code in the
//!   file, in position order, so two identical findings stay two.
//!
//! No line numbers or offsets go in. Editing the line of a finding changes its
//! fingerprint: it then counts as new, as a reviewer would expect of touched code.
//!
//! The digest is SHA-256 over length-prefixed fields, cut to 128 bits and written as
//! 32 lowercase hex digits: stable across platforms and Vigil builds (unlike
//! `std::hash`), and the flagged text (which may be a hard-coded secret) cannot be
//! read back from it. A change to this recipe must change [`FINGERPRINT_VERSION`].

use std::collections::HashMap;
use std::fmt;

use sha2::{Digest, Sha256};

use super::analyze::Finding;
use super::document::TextRange;
use super::line_index::LineIndex;

/// The recipe's name, used as the SARIF `partialFingerprints` key.
pub const FINGERPRINT_VERSION: &str = "vigil/v1";

/// Bytes of the SHA-256 digest kept (128 bits: collisions are not a concern).
const DIGEST_BYTES: usize = 16;

/// A finding's fingerprint: 32 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fingerprints of `findings` (all from the file `path` with content `text`), in
/// the same order as `findings`.
pub fn fingerprints(
    path: &str,
    text: &str,
    line_index: &LineIndex,
    findings: &[Finding],
) -> Vec<Fingerprint> {
    let codes: Vec<String> = findings
        .iter()
        .map(|f| normalized_code(text, line_index, f.range))
        .collect();
    // Occurrence indices follow position order, whatever order the caller uses.
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by_key(|&i| (findings[i].range.start, findings[i].range.end));
    let mut seen: HashMap<(&str, &str), u64> = HashMap::new();
    let mut occurrence = vec![0; findings.len()];
    for i in order {
        let n = seen
            .entry((findings[i].rule.id.as_str(), codes[i].as_str()))
            .or_default();
        occurrence[i] = *n;
        *n += 1;
    }
    findings
        .iter()
        .zip(&codes)
        .zip(occurrence)
        .map(|((f, code), n)| digest(&f.rule.id, path, code, n))
        .collect()
}

/// The whitespace-free text of the lines `range` spans, then (after a NUL, which
/// source text does not contain in practice) the whitespace-free flagged text.
fn normalized_code(text: &str, line_index: &LineIndex, range: TextRange) -> String {
    let start = range.start.min(text.len());
    let end = range.end.clamp(start, text.len());
    let first = line_index.line_of(start);
    let mut last = line_index.line_of(end);
    // A range ending just after a newline ends on the line before.
    if last > first && line_index.line_start(last) == end {
        last -= 1;
    }
    let lines = text
        .get(line_index.line_start(first)..line_index.line_end(text, last))
        .unwrap_or_default();
    let flagged = text.get(start..end).unwrap_or_default();
    let mut code = String::with_capacity(lines.len() + flagged.len() + 1);
    code.extend(lines.chars().filter(|c| !c.is_whitespace()));
    code.push('\0');
    code.extend(flagged.chars().filter(|c| !c.is_whitespace()));
    code
}

fn digest(rule_id: &str, path: &str, code: &str, occurrence: u64) -> Fingerprint {
    let mut hasher = Sha256::new();
    for field in [rule_id.as_bytes(), path.as_bytes(), code.as_bytes()] {
        hasher.update((field.len() as u64).to_le_bytes());
        hasher.update(field);
    }
    hasher.update(occurrence.to_le_bytes());
    let hash = hasher.finalize();
    Fingerprint(
        hash[..DIGEST_BYTES]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Document, Language, RuleFilter, RuleSet, analyze};

    fn prints(path: &str, text: &str) -> Vec<(String, Fingerprint)> {
        let doc = Document::new(Language::JavaScript, text);
        let findings = analyze(&doc, RuleSet::builtin(), &RuleFilter::default()).findings;
        let fps = fingerprints(path, doc.text(), doc.line_index(), &findings);
        findings
            .iter()
            .map(|f| f.rule.id.clone())
            .zip(fps)
            .collect()
    }

    const WEAK: &str = "const crypto = require('crypto');\nconst d = crypto.createHash('md5');\n";

    #[test]
    fn fingerprints_are_hex_and_ignore_position_indentation_and_line_endings() {
        let base = prints("src/a.js", WEAK);
        assert_eq!(base.len(), 1, "{base:?}");
        assert_eq!(base[0].1.as_str().len(), 32);
        assert!(base[0].1.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        let moved = format!("// a comment\n\n{}", WEAK.replace("const d", "  const   d"));
        assert_eq!(prints("src/a.js", &moved), base);
        assert_eq!(prints("src/a.js", &WEAK.replace('\n', "\r\n")), base);
    }

    #[test]
    fn rule_path_and_code_of_the_line_each_change_the_fingerprint() {
        let base = prints("src/a.js", WEAK);
        assert_ne!(prints("src/b.js", WEAK), base);
        let edited = WEAK.replace("const d", "const e");
        assert_ne!(prints("src/a.js", &edited)[0].1, base[0].1);
        let sha1 = WEAK.replace("md5", "sha1");
        assert_ne!(prints("src/a.js", &sha1)[0].1, base[0].1);
    }

    #[test]
    fn identical_findings_get_distinct_fingerprints_by_occurrence() {
        let twice = format!("{WEAK}const d = crypto.createHash('md5');\n");
        let fps = prints("a.js", &twice);
        assert_eq!(fps.len(), 2);
        assert_ne!(fps[0].1, fps[1].1);
        // The first keeps the fingerprint it had alone.
        assert_eq!(fps[0].1, prints("a.js", WEAK)[0].1);
    }
}

//! Scanning files: read, parse and analyse each candidate, in parallel, keeping only
//! what the report needs (text, line index, findings) so large scans stay small.

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use super::walk::{Candidate, Skipped, io_reason};
use crate::engine::fix::apply::verify_fix;
use crate::engine::{
    Document, Finding, Fingerprint, Language, LineIndex, RuleSet, SuppressedFinding, analyze,
    looks_binary,
};
use crate::project::FilePolicy;

/// Default for `--max-file-size`: larger files are almost always generated or bundled.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// One analysed file.
#[derive(Debug)]
pub struct ScannedFile {
    pub path: PathBuf,
    pub language: Language,
    pub text: Arc<str>,
    pub line_index: LineIndex,
    /// Sorted by position; each finding keeps only fixes verified to keep the file
    /// parsing.
    pub findings: Vec<Finding>,
    /// The findings' fingerprints, in the same order; filled in by `check` before
    /// reporting (see [`super::baselining`]), empty until then.
    pub fingerprints: Vec<Fingerprint>,
    /// Findings silenced by suppression comments: not shown or counted, but listed
    /// in JSON and SARIF reports.
    pub suppressed: Vec<SuppressedFinding>,
    /// The engine's non-fatal warnings (limits hit).
    pub warnings: Vec<String>,
    /// The rules and filter the file was analysed with (its project's).
    pub policy: Arc<FilePolicy>,
}

#[derive(Debug)]
pub enum Outcome {
    Scanned(ScannedFile),
    Skipped(Skipped),
}

/// Reads a source file, refusing what cannot be analysed as source text.
pub fn read_source(path: &std::path::Path, max_size: u64) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
    // A FIFO or device would block or never end.
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > max_size {
        return Err(format!(
            "file is {} bytes, over the --max-file-size limit of {max_size}",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| io_reason(&e))?;
    if looks_binary(&bytes) {
        return Err("binary file".into());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Analyses already-read text: parse, run the rules, keep the fixes that verify.
pub fn analyze_text(
    path: PathBuf,
    language: Language,
    text: String,
    policy: &Arc<FilePolicy>,
) -> ScannedFile {
    let doc = Document::new(language, text);
    let analysis = analyze(&doc, policy.rules.get(), &policy.filter);
    let findings = analysis
        .findings
        .into_iter()
        .map(|mut f| {
            f.fixes.retain(|fix| verify_fix(&doc, fix).is_ok());
            f
        })
        .collect();
    let mut warnings = analysis.warnings;
    if let Some(at) = first_syntax_error(doc.tree()) {
        warnings.push(format!(
            "syntax error at line {}; findings in this file may be incomplete",
            doc.line_index().line_of(at) + 1
        ));
    }
    ScannedFile {
        path,
        language,
        line_index: doc.line_index().clone(),
        text: Arc::from(doc.text()),
        findings,
        fingerprints: Vec::new(),
        suppressed: analysis.suppressed,
        warnings,
        policy: policy.clone(),
    }
}

/// The byte offset of the first ERROR or MISSING node, descending only into subtrees
/// that contain errors (iteratively: trees can be very deep).
fn first_syntax_error(tree: &tree_sitter::Tree) -> Option<usize> {
    let mut node = tree.root_node();
    if !node.has_error() {
        return None;
    }
    'descend: loop {
        if node.is_error() || node.is_missing() {
            return Some(node.start_byte());
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.has_error() {
                node = child;
                continue 'descend;
            }
        }
        // has_error() without an erroneous child: the node itself is the problem.
        return Some(node.start_byte());
    }
}

pub fn scan_file(candidate: &Candidate, policy: &Arc<FilePolicy>, max_size: u64) -> Outcome {
    match read_source(&candidate.path, max_size) {
        Ok(text) => Outcome::Scanned(analyze_text(
            candidate.path.clone(),
            candidate.language,
            text,
            policy,
        )),
        Err(reason) => Outcome::Skipped(Skipped {
            path: candidate.path.clone(),
            reason,
        }),
    }
}

/// Compiles, in parallel, the query of each grammar among `candidates` for each rule
/// set among `policies`, rather than one after another as files first need them.
fn prepare_rules(candidates: &[Candidate], policies: &[Arc<FilePolicy>]) {
    let mut needed: Vec<(&RuleSet, Vec<Language>)> = Vec::new();
    for (c, policy) in candidates.iter().zip(policies) {
        let rules = policy.rules.get();
        let at = match needed.iter().position(|(r, _)| std::ptr::eq(*r, rules)) {
            Some(at) => at,
            None => {
                needed.push((rules, Vec::new()));
                needed.len() - 1
            }
        };
        if !needed[at].1.contains(&c.language) {
            needed[at].1.push(c.language);
        }
    }
    needed
        .par_iter()
        .for_each(|(rules, langs)| rules.prepare(langs));
}

/// Scans all candidates on the rayon pool, each with its policy (`policies` is
/// parallel to `candidates`); results keep the candidates' order.
/// `tick` is called once per finished file (for a progress bar).
pub fn scan_all(
    candidates: &[Candidate],
    policies: &[Arc<FilePolicy>],
    max_size: u64,
    tick: impl Fn() + Sync,
) -> (Vec<ScannedFile>, Vec<Skipped>) {
    prepare_rules(candidates, policies);
    let outcomes: Vec<Outcome> = candidates
        .par_iter()
        .zip(policies)
        .map(|(c, policy)| {
            let outcome = scan_file(c, policy, max_size);
            tick();
            outcome
        })
        .collect();
    let mut scanned = Vec::new();
    let mut skipped = Vec::new();
    for o in outcomes {
        match o {
            Outcome::Scanned(s) => scanned.push(s),
            Outcome::Skipped(s) => skipped.push(s),
        }
    }
    (scanned, skipped)
}

//! The baseline file: versioned, pretty-printed JSON, entries sorted so that
//! re-recording after a change shows a small diff in version control.
//!
//! ```text
//! {
//!   "version": 1,
//!   "fingerprints": "vigil/v1",
//!   "findings": [
//!     { "rule_id": "js/weak-hash", "path": "src/app.js",
//!       "fingerprint": "3f0c…(32 hex digits)", "message": "`md5` is a broken hash: …" }
//!   ]
//! }
//! ```
//!
//! `version` is the file format, `fingerprints` the recipe the fingerprints were made
//! with ([`FINGERPRINT_VERSION`]); a file with another version or recipe is refused
//! with a request to record it again, never silently matched against nothing.

use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Baseline, Entry};
use crate::engine::FINGERPRINT_VERSION;

pub const FORMAT_VERSION: u64 = 1;

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    version: u64,
    fingerprints: String,
    findings: Vec<Entry>,
}

/// Just enough to check the version before reading the rest.
#[derive(Deserialize)]
struct Header {
    version: Option<serde_json::Value>,
}

/// Parses a baseline file's text. Errors say what is wrong and where.
pub fn parse(text: &str) -> Result<Baseline, String> {
    let header: Header =
        serde_json::from_str(text).map_err(|e| format!("not a Vigil baseline: {e}"))?;
    match header.version {
        Some(v) if v.as_u64() == Some(FORMAT_VERSION) => {}
        Some(v) => {
            return Err(format!(
                "baseline version {v} is not supported (this Vigil reads version {FORMAT_VERSION}); record it again with --write-baseline"
            ));
        }
        None => return Err("not a Vigil baseline: no \"version\" field".into()),
    }
    let file: BaselineFile =
        serde_json::from_str(text).map_err(|e| format!("not a Vigil baseline: {e}"))?;
    if file.fingerprints != FINGERPRINT_VERSION {
        return Err(format!(
            "the baseline's fingerprints are \"{}\", this Vigil makes \"{FINGERPRINT_VERSION}\"; record it again with --write-baseline",
            file.fingerprints
        ));
    }
    for (i, e) in file.findings.iter().enumerate() {
        if e.fingerprint.len() != 32 || !e.fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "finding {} ({} in {}): fingerprint \"{}\" is not 32 hex digits",
                i + 1,
                e.rule_id,
                e.path,
                e.fingerprint
            ));
        }
    }
    Ok(Baseline::from_entries(file.findings))
}

/// The file's text: pretty JSON with a final newline.
pub fn render(baseline: &Baseline) -> String {
    let file = BaselineFile {
        version: FORMAT_VERSION,
        fingerprints: FINGERPRINT_VERSION.to_string(),
        findings: baseline.entries().to_vec(),
    };
    let mut text = serde_json::to_string_pretty(&file).expect("a baseline serialises");
    text.push('\n');
    text
}

/// Reads and parses a baseline file; errors name the file.
pub fn load(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes the baseline to `path` atomically: a temporary file in the same directory
/// renamed over it, so an interrupted run never leaves half a baseline.
pub fn write(baseline: &Baseline, path: &Path) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write the baseline {}: {e}", path.display());
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        // Said plainly: the temporary file's error would name a file the user never saw.
        return Err(format!(
            "cannot write the baseline {}: no directory {}",
            path.display(),
            dir.display()
        ));
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".vigil-baseline-")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(render(baseline).as_bytes()).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Baseline {
        Baseline::from_entries(vec![Entry {
            rule_id: "js/weak-hash".into(),
            path: "src/app.js".into(),
            fingerprint: "0123456789abcdef0123456789abcdef".into(),
            message: "weak".into(),
        }])
    }

    #[test]
    fn render_then_parse_round_trips() {
        let text = render(&sample());
        assert!(text.ends_with("}\n"));
        let back = parse(&text).unwrap();
        assert_eq!(back.entries(), sample().entries());
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let err = |t: &str| parse(t).unwrap_err();
        assert!(err("").contains("not a Vigil baseline"));
        assert!(err("[1]").contains("not a Vigil baseline"));
        assert!(err("{}").contains("no \"version\""));
        assert!(err(r#"{"version": 2}"#).contains("version 2 is not supported"));
        assert!(err(r#"{"version": 1, "findings": []}"#).contains("missing field `fingerprints`"));
        let other_recipe = render(&sample()).replace(FINGERPRINT_VERSION, "vigil/v0");
        assert!(err(&other_recipe).contains("record it again"));
        let short = render(&sample()).replace("0123456789abcdef0123456789abcdef", "12");
        assert!(err(&short).contains("finding 1 (js/weak-hash in src/app.js)"));
    }
}

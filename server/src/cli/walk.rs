//! Finding the files to scan: walks directories with the `ignore` crate (so
//! `.gitignore`, `.ignore` and hidden files are honoured like ripgrep does) and keeps
//! files whose extension names a supported language.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::Language;

/// Directory names never descended into unless given explicitly: dependency trees
/// are not the user's code, and are often huge.
const SKIPPED_DIRS: &[&str] = &["node_modules"];

/// A file to scan and the grammar it is parsed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    pub language: Language,
}

/// A path that was not scanned, and why; reported on stderr.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Discovery {
    /// Sorted by path, without duplicates.
    pub files: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Scan ignored, hidden and dependency files too.
    pub no_ignore: bool,
    /// Paths never descended into or scanned while walking (`vigil.toml`'s `exclude`);
    /// paths named on the command line are scanned regardless, like ignored files.
    pub exclude: Option<Exclude>,
}

/// A predicate over walked paths (`path`, `is_dir`): true skips the path.
pub type ExcludeFn = dyn Fn(&Path, bool) -> bool + Send + Sync;

#[derive(Clone)]
pub struct Exclude(pub Arc<ExcludeFn>);

impl std::fmt::Debug for Exclude {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Exclude(..)")
    }
}

/// Expands `paths` to the files to scan. A path that does not exist is an error (the
/// user mistyped it); problems inside a directory are reported as skipped files.
pub fn discover(paths: &[PathBuf], options: WalkOptions) -> Result<Discovery, String> {
    let mut files: BTreeMap<PathBuf, Language> = BTreeMap::new();
    let mut skipped = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root)
            .map_err(|e| format!("cannot scan {}: {}", root.display(), io_reason(&e)))?;
        if !meta.is_dir() {
            // An explicitly named file is always scanned, ignore files or not.
            match Language::from_path(root) {
                Some(language) => {
                    files.insert(clean(root), language);
                }
                None => skipped.push(Skipped {
                    path: root.clone(),
                    reason: "not a JavaScript, TypeScript or Go file".into(),
                }),
            }
            continue;
        }
        for entry in walker(root, &options) {
            match entry {
                Ok(entry) => {
                    let Some(language) = Language::from_path(entry.path()) else {
                        continue;
                    };
                    match entry.file_type() {
                        Some(t) if t.is_file() => {
                            files.insert(clean(entry.path()), language);
                        }
                        // Not followed (see `walker`): said, so a source file that is a
                        // link (or a link loop) is not silently left out.
                        Some(t) if t.is_symlink() => skipped.push(Skipped {
                            path: clean(entry.path()),
                            reason: "symbolic link, not followed (name its target to scan it)"
                                .into(),
                        }),
                        _ => {}
                    }
                }
                Err(err) => skipped.push(Skipped {
                    path: error_path(&err).unwrap_or_else(|| root.clone()),
                    reason: walk_reason(&err),
                }),
            }
        }
    }
    Ok(Discovery {
        files: files
            .into_iter()
            .map(|(path, language)| Candidate { path, language })
            .collect(),
        skipped,
    })
}

fn walker(root: &Path, options: &WalkOptions) -> ignore::Walk {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        // Symlinks are not followed, so a link cycle cannot make the walk loop; a
        // linked file can still be scanned by naming it.
        .follow_links(false)
        // Honour .gitignore also outside a git checkout (a copied or unpacked tree).
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b));
    if options.no_ignore {
        builder.standard_filters(false);
    }
    let no_ignore = options.no_ignore;
    let exclude = options.exclude.clone();
    builder.filter_entry(move |e| {
        if e.depth() == 0 {
            return true;
        }
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        if !no_ignore && is_dir && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d) {
            return false;
        }
        !exclude.as_ref().is_some_and(|x| (x.0)(e.path(), is_dir))
    });
    builder.build()
}

/// `./src/a.js` -> `src/a.js`: paths are shown and sorted the way users type them.
fn clean(path: &Path) -> PathBuf {
    let stripped: PathBuf = path
        .components()
        .skip_while(|c| matches!(c, std::path::Component::CurDir))
        .collect();
    if stripped.as_os_str().is_empty() {
        path.to_path_buf()
    } else {
        stripped
    }
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(clean(path)),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(clean(child)),
        _ => None,
    }
}

fn walk_reason(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_reason(err),
        ignore::Error::Io(e) => io_reason(e),
        ignore::Error::Loop { .. } => "symbolic link loop".into(),
        other => other.to_string(),
    }
}

/// An I/O error as a short phrase ("permission denied"), without the OS error code.
pub fn io_reason(err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::NotFound => "no such file or directory".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_leading_current_dir() {
        assert_eq!(clean(Path::new("./src/a.js")), PathBuf::from("src/a.js"));
        assert_eq!(clean(Path::new("src/a.js")), PathBuf::from("src/a.js"));
        assert_eq!(clean(Path::new(".")), PathBuf::from("."));
    }
}

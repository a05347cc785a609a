//! The path a fingerprint records for a file: relative to the baseline file's
//! directory (or, without a baseline, the scan's working directory), `/`-separated on
//! every platform. Computed lexically: no file system access, so the language server
//! can use it on its analysis path.

use std::path::{Component, Path, PathBuf};

/// `file` relative to `base`. Both should be absolute (or relative to the same
/// directory); `.` and `..` are resolved lexically first. A file outside `base` gets
/// `..` components; one on another root (a Windows drive) keeps its full path.
pub fn relative_path(file: &Path, base: &Path) -> String {
    let file = normalize(file);
    let base = normalize(base);
    let relative = pathdiff::diff_paths(&file, &base).unwrap_or(file);
    let parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            Component::RootDir | Component::CurDir => None,
            Component::Prefix(p) => Some(p.as_os_str().to_string_lossy().into_owned()),
        })
        .collect();
    parts.join("/")
}

/// Removes `.` and resolves `..` without touching the file system (also used for
/// SARIF's paths relative to the scan root).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_base_lexically() {
        let base = Path::new("/repo");
        assert_eq!(relative_path(Path::new("/repo/src/a.js"), base), "src/a.js");
        assert_eq!(
            relative_path(Path::new("/repo/./web/../src/a.js"), Path::new("/repo/.")),
            "src/a.js"
        );
        assert_eq!(
            relative_path(Path::new("/other/b.go"), base),
            "../other/b.go"
        );
        assert_eq!(
            relative_path(Path::new("/repo/sub/c.ts"), Path::new("/repo/sub/")),
            "c.ts"
        );
    }
}

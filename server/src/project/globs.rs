//! Path patterns of `vigil.toml` (`exclude`, `[[overrides]] paths`): globs relative to
//! the directory holding the file, matched with `globset`.
//!
//! `*` and `?` stay within one path component and `**` crosses them, as in
//! `.gitignore`; a pattern without `/` matches a name at any depth (`*.test.js`); a
//! pattern that matches a directory covers everything below it (`vendor`, `tests/**`).

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

#[derive(Debug, Clone)]
pub struct PathPatterns {
    set: GlobSet,
}

impl PathPatterns {
    /// Compiles `patterns`; the error names the pattern index and the reason.
    pub fn new<'a>(
        patterns: impl IntoIterator<Item = &'a str>,
    ) -> Result<PathPatterns, (usize, String)> {
        let mut builder = GlobSetBuilder::new();
        for (i, pattern) in patterns.into_iter().enumerate() {
            let trimmed = pattern.trim_start_matches("./").trim_end_matches('/');
            if trimmed.is_empty() || trimmed.starts_with('/') || trimmed.contains("..") {
                return Err((
                    i,
                    format!("`{pattern}` is not a relative path pattern (no leading `/`, no `..`)"),
                ));
            }
            let anchored = if trimmed.contains('/') {
                trimmed.to_string()
            } else {
                format!("**/{trimmed}")
            };
            let glob = GlobBuilder::new(&anchored)
                .literal_separator(true)
                .build()
                .map_err(|e| (i, format!("invalid glob `{pattern}`: {}", e.kind())))?;
            builder.add(glob);
        }
        let set = builder
            .build()
            .map_err(|e| (0, format!("invalid globs: {e}")))?;
        Ok(PathPatterns { set })
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Whether `relative` (a path below the config's directory) or one of its parent
    /// directories matches.
    pub fn covers(&self, relative: &Path) -> bool {
        if self.set.is_empty() {
            return false;
        }
        relative
            .ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .any(|p| self.set.is_match(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(patterns: &[&str], path: &str) -> bool {
        PathPatterns::new(patterns.iter().copied())
            .unwrap()
            .covers(Path::new(path))
    }

    #[test]
    fn directory_name_and_recursive_patterns() {
        assert!(covers(&["tests/**"], "tests/unit/a.js"));
        assert!(!covers(&["tests/**"], "src/tests.js"));
        assert!(covers(&["vendor"], "vendor/lib/x.go"));
        assert!(
            covers(&["vendor"], "a/vendor/x.go"),
            "bare names match at any depth"
        );
        assert!(covers(&["*.test.js"], "src/deep/a.test.js"));
        assert!(
            !covers(&["src/*.js"], "src/deep/a.js"),
            "`*` stays in one component"
        );
        assert!(covers(&["src/**/*.js"], "src/deep/a.js"));
        assert!(covers(&["./build/"], "build/out.js"));
        assert!(!covers(&[], "a.js"));
    }

    #[test]
    fn rejects_patterns_leaving_the_project() {
        assert!(PathPatterns::new(["../x/**"]).is_err());
        assert!(PathPatterns::new(["/etc/**"]).is_err());
        assert_eq!(PathPatterns::new(["ok", "a[b"]).unwrap_err().0, 1);
    }
}

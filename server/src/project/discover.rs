//! Finding the `vigil.toml` that governs a path: the nearest one in the path's
//! directory or above it (as ruff does), or the one given with `--config`.
//! Each directory is looked up once; results are cached for the whole run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::CONFIG_FILE_NAME;
use super::load::{ConfigError, ProjectConfig};

#[derive(Debug, Default)]
pub struct ConfigFinder {
    /// `--config`: this file governs every path.
    fixed: Option<Arc<ProjectConfig>>,
    /// Resolved directory -> its governing config (None: no vigil.toml above it).
    by_dir: Mutex<HashMap<PathBuf, Option<Arc<ProjectConfig>>>>,
    /// Directory as given (unresolved) -> resolved, to resolve each directory once.
    resolved: Mutex<HashMap<PathBuf, PathBuf>>,
    errors: Mutex<Vec<ConfigError>>,
}

impl ConfigFinder {
    /// A finder that walks up from each path.
    pub fn discovering() -> ConfigFinder {
        ConfigFinder::default()
    }

    /// A finder that answers `config` for every path.
    pub fn fixed(config: ProjectConfig) -> ConfigFinder {
        ConfigFinder {
            fixed: Some(Arc::new(config)),
            ..ConfigFinder::default()
        }
    }

    /// The resolved path of `path` (symlinks resolved through its directory), and the
    /// config governing it. A file that cannot be resolved has no config.
    pub fn lookup(&self, path: &Path, is_dir: bool) -> (PathBuf, Option<Arc<ProjectConfig>>) {
        let (dir, name) = if is_dir {
            (path, None)
        } else {
            (
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new(".")),
                path.file_name(),
            )
        };
        let Some(dir) = self.resolve(dir) else {
            return (path.to_path_buf(), self.fixed.clone());
        };
        let full = match name {
            Some(name) => dir.join(name),
            None => dir.clone(),
        };
        let config = match &self.fixed {
            Some(fixed) => Some(fixed.clone()),
            None => self.nearest(&dir),
        };
        (full, config)
    }

    /// Problems met while discovering: a vigil.toml that does not load.
    pub fn errors(&self) -> Vec<ConfigError> {
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every config in use.
    pub fn configs(&self) -> Vec<Arc<ProjectConfig>> {
        let mut out: Vec<Arc<ProjectConfig>> = self.fixed.iter().cloned().collect();
        let by_dir = self.by_dir.lock().unwrap_or_else(|e| e.into_inner());
        for c in by_dir.values().flatten() {
            if !out.iter().any(|o| Arc::ptr_eq(o, c)) {
                out.push(c.clone());
            }
        }
        out
    }

    fn resolve(&self, dir: &Path) -> Option<PathBuf> {
        let mut resolved = self.resolved.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = resolved.get(dir) {
            return Some(r.clone());
        }
        let r = dir.canonicalize().ok()?;
        resolved.insert(dir.to_path_buf(), r.clone());
        Some(r)
    }

    fn nearest(&self, dir: &Path) -> Option<Arc<ProjectConfig>> {
        let mut by_dir = self.by_dir.lock().unwrap_or_else(|e| e.into_inner());
        let mut visited = Vec::new();
        let mut found = None;
        for ancestor in dir.ancestors() {
            if let Some(known) = by_dir.get(ancestor) {
                found = known.clone();
                break;
            }
            visited.push(ancestor.to_path_buf());
            let file = ancestor.join(CONFIG_FILE_NAME);
            if file.is_file() {
                match ProjectConfig::load(&file) {
                    Ok(config) => found = Some(Arc::new(config)),
                    Err(e) => self
                        .errors
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(e),
                }
                // A broken file still ends the search: the files below it must not
                // silently fall back to a config further up.
                break;
            }
        }
        for v in visited {
            by_dir.insert(v, found.clone());
        }
        found
    }
}

//! `vigil.toml` in the language server: which project file governs each open
//! document, the rules and filter that follow from it, and reloading when the files
//! change on disk.
//!
//! The file system is read only when a document is opened (looking for `vigil.toml`
//! from the document's directory up to its workspace folder, each directory once),
//! when settings change and when the client reports watched files changed. The
//! analysis hot path only looks up the document's ready [`FilePolicy`].
//!
//! Editor settings and the project file: the file's policy is laid over the editor's
//! settings, so for every key the file sets the file wins (CI and the editor then
//! agree), `ignore` lists add up, and keys the file leaves out keep the editor's value.
//! A file that fails to load or names unknown rules is reported and the last good
//! version stays in force.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use dashmap::DashMap;
use tower_lsp_server::ls_types::Uri;

use super::state::Config;
use crate::project::rules::load_with_dirs;
use crate::project::{CONFIG_FILE_NAME, ConfigError, FilePolicy, ProjectConfig, Rules};

/// A `vigil.toml` the server knows of.
#[derive(Debug)]
struct Known {
    /// The last version that loaded; in force even while the file on disk is broken.
    good: Option<Arc<ProjectConfig>>,
    error: Option<ConfigError>,
}

#[derive(Debug, Default)]
struct Index {
    /// Workspace folders (resolved): the walk up from a document stops at its folder.
    folders: Vec<PathBuf>,
    /// By the directory holding the file.
    known: BTreeMap<PathBuf, Known>,
    /// Directories already checked for a `vigil.toml`.
    looked: HashSet<PathBuf>,
    /// Rule sets by their organisation rule directories.
    rule_sets: HashMap<Vec<PathBuf>, Rules>,
    /// Open source documents and their resolved paths.
    documents: HashMap<Uri, PathBuf>,
}

#[derive(Debug, Default)]
pub struct Projects {
    index: Mutex<Index>,
    /// What each open document is analysed with; read on the hot path.
    policies: DashMap<Uri, Arc<FilePolicy>>,
}

/// The editor's `extraRuleDirs`, resolved against the workspace root.
pub fn editor_rule_dirs(config: &Config, root: Option<&Path>) -> Vec<PathBuf> {
    config
        .settings
        .extra_rule_dirs
        .iter()
        .map(|d| match root {
            Some(root) if d.is_relative() => root.join(d),
            _ => d.clone(),
        })
        .filter_map(|d| d.canonicalize().ok())
        .collect()
}

impl Projects {
    pub fn set_folders(&self, folders: &[PathBuf]) {
        let mut index = self.lock();
        index.folders = folders
            .iter()
            .filter_map(|f| f.canonicalize().ok())
            .collect();
    }

    /// The policy of an open document, if it was opened as a source document.
    pub fn policy(&self, uri: &Uri) -> Option<Arc<FilePolicy>> {
        self.policies.get(uri).map(|p| p.clone())
    }

    /// A source document was opened: finds its project file (reading the disk for
    /// directories not yet seen) and computes its policy. Returns problems to show.
    pub fn open(&self, uri: &Uri, config: &Config, editor_dirs: &[PathBuf]) -> Vec<String> {
        let mut problems = Vec::new();
        // A document that is not a file on disk (or in a directory that does not
        // exist) has no project: the editor settings apply, also after reloads.
        let path = uri
            .to_file_path()
            .and_then(|p| resolve(&p))
            .unwrap_or_default();
        let mut index = self.lock();
        if let Some(folder) = folder_of(&index.folders, &path) {
            let dirs: Vec<PathBuf> = path
                .ancestors()
                .skip(1)
                .take_while(|d| d.starts_with(&folder))
                .map(Path::to_path_buf)
                .collect();
            for dir in dirs {
                if index.looked.insert(dir.clone()) && dir.join(CONFIG_FILE_NAME).is_file() {
                    load_known(&mut index, &dir, config, editor_dirs, &mut problems);
                }
            }
        }
        let policy = policy_of(&mut index, &path, config, editor_dirs, &mut problems);
        index.documents.insert(uri.clone(), path);
        self.policies.insert(uri.clone(), Arc::new(policy));
        problems
    }

    pub fn close(&self, uri: &Uri) {
        self.lock().documents.remove(uri);
        self.policies.remove(uri);
    }

    /// Settings changed, or files on disk did: re-reads every known `vigil.toml` (and
    /// any of `changed` that is one), reloads rule sets, and recomputes every open
    /// document's policy. Returns problems to show.
    pub fn reload(
        &self,
        changed: &[PathBuf],
        config: &Config,
        editor_dirs: &[PathBuf],
    ) -> Vec<String> {
        let mut problems = Vec::new();
        let mut index = self.lock();
        index.rule_sets.clear();
        let mut dirs: Vec<PathBuf> = index.known.keys().cloned().collect();
        for path in changed {
            if path.file_name().is_some_and(|n| n == CONFIG_FILE_NAME)
                && let Some(dir) = path.parent().and_then(resolve)
                && folder_of(&index.folders, &dir).is_some()
            {
                index.looked.insert(dir.clone());
                dirs.push(dir);
            }
        }
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            if dir.join(CONFIG_FILE_NAME).is_file() {
                load_known(&mut index, &dir, config, editor_dirs, &mut problems);
            } else {
                index.known.remove(&dir);
            }
        }
        let documents: Vec<(Uri, PathBuf)> = index
            .documents
            .iter()
            .map(|(u, p)| (u.clone(), p.clone()))
            .collect();
        for (uri, path) in documents {
            let policy = policy_of(&mut index, &path, config, editor_dirs, &mut problems);
            self.policies.insert(uri, Arc::new(policy));
        }
        problems.sort();
        problems.dedup();
        problems
    }

    /// Every organisation rule directory in use: the editor's and the projects'.
    pub fn rule_dirs(&self, editor_dirs: &[PathBuf]) -> Vec<PathBuf> {
        let index = self.lock();
        let mut dirs: Vec<PathBuf> = editor_dirs.to_vec();
        for known in index.known.values() {
            if let Some(good) = &known.good {
                dirs.extend(good.rule_dirs.iter().cloned());
            }
        }
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// The rules a `vigil.toml` at `file` would run with (for checking an open one).
    pub fn rules_for(
        &self,
        file: &ProjectConfig,
        config: &Config,
        editor_dirs: &[PathBuf],
    ) -> (Rules, Vec<String>) {
        let mut problems = Vec::new();
        let mut index = self.lock();
        let rules = rules_of(
            &mut index,
            &file.rule_dirs,
            config,
            editor_dirs,
            &mut problems,
        );
        (rules, problems)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The path with symlinks resolved (through its directory, so a file that is being
/// created or was deleted still resolves).
fn resolve(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let parent = path.parent()?.canonicalize().ok()?;
    Some(parent.join(path.file_name()?))
}

fn folder_of(folders: &[PathBuf], path: &Path) -> Option<PathBuf> {
    folders
        .iter()
        .filter(|f| path.starts_with(f))
        .max_by_key(|f| f.as_os_str().len())
        .cloned()
}

fn editor_policy(config: &Config) -> FilePolicy {
    FilePolicy {
        rules: config.rules.clone(),
        filter: config.settings.filter.clone(),
    }
}

/// (Re)loads the `vigil.toml` in `dir`, keeping the last good version if it fails.
fn load_known(
    index: &mut Index,
    dir: &Path,
    config: &Config,
    editor_dirs: &[PathBuf],
    problems: &mut Vec<String>,
) {
    let file = dir.join(CONFIG_FILE_NAME);
    let loaded = ProjectConfig::load(&file).and_then(|c| {
        let rules = rules_of(index, &c.rule_dirs, config, editor_dirs, problems);
        match c.check_against(rules.get()).into_iter().next() {
            Some(e) => Err(e),
            None => Ok(c),
        }
    });
    let entry = index.known.entry(dir.to_path_buf()).or_insert(Known {
        good: None,
        error: None,
    });
    match loaded {
        Ok(c) => {
            entry.good = Some(Arc::new(c));
            entry.error = None;
        }
        Err(e) => {
            let keeping = if entry.good.is_some() {
                "keeping its last good version"
            } else {
                "editor settings apply meanwhile"
            };
            problems.push(format!("{e} ({keeping})"));
            entry.error = Some(e);
        }
    }
}

/// The policy of the source file at `path`: the nearest project file's over the
/// editor settings, or the editor settings alone.
fn policy_of(
    index: &mut Index,
    path: &Path,
    config: &Config,
    editor_dirs: &[PathBuf],
    problems: &mut Vec<String>,
) -> FilePolicy {
    let project = path
        .ancestors()
        .skip(1)
        .find_map(|dir| index.known.get(dir))
        .and_then(|k| k.good.clone());
    let Some(project) = project else {
        return editor_policy(config);
    };
    FilePolicy {
        rules: rules_of(index, &project.rule_dirs, config, editor_dirs, problems),
        filter: project.filter_for(path, &config.settings.filter),
    }
}

/// The rule set for a project's rule directories on top of the editor's.
fn rules_of(
    index: &mut Index,
    project_dirs: &[PathBuf],
    config: &Config,
    editor_dirs: &[PathBuf],
    problems: &mut Vec<String>,
) -> Rules {
    if project_dirs.is_empty() {
        return config.rules.clone();
    }
    let mut dirs = editor_dirs.to_vec();
    dirs.extend(project_dirs.iter().cloned());
    if let Some(rules) = index.rule_sets.get(&dirs) {
        return rules.clone();
    }
    let (rules, errors) = load_with_dirs(&dirs);
    problems.extend(errors.iter().map(|e| format!("rule not loaded: {e}")));
    index.rule_sets.insert(dirs, rules.clone());
    rules
}

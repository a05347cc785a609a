//! What the server's handlers share: open documents, the current configuration, and
//! what was negotiated with the client at `initialize`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use tokio::sync::{Semaphore, mpsc};
use tower_lsp_server::ls_types::Uri;

use super::config::{EditorBaseline, Rules, Settings};
use super::documents::DocumentStore;
use super::projects::Projects;
use super::scheduler::Publish;
use crate::engine::PositionEncoding;

/// Settings and the rules they select, swapped as a whole on configuration changes.
#[derive(Debug)]
pub struct Config {
    pub settings: Settings,
    pub rules: Rules,
    /// Loaded with the settings, never on the analysis path.
    pub baseline: Option<EditorBaseline>,
}

/// Facts about the client, fixed at `initialize`.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub encoding: PositionEncoding,
    /// The client pulls diagnostics (`textDocument/diagnostic`); otherwise we push.
    pub pull: bool,
    pub pull_refresh: bool,
    pub document_changes: bool,
    pub configuration_request: bool,
    pub dynamic_configuration: bool,
    /// Where relative paths in settings are resolved.
    pub root: Option<PathBuf>,
    /// Settings from `initializationOptions`, the base of every reload.
    pub init_settings: serde_json::Value,
    /// Every workspace folder: the search for `vigil.toml` stops at a document's.
    pub folders: Vec<PathBuf>,
    /// The client lets us register file watchers (`**/vigil.toml`, rule files).
    pub dynamic_watched_files: bool,
    /// Watchers may be relative to a base directory (rule directories can lie outside
    /// the workspace folders); otherwise absolute glob strings are sent.
    pub relative_watch_patterns: bool,
}

pub struct State {
    pub docs: DocumentStore,
    pub projects: Projects,
    config: RwLock<Arc<Config>>,
    session: OnceLock<Session>,
    generations: AtomicU64,
    /// Bounds concurrent analyses to the cores we have: opening 500 files must not
    /// start 500 threads.
    pub permits: Semaphore,
    pub publish: mpsc::UnboundedSender<Publish>,
}

impl State {
    pub fn new(publish: mpsc::UnboundedSender<Publish>) -> State {
        // At least two, so one slow analysis never holds up every other document.
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
        State {
            docs: DocumentStore::default(),
            projects: Projects::default(),
            config: RwLock::new(Arc::new(Config {
                settings: Settings::default(),
                rules: Rules::Builtin,
                baseline: None,
            })),
            session: OnceLock::new(),
            generations: AtomicU64::new(1),
            permits: Semaphore::new(workers),
            publish,
        }
    }

    pub fn config(&self) -> Arc<Config> {
        // A poisoned lock only means a panic elsewhere while swapping an Arc.
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_config(&self, config: Config) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
    }

    pub fn session(&self) -> Session {
        self.session.get().cloned().unwrap_or_default()
    }

    pub fn encoding(&self) -> PositionEncoding {
        self.session.get().map(|s| s.encoding).unwrap_or_default()
    }

    pub fn pull_mode(&self) -> bool {
        self.session.get().is_some_and(|s| s.pull)
    }

    pub fn set_session(&self, session: Session) {
        let _ = self.session.set(session);
    }

    pub fn next_generation(&self) -> u64 {
        self.generations.fetch_add(1, Ordering::Relaxed)
    }

    /// Whether `generation` is still the latest state of the document.
    pub fn is_current(&self, uri: &Uri, generation: u64) -> bool {
        self.docs
            .get(uri)
            .is_some_and(|d| d.generation == generation)
    }
}

//! When analysis runs: after a debounce, off the protocol task, at most one per core,
//! and only for the latest state of a document. Results of superseded generations are
//! dropped, so the latest version always wins.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{Diagnostic, Uri};

use super::config::Settings;
use super::convert;
use super::documents::Content;
use super::drop_later::drop_later;
use super::state::{Config, State};
use super::test_hooks;
use crate::baseline::path::relative_path;
use crate::baseline::retain_new;
use crate::engine::{
    Document, Finding, Language, PositionEncoding, analyze_document, looks_binary,
};
use crate::project::FilePolicy;

/// The result of analysing one generation of a document.
#[derive(Debug)]
pub struct Outcome {
    pub generation: u64,
    pub version: i32,
    /// The analysis, or the panic message if it panicked.
    pub result: Result<Analyzed, String>,
}

#[derive(Debug)]
pub struct Analyzed {
    /// Not analysed: above the size limit, or binary data.
    pub skipped: bool,
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Text of parsed documents whose trees are kept, most recently changed first; the
/// rest are parked as text. At roughly thirty bytes of tree per byte of text this
/// bounds the trees to about 150 MB however many documents are open, while the
/// documents being edited keep incremental re-parsing.
pub const TREE_BUDGET_BYTES: usize = 4 << 20;

/// Messages to the publisher task, the only sender of `publishDiagnostics`, so that
/// notifications leave in the order they were decided.
#[derive(Debug)]
pub enum Publish {
    Diagnostics {
        uri: Uri,
        generation: u64,
        version: i32,
        diagnostics: Vec<Diagnostic>,
    },
    /// The document was closed: clear what the client shows.
    Clear { uri: Uri },
}

/// Sends queued diagnostics, skipping any whose document moved on meanwhile.
pub async fn run_publisher(
    state: Arc<State>,
    client: Client,
    mut rx: mpsc::UnboundedReceiver<Publish>,
) {
    while let Some(p) = rx.recv().await {
        match p {
            Publish::Diagnostics {
                uri,
                generation,
                version,
                diagnostics,
            } => {
                if state.is_current(&uri, generation) {
                    client
                        .publish_diagnostics(uri, diagnostics, Some(version))
                        .await;
                }
            }
            Publish::Clear { uri } => client.publish_diagnostics(uri, Vec::new(), None).await,
        }
    }
}

/// Schedules analysis of the document's current generation.
pub fn schedule(state: &Arc<State>, uri: Uri, generation: u64) {
    let state = state.clone();
    tokio::spawn(async move {
        let debounce = state.config().settings.debounce;
        if !debounce.is_zero() {
            tokio::time::sleep(debounce).await;
        }
        if !state.is_current(&uri, generation) {
            return; // typing went on: a later generation is scheduled
        }
        let Ok(_permit) = state.permits.acquire().await else {
            return;
        };
        let config = state.config();
        let policy = state.projects.policy(&uri).unwrap_or_else(|| {
            Arc::new(FilePolicy {
                rules: config.rules.clone(),
                filter: config.settings.filter.clone(),
            })
        });
        let Some((content, language, version)) = state.docs.get(&uri).and_then(|d| {
            (d.generation == generation).then(|| (d.content.clone(), d.language, d.version))
        }) else {
            return;
        };
        let enc = state.encoding();
        // A baseline matches findings by their file's path; a URI that is not a file
        // (an unsaved buffer) has none, and all its findings show.
        let path = uri.to_file_path().map(|p| p.into_owned());
        let started = Instant::now();
        let task = tokio::task::spawn_blocking(move || {
            analyse(content, language, version, path, &config, &policy, enc)
        });
        // The analysed document becomes the stored one; the outcome does not keep
        // it, so the next edit finds its 4 MB text unshared and edits it in place.
        let (result, analysed) = match task.await {
            Ok(Ok((analyzed, document))) => (Ok(analyzed), document),
            Ok(Err(e)) => (Err(e), None),
            Err(e) => (Err(format!("analysis task failed: {e}")), None),
        };
        match &result {
            Ok(a) => tracing::debug!(
                "analysed {} v{version}: {} findings in {:.1} ms",
                uri.as_str(),
                a.findings.len(),
                started.elapsed().as_secs_f64() * 1000.0
            ),
            Err(e) => tracing::error!("analysis of {} v{version} failed: {e}", uri.as_str()),
        }
        let diagnostics = result.as_ref().ok().map(|a| a.diagnostics.clone());
        let outcome = Arc::new(Outcome {
            generation,
            version,
            result,
        });
        let superseded = {
            let Some(mut doc) = state.docs.get_mut(&uri) else {
                return;
            };
            if doc.generation != generation {
                return;
            }
            // Keep the document the worker analysed: its tree, so the next edit
            // re-parses incrementally, and its analysis, so the next one redoes only
            // what the edit changed. Same generation, so same text.
            let content = analysed
                .map(|analysed| std::mem::replace(&mut doc.content, Content::Parsed(analysed)));
            (
                content.and_then(Content::into_slow_parts),
                doc.results.send_replace(Some(outcome)),
            )
        };
        drop_later(superseded);
        park_trees(&state, &uri);
        if !state.pull_mode()
            && let Some(diagnostics) = diagnostics
        {
            let _ = state.publish.send(Publish::Diagnostics {
                uri,
                generation,
                version,
                diagnostics,
            });
        }
    });
}

/// Runs the engine on a snapshot; a panic becomes an error for this analysis only.
fn analyse(
    content: Content,
    language: Language,
    version: i32,
    path: Option<PathBuf>,
    config: &Config,
    policy: &FilePolicy,
    enc: PositionEncoding,
) -> Result<(Analyzed, Option<Document>), String> {
    catch_unwind(AssertUnwindSafe(|| {
        analyse_unguarded(content, language, version, path, config, policy, enc)
    }))
    .map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        format!("the analysis panicked: {message}")
    })
}

fn analyse_unguarded(
    content: Content,
    language: Language,
    version: i32,
    path: Option<PathBuf>,
    config: &Config,
    policy: &FilePolicy,
    enc: PositionEncoding,
) -> (Analyzed, Option<Document>) {
    let settings: &Settings = &config.settings;
    let size = content.text().len();
    if size > settings.max_file_size {
        return skipped(convert::file_too_large(size, settings.max_file_size));
    }
    if looks_binary(content.text().as_bytes()) {
        return skipped(convert::binary_document());
    }
    let mut doc = match content {
        Content::Parsed(doc) => doc,
        Content::Text { text, .. } => Document::new(language, text),
    };
    test_hooks::before_analysis(doc.text());
    let mut analysis = analyze_document(&mut doc, policy.rules.get(), &policy.filter);
    for w in &analysis.warnings {
        tracing::warn!("{w}");
    }
    if let (Some(b), Some(path)) = (&config.baseline, &path) {
        // In memory: the baseline was read when the settings were applied.
        let path = relative_path(path, &b.dir);
        retain_new(
            &mut analysis.findings,
            &b.baseline,
            &path,
            doc.text(),
            doc.line_index(),
        );
    }
    let diagnostics = analysis
        .findings
        .iter()
        .map(|f| convert::diagnostic(f, version, doc.line_index(), doc.text(), enc))
        // Limits hit are shown where the user looks, not only in the log.
        .chain(
            analysis
                .warnings
                .iter()
                .map(|w| convert::analysis_limited(w)),
        )
        .collect();
    let analyzed = Analyzed {
        skipped: false,
        findings: analysis.findings,
        diagnostics,
    };
    (analyzed, Some(doc))
}

/// The outcome for a document that is not analysed: one informational diagnostic.
fn skipped(why: Diagnostic) -> (Analyzed, Option<Document>) {
    let analyzed = Analyzed {
        skipped: true,
        findings: Vec::new(),
        diagnostics: vec![why],
    };
    (analyzed, None)
}

/// Drops the trees of the least recently changed documents beyond
/// [`TREE_BUDGET_BYTES`], never `keep`'s (the document just analysed).
fn park_trees(state: &State, keep: &Uri) {
    let mut parsed: Vec<(u64, Uri, usize)> = state
        .docs
        .iter()
        .filter(|d| matches!(d.content, Content::Parsed(_)))
        .map(|d| (d.generation, d.key().clone(), d.content.text().len()))
        .collect();
    let budget = test_hooks::tree_budget(TREE_BUDGET_BYTES);
    if parsed.iter().map(|p| p.2).sum::<usize>() <= budget {
        return;
    }
    parsed.sort_by_key(|p| std::cmp::Reverse(p.0));
    let mut kept = 0;
    let mut parked = false;
    for (_, uri, len) in parsed {
        if &uri == keep || kept + len <= budget {
            kept += len;
            continue;
        }
        let Some(mut doc) = state.docs.get_mut(&uri) else {
            continue;
        };
        doc.content.park();
        parked = true;
        tracing::debug!("parked the tree of {}", uri.as_str());
    }
    if parked {
        super::memory::release_freed();
    }
}

/// The document an outcome describes, for hovers and code actions: the stored one
/// (the analysed document), or the same text parsed again if its tree was parked.
/// None when the document was not analysed, or has changed since: a request answers
/// for the version it waited for ([`current_outcome`]), or not at all.
pub fn document_of(state: &State, uri: &Uri, outcome: &Outcome) -> Option<Document> {
    let analyzed = outcome.result.as_ref().ok()?;
    if analyzed.skipped {
        return None;
    }
    let (content, language) = {
        let doc = state.docs.get(uri)?;
        if doc.generation != outcome.generation {
            return None;
        }
        (doc.content.clone(), doc.language)
    };
    Some(content.to_document(language))
}

/// Waits for the analysis of the document's current generation (or a later one).
/// None if the document is not open or was closed meanwhile.
pub async fn current_outcome(state: &State, uri: &Uri) -> Option<Arc<Outcome>> {
    let (mut rx, generation) = {
        let doc = state.docs.get(uri)?;
        (doc.results.subscribe(), doc.generation)
    };
    let outcome = rx
        .wait_for(|o| o.as_ref().is_some_and(|o| o.generation >= generation))
        .await
        .ok()?;
    outcome.clone()
}

//! The `LanguageServer` implementation: protocol in, engine calls out.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::actions::{self, FIX_ALL_KIND, Target};
use super::config::{self, check_against_rules, load_baseline, load_rule_set, parse_settings};
use super::convert;
use super::documents::{Content, OpenDocument};
use super::hover;
use super::projects;
use super::scheduler::{self, Analyzed, Outcome, Publish, current_outcome};
use super::state::{Config, Session, State};
use super::toml_docs::{self, TomlDocument, TomlDocuments, TomlKind};
use crate::engine::{Applicability, Language, PositionEncoding};
use crate::project::CONFIG_FILE_NAME;

/// Id of the file watcher registration (`vigil.toml` and rule files).
const WATCHERS_ID: &str = "vigil-watched-files";

pub struct Backend {
    client: Client,
    state: Arc<State>,
    /// Set by `shutdown`; `exit` without it ends the process with status 1.
    shut_down: Arc<AtomicBool>,
    /// Settings problems found during `initialize`, shown once the client listens.
    init_problems: std::sync::Mutex<Vec<String>>,
    /// The raw settings last applied: a reload that changes nothing re-analyses nothing.
    applied: std::sync::Mutex<Value>,
    /// Open `vigil.toml` and organisation rule files, with their problems.
    toml_docs: TomlDocuments,
    /// The file watchers registered with the client, to re-register when they change.
    watched: std::sync::Mutex<Vec<String>>,
    registering: Arc<tokio::sync::Mutex<()>>,
}

impl Backend {
    pub fn new(client: Client, state: Arc<State>, shut_down: Arc<AtomicBool>) -> Backend {
        Backend {
            client,
            state,
            shut_down,
            init_problems: std::sync::Mutex::new(Vec::new()),
            applied: std::sync::Mutex::new(Value::Null),
            toml_docs: TomlDocuments::default(),
            watched: std::sync::Mutex::new(Vec::new()),
            registering: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Validates `raw` settings, loads the rules they name, and swaps the
    /// configuration in. Returns the problems to show the user.
    fn apply_settings(&self, raw: &Value) -> Vec<String> {
        *self.applied.lock().unwrap_or_else(|e| e.into_inner()) = raw.clone();
        let (settings, mut problems) = parse_settings(raw);
        let root = self.state.session().root;
        let rules = load_rule_set(&settings, root.as_deref(), &mut problems);
        check_against_rules(&settings, rules.get(), &mut problems);
        let baseline = load_baseline(&settings, root.as_deref(), &mut problems);
        if let Some(b) = &baseline {
            tracing::info!(
                "hiding the {} findings of the baseline in {}",
                b.baseline.len(),
                b.dir.display()
            );
        }
        for p in &problems {
            tracing::warn!("{p}");
        }
        self.state.set_config(Config {
            settings,
            rules,
            baseline,
        });
        problems
    }

    /// The editor's organisation rule directories, resolved.
    fn editor_rule_dirs(&self) -> Vec<std::path::PathBuf> {
        projects::editor_rule_dirs(&self.state.config(), self.state.session().root.as_deref())
    }

    /// Re-reads the project files (and `changed` paths) and recomputes every open
    /// document's policy; returns the problems found.
    fn reload_projects(&self, changed: &[std::path::PathBuf]) -> Vec<String> {
        let config = self.state.config();
        let problems = self
            .state
            .projects
            .reload(changed, &config, &self.editor_rule_dirs());
        for p in &problems {
            tracing::warn!("{p}");
        }
        problems
    }

    async fn show_config_problems(&self, problems: Vec<String>) {
        if problems.is_empty() {
            return;
        }
        let message = format!(
            "Vigil configuration problems:\n{}",
            problems
                .iter()
                .map(|p| format!("- {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        self.client.show_message(MessageType::ERROR, message).await;
    }

    /// Registers file watchers for `vigil.toml` files and the rule directories in use
    /// (again whenever that set changes), if the client allows dynamic registration.
    fn register_watchers(&self) {
        let session = self.state.session();
        if !session.dynamic_watched_files {
            return;
        }
        let dirs = self.state.projects.rule_dirs(&self.editor_rule_dirs());
        let mut globs = vec![format!("**/{CONFIG_FILE_NAME}")];
        for dir in &dirs {
            globs.push(format!("{}/**/*.toml", dir.display()));
        }
        let replace = {
            let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
            if *watched == globs {
                return;
            }
            let replace = !watched.is_empty();
            watched.clone_from(&globs);
            replace
        };
        let patterns: Vec<GlobPattern> = if session.relative_watch_patterns {
            std::iter::once(GlobPattern::String(globs[0].clone()))
                .chain(dirs.iter().filter_map(|d| {
                    Some(GlobPattern::Relative(RelativePattern {
                        base_uri: OneOf::Right(Uri::from_file_path(d)?),
                        pattern: "**/*.toml".into(),
                    }))
                }))
                .collect()
        } else {
            globs.into_iter().map(GlobPattern::String).collect()
        };
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: patterns
                .into_iter()
                .map(|glob_pattern| FileSystemWatcher {
                    glob_pattern,
                    kind: None,
                })
                .collect(),
        };
        let registration = Registration {
            id: WATCHERS_ID.into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(options).ok(),
        };
        // Not awaited by the handler: waiting for the client's reply would hold back
        // the notifications queued behind it. The lock keeps successive
        // re-registrations in order.
        let client = self.client.clone();
        let order = self.registering.clone();
        tokio::spawn(async move {
            let _turn = order.lock().await;
            if replace {
                let unregister = Unregistration {
                    id: WATCHERS_ID.into(),
                    method: "workspace/didChangeWatchedFiles".into(),
                };
                if let Err(e) = client.unregister_capability(vec![unregister]).await {
                    tracing::debug!("could not unregister file watchers: {e}");
                }
            }
            if let Err(e) = client.register_capability(vec![registration]).await {
                tracing::debug!("could not register file watchers: {e}");
            }
        });
    }

    /// The problems of an open `vigil.toml` or rule file, checked on its current
    /// text, with the version they describe.
    async fn toml_diagnostics(&self, uri: &Uri) -> Option<(i32, Vec<Diagnostic>)> {
        let enc = self.state.encoding();
        let (kind, path, text, version) = self
            .toml_docs
            .get(uri)
            .map(|d| (d.kind, d.path.clone(), d.text.clone(), d.version))?;
        let config = self.state.config();
        let editor_dirs = self.editor_rule_dirs();
        let state = self.state.clone();
        let task = tokio::task::spawn_blocking(move || match kind {
            TomlKind::Project => toml_docs::check_project(
                &path,
                &text,
                |c| state.projects.rules_for(c, &config, &editor_dirs).0,
                enc,
            ),
            TomlKind::Rule => toml_docs::check_rule_file(&path, &text, enc),
        });
        task.await.ok().map(|d| (version, d))
    }

    /// Pushes the diagnostics of an open TOML document (pulling clients ask for them
    /// and get them checked at that moment).
    async fn check_toml_document(&self, uri: &Uri) {
        if self.state.pull_mode() {
            return;
        }
        let Some((version, diagnostics)) = self.toml_diagnostics(uri).await else {
            return;
        };
        let current = self
            .toml_docs
            .get(uri)
            .is_some_and(|d| d.version == version);
        if current {
            self.client
                .publish_diagnostics(uri.clone(), diagnostics, Some(version))
                .await;
        }
    }

    /// After a reload: open TOML documents are checked again (the rules they are
    /// checked against may have changed).
    async fn recheck_toml_documents(&self) {
        let uris: Vec<Uri> = self.toml_docs.iter().map(|d| d.key().clone()).collect();
        for uri in uris {
            self.check_toml_document(&uri).await;
        }
    }

    /// Asks pulling clients to pull diagnostics again.
    fn refresh_pulled(&self) {
        let session = self.state.session();
        if session.pull && session.pull_refresh {
            let client = self.client.clone();
            tokio::spawn(async move {
                if let Err(e) = client.workspace_diagnostic_refresh().await {
                    tracing::debug!("diagnostic refresh failed: {e}");
                }
            });
        }
    }

    async fn show_problems(&self, problems: Vec<String>) {
        if problems.is_empty() {
            return;
        }
        let message = format!(
            "Vigil ignored invalid settings:\n{}",
            problems
                .iter()
                .map(|p| format!("- {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        self.client
            .show_message(MessageType::WARNING, message)
            .await;
    }

    /// Re-reads the settings (initialization options, overlaid with the workspace's
    /// `vigil` section) and re-analyses every open document.
    async fn reload_configuration(&self, pushed: Option<Value>) {
        let session = self.state.session();
        let mut workspace = Value::Null;
        if session.configuration_request {
            let item = ConfigurationItem {
                scope_uri: None,
                section: Some("vigil".into()),
            };
            match self.client.configuration(vec![item]).await {
                Ok(mut values) if !values.is_empty() => workspace = values.swap_remove(0),
                Ok(_) => {}
                Err(e) => tracing::warn!("workspace/configuration failed: {e}"),
            }
        } else if let Some(pushed) = pushed {
            // Clients without `workspace/configuration` push the settings themselves.
            workspace = match pushed {
                Value::Object(mut o) if o.contains_key("vigil") => {
                    o.remove("vigil").unwrap_or_default()
                }
                other => other,
            };
        }
        let merged = config::merge(&session.init_settings, &workspace);
        if *self.applied.lock().unwrap_or_else(|e| e.into_inner()) == merged {
            tracing::debug!("settings unchanged");
            return;
        }
        let problems = self.apply_settings(&merged);
        let project_problems = self.reload_projects(&[]);
        self.reanalyse_all();
        self.refresh_pulled();
        self.show_problems(problems).await;
        self.show_config_problems(project_problems).await;
        self.register_watchers();
        self.recheck_toml_documents().await;
    }

    fn reanalyse_all(&self) {
        let max = self.state.config().settings.max_file_size;
        let mut scheduled = Vec::new();
        for mut doc in self.state.docs.iter_mut() {
            // Only drops trees above a lowered limit; parsing is left to the worker.
            if doc.content.text().len() > max {
                doc.content.park();
            }
            doc.generation = self.state.next_generation();
            scheduled.push((doc.key().clone(), doc.generation));
        }
        for (uri, generation) in scheduled {
            scheduler::schedule(&self.state, uri, generation);
        }
    }

    /// The latest analysis of an open document, waiting for it if it is under way.
    async fn analysed(&self, uri: &Uri) -> Result<Option<Arc<Outcome>>> {
        let Some(outcome) = current_outcome(&self.state, uri).await else {
            return Ok(None);
        };
        if let Err(e) = &outcome.result {
            return Err(internal_error(e.clone()));
        }
        Ok(Some(outcome))
    }
}

fn internal_error(message: String) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: message.into(),
        data: None,
    }
}

fn negotiate(params: &InitializeParams) -> Session {
    let caps = &params.capabilities;
    let encoding = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|encs| encs.contains(&PositionEncodingKind::UTF8));
    let workspace = caps.workspace.as_ref();
    let root = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| f.uri.clone())
        .or_else(|| {
            #[allow(deprecated)]
            params.root_uri.clone()
        })
        .and_then(|u| u.to_file_path().map(|p| p.into_owned()));
    let folders: Vec<std::path::PathBuf> = match &params.workspace_folders {
        Some(folders) if !folders.is_empty() => folders
            .iter()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect(),
        _ => root.iter().cloned().collect(),
    };
    Session {
        encoding: if encoding {
            PositionEncoding::Utf8
        } else {
            PositionEncoding::Utf16
        },
        pull: caps
            .text_document
            .as_ref()
            .is_some_and(|t| t.diagnostic.is_some()),
        pull_refresh: workspace
            .and_then(|w| w.diagnostics.as_ref())
            .and_then(|d| d.refresh_support)
            .unwrap_or(false),
        document_changes: workspace
            .and_then(|w| w.workspace_edit.as_ref())
            .and_then(|e| e.document_changes)
            .unwrap_or(false),
        configuration_request: workspace.and_then(|w| w.configuration).unwrap_or(false),
        dynamic_configuration: workspace
            .and_then(|w| w.did_change_configuration.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        root,
        init_settings: config::settings_from_init_options(params.initialization_options.as_ref()),
        folders,
        dynamic_watched_files: workspace
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        relative_watch_patterns: workspace
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.relative_pattern_support)
            .unwrap_or(false),
    }
}

fn capabilities(session: &Session) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match session.encoding {
            PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
            PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, FIX_ALL_KIND]),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        // Advertised only to clients that pull: the others get pushed diagnostics, and
        // a client never gets both (VS Code would show each finding twice).
        diagnostic_provider: session.pull.then(|| {
            DiagnosticServerCapabilities::Options(DiagnosticOptions {
                identifier: Some("vigil".into()),
                inter_file_dependencies: false,
                workspace_diagnostics: false,
                ..DiagnosticOptions::default()
            })
        }),
        ..ServerCapabilities::default()
    }
}

/// Whether `only` (the kinds the client asked for) admits `kind`.
fn wants(only: Option<&Vec<CodeActionKind>>, kind: &CodeActionKind) -> bool {
    only.is_none_or(|only| {
        only.iter().any(|k| {
            kind.as_str() == k.as_str() || kind.as_str().starts_with(&format!("{}.", k.as_str()))
        })
    })
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let session = negotiate(&params);
        tracing::info!(
            "client {:?}: positions in {:?}, diagnostics {}",
            params.client_info.as_ref().map(|c| c.name.as_str()),
            session.encoding,
            if session.pull { "pulled" } else { "pushed" }
        );
        let init_settings = session.init_settings.clone();
        let capabilities = capabilities(&session);
        self.state.projects.set_folders(&session.folders);
        self.state.set_session(session);
        let problems = self.apply_settings(&init_settings);
        *self.init_problems.lock().unwrap_or_else(|e| e.into_inner()) = problems;
        Ok(InitializeResult {
            capabilities,
            server_info: Some(ServerInfo {
                name: "vigil".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let session = self.state.session();
        let problems =
            std::mem::take(&mut *self.init_problems.lock().unwrap_or_else(|e| e.into_inner()));
        self.show_problems(problems).await;
        if session.dynamic_configuration {
            let registration = Registration {
                id: "vigil-configuration".into(),
                method: "workspace/didChangeConfiguration".into(),
                // Only our section: otherwise every unrelated settings change in the
                // editor would make us re-read settings and re-analyse every document.
                register_options: Some(serde_json::json!({ "section": "vigil" })),
            };
            if let Err(e) = self.client.register_capability(vec![registration]).await {
                tracing::debug!("could not register for configuration changes: {e}");
            }
        }
        self.register_watchers();
        if session.configuration_request {
            self.reload_configuration(None).await;
        }
    }

    async fn shutdown(&self) -> Result<()> {
        self.shut_down.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        if let Some(path) = doc.uri.to_file_path().map(|p| p.into_owned())
            && let Some(kind) = toml_docs::classify(
                &path,
                &self.state.projects.rule_dirs(&self.editor_rule_dirs()),
            )
        {
            let uri = doc.uri.clone();
            self.toml_docs.insert(
                doc.uri,
                TomlDocument {
                    kind,
                    path,
                    version: doc.version,
                    text: doc.text,
                },
            );
            self.check_toml_document(&uri).await;
            return;
        }
        let language = Language::from_lsp_id(&doc.language_id)
            .or_else(|| doc.uri.to_file_path().and_then(|p| Language::from_path(&p)));
        let Some(language) = language else {
            tracing::debug!(
                "not analysing {} (language `{}`)",
                doc.uri.as_str(),
                doc.language_id
            );
            return;
        };
        // Parsed by the analysis worker, off the protocol task.
        let generation = self.state.next_generation();
        let open = OpenDocument {
            language,
            version: doc.version,
            content: Content::new(doc.text),
            generation,
            results: tokio::sync::watch::Sender::new(None),
        };
        self.state.docs.insert(doc.uri.clone(), open);
        let problems =
            self.state
                .projects
                .open(&doc.uri, &self.state.config(), &self.editor_rule_dirs());
        scheduler::schedule(&self.state, doc.uri, generation);
        // A newly found project may name rule directories to watch.
        self.register_watchers();
        self.show_config_problems(problems).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        // No await before the edits are applied: notifications are handled in the
        // order they arrive.
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        if let Some(mut toml) = self.toml_docs.get_mut(&uri) {
            if version > toml.version {
                toml_docs::apply_changes(
                    &mut toml.text,
                    &params.content_changes,
                    self.state.encoding(),
                );
                toml.version = version;
            }
            drop(toml);
            self.check_toml_document(&uri).await;
            return;
        }
        let max = self.state.config().settings.max_file_size;
        let enc = self.state.encoding();
        let generation = {
            let Some(mut doc) = self.state.docs.get_mut(&uri) else {
                tracing::debug!("change to a document that is not open: {}", uri.as_str());
                return;
            };
            if version <= doc.version {
                // Out of order or replayed: applying it would describe old text.
                tracing::warn!(
                    "ignoring change to {} with version {version}: already at version {}",
                    uri.as_str(),
                    doc.version
                );
                return;
            }
            doc.apply_changes(&params.content_changes, enc, max);
            doc.version = version;
            doc.generation = self.state.next_generation();
            doc.generation
        };
        scheduler::schedule(&self.state, uri, generation);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.state.projects.close(&uri);
        if self.toml_docs.remove(&uri).is_some() {
            if !self.state.pull_mode() {
                self.client.publish_diagnostics(uri, Vec::new(), None).await;
            }
            return;
        }
        if self.state.docs.remove(&uri).is_some() {
            let _ = self.state.publish.send(Publish::Clear { uri });
            super::memory::release_freed_soon();
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.reload_configuration(Some(params.settings)).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let changed: Vec<std::path::PathBuf> = params
            .changes
            .iter()
            .filter_map(|c| c.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        if changed.is_empty() {
            return;
        }
        tracing::info!(
            "reloading the configuration: {} file(s) changed",
            changed.len()
        );
        let problems = self.reload_projects(&changed);
        self.reanalyse_all();
        self.refresh_pulled();
        self.show_config_problems(problems).await;
        self.register_watchers();
        self.recheck_toml_documents().await;
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        if self.toml_docs.contains_key(&params.text_document.uri) {
            let items = self
                .toml_diagnostics(&params.text_document.uri)
                .await
                .map(|(_, d)| d)
                .unwrap_or_default();
            return Ok(DocumentDiagnosticReportResult::Report(
                DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
                    related_documents: None,
                    full_document_diagnostic_report: FullDocumentDiagnosticReport {
                        result_id: None,
                        items,
                    },
                }),
            ));
        }
        let outcome = match current_outcome(&self.state, &params.text_document.uri).await {
            Some(outcome) => outcome,
            None => {
                return Ok(DocumentDiagnosticReportResult::Report(
                    DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport::default()),
                ));
            }
        };
        let analyzed: &Analyzed = match &outcome.result {
            Ok(a) => a,
            Err(e) => {
                return Err(Error {
                    code: ErrorCode::InternalError,
                    message: e.clone().into(),
                    data: serde_json::to_value(DiagnosticServerCancellationData {
                        retrigger_request: false,
                    })
                    .ok(),
                });
            }
        };
        let result_id = outcome.generation.to_string();
        let report = if params.previous_result_id.as_deref() == Some(result_id.as_str()) {
            DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
                related_documents: None,
                unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                    result_id,
                },
            })
        } else {
            DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: Some(result_id),
                    items: analyzed.diagnostics.clone(),
                },
            })
        };
        Ok(DocumentDiagnosticReportResult::Report(report))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let uri = params.text_document_position_params.text_document.uri;
        let position = params.text_document_position_params.position;
        let Some(outcome) = self.analysed(&uri).await? else {
            return Ok(None);
        };
        let has_findings = outcome
            .result
            .as_ref()
            .is_ok_and(|a| !a.findings.is_empty());
        if !has_findings {
            return Ok(None);
        }
        let state = self.state.clone();
        let enc = self.state.encoding();
        let task = tokio::task::spawn_blocking(move || {
            let doc = scheduler::document_of(&state, &uri, &outcome)?;
            let analyzed = outcome.result.as_ref().ok()?;
            let offset = convert::to_offset(doc.line_index(), doc.text(), position, enc);
            let under: Vec<_> = analyzed
                .findings
                .iter()
                .filter(|f| f.range.start <= offset && offset < f.range.end.max(f.range.start + 1))
                .collect();
            let markdown = hover::markdown(&under)?;
            Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: markdown,
                }),
                range: Some(convert::to_range(
                    doc.line_index(),
                    doc.text(),
                    under[0].range,
                    enc,
                )),
            })
        });
        task.await
            .map_err(|e| internal_error(format!("hover failed: {e}")))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri;
        let Some(outcome) = self.analysed(&uri).await? else {
            return Ok(None);
        };
        let only = params.context.only;
        let with_quick_fixes = wants(only.as_ref(), &CodeActionKind::QUICKFIX);
        let diagnostics = params.context.diagnostics;
        let config = self.state.config();
        let policy = self.state.projects.policy(&uri);
        let session = self.state.session();
        let state = self.state.clone();
        let task = tokio::task::spawn_blocking(move || {
            catch_unwind(AssertUnwindSafe(|| {
                let Ok(analyzed) = &outcome.result else {
                    return Vec::new();
                };
                if analyzed.findings.is_empty() {
                    return Vec::new();
                }
                let Some(document) = scheduler::document_of(&state, &uri, &outcome) else {
                    return Vec::new();
                };
                let target = Target {
                    uri: &uri,
                    version: outcome.version,
                    document: &document,
                    enc: session.encoding,
                    document_changes: session.document_changes,
                };
                let mut actions = Vec::new();
                if with_quick_fixes {
                    actions.extend(actions::quick_fixes(
                        &target,
                        &diagnostics,
                        &analyzed.findings,
                    ));
                }
                let has_safe_fix = analyzed.findings.iter().any(|f| {
                    f.fixes
                        .iter()
                        .any(|x| x.applicability == Applicability::Safe)
                });
                if has_safe_fix && wants(only.as_ref(), &FIX_ALL_KIND) {
                    let (rules, filter) = match &policy {
                        Some(p) => (p.rules.get(), &p.filter),
                        None => (config.rules.get(), &config.settings.filter),
                    };
                    actions.extend(actions::fix_all_action(&target, rules, filter));
                }
                actions
            }))
        });
        match task.await {
            Ok(Ok(actions)) => Ok(Some(actions)),
            Ok(Err(_)) | Err(_) => {
                tracing::error!("computing code actions panicked");
                Err(internal_error("computing code actions failed".into()))
            }
        }
    }
}

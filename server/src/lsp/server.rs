//! The `LanguageServer` implementation: protocol in, engine calls out.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::actions::{self, FIX_ALL_KIND, Target};
use super::config::{self, check_against_rules, load_rule_set, parse_settings};
use super::convert;
use super::documents::{Content, OpenDocument};
use super::hover;
use super::scheduler::{self, Analyzed, Outcome, Publish, current_outcome};
use super::state::{Config, Session, State};
use crate::engine::{Applicability, Language, PositionEncoding};

pub struct Backend {
    client: Client,
    state: Arc<State>,
    /// Set by `shutdown`; `exit` without it ends the process with status 1.
    shut_down: Arc<AtomicBool>,
    /// Settings problems found during `initialize`, shown once the client listens.
    init_problems: std::sync::Mutex<Vec<String>>,
    /// The raw settings last applied: a reload that changes nothing re-analyses nothing.
    applied: std::sync::Mutex<Value>,
}

impl Backend {
    pub fn new(client: Client, state: Arc<State>, shut_down: Arc<AtomicBool>) -> Backend {
        Backend {
            client,
            state,
            shut_down,
            init_problems: std::sync::Mutex::new(Vec::new()),
            applied: std::sync::Mutex::new(Value::Null),
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
        for p in &problems {
            tracing::warn!("{p}");
        }
        self.state.set_config(Config { settings, rules });
        problems
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
        self.reanalyse_all();
        if session.pull && session.pull_refresh {
            let client = self.client.clone();
            tokio::spawn(async move {
                if let Err(e) = client.workspace_diagnostic_refresh().await {
                    tracing::debug!("diagnostic refresh failed: {e}");
                }
            });
        }
        self.show_problems(problems).await;
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
        scheduler::schedule(&self.state, doc.uri, generation);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        // No await before the edits are applied: notifications are handled in the
        // order they arrive.
        let uri = params.text_document.uri;
        let version = params.text_document.version;
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
        if self.state.docs.remove(&uri).is_some() {
            let _ = self.state.publish.send(Publish::Clear { uri });
            super::memory::release_freed_soon();
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.reload_configuration(Some(params.settings)).await;
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
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
                    actions.extend(actions::fix_all_action(
                        &target,
                        config.rules.get(),
                        &config.settings.filter,
                    ));
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

//! `vigil serve`: the language server, a thin adapter from LSP to the engine.
//!
//! - [`server`]: the `LanguageServer` implementation (protocol in, engine calls out)
//! - [`documents`]: open documents and incremental edits
//! - [`scheduler`]: debounced, cancellable analysis off the protocol task
//! - [`convert`]: engine values to LSP values and back
//! - [`config`]: settings, validated field by field
//! - [`projects`]: the `vigil.toml` governing each document, reloaded on changes
//! - [`toml_docs`]: diagnostics on open `vigil.toml` and organisation rule files
//! - [`actions`], [`hover`]: code actions and hovers
//! - [`logging`]: stderr and `window/logMessage`
//! - [`memory`]: malloc arenas and returning freed memory
//! - [`transport`]: stdio framing that answers malformed messages and keeps going
//! - [`test_hooks`]: environment hooks used by the integration tests only

pub mod actions;
pub mod config;
pub mod convert;
pub mod documents;
pub mod drop_later;
pub mod hover;
pub mod logging;
pub mod memory;
pub mod projects;
pub mod scheduler;
pub mod server;
pub mod state;
pub mod test_hooks;
pub mod toml_docs;
pub mod transport;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tower_lsp_server::{LspService, Server};

use logging::LogLevel;
use server::Backend;
use state::State;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Speak LSP over stdio (the default and only transport).
    #[arg(long)]
    pub stdio: bool,
    /// What to log to stderr and to the client's log (`window/logMessage`).
    #[arg(long, value_enum, default_value = "info")]
    pub log_level: LogLevel,
}

/// How many requests may be in flight at once. Requests that wait for an analysis
/// (pull diagnostics, hovers) must not hold back the notifications behind them.
const MAX_CONCURRENT_REQUESTS: usize = 64;

/// How long the service may take to wind down after `exit` or the end of input.
const EXIT_GRACE: std::time::Duration = std::time::Duration::from_millis(250);

pub fn run(args: ServeArgs) -> ExitCode {
    memory::limit_arenas();
    let log_rx = logging::init(args.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("vigil-lsp")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vigil serve: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let shut_down = Arc::new(AtomicBool::new(false));
    let flag = shut_down.clone();
    runtime.block_on(async move {
        let (publish_tx, publish_rx) = tokio::sync::mpsc::unbounded_channel();
        let state = Arc::new(State::new(publish_tx));
        let (service, socket) = LspService::new(|client| {
            tokio::spawn(logging::forward_to_client(client.clone(), log_rx));
            tokio::spawn(scheduler::run_publisher(
                state.clone(),
                client.clone(),
                publish_rx,
            ));
            Backend::new(client, state.clone(), flag)
        });
        let mut pipes = transport::spawn(tokio::io::stdin(), tokio::io::stdout());
        let serve = Box::pin(
            Server::new(pipes.service_in, pipes.service_out, socket)
                .concurrency_level(MAX_CONCURRENT_REQUESTS)
                .serve(service),
        );
        let input_done = async {
            let _ = pipes.input_done.wait_for(|done| *done).await;
            tokio::time::sleep(EXIT_GRACE).await;
        };
        tokio::select! {
            () = serve => {}
            () = input_done => {
                // A handler is still waiting (say, for a reply to a request we sent the
                // client); the client is gone, so it never will be answered.
                tracing::debug!("the session ended with handlers still pending");
            }
        }
        // `serve` is dropped by now, closing the service's output: wait (briefly) until
        // its last frames, such as the reply to `shutdown`, reached stdout.
        let _ = tokio::time::timeout(EXIT_GRACE, pipes.flushed).await;
    });
    // Do not wait for analyses still running or for the blocked stdin reader: `exit`
    // must end the process promptly.
    runtime.shutdown_background();
    if shut_down.load(Ordering::SeqCst) {
        tracing::info!("exiting after shutdown");
        ExitCode::SUCCESS
    } else {
        tracing::warn!("exiting without a shutdown request");
        ExitCode::FAILURE
    }
}

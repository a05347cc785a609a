//! Logging for `vigil serve`: to stderr, and to the client as `window/logMessage`.
//! Stdout carries the protocol only.

use std::fmt::Write as _;

use tokio::sync::mpsc;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::MessageType;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    fn directive(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// Installs the global subscriber; returns the receiving end of the client forwarder,
/// to be drained by [`forward_to_client`] once the client exists.
pub fn init(level: LogLevel) -> mpsc::UnboundedReceiver<(MessageType, String)> {
    let (tx, rx) = mpsc::unbounded_channel();
    // Our own events at the chosen level; the framework's only from warn up, since at
    // debug it logs every message it routes.
    let filter = || {
        EnvFilter::new(format!(
            "warn,vigil={0},tower_lsp_server={1}",
            level.directive(),
            if level >= LogLevel::Debug {
                "debug"
            } else {
                "warn"
            }
        ))
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .with_filter(filter());
    let client = ClientLayer { tx }.with_filter(filter());
    // A second init (tests calling run twice) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(client)
        .try_init();
    rx
}

/// Sends queued log lines to the client; the client drops them before `initialize`.
pub async fn forward_to_client(
    client: Client,
    mut rx: mpsc::UnboundedReceiver<(MessageType, String)>,
) {
    while let Some((typ, message)) = rx.recv().await {
        client.log_message(typ, message).await;
    }
}

struct ClientLayer {
    tx: mpsc::UnboundedSender<(MessageType, String)>,
}

impl<S: Subscriber> Layer<S> for ClientLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut text = MessageText::default();
        event.record(&mut text);
        let typ = match *event.metadata().level() {
            Level::ERROR => MessageType::ERROR,
            Level::WARN => MessageType::WARNING,
            Level::INFO => MessageType::INFO,
            _ => MessageType::LOG,
        };
        let _ = self.tx.send((typ, text.0));
    }
}

#[derive(Default)]
struct MessageText(String);

impl Visit for MessageText {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

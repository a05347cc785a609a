//! `vigil serve`: the language server, a thin adapter from LSP to the engine.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Speak LSP over stdio (the default and only transport).
    #[arg(long)]
    pub stdio: bool,
}

pub fn run(_args: ServeArgs) -> ExitCode {
    eprintln!("vigil serve: not implemented yet");
    ExitCode::from(2)
}

//! The command line: argument definitions and the `check` and `rules` commands.

pub mod check;
pub mod rules;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "Secure-coding feedback for JavaScript, TypeScript and Go"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories for insecure code.
    Check(check::CheckArgs),
    /// List the rules, or explain one.
    Rules(rules::RulesArgs),
    /// Run the language server on stdio.
    Serve(crate::lsp::ServeArgs),
}

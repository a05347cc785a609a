//! The command line: argument definitions and the `check` and `rules` commands.
//! Thin over the engine: walking, reading, reporting and writing files live here,
//! analysis and fixing do not.

pub mod baselining;
pub mod check;
pub mod fixing;
pub mod policies;
pub mod report;
pub mod rules;
pub mod rules_test;
pub mod scan;
/// "Did you mean" lives in the engine, which suggests ids in suppression comments too.
pub use crate::engine::suggest;
pub mod walk;

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

/// `--color`: `auto` colours a terminal unless `NO_COLOR` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl From<ColorWhen> for anstream::ColorChoice {
    fn from(c: ColorWhen) -> Self {
        match c {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        }
    }
}

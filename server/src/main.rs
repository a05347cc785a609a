//! The `vigil` binary: `vigil check` (CLI), `vigil rules`, `vigil serve` (language server).

use std::process::ExitCode;

use clap::Parser;
use vigil::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => vigil::cli::check::run(args),
        Command::Rules(args) => vigil::cli::rules::run(args),
        Command::Serve(args) => vigil::lsp::run(args),
    }
}

//! `vigil check`: scan paths, report findings, optionally apply fixes.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories to scan (default: the current directory).
    pub paths: Vec<PathBuf>,
}

pub fn run(_args: CheckArgs) -> ExitCode {
    eprintln!("vigil check: not implemented yet");
    ExitCode::from(2)
}

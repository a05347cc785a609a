//! `vigil rules` and `vigil rules explain ID`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct RulesArgs {}

pub fn run(_args: RulesArgs) -> ExitCode {
    eprintln!("vigil rules: not implemented yet");
    ExitCode::from(2)
}

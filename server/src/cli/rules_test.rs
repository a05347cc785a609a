//! `vigil rules test DIR`: every rule file below DIR against its own examples, with
//! the checks the built-in rules pass (`engine::rule::examples`), for security teams'
//! CI. Exit codes: 0 every rule passes, 1 a rule fails or does not load, 2 usage error
//! (no such directory, no rule files).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anstyle::AnsiColor;

use super::ColorWhen;
use crate::engine::rule::RuleOrigin;
use crate::engine::rule::examples::check_rule;
use crate::engine::rule::load::{load_rules, read_rule_dir};
use crate::project::rules::builtin_sources;

pub fn run(dir: &Path, color: ColorWhen) -> ExitCode {
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), color.into());
    let mut err = anstream::AutoStream::new(std::io::stderr(), color.into());
    let red = AnsiColor::Red.on_default().bold();
    let green = AnsiColor::Green.on_default().bold();
    if !dir.is_dir() {
        let _ = writeln!(
            err,
            "{red}error{red:#}: {} is not a directory",
            dir.display()
        );
        return ExitCode::from(2);
    }
    let (sources, read_errors) = read_rule_dir(dir);
    if sources.is_empty() && read_errors.is_empty() {
        let _ = writeln!(
            err,
            "{red}error{red:#}: no rule files (*.toml) below {}",
            dir.display()
        );
        return ExitCode::from(2);
    }
    let files: Vec<PathBuf> = sources
        .iter()
        .filter_map(|s| match &s.origin {
            RuleOrigin::File(p) => Some(p.clone()),
            RuleOrigin::Builtin(_) => None,
        })
        .collect();
    // Loaded with the built-in rules: ids must not clash with them, and a fix must not
    // introduce a finding of a built-in rule either.
    let mut all = builtin_sources();
    all.extend(sources);
    let (set, load_errors) = load_rules(all);

    let mut failed = 0;
    let mut passed = 0;
    for e in read_errors.iter().chain(&load_errors) {
        failed += 1;
        let _ = writeln!(out, "{red}FAIL{red:#} {e}");
    }
    for rule in set.rules() {
        let RuleOrigin::File(path) = &rule.origin else {
            continue;
        };
        if !files.contains(path) {
            continue;
        }
        let problems = check_rule(rule, &set, true);
        // Advice, not a failure: such a rule costs a full traversal of every file.
        let anywhere = rule.language.targets().iter().any(|&lang| {
            set.rules_matching_anywhere(lang)
                .contains(&rule.id.as_str())
        });
        let note = |out: &mut dyn std::io::Write| {
            if anywhere {
                let _ = writeln!(
                    out,
                    "  note: a pattern names no literal (no `#eq?`, `#any-of?`, `#match?`, `matches` or `resolves-to` on a capture every match has), so it is matched in every file; see rules/README.md, \"Query\""
                );
            }
        };
        if problems.is_empty() {
            passed += 1;
            let _ = writeln!(out, "{green}PASS{green:#} {} ({})", rule.id, path.display());
            note(&mut out);
        } else {
            failed += 1;
            let _ = writeln!(out, "{red}FAIL{red:#} {} ({})", rule.id, path.display());
            note(&mut out);
            for p in problems {
                let p = p.strip_prefix(&format!("{}: ", rule.id)).unwrap_or(&p);
                for (i, line) in p.lines().enumerate() {
                    let bullet = if i == 0 { "  - " } else { "    " };
                    let _ = writeln!(out, "{bullet}{line}");
                }
            }
        }
    }
    let _ = writeln!(out, "\n{passed} passed, {failed} failed");
    let _ = out.flush();
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

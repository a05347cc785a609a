//! `vigil check`: scan paths, report findings, optionally apply fixes.
//!
//! Exit codes: 0 no findings, 1 findings, 2 error (bad arguments, missing path, an
//! invalid vigil.toml, a rule file that did not load, a fixed file that could not be
//! written, an unreadable baseline). With a baseline, only findings not in it count.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};

use super::baselining::{self, Scope};
use super::fixing::{FixMode, FixOutcome, fix_files};
use super::report::{self, Report, display_path};
use super::scan::scan_all;
use super::walk::{self, WalkOptions};
use super::{ColorWhen, policies};
use crate::engine::{Confidence, Severity};

/// Scans with at least this many files show a progress bar (on a terminal).
const PROGRESS_MIN_FILES: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source snippets with the flagged range underlined, and a summary.
    Human,
    /// A versioned JSON document: findings with positions, fixes and a summary.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories to scan (default: the current directory).
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Apply safe fixes in place, then report what remains.
    #[arg(long)]
    pub fix: bool,

    /// Also apply fixes that change behaviour (with --fix or --diff).
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Show the fixes --fix would apply as a unified diff; write nothing.
    #[arg(long)]
    pub diff: bool,

    /// Only run these rules: ids, prefixes (`go/`, `js`), `CWE-89`, or tags.
    /// Comma-separated or repeated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,

    /// Skip these rules (same forms as --select).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// Report only findings at least this severe: low, medium, high or critical.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub min_severity: Option<Severity>,

    /// Run only rules at least this confident: low, medium or high.
    #[arg(long, value_name = "CONFIDENCE", value_parser = parse_confidence)]
    pub min_confidence: Option<Confidence>,

    /// Skip files larger than this (bytes, or with a K/M/G suffix).
    #[arg(long, value_name = "SIZE", default_value = "2M", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Also scan files excluded by .gitignore/.ignore, hidden files and node_modules.
    #[arg(long)]
    pub no_ignore: bool,

    /// Ignore other tools' suppression comments (`#nosec`, `nosemgrep`,
    /// `eslint-disable-next-line`), which by default silence the equivalent rules.
    #[arg(long)]
    pub no_foreign_suppressions: bool,

    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Report only findings not recorded in this baseline file (see --write-baseline).
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,

    /// Record the current findings in FILE as the baseline, then report as --baseline
    /// FILE would.
    #[arg(long, value_name = "FILE", conflicts_with = "diff")]
    pub write_baseline: Option<PathBuf>,

    /// Use this vigil.toml for every file, instead of the nearest one above each file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| "expected one of: low, medium, high, critical".into())
}

fn parse_confidence(s: &str) -> Result<Confidence, String> {
    Confidence::parse(s).ok_or_else(|| "expected one of: low, medium, high".into())
}

/// `2M`, `512K`, `2MiB`, `1048576` -> bytes (suffixes are powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 2M, 512K, 100000)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("unknown size unit in `{s}` (use K, M or G)")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("`{s}` is too large"))
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();

/// stderr, coloured or not like the report.
struct Messages {
    err: anstream::AutoStream<std::io::Stderr>,
}

impl Messages {
    fn new(color: ColorWhen) -> Messages {
        Messages {
            err: anstream::AutoStream::new(std::io::stderr(), color.into()),
        }
    }
    fn error(&mut self, msg: &str) {
        let _ = writeln!(self.err, "{ERROR}error{ERROR:#}: {msg}");
    }
    fn warning(&mut self, msg: &str) {
        let _ = writeln!(self.err, "{WARNING}warning{WARNING:#}: {msg}");
    }
    fn note(&mut self, msg: &str) {
        let _ = writeln!(self.err, "{msg}");
    }
}

pub fn run(args: CheckArgs) -> ExitCode {
    let mut messages = Messages::new(args.color);
    match execute(args, &mut messages) {
        Ok(code) => code,
        Err(msg) => {
            messages.error(&msg);
            ExitCode::from(2)
        }
    }
}

fn execute(args: CheckArgs, messages: &mut Messages) -> Result<ExitCode, String> {
    if args.diff && args.format != Format::Human {
        return Err("--diff prints a unified diff and cannot be combined with --format".into());
    }
    let finder = policies::finder(args.config.as_deref())?;
    let root =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    // Read before scanning: a missing or broken baseline fails fast.
    let baseline = args
        .baseline
        .as_deref()
        .map(crate::baseline::file::load)
        .transpose()?;
    let base = baselining::base_dir(
        &root,
        args.baseline.as_deref().or(args.write_baseline.as_deref()),
    );
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let discovery = walk::discover(
        &paths,
        WalkOptions {
            no_ignore: args.no_ignore,
            exclude: Some(policies::exclude(&finder)),
        },
    )?;
    let flags = policies::Flags {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        min_severity: args.min_severity,
        min_confidence: args.min_confidence,
        no_foreign_suppressions: args.no_foreign_suppressions,
    };
    let resolved = policies::resolve(&finder, &discovery.files, &flags)?;
    for e in &resolved.rule_errors {
        messages.error(&format!("rule not loaded: {e}"));
    }
    let rules = resolved.rules.get();

    let progress = progress_bar(discovery.files.len());
    let (mut files, scan_skipped) = scan_all(
        &discovery.files,
        &resolved.policies,
        args.max_file_size,
        || progress.inc(1),
    );
    progress.finish_and_clear();
    let mut skipped = discovery.skipped;
    skipped.extend(scan_skipped);
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    for s in &skipped {
        messages.warning(&format!("skipped {}: {}", display_path(&s.path), s.reason));
    }
    for file in &files {
        for w in &file.warnings {
            messages.warning(&format!("{}: {w}", display_path(&file.path)));
        }
    }

    let fix_outcome = if args.fix || args.diff {
        let mode = if args.diff {
            FixMode::Diff
        } else {
            FixMode::Write
        };
        fix_files(&mut files, args.unsafe_fixes, mode)
    } else {
        FixOutcome::default()
    };
    for r in &fix_outcome.rejected {
        messages.warning(&format!(
            "{}:{}: fix \"{}\" for {} not applied: {}",
            display_path(&r.path),
            r.line,
            r.title,
            r.rule_id,
            r.reason
        ));
    }
    for (path, e) in &fix_outcome.write_errors {
        messages.error(&format!(
            "could not write fixes to {}: {e}",
            display_path(path)
        ));
    }

    // After fixing: `--fix` fixes baselined findings too (that is how a baseline
    // shrinks), and what remains is then matched against the baseline.
    baselining::fingerprint_files(&mut files, &root, &base);
    let scope = Scope {
        root: &root,
        base: &base,
        paths: &paths,
        skipped: &skipped,
        rules,
        filters: baselining::filters_by_path(&discovery.files, &resolved.policies, &root, &base),
        default_filter: &flags.filter(),
    };
    let baseline_summary = if let Some(path) = &args.write_baseline {
        let recorded = baselining::record(&files, &root, &base);
        crate::baseline::file::write(&recorded, path)?;
        messages.note(&format!(
            "Recorded {} finding(s) in the baseline {}.",
            recorded.len(),
            display_path(path)
        ));
        Some(baselining::hide_baselined(&mut files, &recorded, &scope))
    } else {
        baseline
            .as_ref()
            .map(|b| baselining::hide_baselined(&mut files, b, &scope))
    };
    // What is left to report: after --fix what it could not fix; with --diff, which
    // writes nothing, the findings on disk.
    let remaining: usize = files.iter().map(|f| f.findings.len()).sum();

    let mut out = String::new();
    if args.diff {
        out.push_str(&fix_outcome.diff);
        let files_changed = fix_outcome
            .fixed
            .iter()
            .map(|f| &f.path)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        messages.note(&format!(
            "Would fix {} finding(s) in {} file(s); {} finding(s) found.",
            fix_outcome.fixed.len(),
            files_changed,
            remaining
        ));
    } else {
        let report = Report {
            files: &files,
            skipped: &skipped,
            rules,
            fixed: &fix_outcome.fixed,
            rejected: &fix_outcome.rejected,
            root: &root,
            baseline: baseline_summary,
        };
        match args.format {
            Format::Human => report::human::render(&report, &mut out),
            Format::Json => report::json::render(&report, &mut out),
            Format::Sarif => report::sarif::render(&report, &mut out),
        }
    }
    write_report(&out, args.output.as_deref(), args.color)?;

    // A rule file that did not load is an error even though the scan ran: CI must not
    // pass while an organisation rule is silently missing.
    Ok(
        if !fix_outcome.write_errors.is_empty() || !resolved.rule_errors.is_empty() {
            ExitCode::from(2)
        } else if remaining > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}

fn progress_bar(files: usize) -> indicatif::ProgressBar {
    if files < PROGRESS_MIN_FILES || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(files as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} Scanning {bar:30} {pos}/{len} files ({per_sec})",
    ) {
        bar.set_style(style);
    }
    bar
}

fn write_report(
    text: &str,
    output: Option<&std::path::Path>,
    color: ColorWhen,
) -> Result<(), String> {
    match output {
        Some(path) => std::fs::File::create(path)
            .and_then(|f| {
                let mut stream = anstream::AutoStream::new(f, color.into());
                stream.write_all(text.as_bytes())?;
                stream.flush()
            })
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            let mut stream = anstream::AutoStream::new(std::io::stdout().lock(), color.into());
            match stream
                .write_all(text.as_bytes())
                .and_then(|_| stream.flush())
            {
                // A closed pipe (`vigil check | head`) is not an error worth reporting.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| format!("cannot write the report: {e}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::scan::DEFAULT_MAX_FILE_SIZE;

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("2M"), Ok(2 * 1024 * 1024));
        assert_eq!(parse_size("512k"), Ok(512 * 1024));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("3MiB"), Ok(3 * 1024 * 1024));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5X").is_err());
        assert_eq!(DEFAULT_MAX_FILE_SIZE, parse_size("2M").unwrap());
    }
}

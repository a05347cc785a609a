//! The default report: a rustc/ruff-style snippet per finding, then a summary.
//!
//! Output always carries ANSI styles; the stream it is written to (`anstream`) strips
//! them unless colour is wanted (TTY, `--color`, `NO_COLOR`).

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use unicode_width::UnicodeWidthStr;

use super::{Fixability, Report, Summary, display_path, fixability, position};
use crate::cli::scan::ScannedFile;
use crate::engine::{Applicability, Finding, Severity};

/// Lines wider than this are cut to a window around the flagged range.
const MAX_LINE_WIDTH: usize = 160;
/// Characters of context kept on each side of the range in a cut line.
const CONTEXT_CHARS: usize = 40;
/// The flagged part of a cut line is shown up to this many characters.
const MAX_HIGHLIGHT_CHARS: usize = 80;
/// A multi-line range shows at most this many lines (first ones, then the last).
const MAX_SNIPPET_LINES: usize = 4;
/// A tab is shown as this many spaces, so carets line up whatever the terminal does.
const TAB_WIDTH: usize = 4;

const GUTTER: Style = AnsiColor::Blue.on_default().bold();
const BOLD: Style = Style::new().bold();
const HELP: Style = AnsiColor::Cyan.on_default().bold();
const GOOD: Style = AnsiColor::Green.on_default().bold();

pub fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => AnsiColor::Magenta.on_default().bold(),
        Severity::High => AnsiColor::Red.on_default().bold(),
        Severity::Medium => AnsiColor::Yellow.on_default().bold(),
        Severity::Low => AnsiColor::Cyan.on_default().bold(),
    }
}

pub fn render(report: &Report, out: &mut String) {
    for file in report.files {
        for finding in &file.findings {
            render_finding(file, finding, out);
            out.push('\n');
        }
    }
    render_summary(&Summary::of(report), report, out);
}

fn render_finding(file: &ScannedFile, finding: &Finding, out: &mut String) {
    let text = &*file.text;
    let index = &file.line_index;
    let sev = severity_style(finding.severity);
    let start = position(text, index, finding.range.start);
    let _ = writeln!(
        out,
        "{sev}{}[{}]{sev:#}: {BOLD}{}{BOLD:#}",
        finding.severity.as_str(),
        finding.rule.id,
        finding.message
    );

    let first = start.line - 1;
    let mut last = index.line_of(finding.range.end);
    // A range ending just after a newline ends on the line before.
    if last > first && index.line_start(last) == finding.range.end {
        last -= 1;
    }
    let shown: Vec<Option<usize>> = if last - first < MAX_SNIPPET_LINES {
        (first..=last).map(Some).collect()
    } else {
        let mut v: Vec<Option<usize>> = (first..first + MAX_SNIPPET_LINES - 1).map(Some).collect();
        v.push(None); // elided lines
        v.push(Some(last));
        v
    };
    let width = (last + 1).to_string().len();
    let pad = " ".repeat(width);
    let _ = writeln!(
        out,
        "{pad}{GUTTER}-->{GUTTER:#} {}:{}:{}",
        display_path(&file.path),
        start.line,
        start.column
    );
    let _ = writeln!(out, "{pad} {GUTTER}|{GUTTER:#}");
    for line in shown {
        let Some(line) = line else {
            let _ = writeln!(out, "{GUTTER}...{GUTTER:#}");
            continue;
        };
        let line_start = index.line_start(line);
        let line_text = &text[line_start..index.line_end(text, line)];
        let hl_start = if line == first {
            // A range may start in a line terminator (`\r`): clamp to the content.
            (finding.range.start - line_start).min(line_text.len())
        } else {
            // Continuation lines are marked from their first non-blank character.
            line_text.len() - line_text.trim_start().len()
        };
        let hl_end = if line == last {
            (finding.range.end - line_start).min(line_text.len())
        } else {
            line_text.len()
        };
        let (shown_text, carets) = snippet_line(line_text, hl_start, hl_end.max(hl_start));
        let _ = writeln!(out, "{GUTTER}{:>width$} |{GUTTER:#} {shown_text}", line + 1);
        let _ = writeln!(out, "{pad} {GUTTER}|{GUTTER:#} {sev}{carets}{sev:#}");
    }
    let fix = finding.fixes.first();
    if let Some(fix) = fix {
        let note = match fix.applicability {
            Applicability::Safe => "",
            Applicability::ChangesBehaviour => " (changes behaviour)",
        };
        let _ = writeln!(
            out,
            "{pad} {GUTTER}={GUTTER:#} {HELP}help{HELP:#}: {}{note}",
            fix.title
        );
    }
}

/// The line as displayed (tabs expanded, control characters made visible, cut to a
/// window around the range if very long) and the caret line under the range.
fn snippet_line(line: &str, hl_start: usize, hl_end: usize) -> (String, String) {
    let (mut start, mut end, mut hl_end) = (0, line.len(), hl_end);
    if wider_than(line, MAX_LINE_WIDTH) {
        start = chars_back(line, hl_start, CONTEXT_CHARS);
        hl_end = hl_end.min(chars_forward(line, hl_start, MAX_HIGHLIGHT_CHARS));
        end = chars_forward(line, hl_end, CONTEXT_CHARS);
    }
    let mut shown = String::new();
    let mut carets = String::new();
    if start > 0 {
        shown.push('…');
        carets.push(' ');
    }
    let before = display(&line[start..hl_start]);
    let flagged = display(&line[hl_start..hl_end]);
    carets.push_str(&" ".repeat(before.width()));
    carets.push_str(&"^".repeat(flagged.width().max(1)));
    shown.push_str(&before);
    shown.push_str(&flagged);
    shown.push_str(&display(&line[hl_end..end]));
    if end < line.len() {
        shown.push('…');
    }
    (shown.trim_end().to_string(), carets)
}

/// Whether `line` is displayed wider than `max` columns (or is so long in characters
/// that it is cut anyway, e.g. a run of zero-width marks). Stops counting early, so a
/// multi-megabyte minified line costs no more than a short one, however many findings
/// it carries.
fn wider_than(line: &str, max: usize) -> bool {
    let mut width = 0;
    for (chars, c) in line.chars().enumerate() {
        if chars > 4 * max {
            return true;
        }
        width += match c {
            '\t' => TAB_WIDTH,
            c if c.is_control() => 1, // shown as U+FFFD
            c => unicode_width::UnicodeWidthChar::width(c).unwrap_or(0),
        };
        if width > max {
            return true;
        }
    }
    false
}

fn display(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str(&" ".repeat(TAB_WIDTH)),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The byte offset `n` characters before `from` (or 0).
fn chars_back(s: &str, from: usize, n: usize) -> usize {
    s[..from]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i)
}

/// The byte offset `n` characters after `from` (or the end).
fn chars_forward(s: &str, from: usize, n: usize) -> usize {
    s[from..]
        .char_indices()
        .nth(n)
        .map_or(s.len(), |(i, _)| from + i)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn render_summary(s: &Summary, report: &Report, out: &mut String) {
    let skipped = if s.files_skipped > 0 {
        format!(", {} skipped", s.files_skipped)
    } else {
        String::new()
    };
    let skipped = if s.suppressed > 0 {
        format!("{skipped}, {} suppressed", s.suppressed)
    } else {
        skipped
    };
    if s.fixed > 0 {
        let files = report
            .fixed
            .iter()
            .map(|f| &f.path)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let _ = writeln!(
            out,
            "{GOOD}Fixed {} in {}.{GOOD:#}",
            plural(s.fixed, "finding"),
            plural(files, "file")
        );
    }
    // With a baseline the report holds only findings that are not in it.
    let finding = if report.baseline.is_some() {
        "new finding"
    } else {
        "finding"
    };
    if s.findings == 0 {
        let _ = writeln!(
            out,
            "{GOOD}No {finding}s{GOOD:#} ({} scanned{skipped}).",
            plural(s.files_scanned, "file")
        );
        render_baseline(report, out);
        return;
    }
    let by_severity: Vec<String> = super::SEVERITIES
        .iter()
        .rev()
        .zip(s.by_severity.iter().rev())
        .filter(|(_, n)| **n > 0)
        .map(|(sev, n)| {
            let st = severity_style(*sev);
            format!("{st}{n} {}{st:#}", sev.as_str())
        })
        .collect();
    let _ = writeln!(
        out,
        "{BOLD}Found {} in {}{BOLD:#} ({}; {} scanned{skipped}).",
        plural(s.findings, finding),
        plural(s.files_with_findings, "file"),
        by_severity.join(", "),
        plural(s.files_scanned, "file"),
    );
    render_baseline(report, out);
    match (s.fixable, s.fixable_unsafe) {
        (0, 0) => {}
        (0, u) => {
            let _ = writeln!(
                out,
                "{HELP}[*]{HELP:#} {u} fixable with `--fix --unsafe-fixes` (fixes that change behaviour)."
            );
        }
        (f, 0) => {
            let _ = writeln!(out, "{HELP}[*]{HELP:#} {f} fixable with `--fix`.");
        }
        (f, u) => {
            let _ = writeln!(
                out,
                "{HELP}[*]{HELP:#} {f} fixable with `--fix` ({u} more with `--unsafe-fixes`)."
            );
        }
    }
}

fn render_baseline(report: &Report, out: &mut String) {
    let Some(b) = report.baseline else {
        return;
    };
    let _ = writeln!(
        out,
        "{} hidden by the baseline.",
        plural(b.hidden, "finding")
    );
    if b.fixed > 0 {
        let _ = writeln!(
            out,
            "{GOOD}{} fixed since the baseline{GOOD:#}: record it again with `--write-baseline` to drop {}.",
            plural(b.fixed, "finding"),
            if b.fixed == 1 { "it" } else { "them" }
        );
    }
}

/// Whether any finding in the report could be fixed with the given options.
pub fn any_fixable(report: &Report, unsafe_fixes: bool) -> bool {
    report.files.iter().flat_map(|f| &f.findings).any(|f| {
        matches!(
            (fixability(f), unsafe_fixes),
            (Fixability::Safe, _) | (Fixability::Unsafe, true)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_line_up_under_tabs_and_wide_chars() {
        let line = "\tlet s = '日本' + md5(x);";
        let at = line.find("md5").unwrap();
        let (shown, carets) = snippet_line(line, at, at + 3);
        let col = carets.find('^').unwrap();
        assert_eq!(&carets[col..], "^^^");
        // The carets start at the display column of `md5` in the shown text.
        let prefix = &shown[..shown.find("md5").unwrap()];
        assert_eq!(prefix.width(), col);
        assert!(shown.starts_with("    let"));
    }

    #[test]
    fn long_lines_are_windowed_around_the_range() {
        let line = format!("{}eval(x){}", "a".repeat(5000), "b".repeat(5000));
        let at = line.find("eval").unwrap();
        let (shown, carets) = snippet_line(&line, at, at + 7);
        assert!(shown.len() < 200, "{}", shown.len());
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        let col = carets.find('^').unwrap();
        let prefix = &shown[..shown.find("eval").unwrap()];
        assert_eq!(prefix.width(), col);
        assert_eq!(carets.trim().len(), 7);
    }

    fn finding_over(text: &str, from: &str, to: &str) -> (ScannedFile, Finding) {
        let rule = crate::engine::RuleSet::builtin()
            .get("js/weak-hash")
            .unwrap()
            .clone();
        let start = text.find(from).unwrap();
        let end = text.find(to).unwrap() + to.len();
        let file = ScannedFile {
            path: "a.js".into(),
            language: crate::engine::Language::JavaScript,
            text: text.into(),
            line_index: crate::engine::LineIndex::new(text),
            findings: vec![],
            fingerprints: vec![],
            suppressed: vec![],
            warnings: vec![],
            policy: std::sync::Arc::new(crate::project::FilePolicy::builtin(Default::default())),
        };
        let finding = Finding {
            rule,
            range: crate::engine::TextRange::new(start, end),
            message: "m".into(),
            severity: Severity::High,
            fixes: vec![],
        };
        (file, finding)
    }

    #[test]
    fn multi_line_ranges_mark_each_line_and_elide_the_middle() {
        let text = "x;\nfoo(a,\n    b);\ny;\n";
        let (file, finding) = finding_over(text, "foo", "b);");
        let mut out = String::new();
        render_finding(&file, &finding, &mut out);
        let out = anstream::adapter::strip_str(&out).to_string();
        assert!(out.contains(" --> a.js:2:1"), "{out}");
        assert!(out.contains("2 | foo(a,\n  | ^^^^^^\n"), "{out}");
        assert!(out.contains("3 |     b);\n  |     ^^^\n"), "{out}");

        let long: String = (0..10).map(|i| format!("l{i}\n")).collect();
        let (file, finding) = finding_over(&long, "l1", "l8");
        let mut out = String::new();
        render_finding(&file, &finding, &mut out);
        let out = anstream::adapter::strip_str(&out).to_string();
        assert!(out.contains("2 | l1") && out.contains("4 | l3"), "{out}");
        assert!(out.contains("...") && out.contains("9 | l8"), "{out}");
        assert!(!out.contains("5 | l4"), "{out}");
    }

    #[test]
    fn empty_range_gets_one_caret() {
        let (_, carets) = snippet_line("abc", 1, 1);
        assert_eq!(carets, " ^");
    }
}

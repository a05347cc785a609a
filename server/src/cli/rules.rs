//! `vigil rules` (a table or JSON list of the rules) and `vigil rules explain ID`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use anstyle::Style;
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use super::ColorWhen;
use super::report::human::severity_style;
use super::suggest;
use crate::engine::{Applicability, Rule, RuleSet};

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: Option<RulesCommand>,

    /// Output format of the list.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN", global = true)]
    pub color: ColorWhen,
}

#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Print a rule's metadata and explanation.
    Explain {
        /// The rule id, e.g. `js/weak-hash`.
        id: String,
    },
    /// Check every rule file below DIR against its own examples (exit 0 all pass,
    /// 1 a rule fails, 2 usage error).
    Test {
        /// A directory of organisation rules.
        dir: std::path::PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

pub fn run(args: RulesArgs) -> ExitCode {
    let rules = RuleSet::builtin();
    let mut text = String::new();
    let code = match &args.command {
        None => {
            match args.format {
                ListFormat::Table => table(rules, &mut text),
                ListFormat::Json => json(rules, &mut text),
            }
            ExitCode::SUCCESS
        }
        Some(RulesCommand::Explain { id }) => match rules.get(id) {
            Some(rule) => {
                explain(rule, &mut text);
                ExitCode::SUCCESS
            }
            None => {
                let ids: Vec<&str> = rules.rules().iter().map(|r| r.id.as_str()).collect();
                let mut err = anstream::AutoStream::new(std::io::stderr(), args.color.into());
                let red = anstyle::AnsiColor::Red.on_default().bold();
                let _ = writeln!(
                    err,
                    "{red}error{red:#}: unknown rule `{id}`{}\n  run `vigil rules` to list all rules",
                    suggest::did_you_mean(id, &ids)
                );
                return ExitCode::from(2);
            }
        },
        Some(RulesCommand::Test { dir }) => return super::rules_test::run(dir, args.color),
    };
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), args.color.into());
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    code
}

fn cwe_list(rule: &Rule) -> String {
    rule.cwe_tags().join(",")
}

fn table(rules: &RuleSet, out: &mut String) {
    let header = ["ID", "SEVERITY", "CONFIDENCE", "CWE", "FIX", "TITLE"];
    let rows: Vec<[String; 6]> = rules
        .rules()
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                r.severity.as_str().to_string(),
                r.confidence.as_str().to_string(),
                cwe_list(r),
                if r.has_fix() { "yes" } else { "no" }.to_string(),
                r.title.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let pad = |cell: &str, w: usize| format!("{cell}{}", " ".repeat(w - cell.width()));
    let line: Vec<String> = header.iter().zip(widths).map(|(h, w)| pad(h, w)).collect();
    let _ = writeln!(out, "{BOLD}{}{BOLD:#}", line.join("  ").trim_end());
    for (row, rule) in rows.iter().zip(rules.rules()) {
        let sev = severity_style(rule.severity);
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                let padded = pad(cell, w);
                if i == 1 {
                    format!("{sev}{padded}{sev:#}")
                } else {
                    padded
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    let _ = writeln!(
        out,
        "{DIM}{} rules. `vigil rules explain ID` for details.{DIM:#}",
        rules.len()
    );
}

#[derive(Serialize)]
struct JsonRule<'a> {
    id: &'a str,
    title: &'a str,
    language: &'static str,
    severity: &'static str,
    confidence: &'static str,
    cwe: Vec<String>,
    owasp: &'a [String],
    tags: &'a [String],
    fixes: Vec<JsonFix<'a>>,
    help_uri: String,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    applicability: &'static str,
}

fn json(rules: &RuleSet, out: &mut String) {
    let list: Vec<JsonRule> = rules
        .rules()
        .iter()
        .map(|r| JsonRule {
            id: &r.id,
            title: &r.title,
            language: r.language.name(),
            severity: r.severity.as_str(),
            confidence: r.confidence.as_str(),
            cwe: r.cwe_tags(),
            owasp: &r.owasp,
            tags: &r.tags,
            fixes: r
                .fixes
                .iter()
                .map(|f| JsonFix {
                    title: &f.title,
                    applicability: f.applicability.as_str(),
                })
                .collect(),
            help_uri: r.help_uri(),
        })
        .collect();
    out.push_str(&serde_json::to_string_pretty(&list).expect("rules serialise"));
    out.push('\n');
}

fn explain(rule: &Rule, out: &mut String) {
    let sev = severity_style(rule.severity);
    let _ = writeln!(out, "{BOLD}{}{BOLD:#}: {}\n", rule.id, rule.title);
    let mut field = |name: &str, value: String| {
        if !value.is_empty() {
            let _ = writeln!(out, "  {DIM}{name:<11}{DIM:#} {value}");
        }
    };
    field("Language", rule.language.name().to_string());
    field(
        "Severity",
        format!("{sev}{}{sev:#}", rule.severity.as_str()),
    );
    field("Confidence", rule.confidence.as_str().to_string());
    field("CWE", rule.cwe_tags().join(", "));
    field("OWASP", rule.owasp.join(", "));
    field("Tags", rule.tags.join(", "));
    let aliases: Vec<String> = rule.aliases.iter().map(|a| a.to_string()).collect();
    field("Aliases", aliases.join(", "));
    let fixes: Vec<String> = rule
        .fixes
        .iter()
        .map(|f| match f.applicability {
            Applicability::Safe => format!("{} (safe)", f.title),
            Applicability::ChangesBehaviour => format!("{} (changes behaviour)", f.title),
        })
        .collect();
    field(
        "Fixes",
        if fixes.is_empty() {
            "none".into()
        } else {
            fixes.join("; ")
        },
    );
    field("Docs", rule.help_uri());
    let _ = writeln!(out, "\n{}", rule.explanation.trim_end());
    if !rule.references.is_empty() {
        let _ = writeln!(out, "\n## References");
        for r in &rule.references {
            let _ = writeln!(out, "- {r}");
        }
    }
}

//! Hover over a flagged range: what the rule is, why it matters, what to use instead,
//! where to read more, and how sure the finding is.

use crate::engine::{Finding, Rule};

/// Markdown for the findings under the cursor, or None when there are none.
pub fn markdown(findings: &[&Finding]) -> Option<String> {
    if findings.is_empty() {
        return None;
    }
    let parts: Vec<String> = findings.iter().map(|f| finding_markdown(f)).collect();
    Some(parts.join("\n\n---\n\n"))
}

fn finding_markdown(finding: &Finding) -> String {
    let rule: &Rule = &finding.rule;
    let mut out = format!(
        "### {}\n`{}` · Vigil\n\n{}\n",
        rule.title, rule.id, finding.message
    );
    if let Some(why) = section(&rule.explanation, "Why is this bad?") {
        out.push_str(&format!("\n**Why is this dangerous?**\n\n{why}\n"));
    }
    if let Some(instead) = section(&rule.explanation, "Use instead") {
        out.push_str(&format!("\n**Secure alternative**\n\n{instead}\n"));
    }
    if section(&rule.explanation, "Why is this bad?").is_none() {
        // An explanation without the usual sections is shown whole.
        out.push_str(&format!("\n{}\n", rule.explanation.trim()));
    }
    let mut facts = vec![
        format!("Severity: **{}**", finding.severity.as_str()),
        format!("Confidence: **{}**", rule.confidence.as_str()),
    ];
    facts.extend(
        rule.cwe
            .iter()
            .map(|c| format!("[CWE-{c}](https://cwe.mitre.org/data/definitions/{c}.html)")),
    );
    facts.extend(rule.owasp.iter().map(|o| match owasp_url(o) {
        Some(url) => format!("[OWASP {o}]({url})"),
        None => format!("OWASP {o}"),
    }));
    facts.push(format!("[Rule documentation]({})", rule.help_uri()));
    out.push_str(&format!("\n{}\n", facts.join(" · ")));
    out
}

/// The body of the `## heading` section of a rule explanation.
fn section<'a>(markdown: &'a str, heading: &str) -> Option<&'a str> {
    let mut rest = markdown;
    loop {
        let at = rest.find("## ")?;
        let line_end = rest[at..].find('\n').map_or(rest.len(), |i| at + i);
        let title = rest[at + 3..line_end].trim();
        let body_start = (line_end + 1).min(rest.len());
        if title.eq_ignore_ascii_case(heading) {
            let body = &rest[body_start..];
            let end = body.find("\n## ").map_or(body.len(), |i| i + 1);
            return Some(body[..end].trim()).filter(|s| !s.is_empty());
        }
        rest = &rest[body_start..];
    }
}

/// `A03:2021-Injection` -> `https://owasp.org/Top10/A03_2021-Injection/`.
fn owasp_url(category: &str) -> Option<String> {
    let (code, rest) = category.split_once(':')?;
    let (year, name) = rest.split_once('-')?;
    if year != "2021" || !code.starts_with('A') {
        return None;
    }
    Some(format!(
        "https://owasp.org/Top10/{code}_{year}-{}/",
        name.trim().replace(' ', "_")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_links() {
        let md = "## What it finds\nx\n\n## Why is this bad?\nBecause.\n\n## Use instead\n```js\nok()\n```\n";
        assert_eq!(section(md, "Why is this bad?"), Some("Because."));
        assert_eq!(section(md, "Use instead"), Some("```js\nok()\n```"));
        assert_eq!(section(md, "Fix"), None);
        assert_eq!(
            owasp_url("A02:2021-Cryptographic Failures").as_deref(),
            Some("https://owasp.org/Top10/A02_2021-Cryptographic_Failures/")
        );
    }
}

//! Writing a new marker for a finding (the editor's "Suppress <rule> here" action).

use crate::engine::document::{Document, TextRange};
use crate::engine::fix::apply::verify_fix;
use crate::engine::fix::{Edit, Fix};
use crate::engine::rule::Applicability;

use super::anchor;
use super::marker::{self, JUSTIFICATION_PLACEHOLDER, Placement};

/// An edit inserting `vigil-ignore[rule_id]: <justification>` on its own line above
/// the line where `finding` starts, indented like it: as a `//` comment, or where
/// that would be text (JSX children) as `{/* ... */}`. Only offered when the result
/// parses, the inserted text is a comment, and the marker applies to code containing
/// the finding; the placeholder counts as no justification, so the editor then asks
/// for one.
pub fn suppression_edit(doc: &Document, finding: TextRange, rule_id: &str) -> Option<Edit> {
    let text = doc.text();
    let index = doc.line_index();
    let line = index.line_of(finding.start);
    let line_start = index.line_start(line);
    let line_end = index.line_end(text, line);
    let indent: String = text[line_start..line_end]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let newline = if text[line_end..].starts_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let body = format!(
        "{}[{rule_id}]: {JUSTIFICATION_PLACEHOLDER}",
        marker::KEYWORD
    );
    [format!("// {body}"), format!("{{/* {body} */}}")]
        .into_iter()
        .map(|comment| Edit {
            range: TextRange::new(line_start, line_start),
            new_text: format!("{indent}{comment}{newline}"),
        })
        .find(|edit| applies(doc, edit, finding))
}

/// Whether inserting `edit` yields a marker comment that covers `finding`.
fn applies(doc: &Document, edit: &Edit, finding: TextRange) -> bool {
    let check = Fix {
        index: 0,
        title: String::new(),
        applicability: Applicability::Safe,
        edits: vec![edit.clone()],
    };
    let Ok(edited) = verify_fix(doc, &check) else {
        return false;
    };
    let Some(keyword) = edit.new_text.find(marker::KEYWORD) else {
        return false;
    };
    let at = edit.range.start + keyword;
    let root = edited.tree().root_node();
    let Some(comment) = root.descendant_for_byte_range(at, at + marker::KEYWORD.len()) else {
        return false;
    };
    if comment.kind() != "comment" {
        return false;
    }
    let shift = edit.new_text.len();
    let moved = TextRange::new(finding.start + shift, finding.end + shift);
    anchor::target(&edited, comment, Placement::ByPosition)
        .is_some_and(|t| t.contains_range(&moved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Language;

    fn insert(lang: Language, src: &str, flagged: &str) -> Option<String> {
        let doc = Document::new(lang, src);
        let start = src.find(flagged).unwrap();
        let e = suppression_edit(&doc, TextRange::new(start, start + flagged.len()), "x/y")?;
        let mut out = src.to_string();
        out.replace_range(e.range.start..e.range.end, &e.new_text);
        Some(out)
    }

    #[test]
    fn keeps_indentation_and_line_endings() {
        let src = "function f() {\r\n\t  eval(x);\r\n}\n";
        assert_eq!(
            insert(Language::JavaScript, src, "eval(x)").unwrap(),
            "function f() {\r\n\t  // vigil-ignore[x/y]: <justification>\r\n\t  eval(x);\r\n}\n"
        );
    }

    #[test]
    fn uses_a_jsx_comment_among_jsx_children() {
        let src = "const a = (\n  <div>\n    <p dangerouslySetInnerHTML={h} />\n  </div>\n);\n";
        let out = insert(Language::JavaScript, src, "dangerouslySetInnerHTML={h}").unwrap();
        assert!(
            out.contains("  </div>")
                && out.contains("    {/* vigil-ignore[x/y]: <justification> */}\n    <p"),
            "{out}"
        );
    }

    #[test]
    fn not_offered_inside_a_multi_line_template() {
        let src = "const s = `a\n  eval(y)`;\n";
        assert_eq!(insert(Language::JavaScript, src, "eval(y)"), None);
    }
}

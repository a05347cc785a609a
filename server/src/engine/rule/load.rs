//! Reading rule files: TOML parsing, validation, and clear errors that name the file,
//! the line and the reason. One broken rule never prevents the others from loading.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use regex::{Regex, RegexBuilder};
use tree_sitter::Query;

use super::model::{ConstraintSpec, RuleFile};
use super::{Alias, Constraint, ForeignTool, Rule, RuleOrigin, RuleSet, SubQuery};
use crate::engine::fix::template::Template;
use crate::engine::language::Language;
use crate::engine::language::RuleLanguage;
use crate::engine::suppress::META_PREFIX;

/// The text of one rule file and where it came from.
#[derive(Debug, Clone)]
pub struct RuleSource {
    pub origin: RuleOrigin,
    pub text: String,
}

/// Why a rule file could not be loaded; `line` and `column` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub origin: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.origin, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for RuleError {}

/// Largest compiled regex a rule may use: rules can come from an untrusted workspace.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Largest rule query, in bytes, for the same reason.
const QUERY_SIZE_LIMIT: usize = 64 * 1024;
/// Largest rule file read from a rule directory; built-in rules are a few KiB.
const RULE_FILE_SIZE_LIMIT: u64 = 1 << 20;

/// Loads every source; returns the rules that validated and an error for each that did
/// not. Duplicate ids are errors on the later file.
///
/// Organisation rules are validated in full, their queries compiled for every grammar
/// they target. Built-in rules are not compiled here: the test suite validates them
/// ([`parse_rule`] on each), and each grammar's rules are compiled together when a
/// file of that grammar is first analysed ([`RuleSet::compiled`]).
pub fn load_rules(sources: Vec<RuleSource>) -> (RuleSet, Vec<RuleError>) {
    let mut rules: Vec<Arc<Rule>> = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for source in sources {
        let queries = match source.origin {
            RuleOrigin::Builtin(_) => Queries::Trust,
            RuleOrigin::File(_) => Queries::Compile,
        };
        match parse(&source, queries) {
            Ok(rule) => {
                if !seen.insert(rule.id.clone()) {
                    errors.push(RuleError {
                        origin: source.origin.to_string(),
                        line: 1,
                        column: 1,
                        message: format!("duplicate rule id `{}`", rule.id),
                    });
                    continue;
                }
                rules.push(Arc::new(rule));
            }
            Err(e) => errors.push(e),
        }
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    (RuleSet::from_rules(rules), errors)
}

/// Loads every `*.toml` below `dir` (sorted, for stable output).
pub fn read_rule_dir(dir: &Path) -> (Vec<RuleSource>, Vec<RuleError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    let mut paths = Vec::new();
    for entry in ignore::WalkBuilder::new(dir).hidden(false).build() {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                if e.path().extension().is_some_and(|x| x == "toml") {
                    paths.push(e.into_path());
                }
            }
            Ok(_) => {}
            Err(e) => errors.push(RuleError {
                origin: dir.display().to_string(),
                line: 1,
                column: 1,
                message: e.to_string(),
            }),
        }
    }
    paths.sort();
    for path in paths {
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        if size > RULE_FILE_SIZE_LIMIT {
            errors.push(RuleError {
                origin: path.display().to_string(),
                line: 1,
                column: 1,
                message: format!(
                    "rule file is {size} bytes, over the limit of {RULE_FILE_SIZE_LIMIT}"
                ),
            });
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => sources.push(RuleSource {
                origin: RuleOrigin::File(path),
                text,
            }),
            Err(e) => errors.push(RuleError {
                origin: path.display().to_string(),
                line: 1,
                column: 1,
                message: format!("cannot read rule file: {e}"),
            }),
        }
    }
    (sources, errors)
}

struct Ctx<'a> {
    origin: String,
    text: &'a str,
}

impl Ctx<'_> {
    fn err_at(&self, offset: usize, message: impl Into<String>) -> RuleError {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        RuleError {
            origin: self.origin.clone(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// Whether loading compiles a rule's tree-sitter queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queries {
    /// Compile the query and constraint sub-queries for every target grammar: syntax,
    /// node and field names and captures are checked, with the error's position.
    Compile,
    /// Built-in rules, checked by the test suite: compiled when first needed.
    Trust,
}

/// Reads and fully validates one rule file (queries compiled for every grammar the rule
/// targets); errors name the file, line, column and reason.
pub fn parse_rule(source: &RuleSource) -> Result<Rule, RuleError> {
    parse(source, Queries::Compile)
}

fn parse(source: &RuleSource, queries: Queries) -> Result<Rule, RuleError> {
    let ctx = Ctx {
        origin: source.origin.to_string(),
        text: &source.text,
    };
    let file: RuleFile = toml::from_str(&source.text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        ctx.err_at(offset, e.message().trim().to_string())
    })?;
    let id_span = find_key(&source.text, "id");
    let id_ok = Regex::new(r"^[a-z][a-z0-9]*/[a-z0-9][a-z0-9-]*$").expect("static regex");
    if file.id.starts_with(META_PREFIX) {
        return Err(ctx.err_at(
            id_span,
            format!("rule ids starting with `{META_PREFIX}` are reserved for Vigil's own checks"),
        ));
    }
    if !id_ok.is_match(&file.id) {
        return Err(ctx.err_at(
            id_span,
            format!(
                "rule id `{}` must look like `language/name-with-dashes`",
                file.id
            ),
        ));
    }
    if file.cwe.is_empty() {
        return Err(ctx.err_at(
            find_key(&source.text, "cwe"),
            "a rule needs at least one CWE id",
        ));
    }
    let owasp_ok = Regex::new(r"^A(0[1-9]|10):2021").expect("static regex");
    if let Some(bad) = file.owasp.iter().find(|o| !owasp_ok.is_match(o)) {
        return Err(ctx.err_at(
            find_key(&source.text, "owasp"),
            format!("OWASP category `{bad}` must look like `A03:2021-Injection`"),
        ));
    }

    let query_span = file.query.span();
    let query_source = file.query.get_ref().clone();
    if query_source.len() > QUERY_SIZE_LIMIT {
        return Err(ctx.err_at(query_span.start, "query is larger than 64 KiB"));
    }
    // Offset of the query's first character inside the file: skip the opening quotes
    // and, for multi-line strings, the newline TOML trims after them.
    let query_body_offset = {
        let raw = &source.text[query_span.start..query_span.end];
        let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            3
        } else {
            1
        };
        let mut o = query_span.start + quote;
        if quote == 3 && source.text[o..].starts_with('\n') {
            o += 1;
        } else if quote == 3 && source.text[o..].starts_with("\r\n") {
            o += 2;
        }
        o
    };

    let langs = file.language.targets();
    // The query's captures, from compiling it; not known, so not checked, for a
    // trusted rule.
    let captures = match queries {
        Queries::Compile => Some(compile_query(
            &ctx,
            &query_source,
            query_body_offset,
            langs,
        )?),
        Queries::Trust => None,
    };
    let has_capture = |name: &str| {
        captures
            .as_ref()
            .is_none_or(|c| c.iter().any(|c| c == name))
    };
    if !has_capture(&file.report) {
        return Err(ctx.err_at(
            query_span.start,
            format!(
                "query has no capture @{} to report (set `report` to the capture to flag)",
                file.report
            ),
        ));
    }

    let mut constraints = Vec::new();
    for spanned in &file.constraints {
        let spec = spanned.get_ref();
        let at = spanned.span().start;
        if let Some(c) = &spec.capture
            && !has_capture(c)
        {
            return Err(ctx.err_at(
                at,
                format!("constraint names capture @{c}, which the query does not have"),
            ));
        }
        constraints.push(compile_constraint(spec, langs, queries).map_err(|m| ctx.err_at(at, m))?);
    }

    let mut fix_when = Vec::new();
    for spanned in &file.fixes {
        let fix = spanned.get_ref();
        let at = spanned.span().start;
        let mut when = Vec::new();
        for spec in &fix.when {
            if let Some(c) = &spec.capture
                && !has_capture(c)
            {
                return Err(ctx.err_at(
                    at,
                    format!("fix condition names capture @{c}, which the query does not have"),
                ));
            }
            when.push(compile_constraint(spec, langs, queries).map_err(|m| ctx.err_at(at, m))?);
        }
        fix_when.push(when);
        if fix.edits.is_empty() {
            return Err(ctx.err_at(at, format!("fix `{}` has no edits", fix.title)));
        }
        for edit in &fix.edits {
            if !has_capture(&edit.capture) {
                return Err(ctx.err_at(
                    at,
                    format!(
                        "fix edit names capture @{}, which the query does not have",
                        edit.capture
                    ),
                ));
            }
            let template = Template::parse(&edit.text).map_err(|m| ctx.err_at(at, m))?;
            for name in template.captures() {
                if !has_capture(name) {
                    return Err(ctx.err_at(
                        at,
                        format!(
                            "fix template uses {{{{{name}}}}}, which the query does not capture"
                        ),
                    ));
                }
            }
        }
        let go = file.language == crate::engine::language::RuleLanguage::Go;
        if !go && !fix.remove_unused_imports.is_empty() {
            return Err(ctx.err_at(at, "remove-unused-imports is supported for Go rules only"));
        }
        if let Some(bad) = fix.add_imports.iter().find(|i| !go && !i.contains(':')) {
            return Err(ctx.err_at(
                at,
                format!("JavaScript add-imports take `module:name`, got `{bad}`"),
            ));
        }
    }
    let message_template = Template::parse(&file.message)
        .map_err(|m| ctx.err_at(find_key(&source.text, "message"), m))?;
    for name in message_template.captures() {
        if !has_capture(name) {
            return Err(ctx.err_at(
                find_key(&source.text, "message"),
                format!("message uses {{{{{name}}}}}, which the query does not capture"),
            ));
        }
    }
    for (i, bad) in file.bad.iter().enumerate() {
        if let Some(ext) = &bad.ext
            && Language::from_extension(ext).is_none()
        {
            return Err(ctx.err_at(0, format!("bad example {} has unknown ext `{ext}`", i + 1)));
        }
        if let Some(n) = bad.fix
            && n >= file.fixes.len()
        {
            return Err(ctx.err_at(
                0,
                format!(
                    "bad example {} names fix {n} but the rule has {}",
                    i + 1,
                    file.fixes.len()
                ),
            ));
        }
    }

    let aliases = file
        .aliases
        .iter()
        .map(|a| parse_alias(a, file.language))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| ctx.err_at(find_key(&source.text, "aliases"), m))?;

    Ok(Rule {
        id: file.id,
        title: file.title,
        language: file.language,
        severity: file.severity,
        confidence: file.confidence,
        cwe: file.cwe,
        owasp: file.owasp,
        tags: file.tags,
        message: file.message,
        explanation: file.explanation,
        references: file.references,
        aliases,
        origin: source.origin.clone(),
        fixes: file.fixes.into_iter().map(|f| f.into_inner()).collect(),
        bad: file.bad,
        good: file.good,
        query_source,
        report: file.report,
        constraints,
        fix_when,
    })
}

/// Compiles a rule's query for each grammar it targets, with the position of the first
/// error in the file (`query_offset` is where the query's text starts); returns the
/// query's capture names.
fn compile_query(
    ctx: &Ctx,
    query: &str,
    query_offset: usize,
    langs: &[Language],
) -> Result<Vec<String>, RuleError> {
    let mut captures = None;
    for &lang in langs {
        let compiled = Query::new(&lang.grammar(), query).map_err(|e| {
            let line_start = query
                .split_inclusive('\n')
                .take(e.row)
                .map(str::len)
                .sum::<usize>();
            ctx.err_at(
                query_offset + line_start + e.column,
                format!(
                    "query does not compile for {}: {:?} error: {}",
                    lang.name(),
                    e.kind,
                    e.message.trim()
                ),
            )
        })?;
        if let Some(at) = stray_predicate(&compiled, query) {
            return Err(ctx.err_at(query_offset + at, STRAY_PREDICATE.to_string()));
        }
        captures.get_or_insert_with(|| {
            compiled
                .capture_names()
                .iter()
                .map(|s| s.to_string())
                .collect()
        });
    }
    Ok(captures.unwrap_or_default())
}

const STRAY_PREDICATE: &str = "this predicate stands outside the pattern it tests, so tree-sitter ignores it: \
     put pattern and predicate in one pair of parentheses, e.g. `((identifier) @name (#eq? @name \"x\"))`";

/// Where a predicate written after a pattern, outside its parentheses, starts:
/// `(identifier) @n (#eq? @n "x")`. tree-sitter reads it as a pattern of its own with
/// no nodes, and the pattern before it then matches every identifier.
fn stray_predicate(query: &Query, source: &str) -> Option<usize> {
    (0..query.pattern_count()).find_map(|p| {
        let start = query.start_byte_for_pattern(p);
        let text = source.get(start..query.end_byte_for_pattern(p))?;
        let after_paren = text.strip_prefix('(')?.trim_start();
        (after_paren.starts_with('#') || after_paren.starts_with('.')).then_some(start)
    })
}

/// Parses one `aliases` entry, `tool:id`, checking the id has the tool's form and the
/// tool analyses the rule's language.
fn parse_alias(text: &str, language: RuleLanguage) -> Result<Alias, String> {
    let Some((tool, id)) = text.split_once(':') else {
        return Err(format!(
            "alias `{text}` must look like `tool:id`, e.g. `gosec:G401`"
        ));
    };
    let tool = ForeignTool::ALL
        .into_iter()
        .find(|t| t.name() == tool)
        .ok_or_else(|| {
            format!("alias `{text}`: unknown tool `{tool}` (known: gosec, semgrep, eslint)")
        })?;
    let (form, pattern, languages): (&str, &str, &[RuleLanguage]) = match tool {
        ForeignTool::Gosec => (
            "G followed by three digits",
            r"^G[0-9]{3}$",
            &[RuleLanguage::Go],
        ),
        ForeignTool::Eslint => (
            "an ESLint rule name such as `security/detect-child-process`",
            r"^(@[a-z0-9-]+/)?[a-z0-9-]+/[A-Za-z0-9-]+$|^[a-z][a-z0-9-]*$",
            &[
                RuleLanguage::JavaScript,
                RuleLanguage::TypeScript,
                RuleLanguage::Jsx,
            ],
        ),
        ForeignTool::Semgrep => (
            "a semgrep rule id (letters, digits, `.`, `-`, `_`)",
            r"^[A-Za-z0-9_.-]+$",
            &[
                RuleLanguage::JavaScript,
                RuleLanguage::TypeScript,
                RuleLanguage::Jsx,
                RuleLanguage::Go,
            ],
        ),
    };
    if !Regex::new(pattern).expect("static regex").is_match(id) {
        return Err(format!(
            "alias `{text}`: the {} id must be {form}",
            tool.name()
        ));
    }
    if !languages.contains(&language) {
        return Err(format!(
            "alias `{text}`: {} does not analyse {} code",
            tool.name(),
            language.name()
        ));
    }
    Ok(Alias {
        tool,
        id: id.to_string(),
    })
}

/// Byte offset of `key = ` at the start of a line, for error positions.
fn find_key(text: &str, key: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return offset + (line.len() - t.len());
        }
        offset += line.len();
    }
    0
}

fn regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("invalid regex `{pattern}`: {e}"))
}

/// A constraint's sub-query; with [`Queries::Compile`] compiled now for every grammar
/// (kept for analysis), otherwise when first needed.
fn sub_query(source: &str, langs: &[Language], queries: Queries) -> Result<SubQuery, String> {
    if source.len() > QUERY_SIZE_LIMIT {
        return Err("constraint query is larger than 64 KiB".into());
    }
    let sub = SubQuery::new(source.to_string(), langs);
    if queries == Queries::Compile {
        sub.compile_all().map_err(|(lang, e)| {
            format!(
                "constraint query does not compile for {} (line {}, column {}): {}",
                lang.name(),
                e.row + 1,
                e.column + 1,
                e.message.trim()
            )
        })?;
        if langs
            .iter()
            .filter_map(|lang| sub.get(lang))
            .any(|q| stray_predicate(q, source).is_some())
        {
            return Err(format!("constraint query: {STRAY_PREDICATE}"));
        }
    }
    Ok(sub)
}

fn compile_constraint(
    spec: &ConstraintSpec,
    langs: &[Language],
    queries: Queries,
) -> Result<Constraint, String> {
    let needs_capture = spec.constant.is_some()
        || spec.matches.is_some()
        || spec.not_matches.is_some()
        || spec.literal_parts_match.is_some()
        || spec.resolves_to.is_some()
        || spec.has.is_some()
        || spec.not_has.is_some()
        || spec.inside.is_some()
        || spec.not_inside.is_some()
        || spec.min_entropy.is_some()
        || spec.min_length.is_some();
    let file_level = spec.file_imports.is_some()
        || spec.file_not_imports.is_some()
        || spec.file_package_matches.is_some()
        || spec.file_package_not_matches.is_some()
        || spec.file_has.is_some()
        || spec.file_not_has.is_some();
    if spec.binding.is_some() {
        // About a local name, not a capture: only the binding conditions apply.
        let binding_only = spec.capture.is_none()
            && (spec.resolves_to.is_some() || spec.bound.is_some())
            && !has_other_capture_condition(spec);
        if !binding_only {
            return Err("`binding` takes `resolves-to` and/or `bound`, and no `capture`".into());
        }
    } else if spec.bound.is_some() {
        return Err("`bound` needs `binding`".into());
    } else {
        if !needs_capture && !file_level {
            return Err("constraint has no condition".into());
        }
        if needs_capture && spec.capture.is_none() {
            return Err("constraint needs `capture`".into());
        }
    }
    let opt_re = |p: &Option<String>| p.as_deref().map(regex).transpose();
    let opt_q = |p: &Option<String>| {
        p.as_deref()
            .map(|s| sub_query(s, langs, queries))
            .transpose()
    };
    Ok(Constraint {
        capture: spec.capture.clone(),
        constant: spec.constant,
        matches: opt_re(&spec.matches)?,
        not_matches: opt_re(&spec.not_matches)?,
        literal_parts_match: opt_re(&spec.literal_parts_match)?,
        resolves_to: spec.resolves_to.clone(),
        has: opt_q(&spec.has)?,
        not_has: opt_q(&spec.not_has)?,
        depth: spec.depth,
        inside: opt_q(&spec.inside)?,
        not_inside: opt_q(&spec.not_inside)?,
        min_entropy: spec.min_entropy,
        min_length: spec.min_length,
        file_imports: spec.file_imports.clone(),
        file_not_imports: spec.file_not_imports.clone(),
        file_package_matches: opt_re(&spec.file_package_matches)?,
        file_package_not_matches: opt_re(&spec.file_package_not_matches)?,
        file_has: opt_q(&spec.file_has)?,
        file_not_has: opt_q(&spec.file_not_has)?,
        binding: spec.binding.clone(),
        bound: spec.bound,
    })
}

/// Whether a constraint has a capture condition other than `resolves-to`.
fn has_other_capture_condition(spec: &ConstraintSpec) -> bool {
    spec.constant.is_some()
        || spec.matches.is_some()
        || spec.not_matches.is_some()
        || spec.literal_parts_match.is_some()
        || spec.has.is_some()
        || spec.not_has.is_some()
        || spec.inside.is_some()
        || spec.not_inside.is_some()
        || spec.min_entropy.is_some()
        || spec.min_length.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(id: &str, language: &str, aliases: &str) -> Result<Rule, RuleError> {
        parse_rule(&RuleSource {
            origin: RuleOrigin::File("t.toml".into()),
            text: format!(
                "id = \"{id}\"\ntitle = \"t\"\nlanguage = \"{language}\"\nseverity = \"low\"\nconfidence = \"high\"\ncwe = [1]\nowasp = []\naliases = {aliases}\nmessage = \"m\"\nexplanation = \"e\"\nquery = \"(comment) @finding\"\n"
            ),
        })
    }

    #[test]
    fn aliases_are_parsed_and_validated() {
        let rule = load("go/x", "go", r#"["gosec:G401", "semgrep:go.a.b"]"#).unwrap();
        assert_eq!(
            rule.aliases
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>(),
            ["gosec:G401", "semgrep:go.a.b"]
        );
        assert!(rule.aliases[1].named_by(ForeignTool::Semgrep, "b"));
        assert!(!rule.aliases[1].named_by(ForeignTool::Semgrep, "a.b.c"));
        for (language, aliases, reason) in [
            ("go", r#"["G401"]"#, "must look like `tool:id`"),
            ("go", r#"["bandit:B303"]"#, "unknown tool `bandit`"),
            ("go", r#"["gosec:401"]"#, "G followed by three digits"),
            (
                "javascript",
                r#"["gosec:G401"]"#,
                "gosec does not analyse javascript",
            ),
            (
                "go",
                r#"["eslint:security/detect-new-buffer"]"#,
                "eslint does not analyse go",
            ),
        ] {
            let err = load("go/x", language, aliases).unwrap_err();
            assert!(err.message.contains(reason), "{aliases}: {err}");
            assert_eq!(err.line, 8, "points at the aliases key: {err}");
        }
    }

    /// `(identifier) @n (#eq? @n "x")` compiles, but the predicate is a pattern of
    /// its own and the identifier pattern matches every identifier: a rule would
    /// fire everywhere. Rejected, in the query and in constraint sub-queries; the
    /// grouped form is accepted.
    #[test]
    fn predicates_outside_their_pattern_are_rejected() {
        let rule = |query: &str, constraint: &str| {
            parse_rule(&RuleSource {
                origin: RuleOrigin::File("t.toml".into()),
                text: format!(
                    "id = \"js/x\"\ntitle = \"t\"\nlanguage = \"javascript\"\nseverity = \"low\"\nconfidence = \"high\"\ncwe = [1]\nowasp = []\nmessage = \"m\"\nexplanation = \"e\"\nquery = '''\n{query}'''\n{constraint}"
                ),
            })
        };
        let stray = r#"(identifier) @finding (#eq? @finding "x")"#;
        let grouped = r#"((identifier) @finding (#eq? @finding "x"))"#;
        let err = rule(stray, "").unwrap_err();
        assert!(err.message.contains("outside the pattern"), "{err}");
        assert_eq!(err.line, 11, "points at the query's line: {err}");
        assert!(rule(grouped, "").is_ok());
        let in_constraint =
            |q: &str| format!("[[constraints]]\ncapture = \"finding\"\nnot-inside = '{q}'\n");
        let err = rule(grouped, &in_constraint(stray)).unwrap_err();
        assert!(err.message.contains("outside the pattern"), "{err}");
        assert!(rule(grouped, &in_constraint(grouped)).is_ok());
    }

    #[test]
    fn the_vigil_prefix_is_reserved() {
        let err = load("vigil/mine", "go", "[]").unwrap_err();
        assert!(err.message.contains("reserved"), "{err}");
    }
}

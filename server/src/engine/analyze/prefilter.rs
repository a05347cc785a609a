//! Where in a file a rule set's query can match at all, told from literal text.
//!
//! tree-sitter's query cursor visits every node of a tree, which costs about as much
//! as parsing it, whatever the patterns. Yet most patterns name what they look for:
//! `(#eq? @fn "createHash")`, `(#any-of? @m "exec" "execSync")`, a `matches`
//! constraint on a capture. Every match of such a pattern contains one of its
//! literals inside its root node, so one pass of an Aho-Corasick automaton over the
//! text finds every place a match can be, and the query only needs to run over those
//! places (a query restricted to a byte range returns the matches whose root
//! intersects it). A file with no such place is not traversed at all; this is how
//! semgrep and ripgrep-style tools skip most of a code base.
//!
//! A pattern whose capture must resolve to an imported name (`resolves-to =
//! ["child_process.exec"]`) names its literals through the resolution: a qualified
//! name is built outwards from a base (`base.member`, `base[constant]`), and the base
//! is written as the target's first segment (`eval`, `window` in `window[k]`), as a
//! `require(...)`/`import(...)`, or as a local alias the file's imports bind to the
//! target or a prefix of it (`const { exec: run } = ...`, `const cp = require(...)`).
//! The first two are fixed text; aliases are read from the file's facts, which only
//! whole-file analyses use (an edit elsewhere can create an alias, and the editor's
//! incremental analysis only re-matches what changed).
//!
//! Sound by construction: a literal counts only when its capture is in every match of
//! the pattern (quantifier one or one-or-more) and its predicate or constraint must
//! hold for the match to be reported. A pattern with no such literal, or not rooted
//! in one node, makes the whole file the scope. Tests check the findings equal a
//! whole-tree traversal; the scan benchmark checks it on real code.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_syntax::hir::Look;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use tree_sitter::{CaptureQuantifier, Query};

use crate::engine::document::TextRange;

/// Above this many separate places, one traversal of the whole tree is cheaper than
/// descending to each place again.
const MAX_RANGES: usize = 1024;
/// Places closer than this are searched as one range: the cursor walks down to a range
/// once, and the nodes in a short gap cost less than a second descent.
const MERGE_GAP: usize = 256;
/// Text every computed access on a module contains: `require('m')[k]`, `import('m')`.
const MODULE_ACCESS: [&str; 2] = ["require", "import"];

/// What a file's query traversal must cover.
#[derive(Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole tree.
    Everywhere,
    /// Only these ranges (sorted, disjoint; empty: nothing can match).
    Ranges(Vec<TextRange>),
}

/// What a rule's constraint requires of a capture, as far as the prefilter reads it.
pub enum Requirement<'a> {
    /// The capture's text matches this regex.
    Matches { capture: &'a str, regex: &'a str },
    /// The capture's qualified name is one of these.
    ResolvesTo {
        capture: &'a str,
        targets: &'a [String],
    },
}

/// How one pattern's places are found.
#[derive(Debug, Clone, PartialEq)]
enum Filter {
    /// Anywhere: no literal is known.
    Anywhere,
    /// Where one of its literals (in the automaton) occurs.
    Literals,
    /// Where one of its targets' fixed literals occurs (in the automaton), or a local
    /// alias of one of them.
    Targets(Vec<String>),
}

/// The literals of one language's combined query, compiled once with it.
#[derive(Debug)]
pub struct Prefilter {
    /// Every fixed literal of every pattern, matched case-sensitively.
    exact: Option<AhoCorasick>,
    /// Literals from case-insensitive regexes, lowercase, matched ASCII
    /// case-insensitively (Unicode's other spellings are literals of their own).
    folded: Option<AhoCorasick>,
    /// For each literal of `exact`, then of `folded`: the patterns it stands for, and
    /// whether it is a whole identifier wherever it counts.
    literal_patterns: Vec<(Vec<usize>, bool)>,
    exact_count: usize,
    filters: Vec<Filter>,
}

impl Prefilter {
    /// `source` is the text `query` was compiled from; `requirements(p)` lists what
    /// the constraints of pattern `p`'s rule require of its captures.
    pub fn build<'a>(
        query: &Query,
        source: &str,
        requirements: impl Fn(usize) -> Vec<Requirement<'a>>,
    ) -> Prefilter {
        // (literal, whole word) -> patterns
        type Table = Vec<((String, bool), Vec<usize>)>;
        let mut exact: Table = Vec::new();
        let mut folded: Table = Vec::new();
        let add = |list: &mut Table, key: (String, bool), p: usize| match list
            .iter_mut()
            .find(|(k, _)| *k == key)
        {
            Some((_, patterns)) => patterns.push(p),
            None => list.push((key, vec![p])),
        };
        let mut filters = Vec::with_capacity(query.pattern_count());
        for p in 0..query.pattern_count() {
            let requirements = requirements(p);
            let filter = match required_literals(query, source, p, &requirements) {
                Some(set) => {
                    let list = if set.case_insensitive {
                        &mut folded
                    } else {
                        &mut exact
                    };
                    for lit in set.texts {
                        add(list, (lit, set.whole_word), p);
                    }
                    Filter::Literals
                }
                None => match required_targets(query, p, &requirements) {
                    Some(targets) => {
                        // Each is a whole identifier or keyword where it counts.
                        for lit in target_literals(&targets) {
                            add(&mut exact, (lit, true), p);
                        }
                        Filter::Targets(targets)
                    }
                    None => Filter::Anywhere,
                },
            };
            filters.push(filter);
        }
        let automaton = |list: &Table, case_insensitive: bool| {
            (!list.is_empty()).then(|| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(case_insensitive)
                    .match_kind(MatchKind::Standard)
                    .build(list.iter().map(|((l, _), _)| l))
                    .expect("literals of bounded size build an automaton")
            })
        };
        Prefilter {
            exact: automaton(&exact, false),
            folded: automaton(&folded, true),
            exact_count: exact.len(),
            literal_patterns: exact
                .into_iter()
                .chain(folded)
                .map(|((_, whole_word), p)| (p, whole_word))
                .collect(),
            filters,
        }
    }

    /// The patterns that can match anywhere.
    pub fn unfiltered_patterns(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.filters.len()).filter(|&p| self.filters[p] == Filter::Anywhere)
    }

    /// Where in `text` the enabled patterns can match. `bindings` gives the file's
    /// local aliases (name -> what it refers to, as in the file's facts) when a
    /// pattern needs them; None makes such patterns match anywhere.
    pub fn scope<'b>(
        &self,
        text: &[u8],
        enabled: impl Fn(usize) -> bool,
        bindings: Option<&dyn Fn() -> &'b HashMap<String, String>>,
    ) -> Scope {
        let mut targets: Vec<&str> = Vec::new();
        for (p, filter) in self.filters.iter().enumerate() {
            match filter {
                _ if !enabled(p) => {}
                Filter::Anywhere => return Scope::Everywhere,
                Filter::Targets(_) if bindings.is_none() => return Scope::Everywhere,
                Filter::Targets(ts) => targets.extend(ts.iter().map(String::as_str)),
                Filter::Literals => {}
            }
        }
        let mut hits: Vec<TextRange> = Vec::new();
        let searches = [(&self.exact, 0), (&self.folded, self.exact_count)];
        for (automaton, offset) in searches {
            let Some(automaton) = automaton else { continue };
            // Overlapping search: "get" inside "target" must be found even when
            // "target" is a literal too.
            for hit in automaton.find_overlapping_iter(text) {
                let (patterns, whole_word) =
                    &self.literal_patterns[offset + hit.pattern().as_usize()];
                if patterns.iter().any(|&p| enabled(p))
                    && (!whole_word || stands_alone(text, hit.start(), hit.end()))
                {
                    hits.push(TextRange::new(hit.start(), hit.end()));
                    if hits.len() > 16 * MAX_RANGES {
                        return Scope::Everywhere;
                    }
                }
            }
        }
        // Aliases exist only where something is imported, which the fixed literals
        // (`require`, `import`) find: without a hit, the file's facts are not needed.
        if let Some(bindings) = bindings.filter(|_| !targets.is_empty() && !hits.is_empty()) {
            for (name, bound) in bindings() {
                let aliases_a_target = targets.iter().any(|t| {
                    t.strip_prefix(bound.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                });
                if aliases_a_target && !name.is_empty() {
                    for start in memchr::memmem::find_iter(text, name.as_bytes()) {
                        let end = start + name.len();
                        if stands_alone(text, start, end) {
                            hits.push(TextRange::new(start, end));
                        }
                    }
                }
            }
        }
        hits.sort_by_key(|r| r.start);
        let mut ranges: Vec<TextRange> = Vec::new();
        for hit in hits {
            let count = ranges.len();
            match ranges.last_mut() {
                Some(last) if hit.start <= last.end + MERGE_GAP => last.end = last.end.max(hit.end),
                _ if count == MAX_RANGES => return Scope::Everywhere,
                _ => ranges.push(hit),
            }
        }
        Scope::Ranges(ranges)
    }
}

/// Whether `text[start..end]` can be a token of its own, not part of a longer
/// identifier. An identifier never has an identifier character right after it (the
/// lexer would have taken it in). Before it, a run of identifier characters joins it
/// only where the lexer starts a token at the run: after whitespace or punctuation
/// that never belongs to a token with letters, and not at a digit. Elsewhere a token
/// begun before may end inside the run: `0Function` is the number `0` then the
/// identifier `Function` to the parser, which recovers from the error; `\aBuffer` an
/// escape sequence then `Buffer`; Go's `'ghttp.Server` a broken rune literal then
/// `http`; `/x/gFunction` a regex with flag `g`. Bytes outside ASCII may be Unicode
/// spaces (JavaScript allows U+00A0 between tokens), so only ASCII word characters
/// rule a place out, and only those of every language: `$` is one in JavaScript, but
/// in Go it is a stray byte that error recovery skips, and `s$http.Server{` still
/// holds `http.Server`. In doubt a place counts: the scope may only be too wide.
pub(crate) fn stands_alone(text: &[u8], start: usize, end: usize) -> bool {
    const LOOK_BACK: usize = 256;
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    if text.get(end).is_some_and(|&b| word(b)) {
        return false;
    }
    let floor = start.saturating_sub(LOOK_BACK);
    let mut run_start = start;
    while run_start > floor && word(text[run_start - 1]) {
        run_start -= 1;
    }
    let starts_a_token = |at: usize| {
        at == 0 || {
            let before = text[at - 1];
            before.is_ascii_whitespace() || b"()[]{},;.=+-*<>!&|:?%^~".contains(&before)
        }
    };
    let run_is_identifier = run_start < start
        && (run_start > floor || floor == 0)
        && !text[run_start].is_ascii_digit()
        && starts_a_token(run_start);
    !run_is_identifier
}

/// A set of literals one of which occurs in every match.
struct Literals {
    texts: Vec<String>,
    /// Lowercase, to be matched ASCII case-insensitively.
    case_insensitive: bool,
    /// Each is the whole text of an identifier token.
    whole_word: bool,
}

/// Node kinds that are single identifier tokens.
const IDENTIFIER_KINDS: [&str; 9] = [
    "identifier",
    "property_identifier",
    "shorthand_property_identifier",
    "shorthand_property_identifier_pattern",
    "private_property_identifier",
    "statement_identifier",
    "field_identifier",
    "type_identifier",
    "package_identifier",
];

/// The node kind `@capture` is written on in a pattern's text when it is a plain
/// leaf step, `(kind) @capture`, at every place it is captured; else None.
fn leaf_kind<'t>(pattern: &'t str, capture: &str) -> Option<&'t str> {
    let mut kind = None;
    let mut from = 0;
    while let Some(at) = pattern[from..]
        .find(&format!("@{capture}"))
        .map(|i| from + i)
    {
        from = at + 1 + capture.len();
        if pattern[from..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            continue; // a longer capture name
        }
        let before = pattern[..at].trim_end().strip_suffix(')')?;
        let open = before.rfind('(')?;
        let word = before[open + 1..].trim();
        if word.is_empty() || !word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        if kind.is_some_and(|k| k != word) {
            return None;
        }
        kind = Some(word);
    }
    kind
}

/// The targets one of which an always-present capture of pattern `p` must resolve to.
fn required_targets(
    query: &Query,
    p: usize,
    requirements: &[Requirement<'_>],
) -> Option<Vec<String>> {
    if !query.is_pattern_rooted(p) {
        return None;
    }
    requirements
        .iter()
        .filter_map(|r| match r {
            Requirement::ResolvesTo { capture, targets }
                if always_captured(query, p, capture) && !targets.is_empty() =>
            {
                Some(targets.to_vec())
            }
            _ => None,
        })
        .min_by_key(Vec::len)
}

/// The fixed text of a capture resolving to one of `targets`. A qualified name is
/// built from its innermost base outwards (`base.member`, `base[constant]`), and that
/// base is written as the target's first dot-separated segment (`eval`, `window` in
/// `window[k]`), as a local alias (read from the facts), or as a `require(...)` /
/// `import(...)` of the module. So each target's first segment, with `require` and
/// `import`, covers every spelling but aliases.
fn target_literals(targets: &[String]) -> Vec<String> {
    let mut out: Vec<String> = MODULE_ACCESS.iter().map(|s| s.to_string()).collect();
    out.extend(
        targets
            .iter()
            .map(|t| t.split('.').next().unwrap_or(t).to_string()),
    );
    out.retain(|l| !l.is_empty());
    out.sort();
    out.dedup();
    out
}

fn always_captured(query: &Query, p: usize, name: &str) -> bool {
    query.capture_index_for_name(name).is_some_and(|i| {
        matches!(
            query.capture_quantifiers(p)[i as usize],
            CaptureQuantifier::One | CaptureQuantifier::OneOrMore
        )
    })
}

/// The literals one of which every match of pattern `p` contains; None if there is no
/// such set.
fn required_literals(
    query: &Query,
    source: &str,
    p: usize,
    requirements: &[Requirement<'_>],
) -> Option<Literals> {
    if !query.is_pattern_rooted(p) {
        return None;
    }
    let text = source.get(query.start_byte_for_pattern(p)..query.end_byte_for_pattern(p))?;
    // (literals, each is the capture's whole text)
    let mut candidates: Vec<(Vec<String>, bool)> = Vec::new();
    for predicate in predicates(text) {
        let Some(capture) = predicate.args.first().and_then(|a| a.strip_prefix('@')) else {
            continue;
        };
        if !always_captured(query, p, capture) {
            continue;
        }
        // Arguments after the capture: strings (captures compared to captures name
        // no literal).
        let strings: Option<Vec<&str>> = predicate.args[1..]
            .iter()
            .map(|a| a.strip_prefix('"'))
            .collect();
        let Some(strings) = strings.filter(|s| !s.is_empty()) else {
            continue;
        };
        let set = match predicate.name.as_str() {
            "eq?" | "any-eq?" | "any-of?" => {
                Some((strings.iter().map(|s| s.to_string()).collect(), true))
            }
            "match?" | "any-match?" if strings.len() == 1 => regex_literals(strings[0]),
            _ => None,
        };
        candidates.extend(set.map(|(set, whole)| (set, whole && is_identifier(text, capture))));
    }
    for r in requirements {
        if let Requirement::Matches { capture, regex } = r
            && always_captured(query, p, capture)
        {
            candidates.extend(
                regex_literals(regex)
                    .map(|(set, whole)| (set, whole && is_identifier(text, capture))),
            );
        }
    }
    candidates
        .into_iter()
        .filter(|(set, _)| !set.is_empty() && set.iter().all(|s| !s.is_empty()))
        .map(|(texts, whole_word)| {
            // A case-insensitive regex spells each word every way: one lowercase
            // spelling, matched case-insensitively, stands for them all.
            let mut lower: Vec<String> = texts.iter().map(|s| s.to_ascii_lowercase()).collect();
            lower.sort();
            lower.dedup();
            if lower.len() < texts.len() {
                Literals {
                    texts: lower,
                    case_insensitive: true,
                    whole_word,
                }
            } else {
                let mut texts = texts;
                texts.sort();
                texts.dedup();
                Literals {
                    texts,
                    case_insensitive: false,
                    whole_word,
                }
            }
        })
        // The most selective set: whole words over substrings, then the one whose
        // shortest literal is longest.
        .max_by_key(|set| {
            (
                set.whole_word,
                set.texts.iter().map(String::len).min().unwrap_or(0),
                usize::MAX - set.texts.len(),
            )
        })
}

fn is_identifier(pattern: &str, capture: &str) -> bool {
    read_pattern(pattern).1.is_some_and(|steps| {
        leaf_kind(&steps, capture).is_some_and(|k| IDENTIFIER_KINDS.contains(&k))
    })
}

/// Strings one of which starts every match of `regex`, and whether each is then the
/// whole text matched (the regex is anchored at both ends, `^(a|b)$`); None if
/// unbounded.
fn regex_literals(regex: &str) -> Option<(Vec<String>, bool)> {
    let hir = regex_syntax::parse(regex).ok()?;
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        // Case-insensitive words expand into every spelling (folded back by the
        // caller).
        .limit_total(100_000)
        .extract(&hir);
    let props = hir.properties();
    let anchored = props.look_set_prefix().contains(Look::Start)
        && props.look_set_suffix().contains(Look::End);
    let whole = anchored && seq.is_exact();
    let texts = seq
        .literals()?
        .iter()
        .map(|l| String::from_utf8(l.as_bytes().to_vec()).ok())
        .collect::<Option<Vec<String>>>()?;
    Some((texts, whole))
}

/// A predicate of a pattern: `(#name? args...)`, strings unescaped and given with
/// their opening quote, captures with their `@`.
#[derive(Debug, PartialEq)]
struct Predicate {
    name: String,
    args: Vec<String>,
}

/// The predicates in one pattern's source text, in order.
fn predicates(text: &str) -> Vec<Predicate> {
    read_pattern(text).0
}

/// Reads one pattern's source text as far as the prefilter needs: its predicates, in
/// order, and the text with predicates, strings and comments blanked out (None if a
/// predicate could not be read), where a capture's `@name` then only appears on the
/// steps it captures.
fn read_pattern(text: &str) -> (Vec<Predicate>, Option<String>) {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut steps = bytes.to_vec();
    let mut blank = |from: usize, to: usize| steps[from..to].fill(b' ');
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i).map_or(bytes.len(), |(end, _)| end);
                // The quotes stay: a capture on an anonymous node (`"(" @p`) must not
                // read as one on the step before it.
                blank(i + 1, end.saturating_sub(1).max(i + 1));
                i = end;
            }
            b';' => {
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                blank(start, i);
            }
            b'(' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                if bytes.get(j) == Some(&b'#') {
                    match predicate_at(bytes, j + 1) {
                        Some((predicate, end)) => {
                            out.push(predicate);
                            blank(i, end);
                            i = end;
                        }
                        None => return (out, None),
                    }
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    (out, String::from_utf8(steps).ok())
}

/// Reads `name? args...)` from `i`; returns the predicate and the index past `)`.
fn predicate_at(bytes: &[u8], mut i: usize) -> Option<(Predicate, usize)> {
    let word_end = |mut k: usize| {
        while k < bytes.len() && !bytes[k].is_ascii_whitespace() && !matches!(bytes[k], b')' | b'"')
        {
            k += 1;
        }
        k
    };
    let end = word_end(i);
    let name = String::from_utf8(bytes[i..end].to_vec()).ok()?;
    i = end;
    let mut args = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i)? {
            b')' => return Some((Predicate { name, args }, i + 1)),
            b'"' => {
                let (end, value) = string_end(bytes, i)?;
                args.push(format!("\"{value}"));
                i = end;
            }
            _ => {
                let end = word_end(i);
                args.push(String::from_utf8(bytes[i..end].to_vec()).ok()?);
                i = end;
            }
        }
    }
}

/// The string literal starting at `i` (a `"`): the index past it and its value, with
/// tree-sitter's escapes (`\n`, `\r`, `\t`, `\0`, else the escaped character).
fn string_end(bytes: &[u8], mut i: usize) -> Option<(usize, String)> {
    let mut value = Vec::new();
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let escaped = *bytes.get(i + 1)?;
                value.push(match escaped {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'0' => b'\0',
                    other => other,
                });
                i += 2;
            }
            b'"' => return Some((i + 1, String::from_utf8(value).ok()?)),
            other => {
                value.push(other);
                i += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Language;

    fn literals_of(query: &str, constraints: &[(&str, &str)]) -> Vec<Option<Vec<String>>> {
        let q = Query::new(&Language::JavaScript.grammar(), query).unwrap();
        let cs: Vec<Requirement> = constraints
            .iter()
            .map(|(capture, regex)| Requirement::Matches { capture, regex })
            .collect();
        (0..q.pattern_count())
            .map(|p| required_literals(&q, query, p, &cs).map(|l| l.texts))
            .collect()
    }

    fn set(items: &[&str]) -> Option<Vec<String>> {
        Some(items.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn predicates_on_certain_captures_give_their_literals() {
        let query = r#"
            ((call_expression function: (identifier) @f) (#eq? @f "eval"))
            ((call_expression function: (member_expression property: (property_identifier) @m))
              (#any-of? @m "execSync" "exec"))
            ((string) @s (#match? @s "^['\"](md5|sha1)['\"]$"))
        "#;
        assert_eq!(
            literals_of(query, &[]),
            vec![
                set(&["eval"]),
                set(&["exec", "execSync"]),
                // Every quote pair the class allows, spelled out.
                set(&[
                    "\"md5\"", "\"md5'", "\"sha1\"", "\"sha1'", "'md5\"", "'md5'", "'sha1\"",
                    "'sha1'"
                ])
            ]
        );
    }

    #[test]
    fn optional_captures_negations_and_unbounded_regexes_give_none() {
        let query = r#"
            ((call_expression function: (identifier)? @f) (#eq? @f "eval"))
            ((identifier) @f (#not-eq? @f "eval"))
            ((identifier) @f (#match? @f "^[a-z]+$"))
            ((identifier) @a (identifier) @b (#eq? @a @b))
            [(identifier) (property_identifier)] @x
        "#;
        assert_eq!(literals_of(query, &[]), vec![None, None, None, None, None]);
    }

    #[test]
    fn constraint_regexes_count_and_the_most_selective_set_wins() {
        let query = r#"
            ((variable_declarator name: (identifier) @name value: (string) @v)
              (#match? @v "^."))
        "#;
        // (?i) words fold back to their lowercase spellings (Unicode's: the long s, ſ,
        // is an s), and the longer set wins over "x".
        let got = literals_of(query, &[("name", "(?i)(passw(or)?d|secret)$"), ("v", "x")]);
        let mut want = Vec::new();
        for s1 in ["s", "ſ"] {
            for s2 in ["s", "ſ"] {
                want.push(format!("pa{s1}{s2}wd"));
                want.push(format!("pa{s1}{s2}word"));
            }
            want.push(format!("{s1}ecret"));
        }
        want.sort();
        assert_eq!(got, vec![Some(want)]);
        // A constraint about a capture the pattern may lack says nothing.
        assert_eq!(literals_of(query, &[("other", "secret")]), vec![None]);
    }

    #[test]
    fn comments_and_strings_do_not_hide_or_fake_predicates() {
        let text = r#"((identifier) @f ; (#eq? @f "no")
            (#eq? @f "a\"b(#eq? @f \"c\")"))"#;
        assert_eq!(
            predicates(text),
            vec![Predicate {
                name: "eq?".into(),
                args: vec!["@f".into(), "\"a\"b(#eq? @f \"c\")".into()],
            }]
        );
    }

    #[test]
    fn scope_covers_each_place_a_literal_occurs() {
        let query = r#"((call_expression function: (identifier) @f) (#eq? @f "eval"))"#;
        let q = Query::new(&Language::JavaScript.grammar(), query).unwrap();
        let pf = Prefilter::build(&q, query, |_| Vec::new());
        let scope = |text: &[u8], on: bool| pf.scope(text, |_| on, None);
        let far = " ".repeat(MERGE_GAP + 1);
        // Literals of `#eq?` are case-sensitive.
        let text = format!("x(1); eval(2); EVAL(2);{far}eval(3)");
        let first = text.find("eval").unwrap();
        let second = text.rfind("eval").unwrap();
        assert_eq!(
            scope(text.as_bytes(), true),
            Scope::Ranges(vec![
                TextRange::new(first, first + 4),
                TextRange::new(second, second + 4)
            ])
        );
        assert_eq!(scope(b"x(1)", true), Scope::Ranges(vec![]));
        // A disabled pattern's literals are not looked for.
        assert_eq!(scope(text.as_bytes(), false), Scope::Ranges(vec![]));
        let many = "eval();".to_string() + &format!("{far}eval();").repeat(MAX_RANGES);
        assert_eq!(scope(many.as_bytes(), true), Scope::Everywhere);
    }

    #[test]
    fn whole_identifiers_are_told_from_parts_of_words() {
        // Anchored, exact: the capture's whole text.
        assert!(regex_literals("^(get|all)$").unwrap().1);
        assert!(!regex_literals("^get|all$").unwrap().1);
        assert!(!regex_literals("^get").unwrap().1);
        assert_eq!(
            leaf_kind("(call function: (identifier) @f) @fn", "f"),
            Some("identifier")
        );
        assert_eq!(leaf_kind("[(identifier) (string)] @f", "f"), None);
        assert_eq!(leaf_kind("(a (identifier) @f) (b (string) @f)", "f"), None);
        assert!(is_identifier(r#"((identifier) @f (#eq? @f "x"))"#, "f"));
        assert!(!is_identifier(r#"((identifier) @f "x" @f)"#, "f"));
        assert!(!is_identifier(r#"(call (identifier) "(" @p)"#, "p"));
        let query = r#"
            ((call_expression function: (member_expression property: (property_identifier) @m))
              (#any-of? @m "get" "all"))
        "#;
        let q = Query::new(&Language::JavaScript.grammar(), query).unwrap();
        let pf = Prefilter::build(&q, query, |_| Vec::new());
        let text = "install(); db.all(q); x.getter; a.get\u{a0}(b)";
        let Scope::Ranges(ranges) = pf.scope(text.as_bytes(), |_| true, None) else {
            panic!("expected ranges");
        };
        let at = |s: &str| text.find(s).unwrap();
        // Merged into one range, from `all` to `get`, skipping `install` and `getter`.
        assert_eq!(
            ranges,
            vec![TextRange::new(
                at(".all") + 1,
                text.rfind("get").unwrap() + 3
            )]
        );
    }

    #[test]
    fn targets_are_found_by_their_segments_and_the_files_aliases() {
        let query = "(call_expression function: (_) @callee) @call";
        let q = Query::new(&Language::JavaScript.grammar(), query).unwrap();
        let targets = vec!["child_process.exec".to_string()];
        let pf = Prefilter::build(&q, query, |_| {
            vec![Requirement::ResolvesTo {
                capture: "callee",
                targets: &targets,
            }]
        });
        let far = " ".repeat(MERGE_GAP + 1);
        let text =
            format!("const {{ exec: run }} = require('child_process');{far}run(x);{far}f(y);");
        let mut bindings = HashMap::new();
        bindings.insert("run".to_string(), "child_process.exec".to_string());
        bindings.insert("f".to_string(), "fs.readFile".to_string());
        let get = || &bindings;
        let Scope::Ranges(ranges) = pf.scope(text.as_bytes(), |_| true, Some(&get)) else {
            panic!("expected ranges");
        };
        let call = text.find("run(x)").unwrap();
        assert_eq!(ranges.len(), 2, "{ranges:?}");
        assert_eq!(ranges[1], TextRange::new(call, call + 3));
        // Without the file's aliases (incremental analysis) such a pattern matches anywhere.
        assert_eq!(pf.scope(text.as_bytes(), |_| true, None), Scope::Everywhere);
        // No import, no alias: the facts are not asked for.
        let never = || -> &HashMap<String, String> { panic!("facts read") };
        assert_eq!(
            pf.scope(b"f(y);", |_| true, Some(&never)),
            Scope::Ranges(vec![])
        );
    }

    /// Every call whose callee resolves to a target, in each way a name can be
    /// written, lies in a range, with far more than [`MERGE_GAP`] between the
    /// import and the call.
    #[test]
    fn every_spelling_of_a_target_is_in_scope() {
        use crate::engine::Document;
        use crate::engine::semantics::{Evaluator, FileFacts};
        let targets: Vec<String> = [
            "child_process.exec",
            "eval",
            "window.eval",
            "crypto.createHash",
        ]
        .map(String::from)
        .to_vec();
        let query = "(call_expression function: (_) @callee) @call";
        let q = Query::new(&Language::JavaScript.grammar(), query).unwrap();
        let pf = Prefilter::build(&q, query, |_| {
            vec![Requirement::ResolvesTo {
                capture: "callee",
                targets: &targets,
            }]
        });
        let far = format!("\n{}\n", "//".repeat(MERGE_GAP));
        let uses = [
            "const cp = require('node:child_process');",
            "const { exec: run } = require('child_process');",
            "import { createHash as h } from 'crypto';",
            "import * as c from 'crypto';",
            "cp.exec(a);",
            "run(b);",
            "require('child_process').exec(d);",
            "require('child_process')['exec'](e);",
            "const k = 'ex' + 'ec'; cp[k](f);",
            "eval(g);",
            "window.eval(i);",
            "const w = 'ev' + 'al'; window[w](j);",
            "h('md5');",
            "c.createHash('md5');",
        ];
        let text = uses.join(&far);
        let doc = Document::new(Language::JavaScript, text.clone());
        let facts = FileFacts::compute(&doc);
        let ev = Evaluator::new(&doc, &facts);
        let get = || facts.bindings();
        let Scope::Ranges(ranges) = pf.scope(text.as_bytes(), |_| true, Some(&get)) else {
            panic!("expected ranges");
        };
        let mut resolved = 0;
        let mut stack = vec![doc.tree().root_node()];
        while let Some(node) = stack.pop() {
            let mut c = node.walk();
            stack.extend(node.children(&mut c));
            let Some(callee) = node
                .child_by_field_name("function")
                .filter(|_| node.kind() == "call_expression")
            else {
                continue;
            };
            if ev
                .qualified_name(callee)
                .is_some_and(|q| targets.contains(&q))
            {
                resolved += 1;
                let r = TextRange::from(node.byte_range());
                assert!(
                    ranges.iter().any(|x| x.start < r.end && r.start < x.end),
                    "{} is out of scope {ranges:?}",
                    doc.slice(r)
                );
            }
        }
        assert_eq!(resolved, 10, "every use but the imports resolves");
    }

    /// The scoped analysis of `text` finds what traversing the whole tree finds,
    /// `rule` among it.
    fn scope_finds_all_of(language: Language, text: &str, rule: &str) {
        let doc = crate::engine::Document::new(language, text);
        let rules = crate::engine::RuleSet::builtin();
        let filter = crate::engine::RuleFilter::default();
        let ids = |a: crate::engine::Analysis| -> Vec<(String, TextRange)> {
            a.findings
                .into_iter()
                .map(|f| (f.rule.id.clone(), f.range))
                .collect()
        };
        let scoped = ids(crate::engine::analyze(&doc, rules, &filter));
        let whole = ids(crate::engine::analyze_exhaustive(&doc, rules, &filter));
        assert!(whole.iter().any(|(id, _)| id == rule), "{whole:?}");
        assert_eq!(scoped, whole);
    }

    #[test]
    fn a_stray_dollar_in_go_does_not_hide_a_literal() {
        // `$` is no identifier character in Go: the parser skips it and still sees
        // `http.Server`, so the literal `http` after it must be in scope.
        let text = "package main\n\nimport \"net/http\"\n\nfunc main() {\n\ts$http.Server{Addr: \":8080\"}\n}\n";
        scope_finds_all_of(Language::Go, text, "go/http-server-no-read-header-timeout");
    }

    #[test]
    fn a_number_before_a_name_does_not_hide_it() {
        // The parser reads `0Function` as `0` then `Function`.
        let text = "const g = 0Function('a', body);\n";
        scope_finds_all_of(Language::JavaScript, text, "js/code-injection");
    }

    #[test]
    fn an_escape_before_a_name_does_not_hide_it() {
        // Error recovery reads `\a` as an escape sequence, then `Buffer`. Found by
        // tests/properties.rs.
        let text = "Buff\\aBuffer(x)uffer');\n";
        scope_finds_all_of(Language::JavaScript, text, "js/new-buffer");
    }

    #[test]
    fn a_name_inside_an_identifier_is_out_of_scope() {
        assert!(!stands_alone(b"xFunction(", 1, 9));
        assert!(!stands_alone(b"Functions(", 0, 8));
        assert!(stands_alone(b"0Function(", 1, 9));
        assert!(stands_alone(b"0x1Function(", 3, 11));
        assert!(stands_alone(b"a.Function(", 2, 10));
        assert!(stands_alone(b"s$http.", 2, 6));
        assert!(stands_alone(b"\\aBuffer(", 2, 8));
        assert!(stands_alone(b"('ghttp.", 3, 7));
        assert!(stands_alone(b"/x/gFunction(", 4, 12));
        assert!(!stands_alone(b" xFunction(", 2, 10));
        assert!(!stands_alone(b"a.xFunction(", 3, 11));
    }

    #[test]
    fn a_broken_rune_before_a_name_does_not_hide_it() {
        // `'g` is a rune literal cut short: the parser still reads `http.Server{`.
        // Found by tests/properties.rs.
        let text = "package main\n\nimport \"net/http\"\n\nfunc main() {\n\tsrv := &\nspawn('ghttp.Server{\n\t\tAddr: \":8080\",\n\t}\n\t_ = srv\n}\n";
        scope_finds_all_of(Language::Go, text, "go/http-server-no-read-header-timeout");
    }
}

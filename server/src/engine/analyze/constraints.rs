//! A match's constraints and fix conditions, evaluated against the document.

use std::collections::HashMap;

use tree_sitter::{Node, QueryCursor, StreamingIterator};

use super::{Finding, MATCH_LIMIT};
use crate::engine::fix::{self, Fix};
use crate::engine::rule::{Constraint, Rule, SubQuery};
use crate::engine::semantics::{Check, Evaluator, shannon_entropy};
use crate::engine::walk::ancestors;

/// The fixes of `rule` whose conditions hold for this match and that can be built.
pub(super) fn offered_fixes(
    rule: &Rule,
    captures: &HashMap<&str, Node>,
    ev: &Evaluator,
) -> Vec<Fix> {
    rule.fixes
        .iter()
        .enumerate()
        .filter(|(i, _)| rule.fix_when[*i].iter().all(|c| holds(c, captures, ev)))
        .filter_map(|(i, spec)| fix::build_fix(i, spec, captures, ev))
        .collect()
}

/// Adds the fixes another match of the same rule and range offers, keeping the
/// rule's fix order and each fix once.
pub(super) fn merge_fixes(
    finding: &mut Finding,
    rule: &Rule,
    captures: &HashMap<&str, Node>,
    ev: &Evaluator,
) {
    for fix in offered_fixes(rule, captures, ev) {
        if !finding.fixes.iter().any(|f| f.index == fix.index) {
            finding.fixes.push(fix);
        }
    }
    finding.fixes.sort_by_key(|f| f.index);
}

pub(super) fn holds(c: &Constraint, captures: &HashMap<&str, Node>, ev: &Evaluator) -> bool {
    if let Some(mods) = &c.file_imports
        && !mods.iter().any(|m| ev.imports_module(m))
    {
        return false;
    }
    if let Some(mods) = &c.file_not_imports
        && mods.iter().any(|m| ev.imports_module(m))
    {
        return false;
    }
    if let Some(re) = &c.file_package_matches
        && !ev.packages().iter().any(|p| re.is_match(p))
    {
        return false;
    }
    if let Some(re) = &c.file_package_not_matches
        && ev.packages().iter().any(|p| re.is_match(p))
    {
        return false;
    }
    if let Some(q) = &c.file_has
        && !file_matches(q, ev)
    {
        return false;
    }
    if let Some(q) = &c.file_not_has
        && file_matches(q, ev)
    {
        return false;
    }
    if let Some(name) = &c.binding {
        let bound_to = ev.binding(name.as_str());
        if c.bound.is_some_and(|want| bound_to.is_some() != want) {
            return false;
        }
        if let Some(targets) = &c.resolves_to
            && !bound_to.is_some_and(|b| targets.iter().any(|t| t == b))
        {
            return false;
        }
        return true;
    }
    let Some(name) = &c.capture else { return true };
    // An optional capture that did not participate: conditions about it do not apply.
    let Some(&node) = captures.get(name.as_str()) else {
        return true;
    };
    let text = &ev.doc.text()[node.byte_range()];
    if let Some(want) = c.constant
        && ev.is_constant(node) != want
    {
        return false;
    }
    if let Some(re) = &c.matches
        && !re.is_match(text)
    {
        return false;
    }
    if let Some(re) = &c.not_matches
        && re.is_match(text)
    {
        return false;
    }
    if let Some(re) = &c.literal_parts_match {
        match ev.literal_parts(node).or_else(|| ev.constant_value(node)) {
            Some(parts) if re.is_match(&parts) => {}
            _ => return false,
        }
    }
    if let Some(targets) = &c.resolves_to {
        match ev.qualified_name(node) {
            Some(q) if targets.contains(&q) => {}
            _ => return false,
        }
    }
    if c.min_entropy.is_some() || c.min_length.is_some() {
        let Some(value) = ev.constant_value(node) else {
            return false;
        };
        if c.min_length.is_some_and(|n| value.chars().count() < n) {
            return false;
        }
        if c.min_entropy.is_some_and(|e| shannon_entropy(&value) < e) {
            return false;
        }
    }
    let lang = ev.doc.language();
    if let Some(q) = c.has.as_ref().and_then(|m| m.get(&lang))
        && !subtree_matches(q, node, c.depth, ev)
    {
        return false;
    }
    if let Some(q) = c.not_has.as_ref().and_then(|m| m.get(&lang))
        && subtree_matches(q, node, c.depth, ev)
    {
        return false;
    }
    if let Some(q) = &c.inside
        && !ancestor_matches(q, node, ev)
    {
        return false;
    }
    if let Some(q) = &c.not_inside
        && ancestor_matches(q, node, ev)
    {
        return false;
    }
    true
}

fn subtree_matches(q: &tree_sitter::Query, node: Node, depth: Option<u32>, ev: &Evaluator) -> bool {
    let mut cursor = QueryCursor::new();
    cursor.set_match_limit(MATCH_LIMIT);
    cursor.set_max_start_depth(depth);
    let mut it = cursor.matches(q, node, ev.doc.text().as_bytes());
    it.next().is_some()
}

/// Whether some node of the file matches `sub`; the answer depends on the whole
/// file. False when `sub` does not apply to the file's grammar.
fn file_matches(sub: &SubQuery, ev: &Evaluator) -> bool {
    let Some(q) = sub.get(&ev.doc.language()) else {
        return false;
    };
    ev.depends_on_file();
    let root = ev.doc.tree().root_node();
    ev.query_matches_at((Check::Within, sub.memo_key()), root, || {
        subtree_matches(q, root, None, ev)
    })
}

/// Whether some ancestor of `node` is the outermost node of a match of `q`. The
/// answer depends on which ancestors there are and on the content of each one a
/// pattern can start at: the evaluation notes both.
fn ancestor_matches(sub: &SubQuery, node: Node, ev: &Evaluator) -> bool {
    let Some(q) = sub.get(&ev.doc.language()) else {
        return false;
    };
    let mut cursor = QueryCursor::new();
    cursor.set_match_limit(MATCH_LIMIT);
    let root = ev.doc.tree().root_node();
    let above = ancestors(root, node);
    // Bounded: deep nesting cannot make this quadratic. Beyond the bound the answer
    // depends on how deep the node is: on the file.
    if above.len() > MAX_ANCESTORS {
        ev.depends_on_file();
    } else {
        ev.depends_on_ancestors(node, &above);
    }
    for a in above.into_iter().take(MAX_ANCESTORS) {
        // A pattern rooted at another kind cannot match here: the root's thousands of
        // children are not walked for nothing, and the content is not read.
        if !sub.may_start_at(&ev.doc.language(), a.kind()) {
            continue;
        }
        ev.depends_on(a.byte_range().into());
        let found = ev.query_matches_at((Check::At, sub.memo_key()), a, || {
            cursor.set_max_start_depth(Some(0));
            let mut it = cursor.matches(q, a, ev.doc.text().as_bytes());
            it.next().is_some()
        });
        if found {
            return true;
        }
    }
    false
}

/// How many ancestors `inside` and `not-inside` look at.
const MAX_ANCESTORS: usize = 256;

#[cfg(test)]
mod tests {
    use tree_sitter::{QueryCursor, StreamingIterator};

    use crate::engine::walk::{Step, preorder};
    use crate::engine::{Document, Language, RuleSet};

    /// Skipping an ancestor whose kind no pattern starts at never skips a match: on
    /// every built-in rule's examples, wherever an `inside`/`not-inside` query
    /// matches, its root kinds allow that node.
    #[test]
    fn skipped_ancestors_never_match() {
        let mut checked = 0;
        for rule in RuleSet::builtin().rules() {
            let subs: Vec<_> = rule
                .constraints
                .iter()
                .flat_map(|c| [&c.inside, &c.not_inside])
                .flatten()
                .collect();
            let examples = rule.bad.iter().map(|b| (&b.code, &b.ext));
            let examples = examples.chain(rule.good.iter().map(|g| (&g.code, &g.ext)));
            for (code, ext) in examples {
                let lang = match ext {
                    Some(ext) => Language::from_extension(ext).expect("valid ext"),
                    None => rule.language.targets()[0],
                };
                let doc = Document::new(lang, code.as_str());
                for sub in &subs {
                    let Some(q) = sub.get(&lang) else { continue };
                    preorder(doc.tree(), |node, _| {
                        let mut cursor = QueryCursor::new();
                        cursor.set_max_start_depth(Some(0));
                        let matched = cursor.matches(q, node, code.as_bytes()).next().is_some();
                        if matched {
                            checked += 1;
                            assert!(
                                sub.may_start_at(&lang, node.kind()),
                                "{}: a sub-query matches at a {}",
                                rule.id,
                                node.kind()
                            );
                        }
                        Step::Into
                    });
                }
            }
        }
        assert!(checked >= 20, "only {checked} matches checked");
    }
}

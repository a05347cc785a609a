//! The generic rule test: every built-in rule against its own examples.
//!
//! For each rule: every bad example yields exactly the expected findings (by flagged
//! text, in order); every good example yields none; every `fixed` expectation equals
//! the text after applying the rule's fixes, parses without error nodes, no longer
//! triggers the rule, and triggers no rule the bad example did not.
//! Failures are collected so one run reports every broken rule. The checks live in
//! `vigil::engine::rule::examples`, shared with `vigil rules test DIR`.
//!
//! Built-in rules are not validated when the binary loads them (their queries are
//! compiled when first needed); the full validation an organisation rule gets runs
//! here instead.

use vigil::engine::builtin_rules::BUILTIN_RULES;
use vigil::engine::rule::RuleOrigin;
use vigil::engine::rule::examples::check_rule;
use vigil::engine::rule::load::{RuleSource, parse_rule};
use vigil::engine::{RuleSet, suppress};

#[test]
fn every_builtin_rule_passes_full_validation() {
    let problems: Vec<String> = BUILTIN_RULES
        .iter()
        .filter_map(|(path, text)| {
            parse_rule(&RuleSource {
                origin: RuleOrigin::Builtin(path),
                text: (*text).to_string(),
            })
            .err()
            .map(|e| e.to_string())
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_builtin_rule_passes_its_examples() {
    let rules = RuleSet::builtin();
    assert!(!rules.is_empty());
    let mut problems = Vec::new();
    // Vigil's checks on suppression comments have no query and no examples; the CLI
    // and LSP tests exercise them.
    for rule in rules.rules().iter().filter(|r| !suppress::is_meta(r)) {
        problems.extend(check_rule(rule, rules, true));
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn rule_packs_cover_both_languages() {
    let rules = RuleSet::builtin();
    let js = rules
        .rules()
        .iter()
        .filter(|r| r.id.starts_with("js/"))
        .count();
    let go = rules
        .rules()
        .iter()
        .filter(|r| r.id.starts_with("go/"))
        .count();
    assert!(js >= 1 && go >= 1, "js {js}, go {go}");
}

//! Arbitrary text as an organisation rule file (rules can come from an untrusted
//! workspace through `extraRuleDirs`). Loading must report errors, never panic; a
//! rule that loads is then run on its own examples, so fuzzed queries, constraints
//! and fix templates go through the whole analysis and fix path.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use vigil::engine::Document;
use vigil::engine::Language;
use vigil::engine::rule::RuleOrigin;
use vigil::engine::rule::load::{RuleSource, load_rules};

fuzz_target!(|data: &[u8]| {
    let source = RuleSource {
        origin: RuleOrigin::File(PathBuf::from("fuzz.toml")),
        text: vigil_fuzz::text_of(data),
    };
    let (rules, errors) = load_rules(vec![source]);
    for e in &errors {
        // Error positions are 1-based, as editors and terminals show them.
        assert!(e.line >= 1 && e.column >= 1, "bad error position: {e}");
    }
    for rule in rules.rules() {
        let examples = rule
            .bad
            .iter()
            .map(|b| (&b.code, &b.ext))
            .chain(rule.good.iter().map(|g| (&g.code, &g.ext)));
        for (code, ext) in examples {
            let language = match ext {
                Some(ext) => Language::from_extension(ext).expect("the loader checked it"),
                None => rule.language.targets()[0],
            };
            vigil_fuzz::check_analysis(&Document::new(language, code.clone()), &rules);
        }
    }
});

//! Arbitrary bytes as the `vigil` settings a client sends (initializationOptions and
//! workspace/configuration): every field is validated on its own, problems are
//! reported, nothing panics, and the resulting filter works on the built-in rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vigil::engine::RuleSet;
use vigil::lsp::config::{check_against_rules, merge, parse_settings, settings_from_init_options};

fuzz_target!(init: vigil_fuzz::warm_up(), |data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let settings_value = settings_from_init_options(Some(&value));
    // Workspace settings laid over the initialization options, as the server does.
    let merged = merge(&settings_value, &value);
    for v in [&value, &settings_value, &merged] {
        let (settings, mut problems) = parse_settings(v);
        check_against_rules(&settings, RuleSet::builtin(), &mut problems);
        for rule in RuleSet::builtin().rules() {
            let _ = settings.filter.enabled(rule);
            let _ = settings.filter.severity_of(rule);
        }
        // Every problem is a message a user can read.
        assert!(problems.iter().all(|p| !p.is_empty()));
    }
});

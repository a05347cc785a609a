//! Arbitrary bytes as a project's `vigil.toml`: a file that does not validate is an
//! error with a line and column inside the text, never a panic; one that does gives
//! every path a filter that works on the built-in rules.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vigil::engine::{RuleFilter, RuleSet};
use vigil::project::ProjectConfig;

fuzz_target!(init: vigil_fuzz::warm_up(), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A directory that does not exist: rule directories cannot resolve to anything
    // on this machine, so only the file's own validation runs.
    let file = Path::new("/nonexistent-vigil-fuzz/project/vigil.toml");
    match ProjectConfig::parse(file, text) {
        Err(e) => {
            let lines = text.split('\n').count();
            assert!(e.line >= 1 && e.line <= lines.max(1), "{e}");
            assert!(e.column >= 1, "{e}");
            assert!(!e.message.is_empty());
        }
        Ok(config) => {
            let _ = config.check_against(RuleSet::builtin());
            for rel in ["src/app.js", "tests/a_test.go", "vendor/x/y.ts", "a"] {
                let path = Path::new("/nonexistent-vigil-fuzz/project").join(rel);
                let _ = config.is_excluded(&path);
                let filter = config.filter_for(&path, &RuleFilter::default());
                for rule in RuleSet::builtin().rules() {
                    let _ = filter.enabled(rule);
                }
            }
        }
    }
});

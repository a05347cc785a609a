//! Hooks for the integration tests only; they do nothing unless these variables are
//! set in the server's environment:
//!
//! - `VIGIL_TEST_PANIC_ON=<marker>`: analysing a text that contains the marker panics,
//!   to show that a panic is contained to that one analysis.
//! - `VIGIL_TEST_SLOW_ON=<marker>`: analysing a text that contains the marker first
//!   sleeps two seconds, to show that requests are answered meanwhile and that
//!   superseded results are dropped.
//! - `VIGIL_TEST_TREE_BUDGET=<bytes>`: replaces the tree memory budget
//!   ([`super::scheduler::TREE_BUDGET_BYTES`]), to show that documents whose trees were
//!   dropped are still served.

use std::sync::OnceLock;
use std::time::Duration;

struct Hooks {
    panic_on: Option<String>,
    slow_on: Option<String>,
    tree_budget: Option<usize>,
}

fn hooks() -> &'static Hooks {
    static HOOKS: OnceLock<Hooks> = OnceLock::new();
    HOOKS.get_or_init(|| Hooks {
        panic_on: std::env::var("VIGIL_TEST_PANIC_ON")
            .ok()
            .filter(|s| !s.is_empty()),
        slow_on: std::env::var("VIGIL_TEST_SLOW_ON")
            .ok()
            .filter(|s| !s.is_empty()),
        tree_budget: std::env::var("VIGIL_TEST_TREE_BUDGET")
            .ok()
            .and_then(|s| s.parse().ok()),
    })
}

pub fn before_analysis(text: &str) {
    let hooks = hooks();
    if let Some(marker) = &hooks.slow_on
        && text.contains(marker.as_str())
    {
        std::thread::sleep(Duration::from_secs(2));
    }
    if let Some(marker) = &hooks.panic_on
        && text.contains(marker.as_str())
    {
        panic!("VIGIL_TEST_PANIC_ON marker found (test hook)");
    }
}

/// The tree memory budget in bytes of text.
pub fn tree_budget(default: usize) -> usize {
    hooks().tree_budget.unwrap_or(default)
}

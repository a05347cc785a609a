//! Project configuration: `vigil.toml`, shared by `vigil check` and `vigil serve`.
//!
//! - [`schema`]: the file format (serde, spans, unknown keys rejected)
//! - [`load`]: reading and validating a file into a [`ProjectConfig`]; errors carry
//!   file, line and column
//! - [`policy`]: the rule policy of the file and of its `[[overrides]]`, and how it is
//!   laid over a [`crate::engine::RuleFilter`]
//! - [`globs`]: `exclude` and override path patterns
//! - [`discover`]: the nearest `vigil.toml` above a path, or the `--config` file
//! - [`rules`]: built-in rules plus a project's organisation rule directories
//!
//! Neither the engine nor the LSP types are touched here: the CLI and the server call
//! this module, and the engine only ever sees a `RuleSet` and a `RuleFilter`.

pub mod discover;
pub mod globs;
pub mod load;
pub mod policy;
pub mod rules;
pub mod schema;

pub use discover::ConfigFinder;
pub use load::{ConfigError, ProjectConfig};
pub use policy::{FilePolicy, Policy};
pub use rules::{RuleSetCache, Rules};

/// The file name looked for in each directory.
pub const CONFIG_FILE_NAME: &str = "vigil.toml";

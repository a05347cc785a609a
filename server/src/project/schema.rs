//! The `vigil.toml` file format: the on-disk schema, deserialised with spans so every
//! later check can point at the line and column of the offending value.
//! Unknown keys are errors: a misspelt `ignroe` must not silently keep a rule on.
//! (The policy keys are repeated in [`ConfigFile`] and [`OverrideSpec`] because serde's
//! `flatten` cannot be combined with `deny_unknown_fields`.)

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::engine::{Confidence, Severity};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    pub select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
    #[serde(default)]
    pub severity: BTreeMap<Spanned<String>, Severity>,
    pub min_severity: Option<Severity>,
    pub min_confidence: Option<Confidence>,
    /// Globs of paths the walker never descends into, relative to the file.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Directories of organisation rules, relative to the file, inside its directory.
    #[serde(default)]
    pub extra_rule_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    pub overrides: Vec<OverrideSpec>,
    pub suppressions: Option<SuppressionsSpec>,
}

/// `[suppressions]`: how suppression comments are read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SuppressionsSpec {
    /// Whether other tools' markers (`#nosec`, `nosemgrep`, `eslint-disable-*`)
    /// suppress the rules that list them in `aliases` (default: true).
    pub honour_other_tools: Option<bool>,
}

/// `[[overrides]]`: a policy for the paths matching `paths`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OverrideSpec {
    pub paths: Spanned<Vec<Spanned<String>>>,
    pub select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
    #[serde(default)]
    pub severity: BTreeMap<Spanned<String>, Severity>,
    pub min_severity: Option<Severity>,
    pub min_confidence: Option<Confidence>,
}

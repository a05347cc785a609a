//! The analysis engine: everything from text to findings and fixes. It knows nothing
//! of LSP or terminals; the CLI and the server are thin adapters over it.

pub mod analyze;
pub mod binary;
pub mod builtin_rules;
pub mod document;
pub mod fingerprint;
pub mod fix;
pub mod language;
pub mod line_index;
pub mod rule;
pub mod semantics;
pub mod suggest;
pub mod suppress;
pub mod walk;

pub use analyze::{Analysis, Finding, RuleFilter, analyze, analyze_document, analyze_exhaustive};
pub use binary::looks_binary;
pub use document::{Document, TextRange};
pub use fingerprint::{FINGERPRINT_VERSION, Fingerprint, fingerprints};
pub use fix::{Edit, Fix};
pub use language::{Language, RuleLanguage};
pub use line_index::{LineCol, LineIndex, PositionEncoding};
pub use rule::{Applicability, Confidence, Rule, RuleSet, Severity};
pub use suppress::{SuppressedFinding, Suppression};

//! Vigil: secure-coding feedback as you type. See ARCHITECTURE.md for the map.

pub mod baseline;
pub mod cli;
pub mod engine;
pub mod lsp;
pub mod project;

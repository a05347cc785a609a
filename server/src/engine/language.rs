//! Languages Vigil understands, how they are detected, and their grammars.

use std::path::Path;

/// A concrete grammar a document is parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// JavaScript, including JSX (the JavaScript grammar parses both).
    JavaScript,
    TypeScript,
    Tsx,
    Go,
}

/// The language a rule is written for. A `javascript` rule also runs on
/// TypeScript and TSX: their grammars share the JavaScript node names, and
/// security patterns in Node code do not change with type annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLanguage {
    #[serde(alias = "js")]
    JavaScript,
    #[serde(alias = "ts")]
    TypeScript,
    /// Rules about JSX syntax (React attributes): JavaScript and TSX only, because the
    /// plain TypeScript grammar has no JSX nodes to compile such a query against.
    Jsx,
    Go,
    /// Vigil's own checks on suppression comments, which run on every language. Not
    /// accepted in rule files.
    #[serde(skip)]
    Any,
}

impl Language {
    pub const ALL: [Language; 4] = [
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Go,
    ];

    pub fn from_path(path: &Path) -> Option<Language> {
        let ext = path.extension()?.to_str()?;
        Self::from_extension(ext)
    }

    pub fn from_extension(ext: &str) -> Option<Language> {
        match ext {
            "js" | "mjs" | "cjs" | "jsx" => Some(Language::JavaScript),
            "ts" | "mts" | "cts" => Some(Language::TypeScript),
            "tsx" => Some(Language::Tsx),
            "go" => Some(Language::Go),
            _ => None,
        }
    }

    /// Maps an LSP `languageId` to a grammar.
    pub fn from_lsp_id(id: &str) -> Option<Language> {
        match id {
            "javascript" | "javascriptreact" | "jsx" => Some(Language::JavaScript),
            "typescript" => Some(Language::TypeScript),
            "typescriptreact" | "tsx" => Some(Language::Tsx),
            "go" => Some(Language::Go),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Go => "go",
        }
    }

    /// The file extension used when an example snippet has no explicit one.
    pub fn default_extension(self) -> &'static str {
        match self {
            Language::JavaScript => "js",
            Language::TypeScript => "ts",
            Language::Tsx => "tsx",
            Language::Go => "go",
        }
    }

    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::Go => tree_sitter_go::LANGUAGE.into(),
        }
    }

    /// Whether the grammar parses JSX.
    pub fn has_jsx(self) -> bool {
        matches!(self, Language::JavaScript | Language::Tsx)
    }

    pub fn family(self) -> RuleLanguage {
        match self {
            Language::JavaScript => RuleLanguage::JavaScript,
            Language::TypeScript | Language::Tsx => RuleLanguage::TypeScript,
            Language::Go => RuleLanguage::Go,
        }
    }
}

impl RuleLanguage {
    /// The grammars a rule of this language is compiled for.
    pub fn targets(self) -> &'static [Language] {
        match self {
            RuleLanguage::JavaScript => {
                &[Language::JavaScript, Language::TypeScript, Language::Tsx]
            }
            RuleLanguage::TypeScript => &[Language::TypeScript, Language::Tsx],
            RuleLanguage::Jsx => &[Language::JavaScript, Language::Tsx],
            RuleLanguage::Go => &[Language::Go],
            RuleLanguage::Any => &Language::ALL,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RuleLanguage::JavaScript => "javascript",
            RuleLanguage::TypeScript => "typescript",
            RuleLanguage::Jsx => "jsx",
            RuleLanguage::Go => "go",
            RuleLanguage::Any => "any",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_every_documented_extension() {
        for (ext, lang) in [
            ("js", Language::JavaScript),
            ("mjs", Language::JavaScript),
            ("cjs", Language::JavaScript),
            ("jsx", Language::JavaScript),
            ("ts", Language::TypeScript),
            ("mts", Language::TypeScript),
            ("cts", Language::TypeScript),
            ("tsx", Language::Tsx),
            ("go", Language::Go),
        ] {
            assert_eq!(
                Language::from_path(Path::new(&format!("a/b.{ext}"))),
                Some(lang)
            );
        }
        assert_eq!(Language::from_path(Path::new("a.py")), None);
        assert_eq!(Language::from_path(Path::new("Makefile")), None);
    }

    #[test]
    fn jsx_rules_compile_for_grammars_with_jsx_only() {
        let query = "(jsx_attribute (property_identifier) @a)";
        for lang in RuleLanguage::Jsx.targets() {
            assert!(tree_sitter::Query::new(&lang.grammar(), query).is_ok());
        }
        assert!(!RuleLanguage::Jsx.targets().contains(&Language::TypeScript));
        assert!(tree_sitter::Query::new(&Language::TypeScript.grammar(), query).is_err());
    }

    #[test]
    fn detects_lsp_language_ids() {
        assert_eq!(
            Language::from_lsp_id("javascriptreact"),
            Some(Language::JavaScript)
        );
        assert_eq!(
            Language::from_lsp_id("typescriptreact"),
            Some(Language::Tsx)
        );
        assert_eq!(Language::from_lsp_id("go"), Some(Language::Go));
        assert_eq!(Language::from_lsp_id("python"), None);
    }
}

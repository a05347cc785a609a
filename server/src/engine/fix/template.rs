//! Fix and message templates: `{{capture}}` inserts a capture's text,
//! `{{transform(capture)}}` the result of a built-in transform (see [`super::transform`]).

#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Capture(String),
    Call { func: String, capture: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub pieces: Vec<Piece>,
}

pub const TRANSFORMS: &[&str] = &["shell_argv", "sql_placeholders", "env_name"];

impl Template {
    pub fn parse(src: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = src;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in template `{src}`"))?;
            let inner = after[..close].trim();
            pieces.push(parse_placeholder(inner).map_err(|m| format!("{m} in template `{src}`"))?);
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template { pieces })
    }

    /// Every capture the template reads.
    pub fn captures(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Capture(c) | Piece::Call { capture: c, .. } => Some(c.as_str()),
            Piece::Text(_) => None,
        })
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

fn parse_placeholder(inner: &str) -> Result<Piece, String> {
    if let Some(open) = inner.find('(') {
        let func = inner[..open].trim();
        let arg = inner[open + 1..]
            .strip_suffix(')')
            .ok_or_else(|| format!("`{{{{{inner}}}}}` is missing `)`"))?
            .trim();
        if !TRANSFORMS.contains(&func) {
            return Err(format!(
                "unknown transform `{func}` (known: {})",
                TRANSFORMS.join(", ")
            ));
        }
        if !is_ident(arg) {
            return Err(format!(
                "transform `{func}` takes one capture name, got `{arg}`"
            ));
        }
        Ok(Piece::Call {
            func: func.to_string(),
            capture: arg.to_string(),
        })
    } else if is_ident(inner) {
        Ok(Piece::Capture(inner.to_string()))
    } else {
        Err(format!("`{{{{{inner}}}}}` is not a capture name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_captures_and_transforms() {
        let t = Template::parse("execFile({{shell_argv(cmd)}}) // {{x}}").unwrap();
        assert_eq!(
            t.pieces,
            vec![
                Piece::Text("execFile(".into()),
                Piece::Call {
                    func: "shell_argv".into(),
                    capture: "cmd".into()
                },
                Piece::Text(") // ".into()),
                Piece::Capture("x".into()),
            ]
        );
        assert!(
            Template::parse("{{nope(x)}}")
                .unwrap_err()
                .contains("unknown transform")
        );
        assert!(Template::parse("{{x").is_err());
    }
}

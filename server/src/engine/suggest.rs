//! "Did you mean ...?" for mistyped rule ids and selectors.

/// The candidates closest to `input`, best first: those ending in `/input` (the id
/// without its language), then those within a small edit distance.
pub fn closest<'a>(input: &str, candidates: &[&'a str]) -> Vec<&'a str> {
    let input_lc = input.to_ascii_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .iter()
        .filter_map(|c| {
            let c_lc = c.to_ascii_lowercase();
            let score = if c_lc.rsplit('/').next() == Some(input_lc.as_str()) {
                2.0
            } else {
                strsim::jaro_winkler(&input_lc, &c_lc)
            };
            (score >= 0.8).then_some((score, *c))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// `"; did you mean `a` or `b`?"`, or an empty string when nothing is close.
pub fn did_you_mean(input: &str, candidates: &[&str]) -> String {
    let close = closest(input, candidates);
    if close.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = close.iter().map(|c| format!("`{c}`")).collect();
    format!("; did you mean {}?", quoted.join(" or "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_ids_and_bare_names() {
        let ids = ["js/weak-hash", "go/weak-hash-md5", "go/sql-injection"];
        assert_eq!(closest("js/weak-hsh", &ids)[0], "js/weak-hash");
        assert_eq!(closest("weak-hash", &ids)[0], "js/weak-hash");
        assert!(closest("zzzz", &ids).is_empty());
    }
}

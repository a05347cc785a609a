//! Telling binary data from source text, the same way for `vigil check` (files) and
//! `vigil serve` (editor buffers), so both skip the same inputs.

/// How many leading bytes are searched for a NUL (as git does).
const SNIFF_LEN: usize = 8000;

/// Whether `bytes` look like binary data rather than source: a NUL byte near the
/// start. Source files never contain one; images, archives and compiled files do.
pub fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(SNIFF_LEN)].contains(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_near_the_start_means_binary() {
        assert!(looks_binary(b"var a = 1;\0"));
        assert!(!looks_binary("const s = '日本';".as_bytes()));
        let mut late = vec![b' '; SNIFF_LEN];
        late.push(0);
        assert!(
            !looks_binary(&late),
            "only the first {SNIFF_LEN} bytes are read"
        );
    }
}

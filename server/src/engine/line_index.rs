//! Byte offsets to and from line/column positions in UTF-8 or UTF-16 code units.
//!
//! Lines end at `\n`; a `\r` before it belongs to the line terminator, as in the LSP
//! specification, so positions on CRLF files stay exact. Columns are counted in the
//! negotiated encoding: UTF-16 code units (the LSP default) or UTF-8 bytes.

/// How columns are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PositionEncoding {
    Utf8,
    #[default]
    Utf16,
}

/// A zero-based line and column, the column in some [`PositionEncoding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    /// Byte offset at which each line starts; always begins with 0.
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex {
            line_starts,
            len: text.len(),
        }
    }

    /// Updates the index for `new_text` replacing the bytes `start..end`: line starts
    /// inside the replaced range go, those of `new_text` come in, later ones shift.
    /// Only the inserted text is scanned, so a keystroke in a 4 MB file does not
    /// re-read 4 MB (the whole-text rebuild was a fifth of a re-parse there).
    pub fn edit(&mut self, start: usize, end: usize, new_text: &str) {
        // Line starts in start+1..=end began after a replaced newline.
        let first = self.line_starts.partition_point(|&s| s <= start);
        let last = self.line_starts.partition_point(|&s| s <= end);
        let inserted: Vec<usize> = memchr::memchr_iter(b'\n', new_text.as_bytes())
            .map(|i| start + i + 1)
            .collect();
        let shifted = first + inserted.len();
        self.line_starts.splice(first..last, inserted);
        for s in &mut self.line_starts[shifted..] {
            *s = *s - end + start + new_text.len();
        }
        self.len = self.len - (end - start) + new_text.len();
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte offset where `line` starts, or the text length past the last line.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// The byte offset just past the line's content, before its `\n` or `\r\n`.
    pub fn line_end(&self, text: &str, line: usize) -> usize {
        let next = self.line_starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        let mut end = next;
        if end > self.line_start(line) && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
            if end > self.line_start(line) && bytes.get(end - 1) == Some(&b'\r') {
                end -= 1;
            }
        }
        end
    }

    /// Zero-based line containing `offset` (clamped to the text).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Converts a byte offset to a line/column. Offsets inside a character or past
    /// the end are clamped to the nearest earlier boundary.
    pub fn line_col(&self, text: &str, offset: usize, enc: PositionEncoding) -> LineCol {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let col = match enc {
            PositionEncoding::Utf8 => offset - start,
            PositionEncoding::Utf16 => text[start..offset].chars().map(char::len_utf16).sum(),
        };
        LineCol {
            line: line as u32,
            col: col as u32,
        }
    }

    /// Converts a line/column to a byte offset. A column past the end of its line is
    /// clamped to the line end and a line past the end to the text end, as LSP asks;
    /// a column in the middle of a surrogate pair or a UTF-8 sequence rounds down.
    pub fn offset(&self, text: &str, pos: LineCol, enc: PositionEncoding) -> usize {
        let line = pos.line as usize;
        if line >= self.line_starts.len() {
            return text.len();
        }
        let start = self.line_start(line);
        let end = self.line_end(text, line);
        let line_text = &text[start..end];
        match enc {
            PositionEncoding::Utf8 => {
                let mut col = (pos.col as usize).min(line_text.len());
                while !line_text.is_char_boundary(col) {
                    col -= 1;
                }
                start + col
            }
            PositionEncoding::Utf16 => {
                let mut units = 0usize;
                for (i, ch) in line_text.char_indices() {
                    let next = units + ch.len_utf16();
                    if next > pos.col as usize {
                        return start + i;
                    }
                    units = next;
                }
                end
            }
        }
    }

    /// The tree-sitter point (row, byte column) of a byte offset.
    pub fn point(&self, offset: usize) -> tree_sitter::Point {
        let line = self.line_of(offset);
        tree_sitter::Point {
            row: line,
            column: offset.min(self.len) - self.line_start(line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let text = "a😀b\r\n中x";
        let idx = LineIndex::new(text);
        let b = text.find('b').unwrap();
        assert_eq!(
            idx.line_col(text, b, PositionEncoding::Utf16),
            LineCol { line: 0, col: 3 }
        );
        assert_eq!(
            idx.line_col(text, b, PositionEncoding::Utf8),
            LineCol { line: 0, col: 5 }
        );
        let x = text.find('x').unwrap();
        assert_eq!(
            idx.line_col(text, x, PositionEncoding::Utf16),
            LineCol { line: 1, col: 1 }
        );
        assert_eq!(
            idx.offset(text, LineCol { line: 1, col: 1 }, PositionEncoding::Utf16),
            x
        );
        // Column past the end of a CRLF line clamps before the terminator.
        assert_eq!(
            idx.offset(text, LineCol { line: 0, col: 99 }, PositionEncoding::Utf16),
            text.find('\r').unwrap()
        );
        // Inside a surrogate pair rounds down to the character start.
        assert_eq!(
            idx.offset(text, LineCol { line: 0, col: 2 }, PositionEncoding::Utf16),
            1
        );
        assert_eq!(
            idx.offset(text, LineCol { line: 7, col: 0 }, PositionEncoding::Utf16),
            text.len()
        );
    }

    /// Edits anywhere (around newlines, CRLF, multi-byte text, at both ends) leave
    /// the index a rebuild would give.
    #[test]
    fn edits_update_the_index_like_a_rebuild() {
        let mut text = String::from("ab\nc\r\n\n😀x\ny");
        let mut index = LineIndex::new(&text);
        let inserts = ["", "\n", "z", "\n\nq", "中\r\n", "\n😀"];
        let mut seed = 7u64;
        for _ in 0..2000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let r = (seed >> 33) as usize;
            let mut start = r % (text.len() + 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + (r >> 8) % 4).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let new_text = inserts[(r >> 16) % inserts.len()];
            text.replace_range(start..end, new_text);
            index.edit(start, end, new_text);
            let rebuilt = LineIndex::new(&text);
            assert_eq!(index.line_starts, rebuilt.line_starts, "{text:?}");
            assert_eq!(index.len, rebuilt.len);
            if text.len() > 60 {
                let mut cut = 10;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                index = LineIndex::new(&text);
            }
        }
    }

    #[test]
    fn round_trips_every_boundary() {
        let text = "héllo\n\n🦀 wörld\r\nend";
        let idx = LineIndex::new(text);
        for enc in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
            for (off, ch) in text.char_indices() {
                // The `\n` of a CRLF is inside the terminator; LSP cannot address it.
                if ch == '\n' && text[..off].ends_with('\r') {
                    continue;
                }
                let lc = idx.line_col(text, off, enc);
                assert_eq!(idx.offset(text, lc, enc), off, "{enc:?} at {off}");
            }
        }
    }
}

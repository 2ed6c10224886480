//! Import and export. Pure: strings in, strings out, validated before anything changes.

pub mod compact;
pub mod csv_export;
pub mod csv_import;
pub mod direct;
pub mod envelope;
pub mod ics;
pub mod json;
pub mod merge;
pub mod segments;
pub mod xlsx;

/// Files larger than this are refused before they are read: a browser tab holding the
/// text, the parsed records and the workspace at once would run out of memory. The compact
/// export of 100,000 demo deals with their ~1M events is far below it (tested), so the app
/// always imports what it exported.
pub const MAX_IMPORT_BYTES: f64 = 400.0 * 1024.0 * 1024.0;

pub use json::{export_json, import_json, pipeline_only, ExportReader, ImportError, FORMAT, FORMAT_VERSION};

/// Checks that a file's bytes are UTF-8 a slice at a time, so that a large file never
/// holds the page: in the browser a 16 MB slice takes 3–4 ms, so a 315 MB export checked
/// in one go is a task of ≈ 70 ms.
pub struct Utf8Check<'a> {
    bytes: &'a [u8],
    /// Bytes known to be UTF-8, from the start (always a character boundary).
    checked: usize,
}

impl<'a> Utf8Check<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Utf8Check { bytes, checked: 0 }
    }

    /// Checks about `budget` more bytes: `None` while there are more, then the text, or
    /// where its first byte that is not UTF-8 is.
    pub fn step(&mut self, budget: usize) -> Option<Result<&'a str, usize>> {
        let len = self.bytes.len();
        // At least 4 bytes: a character cut by the slice's end is then never the whole
        // slice, so every step moves on.
        let end = len.min(self.checked.saturating_add(budget.max(4)));
        match std::str::from_utf8(&self.bytes[self.checked..end]) {
            Ok(_) => self.checked = end,
            // A character cut by the slice's end: checked again with the next slice.
            Err(e) if e.error_len().is_none() && end < len => self.checked += e.valid_up_to(),
            Err(e) => return Some(Err(self.checked + e.valid_up_to())),
        }
        if self.checked < len {
            return None;
        }
        // SAFETY: every byte was checked above, slice by slice, each slice starting where
        // the one before ended on a character boundary: the whole is UTF-8.
        Some(Ok(unsafe { std::str::from_utf8_unchecked(self.bytes) }))
    }
}

#[cfg(test)]
mod tests {
    use super::Utf8Check;

    fn stepped(bytes: &[u8], budget: usize) -> (Result<&str, usize>, usize) {
        let mut check = Utf8Check::new(bytes);
        let mut steps = 1;
        loop {
            match check.step(budget) {
                Some(answer) => return (answer, steps),
                None => steps += 1,
            }
        }
    }

    #[test]
    fn utf8_checked_in_slices_answers_as_one_check() {
        // "漏斗" is 3 bytes a character and "🙂" 4: slices of 1 to 9 bytes cut them at every
        // offset. Damaged copies: a lone continuation byte, a character cut short in the
        // middle and at the very end, an invalid lead byte.
        let text = "ab漏斗c🙂d,商机\n".repeat(3);
        let b = text.as_bytes();
        let cut_mid = [&b[..5], &b[6..]].concat();
        let cases: Vec<Vec<u8>> = vec![
            b.to_vec(),
            Vec::new(),
            [b, &[0x80]].concat(),
            cut_mid,
            b[..b.len() - 2].iter().chain(&b[..3]).copied().collect(),
            b[..b.len() - 1].to_vec(),
            [&b[..8], &[0xff], &b[8..]].concat(),
        ];
        for bytes in &cases {
            let whole = std::str::from_utf8(bytes).map_err(|e| e.valid_up_to());
            for budget in [0, 1, 2, 3, 4, 5, 7, 9, 64] {
                let (answer, steps) = stepped(bytes, budget);
                assert_eq!(answer, whole, "budget {budget}, {bytes:?}");
                if whole.is_ok() {
                    // ⌈len / max(budget, 4)⌉ slices, and at most one more for each character
                    // of several bytes (15 here) where a slice ends inside it.
                    let (per, wide) = (budget.max(4), text.chars().filter(|c| c.len_utf8() > 1).count());
                    let least = bytes.len().div_ceil(per).max(1);
                    assert!(steps >= least && steps <= least + wide, "{steps} steps, budget {budget}");
                }
            }
        }
        // Damaged: the answer points at the first bad byte (the 0xff after "ab漏斗", 8 bytes).
        assert_eq!(stepped(&cases[6], 3).0, Err(8));
    }
}

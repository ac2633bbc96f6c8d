//! Where a walk's bytes come from: [`Buffered`] reads any `BufRead` in constant memory,
//! [`Slice`] lends from a document already in memory (no copying, and lines can be counted).
//! Both hand the walker a window of input already validated as UTF-8. Knows nothing of
//! elements.

use std::cell::Cell;
use std::io::{self, BufRead};

use quick_xml::errors::Error as QuickError;

use super::scan::{Scan, scan, undecodable_token};

/// Where the bytes come from: a buffered reader (any `BufRead`, constant memory) or a
/// byte slice already in memory (no copying: faster).
pub(crate) trait Source {
    /// The input at hand (a window, already validated as UTF-8), starting at byte `base()`
    /// of the document.
    fn bytes(&self) -> &[u8];
    /// `bytes()` as text.
    fn text(&self) -> &str;
    fn base(&self) -> u64;
    /// True when nothing follows `bytes()`.
    fn complete(&self) -> bool;
    /// Reads more, dropping what lies before `keep`; returns how many bytes were dropped.
    /// Adds nothing when the input ends or the next bytes are not UTF-8.
    fn more(&mut self, keep: usize) -> io::Result<usize>;
    /// The error for the token at `start`, which runs into bytes that are not UTF-8.
    fn undecodable(&mut self, start: usize) -> QuickError;
    /// The line of byte `byte`, where that is cheap to know.
    fn line_at(&self, _byte: u64) -> Option<u64> {
        None
    }
}

/// Reads at least this much at a time when streaming.
pub(super) const READ_AHEAD: usize = 64 * 1024;

pub(crate) struct Buffered<R: BufRead> {
    reader: R,
    /// Decoded input not yet dropped, starting at byte `base`.
    window: String,
    base: u64,
    /// Bytes read but not in `window`: a character cut by the end of a read, or everything
    /// from the first byte that is not UTF-8.
    tail: Vec<u8>,
    eof: bool,
    invalid: bool,
    /// Reads at least this much at a time (small in tests, to cut tokens everywhere).
    read_ahead: usize,
}

impl<R: BufRead> Buffered<R> {
    /// Reads `reader` at least `read_ahead` bytes at a time.
    pub(super) fn new(reader: R, read_ahead: usize) -> Buffered<R> {
        Buffered {
            reader,
            window: String::new(),
            base: 0,
            tail: Vec::new(),
            eof: false,
            invalid: false,
            read_ahead,
        }
    }

    /// Appends what is valid UTF-8 in `tail` to `window`; false once `tail` holds a byte
    /// that can never be decoded.
    fn decode_tail(&mut self) -> bool {
        match std::str::from_utf8(&self.tail) {
            Ok(s) => {
                self.window.push_str(s);
                self.tail.clear();
                true
            }
            Err(e) => {
                let valid = e.valid_up_to();
                if let Ok(s) = std::str::from_utf8(&self.tail[..valid]) {
                    self.window.push_str(s);
                }
                self.tail.drain(..valid);
                e.error_len().is_none()
            }
        }
    }
}

/// The reader's next bytes (empty at the end), retrying interrupted reads.
fn fill<R: BufRead>(reader: &mut R) -> io::Result<&[u8]> {
    loop {
        match reader.fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
            Ok(_) => break,
        }
    }
    reader.fill_buf()
}

impl<R: BufRead> Source for Buffered<R> {
    fn bytes(&self) -> &[u8] {
        self.window.as_bytes()
    }
    fn text(&self) -> &str {
        &self.window
    }
    fn base(&self) -> u64 {
        self.base
    }
    fn complete(&self) -> bool {
        self.eof && self.tail.is_empty()
    }
    fn more(&mut self, keep: usize) -> io::Result<usize> {
        let dropped = if keep > 0 && self.window.is_char_boundary(keep) {
            self.window.drain(..keep);
            self.base += keep as u64;
            keep
        } else {
            0
        };
        // Read at least as much as is kept, so a long token is rescanned a bounded number of
        // times (linear overall).
        let wanted = self.window.len().max(self.read_ahead);
        let before = self.window.len();
        let mut read = 0;
        while !self.eof && !self.invalid && (read < wanted || self.window.len() == before) {
            let chunk = fill(&mut self.reader)?;
            let n = chunk.len();
            if n == 0 {
                self.eof = true;
                // A character cut by the end of the input.
                self.invalid = !self.tail.is_empty();
                break;
            }
            let decoded = self.tail.is_empty()
                && match std::str::from_utf8(chunk) {
                    Ok(s) => {
                        self.window.push_str(s);
                        true
                    }
                    Err(_) => false,
                };
            if !decoded {
                self.tail.extend_from_slice(chunk);
            }
            self.reader.consume(n);
            if !decoded {
                self.invalid = !self.decode_tail();
            }
            read += n;
        }
        Ok(dropped)
    }
    fn undecodable(&mut self, start: usize) -> QuickError {
        // The token is read whole (raw bytes), as quick-xml read it before decoding it.
        let mut raw = self
            .window
            .as_bytes()
            .get(start..)
            .unwrap_or_default()
            .to_vec();
        raw.append(&mut self.tail);
        while !self.eof && matches!(scan(&raw, false), Scan::NeedMore) {
            match fill(&mut self.reader) {
                Err(e) => return e.into(),
                Ok([]) => self.eof = true,
                Ok(chunk) => {
                    let n = chunk.len();
                    raw.extend_from_slice(chunk);
                    self.reader.consume(n);
                }
            }
        }
        undecodable_token(&raw)
    }
}

/// Validates this much of an in-memory document at a time, just ahead of the tokenizer
/// (while it is in cache), rather than all of it up front.
pub(super) const VALIDATE_AHEAD: usize = 64 * 1024;

pub(crate) struct Slice<'a> {
    bytes: &'a [u8],
    /// The window: `text` is `bytes[start..]`'s validated UTF-8 start.
    start: usize,
    text: &'a str,
    /// Validates at least this much at a time (small in tests, to cut tokens everywhere).
    ahead: usize,
    /// Lines are counted lazily and incrementally: newlines before `counted` number `lines`.
    counted: Cell<usize>,
    lines: Cell<u64>,
}

impl<'a> Slice<'a> {
    /// Lends from `bytes`, validating at least `ahead` bytes at a time.
    pub(super) fn new(bytes: &'a [u8], ahead: usize) -> Slice<'a> {
        Slice {
            bytes,
            start: 0,
            text: "",
            ahead,
            counted: Cell::new(0),
            lines: Cell::new(0),
        }
    }
}

impl Source for Slice<'_> {
    fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }
    fn text(&self) -> &str {
        self.text
    }
    fn base(&self) -> u64 {
        self.start as u64
    }
    fn complete(&self) -> bool {
        self.start + self.text.len() == self.bytes.len()
    }
    fn more(&mut self, keep: usize) -> io::Result<usize> {
        let keep = keep.min(self.text.len());
        self.start += keep;
        let kept = self.text.len() - keep;
        let end = (self.start + kept + kept.max(self.ahead).max(4)).min(self.bytes.len());
        let window = &self.bytes[self.start..end];
        self.text = match std::str::from_utf8(window) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&window[..e.valid_up_to()]).unwrap_or_default(),
        };
        Ok(keep)
    }
    fn undecodable(&mut self, start: usize) -> QuickError {
        undecodable_token(self.bytes.get(self.start + start..).unwrap_or_default())
    }
    fn line_at(&self, byte: u64) -> Option<u64> {
        let target = usize::try_from(byte).ok()?.min(self.bytes.len());
        if target < self.counted.get() {
            self.counted.set(0);
            self.lines.set(0);
        }
        let from = self.counted.get();
        let newlines = self.bytes[from..target]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.lines.set(self.lines.get() + newlines);
        self.counted.set(target);
        Some(self.lines.get() + 1)
    }
}

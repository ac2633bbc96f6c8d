//! Where a walk's bytes come from: [`Buffered`] reads any `BufRead` in constant memory,
//! [`Slice`] lends from a document already in memory (no copying, and lines can be counted).
//! Both hand the walker a window of input already validated as UTF-8. [`Buffered`] also
//! decodes, while it reads, a document in another encoding (UTF-16, ISO-8859-1, …, see
//! `encoding`), and maps positions in the decoded window back to the file's bytes and lines.
//! Knows nothing of elements.

use std::cell::Cell;
use std::io::{self, BufRead};

use encoding_rs::{Decoder, DecoderResult, Encoding};

use super::encoding::{Refusal, Sniff, sniff, width};
use super::error::{Position, XmlError};
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
    /// The error for the token at `start` (at `position`), which runs into bytes that
    /// cannot be decoded.
    fn undecodable(&mut self, start: usize, position: Position) -> XmlError;
    /// The line of byte `byte` (of the input as the walker sees it), where that is cheap to
    /// know.
    fn line_at(&self, _byte: u64) -> Option<u64> {
        None
    }
    /// Where byte `byte` of the input as the walker sees it (UTF-8) lies in the file: the
    /// same byte, unless the file is in another encoding.
    fn original(&self, byte: u64) -> u64 {
        byte
    }
}

/// How a streamed document is decoded, decided from its first bytes.
enum Decoding {
    Undecided,
    Utf8,
    Other(Box<Transcoding>),
    Refused(Refusal),
}

/// A document in another encoding, decoded to UTF-8 as it is read.
struct Transcoding {
    decoder: Decoder,
    encoding: &'static Encoding,
    /// Bytes of the file handed to the decoder (its byte-order mark included).
    consumed: u64,
    /// Where the window starts in the file, and how many lines lie before it.
    base: u64,
    lines: u64,
    /// The last position mapped: (offset in the window, byte in the file, lines before).
    cache: Cell<(usize, u64, u64)>,
    /// Why decoding stopped, with the window's end there.
    error: Option<String>,
}

impl Transcoding {
    /// The byte in the file, and the lines before it, of offset `to` in `window`.
    fn map(&self, window: &str, to: usize) -> (u64, u64) {
        let mut to = to.min(window.len());
        while !window.is_char_boundary(to) {
            to -= 1;
        }
        let (mut at, mut byte, mut lines) = self.cache.get();
        if at > to {
            (at, byte, lines) = (0, self.base, self.lines);
        }
        for c in window[at..to].chars() {
            byte += width(self.encoding, c);
            lines += u64::from(c == '\n');
        }
        self.cache.set((to, byte, lines));
        (byte, lines)
    }

    /// Decodes `src` to the end of `window`; false when it holds bytes that are not of the
    /// encoding (`error` then says where).
    fn decode(&mut self, window: &mut String, mut src: &[u8], last: bool) -> bool {
        loop {
            let room = self
                .decoder
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(src.len().saturating_mul(3))
                .max(4);
            window.reserve(room);
            let (result, read) = self
                .decoder
                .decode_to_string_without_replacement(src, window, last);
            self.consumed += read as u64;
            src = &src[read..];
            match result {
                DecoderResult::InputEmpty => return true,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, after) => {
                    let at = self.consumed - u64::from(after) - u64::from(bad);
                    self.error = Some(format!(
                        "the file is declared (or marked) as {}, but byte {at} starts {bad} \
                         byte(s) that are not {} text (a broken character, or a last \
                         character cut short): the file is damaged or its declared encoding \
                         is wrong",
                        self.encoding.name(),
                        self.encoding.name()
                    ));
                    return false;
                }
            }
        }
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
    decoding: Decoding,
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
            decoding: Decoding::Undecided,
        }
    }

    /// Reads the first bytes into `tail` until they say how the document is encoded.
    fn decide(&mut self) -> io::Result<()> {
        loop {
            match sniff(&self.tail, self.eof) {
                Sniff::NeedMore => {
                    let chunk = fill(&mut self.reader)?;
                    let n = chunk.len();
                    if n == 0 {
                        self.eof = true;
                    }
                    self.tail.extend_from_slice(chunk);
                    self.reader.consume(n);
                }
                Sniff::Utf8 => {
                    self.decoding = Decoding::Utf8;
                    return Ok(());
                }
                Sniff::Other { encoding, bom } => {
                    let bom = bom.min(self.tail.len());
                    let mut transcoding = Transcoding {
                        decoder: encoding.new_decoder_without_bom_handling(),
                        encoding,
                        consumed: bom as u64,
                        base: bom as u64,
                        lines: 0,
                        cache: Cell::new((0, bom as u64, 0)),
                        error: None,
                    };
                    let sniffed = std::mem::take(&mut self.tail);
                    if !transcoding.decode(&mut self.window, &sniffed[bom..], self.eof) {
                        self.invalid = true;
                    }
                    self.decoding = Decoding::Other(Box::new(transcoding));
                    return Ok(());
                }
                Sniff::Refused(refusal) => {
                    self.decoding = Decoding::Refused(refusal);
                    self.invalid = true;
                    return Ok(());
                }
            }
        }
    }

    /// As `more`, for a document in another encoding.
    fn more_decoded(&mut self, wanted: usize, before: usize) -> io::Result<()> {
        let Decoding::Other(transcoding) = &mut self.decoding else {
            return Ok(());
        };
        let mut read = 0;
        while !self.eof && !self.invalid && (read < wanted || self.window.len() == before) {
            let chunk = fill(&mut self.reader)?;
            let n = chunk.len();
            if n == 0 {
                self.eof = true;
                self.invalid = !transcoding.decode(&mut self.window, &[], true);
                break;
            }
            let decoded = transcoding.decode(&mut self.window, chunk, false);
            self.reader.consume(n);
            self.invalid = !decoded;
            read += n;
        }
        Ok(())
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
        self.eof && self.tail.is_empty() && !self.invalid
    }
    fn more(&mut self, keep: usize) -> io::Result<usize> {
        if let Decoding::Undecided = self.decoding {
            self.decide()?;
        }
        let dropped = if keep > 0 && self.window.is_char_boundary(keep) {
            if let Decoding::Other(transcoding) = &mut self.decoding {
                let (byte, lines) = transcoding.map(&self.window, keep);
                transcoding.base = byte;
                transcoding.lines = lines;
                transcoding.cache.set((0, byte, lines));
            }
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
        match self.decoding {
            Decoding::Other(_) => {
                self.more_decoded(wanted, before)?;
                return Ok(dropped);
            }
            Decoding::Refused(_) => return Ok(dropped),
            Decoding::Utf8 | Decoding::Undecided => {}
        }
        // The bytes read to decide first.
        if !self.tail.is_empty() && !self.invalid {
            self.invalid = !self.decode_tail() || (self.eof && !self.tail.is_empty());
        }
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
    fn undecodable(&mut self, start: usize, position: Position) -> XmlError {
        match &self.decoding {
            Decoding::Refused(refusal) => {
                return XmlError::Content {
                    position: Position::default(),
                    message: refusal.message(),
                };
            }
            Decoding::Other(transcoding) => {
                return XmlError::Content {
                    // The window ends where the bytes that could not be decoded start.
                    position: Position {
                        byte: self.base + self.window.len() as u64,
                        line: None,
                    },
                    message: transcoding
                        .error
                        .clone()
                        .unwrap_or_else(|| "the file ends in the middle of a character".to_owned()),
                };
            }
            Decoding::Utf8 | Decoding::Undecided => {}
        }
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
                Err(e) => {
                    return XmlError::Malformed {
                        position,
                        message: quick_xml::Error::from(e).to_string(),
                    };
                }
                Ok([]) => self.eof = true,
                Ok(chunk) => {
                    let n = chunk.len();
                    raw.extend_from_slice(chunk);
                    self.reader.consume(n);
                }
            }
        }
        XmlError::Malformed {
            position,
            message: undecodable_token(&raw).to_string(),
        }
    }
    fn line_at(&self, byte: u64) -> Option<u64> {
        let Decoding::Other(transcoding) = &self.decoding else {
            return None;
        };
        let offset = usize::try_from(byte.saturating_sub(self.base)).unwrap_or(usize::MAX);
        Some(transcoding.map(&self.window, offset).1 + 1)
    }
    fn original(&self, byte: u64) -> u64 {
        let Decoding::Other(transcoding) = &self.decoding else {
            return byte;
        };
        let offset = usize::try_from(byte.saturating_sub(self.base)).unwrap_or(usize::MAX);
        transcoding.map(&self.window, offset).0
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
    fn undecodable(&mut self, start: usize, position: Position) -> XmlError {
        XmlError::Malformed {
            position,
            message: undecodable_token(self.bytes.get(self.start + start..).unwrap_or_default())
                .to_string(),
        }
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

//! A small streaming walker over XML: element local names (namespaces ignored, so every
//! version and national variant reads alike), leaf text, and the few attributes we need.
//! Refuses DTDs and any entity but the five predefined ones; every error carries the byte
//! offset where it was found.
//!
//! The tokenizer is our own (it follows quick-xml 0.42's rules and reuses its error
//! messages, attribute parser and character references): UTF-8 is validated once per
//! document (or once per chunk when streaming) instead of once per event, and names are
//! compared as bytes where they lie, so the hot path neither allocates nor re-decodes.
//! Two deliberate differences from the quick-xml walker it replaced (kept in
//! `reference.rs` as the tests' oracle): positions count a UTF-8 byte-order mark, and
//! `<!DOCTYPE` is refused as a DTD as soon as it is seen.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead};

use quick_xml::XmlVersion;
use quick_xml::errors::{Error as QuickError, IllFormedError, SyntaxError};
use quick_xml::events::{BytesRef, BytesStart, BytesText};

/// Where in a document: the byte offset, and the 1-based line when the document is in
/// memory (counting lines through a streamed `BufRead` would mean keeping what was read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub byte: u64,
    pub line: Option<u64>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line} (byte {})", self.byte),
            None => write!(f, "byte {}", self.byte),
        }
    }
}

/// Why an XML document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("at {position}: the XML is malformed: {message}")]
    Malformed { position: Position, message: String },
    #[error("at {position}: DTDs (<!DOCTYPE …>) are refused in bank files")]
    Dtd { position: Position },
    #[error(
        "at {position}: entity &{name}; is refused (only &amp; &lt; &gt; &apos; &quot; and character references are allowed)"
    )]
    Entity { position: Position, name: String },
    #[error("at {position}: elements are nested deeper than {MAX_DEPTH} levels")]
    TooDeep { position: Position },
    #[error("at {position}: the document ends before its root element is closed")]
    Truncated { position: Position },
    #[error("at {position}: {message}")]
    Content { position: Position, message: String },
}

impl XmlError {
    fn set_line(&mut self, line: Option<u64>) {
        match self {
            XmlError::Malformed { position, .. }
            | XmlError::Dtd { position }
            | XmlError::Entity { position, .. }
            | XmlError::TooDeep { position }
            | XmlError::Truncated { position }
            | XmlError::Content { position, .. } => position.line = line,
        }
    }

    pub fn position(&self) -> Position {
        match self {
            XmlError::Malformed { position, .. }
            | XmlError::Dtd { position }
            | XmlError::Entity { position, .. }
            | XmlError::TooDeep { position }
            | XmlError::Truncated { position }
            | XmlError::Content { position, .. } => *position,
        }
    }
}

const MAX_DEPTH: usize = 64;

/// Escapes text for XML element content (control characters other than tab and line
/// breaks become spaces: XML 1.0 cannot carry them).
pub(crate) fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => out.push(' '),
            '\u{fffe}' | '\u{ffff}' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Appends `<tag>value</tag>`, escaped.
pub(crate) fn element(out: &mut String, tag: &str, value: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    escape(value, out);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// One step of the walk.
#[derive(Debug)]
pub(crate) enum Step {
    /// An element opens; `xmlns` is its default namespace (its `Ccy` is `last_ccy()`).
    Open {
        xmlns: Option<String>,
    },
    /// An element closes; the text it held directly is `Walker::text` until the next step
    /// (borrowed, so the many elements nobody keeps cost no allocation).
    Close,
    Eof,
}

/// One piece of markup or text, by its length from where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// Character data up to `<`, `&` or the end of the input; `cr` if it holds a `\r`.
    Text { len: usize, cr: bool },
    /// `&name;`.
    Ref(usize),
    /// `<name …>`, or `<name …/>` when `empty`.
    Start { len: usize, empty: bool },
    /// `</name>`.
    End(usize),
    /// `<![CDATA[…]]>`.
    CData(usize),
    /// A comment, processing instruction or XML declaration: nothing we read.
    Skip(usize),
    /// `<!DOCTYPE`: refused as soon as it is seen.
    Doctype,
    /// Markup that is complete but wrong: refused once its bytes are known to be UTF-8
    /// (quick-xml decodes first, so a decoding error takes precedence).
    Refused { len: usize, error: Refusal },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    UnclosedReference,
    UnclosedComment,
    UnclosedCData,
    UnclosedPI,
}

impl From<Refusal> for QuickError {
    fn from(refusal: Refusal) -> QuickError {
        match refusal {
            Refusal::UnclosedReference => IllFormedError::UnclosedReference.into(),
            Refusal::UnclosedComment => SyntaxError::UnclosedComment.into(),
            Refusal::UnclosedCData => SyntaxError::UnclosedCData.into(),
            Refusal::UnclosedPI => SyntaxError::UnclosedPI.into(),
        }
    }
}

impl Token {
    fn len(self) -> usize {
        match self {
            Token::Text { len: n, .. }
            | Token::Ref(n)
            | Token::Start { len: n, .. }
            | Token::End(n)
            | Token::CData(n)
            | Token::Skip(n)
            | Token::Refused { len: n, .. } => n,
            Token::Doctype => 0,
        }
    }
}

#[derive(Debug)]
enum Scan {
    Token(Token),
    /// The token goes on past the bytes at hand (never when `eof`).
    NeedMore,
    Error(QuickError),
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\r' | b'\n' | b'\t')
}

/// The token at the start of `b` (not empty). `eof`: nothing follows `b`.
/// The rules are quick-xml 0.42's, so documents are accepted and refused alike.
#[inline(always)]
fn scan(b: &[u8], eof: bool) -> Scan {
    let need_more = |error: QuickError| {
        if eof {
            Scan::Error(error)
        } else {
            Scan::NeedMore
        }
    };
    let Some(&first) = b.first() else {
        return Scan::NeedMore;
    };
    match first {
        b'<' => {
            let Some(&second) = b.get(1) else {
                return need_more(SyntaxError::UnclosedTag.into());
            };
            match second {
                b'!' => scan_bang(b, eof),
                b'?' => {
                    // Ends at the first `?>` (the opening `?` counts: `<?>` is refused below).
                    let Some(i) = (2..b.len()).find(|&i| b[i] == b'>' && b[i - 1] == b'?') else {
                        return need_more(pi_error(b).into());
                    };
                    if i + 1 > 3 {
                        Scan::Token(Token::Skip(i + 1))
                    } else {
                        // `<?>`.
                        Scan::Token(Token::Refused {
                            len: i + 1,
                            error: Refusal::UnclosedPI,
                        })
                    }
                }
                _ => {
                    // Up to the first `>` outside quoted attribute values.
                    let mut from = 1;
                    let len = loop {
                        let Some(i) = find(b, from, [b'>', b'"', b'\'']) else {
                            return need_more(SyntaxError::UnclosedTag.into());
                        };
                        let quote = b[i];
                        if quote == b'>' {
                            break i + 1;
                        }
                        let Some(close) = find(b, i + 1, [quote]) else {
                            return need_more(
                                if quote == b'\'' {
                                    SyntaxError::UnclosedSingleQuotedAttributeValue
                                } else {
                                    SyntaxError::UnclosedDoubleQuotedAttributeValue
                                }
                                .into(),
                            );
                        };
                        from = close + 1;
                    };
                    if second == b'/' {
                        Scan::Token(Token::End(len))
                    } else {
                        Scan::Token(Token::Start {
                            len,
                            empty: b[len - 2] == b'/',
                        })
                    }
                }
            }
        }
        b'&' => {
            let unclosed = |len| {
                Scan::Token(Token::Refused {
                    len,
                    error: Refusal::UnclosedReference,
                })
            };
            match find(b, 1, [b';', b'&', b'<']) {
                Some(i) if b[i] == b';' => Scan::Token(Token::Ref(i + 1)),
                Some(i) => unclosed(i),
                None if eof => unclosed(b.len()),
                None => Scan::NeedMore,
            }
        }
        _ => {
            // Line ends are normalized only in texts that have a `\r`.
            let mut cr = first == b'\r';
            let mut from = 1;
            loop {
                return match find(b, from, [b'<', b'&', b'\r']) {
                    Some(i) if b[i] == b'\r' => {
                        cr = true;
                        from = i + 1;
                        continue;
                    }
                    Some(len) => Scan::Token(Token::Text { len, cr }),
                    None if eof => Scan::Token(Token::Text { len: b.len(), cr }),
                    None => Scan::NeedMore,
                };
            }
        }
    }
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` that equals `byte` (exact for the lowest one).
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (LOW_BITS * u64::from(byte));
    x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS
}

/// The first index from `from` on whose byte is one of `needles`, eight bytes at a time
/// (tags and values are short: this beats both a byte loop and a SIMD `memchr` call).
#[inline(always)]
fn find<const N: usize>(b: &[u8], from: usize, needles: [u8; N]) -> Option<usize> {
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_le_bytes(word);
        let hits = needles
            .iter()
            .fold(0, |hits, &needle| hits | bytes_equal(word, needle));
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|c| needles.contains(c))
        .map(|p| i + p)
}

fn pi_error(b: &[u8]) -> SyntaxError {
    let declaration =
        b.starts_with(b"<?xml") && b.get(5).is_none_or(|&c| is_whitespace(c) || c == b'?');
    if declaration {
        SyntaxError::UnclosedXmlDecl
    } else {
        SyntaxError::UnclosedPI
    }
}

/// `<!…`: comment, CDATA section or DOCTYPE.
fn scan_bang(b: &[u8], eof: bool) -> Scan {
    let need_more = |error: SyntaxError| {
        if eof {
            Scan::Error(error.into())
        } else {
            Scan::NeedMore
        }
    };
    let Some(&third) = b.get(2) else {
        return need_more(SyntaxError::InvalidBangMarkup);
    };
    let closing = |tail: &[u8], min: usize| {
        (0..b.len()).find(|&i| b[i] == b'>' && i > min && b[..i].ends_with(tail))
    };
    match third {
        b'-' => match closing(b"--", 5) {
            Some(i) if b.starts_with(b"<!--") => Scan::Token(Token::Skip(i + 1)),
            Some(i) => Scan::Token(Token::Refused {
                len: i + 1,
                error: Refusal::UnclosedComment,
            }),
            None => need_more(SyntaxError::UnclosedComment),
        },
        b'[' => match closing(b"]]", 0) {
            Some(i) if b.starts_with(b"<![CDATA[") => Scan::Token(Token::CData(i + 1)),
            Some(i) => Scan::Token(Token::Refused {
                len: i + 1,
                error: Refusal::UnclosedCData,
            }),
            None => need_more(SyntaxError::UnclosedCData),
        },
        b'D' | b'd' => match b.get(..9) {
            Some(start) if start.eq_ignore_ascii_case(b"<!DOCTYPE") => Scan::Token(Token::Doctype),
            Some(_) => Scan::Error(SyntaxError::UnclosedDoctype.into()),
            None => need_more(SyntaxError::UnclosedDoctype),
        },
        _ => Scan::Error(SyntaxError::InvalidBangMarkup.into()),
    }
}

/// The part of a name after its prefix (`ns:Amt` → `Amt`).
fn local(name: &str) -> &str {
    match name.bytes().position(|b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// A start tag's content (between `<` and `>` or `/>`): where its local name starts and
/// where its name ends (at the first whitespace), in one pass.
#[inline]
fn split_name(content: &[u8]) -> (usize, usize) {
    let mut local = None;
    for (i, &c) in content.iter().enumerate() {
        if is_whitespace(c) {
            return (local.unwrap_or(0), i);
        }
        if c == b':' && local.is_none() {
            local = Some(i + 1);
        }
    }
    (local.unwrap_or(0), content.len())
}

/// `text` without surrounding whitespace; most texts have none, and that is checked on
/// their first and last bytes only.
fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(&first), Some(&last))
            if (b'!'..0x80).contains(&first) && (b'!'..0x80).contains(&last) =>
        {
            text
        }
        _ => text.trim(),
    }
}

/// The `Ccy` of an amount written the usual way (` Ccy="DZD"`, or no attribute), without
/// the general attribute parser; `None` when the attributes need that parser.
fn plain_ccy(attributes: &str) -> Option<Option<&str>> {
    let b = attributes.as_bytes();
    if b.is_empty() {
        return Some(None);
    }
    // Bytes, not chars: every delimiter is ASCII, so the value's ends are char boundaries.
    let skip = b.iter().take_while(|&&c| is_whitespace(c)).count();
    if skip == 0 || !b[skip..].starts_with(b"Ccy=\"") {
        return None;
    }
    let from = skip + 5;
    let end = from + b[from..].iter().position(|&c| c == b'"')?;
    let plain = !b[from..end]
        .iter()
        .any(|&c| matches!(c, b'&' | b'\t' | b'\r' | b'\n'))
        && b[end + 1..].iter().all(|&c| is_whitespace(c));
    if !plain {
        return None;
    }
    attributes.get(from..end).map(Some)
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

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
const READ_AHEAD: usize = 64 * 1024;

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

/// The error quick-xml gave for a token that is not all UTF-8 (`raw` runs from its start
/// to the end of the input): it read the token whole, then failed to decode it — unless
/// its markup was wrong first.
fn undecodable_token(raw: &[u8]) -> QuickError {
    let token = match scan(raw, true) {
        Scan::Error(e) => return e,
        Scan::Token(token) => Some(token),
        Scan::NeedMore => None,
    };
    let end = token.map_or(raw.len(), |t| t.len().min(raw.len()));
    match (std::str::from_utf8(&raw[..end]), token) {
        (Err(e), _) => e.into(),
        (Ok(_), Some(Token::Refused { error, .. })) => error.into(),
        (Ok(_), _) => match std::str::from_utf8(raw) {
            Err(e) => e.into(),
            Ok(_) => SyntaxError::UnclosedTag.into(),
        },
    }
}

/// Validates this much of an in-memory document at a time, just ahead of the tokenizer
/// (while it is in cache), rather than all of it up front.
const VALIDATE_AHEAD: usize = 64 * 1024;

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

pub(crate) struct Walker<S: Source> {
    source: S,
    /// Where the next token starts, in `source.bytes()`.
    pos: usize,
    started: bool,
    /// Local names of the open elements, outermost first, kept in one buffer (`names`)
    /// with each name's end offset in `ends`: no allocation per element.
    names: String,
    ends: Vec<usize>,
    /// The text of the element being read, when it is not `lent`.
    text: String,
    /// The text, when it is a single piece of the input: its range in `source.text()`
    /// (no copy). Made owned before the input moves.
    lent: Option<(usize, usize)>,
    pending_close: bool,
    empty_pending: bool,
    /// `Ccy` of the most recently opened element, kept until the next open (`has_ccy`);
    /// the buffer is reused, so amounts cost no allocation.
    ccy: String,
    has_ccy: bool,
    seen_root: bool,
}

impl<R: BufRead> Walker<Buffered<R>> {
    pub fn new(input: R) -> Walker<Buffered<R>> {
        Walker::reading(input, READ_AHEAD)
    }

    fn reading(input: R, read_ahead: usize) -> Walker<Buffered<R>> {
        Walker::over(Buffered {
            reader: input,
            window: String::new(),
            base: 0,
            tail: Vec::new(),
            eof: false,
            invalid: false,
            read_ahead,
        })
    }
}

impl<'a> Walker<Slice<'a>> {
    pub fn slice(bytes: &'a [u8]) -> Walker<Slice<'a>> {
        Walker::slicing(bytes, VALIDATE_AHEAD)
    }

    fn slicing(bytes: &'a [u8], ahead: usize) -> Walker<Slice<'a>> {
        Walker::over(Slice {
            bytes,
            start: 0,
            text: "",
            ahead,
            counted: Cell::new(0),
            lines: Cell::new(0),
        })
    }
}

impl<S: Source> Walker<S> {
    fn over(source: S) -> Walker<S> {
        Walker {
            source,
            pos: 0,
            started: false,
            names: String::with_capacity(256),
            ends: Vec::with_capacity(32),
            text: String::new(),
            lent: None,
            pending_close: false,
            empty_pending: false,
            ccy: String::new(),
            has_ccy: false,
            seen_root: false,
        }
    }

    fn clear_text(&mut self) {
        self.text.clear();
        self.lent = None;
    }

    /// Copies lent text into `text`, so more can be appended or the input can move.
    fn own_text(&mut self) {
        if let Some((start, end)) = self.lent.take() {
            let source = self.source.text();
            self.text
                .push_str(source.get(start..end).unwrap_or_default());
        }
    }

    /// Appends `source.text()[start..end]` to the text.
    fn push_text(&mut self, start: usize, end: usize) {
        if self.lent.is_none() && self.text.is_empty() {
            self.lent = Some((start, end));
        } else {
            self.own_text();
            let source = self.source.text();
            self.text
                .push_str(source.get(start..end).unwrap_or_default());
        }
    }

    /// Where the walk is: just after the last token read.
    pub fn position(&self) -> Position {
        self.at_byte(self.source.base() + self.pos as u64)
    }

    fn at_byte(&self, byte: u64) -> Position {
        Position {
            byte,
            line: self.source.line_at(byte),
        }
    }

    /// `Ccy` of the most recently opened element, until the next one opens.
    pub fn last_ccy(&self) -> Option<&str> {
        self.has_ccy.then_some(self.ccy.as_str())
    }

    /// After `Step::Close`: the text the closed element held directly, trimmed.
    pub fn text(&self) -> &str {
        match self.lent {
            Some((start, end)) => trim(self.source.text().get(start..end).unwrap_or_default()),
            None => trim(&self.text),
        }
    }

    /// How many elements are open.
    pub fn depth(&self) -> usize {
        self.ends.len()
    }

    /// The name at `index` (0 = the root), as bytes (no char-boundary checks on the hot path).
    fn name_bytes(&self, index: usize) -> &[u8] {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.names.as_bytes()[start..self.ends[index]]
    }

    /// The local name of the innermost open element (or just closed, on `Close`).
    pub fn current(&self) -> &str {
        match self.ends.len() {
            0 => "",
            n => {
                let start = if n == 1 { 0 } else { self.ends[n - 2] };
                &self.names[start..]
            }
        }
    }

    /// True when the path ends with `suffix` (compared innermost first: leaves differ most).
    pub fn at(&self, suffix: &[&str]) -> bool {
        let depth = self.ends.len();
        if depth < suffix.len() {
            return false;
        }
        let names = self.names.as_bytes();
        let mut end = names.len();
        for (i, name) in suffix.iter().rev().enumerate() {
            let index = depth - 1 - i;
            let start = if index == 0 { 0 } else { self.ends[index - 1] };
            // Lengths first: most names differ there, without a byte compared.
            if end - start != name.len() || names[start..end] != *name.as_bytes() {
                return false;
            }
            end = start;
        }
        true
    }

    /// True when `name` is an open element.
    pub fn inside(&self, name: &str) -> bool {
        (0..self.ends.len()).any(|i| self.name_bytes(i) == name.as_bytes())
    }

    fn pop(&mut self) {
        self.ends.pop();
        let end = self.ends.last().copied().unwrap_or(0);
        self.names.truncate(end);
    }

    pub fn content_error(&self, message: impl Into<String>) -> XmlError {
        XmlError::Content {
            position: self.position(),
            message: message.into(),
        }
    }

    /// Advances. After a `Close`, the closed element is still the innermost name
    /// until the next call, so callers can match on it.
    pub fn next(&mut self) -> Result<Step, XmlError> {
        self.step().map_err(|mut e| {
            let line = self.source.line_at(e.position().byte);
            e.set_line(line);
            e
        })
    }

    /// Reads more input; false when nothing more could be added.
    fn fetch(&mut self, position: Position) -> Result<bool, XmlError> {
        self.own_text();
        let available = self.source.bytes().len() - self.pos;
        let dropped = self
            .source
            .more(self.pos)
            .map_err(|e| XmlError::Malformed {
                position,
                message: QuickError::from(e).to_string(),
            })?;
        self.pos -= dropped;
        Ok(self.source.bytes().len() - self.pos > available || self.source.complete())
    }

    /// Reads more input for the token at `pos`; an error when the input goes on but
    /// cannot be decoded.
    fn more(&mut self, position: Position) -> Result<(), XmlError> {
        if self.fetch(position)? {
            return Ok(());
        }
        Err(XmlError::Malformed {
            position,
            message: self.source.undecodable(self.pos).to_string(),
        })
    }

    fn step(&mut self) -> Result<Step, XmlError> {
        if self.pending_close {
            self.pending_close = false;
            self.pop();
            self.clear_text();
        }
        if self.empty_pending {
            self.empty_pending = false;
            self.pending_close = true;
            self.clear_text();
            return Ok(Step::Close);
        }
        loop {
            // The line is filled in by `next`.
            let position = Position {
                byte: self.source.base() + self.pos as u64,
                line: None,
            };
            let malformed = |error: QuickError| XmlError::Malformed {
                position,
                message: error.to_string(),
            };
            if !self.started {
                if self.source.bytes().len() < UTF8_BOM.len()
                    && !self.source.complete()
                    && self.fetch(position)?
                {
                    continue;
                }
                self.started = true;
                if self.source.bytes().starts_with(UTF8_BOM) {
                    self.pos = UTF8_BOM.len();
                    continue;
                }
            }
            let start = self.pos;
            let bytes = self.source.bytes();
            if start == bytes.len() {
                if self.source.complete() {
                    if !self.ends.is_empty() || !self.seen_root {
                        return Err(XmlError::Truncated { position });
                    }
                    return Ok(Step::Eof);
                }
                self.more(position)?;
                continue;
            }
            let token = match scan(&bytes[start..], self.source.complete()) {
                Scan::Token(token) => token,
                Scan::NeedMore => {
                    self.more(position)?;
                    continue;
                }
                Scan::Error(error) => return Err(malformed(error)),
            };
            if token == Token::Doctype {
                return Err(XmlError::Dtd { position });
            }
            let end = start + token.len();
            // Plain text (the most common token) is only lent: `text()` takes it from the
            // input when asked. It ends at `<`, `&` or the end of the input, so on a char
            // boundary.
            if let Token::Text { cr: false, .. } = token {
                self.pos = end;
                if !self.ends.is_empty() {
                    self.push_text(start, end);
                }
                continue;
            }
            // Only a document that is not UTF-8 has tokens past its valid start.
            let Some(piece) = self.source.text().get(start..end) else {
                return Err(malformed(match std::str::from_utf8(&bytes[start..end]) {
                    Err(e) => e.into(),
                    Ok(_) => SyntaxError::UnclosedTag.into(),
                }));
            };
            self.pos = end;
            match token {
                Token::Text { .. } => {
                    // With a `\r` (plain text went above): line ends are normalized.
                    if !self.ends.is_empty() {
                        let normalized =
                            BytesText::from_escaped(piece).xml10_content().into_owned();
                        self.own_text();
                        self.text.push_str(&normalized);
                    }
                }
                Token::CData(len) => {
                    let data = piece[9..len - 3].to_owned();
                    self.own_text();
                    self.text.push_str(&data);
                }
                Token::Ref(len) => {
                    let name = &piece[1..len - 1];
                    if name.starts_with('#') {
                        match BytesRef::new(name).resolve_char_ref() {
                            Ok(Some(c)) => {
                                self.own_text();
                                self.text.push(c);
                            }
                            _ => {
                                return Err(XmlError::Malformed {
                                    position,
                                    message: "invalid character reference".to_owned(),
                                });
                            }
                        }
                    } else {
                        let c = match name {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "apos" => '\'',
                            "quot" => '"',
                            _ => {
                                return Err(XmlError::Entity {
                                    position,
                                    name: name.to_owned(),
                                });
                            }
                        };
                        self.own_text();
                        self.text.push(c);
                    }
                }
                Token::Start { len, empty } => {
                    let content = &piece[1..len - if empty { 2 } else { 1 }];
                    let (local_start, name_len) = split_name(content.as_bytes());
                    if self.ends.len() >= MAX_DEPTH {
                        return Err(XmlError::TooDeep { position });
                    }
                    self.names.push_str(&content[local_start..name_len]);
                    self.ends.push(self.names.len());
                    let mut xmlns = None;
                    self.ccy.clear();
                    self.has_ccy = false;
                    // Only the root's namespace and the amounts' currency are ever read:
                    // other elements' attributes are not parsed at all.
                    let amount = self.names.ends_with("Amt");
                    if let Some(plain) = (amount && self.ends.len() > 1)
                        .then(|| plain_ccy(&content[name_len..]))
                        .flatten()
                    {
                        if let Some(value) = plain {
                            self.ccy.push_str(value);
                            self.has_ccy = true;
                        }
                    } else if self.ends.len() == 1 || amount {
                        let start = BytesStart::from_content(content, name_len);
                        for attribute in start.attributes().with_checks(false).flatten() {
                            let key = attribute.key.as_ref();
                            if key == "Ccy" {
                                // The last `Ccy` counts, even one that cannot be read.
                                self.ccy.clear();
                                self.has_ccy = false;
                                if let Ok(value) =
                                    attribute.normalized_value(XmlVersion::Implicit1_0)
                                {
                                    self.ccy.push_str(&value);
                                    self.has_ccy = true;
                                }
                            } else if key == "xmlns" {
                                xmlns = attribute
                                    .normalized_value(XmlVersion::Implicit1_0)
                                    .ok()
                                    .map(|v| v.into_owned());
                            }
                        }
                    }
                    self.seen_root = true;
                    self.clear_text();
                    // An empty element is an open immediately followed by a close.
                    self.empty_pending = empty;
                    return Ok(Step::Open { xmlns });
                }
                Token::End(len) => {
                    let content = &piece[2..len - 1];
                    // Usually the closing tag is exactly the open name (unprefixed).
                    if let Some(index) = self.ends.len().checked_sub(1) {
                        let start = if index == 0 { 0 } else { self.ends[index - 1] };
                        let current = &self.names.as_bytes()[start..];
                        if current == content.as_bytes() && find(current, 0, [b':']).is_none() {
                            self.pending_close = true;
                            return Ok(Step::Close);
                        }
                    }
                    // XML allows whitespace after the name in a closing tag.
                    let name = match content.bytes().rposition(|b| !is_whitespace(b)) {
                        Some(last) => &content[..=last],
                        None => content,
                    };
                    if self.ends.is_empty() {
                        return Err(malformed(
                            IllFormedError::UnmatchedEndTag(name.to_owned()).into(),
                        ));
                    }
                    let name = local(name);
                    let start = self.ends.len().checked_sub(2).map_or(0, |i| self.ends[i]);
                    if self.names.as_bytes()[start..] != *name.as_bytes() {
                        return Err(XmlError::Malformed {
                            position,
                            message: format!(
                                "closing tag </{}> does not match <{}>",
                                name,
                                &self.names[start..]
                            ),
                        });
                    }
                    self.pending_close = true;
                    return Ok(Step::Close);
                }
                Token::Refused { error, .. } => return Err(malformed(error.into())),
                Token::Skip(_) | Token::Doctype => {}
            }
        }
    }
}

#[cfg(test)]
#[allow(dead_code)]
mod reference;

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use proptest::prelude::*;

    use super::{Walker, XmlError, reference};

    /// Everything a reader can see of a walk, step by step.
    fn trace_new<S: super::Source>(mut walker: Walker<S>) -> Vec<String> {
        let mut out = Vec::new();
        for _ in 0..10_000 {
            match walker.next() {
                Ok(step) => {
                    let done = matches!(step, super::Step::Eof);
                    out.push(format!(
                        "{step:?} depth={} current={:?} text={:?} ccy={:?} at={:?} {:?}",
                        walker.depth(),
                        walker.current(),
                        walker.text(),
                        walker.last_ccy().map(str::to_owned),
                        walker.position(),
                        walker.at(&["Ntry", "Amt"]),
                    ));
                    if done {
                        break;
                    }
                }
                Err(e) => {
                    out.push(describe(&e));
                    break;
                }
            }
        }
        out
    }

    fn trace_old<S: reference::Source>(mut walker: reference::Walker<S>) -> Vec<String> {
        let mut out = Vec::new();
        for _ in 0..10_000 {
            match walker.next() {
                Ok(step) => {
                    let done = matches!(step, super::Step::Eof);
                    out.push(format!(
                        "{step:?} depth={} current={:?} text={:?} ccy={:?} at={:?} {:?}",
                        walker.depth(),
                        walker.current(),
                        walker.text(),
                        walker.last_ccy,
                        walker.position(),
                        walker.at(&["Ntry", "Amt"]),
                    ));
                    if done {
                        break;
                    }
                }
                Err(e) => {
                    out.push(describe(&e));
                    break;
                }
            }
        }
        out
    }

    /// A DOCTYPE is refused as such even when quick-xml would first have found it
    /// malformed (unclosed, or without a name): the same refusal at the same place.
    fn describe(e: &XmlError) -> String {
        match e {
            XmlError::Malformed { position, message } if message.contains("DOCTYPE") => {
                format!(
                    "{:?}",
                    XmlError::Dtd {
                        position: *position
                    }
                )
            }
            other => format!("{other:?}"),
        }
    }

    /// Equal traces, but for a DOCTYPE that quick-xml first found malformed or not UTF-8:
    /// refused here as a DTD at the same byte.
    fn same(new: &[String], old: &[String]) -> bool {
        new == old
            || (new.len() == old.len()
                && new[..new.len() - 1] == old[..old.len() - 1]
                && new.last().zip(old.last()).is_some_and(|(n, o)| {
                    n.starts_with("Dtd {")
                        && o.starts_with("Malformed {")
                        && o.contains(n.trim_start_matches("Dtd { ").trim_end_matches(" }"))
                }))
    }

    /// The old and new walkers agree on `bytes`, in memory and streamed through reads of
    /// every size.
    fn agree(bytes: &[u8]) -> Result<(), TestCaseError> {
        // quick-xml did not count a byte-order mark in positions; we do.
        if bytes.starts_with(b"\xEF\xBB\xBF") {
            return Ok(());
        }
        let old = trace_old(reference::Walker::slice(bytes));
        for ahead in [1, 2, 5, 64 * 1024] {
            let new = trace_new(Walker::slicing(bytes, ahead));
            prop_assert!(
                same(&new, &old),
                "in memory by {}:\n{:?}\n{:?}",
                ahead,
                new,
                old
            );
        }
        // Streamed, positions carry no line.
        let old_streamed = trace_old(reference::Walker::new(BufReader::with_capacity(7, bytes)));
        for (capacity, read_ahead) in [(1, 1), (3, 2), (7, 5), (4096, 64 * 1024)] {
            let new = trace_new(Walker::reading(
                BufReader::with_capacity(capacity, bytes),
                read_ahead,
            ));
            prop_assert!(
                same(&new, &old_streamed),
                "streamed by {}:\n{:?}\n{:?}",
                capacity,
                new,
                old_streamed
            );
        }
        Ok(())
    }

    const PIECES: &[&[u8]] = &[
        b"<",
        b">",
        b"/",
        b"/>",
        b"</",
        b"a",
        b"Amt",
        b"ns:Amt",
        b"Ntry",
        b" ",
        b"\"",
        b"'",
        b"=",
        b" Ccy=\"DZD\"",
        b" Ccy='E&amp;R'",
        b" xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\"",
        b"&",
        b";",
        b"&amp;",
        b"&lt;",
        b"&#x41;",
        b"&#65;",
        b"&#0;",
        b"&foo;",
        b"<!--",
        b"-->",
        b"--",
        b"<!-",
        b"<![CDATA[",
        b"]]>",
        b"]]",
        b"<!",
        b"<![",
        b"<?",
        b"?>",
        b"<?xml version=\"1.0\"?>",
        b"<?xml",
        b"<!DOCTYPE",
        b"<!doctype x>",
        b"<!Dx>",
        b"\r\n",
        b"\r",
        b"\n",
        b"\t",
        b"\xC3\xA9",
        b"\xE2\x82\xAC",
        b"\xFF",
        b"\xE2\x82",
        b"\xC3",
        b"<a>",
        b"</a>",
        b"<Ntry>",
        b"</Ntry>",
        b"<Amt Ccy=\"DZD\">12.50</Amt>",
        b"<b:Ntry>",
        b"</b:Ntry >",
        b"<Ntry/>",
        b"<Ntry />",
        b"< a>",
        b"</>",
        b"<>",
        b"text",
    ];

    fn noise() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(prop::sample::select(PIECES), 0..40)
            .prop_map(|pieces| pieces.concat())
    }

    const DOCUMENT: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.02\"><BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>M&amp;1</MsgId></GrpHdr><Ntfctn><!-- c --><Ntry><Amt Ccy=\"DZD\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><NtryDtls><TxDtls><Refs><EndToEndId>E&#x41;\u{e9}</EndToEndId></Refs><RtrInf><Rsn><Cd><![CDATA[AM04]]></Cd></Rsn></RtrInf></TxDtls></NtryDtls><AddtlNtryInf>a\r\nb\rc</AddtlNtryInf></Ntry>\n</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn the_walk_is_the_one_quick_xml_gave_on_noise(bytes in noise()) {
            agree(&bytes)?;
        }

        #[test]
        fn the_walk_is_the_one_quick_xml_gave_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            agree(&bytes)?;
        }

        #[test]
        fn the_walk_is_the_one_quick_xml_gave_on_mangled_documents(
            cut in 0usize..700,
            at in 0usize..700,
            insert in prop::sample::select(PIECES),
            replace in any::<bool>(),
        ) {
            let mut bytes = DOCUMENT.as_bytes().to_vec();
            let at = at.min(bytes.len());
            if replace && at < bytes.len() {
                bytes.remove(at);
            }
            bytes.splice(at..at, insert.iter().copied());
            bytes.truncate(cut.max(1));
            agree(&bytes)?;
        }
    }

    #[test]
    fn positions_count_a_byte_order_mark() {
        let bytes = b"\xEF\xBB\xBF<a></b>";
        let position = |e: XmlError| e.position().byte;
        let mut old = reference::Walker::slice(bytes);
        old.next().unwrap();
        assert_eq!(
            position(old.next().unwrap_err()),
            3,
            "quick-xml left the mark out"
        );
        let mut new = Walker::slice(bytes);
        new.next().unwrap();
        assert_eq!(position(new.next().unwrap_err()), 6);
        let mut streamed = Walker::new(&bytes[..]);
        streamed.next().unwrap();
        assert_eq!(position(streamed.next().unwrap_err()), 6);
    }

    #[test]
    fn whole_documents_walk_as_before() {
        agree(DOCUMENT.as_bytes()).unwrap();
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/iso20022/samples");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                for inner in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                    if inner.path().extension().is_some_and(|e| e == "xml") {
                        agree(&std::fs::read(inner.path()).unwrap()).unwrap();
                        seen += 1;
                    }
                }
            } else if path.extension().is_some_and(|e| e == "xml") {
                agree(&std::fs::read(&path).unwrap()).unwrap();
                seen += 1;
            }
        }
        eprintln!("{seen} shared samples walked alike");
    }
}

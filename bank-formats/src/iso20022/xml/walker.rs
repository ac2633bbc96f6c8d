//! The walker the readers use: steps (an element opens, an element closes with its text, the
//! end), the path of open local names, and the few attributes read (the root's `xmlns`, an
//! amount's `Ccy`). Turns the tokenizer's pieces into steps, resolving references and
//! refusing DTDs, unknown entities and deep nesting. Knows nothing of any ISO message.

use std::io::BufRead;

use quick_xml::XmlVersion;
use quick_xml::errors::{Error as QuickError, IllFormedError, SyntaxError};
use quick_xml::events::{BytesRef, BytesStart, BytesText};

use super::error::{MAX_DEPTH, MAX_TEXT, MAX_TOKEN, Position, XmlError};
use super::scan::{Scan, Token, find, is_whitespace, scan};
use super::source::{Buffered, READ_AHEAD, Slice, Source, VALIDATE_AHEAD};

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

/// Anything but whitespace, comments and processing instructions after the root element
/// closed: most likely two documents written one after the other, which are refused
/// rather than read as one.
pub(super) fn after_root(position: Position) -> XmlError {
    XmlError::Content {
        position,
        message: "content after the root element ends (two documents in one file?): a bank file holds exactly one document".to_owned(),
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

    /// Reads at least `read_ahead` bytes at a time (small in tests, to cut tokens everywhere).
    pub(super) fn reading(input: R, read_ahead: usize) -> Walker<Buffered<R>> {
        Walker::over(Buffered::new(input, read_ahead))
    }
}

impl<'a> Walker<Slice<'a>> {
    pub fn slice(bytes: &'a [u8]) -> Walker<Slice<'a>> {
        Walker::slicing(bytes, VALIDATE_AHEAD)
    }

    /// Validates at least `ahead` bytes at a time (small in tests, to cut tokens everywhere).
    pub(super) fn slicing(bytes: &'a [u8], ahead: usize) -> Walker<Slice<'a>> {
        Walker::over(Slice::new(bytes, ahead))
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

    /// Where byte `byte` of the input as the walker sees it lies in the file.
    fn at_byte(&self, byte: u64) -> Position {
        Position {
            byte: self.source.original(byte),
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

    /// After `Step::Close`: the text, when it has at most `max` characters (the schema's
    /// `Max35Text`, `Max140Text`, …); else an error naming the element and both lengths.
    pub fn field(&self, max: usize) -> Result<&str, XmlError> {
        let text = self.text();
        if text.len() > max {
            let chars = text.chars().count();
            if chars > max {
                return Err(self.content_error(format!(
                    "<{}> holds {chars} characters; ISO 20022 allows at most {max} there \
                     (Max{max}Text): the file is damaged or not a genuine bank report",
                    self.current()
                )));
            }
        }
        Ok(text)
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
            e.set_position(self.at_byte(e.position().byte));
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
        Err(self.source.undecodable(self.pos, position))
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
            // One element's text, made of many pieces (references, CDATA sections), is
            // bounded like one piece: memory stays flat whatever the file holds.
            if self.text.len() > MAX_TEXT {
                return Err(XmlError::Content {
                    position,
                    message: format!(
                        "<{}> holds more than {MAX_TEXT} bytes of text; no field of a bank file is that long",
                        self.current()
                    ),
                });
            }
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
                    // Checked while streaming: a hostile file with one huge piece of text
                    // or markup is refused before it sits in memory.
                    if bytes.len() - start > MAX_TOKEN {
                        return Err(XmlError::Content {
                            position,
                            message: format!(
                                "more than {MAX_TOKEN} bytes of text or markup in one piece; no field of a bank file is that long"
                            ),
                        });
                    }
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
                } else if self.seen_root && !bytes[start..end].iter().all(|&b| is_whitespace(b)) {
                    return Err(after_root(position));
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
            if self.ends.is_empty() && self.seen_root {
                let content = match token {
                    Token::Text { .. } => !piece.bytes().all(is_whitespace),
                    Token::CData(_) | Token::Ref(_) | Token::Start { .. } => true,
                    _ => false,
                };
                if content {
                    return Err(after_root(position));
                }
            }
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
                        let mut prefixed = false;
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
                            } else if key == "xmlns" && !prefixed {
                                xmlns = attribute
                                    .normalized_value(XmlVersion::Implicit1_0)
                                    .ok()
                                    .map(|v| v.into_owned());
                            } else if local_start > 0
                                && key.strip_prefix("xmlns:") == Some(&content[..local_start - 1])
                            {
                                // `<ns2:Document xmlns:ns2="…">`: the namespace of the
                                // root's own prefix (Java tools prefix every element).
                                xmlns = attribute
                                    .normalized_value(XmlVersion::Implicit1_0)
                                    .ok()
                                    .map(|v| v.into_owned());
                                prefixed = true;
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

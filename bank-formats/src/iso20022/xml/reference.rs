//! The quick-xml walker this crate used before its own tokenizer, kept for tests only:
//! the new walker must see every document exactly as this one did.

use std::cell::Cell;
use std::io::BufRead;

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

use super::error::MAX_DEPTH;
use super::{Position, Step, XmlError};

/// Where events come from: a buffered reader (any `BufRead`, constant memory) or a
/// byte slice already in memory (no copying: about twice as fast).
pub(crate) trait Source {
    fn event(&mut self) -> quick_xml::Result<Event<'_>>;
    fn position(&self) -> u64;
    /// The line of byte `byte`, where that is cheap to know.
    fn line_at(&self, _byte: u64) -> Option<u64> {
        None
    }
}

pub(crate) struct Buffered<R: BufRead> {
    reader: Reader<R>,
    buf: Vec<u8>,
}

impl<R: BufRead> Source for Buffered<R> {
    fn event(&mut self) -> quick_xml::Result<Event<'_>> {
        self.buf.clear();
        self.reader.read_event_into(&mut self.buf)
    }
    fn position(&self) -> u64 {
        self.reader.buffer_position()
    }
}

pub(crate) struct Slice<'a> {
    reader: Reader<&'a [u8]>,
    bytes: &'a [u8],
    /// Lines are counted lazily and incrementally: newlines before `counted` number `lines`.
    counted: Cell<usize>,
    lines: Cell<u64>,
}

impl Source for Slice<'_> {
    fn event(&mut self) -> quick_xml::Result<Event<'_>> {
        self.reader.read_event()
    }
    fn position(&self) -> u64 {
        self.reader.buffer_position()
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

fn configure<R>(reader: &mut Reader<R>) {
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = false;
    config.expand_empty_elements = false;
}

pub(crate) struct Walker<S: Source> {
    source: S,
    /// Local names of the open elements, outermost first, kept in one buffer (`names`)
    /// with each name's end offset in `ends`: no allocation per element.
    names: String,
    ends: Vec<usize>,
    text: String,
    pending_close: bool,
    empty_pending: bool,
    /// `Ccy` of the most recently opened element, kept until the next open.
    pub last_ccy: Option<String>,
    seen_root: bool,
}

impl<R: BufRead> Walker<Buffered<R>> {
    pub fn new(input: R) -> Walker<Buffered<R>> {
        let mut reader = Reader::from_reader(input);
        configure(&mut reader);
        Walker::over(Buffered {
            reader,
            buf: Vec::with_capacity(1024),
        })
    }
}

impl<'a> Walker<Slice<'a>> {
    pub fn slice(bytes: &'a [u8]) -> Walker<Slice<'a>> {
        let mut reader = Reader::from_reader(bytes);
        configure(&mut reader);
        Walker::over(Slice {
            reader,
            bytes,
            counted: Cell::new(0),
            lines: Cell::new(0),
        })
    }
}

impl<S: Source> Walker<S> {
    fn over(source: S) -> Walker<S> {
        Walker {
            source,
            names: String::with_capacity(256),
            ends: Vec::with_capacity(32),
            text: String::new(),
            pending_close: false,
            empty_pending: false,
            last_ccy: None,
            seen_root: false,
        }
    }

    /// Where the walk is: just after the last event read.
    pub fn position(&self) -> Position {
        self.at_byte(self.source.position())
    }

    fn at_byte(&self, byte: u64) -> Position {
        Position {
            byte,
            line: self.source.line_at(byte),
        }
    }

    /// After `Step::Close`: the text the closed element held directly, trimmed.
    pub fn text(&self) -> &str {
        self.text.trim()
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
        depth >= suffix.len()
            && suffix
                .iter()
                .rev()
                .enumerate()
                .all(|(i, name)| self.name_bytes(depth - 1 - i) == name.as_bytes())
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
            e.set_position(super::Position {
                line,
                ..e.position()
            });
            e
        })
    }

    fn step(&mut self) -> Result<Step, XmlError> {
        if self.pending_close {
            self.pending_close = false;
            self.pop();
            self.text.clear();
        }
        if self.empty_pending {
            self.empty_pending = false;
            self.pending_close = true;
            self.text.clear();
            return Ok(Step::Close);
        }
        loop {
            // The line is filled in by `next`, once the event's borrow has ended.
            let position = Position {
                byte: self.source.position(),
                line: None,
            };
            let event = self.source.event().map_err(|e| XmlError::Malformed {
                position,
                message: e.to_string(),
            })?;
            if self.ends.is_empty() && self.seen_root {
                let content = match &event {
                    Event::Text(text) => !text
                        .as_ref()
                        .bytes()
                        .all(|b| matches!(b, b' ' | b'\r' | b'\n' | b'\t')),
                    Event::CData(_) | Event::GeneralRef(_) | Event::Start(_) | Event::Empty(_) => {
                        true
                    }
                    _ => false,
                };
                if content {
                    return Err(super::walker::after_root(position));
                }
            }
            match event {
                Event::Start(ref start) | Event::Empty(ref start) => {
                    let empty = matches!(event, Event::Empty(_));
                    if self.ends.len() >= MAX_DEPTH {
                        return Err(XmlError::TooDeep { position });
                    }
                    self.names.push_str(start.local_name().as_ref());
                    self.ends.push(self.names.len());
                    let mut ccy = None;
                    let mut xmlns = None;
                    // Only the root's namespace and the amounts' currency are ever read:
                    // other elements' attributes are not parsed at all.
                    if self.ends.len() == 1 || self.names.ends_with("Amt") {
                        let qname = start.name();
                        let full: &str = qname.as_ref();
                        let prefix = full.split_once(':').map(|(p, _)| p);
                        let mut prefixed = false;
                        for attribute in start.attributes().with_checks(false).flatten() {
                            let key = attribute.key.as_ref();
                            if key == "Ccy" {
                                ccy = attribute
                                    .normalized_value(XmlVersion::Implicit1_0)
                                    .ok()
                                    .map(|v| v.into_owned());
                            } else if key == "xmlns" && !prefixed {
                                xmlns = attribute
                                    .normalized_value(XmlVersion::Implicit1_0)
                                    .ok()
                                    .map(|v| v.into_owned());
                            } else if prefix.is_some() && key.strip_prefix("xmlns:") == prefix {
                                xmlns = attribute
                                    .normalized_value(XmlVersion::Implicit1_0)
                                    .ok()
                                    .map(|v| v.into_owned());
                                prefixed = true;
                            }
                        }
                    }
                    self.seen_root = true;
                    self.text.clear();
                    self.last_ccy = ccy;
                    // An empty element is an open immediately followed by a close.
                    self.empty_pending = empty;
                    return Ok(Step::Open { xmlns });
                }
                Event::End(end) => {
                    if self.ends.is_empty() {
                        return Err(XmlError::Malformed {
                            position,
                            message: "closing tag without an opening one".to_owned(),
                        });
                    }
                    // Matching end tags are checked here, on the path we keep anyway
                    // (quick-xml's own check would keep a second copy of every name).
                    let start = self.ends.len().checked_sub(2).map_or(0, |i| self.ends[i]);
                    if self.names.as_bytes()[start..] != *end.local_name().as_ref().as_bytes() {
                        return Err(XmlError::Malformed {
                            position,
                            message: format!(
                                "closing tag </{}> does not match <{}>",
                                end.local_name().as_ref(),
                                &self.names[start..]
                            ),
                        });
                    }
                    self.pending_close = true;
                    return Ok(Step::Close);
                }
                Event::Text(text) => {
                    if !self.ends.is_empty() {
                        self.text.push_str(&text.xml10_content());
                    }
                }
                Event::CData(data) => {
                    self.text.push_str(&data);
                }
                Event::GeneralRef(reference) => {
                    if reference.is_char_ref() {
                        match reference.resolve_char_ref() {
                            Ok(Some(c)) => self.text.push(c),
                            _ => {
                                return Err(XmlError::Malformed {
                                    position,
                                    message: "invalid character reference".to_owned(),
                                });
                            }
                        }
                    } else {
                        let name = reference.to_string();
                        let c = match name.as_str() {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "apos" => '\'',
                            "quot" => '"',
                            _ => return Err(XmlError::Entity { position, name }),
                        };
                        self.text.push(c);
                    }
                }
                Event::DocType(_) => return Err(XmlError::Dtd { position }),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => {
                    if !self.ends.is_empty() || !self.seen_root {
                        return Err(XmlError::Truncated { position });
                    }
                    return Ok(Step::Eof);
                }
            }
        }
    }
}

//! Reading: bytes → lines → typed records, with the file structure and totals checked
//! as the records go by (so a million-line file never has to sit in memory).

use std::io::{BufRead, ErrorKind};

use mandates::Amount;

use super::codec::{decode, outside_restricted};
use super::description::Frame;
use super::{
    Charset, CountOf, Encoding, FieldKind, Layout, LayoutError, LayoutFile, LineEnding, Record,
    RecordDef, RecordRole, Value,
};

/// The most problems a strict validation lists before giving up.
const MAX_PROBLEMS: usize = 1000;

impl Layout {
    /// Streams the records of a file, header first and trailer last. The iterator yields
    /// the first problem as an `Err` and then stops; a file that ends without its trailer
    /// yields a final `Err`. Reading is lenient where real files vary harmlessly: LF or
    /// CRLF whatever the layout says, a missing final line ending, blank lines, records
    /// shortened by stripped trailing spaces.
    pub fn records<R: BufRead>(&self, reader: R) -> RecordReader<'_, R> {
        RecordReader {
            layout: self,
            lines: LineSource::new(self, reader),
            checker: Checker::new(self),
            strict: false,
            finished: false,
        }
    }

    /// Reads a whole file into memory (see [`Layout::records`] for streaming).
    pub fn read(&self, bytes: &[u8]) -> Result<LayoutFile, LayoutError> {
        let mut header = None;
        let mut trailer = None;
        let mut details = Vec::new();
        for record in self.records(bytes) {
            let record = record?;
            match record.role() {
                RecordRole::Header => header = Some(record),
                RecordRole::Detail => details.push(record),
                RecordRole::Trailer => trailer = Some(record),
            }
        }
        match (header, trailer) {
            (Some(header), Some(trailer)) => Ok(LayoutFile {
                layout_name: self.name().to_owned(),
                header,
                details,
                trailer,
            }),
            // The reader already reported a missing header or trailer.
            _ => Err(LayoutError::File(
                "the file has no header or no trailer".into(),
            )),
        }
    }

    /// Streams a file, handing each detail to `on_detail`; returns the header and the
    /// trailer once the totals have been checked.
    pub fn read_from<R: BufRead>(
        &self,
        reader: R,
        mut on_detail: impl FnMut(Record) -> Result<(), LayoutError>,
    ) -> Result<(Record, Record), LayoutError> {
        let mut header = None;
        let mut trailer = None;
        for record in self.records(reader) {
            let record = record?;
            match record.role() {
                RecordRole::Header => header = Some(record),
                RecordRole::Detail => on_detail(record)?,
                RecordRole::Trailer => trailer = Some(record),
            }
        }
        match (header, trailer) {
            (Some(header), Some(trailer)) => Ok((header, trailer)),
            _ => Err(LayoutError::File(
                "the file has no header or no trailer".into(),
            )),
        }
    }

    /// Checks a file strictly, as our own output must be: every problem, one per entry,
    /// in file order (empty means valid). Beyond the lenient reader's checks: the line
    /// ending the layout declares on every record, the exact record length, and alpha
    /// fields within the layout's charset.
    pub fn validate(&self, bytes: &[u8]) -> Vec<LayoutError> {
        validate_strictly(self, bytes, &mut Checker::new(self))
    }
}

/// The structure and totals a strict validation follows as the records go by (a
/// single-batch or a batched file's), beyond each record's own fields.
pub(super) trait Structure {
    /// Takes in the record at `line`, of type `def` (`None`: unknown). `record` is `None`
    /// when the line could not be read (already reported), and `clean` is false when one
    /// of its fields could not (its values are then not to be trusted for the totals).
    fn line(
        &mut self,
        def: Option<&RecordDef>,
        line: usize,
        record: Option<&Record>,
        clean: bool,
    ) -> Result<(), LayoutError>;

    /// The problem of a file that ends here, if any.
    fn end(&self) -> Result<(), LayoutError>;
}

/// Checks a file strictly, as our own output must be, following `structure`: every
/// problem, one per entry, in file order (empty means valid), at most [`MAX_PROBLEMS`].
pub(super) fn validate_strictly(
    layout: &impl Frame,
    bytes: &[u8],
    structure: &mut impl Structure,
) -> Vec<LayoutError> {
    let mut problems = Vec::new();
    let mut lines = LineSource::new(layout, bytes);
    lines.strict = true;
    while let Some(line) = lines.next_line() {
        if problems.len() >= MAX_PROBLEMS {
            problems.push(LayoutError::File(format!(
                "stopped after {MAX_PROBLEMS} problems"
            )));
            return problems;
        }
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                problems.push(e);
                break;
            }
        };
        // The first problem of each record only: one bad byte is one problem, and an
        // unreadable record still counts in the file's structure (its sequence
        // numbers, counts and totals), so it does not make every record after it wrong.
        let (record, errors) = parse_line(layout, &line, true);
        let mut first = errors.into_iter().next();
        let clean = first.is_none();
        let taken = match &record {
            Some((def, record)) => structure.line(Some(def), line.number, Some(record), clean),
            None => structure.line(def_of_raw(layout, &line.bytes), line.number, None, clean),
        };
        if let Err(e) = taken {
            first.get_or_insert(e);
        }
        problems.extend(first);
    }
    if let Err(e) = structure.end() {
        problems.push(e);
    }
    problems
}

impl Structure for Checker {
    fn line(
        &mut self,
        def: Option<&RecordDef>,
        _line: usize,
        record: Option<&Record>,
        _clean: bool,
    ) -> Result<(), LayoutError> {
        match record {
            Some(record) => self.observe(record),
            None => {
                self.unreadable(def.map(RecordDef::role));
                Ok(())
            }
        }
    }

    fn end(&self) -> Result<(), LayoutError> {
        self.finish()
    }
}

/// The streaming reader returned by [`Layout::records`].
#[derive(Debug)]
pub struct RecordReader<'l, R> {
    layout: &'l Layout,
    lines: LineSource<R>,
    checker: Checker,
    strict: bool,
    finished: bool,
}

impl<R: BufRead> Iterator for RecordReader<'_, R> {
    type Item = Result<Record, LayoutError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let mut next = self.lines.next_line();
        // Blank lines between records are harmless.
        while matches!(&next, Some(Ok(line)) if line.bytes.is_empty() && !self.strict) {
            next = self.lines.next_line();
        }
        let outcome = match next {
            None => {
                self.finished = true;
                return self.checker.finish().err().map(Err);
            }
            Some(Err(e)) => Err(e),
            Some(Ok(line)) => {
                let (record, mut errors) = parse_line(self.layout, &line, self.strict);
                match record {
                    Some((_, record)) if errors.is_empty() => match self.checker.observe(&record) {
                        Ok(()) => Ok(record),
                        Err(e) => Err(e),
                    },
                    _ => Err(if errors.is_empty() {
                        LayoutError::Line {
                            line: line.number,
                            problem: "unreadable record".into(),
                        }
                    } else {
                        errors.swap_remove(0)
                    }),
                }
            }
        };
        if outcome.is_err() {
            self.finished = true;
        }
        Some(outcome)
    }
}

/// How a line ended in the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    CrLf,
    Lf,
    /// End of input (last line without an ending, or fixed-length records).
    Eof,
    /// Fixed-length record with no separator, as the layout says.
    Fixed,
}

#[derive(Debug)]
pub(super) struct RawLine {
    pub(super) number: usize,
    pub(super) bytes: Vec<u8>,
    pub(super) seen: Seen,
}

/// Splits input into records, never holding more than one (bounded) record.
#[derive(Debug)]
pub(super) struct LineSource<R> {
    reader: R,
    ending: LineEnding,
    record_bytes: usize,
    max_bytes: usize,
    number: usize,
    failed: bool,
    /// `validate`: a DOS end-of-file mark after the last record is a problem.
    pub(super) strict: bool,
}

impl<R: BufRead> LineSource<R> {
    pub(super) fn new(layout: &impl Frame, reader: R) -> Self {
        let per_char = match layout.encoding() {
            Encoding::Utf8 => 4,
            Encoding::Ascii | Encoding::Latin1 => 1,
        };
        LineSource {
            reader,
            ending: layout.line_ending(),
            record_bytes: layout.record_length(),
            max_bytes: layout.record_length() * per_char + 2,
            number: 0,
            failed: false,
            strict: false,
        }
    }

    pub(super) fn next_line(&mut self) -> Option<Result<RawLine, LayoutError>> {
        if self.failed {
            return None;
        }
        let result = match self.ending {
            LineEnding::None => self.next_fixed(),
            LineEnding::CrLf | LineEnding::Lf => self.next_separated(),
        };
        if matches!(result, Some(Err(_))) {
            self.failed = true;
        }
        result
    }

    fn next_separated(&mut self) -> Option<Result<RawLine, LayoutError>> {
        self.number += 1;
        let mut bytes = Vec::new();
        let seen = loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e.into())),
            };
            if available.is_empty() {
                break Seen::Eof;
            }
            match available.iter().position(|&b| b == b'\n') {
                Some(pos) => {
                    bytes.extend_from_slice(&available[..pos]);
                    self.reader.consume(pos + 1);
                    break Seen::Lf;
                }
                None => {
                    let n = available.len();
                    bytes.extend_from_slice(available);
                    self.reader.consume(n);
                }
            }
            if bytes.len() > self.max_bytes {
                return Some(Err(LayoutError::Line {
                    line: self.number,
                    problem: format!(
                        "no line ending within {} bytes (records are {} characters)",
                        self.max_bytes, self.record_bytes
                    ),
                }));
            }
        };
        let seen = if seen == Seen::Lf && bytes.last() == Some(&b'\r') {
            bytes.pop();
            Seen::CrLf
        } else {
            seen
        };
        if seen == Seen::Eof && is_end_noise(&bytes) {
            return self.dos_end(&bytes);
        }
        if bytes.len() > self.max_bytes {
            return Some(Err(LayoutError::Line {
                line: self.number,
                problem: format!(
                    "{} bytes long; records are {} characters",
                    bytes.len(),
                    self.record_bytes
                ),
            }));
        }
        Some(Ok(RawLine {
            number: self.number,
            bytes,
            seen,
        }))
    }

    fn next_fixed(&mut self) -> Option<Result<RawLine, LayoutError>> {
        self.number += 1;
        let mut bytes = Vec::with_capacity(self.record_bytes);
        while bytes.len() < self.record_bytes {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e.into())),
            };
            if available.is_empty() {
                break;
            }
            let n = available.len().min(self.record_bytes - bytes.len());
            bytes.extend_from_slice(&available[..n]);
            self.reader.consume(n);
        }
        if bytes.len() == self.record_bytes {
            return Some(Ok(RawLine {
                number: self.number,
                bytes,
                seen: Seen::Fixed,
            }));
        }
        if is_end_noise(&bytes) {
            return self.dos_end(&bytes);
        }
        Some(Ok(RawLine {
            number: self.number,
            bytes,
            seen: Seen::Eof,
        }))
    }
}

impl<R> LineSource<R> {
    /// The end of the input, after the trailing `noise`: a problem for `validate` when it
    /// holds a DOS end-of-file mark, which the reader forgives and tahsil never writes.
    fn dos_end(&self, noise: &[u8]) -> Option<Result<RawLine, LayoutError>> {
        (self.strict && noise.contains(&0x1A)).then(|| {
            Err(LayoutError::Line {
                line: self.number,
                problem: "a DOS end-of-file mark (byte 0x1A) after the last record: the file \
                          must end with the last record's line ending (remove the mark)"
                    .into(),
            })
        })
    }
}

/// The type of a record that could not be read, from its record type code (as ASCII).
pub(super) fn def_of_raw<'f>(layout: &'f impl Frame, bytes: &[u8]) -> Option<&'f RecordDef> {
    let (start, width) = layout.record_type_position();
    let code: String = bytes
        .iter()
        .skip(start - 1)
        .take(width)
        .map(|&b| if b.is_ascii() { b as char } else { '?' })
        .collect();
    layout.record_for_code(&code)
}

/// What may trail a file harmlessly: nothing, a stray line ending, a DOS end-of-file mark.
fn is_end_noise(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| matches!(b, b'\r' | b'\n' | 0x1A))
}

/// Decodes a line and reads its fields. Returns the record type and the record (with
/// unreadable fields left out) when its type is known, and every problem found.
pub(super) fn parse_line<'f>(
    layout: &'f impl Frame,
    line: &RawLine,
    strict: bool,
) -> (Option<(&'f RecordDef, Record)>, Vec<LayoutError>) {
    let n = line.number;
    let at_line = |problem: String| LayoutError::Line { line: n, problem };
    let mut errors = Vec::new();

    if line.bytes.is_empty() {
        // The lenient reader skips blank lines before getting here.
        return (None, vec![at_line("empty line".into())]);
    }
    if strict {
        let expected = match layout.line_ending() {
            LineEnding::CrLf => Seen::CrLf,
            LineEnding::Lf => Seen::Lf,
            LineEnding::None => Seen::Fixed,
        };
        if line.seen != expected {
            let found = match line.seen {
                Seen::CrLf => "CRLF",
                Seen::Lf => "LF",
                Seen::Eof | Seen::Fixed => "no line ending",
            };
            let wanted = match layout.line_ending() {
                LineEnding::CrLf => "CRLF",
                LineEnding::Lf => "LF",
                LineEnding::None => "fixed-length records without separators",
            };
            errors.push(at_line(format!(
                "ends with {found}; the layout uses {wanted}"
            )));
        }
    }

    let text = match decode_bytes(&line.bytes, layout.encoding()) {
        Ok(text) => text,
        Err(problem) => {
            errors.push(at_line(problem));
            return (None, errors);
        }
    };
    let mut chars: Vec<char> = text.chars().collect();
    let length = layout.record_length();
    if chars.len() > length {
        errors.push(at_line(format!(
            "record is {} characters; this layout's records are {length}",
            chars.len()
        )));
        return (None, errors);
    }
    if chars.len() < length {
        if strict || (line.seen == Seen::Eof && layout.line_ending() == LineEnding::None) {
            errors.push(at_line(format!(
                "record is {} characters; this layout's records are {length}",
                chars.len()
            )));
            if line.seen == Seen::Eof && layout.line_ending() == LineEnding::None {
                return (None, errors);
            }
        }
        // Trailing spaces are often stripped in transit; put them back.
        chars.resize(length, ' ');
    }

    let (rt_start, rt_width) = layout.record_type_position();
    let code: String = chars[rt_start - 1..rt_start - 1 + rt_width]
        .iter()
        .collect();
    let Some(def) = layout.record_for_code(&code) else {
        let known = layout
            .record_defs()
            .iter()
            .map(|r| format!("'{}'", r.code()))
            .collect::<Vec<_>>()
            .join(", ");
        errors.push(at_line(format!(
            "unknown record type '{code}' at position {rt_start} (this layout has {known})"
        )));
        return (None, errors);
    };

    let mut values = Vec::with_capacity(def.fields().len());
    for field in def.fields() {
        let raw: String = chars[field.start() - 1..field.end()].iter().collect();
        let field_error = |problem: String| LayoutError::Field {
            line: n,
            field: field.name().to_owned(),
            problem,
        };
        match decode(field, &raw) {
            Ok(Value::Empty) if matches!(field.kind(), FieldKind::Filler(_)) => {}
            Ok(value) => {
                if let (FieldKind::Status, Value::Text(code)) = (field.kind(), &value)
                    && layout.status_for_code(code).is_none()
                {
                    let known = layout
                        .statuses()
                        .iter()
                        .map(|(c, s)| format!("'{c}' {}", s.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    errors.push(field_error(format!(
                        "'{code}' is not a status code of this layout ({known})"
                    )));
                    continue;
                }
                if strict
                    && layout.charset() == Charset::Restricted
                    && matches!(field.kind(), FieldKind::Alpha { .. })
                    && let Value::Text(text) = &value
                    && let Some(c) = outside_restricted(text)
                {
                    errors.push(field_error(format!(
                        "{c:?} is outside the restricted character set"
                    )));
                }
                values.push((field.name().to_owned(), value));
            }
            Err(problem) => errors.push(field_error(problem)),
        }
    }
    (Some((def, Record::read(def.role(), n, values))), errors)
}

fn decode_bytes(bytes: &[u8], encoding: Encoding) -> Result<String, String> {
    match encoding {
        Encoding::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
            None => Ok(bytes.iter().map(|&b| b as char).collect()),
            Some(i) => Err(format!(
                "byte 0x{:02X} at column {} is not ASCII (the layout declares ascii)",
                bytes[i],
                i + 1
            )),
        },
        Encoding::Latin1 => Ok(bytes.iter().map(|&b| b as char).collect()),
        Encoding::Utf8 => std::str::from_utf8(bytes).map(str::to_owned).map_err(|e| {
            format!(
                "not valid UTF-8 at byte {} (the layout declares utf8)",
                e.valid_up_to() + 1
            )
        }),
    }
}

/// Follows the file's structure and totals record by record.
#[derive(Debug)]
struct Checker {
    header_code_fields: Vec<TotalField>,
    trailer_total_fields: Vec<TotalField>,
    sum_sources: Vec<String>,
    sequence_field: Option<String>,
    state: State,
    details: u64,
    sums: Vec<Option<Amount>>,
    header: Option<Record>,
    header_line: usize,
}

#[derive(Debug, Clone)]
struct TotalField {
    name: String,
    total: Total,
}

#[derive(Debug, Clone)]
enum Total {
    Count(CountOf),
    /// Index into `Checker::sum_sources`.
    Sum(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Body,
    Ended,
}

impl Checker {
    fn new(layout: &Layout) -> Checker {
        let mut sum_sources: Vec<String> = Vec::new();
        let mut totals = |role: RecordRole| -> Vec<TotalField> {
            let mut out = Vec::new();
            for field in layout.record(role).fields() {
                let total = match field.kind() {
                    FieldKind::Count { of } => Total::Count(*of),
                    FieldKind::Sum { of } => {
                        let index = match sum_sources.iter().position(|s| s == of) {
                            Some(i) => i,
                            None => {
                                sum_sources.push(of.clone());
                                sum_sources.len() - 1
                            }
                        };
                        Total::Sum(index)
                    }
                    _ => continue,
                };
                out.push(TotalField {
                    name: field.name().to_owned(),
                    total,
                });
            }
            out
        };
        let header_code_fields = totals(RecordRole::Header);
        let trailer_total_fields = totals(RecordRole::Trailer);
        let sums = vec![Some(Amount::ZERO); sum_sources.len()];
        Checker {
            header_code_fields,
            trailer_total_fields,
            sum_sources,
            sequence_field: layout
                .detail()
                .fields()
                .iter()
                .find(|f| matches!(f.kind(), FieldKind::Sequence))
                .map(|f| f.name().to_owned()),
            state: State::Start,
            details: 0,
            sums,
            header: None,
            header_line: 0,
        }
    }

    fn observe(&mut self, record: &Record) -> Result<(), LayoutError> {
        let line = record.line();
        let at_line = |problem: String| LayoutError::Line { line, problem };
        match (self.state, record.role()) {
            (State::Start, RecordRole::Header) => {
                self.state = State::Body;
                self.header_line = line;
                if !self.header_code_fields.is_empty() {
                    self.header = Some(record.clone());
                }
                Ok(())
            }
            (State::Start, role) => Err(at_line(format!(
                "the file must start with a header record, found a {}",
                role.as_str()
            ))),
            (State::Body, RecordRole::Header) => Err(at_line("a second header record".into())),
            (State::Body, RecordRole::Detail) => {
                self.details += 1;
                if let Some(name) = &self.sequence_field
                    && let Some(Value::Digits(digits)) = record.get(name)
                    && digits.parse::<u64>().ok() != Some(self.details)
                {
                    return Err(LayoutError::Field {
                        line,
                        field: name.clone(),
                        problem: format!(
                            "sequence number '{digits}' but this is detail number {}",
                            self.details
                        ),
                    });
                }
                for (source, sum) in self.sum_sources.iter().zip(self.sums.iter_mut()) {
                    *sum = match (record.amount(source), *sum) {
                        (Some(amount), Some(total)) => total.checked_add(amount),
                        // An unreadable amount (already reported) makes the sum unknowable.
                        _ => None,
                    };
                }
                Ok(())
            }
            (State::Body, RecordRole::Trailer) => {
                self.state = State::Ended;
                let mut problems = Vec::new();
                if let Some(header) = self.header.take() {
                    problems.extend(self.check_totals(&header, &self.header_code_fields));
                }
                problems.extend(self.check_totals(record, &self.trailer_total_fields));
                match problems.into_iter().next() {
                    Some(e) => Err(e),
                    None => Ok(()),
                }
            }
            (State::Ended, _) => Err(at_line("a record after the trailer".into())),
        }
    }

    /// A record that could not be read (already reported), by the role its record type
    /// code says, if known: it still takes its place, so the records after it are checked
    /// as they stand (sequence numbers, counts); the sums become unknowable.
    fn unreadable(&mut self, role: Option<RecordRole>) {
        match (self.state, role) {
            (State::Start, Some(RecordRole::Header)) => self.state = State::Body,
            (State::Body, Some(RecordRole::Detail)) => {
                self.details += 1;
                self.sums.iter_mut().for_each(|sum| *sum = None);
            }
            (State::Body, Some(RecordRole::Trailer)) => self.state = State::Ended,
            _ => {}
        }
    }

    fn check_totals(&self, record: &Record, fields: &[TotalField]) -> Vec<LayoutError> {
        let mut problems = Vec::new();
        for field in fields {
            let problem = match (&field.total, record.get(&field.name)) {
                (Total::Count(of), Some(Value::Digits(digits))) => {
                    let expected = match of {
                        CountOf::Details => self.details,
                        CountOf::Records => self.details + 2,
                        // Refused when loading a single-batch layout; its file is one batch.
                        CountOf::Batches => 1,
                    };
                    let what = match of {
                        CountOf::Details => "detail records",
                        CountOf::Records => "records",
                        CountOf::Batches => "batches",
                    };
                    (digits.parse::<u64>().ok() != Some(expected))
                        .then(|| format!("count '{digits}' but the file has {expected} {what}"))
                }
                (Total::Sum(index), Some(Value::Amount(declared))) => {
                    match self.sums.get(*index).copied().flatten() {
                        Some(actual) if actual != *declared => Some(format!(
                            "control sum {declared} but the {} amounts add up to {actual}",
                            self.details
                        )),
                        _ => None,
                    }
                }
                // Unreadable totals were reported when the record was read.
                _ => None,
            };
            if let Some(problem) = problem {
                problems.push(LayoutError::Field {
                    line: record.line(),
                    field: field.name.clone(),
                    problem,
                });
            }
        }
        problems
    }

    fn finish(&self) -> Result<(), LayoutError> {
        match self.state {
            State::Start => Err(LayoutError::File(
                "the file is empty (no header record)".into(),
            )),
            State::Body => Err(LayoutError::File(format!(
                "no trailer record after {} detail records (the file may be truncated)",
                self.details
            ))),
            State::Ended => Ok(()),
        }
    }
}

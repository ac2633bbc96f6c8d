//! Reading and writing [`BatchedLayout`] files: a file header, batches (batch header,
//! details of one or more kinds, batch trailer), a file trailer. The line reader, field
//! decoding and record encoding are the single-batch engine's (`read.rs`, `write.rs`);
//! what is here is the two-level structure and its totals: each batch trailer's counts
//! and sums are checked against its batch, the file trailer's against the whole file.

use std::io::{BufRead, Write};

use mandates::Amount;

use super::codec::{amount_into, digits_into};
use super::read::{LineSource, Structure, parse_line, validate_strictly};
use super::write::{emit_line, encode_record};
use super::{
    BatchedLayout, CountOf, FieldKind, LayoutError, Part, Record, RecordDef, RecordType, Value,
};

/// One record read from a batched file: where it sits, its record type's name
/// (`file_header`, `batch_header`, a detail kind, `batch_trailer`, `file_trailer`) and
/// its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchedRecord {
    pub part: Part,
    pub kind: String,
    pub record: Record,
}

/// One batch of a [`BatchedFile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub header: Record,
    /// In file order, each with its detail kind.
    pub details: Vec<BatchedRecord>,
    pub trailer: Record,
}

/// A whole batched file, read with [`BatchedLayout::read`] or written with
/// [`BatchedLayout::write_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchedFile {
    pub layout_name: String,
    pub file_header: Record,
    pub batches: Vec<Batch>,
    pub file_trailer: Record,
}

/// Counts and sums of a batch or of a whole file, as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchedTotals {
    pub batches: u64,
    pub details: u64,
    /// Every record of the scope, its own header and trailer included.
    pub records: u64,
    /// Per summed detail amount field (every field a trailer sums), its total.
    pub sums: Vec<(String, Amount)>,
}

impl BatchedTotals {
    /// The total of the detail amount field `name` (zero if no trailer sums it).
    pub fn sum(&self, name: &str) -> Amount {
        self.sums
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
            .unwrap_or(Amount::ZERO)
    }
}

/// Counts and running sums over one scope (a batch, or the file). A sum is `None` once
/// an amount it needs could not be read: it can no longer be checked.
#[derive(Debug, Clone)]
struct Tally {
    batches: u64,
    details: u64,
    records: u64,
    sums: Vec<Option<Amount>>,
}

impl Tally {
    fn new(sources: &[String]) -> Tally {
        Tally {
            batches: 0,
            details: 0,
            records: 0,
            sums: vec![Some(Amount::ZERO); sources.len()],
        }
    }

    /// Adds a detail (`None`: one that could not be read).
    fn detail(&mut self, sources: &[String], t: &RecordType, record: Option<&Record>) {
        self.details += 1;
        self.records += 1;
        for (source, sum) in sources.iter().zip(self.sums.iter_mut()) {
            if !t.def().has_field(source) {
                continue;
            }
            *sum = match (record.map(|r| r.get(source)), *sum) {
                (Some(Some(Value::Amount(a))), Some(total)) => total.checked_add(*a),
                (Some(Some(Value::Empty)), total) => total,
                _ => None,
            };
        }
    }

    fn count(&self, of: CountOf) -> u64 {
        match of {
            CountOf::Details => self.details,
            CountOf::Records => self.records,
            CountOf::Batches => self.batches,
        }
    }

    fn sum(&self, sources: &[String], of: &str) -> Option<Amount> {
        sources
            .iter()
            .position(|s| s == of)
            .and_then(|i| self.sums[i])
    }

    fn totals(&self, sources: &[String]) -> BatchedTotals {
        BatchedTotals {
            batches: self.batches,
            details: self.details,
            records: self.records,
            sums: sources
                .iter()
                .zip(&self.sums)
                .map(|(s, sum)| (s.clone(), sum.unwrap_or(Amount::ZERO)))
                .collect(),
        }
    }
}

/// The detail amount fields the trailers sum, once each.
fn sum_sources(layout: &BatchedLayout) -> Vec<String> {
    let mut sources: Vec<String> = Vec::new();
    for t in layout.record_types() {
        for field in t.def().fields() {
            if let FieldKind::Sum { of } = field.kind()
                && !sources.contains(of)
            {
                sources.push(of.clone());
            }
        }
    }
    sources
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// After the file header or a batch trailer.
    Between,
    /// Inside a batch opened at this line.
    InBatch(usize),
    Ended,
}

/// Follows a batched file's structure and totals record by record.
#[derive(Debug)]
struct Checker {
    sources: Vec<String>,
    state: State,
    /// The kind of the record just before, when it was a detail.
    previous_detail: Option<String>,
    file: Tally,
    batch: Tally,
}

impl Checker {
    fn new(layout: &BatchedLayout) -> Checker {
        let sources = sum_sources(layout);
        Checker {
            file: Tally::new(&sources),
            batch: Tally::new(&sources),
            sources,
            state: State::Start,
            previous_detail: None,
        }
    }

    /// Takes the record at `line` of type `t` (`None`: unreadable, already reported) into
    /// the structure, and returns the first problem it shows. The structure moves on as
    /// the record's type says even when it is out of place, so one misplaced record is
    /// one problem, not a problem on every record after it.
    fn observe(
        &mut self,
        t: &RecordType,
        line: usize,
        record: Option<&Record>,
    ) -> Result<(), LayoutError> {
        let at_line = |problem: String| LayoutError::Line { line, problem };
        let part = t.part();
        let mut problem = match (self.state, part) {
            (State::Ended, _) => Some(at_line("a record after the file trailer".into())),
            (State::Start, Part::FileHeader) => None,
            (State::Start, _) => Some(at_line(format!(
                "the file must start with a file header record, found a {}",
                part.as_str()
            ))),
            (_, Part::FileHeader) => Some(at_line("a second file header record".into())),
            (State::InBatch(opened), Part::BatchHeader) => Some(at_line(format!(
                "a batch header, but the batch opened at line {opened} has no batch trailer"
            ))),
            (State::InBatch(opened), Part::FileTrailer) => Some(at_line(format!(
                "the file trailer, but the batch opened at line {opened} has no batch trailer"
            ))),
            (State::Between, Part::Detail) => Some(at_line(format!(
                "a {} record outside a batch (no batch header before it)",
                t.name()
            ))),
            (State::Between, Part::BatchTrailer) => Some(at_line(
                "a batch trailer without a batch header before it".into(),
            )),
            (_, Part::Detail) => t
                .follows()
                .filter(|kind| self.previous_detail.as_deref() != Some(*kind))
                .map(|kind| {
                    at_line(format!(
                        "a {} record must come straight after a {kind} record",
                        t.name()
                    ))
                }),
            _ => None,
        };
        self.previous_detail = (part == Part::Detail).then(|| t.name().to_owned());
        if self.state == State::Ended {
            return problem.map_or(Ok(()), Err);
        }
        if part != Part::Detail {
            // A detail is counted by `Tally::detail`.
            self.file.records += 1;
        }
        match part {
            Part::FileHeader => self.state = State::Between,
            Part::BatchHeader => {
                self.state = State::InBatch(line);
                self.file.batches += 1;
                self.batch = Tally::new(&self.sources);
                self.batch.records = 1;
            }
            Part::Detail => {
                self.file.detail(&self.sources, t, record);
                self.batch.detail(&self.sources, t, record);
                if problem.is_none() {
                    problem = self.check_sequence(t, line, record);
                }
            }
            Part::BatchTrailer => {
                self.batch.records += 1;
                if problem.is_none() {
                    problem = self.check_totals(t, line, record, &self.batch, "batch");
                }
                self.state = State::Between;
            }
            Part::FileTrailer => {
                if problem.is_none() {
                    problem = self.check_totals(t, line, record, &self.file, "file");
                }
                self.state = State::Ended;
            }
        }
        problem.map_or(Ok(()), Err)
    }

    fn check_sequence(
        &self,
        t: &RecordType,
        line: usize,
        record: Option<&Record>,
    ) -> Option<LayoutError> {
        let field = t
            .def()
            .fields()
            .iter()
            .find(|f| matches!(f.kind(), FieldKind::Sequence))?;
        let Some(Value::Digits(digits)) = record?.get(field.name()) else {
            return None;
        };
        (digits.parse::<u64>().ok() != Some(self.file.details)).then(|| LayoutError::Field {
            line,
            field: field.name().to_owned(),
            problem: format!(
                "sequence number '{digits}' but this is detail number {} of the file",
                self.file.details
            ),
        })
    }

    /// The first count or sum of the trailer `record` that disagrees with `tally`.
    fn check_totals(
        &self,
        t: &RecordType,
        line: usize,
        record: Option<&Record>,
        tally: &Tally,
        scope: &str,
    ) -> Option<LayoutError> {
        let record = record?;
        for field in t.def().fields() {
            let problem = match (field.kind(), record.get(field.name())) {
                (FieldKind::Count { of }, Some(Value::Digits(digits))) => {
                    let expected = tally.count(*of);
                    let what = match of {
                        CountOf::Details => "detail records",
                        CountOf::Records => "records",
                        CountOf::Batches => "batches",
                    };
                    (digits.parse::<u64>().ok() != Some(expected))
                        .then(|| format!("count '{digits}' but the {scope} has {expected} {what}"))
                }
                (FieldKind::Sum { of }, Some(Value::Amount(declared))) => {
                    match tally.sum(&self.sources, of) {
                        Some(actual) if actual != *declared => Some(format!(
                            "control sum {declared} but the {scope}'s `{of}` amounts add up to {actual}"
                        )),
                        _ => None,
                    }
                }
                // Unreadable totals were reported when the record was read.
                _ => None,
            };
            if let Some(problem) = problem {
                return Some(LayoutError::Field {
                    line,
                    field: field.name().to_owned(),
                    problem,
                });
            }
        }
        None
    }

    fn finish(&self) -> Result<(), LayoutError> {
        match self.state {
            State::Start => Err(LayoutError::File(
                "the file is empty (no file header record)".into(),
            )),
            State::Between => Err(LayoutError::File(format!(
                "no file trailer after {} batches (the file may be truncated)",
                self.file.batches
            ))),
            State::InBatch(opened) => Err(LayoutError::File(format!(
                "the batch opened at line {opened} has no batch trailer and the file no file \
                 trailer (the file may be truncated)"
            ))),
            State::Ended => Ok(()),
        }
    }
}

/// The checker with the layout that gives each record's type, for [`validate_strictly`].
struct Strict<'l> {
    layout: &'l BatchedLayout,
    checker: Checker,
}

impl Structure for Strict<'_> {
    fn line(
        &mut self,
        def: Option<&RecordDef>,
        line: usize,
        record: Option<&Record>,
        clean: bool,
    ) -> Result<(), LayoutError> {
        match def.and_then(|def| self.layout.type_for_code(def.code())) {
            Some(t) => self.checker.observe(t, line, record.filter(|_| clean)),
            None => Ok(()),
        }
    }

    fn end(&self) -> Result<(), LayoutError> {
        self.checker.finish()
    }
}

/// The streaming reader returned by [`BatchedLayout::records`].
#[derive(Debug)]
pub struct BatchedReader<'l, R> {
    layout: &'l BatchedLayout,
    lines: LineSource<R>,
    checker: Checker,
    finished: bool,
}

impl<R: BufRead> Iterator for BatchedReader<'_, R> {
    type Item = Result<BatchedRecord, LayoutError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let mut next = self.lines.next_line();
        // Blank lines between records are harmless.
        while matches!(&next, Some(Ok(line)) if line.bytes.is_empty()) {
            next = self.lines.next_line();
        }
        let outcome = match next {
            None => {
                self.finished = true;
                return self.checker.finish().err().map(Err);
            }
            Some(Err(e)) => Err(e),
            Some(Ok(line)) => {
                let (record, mut errors) = parse_line(self.layout, &line, false);
                match record {
                    Some((def, record)) if errors.is_empty() => {
                        self.typed(def.code(), record, line.number)
                    }
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

impl<R> BatchedReader<'_, R> {
    fn typed(
        &mut self,
        code: &str,
        record: Record,
        line: usize,
    ) -> Result<BatchedRecord, LayoutError> {
        let t = self
            .layout
            .type_for_code(code)
            .ok_or_else(|| LayoutError::Line {
                line,
                problem: "unreadable record".into(),
            })?;
        self.checker.observe(t, line, Some(&record))?;
        Ok(BatchedRecord {
            part: t.part(),
            kind: t.name().to_owned(),
            record,
        })
    }
}

impl BatchedLayout {
    /// Streams the records of a file in file order, checking the structure, the detail
    /// sequence numbers and every trailer's totals as they go by; yields the first problem
    /// as an `Err` and stops. As lenient as [`super::Layout::records`] with what real files
    /// vary in harmlessly.
    pub fn records<R: BufRead>(&self, reader: R) -> BatchedReader<'_, R> {
        BatchedReader {
            layout: self,
            lines: LineSource::new(self, reader),
            checker: Checker::new(self),
            finished: false,
        }
    }

    /// Reads a whole file into memory, batch by batch (see [`BatchedLayout::records`] for
    /// streaming).
    pub fn read(&self, bytes: &[u8]) -> Result<BatchedFile, LayoutError> {
        let mut file_header = None;
        let mut file_trailer = None;
        let mut batches = Vec::new();
        let mut open: Option<(Record, Vec<BatchedRecord>)> = None;
        for record in self.records(bytes) {
            let record = record?;
            match record.part {
                Part::FileHeader => file_header = Some(record.record),
                Part::BatchHeader => open = Some((record.record, Vec::new())),
                Part::Detail => {
                    if let Some((_, details)) = open.as_mut() {
                        details.push(record);
                    }
                }
                Part::BatchTrailer => {
                    if let Some((header, details)) = open.take() {
                        batches.push(Batch {
                            header,
                            details,
                            trailer: record.record,
                        });
                    }
                }
                Part::FileTrailer => file_trailer = Some(record.record),
            }
        }
        match (file_header, file_trailer) {
            (Some(file_header), Some(file_trailer)) => Ok(BatchedFile {
                layout_name: self.name().to_owned(),
                file_header,
                batches,
                file_trailer,
            }),
            // The reader already reported a missing header or trailer.
            _ => Err(LayoutError::File(
                "the file has no file header or no file trailer".into(),
            )),
        }
    }

    /// Checks a file strictly, as our own output must be: every problem, the first one of
    /// each record, in file order (empty means valid). An unreadable or misplaced record
    /// still takes its place in the structure, so it does not make the records after it
    /// wrong.
    pub fn validate(&self, bytes: &[u8]) -> Vec<LayoutError> {
        let mut structure = Strict {
            layout: self,
            checker: Checker::new(self),
        };
        validate_strictly(self, bytes, &mut structure)
    }

    /// Writes a whole [`BatchedFile`] (e.g. one read earlier) to `out`; returns the file's
    /// totals.
    pub fn write_file<W: Write>(
        &self,
        file: &BatchedFile,
        out: W,
    ) -> Result<BatchedTotals, LayoutError> {
        let mut writer = BatchedWriter::new(self, out);
        writer.file_header(&file.file_header)?;
        for batch in &file.batches {
            writer.begin_batch(&batch.header)?;
            for detail in &batch.details {
                writer.detail(&detail.kind, &detail.record)?;
            }
            writer.end_batch(&batch.trailer)?;
        }
        writer.finish(&file.file_trailer)
    }
}

/// Writes a batched file record by record, straight to a `Write`:
/// [`file_header`](BatchedWriter::file_header) once; per batch
/// [`begin_batch`](BatchedWriter::begin_batch), any number of
/// [`detail`](BatchedWriter::detail) of any kind, [`end_batch`](BatchedWriter::end_batch);
/// then [`finish`](BatchedWriter::finish) with the file trailer. Every count, sum and
/// sequence number is computed (a value given anyway must agree). On any error the output
/// is incomplete and must be discarded.
#[derive(Debug)]
pub struct BatchedWriter<'l, W: Write> {
    layout: &'l BatchedLayout,
    out: W,
    previous_detail: Option<&'l str>,
    sources: Vec<String>,
    state: State,
    file: Tally,
    batch: Tally,
    bytes: Vec<u8>,
}

impl<'l, W: Write> BatchedWriter<'l, W> {
    pub fn new(layout: &'l BatchedLayout, out: W) -> Self {
        let sources = sum_sources(layout);
        BatchedWriter {
            layout,
            out,
            previous_detail: None,
            file: Tally::new(&sources),
            batch: Tally::new(&sources),
            sources,
            state: State::Start,
            bytes: Vec::with_capacity(layout.record_length() + 2),
        }
    }

    pub fn layout(&self) -> &'l BatchedLayout {
        self.layout
    }

    pub fn file_header(&mut self, record: &Record) -> Result<(), LayoutError> {
        if self.state != State::Start {
            return Err(order(
                "file header",
                "the file header is written once, first",
            ));
        }
        let layout = self.layout;
        self.write(layout.single(Part::FileHeader), record, "file header", None)?;
        self.file.records += 1;
        self.state = State::Between;
        Ok(())
    }

    pub fn begin_batch(&mut self, record: &Record) -> Result<(), LayoutError> {
        if self.state != State::Between {
            return Err(order(
                "batch header",
                "a batch begins after the file header or the previous batch's end",
            ));
        }
        let label = format!("batch {} header", self.file.batches + 1);
        let layout = self.layout;
        self.write(layout.single(Part::BatchHeader), record, &label, None)?;
        self.file.batches += 1;
        self.file.records += 1;
        self.batch = Tally::new(&self.sources);
        self.batch.records = 1;
        self.previous_detail = None;
        self.state = State::InBatch(0);
        Ok(())
    }

    /// Writes a detail of the kind named `kind` into the open batch.
    pub fn detail(&mut self, kind: &str, record: &Record) -> Result<(), LayoutError> {
        let number = self.file.details + 1;
        let label = format!("detail {number} ({kind})");
        if !matches!(self.state, State::InBatch(_)) {
            return Err(order(&label, "begin a batch first"));
        }
        let layout = self.layout;
        let t = layout
            .record_type(kind)
            .filter(|t| t.part() == Part::Detail)
            .ok_or_else(|| LayoutError::Write {
                record: label.clone(),
                field: "record_type".into(),
                problem: format!(
                    "this layout has no detail kind {kind:?} (it has {})",
                    layout
                        .detail_kinds()
                        .map(|t| t.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        if let Some(kind) = t.follows()
            && self.previous_detail != Some(kind)
        {
            return Err(LayoutError::Write {
                record: label,
                field: "record_type".into(),
                problem: format!("a {} record comes straight after a {kind} record", t.name()),
            });
        }
        // Every summed amount must fit before anything is written.
        let mut file = self.file.clone();
        let mut batch = self.batch.clone();
        file.detail(&self.sources, t, Some(record));
        batch.detail(&self.sources, t, Some(record));
        if let Some(i) = batch.sums.iter().position(Option::is_none) {
            return Err(LayoutError::Write {
                record: label,
                field: self.sources[i].clone(),
                problem: "the control sum overflows, or the amount is missing".into(),
            });
        }
        self.write(t, record, &label, Some(number))?;
        self.file = file;
        self.batch = batch;
        self.previous_detail = Some(t.name());
        Ok(())
    }

    /// Writes the batch trailer with the batch's totals; returns them.
    pub fn end_batch(&mut self, record: &Record) -> Result<BatchedTotals, LayoutError> {
        let label = format!("batch {} trailer", self.file.batches);
        if !matches!(self.state, State::InBatch(_)) {
            return Err(order(&label, "begin a batch first"));
        }
        self.batch.records += 1;
        let batch = self.batch.clone();
        let layout = self.layout;
        self.write(layout.single(Part::BatchTrailer), record, &label, None)
            .inspect_err(|_| self.batch.records -= 1)?;
        self.file.records += 1;
        self.previous_detail = None;
        self.state = State::Between;
        Ok(batch.totals(&self.sources))
    }

    /// Writes the file trailer with the file's totals, flushes, and returns the totals.
    pub fn finish(self, record: &Record) -> Result<BatchedTotals, LayoutError> {
        self.finish_into(record).map(|(totals, _)| totals)
    }

    /// As [`finish`](BatchedWriter::finish), also handing back the output.
    pub fn finish_into(mut self, record: &Record) -> Result<(BatchedTotals, W), LayoutError> {
        if self.state != State::Between {
            return Err(order(
                "file trailer",
                "the file trailer follows the file header or a batch's end",
            ));
        }
        self.file.records += 1;
        let layout = self.layout;
        self.write(
            layout.single(Part::FileTrailer),
            record,
            "file trailer",
            None,
        )?;
        self.out.flush()?;
        Ok((self.file.totals(&self.sources), self.out))
    }

    fn write(
        &mut self,
        t: &RecordType,
        record: &Record,
        label: &str,
        sequence: Option<u64>,
    ) -> Result<(), LayoutError> {
        let tally = match t.part() {
            Part::FileTrailer => &self.file,
            _ => &self.batch,
        };
        let sources = &self.sources;
        let line = encode_record(self.layout, t.def(), record, label, sequence, &|field| {
            let text = match field.kind() {
                FieldKind::Count { of } => {
                    digits_into(&tally.count(*of).to_string(), field.width(), false)
                }
                FieldKind::Sum { of } => amount_into(
                    tally.sum(sources, of).unwrap_or(Amount::ZERO),
                    field.width(),
                ),
                _ => Ok(String::new()),
            };
            text.map_err(|problem| LayoutError::Write {
                record: label.to_owned(),
                field: field.name().to_owned(),
                problem,
            })
        })?;
        emit_line(self.layout, &line, &mut self.bytes, &mut self.out)
    }
}

fn order(record: &str, problem: &str) -> LayoutError {
    LayoutError::Write {
        record: record.to_owned(),
        field: "record_type".into(),
        problem: problem.to_owned(),
    }
}

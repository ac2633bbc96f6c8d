//! Fixed-width, record-oriented bank files described as data.
//!
//! A [`Layout`] is loaded from a TOML description (`bank-formats/layouts/*.toml` are the
//! shipped ones; [`Layout::from_toml`] loads an institution's own). It names the record
//! types (header, detail, trailer — told apart by a code at a fixed position), their
//! fields (1-based start, width, encoding), the line ending and the byte encoding. From
//! it, one engine reads and writes files:
//!
//! - [`Layout::records`] streams typed [`Record`]s out of any `BufRead`, checking the
//!   structure, sequence numbers and the trailer's count and control sum on the way;
//!   [`Layout::read`] collects a whole [`LayoutFile`]; [`Layout::validate`] lists every
//!   problem instead of stopping at the first.
//! - [`LayoutWriter`] writes records to any `Write`, computing counts, sums and sequence
//!   numbers; it never cuts a number or an amount, and cuts text only where the layout
//!   says `truncate`.
//! - The typed models sit on top, through well-known field names (see
//!   `bank-formats/layouts/README.md`), mapped once each: [`DebitFileWriter`] streams
//!   [`DebitInstruction`]s into a debit file (the collection run writes through it) and
//!   [`read_debit_file`] reads them back; [`ReturnFileWriter`] streams [`ReturnRecord`]s
//!   (the simulated bank) and [`read_return_stream`] reads them.
//! - [`detect`] recognises a shipped layout from a file's header and [`inspect`] turns
//!   the file into the generic view `files inspect` prints.
//!
//! Errors say where: "line 12, field amount: 'ABC' is not a number (amount in centimes)".

mod batched;
mod batched_debit;
mod charset;
mod codec;
mod debit_file;
mod description;
mod model;
mod read;
mod return_file;
mod shipped;
mod write;

pub use batched::{Batch, BatchedFile, BatchedReader, BatchedRecord, BatchedTotals, BatchedWriter};
pub use batched_debit::BatchedDebitWriter;
pub use charset::{fit_text, is_restricted, transliterate_char};
pub use codec::{DateFormat, Value};
pub use debit_file::{
    DebitFile, DebitFileHeader, DebitFileWriter, DebitInstruction, read_debit_file,
    write_debit_file,
};
pub use description::{
    AnyLayout, BatchedLayout, Charset, CountOf, Encoding, FieldDef, FieldKind, FileKind, Layout,
    LineEnding, Part, RecordDef, RecordRole, RecordType, ReturnCodeDef, ReturnStatus,
};
pub use model::FileTotals;
pub use read::RecordReader;
pub use return_file::{
    ReturnFile, ReturnFileHeader, ReturnFileWriter, ReturnRecord, read_return_file,
    read_return_stream, write_return_file,
};
pub use shipped::{
    InspectedBatch, InspectedTransaction, LayoutInspection, detect, detect_among, detect_batched,
    detect_batched_among, example_batched_layout, inspect, shipped, shipped_layout,
};
pub use write::{LayoutWriter, WrittenTotals};

/// What went wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// The layout description itself is wrong (bad TOML, overlapping fields…).
    #[error("layout description: {0}")]
    Description(String),
    /// A field of a record being read.
    #[error("line {line}, field {field}: {problem}")]
    Field {
        line: usize,
        field: String,
        problem: String,
    },
    /// A whole line being read (length, record type, encoding, order).
    #[error("line {line}: {problem}")]
    Line { line: usize, problem: String },
    /// The file as a whole (missing trailer, empty file).
    #[error("file: {0}")]
    File(String),
    /// A record being written: `record` is "header", "detail 3" or "trailer".
    #[error("{record}, field {field}: {problem}")]
    Write {
        record: String,
        field: String,
        problem: String,
    },
    /// The typed model does not fit the layout (a needed field is missing, wrong kind).
    #[error("layout {layout}: {problem}")]
    Model { layout: String, problem: String },
    #[error("i/o: {0}")]
    Io(String),
}

impl From<std::io::Error> for LayoutError {
    fn from(e: std::io::Error) -> Self {
        LayoutError::Io(e.to_string())
    }
}

/// One record with its typed field values, in position order. Constants and computed
/// totals are included when read; fillers are not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    role: RecordRole,
    line: usize,
    fields: Vec<(String, Value)>,
}

impl Record {
    /// An empty record to fill with [`Record::with`] / [`Record::set`] before writing.
    pub fn new(role: RecordRole) -> Record {
        Record {
            role,
            line: 0,
            fields: Vec::new(),
        }
    }

    pub(crate) fn read(role: RecordRole, line: usize, fields: Vec<(String, Value)>) -> Record {
        Record { role, line, fields }
    }

    pub fn with(mut self, name: &str, value: Value) -> Record {
        self.set(name, value);
        self
    }

    pub fn set(&mut self, name: &str, value: Value) {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((name.to_owned(), value)),
        }
    }

    pub fn role(&self) -> RecordRole {
        self.role
    }

    /// The 1-based line (record) number it was read from; 0 for records built in code.
    pub fn line(&self) -> usize {
        self.line
    }

    pub fn fields(&self) -> &[(String, Value)] {
        &self.fields
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Text or digits of a field (`None` if absent, blank-optional, or another type).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_text)
    }

    pub fn amount(&self, name: &str) -> Option<mandates::Amount> {
        self.get(name).and_then(Value::as_amount)
    }

    pub fn date(&self, name: &str) -> Option<chrono::NaiveDate> {
        self.get(name).and_then(Value::as_date)
    }
}

/// A whole file read with [`Layout::read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutFile {
    pub layout_name: String,
    pub header: Record,
    pub details: Vec<Record>,
    pub trailer: Record,
}

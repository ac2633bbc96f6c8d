//! A batched layout: a fixed-width file with several record types in two levels — a file
//! header, then batches (a batch header, detail records of one or more kinds, a batch
//! trailer with the batch's counts and sums), then a file trailer with the file's — as
//! real interbank formats have (a batch per debtor bank, a debit record followed by its
//! reference record…). Only what it is; loading is in `load.rs`, reading and writing in
//! `layout/batched.rs`.

use super::{
    Charset, Encoding, FileKind, Frame, LineEnding, RecordDef, ReturnCodeDef, ReturnStatus,
    record_markdown,
};

/// Where a record type sits in a batched file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// Once, first.
    FileHeader,
    /// Opens each batch.
    BatchHeader,
    /// Inside a batch; a layout may have several detail kinds.
    Detail,
    /// Closes each batch, with the batch's totals.
    BatchTrailer,
    /// Once, last, with the file's totals.
    FileTrailer,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Part::FileHeader => "file header",
            Part::BatchHeader => "batch header",
            Part::Detail => "detail",
            Part::BatchTrailer => "batch trailer",
            Part::FileTrailer => "file trailer",
        }
    }
}

/// One record type of a batched layout: its part, its name (`file_header`,
/// `batch_header`, a detail kind's own name, `batch_trailer`, `file_trailer`) and its
/// fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordType {
    pub(super) part: Part,
    pub(super) name: String,
    pub(super) def: RecordDef,
    /// A detail kind that may only come straight after a detail of this kind (a debit's
    /// reference record after its debit).
    pub(super) follows: Option<String>,
}

impl RecordType {
    pub fn part(&self) -> Part {
        self.part
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn def(&self) -> &RecordDef {
        &self.def
    }
    /// The detail kind this one must follow directly, if any.
    pub fn follows(&self) -> Option<&str> {
        self.follows.as_deref()
    }
}

/// A checked batched layout (see [`BatchedLayout::from_toml`]): record types in the order
/// file header, batch header, the detail kinds, batch trailer, file trailer; every record
/// of the same length, told apart by the code at the record-type position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchedLayout {
    pub(super) name: String,
    pub(super) title: String,
    pub(super) kind: FileKind,
    pub(super) record_length: usize,
    pub(super) line_ending: LineEnding,
    pub(super) encoding: Encoding,
    pub(super) charset: Charset,
    pub(super) record_type_start: usize,
    pub(super) record_type_width: usize,
    pub(super) types: Vec<RecordType>,
    pub(super) statuses: Vec<(String, ReturnStatus)>,
    pub(super) return_codes: Vec<ReturnCodeDef>,
}

impl BatchedLayout {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn title(&self) -> &str {
        &self.title
    }
    pub fn kind(&self) -> FileKind {
        self.kind
    }
    pub fn record_length(&self) -> usize {
        self.record_length
    }
    pub fn line_ending(&self) -> LineEnding {
        self.line_ending
    }
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }
    /// Every record type, in file order (the detail kinds in description order).
    pub fn record_types(&self) -> &[RecordType] {
        &self.types
    }
    /// A record type by its name (`file_header`, `batch_header`, a detail kind,
    /// `batch_trailer`, `file_trailer`).
    pub fn record_type(&self, name: &str) -> Option<&RecordType> {
        self.types.iter().find(|t| t.name == name)
    }
    /// The record type of a part that has one record type (not [`Part::Detail`]).
    pub fn single(&self, part: Part) -> &RecordType {
        self.types
            .iter()
            .find(|t| t.part == part)
            // The loader makes exactly one record type of each part but details.
            .unwrap_or(&self.types[0])
    }
    /// The detail kinds, in description order.
    pub fn detail_kinds(&self) -> impl Iterator<Item = &RecordType> {
        self.types.iter().filter(|t| t.part == Part::Detail)
    }
    pub(crate) fn type_for_code(&self, code: &str) -> Option<&RecordType> {
        self.types.iter().find(|t| t.def.code == code)
    }
    pub fn return_codes(&self) -> &[ReturnCodeDef] {
        &self.return_codes
    }

    /// A Markdown table of every record type and field, for the layout's documentation
    /// (a test keeps the example's doc in step with its description).
    pub fn fields_markdown(&self) -> String {
        let mut out = String::new();
        for t in &self.types {
            let title = match t.part {
                Part::Detail => format!("Detail record `{}`", t.name),
                part => {
                    let mut title = part.as_str().to_owned();
                    title[..1].make_ascii_uppercase();
                    format!("{title} record")
                }
            };
            record_markdown(self, &title, &t.def, &mut out);
        }
        out
    }
}

impl Frame for BatchedLayout {
    fn record_length(&self) -> usize {
        self.record_length
    }
    fn line_ending(&self) -> LineEnding {
        self.line_ending
    }
    fn encoding(&self) -> Encoding {
        self.encoding
    }
    fn charset(&self) -> Charset {
        self.charset
    }
    fn record_type_position(&self) -> (usize, usize) {
        (self.record_type_start, self.record_type_width)
    }
    fn record_defs(&self) -> Vec<&RecordDef> {
        self.types.iter().map(|t| &t.def).collect()
    }
    fn record_for_code(&self, code: &str) -> Option<&RecordDef> {
        self.type_for_code(code).map(|t| &t.def)
    }
    fn statuses(&self) -> &[(String, ReturnStatus)] {
        &self.statuses
    }
}

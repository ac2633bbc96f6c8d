//! A layout description: what a fixed-width file looks like — its record types, fields,
//! encodings and return codes — loaded from TOML and checked once (`description/load.rs`),
//! so the reader and writer can trust it (positions fit, nothing overlaps, totals refer to
//! real fields). Knows nothing of reading or writing files.

use serde::Deserialize;

use super::codec::DateFormat;
use crate::reasons::{ReasonCategory, RetryClass};

mod batched;
mod load;

pub use batched::{BatchedLayout, Part, RecordType};
pub use load::AnyLayout;

/// A checked fixed-width layout: one header record type, one detail record type, one
/// trailer record type, all of the same length, told apart by a code at a fixed position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    name: String,
    title: String,
    kind: FileKind,
    record_length: usize,
    line_ending: LineEnding,
    encoding: Encoding,
    charset: Charset,
    record_type_start: usize,
    record_type_width: usize,
    header: RecordDef,
    detail: RecordDef,
    trailer: RecordDef,
    statuses: Vec<(String, ReturnStatus)>,
    return_codes: Vec<ReturnCodeDef>,
}

/// What a file of this layout carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// Outbound debit instructions (our file to the bank or the post office).
    Debit,
    /// Inbound statuses and returns (their answer).
    Return,
}

/// How records are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineEnding {
    #[serde(rename = "crlf", alias = "cr_lf")]
    CrLf,
    Lf,
    /// No separator: records are exactly `record_length` bytes back to back.
    None,
}

/// The declared byte encoding of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// 7-bit ASCII; any byte above 0x7F is an error.
    Ascii,
    /// ISO 8859-1: one byte per character.
    Latin1,
    /// UTF-8; positions and widths count characters, not bytes.
    Utf8,
}

/// Which characters alpha fields may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charset {
    /// `A-Z a-z 0-9 space / - ? : ( ) . , ' +`; accents and Arabic are transliterated on write.
    Restricted,
    /// Whatever the encoding can hold (characters it cannot hold are transliterated).
    Any,
}

/// The role of a record type in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordRole {
    Header,
    Detail,
    Trailer,
}

impl RecordRole {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordRole::Header => "header",
            RecordRole::Detail => "detail",
            RecordRole::Trailer => "trailer",
        }
    }
}

/// The outcome a return file gives for one debit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    /// Paid / settled.
    Accepted,
    /// Refused before settlement (nothing was debited).
    Rejected,
    /// Debited, then sent back (unpaid after settlement).
    Returned,
}

impl ReturnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Accepted => "accepted",
            ReturnStatus::Rejected => "rejected",
            ReturnStatus::Returned => "returned",
        }
    }

    /// The nearest ISO 20022 status, for `files inspect`: accepted → `ACSC` (settled),
    /// rejected → `RJCT`; a return is a booked reversal as in camt.054 → `BOOK`
    /// (with `reversal = true` in the inspection view).
    pub fn iso_status(self) -> &'static str {
        match self {
            ReturnStatus::Accepted => "ACSC",
            ReturnStatus::Rejected => "RJCT",
            ReturnStatus::Returned => "BOOK",
        }
    }
}

/// One record type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDef {
    role: RecordRole,
    code: String,
    description: String,
    fields: Vec<FieldDef>,
}

impl RecordDef {
    pub fn role(&self) -> RecordRole {
        self.role
    }
    /// The record-type code written at the layout's record-type position.
    pub fn code(&self) -> &str {
        &self.code
    }
    pub fn description(&self) -> &str {
        &self.description
    }
    /// Fields in position order.
    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn has_field(&self, name: &str) -> bool {
        self.field(name).is_some()
    }
}

/// One field: a name, a 1-based start position and a width (in characters), and how the
/// value is encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    name: String,
    start: usize,
    width: usize,
    kind: FieldKind,
    description: String,
    optional: bool,
}

impl FieldDef {
    pub fn name(&self) -> &str {
        &self.name
    }
    /// 1-based position of the first character, as bank specifications write it.
    pub fn start(&self) -> usize {
        self.start
    }
    /// 1-based position of the last character.
    pub fn end(&self) -> usize {
        self.start + self.width - 1
    }
    pub fn width(&self) -> usize {
        self.width
    }
    pub fn kind(&self) -> &FieldKind {
        &self.kind
    }
    pub fn description(&self) -> &str {
        &self.description
    }
    /// An optional field may be blank (all spaces); it reads as [`super::Value::Empty`].
    pub fn optional(&self) -> bool {
        self.optional
    }
    /// Whether the caller supplies a value (as opposed to constants, fillers and totals
    /// computed by the writer).
    pub fn takes_value(&self) -> bool {
        matches!(
            self.kind,
            FieldKind::Numeric { .. }
                | FieldKind::Alpha { .. }
                | FieldKind::Amount
                | FieldKind::Date(_)
                | FieldKind::Status
        )
    }
}

/// How a field's value is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// Digits, right-aligned, zero-padded. Kept as a digit string (leading zeros matter in
    /// account numbers). With `exact_width`, the value must fill the field (an account
    /// number is never padded or cut).
    Numeric { exact_width: bool },
    /// Text, left-aligned, space-padded. `truncate`: longer text is cut (names); otherwise
    /// it is an error. `uppercase`: written in capitals.
    Alpha { truncate: bool, uppercase: bool },
    /// Centimes with 2 implied decimals, right-aligned, zero-padded; never negative.
    Amount,
    /// A date in the given format (`YYYYMMDD`, `DDMMYYYY`, `YYMMDD`, `DD/MM/YYYY`…).
    Date(DateFormat),
    /// A fixed text the writer puts in and the reader checks.
    Constant(String),
    /// Unused characters: written as the fill character, ignored on reading.
    Filler(char),
    /// The number of records (details only, or every record), computed by the writer and
    /// checked by the reader. In a header the caller supplies it (streaming writers cannot
    /// know it yet) and the writer checks it at the end.
    Count { of: CountOf },
    /// The sum of a detail amount field (centimes), computed and checked like `Count`.
    Sum { of: String },
    /// The 1-based number of the detail record, written and checked.
    Sequence,
    /// A code from the layout's `[statuses]` table (return files).
    Status,
}

impl FieldKind {
    /// A short name for documentation tables.
    pub fn label(&self) -> String {
        match self {
            FieldKind::Numeric { exact_width: true } => "numeric (exact)".into(),
            FieldKind::Numeric { exact_width: false } => "numeric".into(),
            FieldKind::Alpha { truncate: true, .. } => "alpha (truncated)".into(),
            FieldKind::Alpha { .. } => "alpha".into(),
            FieldKind::Amount => "amount (centimes)".into(),
            FieldKind::Date(format) => format!("date {}", format.pattern()),
            FieldKind::Constant(value) => format!("constant `{value}`"),
            FieldKind::Filler(' ') => "filler (spaces)".into(),
            FieldKind::Filler(c) => format!("filler (`{c}`)"),
            FieldKind::Count {
                of: CountOf::Details,
            } => "count of details".into(),
            FieldKind::Count {
                of: CountOf::Records,
            } => "count of records".into(),
            FieldKind::Count {
                of: CountOf::Batches,
            } => "count of batches".into(),
            FieldKind::Sum { of } => format!("sum of `{of}`"),
            FieldKind::Sequence => "sequence number".into(),
            FieldKind::Status => "status code".into(),
        }
    }
}

/// What a count field counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountOf {
    Details,
    /// Header, details and trailer (in a batched layout: every record of the scope,
    /// the batch's own header and trailer, or the whole file's).
    Records,
    /// Batches of a batched layout's file (file trailer only; see
    /// [`super::BatchedLayout`]). A single-batch layout never has this count.
    Batches,
}

/// What the line reader, the field decoder and the record encoder need to know of a
/// layout, whatever its structure: shared by [`Layout`] (header, detail, trailer) and
/// [`super::BatchedLayout`] (file and batch headers and trailers, several detail kinds).
pub(crate) trait Frame {
    fn record_length(&self) -> usize;
    fn line_ending(&self) -> LineEnding;
    fn encoding(&self) -> Encoding;
    fn charset(&self) -> Charset;
    /// 1-based start and width of the record-type code.
    fn record_type_position(&self) -> (usize, usize);
    /// Every record type, in description order.
    fn record_defs(&self) -> Vec<&RecordDef>;
    fn statuses(&self) -> &[(String, ReturnStatus)];

    fn record_for_code(&self, code: &str) -> Option<&RecordDef>;
    fn status_for_code(&self, code: &str) -> Option<ReturnStatus> {
        self.statuses()
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, s)| *s)
    }
}

impl Frame for Layout {
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
        vec![&self.header, &self.detail, &self.trailer]
    }
    fn record_for_code(&self, code: &str) -> Option<&RecordDef> {
        Layout::record_for_code(self, code)
    }
    fn statuses(&self) -> &[(String, ReturnStatus)] {
        &self.statuses
    }
}

/// One return code of a return layout and the internal reason it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnCodeDef {
    pub code: String,
    pub meaning: String,
    pub category: ReasonCategory,
    /// Overrides the category's usual retry class when set.
    pub retry: Option<RetryClass>,
}

impl Layout {
    /// The layout's identifier, e.g. `postal-ccp-debit`.
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn title(&self) -> &str {
        &self.title
    }
    pub fn kind(&self) -> FileKind {
        self.kind
    }
    /// Characters per record, without the line ending.
    pub fn record_length(&self) -> usize {
        self.record_length
    }
    pub fn line_ending(&self) -> LineEnding {
        self.line_ending
    }
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }
    pub fn charset(&self) -> Charset {
        self.charset
    }
    /// 1-based start and width of the record-type code.
    pub fn record_type_position(&self) -> (usize, usize) {
        (self.record_type_start, self.record_type_width)
    }
    pub fn header(&self) -> &RecordDef {
        &self.header
    }
    pub fn detail(&self) -> &RecordDef {
        &self.detail
    }
    pub fn trailer(&self) -> &RecordDef {
        &self.trailer
    }
    pub fn record(&self, role: RecordRole) -> &RecordDef {
        match role {
            RecordRole::Header => &self.header,
            RecordRole::Detail => &self.detail,
            RecordRole::Trailer => &self.trailer,
        }
    }
    /// The record type whose code this is.
    pub fn record_for_code(&self, code: &str) -> Option<&RecordDef> {
        [&self.header, &self.detail, &self.trailer]
            .into_iter()
            .find(|r| r.code == code)
    }
    /// Status codes of a return layout, in the order written in the description.
    pub fn statuses(&self) -> &[(String, ReturnStatus)] {
        &self.statuses
    }
    pub fn status_for_code(&self, code: &str) -> Option<ReturnStatus> {
        self.statuses
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, s)| *s)
    }
    /// The code written for a status (the first one listed for it).
    pub fn code_for_status(&self, status: ReturnStatus) -> Option<&str> {
        self.statuses
            .iter()
            .find(|(_, s)| *s == status)
            .map(|(c, _)| c.as_str())
    }
    /// The return codes this layout documents.
    pub fn return_codes(&self) -> &[ReturnCodeDef] {
        &self.return_codes
    }
    pub fn return_code(&self, code: &str) -> Option<&ReturnCodeDef> {
        let code = code.trim();
        self.return_codes.iter().find(|r| r.code == code)
    }

    /// A Markdown table of every record and field, used in the layout documentation
    /// (a test keeps the shipped docs in step with their descriptions).
    pub fn fields_markdown(&self) -> String {
        let mut out = String::new();
        for record in [&self.header, &self.detail, &self.trailer] {
            let title = format!("{} record", capitalise(record.role.as_str()));
            record_markdown(self, &title, record, &mut out);
        }
        out
    }
}

/// One record type's Markdown table (its title, code, description, and every field in
/// position order, the record-type code included), for a layout's documentation.
pub(crate) fn record_markdown(
    frame: &impl Frame,
    title: &str,
    record: &RecordDef,
    out: &mut String,
) {
    let (rt_start, rt_width) = frame.record_type_position();
    out.push_str(&format!(
        "### {title} (`{}`)\n\n{}\n\n| positions | width | name | type | meaning |\n|---|---|---|---|---|\n",
        record.code, record.description,
    ));
    let mut rows: Vec<(usize, String)> = vec![(
        rt_start,
        format!(
            "| {}–{} | {} | record_type | constant `{}` | record type |\n",
            rt_start,
            rt_start + rt_width - 1,
            rt_width,
            record.code
        ),
    )];
    for field in &record.fields {
        let optional = if field.optional { " (optional)" } else { "" };
        rows.push((
            field.start,
            format!(
                "| {}–{} | {} | {} | {}{} | {} |\n",
                field.start,
                field.end(),
                field.width,
                field.name,
                field.kind.label(),
                optional,
                field.description
            ),
        ));
    }
    rows.sort_by_key(|(start, _)| *start);
    for (_, row) in rows {
        out.push_str(&row);
    }
    out.push('\n');
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

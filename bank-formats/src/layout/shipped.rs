//! The layouts tahsil ships (embedded from `bank-formats/layouts/`), recognising them in
//! a byte buffer, and the generic view `files inspect` prints.

use std::sync::LazyLock;

use chrono::NaiveDate;
use mandates::Amount;

use super::description::Frame;
use super::{
    BatchedLayout, BatchedRecord, FileKind, Layout, LayoutError, LineEnding, Part, RecordDef,
    RecordRole, ReturnStatus,
};

const SHIPPED_SOURCES: [(&str, &str); 4] = [
    (
        "postal-ccp-debit",
        include_str!("../../layouts/postal-ccp-debit.toml"),
    ),
    (
        "postal-ccp-return",
        include_str!("../../layouts/postal-ccp-return.toml"),
    ),
    (
        "interbank-debit",
        include_str!("../../layouts/interbank-debit.toml"),
    ),
    (
        "interbank-return",
        include_str!("../../layouts/interbank-return.toml"),
    ),
];

static SHIPPED: LazyLock<Vec<Layout>> = LazyLock::new(|| {
    SHIPPED_SOURCES
        .iter()
        .map(|(name, text)| match Layout::from_toml(text) {
            Ok(layout) => layout,
            // The shipped descriptions are checked by the crate's tests.
            Err(e) => panic!("shipped layout {name} is invalid: {e}"),
        })
        .collect()
});

/// Every shipped layout: `postal-ccp-debit`, `postal-ccp-return`, `interbank-debit`,
/// `interbank-return`.
pub fn shipped() -> &'static [Layout] {
    &SHIPPED
}

static EXAMPLE_BATCHED: LazyLock<BatchedLayout> = LazyLock::new(|| {
    match BatchedLayout::from_toml(include_str!("../../layouts/example-batched-debit.toml")) {
        Ok(layout) => layout,
        // Checked by the crate's tests.
        Err(e) => panic!("layout example-batched-debit is invalid: {e}"),
    }
});

/// The example of a batched layout, `example-batched-debit`: what a multi-record
/// interbank debit file looks like described as data (an illustration, not a bank's
/// format; not among [`shipped`], and no profile uses it). `files inspect` and `files
/// validate` recognise its files ([`detect_batched`]).
pub fn example_batched_layout() -> &'static BatchedLayout {
    &EXAMPLE_BATCHED
}

/// A shipped layout by name.
pub fn shipped_layout(name: &str) -> Option<&'static Layout> {
    SHIPPED.iter().find(|l| l.name() == name)
}

/// Which shipped layout `bytes` is written in, judged by its first record: length, the
/// header's record-type code and every constant of the header (the shipped layouts
/// carry a format identifier there). `None` if none matches.
pub fn detect(bytes: &[u8]) -> Option<&'static Layout> {
    detect_among(shipped(), bytes)
}

/// [`detect`] among any set of layouts (e.g. shipped plus an institution's own).
pub fn detect_among<'a>(layouts: &'a [Layout], bytes: &[u8]) -> Option<&'a Layout> {
    layouts.iter().find(|layout| layout.matches_header(bytes))
}

/// Whether the first record of `bytes` is `header` of `layout`: its length, its
/// record-type code and every constant of it (at least one: a format identifier).
fn header_matches(layout: &impl Frame, header: &RecordDef, bytes: &[u8]) -> bool {
    let record_length = layout.record_length();
    let first: &[u8] = match layout.line_ending() {
        LineEnding::None => &bytes[..bytes.len().min(record_length)],
        LineEnding::CrLf | LineEnding::Lf => {
            // Only as far as a header can reach: a file with no line ending (or a
            // hostile one) is not scanned, nor copied, whole.
            let head = &bytes[..bytes.len().min(record_length + 2)];
            let end = head.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
            let Some(line) = bytes.get(..end) else {
                return false;
            };
            line.strip_suffix(b"\r").unwrap_or(line)
        }
    };
    if first.len() > record_length {
        return false;
    }
    // Latin-1 decoding maps every byte to one char: positions of the ASCII header
    // fields are the same whatever the declared encoding (UTF-8 headers with
    // non-ASCII text before the constants are not recognised).
    let chars: Vec<char> = first.iter().map(|&b| b as char).collect();
    let slice = |start: usize, width: usize| -> Option<String> {
        chars
            .get(start - 1..start - 1 + width)
            .map(|s| s.iter().collect())
    };
    let (rt_start, rt_width) = layout.record_type_position();
    if slice(rt_start, rt_width).as_deref() != Some(header.code()) {
        return false;
    }
    let mut constants = 0;
    for field in header.fields() {
        if let super::FieldKind::Constant(value) = field.kind() {
            constants += 1;
            if slice(field.start(), field.width()).as_deref() != Some(value.as_str()) {
                return false;
            }
        }
    }
    constants > 0
}

impl Layout {
    /// Whether the first record of `bytes` is this layout's header.
    pub fn matches_header(&self, bytes: &[u8]) -> bool {
        header_matches(self, self.header(), bytes)
    }

    /// Reads a file of this layout into the generic inspection view.
    pub fn inspect(&self, bytes: &[u8]) -> Result<LayoutInspection, LayoutError> {
        let mut view = LayoutInspection::new(self.name(), self.kind());
        for record in self.records(bytes) {
            let record = record?;
            let text = |name: &str| {
                record
                    .text(name)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
            };
            match record.role() {
                RecordRole::Header => {
                    view.message_id = text("file_reference");
                    view.original_message_id = text("original_file_reference");
                    view.creation_date = record.date("creation_date");
                    view.collection_date = record.date("collection_date");
                }
                RecordRole::Detail => {
                    let status = record
                        .text("status")
                        .and_then(|code| self.status_for_code(code));
                    let amount = record.amount("amount");
                    view.transaction_count += 1;
                    if let Some(amount) = amount {
                        view.add_to_totals(amount);
                    }
                    view.transactions.push(InspectedTransaction {
                        end_to_end_id: text("end_to_end_id").unwrap_or_default(),
                        amount,
                        status,
                        iso_status: status.map(|s| s.iso_status().to_owned()),
                        reason: text("return_code"),
                        reversal: status == Some(ReturnStatus::Returned),
                        mandate_id: text("mandate_reference"),
                        account_masked: record.text("account").map(mandates::mask_digits),
                        date: record
                            .date("date")
                            .or_else(|| record.date("collection_date")),
                    });
                }
                RecordRole::Trailer => {}
            }
        }
        Ok(view)
    }
}

/// Which batched layout `bytes` is written in, among `layouts` (an institution's own),
/// judged by its file header as [`detect`] does.
pub fn detect_batched_among<'a>(
    layouts: &'a [BatchedLayout],
    bytes: &[u8],
) -> Option<&'a BatchedLayout> {
    layouts.iter().find(|layout| layout.matches_header(bytes))
}

/// Whether `bytes` is a file of the example batched layout, `example-batched-debit`.
pub fn detect_batched(bytes: &[u8]) -> Option<&'static BatchedLayout> {
    Some(example_batched_layout()).filter(|layout| layout.matches_header(bytes))
}

impl BatchedLayout {
    /// Whether the first record of `bytes` is this layout's file header.
    pub fn matches_header(&self, bytes: &[u8]) -> bool {
        header_matches(self, self.single(Part::FileHeader).def(), bytes)
    }

    /// Reads a file of this layout into the generic inspection view, as
    /// [`Layout::inspect`] does, with one [`InspectedBatch`] per batch. Each detail record
    /// is a transaction, except one of a kind that `follows` another (a debit's reference
    /// record): that one completes the transaction of the record it follows (its mandate,
    /// end-to-end id or amount when that one has none).
    pub fn inspect(&self, bytes: &[u8]) -> Result<LayoutInspection, LayoutError> {
        let mut view = LayoutInspection::new(self.name(), self.kind());
        for record in self.records(bytes) {
            let BatchedRecord { part, kind, record } = record?;
            let text = |name: &str| {
                record
                    .text(name)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
            };
            match part {
                Part::FileHeader => {
                    view.message_id = text("file_reference");
                    view.original_message_id = text("original_file_reference");
                    view.creation_date = record.date("creation_date");
                    view.collection_date = record.date("collection_date");
                }
                Part::BatchHeader => view.batches.push(InspectedBatch {
                    debtor_bank: text("debtor_bank"),
                    reference: text("batch_reference"),
                    collection_date: record.date("collection_date"),
                    transaction_count: 0,
                    control_sum: Amount::ZERO,
                }),
                Part::Detail => {
                    let follows = self.record_type(&kind).and_then(|t| t.follows());
                    let batch_date = view.batches.last().and_then(|b| b.collection_date);
                    let completes = match (follows, view.transactions.last_mut()) {
                        (Some(_), Some(last)) => Some(last),
                        _ => None,
                    };
                    match completes {
                        Some(last) => {
                            if last.mandate_id.is_none() {
                                last.mandate_id = text("mandate_reference");
                            }
                            if last.end_to_end_id.is_empty() {
                                last.end_to_end_id = text("end_to_end_id").unwrap_or_default();
                            }
                            let added = match (last.amount, record.amount("amount")) {
                                (None, Some(amount)) => Some(amount),
                                _ => None,
                            };
                            if let Some(amount) = added {
                                last.amount = Some(amount);
                                view.add_to_totals(amount);
                            }
                        }
                        None => {
                            let status = record
                                .text("status")
                                .and_then(|code| Frame::status_for_code(self, code));
                            let amount = record.amount("amount");
                            view.transaction_count += 1;
                            if let Some(batch) = view.batches.last_mut() {
                                batch.transaction_count += 1;
                            }
                            if let Some(amount) = amount {
                                view.add_to_totals(amount);
                            }
                            view.transactions.push(InspectedTransaction {
                                end_to_end_id: text("end_to_end_id").unwrap_or_default(),
                                amount,
                                status,
                                iso_status: status.map(|s| s.iso_status().to_owned()),
                                reason: text("return_code"),
                                reversal: status == Some(ReturnStatus::Returned),
                                mandate_id: text("mandate_reference"),
                                account_masked: record.text("account").map(mandates::mask_digits),
                                date: record
                                    .date("date")
                                    .or_else(|| record.date("collection_date"))
                                    .or(batch_date),
                            });
                        }
                    }
                }
                Part::BatchTrailer | Part::FileTrailer => {}
            }
        }
        Ok(view)
    }
}

/// Detects a shipped layout and reads the file into the inspection view; `None` when no
/// shipped layout recognises the bytes.
pub fn inspect(bytes: &[u8]) -> Option<Result<LayoutInspection, LayoutError>> {
    detect(bytes).map(|layout| layout.inspect(bytes))
}

/// A fixed-width file seen the way `files inspect` shows bank files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutInspection {
    /// The layout name, e.g. `postal-ccp-return` (the JSON `"format"`).
    pub format: String,
    pub kind: FileKind,
    /// The file's own reference (the JSON `"message_id"`).
    pub message_id: Option<String>,
    /// For return files: our debit file they answer.
    pub original_message_id: Option<String>,
    pub creation_date: Option<NaiveDate>,
    pub collection_date: Option<NaiveDate>,
    /// Checked against the trailer while reading.
    pub transaction_count: u64,
    pub control_sum: Amount,
    pub transactions: Vec<InspectedTransaction>,
    /// A batched layout's batches, in file order (empty for a single-batch layout).
    pub batches: Vec<InspectedBatch>,
}

impl LayoutInspection {
    fn new(format: &str, kind: FileKind) -> LayoutInspection {
        LayoutInspection {
            format: format.to_owned(),
            kind,
            message_id: None,
            original_message_id: None,
            creation_date: None,
            collection_date: None,
            transaction_count: 0,
            control_sum: Amount::ZERO,
            transactions: Vec::new(),
            batches: Vec::new(),
        }
    }

    /// Adds an amount to the file's control sum and to the open batch's, if any (the
    /// reader has checked the trailers: a sum that overflows is not there to add).
    fn add_to_totals(&mut self, amount: Amount) {
        self.control_sum = self
            .control_sum
            .checked_add(amount)
            .unwrap_or(self.control_sum);
        if let Some(batch) = self.batches.last_mut() {
            batch.control_sum = batch
                .control_sum
                .checked_add(amount)
                .unwrap_or(batch.control_sum);
        }
    }
}

/// One batch of a batched file in the inspection view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectedBatch {
    /// The batch header's `debtor_bank` (the bank code of its debits' RIBs), if it has one.
    pub debtor_bank: Option<String>,
    /// The batch header's `batch_reference`.
    pub reference: Option<String>,
    pub collection_date: Option<NaiveDate>,
    /// Its transactions (a debit with its reference record is one).
    pub transaction_count: u64,
    pub control_sum: Amount,
}

/// One detail record in the inspection view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectedTransaction {
    pub end_to_end_id: String,
    pub amount: Option<Amount>,
    /// Return files: the outcome; debit files: `None`.
    pub status: Option<ReturnStatus>,
    /// The nearest ISO status (`ACSC`, `RJCT`, or `BOOK` for a return), for the JSON
    /// `"status"`; `None` for debit files.
    pub iso_status: Option<String>,
    /// The layout's return code, verbatim (not an ISO code; classify it with
    /// [`crate::reasons::classify_layout`]).
    pub reason: Option<String>,
    /// True for a return after settlement (as camt's reversal).
    pub reversal: bool,
    pub mandate_id: Option<String>,
    /// The account with all but the last 4 digits masked.
    pub account_masked: Option<String>,
    /// The return's date, or a debit's per-line collection date.
    pub date: Option<NaiveDate>,
}

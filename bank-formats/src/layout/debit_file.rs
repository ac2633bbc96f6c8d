//! Typed debit files: [`DebitFileHeader`] and [`DebitInstruction`] mapped onto a debit
//! layout through the well-known field names (`bank-formats/layouts/README.md`), written
//! one instruction at a time by [`DebitFileWriter`] and read back by [`read_debit_file`].
//! This is the one place those names are mapped for debit files: the collection run and
//! the tests write through it. Knows nothing of collections or the database.

use std::borrow::Borrow;
use std::io::Write;

use chrono::NaiveDate;
use mandates::Amount;

use super::model::{
    amount, date, finish_with_trailer, model_error, put, require_fields, require_kind, text,
};
use super::{
    FileKind, FileTotals, Layout, LayoutError, LayoutWriter, Record, RecordDef, RecordRole, Value,
};

/// What a debit file's header says about the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitFileHeader {
    /// Our unique file reference (the message id), e.g. `TAH-20260315-0001`.
    pub file_reference: String,
    pub creation_date: NaiveDate,
    /// The collection date of every instruction in the file.
    pub collection_date: NaiveDate,
    /// The fund's name as the bank knows it.
    pub creditor_name: String,
    /// The fund's 20-digit RIB/RIP that receives the money.
    pub creditor_account: String,
    /// The fund's issuer number under its collection agreement with the institution.
    pub creditor_id: String,
}

/// One debit: one employer, one collection date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitInstruction {
    /// Our reference, echoed in the return file; at most the layout's field width.
    pub end_to_end_id: String,
    /// The debtor's 20-digit RIB or RIP.
    pub account_digits: String,
    /// Transliterated and cut to the field by the layout's rule.
    pub debtor_name: String,
    pub amount: Amount,
    pub mandate_reference: String,
    pub collection_date: NaiveDate,
}

/// A debit file read back (bank simulator, `files validate`, tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitFile {
    pub layout_name: String,
    pub header: DebitFileHeader,
    pub instructions: Vec<DebitInstruction>,
    pub totals: FileTotals,
}

/// The currency written where a debit layout has a `currency` field: amounts are dinars.
const CURRENCY: &str = "DZD";

/// Writes a debit file as it goes, in constant memory: the header when it is created,
/// then one [`DebitInstruction`] at a time with [`add`](DebitFileWriter::add), then the
/// trailer with [`finish`](DebitFileWriter::finish), which returns the count and control
/// sum written (record them with the file).
///
/// Fails, leaving incomplete output to discard, if a value does not fit (an account
/// number or amount is never cut; an end-to-end id longer than its field is an error;
/// names are cut by the layout's rule), or if an instruction is for another day than the
/// file in a layout with one collection date per file.
#[derive(Debug)]
pub struct DebitFileWriter<'l, W: Write> {
    writer: LayoutWriter<'l, W>,
    file_reference: String,
    collection_date: NaiveDate,
    /// Whether each detail carries its own collection date.
    detail_has_date: bool,
    added: u64,
    /// The detail record, refilled for each instruction (the same fields every time).
    detail: Record,
}

impl<'l, W: Write> DebitFileWriter<'l, W> {
    /// Checks that `layout` is a debit layout with the fields the model needs, and
    /// writes the header.
    pub fn new(
        layout: &'l Layout,
        header: &DebitFileHeader,
        out: W,
    ) -> Result<DebitFileWriter<'l, W>, LayoutError> {
        fits_the_model(layout)?;
        let detail_has_date = layout.detail().has_field("collection_date");
        if !detail_has_date && !layout.header().has_field("collection_date") {
            return Err(model_error(
                layout,
                "needs a `collection_date` field in the header or the detail record",
            ));
        }
        let mut writer = LayoutWriter::new(layout, out);
        let record = header_record(layout.header(), header);
        writer.write_header(&record)?;
        Ok(DebitFileWriter {
            writer,
            file_reference: header.file_reference.clone(),
            collection_date: header.collection_date,
            detail_has_date,
            added: 0,
            detail: Record::new(RecordRole::Detail),
        })
    }

    /// Writes one instruction's detail record.
    pub fn add(&mut self, instruction: &DebitInstruction) -> Result<(), LayoutError> {
        self.added += 1;
        if !self.detail_has_date && instruction.collection_date != self.collection_date {
            return Err(another_day(
                self.added,
                instruction.collection_date,
                self.collection_date,
                "file",
            ));
        }
        fill_detail(&mut self.detail, self.writer.layout().detail(), instruction);
        self.writer.write_detail(&self.detail)
    }

    /// Writes the trailer (totals computed, the header's checked), flushes, and returns
    /// the count and control sum written.
    pub fn finish(self) -> Result<FileTotals, LayoutError> {
        self.finish_into().map(|(totals, _)| totals)
    }

    /// As [`finish`](DebitFileWriter::finish), also handing back the output (for a
    /// caller that must sync or hash it).
    pub fn finish_into(self) -> Result<(FileTotals, W), LayoutError> {
        finish_with_trailer(self.writer, &self.file_reference)
    }
}

/// The file header record of `def`'s kind for `header`: the well-known fields it has.
pub(super) fn header_record(def: &RecordDef, header: &DebitFileHeader) -> Record {
    let mut record = Record::new(RecordRole::Header);
    put(
        &mut record,
        def,
        "file_reference",
        Value::text(&header.file_reference),
    );
    put(
        &mut record,
        def,
        "creation_date",
        Value::Date(header.creation_date),
    );
    put(
        &mut record,
        def,
        "collection_date",
        Value::Date(header.collection_date),
    );
    put(
        &mut record,
        def,
        "creditor_name",
        Value::text(&header.creditor_name),
    );
    put(
        &mut record,
        def,
        "creditor_account",
        Value::digits(&header.creditor_account),
    );
    put(
        &mut record,
        def,
        "creditor_id",
        Value::text(&header.creditor_id),
    );
    put(&mut record, def, "currency", Value::text(CURRENCY));
    record
}

/// Sets the well-known fields of `debit` that the detail record `def` has.
pub(super) fn fill_detail(record: &mut Record, def: &RecordDef, debit: &DebitInstruction) {
    put(
        record,
        def,
        "end_to_end_id",
        Value::text(&debit.end_to_end_id),
    );
    put(record, def, "account", Value::digits(&debit.account_digits));
    put(record, def, "debtor_name", Value::text(&debit.debtor_name));
    put(record, def, "amount", Value::Amount(debit.amount));
    put(
        record,
        def,
        "mandate_reference",
        Value::text(&debit.mandate_reference),
    );
    put(
        record,
        def,
        "collection_date",
        Value::Date(debit.collection_date),
    );
}

/// The error for the `added`-th debit, due on `date`, in a layout with one collection date
/// (`file`'s) per `per` ("file" or "batch").
pub(super) fn another_day(
    added: impl std::fmt::Display,
    date: NaiveDate,
    file: NaiveDate,
    per: &str,
) -> LayoutError {
    LayoutError::Write {
        record: format!("detail {added}"),
        field: "collection_date".into(),
        problem: format!(
            "{date} differs from the file's collection date {file} and this layout has one date per {per}"
        ),
    }
}

/// Writes a whole debit file from any `IntoIterator` of instructions (or references to
/// them), streaming through a [`DebitFileWriter`]; returns the count and control sum
/// written.
pub fn write_debit_file<W, I>(
    layout: &Layout,
    header: &DebitFileHeader,
    instructions: I,
    out: W,
) -> Result<FileTotals, LayoutError>
where
    W: Write,
    I: IntoIterator,
    I::Item: Borrow<DebitInstruction>,
{
    let mut writer = DebitFileWriter::new(layout, header, out)?;
    for instruction in instructions {
        writer.add(instruction.borrow())?;
    }
    writer.finish()
}

/// Reads a debit file whole (checked like any layout file).
pub fn read_debit_file(layout: &Layout, bytes: &[u8]) -> Result<DebitFile, LayoutError> {
    fits_the_model(layout)?;
    let mut header = None;
    let mut instructions = Vec::new();
    let mut totals = FileTotals::default();
    for record in layout.records(bytes) {
        let record = record?;
        match record.role() {
            RecordRole::Header => {
                header = Some(DebitFileHeader {
                    file_reference: text(&record, "file_reference"),
                    creation_date: date(layout, &record, "creation_date")?,
                    collection_date: match record.date("collection_date") {
                        Some(d) => d,
                        None => date(layout, &record, "creation_date")?,
                    },
                    creditor_name: text(&record, "creditor_name"),
                    creditor_account: text(&record, "creditor_account"),
                    creditor_id: text(&record, "creditor_id"),
                });
            }
            RecordRole::Detail => {
                let file_date = header.as_ref().map(|h| h.collection_date);
                let collection_date = match (record.date("collection_date"), file_date) {
                    (Some(d), _) | (None, Some(d)) => d,
                    (None, None) => date(layout, &record, "collection_date")?,
                };
                let amount = amount(layout, &record, "amount")?;
                totals.count += 1;
                totals.total = totals.total.checked_add(amount).unwrap_or(totals.total);
                instructions.push(DebitInstruction {
                    end_to_end_id: text(&record, "end_to_end_id"),
                    account_digits: text(&record, "account"),
                    debtor_name: text(&record, "debtor_name"),
                    amount,
                    mandate_reference: text(&record, "mandate_reference"),
                    collection_date,
                });
            }
            RecordRole::Trailer => {}
        }
    }
    let header = header.ok_or_else(|| LayoutError::File("no header record".into()))?;
    Ok(DebitFile {
        layout_name: layout.name().to_owned(),
        header,
        instructions,
        totals,
    })
}

/// Refuses a layout that is not a debit layout or lacks a detail field the model needs.
fn fits_the_model(layout: &Layout) -> Result<(), LayoutError> {
    require_kind(layout, FileKind::Debit)?;
    require_fields(
        layout,
        layout.detail(),
        &["end_to_end_id", "account", "amount"],
    )
}

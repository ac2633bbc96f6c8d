//! Typed return files: [`ReturnFileHeader`] and [`ReturnRecord`] mapped onto a return
//! layout through the well-known field names (`bank-formats/layouts/README.md`), written
//! one record at a time by [`ReturnFileWriter`] (the simulated bank's side, and tests) and
//! read whole or streamed. This is the one place those names are mapped for return files.
//! Knows nothing of collections or the database.

use std::borrow::Borrow;
use std::io::{BufRead, Write};

use chrono::NaiveDate;
use mandates::Amount;

use super::model::{amount, date, finish_with_trailer, put, require_fields, require_kind, text};
use super::{
    FileKind, FileTotals, Layout, LayoutError, LayoutWriter, Record, RecordRole, ReturnStatus,
    Value,
};

/// The header of a return file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnFileHeader {
    /// The institution's reference for this return file.
    pub file_reference: String,
    /// Our debit file it answers (empty if the layout does not carry it).
    pub original_file_reference: String,
    pub creation_date: NaiveDate,
}

/// The outcome for one debit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRecord {
    pub end_to_end_id: String,
    /// The debtor's 20 digits (empty if the layout does not carry them).
    pub account_digits: String,
    pub amount: Amount,
    pub status: ReturnStatus,
    /// The layout's return code, verbatim (empty when accepted); classify it with
    /// [`crate::reasons::classify_layout`].
    pub return_code: String,
    /// Settlement or rejection date.
    pub date: NaiveDate,
    /// The mandate reference, where the layout echoes it.
    pub mandate_reference: Option<String>,
}

/// A return file read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnFile {
    pub layout_name: String,
    pub header: ReturnFileHeader,
    pub records: Vec<ReturnRecord>,
    pub totals: FileTotals,
}

/// Writes a return file as it goes, in constant memory: the header when it is created,
/// then one [`ReturnRecord`] at a time with [`add`](ReturnFileWriter::add), then the
/// trailer with [`finish`](ReturnFileWriter::finish), which returns the count and control
/// sum written. An empty account or return code leaves its field blank. On any error the
/// output is incomplete and must be discarded.
#[derive(Debug)]
pub struct ReturnFileWriter<'l, W: Write> {
    writer: LayoutWriter<'l, W>,
    file_reference: String,
    added: u64,
}

impl<'l, W: Write> ReturnFileWriter<'l, W> {
    /// Checks that `layout` is a return layout with the fields the model needs, and
    /// writes the header.
    pub fn new(
        layout: &'l Layout,
        header: &ReturnFileHeader,
        out: W,
    ) -> Result<ReturnFileWriter<'l, W>, LayoutError> {
        fits_the_model(layout)?;
        let mut writer = LayoutWriter::new(layout, out);
        let def = layout.header();
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
            "original_file_reference",
            Value::text(&header.original_file_reference),
        );
        put(
            &mut record,
            def,
            "creation_date",
            Value::Date(header.creation_date),
        );
        writer.write_header(&record)?;
        Ok(ReturnFileWriter {
            writer,
            file_reference: header.file_reference.clone(),
            added: 0,
        })
    }

    /// Writes one outcome's detail record (its status as the layout's code for it).
    pub fn add(&mut self, item: &ReturnRecord) -> Result<(), LayoutError> {
        self.added += 1;
        let layout = self.writer.layout();
        let status = layout
            .code_for_status(item.status)
            .ok_or_else(|| LayoutError::Write {
                record: format!("detail {}", self.added),
                field: "status".into(),
                problem: format!("the layout has no code for status {}", item.status.as_str()),
            })?;
        let def = layout.detail();
        let mut record = Record::new(RecordRole::Detail);
        put(
            &mut record,
            def,
            "end_to_end_id",
            Value::text(&item.end_to_end_id),
        );
        if !item.account_digits.is_empty() {
            put(
                &mut record,
                def,
                "account",
                Value::digits(&item.account_digits),
            );
        }
        put(&mut record, def, "amount", Value::Amount(item.amount));
        put(&mut record, def, "status", Value::text(status));
        if !item.return_code.is_empty() {
            put(
                &mut record,
                def,
                "return_code",
                Value::text(&item.return_code),
            );
        }
        put(&mut record, def, "date", Value::Date(item.date));
        if let Some(mandate) = &item.mandate_reference {
            put(&mut record, def, "mandate_reference", Value::text(mandate));
        }
        self.writer.write_detail(&record)
    }

    /// Writes the trailer (totals computed), flushes, and returns the count and control
    /// sum written.
    pub fn finish(self) -> Result<FileTotals, LayoutError> {
        self.finish_into().map(|(totals, _)| totals)
    }

    /// As [`finish`](ReturnFileWriter::finish), also handing back the output.
    pub fn finish_into(self) -> Result<(FileTotals, W), LayoutError> {
        finish_with_trailer(self.writer, &self.file_reference)
    }
}

/// Writes a whole return file from any `IntoIterator` of records (or references to them),
/// streaming through a [`ReturnFileWriter`] (the bank simulator's side, and tests).
pub fn write_return_file<W, I>(
    layout: &Layout,
    header: &ReturnFileHeader,
    records: I,
    out: W,
) -> Result<FileTotals, LayoutError>
where
    W: Write,
    I: IntoIterator,
    I::Item: Borrow<ReturnRecord>,
{
    let mut writer = ReturnFileWriter::new(layout, header, out)?;
    for item in records {
        writer.add(item.borrow())?;
    }
    writer.finish()
}

/// Reads a return file whole.
pub fn read_return_file(layout: &Layout, bytes: &[u8]) -> Result<ReturnFile, LayoutError> {
    let mut records = Vec::new();
    let (header, totals) = read_return_stream(layout, bytes, |r| {
        records.push(r);
        Ok(())
    })?;
    Ok(ReturnFile {
        layout_name: layout.name().to_owned(),
        header,
        records,
        totals,
    })
}

/// Reads a return file, handing each record to `on_record` as it is read; returns the
/// header and totals once the trailer has been checked. Records already handed over
/// before an error were well-formed, but the file as a whole was not: callers that
/// import should buffer or roll back.
pub fn read_return_stream<R: BufRead>(
    layout: &Layout,
    reader: R,
    mut on_record: impl FnMut(ReturnRecord) -> Result<(), LayoutError>,
) -> Result<(ReturnFileHeader, FileTotals), LayoutError> {
    fits_the_model(layout)?;
    let mut header: Option<ReturnFileHeader> = None;
    let mut totals = FileTotals::default();
    for record in layout.records(reader) {
        let record = record?;
        match record.role() {
            RecordRole::Header => {
                header = Some(ReturnFileHeader {
                    file_reference: text(&record, "file_reference"),
                    original_file_reference: text(&record, "original_file_reference"),
                    creation_date: date(layout, &record, "creation_date")?,
                });
            }
            RecordRole::Detail => {
                let code = text(&record, "status");
                let status = layout
                    .status_for_code(&code)
                    .ok_or_else(|| LayoutError::Field {
                        line: record.line(),
                        field: "status".into(),
                        problem: format!("'{code}' is not a status code of this layout"),
                    })?;
                let file_date = header.as_ref().map(|h| h.creation_date);
                let date = match (record.date("date"), file_date) {
                    (Some(d), _) | (None, Some(d)) => d,
                    (None, None) => date(layout, &record, "date")?,
                };
                let amount = amount(layout, &record, "amount")?;
                totals.count += 1;
                totals.total = totals.total.checked_add(amount).unwrap_or(totals.total);
                on_record(ReturnRecord {
                    end_to_end_id: text(&record, "end_to_end_id"),
                    account_digits: text(&record, "account"),
                    amount,
                    status,
                    return_code: text(&record, "return_code"),
                    date,
                    mandate_reference: record
                        .text("mandate_reference")
                        .filter(|m| !m.is_empty())
                        .map(str::to_owned),
                })?;
            }
            RecordRole::Trailer => {}
        }
    }
    let header = header.ok_or_else(|| LayoutError::File("no header record".into()))?;
    Ok((header, totals))
}

/// Refuses a layout that is not a return layout or lacks a detail field the model needs.
fn fits_the_model(layout: &Layout) -> Result<(), LayoutError> {
    require_kind(layout, FileKind::Return)?;
    require_fields(
        layout,
        layout.detail(),
        &["end_to_end_id", "amount", "status"],
    )
}

//! Typed debit and return files on top of the generic engine, through well-known field
//! names (documented in `bank-formats/layouts/README.md`). A layout may leave out any
//! field the model does not need; the ones it has are filled or read.

use std::borrow::Borrow;
use std::io::{BufRead, Write};

use chrono::NaiveDate;
use mandates::Amount;

use super::{
    FileKind, Layout, LayoutError, LayoutWriter, Record, RecordDef, RecordRole, ReturnStatus, Value,
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

/// The count and control sum of a file (as written, or as checked when read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileTotals {
    pub count: u64,
    pub total: Amount,
}

fn model_error(layout: &Layout, problem: impl Into<String>) -> LayoutError {
    LayoutError::Model {
        layout: layout.name().to_owned(),
        problem: problem.into(),
    }
}

fn require_kind(layout: &Layout, kind: FileKind) -> Result<(), LayoutError> {
    if layout.kind() == kind {
        Ok(())
    } else {
        Err(model_error(
            layout,
            format!(
                "is a {} layout, not a {} layout",
                kind_name(layout.kind()),
                kind_name(kind)
            ),
        ))
    }
}

fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Debit => "debit",
        FileKind::Return => "return",
    }
}

fn require_fields(layout: &Layout, def: &RecordDef, names: &[&str]) -> Result<(), LayoutError> {
    for name in names {
        if !def.has_field(name) {
            return Err(model_error(
                layout,
                format!(
                    "the {} record needs a field named `{name}`",
                    def.role().as_str()
                ),
            ));
        }
    }
    Ok(())
}

/// Sets `name` only if the record type has it.
fn put(record: &mut Record, def: &RecordDef, name: &str, value: Value) {
    if def.has_field(name) {
        record.set(name, value);
    }
}

/// Writes a debit file, streaming: instructions are encoded as they come. Returns the
/// count and control sum written (record them with the file). Fails, leaving incomplete
/// output to discard, if a value does not fit (an account number or amount is never
/// cut; an end-to-end id longer than its field is an error; names are cut by the
/// layout's rule).
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
    require_kind(layout, FileKind::Debit)?;
    require_fields(
        layout,
        layout.detail(),
        &["end_to_end_id", "account", "amount"],
    )?;
    let detail_has_date = layout.detail().has_field("collection_date");
    if !detail_has_date && !layout.header().has_field("collection_date") {
        return Err(model_error(
            layout,
            "needs a `collection_date` field in the header or the detail record",
        ));
    }
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
    writer.write_header(&record)?;

    let def = layout.detail();
    for (index, instruction) in instructions.into_iter().enumerate() {
        let instruction = instruction.borrow();
        if !detail_has_date && instruction.collection_date != header.collection_date {
            return Err(LayoutError::Write {
                record: format!("detail {}", index + 1),
                field: "collection_date".into(),
                problem: format!(
                    "{} differs from the file's collection date {} and this layout has one date per file",
                    instruction.collection_date, header.collection_date
                ),
            });
        }
        let mut record = Record::new(RecordRole::Detail);
        put(
            &mut record,
            def,
            "end_to_end_id",
            Value::text(&instruction.end_to_end_id),
        );
        put(
            &mut record,
            def,
            "account",
            Value::digits(&instruction.account_digits),
        );
        put(
            &mut record,
            def,
            "debtor_name",
            Value::text(&instruction.debtor_name),
        );
        put(
            &mut record,
            def,
            "amount",
            Value::Amount(instruction.amount),
        );
        put(
            &mut record,
            def,
            "mandate_reference",
            Value::text(&instruction.mandate_reference),
        );
        put(
            &mut record,
            def,
            "collection_date",
            Value::Date(instruction.collection_date),
        );
        writer.write_detail(&record)?;
    }

    let def = layout.trailer();
    let mut record = Record::new(RecordRole::Trailer);
    put(
        &mut record,
        def,
        "file_reference",
        Value::text(&header.file_reference),
    );
    let totals = writer.finish(&record)?;
    Ok(FileTotals {
        count: totals.details,
        total: totals.control_sum,
    })
}

/// Reads a debit file whole (checked like any layout file).
pub fn read_debit_file(layout: &Layout, bytes: &[u8]) -> Result<DebitFile, LayoutError> {
    require_kind(layout, FileKind::Debit)?;
    require_fields(
        layout,
        layout.detail(),
        &["end_to_end_id", "account", "amount"],
    )?;
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

/// Writes a return file (the bank simulator's side, and tests).
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
    require_kind(layout, FileKind::Return)?;
    require_fields(
        layout,
        layout.detail(),
        &["end_to_end_id", "amount", "status"],
    )?;
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

    let def = layout.detail();
    for (index, item) in records.into_iter().enumerate() {
        let item = item.borrow();
        let status = layout
            .code_for_status(item.status)
            .ok_or_else(|| LayoutError::Write {
                record: format!("detail {}", index + 1),
                field: "status".into(),
                problem: format!("the layout has no code for status {}", item.status.as_str()),
            })?;
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
        put(
            &mut record,
            def,
            "return_code",
            Value::text(&item.return_code),
        );
        put(&mut record, def, "date", Value::Date(item.date));
        if let Some(mandate) = &item.mandate_reference {
            put(&mut record, def, "mandate_reference", Value::text(mandate));
        }
        writer.write_detail(&record)?;
    }

    let def = layout.trailer();
    let mut record = Record::new(RecordRole::Trailer);
    put(
        &mut record,
        def,
        "file_reference",
        Value::text(&header.file_reference),
    );
    let totals = writer.finish(&record)?;
    Ok(FileTotals {
        count: totals.details,
        total: totals.control_sum,
    })
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
    require_kind(layout, FileKind::Return)?;
    require_fields(
        layout,
        layout.detail(),
        &["end_to_end_id", "amount", "status"],
    )?;
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

fn text(record: &Record, name: &str) -> String {
    record.text(name).unwrap_or_default().to_owned()
}

fn date(layout: &Layout, record: &Record, name: &str) -> Result<NaiveDate, LayoutError> {
    record
        .date(name)
        .ok_or_else(|| match layout.record(record.role()).has_field(name) {
            true => LayoutError::Field {
                line: record.line(),
                field: name.to_owned(),
                problem: "a date is required here".into(),
            },
            false => model_error(
                layout,
                format!(
                    "the {} record needs a `{name}` date field",
                    record.role().as_str()
                ),
            ),
        })
}

fn amount(layout: &Layout, record: &Record, name: &str) -> Result<Amount, LayoutError> {
    record
        .amount(name)
        .ok_or_else(|| match layout.record(record.role()).has_field(name) {
            true => LayoutError::Field {
                line: record.line(),
                field: name.to_owned(),
                problem: "an amount is required here".into(),
            },
            false => model_error(layout, format!("the detail record needs an `{name}` field")),
        })
}

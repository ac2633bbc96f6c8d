//! What the typed debit and return files (`debit_file.rs`, `return_file.rs`) share: their
//! totals, the checks that a layout fits a model, filling a well-known field where the
//! layout has it, and reading one back with an error that says where. Knows no particular
//! layout and no field name beyond the ones it is given.

use std::io::Write;

use chrono::NaiveDate;
use mandates::Amount;

use super::{
    FileKind, Layout, LayoutError, LayoutWriter, Record, RecordDef, RecordRole, Value,
    WrittenTotals,
};

/// The count and control sum of a file (as written, or as checked when read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileTotals {
    pub count: u64,
    pub total: Amount,
}

impl From<WrittenTotals> for FileTotals {
    fn from(totals: WrittenTotals) -> FileTotals {
        FileTotals {
            count: totals.details,
            total: totals.control_sum,
        }
    }
}

pub(super) fn model_error(layout: &Layout, problem: impl Into<String>) -> LayoutError {
    LayoutError::Model {
        layout: layout.name().to_owned(),
        problem: problem.into(),
    }
}

pub(super) fn require_kind(layout: &Layout, kind: FileKind) -> Result<(), LayoutError> {
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

pub(super) fn require_fields(
    layout: &Layout,
    def: &RecordDef,
    names: &[&str],
) -> Result<(), LayoutError> {
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
pub(super) fn put(record: &mut Record, def: &RecordDef, name: &str, value: Value) {
    if def.has_field(name) {
        record.set(name, value);
    }
}

/// Writes the trailer both typed files share (the header's `file_reference`, where the
/// layout has it; totals computed) and returns the totals and the output.
pub(super) fn finish_with_trailer<W: Write>(
    writer: LayoutWriter<'_, W>,
    file_reference: &str,
) -> Result<(FileTotals, W), LayoutError> {
    let mut record = Record::new(RecordRole::Trailer);
    put(
        &mut record,
        writer.layout().trailer(),
        "file_reference",
        Value::text(file_reference),
    );
    let (totals, out) = writer.finish_into(&record)?;
    Ok((totals.into(), out))
}

pub(super) fn text(record: &Record, name: &str) -> String {
    record.text(name).unwrap_or_default().to_owned()
}

pub(super) fn date(layout: &Layout, record: &Record, name: &str) -> Result<NaiveDate, LayoutError> {
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

pub(super) fn amount(layout: &Layout, record: &Record, name: &str) -> Result<Amount, LayoutError> {
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

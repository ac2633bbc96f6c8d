//! Writing: records → fixed-width lines, one at a time, straight to a `Write`.

use std::io::Write;

use mandates::Amount;

use super::codec::{amount_into, digits_into, encode};
use super::description::Frame;
use super::{
    CountOf, Encoding, FieldDef, FieldKind, Layout, LayoutError, LayoutFile, LineEnding, Record,
    RecordDef, RecordRole, Value,
};

/// Writes a file record by record: [`write_header`](LayoutWriter::write_header) once, then
/// any number of [`write_detail`](LayoutWriter::write_detail), then
/// [`finish`](LayoutWriter::finish) with the trailer. Counts, control sums and sequence
/// numbers are computed; if the caller supplies them anyway they must agree.
///
/// A header that carries a count or a sum must be given it by the caller (a streaming
/// writer cannot know it yet); `finish` refuses the file if it turns out wrong. On any
/// error the output is incomplete and must be discarded.
#[derive(Debug)]
pub struct LayoutWriter<'l, W: Write> {
    layout: &'l Layout,
    out: W,
    state: State,
    details: u64,
    /// Running sums per detail amount field named by a `sum` field.
    sums: Vec<(String, Amount)>,
    /// Totals the header declared, checked in `finish`.
    header_totals: Vec<(String, Value)>,
    bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Body,
}

/// Counts and sums of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenTotals {
    pub details: u64,
    pub control_sum: Amount,
}

impl<'l, W: Write> LayoutWriter<'l, W> {
    pub fn new(layout: &'l Layout, out: W) -> Self {
        let mut sums: Vec<(String, Amount)> = Vec::new();
        for role in [RecordRole::Header, RecordRole::Trailer] {
            for field in layout.record(role).fields() {
                if let FieldKind::Sum { of } = field.kind()
                    && !sums.iter().any(|(name, _)| name == of)
                {
                    sums.push((of.clone(), Amount::ZERO));
                }
            }
        }
        LayoutWriter {
            layout,
            out,
            state: State::Start,
            details: 0,
            sums,
            header_totals: Vec::new(),
            bytes: Vec::with_capacity(layout.record_length() + 2),
        }
    }

    /// The layout being written.
    pub fn layout(&self) -> &'l Layout {
        self.layout
    }

    pub fn write_header(&mut self, record: &Record) -> Result<(), LayoutError> {
        if self.state != State::Start {
            return Err(order_error("header", "the header is written once, first"));
        }
        let def = self.layout.header();
        let line = self.encode_record(def, record, "header".into(), None)?;
        for field in def.fields() {
            if matches!(
                field.kind(),
                FieldKind::Count { .. } | FieldKind::Sum { .. }
            ) && let Some(value) = record.get(field.name())
            {
                self.header_totals
                    .push((field.name().to_owned(), value.clone()));
            }
        }
        self.emit(&line)?;
        self.state = State::Body;
        Ok(())
    }

    pub fn write_detail(&mut self, record: &Record) -> Result<(), LayoutError> {
        if self.state != State::Body {
            return Err(order_error("detail", "write the header first"));
        }
        let number = self.details + 1;
        let label = format!("detail {number}");
        let def = self.layout.detail();
        let line = self.encode_record(def, record, label.clone(), Some(number))?;
        for (source, sum) in &mut self.sums {
            let amount = record.amount(source).unwrap_or(Amount::ZERO);
            *sum = sum.checked_add(amount).ok_or_else(|| LayoutError::Write {
                record: label.clone(),
                field: source.clone(),
                problem: "the control sum overflows".into(),
            })?;
        }
        self.emit(&line)?;
        self.details = number;
        Ok(())
    }

    /// Checks the header's declared totals, writes the trailer (computing its totals),
    /// flushes, and returns the file's count and control sum (the sum of the first summed
    /// field, zero if the layout sums nothing).
    pub fn finish(self, trailer: &Record) -> Result<WrittenTotals, LayoutError> {
        self.finish_into(trailer).map(|(totals, _)| totals)
    }

    /// As [`finish`](LayoutWriter::finish), also handing back the output (for a caller
    /// that must sync or hash it).
    pub fn finish_into(mut self, trailer: &Record) -> Result<(WrittenTotals, W), LayoutError> {
        if self.state != State::Body {
            return Err(order_error("trailer", "write the header first"));
        }
        for (name, declared) in &self.header_totals {
            let Some(field) = self.layout.header().field(name) else {
                continue;
            };
            let actual = self.computed(field.kind(), field.width(), "header", name)?;
            let declared_text = encode_total(declared, field.width(), "header", name)?;
            if declared_text != actual {
                return Err(LayoutError::Write {
                    record: "header".into(),
                    field: name.clone(),
                    problem: format!(
                        "declared {declared} but the file has {}",
                        match field.kind() {
                            FieldKind::Count {
                                of: CountOf::Details,
                            } => self.details.to_string(),
                            FieldKind::Count {
                                of: CountOf::Records,
                            } => (self.details + 2).to_string(),
                            FieldKind::Count {
                                of: CountOf::Batches,
                            } => "1".to_owned(),
                            _ => self.sum_for(field.kind()).to_string(),
                        }
                    ),
                });
            }
        }
        let def = self.layout.trailer();
        let line = self.encode_record(def, trailer, "trailer".into(), None)?;
        self.emit(&line)?;
        self.out.flush()?;
        let totals = WrittenTotals {
            details: self.details,
            control_sum: self.sums.first().map(|(_, s)| *s).unwrap_or(Amount::ZERO),
        };
        Ok((totals, self.out))
    }

    fn sum_for(&self, kind: &FieldKind) -> Amount {
        match kind {
            FieldKind::Sum { of } => self
                .sums
                .iter()
                .find(|(name, _)| name == of)
                .map(|(_, s)| *s)
                .unwrap_or(Amount::ZERO),
            _ => Amount::ZERO,
        }
    }

    fn computed(
        &self,
        kind: &FieldKind,
        width: usize,
        record: &str,
        name: &str,
    ) -> Result<String, LayoutError> {
        let text = match kind {
            FieldKind::Count { of } => {
                let n = match of {
                    CountOf::Details => self.details,
                    CountOf::Records => self.details + 2,
                    // Refused when loading a single-batch layout; its file is one batch.
                    CountOf::Batches => 1,
                };
                digits_into(&n.to_string(), width, false)
            }
            FieldKind::Sum { .. } => amount_into(self.sum_for(kind), width),
            _ => Ok(String::new()),
        };
        text.map_err(|problem| LayoutError::Write {
            record: record.to_owned(),
            field: name.to_owned(),
            problem,
        })
    }

    fn encode_record(
        &self,
        def: &RecordDef,
        record: &Record,
        label: String,
        sequence: Option<u64>,
    ) -> Result<String, LayoutError> {
        encode_record(self.layout, def, record, &label, sequence, &|field| {
            self.computed(field.kind(), field.width(), &label, field.name())
        })
    }

    fn emit(&mut self, line: &str) -> Result<(), LayoutError> {
        emit_line(self.layout, line, &mut self.bytes, &mut self.out)
    }
}

/// One record as a line of characters: the record-type code, then every field of `def`
/// from `record` (constants and fillers put in, sequence number `sequence`, a trailer's
/// counts and sums from `computed` and checked against any value given; a header's
/// given); `label` names the record in errors ("detail 3").
pub(super) fn encode_record(
    layout: &impl Frame,
    def: &RecordDef,
    record: &Record,
    label: &str,
    sequence: Option<u64>,
    computed: &dyn Fn(&FieldDef) -> Result<String, LayoutError>,
) -> Result<String, LayoutError> {
    let error = |field: &str, problem: String| LayoutError::Write {
        record: label.to_owned(),
        field: field.to_owned(),
        problem,
    };
    if record.role() != def.role() {
        return Err(error(
            "record_type",
            format!("a {} record was given", record.role().as_str()),
        ));
    }
    for (name, _) in record.fields() {
        if !def.has_field(name) {
            return Err(error(name, "this record type has no such field".into()));
        }
    }
    let mut chars = vec![' '; layout.record_length()];
    let (rt_start, _) = layout.record_type_position();
    for (i, c) in def.code().chars().enumerate() {
        chars[rt_start - 1 + i] = c;
    }
    for field in def.fields() {
        let given = record.get(field.name());
        let text = match field.kind() {
            FieldKind::Constant(value) => {
                if let Some(v) = given
                    && v.as_text() != Some(value.as_str())
                {
                    return Err(error(
                        field.name(),
                        format!("is the constant {value:?}, not {v:?}"),
                    ));
                }
                value.clone()
            }
            FieldKind::Filler(c) => c.to_string().repeat(field.width()),
            FieldKind::Sequence => {
                let n = sequence.unwrap_or(0);
                let text = digits_into(&n.to_string(), field.width(), false)
                    .map_err(|p| error(field.name(), p))?;
                if let Some(v) = given
                    && v.as_u64() != Some(n)
                {
                    return Err(error(
                        field.name(),
                        format!("given {v} but this is detail number {n}"),
                    ));
                }
                text
            }
            FieldKind::Count { .. } | FieldKind::Sum { .. }
                if def.role() == RecordRole::Trailer =>
            {
                let text = computed(field)?;
                if let Some(v) = given {
                    let declared = encode_total(v, field.width(), label, field.name())?;
                    if declared != text {
                        return Err(error(
                            field.name(),
                            format!(
                                "given {v} but the computed total is {}",
                                match text.trim_start_matches('0') {
                                    "" => "0",
                                    digits => digits,
                                }
                            ),
                        ));
                    }
                }
                text
            }
            FieldKind::Count { .. } | FieldKind::Sum { .. } => match given {
                Some(v) => encode_total(v, field.width(), label, field.name())?,
                None => {
                    return Err(error(
                        field.name(),
                        "the header carries this total: supply it (a streaming writer cannot compute it before the details)".into(),
                    ));
                }
            },
            FieldKind::Status => {
                let code = given.and_then(Value::as_text).unwrap_or_default();
                if layout.status_for_code(code).is_none() {
                    return Err(error(
                        field.name(),
                        format!("'{code}' is not a status code of this layout"),
                    ));
                }
                code.to_owned()
            }
            _ => encode(field, given, layout.charset(), layout.encoding())
                .map_err(|p| error(field.name(), p))?,
        };
        let start = field.start() - 1;
        let mut count = 0;
        for (i, c) in text.chars().enumerate().take(field.width()) {
            chars[start + i] = c;
            count += 1;
        }
        if count != field.width() {
            return Err(error(
                field.name(),
                format!("encoded to {count} characters instead of {}", field.width()),
            ));
        }
    }
    Ok(chars.into_iter().collect())
}

/// Writes one encoded line in the layout's encoding, with its line ending, through the
/// reused buffer `bytes`.
pub(super) fn emit_line<W: Write>(
    layout: &impl Frame,
    line: &str,
    bytes: &mut Vec<u8>,
    out: &mut W,
) -> Result<(), LayoutError> {
    bytes.clear();
    match layout.encoding() {
        Encoding::Utf8 => bytes.extend_from_slice(line.as_bytes()),
        Encoding::Ascii | Encoding::Latin1 => {
            let limit = if layout.encoding() == Encoding::Ascii {
                0x7F
            } else {
                0xFF
            };
            for (i, c) in line.chars().enumerate() {
                let code = c as u32;
                if code > limit {
                    return Err(LayoutError::Write {
                        record: "record".into(),
                        field: format!("position {}", i + 1),
                        problem: format!("{c:?} cannot be written in the layout's encoding"),
                    });
                }
                bytes.push(code as u8);
            }
        }
    }
    match layout.line_ending() {
        LineEnding::CrLf => bytes.extend_from_slice(b"\r\n"),
        LineEnding::Lf => bytes.push(b'\n'),
        LineEnding::None => {}
    }
    out.write_all(bytes)?;
    Ok(())
}

fn encode_total(
    value: &Value,
    width: usize,
    record: &str,
    name: &str,
) -> Result<String, LayoutError> {
    let text = match value {
        Value::Digits(d) | Value::Text(d) => digits_into(d, width, false),
        Value::Amount(a) => amount_into(*a, width),
        other => Err(format!("expects a count or an amount, got {other:?}")),
    };
    text.map_err(|problem| LayoutError::Write {
        record: record.to_owned(),
        field: name.to_owned(),
        problem,
    })
}

fn order_error(record: &str, problem: &str) -> LayoutError {
    LayoutError::Write {
        record: record.to_owned(),
        field: "record_type".into(),
        problem: problem.to_owned(),
    }
}

impl Layout {
    /// Writes a whole [`LayoutFile`] (e.g. one read earlier) to `out`.
    pub fn write_file<W: Write>(
        &self,
        file: &LayoutFile,
        out: W,
    ) -> Result<WrittenTotals, LayoutError> {
        let mut writer = LayoutWriter::new(self, out);
        writer.write_header(&file.header)?;
        for detail in &file.details {
            writer.write_detail(detail)?;
        }
        writer.finish(&file.trailer)
    }
}

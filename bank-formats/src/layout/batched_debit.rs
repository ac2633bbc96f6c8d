//! Typed debit files in a [`BatchedLayout`]: the same [`DebitFileHeader`] and
//! [`DebitInstruction`]s as a single-batch debit file, grouped into one batch per debtor
//! bank (the first 3 digits of the RIB or RIP), banks in ascending code order and each
//! bank's debits in the order they were added — so the same debits always give the same
//! bytes. Each debit is written as one record of every detail kind, in description order
//! (the example's `debit`, then its `reference`), each with the well-known fields it has.

use std::collections::BTreeMap;
use std::io::Write;

use super::debit_file::{another_day, fill_detail, header_record};
use super::model::put;
use super::{
    BatchedLayout, BatchedWriter, DebitFileHeader, DebitInstruction, FileKind, FileTotals,
    LayoutError, Part, Record, RecordDef, RecordRole, Value,
};

/// Collects a file's debits by debtor bank, then writes the whole file with
/// [`finish_into`](BatchedDebitWriter::finish_into) (a batch's header cannot be written
/// before every debit of its bank is known). Holds the file's instructions in memory: a
/// file is bounded by the institution's maximum transactions per file.
#[derive(Debug)]
pub struct BatchedDebitWriter<'l, W: Write> {
    layout: &'l BatchedLayout,
    header: DebitFileHeader,
    out: W,
    banks: BTreeMap<String, Vec<DebitInstruction>>,
}

impl<'l, W: Write> BatchedDebitWriter<'l, W> {
    /// Checks that `layout` is a debit layout whose details carry what the model needs
    /// (`end_to_end_id`, `account`, `amount`, in some detail kind) and whose batch header
    /// has a `debtor_bank`.
    pub fn new(
        layout: &'l BatchedLayout,
        header: &DebitFileHeader,
        out: W,
    ) -> Result<BatchedDebitWriter<'l, W>, LayoutError> {
        let problem = |problem: String| LayoutError::Model {
            layout: layout.name().to_owned(),
            problem,
        };
        if layout.kind() != FileKind::Debit {
            return Err(problem("is a return layout, not a debit layout".into()));
        }
        for name in ["end_to_end_id", "account", "amount"] {
            if !layout.detail_kinds().any(|t| t.def().has_field(name)) {
                return Err(problem(format!(
                    "no detail record has a field named `{name}`"
                )));
            }
        }
        if !layout
            .single(Part::BatchHeader)
            .def()
            .has_field("debtor_bank")
        {
            return Err(problem(
                "the batch header needs a `debtor_bank` field (a batch per debtor bank)".into(),
            ));
        }
        Ok(BatchedDebitWriter {
            layout,
            header: header.clone(),
            out,
            banks: BTreeMap::new(),
        })
    }

    /// Adds one debit to its bank's batch; refuses one for another day than the file.
    pub fn add(&mut self, instruction: &DebitInstruction) -> Result<(), LayoutError> {
        let added = self.banks.values().map(Vec::len).sum::<usize>() + 1;
        let date_per_detail = self
            .layout
            .detail_kinds()
            .any(|t| t.def().has_field("collection_date"));
        if !date_per_detail && instruction.collection_date != self.header.collection_date {
            return Err(another_day(
                added,
                instruction.collection_date,
                self.header.collection_date,
                "batch",
            ));
        }
        let Some(bank) = instruction.account_digits.get(..3) else {
            return Err(LayoutError::Write {
                record: format!("detail {added}"),
                field: "account".into(),
                problem: "too short to carry a bank code".into(),
            });
        };
        self.banks
            .entry(bank.to_owned())
            .or_default()
            .push(instruction.clone());
        Ok(())
    }

    /// Writes the whole file — file header, a batch per bank, file trailer, every count
    /// and sum computed — and returns the debits' count and sum with the output.
    pub fn finish_into(self) -> Result<(FileTotals, W), LayoutError> {
        let layout = self.layout;
        let header = &self.header;
        let mut writer = BatchedWriter::new(layout, self.out);
        writer.file_header(&header_record(
            layout.single(Part::FileHeader).def(),
            header,
        ))?;
        let mut totals = FileTotals::default();
        for (bank, debits) in &self.banks {
            let def = layout.single(Part::BatchHeader).def();
            let mut record = Record::new(RecordRole::Header);
            put(&mut record, def, "debtor_bank", Value::digits(bank));
            put(
                &mut record,
                def,
                "batch_reference",
                Value::text(format!("{}-{bank}", header.file_reference)),
            );
            put(
                &mut record,
                def,
                "collection_date",
                Value::Date(header.collection_date),
            );
            writer.begin_batch(&record)?;
            for debit in debits {
                for kind in layout.detail_kinds() {
                    writer.detail(kind.name(), &detail(kind.def(), debit))?;
                }
                totals.count += 1;
                totals.total =
                    totals
                        .total
                        .checked_add(debit.amount)
                        .ok_or_else(|| LayoutError::Write {
                            record: "file trailer".into(),
                            field: "amount".into(),
                            problem: "the total overflows".into(),
                        })?;
            }
            let def = layout.single(Part::BatchTrailer).def();
            let mut record = Record::new(RecordRole::Trailer);
            put(&mut record, def, "debtor_bank", Value::digits(bank));
            writer.end_batch(&record)?;
        }
        let def = layout.single(Part::FileTrailer).def();
        let mut record = Record::new(RecordRole::Trailer);
        put(
            &mut record,
            def,
            "file_reference",
            Value::text(&header.file_reference),
        );
        let (_, out) = writer.finish_into(&record)?;
        Ok((totals, out))
    }
}

/// One detail record of kind `def` for `debit`: the well-known fields it has.
fn detail(def: &RecordDef, debit: &DebitInstruction) -> Record {
    let mut record = Record::new(RecordRole::Detail);
    fill_detail(&mut record, def, debit);
    record
}

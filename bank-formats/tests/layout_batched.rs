//! Batched layouts (several record types: file header, batches with their headers, detail
//! records of two kinds and trailers, file trailer), on the shipped example
//! `example-batched-debit`: written and read back, every trailer's totals checked and each
//! mismatch reported at its record, one problem per record.
#![allow(clippy::unwrap_used)]

use bank_formats::layout::*;
use chrono::NaiveDate;
use mandates::Amount;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Debits per debtor bank: (bank code, amounts in centimes).
const BANKS: [(&str, &[i64]); 2] = [("004", &[150_000, 2_500_075, 99]), ("010", &[1_234_500, 7])];

/// Writes the example file: a batch per bank, each debit followed by its reference
/// record (the second debit of each batch without a remittance line).
fn write_example() -> (Vec<u8>, BatchedTotals, Vec<BatchedTotals>) {
    let layout = example_batched_layout();
    let mut writer = BatchedWriter::new(layout, Vec::new());
    writer
        .file_header(
            &Record::new(RecordRole::Header)
                .with("file_reference", Value::text("TAH-20260315-0001"))
                .with("creation_date", Value::Date(date(2026, 3, 10)))
                .with("creditor_account", Value::digits("00400174401001050486"))
                .with("creditor_name", Value::text("Caisse CACOBATPH")),
        )
        .unwrap();
    let mut batches = Vec::new();
    let mut n = 0;
    for (bank, amounts) in BANKS {
        writer
            .begin_batch(
                &Record::new(RecordRole::Header)
                    .with("debtor_bank", Value::digits(bank))
                    .with("batch_reference", Value::text(format!("TAH-0001-{bank}")))
                    .with("collection_date", Value::Date(date(2026, 3, 15))),
            )
            .unwrap();
        for (i, centimes) in amounts.iter().enumerate() {
            n += 1;
            writer
                .detail(
                    "debit",
                    &Record::new(RecordRole::Detail)
                        .with(
                            "account",
                            Value::digits(format!("{bank}00174401001050{n:03}")),
                        )
                        .with("debtor_name", Value::text(format!("Entreprise Sétif {n}")))
                        .with("amount", Value::Amount(Amount::from_centimes(*centimes)))
                        .with("end_to_end_id", Value::text(format!("TAH-0001-{n:05}"))),
                )
                .unwrap();
            let mut reference = Record::new(RecordRole::Detail)
                .with("mandate_reference", Value::text(format!("CACO-16-{n:07}")));
            if i != 1 {
                reference.set(
                    "remittance",
                    Value::text(format!("cotisations 2026-02 avis {n}")),
                );
            }
            writer.detail("reference", &reference).unwrap();
        }
        batches.push(
            writer
                .end_batch(
                    &Record::new(RecordRole::Trailer).with("debtor_bank", Value::digits(bank)),
                )
                .unwrap(),
        );
    }
    let (totals, bytes) = writer
        .finish_into(
            &Record::new(RecordRole::Trailer)
                .with("file_reference", Value::text("TAH-20260315-0001")),
        )
        .unwrap();
    (bytes, totals, batches)
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn join(lines: &[String]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| format!("{l}\r\n").into_bytes())
        .collect()
}

/// Puts `value` (right-aligned, zero-padded to the field) into field `field` of the
/// record at 1-based line `line`.
fn set_field(file: &mut [String], line: usize, kind: &str, field: &str, value: &str) {
    let def = example_batched_layout().record_type(kind).unwrap().def();
    let f = def.field(field).unwrap();
    let text = format!("{value:0>width$}", width = f.width());
    let record = &mut file[line - 1];
    record.replace_range(f.start() - 1..f.end(), &text);
}

fn describe(problems: &[LayoutError]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

#[test]
fn a_batched_file_round_trips_with_its_totals_computed() {
    let layout = example_batched_layout();
    let (bytes, totals, batches) = write_example();
    let file = lines(&bytes);
    // file header, 2 × (batch header + 2 records per debit + batch trailer), file trailer
    assert_eq!(file.len(), 1 + (1 + 6 + 1) + (1 + 4 + 1) + 1);
    assert!(file.iter().all(|l| l.len() == 120));
    assert_eq!(
        (totals.batches, totals.details, totals.records),
        (2, 10, 16)
    );
    assert_eq!(
        totals.sum("amount"),
        Amount::from_centimes(150_000 + 2_500_075 + 99 + 1_234_500 + 7)
    );
    assert_eq!((batches[0].details, batches[0].records), (6, 8));
    assert_eq!(batches[0].sum("amount"), Amount::from_centimes(2_650_174));
    assert_eq!(batches[1].sum("amount"), Amount::from_centimes(1_234_507));
    // The totals are where the layout puts them.
    assert_eq!(&file[8][..39], "190040000000600000008000000000002650174");
    assert_eq!(
        &file[15][37..77],
        "0000020000001000000016000000000003884681"
    );
    assert!(
        layout.validate(&bytes).is_empty(),
        "{:?}",
        describe(&layout.validate(&bytes))
    );

    let read = layout.read(&bytes).unwrap();
    assert_eq!(read.batches.len(), 2);
    assert_eq!(read.batches[0].header.text("debtor_bank"), Some("004"));
    assert_eq!(read.batches[1].details.len(), 4);
    let kinds: Vec<&str> = read.batches[0]
        .details
        .iter()
        .map(|d| d.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "debit",
            "reference",
            "debit",
            "reference",
            "debit",
            "reference"
        ]
    );
    let second = &read.batches[0].details[2].record;
    assert_eq!(
        second.amount("amount"),
        Some(Amount::from_centimes(2_500_075))
    );
    assert_eq!(second.text("debtor_name"), Some("ENTREPRISE SETIF 2"));
    assert_eq!(
        read.batches[0].details[3].record.get("remittance"),
        Some(&Value::Empty)
    );
    assert_eq!(
        read.batches[1].trailer.amount("batch_total"),
        Some(Amount::from_centimes(1_234_507))
    );
    assert_eq!(read.file_trailer.text("batch_count"), Some("000002"));

    // What was read writes the same bytes again.
    let mut again = Vec::new();
    let rewritten = layout.write_file(&read, &mut again).unwrap();
    assert_eq!(again, bytes);
    assert_eq!(rewritten, totals);

    // Streamed record by record, in file order with their parts.
    let parts: Vec<Part> = layout
        .records(&bytes[..])
        .map(|r| r.unwrap().part)
        .collect();
    assert_eq!(parts.first(), Some(&Part::FileHeader));
    assert_eq!(parts[8], Part::BatchTrailer);
    assert_eq!(parts.last(), Some(&Part::FileTrailer));
}

#[test]
fn each_trailer_mismatch_is_reported_at_its_record_and_field() {
    let layout = example_batched_layout();
    let (bytes, _, _) = write_example();
    // (line, record type, field, wrong value, what the problem says)
    let cases: [(usize, &str, &str, &str, &str); 7] = [
        (
            9,
            "batch_trailer",
            "detail_count",
            "7",
            "count '00000007' but the batch has 6 detail records",
        ),
        (
            9,
            "batch_trailer",
            "record_count",
            "9",
            "count '00000009' but the batch has 8 records",
        ),
        (
            9,
            "batch_trailer",
            "batch_total",
            "2650175",
            "control sum 26501.75 but the batch's `amount` amounts add up to 26501.74",
        ),
        (
            16,
            "file_trailer",
            "batch_count",
            "3",
            "count '000003' but the file has 2 batches",
        ),
        (
            16,
            "file_trailer",
            "detail_count",
            "11",
            "count '00000011' but the file has 10 detail records",
        ),
        (
            16,
            "file_trailer",
            "record_count",
            "15",
            "count '00000015' but the file has 16 records",
        ),
        (
            16,
            "file_trailer",
            "total_amount",
            "1",
            "control sum 0.01 but the file's `amount` amounts add up to 38846.81",
        ),
    ];
    for (line, kind, field, value, says) in cases {
        let mut file = lines(&bytes);
        set_field(&mut file, line, kind, field, value);
        let changed = join(&file);
        let expected = format!("line {line}, field {field}: {says}");
        assert_eq!(
            describe(&layout.validate(&changed)),
            std::slice::from_ref(&expected),
            "{kind}.{field}"
        );
        let streamed: Vec<_> = layout.records(&changed[..]).collect();
        let error = streamed.last().unwrap().as_ref().unwrap_err();
        assert_eq!(error.to_string(), expected, "{kind}.{field}, streamed");
        assert_eq!(layout.read(&changed).unwrap_err().to_string(), expected);
    }
    // A second batch's trailer is checked against its own batch, not the first's.
    let mut file = lines(&bytes);
    set_field(&mut file, 15, "batch_trailer", "batch_total", "2650174");
    assert_eq!(
        describe(&layout.validate(&join(&file))),
        [
            "line 15, field batch_total: control sum 26501.74 but the batch's `amount` amounts add up to 12345.07"
        ]
    );
}

#[test]
fn one_problem_per_record_and_no_cascade() {
    let layout = example_batched_layout();
    let (bytes, _, _) = write_example();

    // A changed amount: the two sums that include it disagree, nothing else.
    let mut file = lines(&bytes);
    set_field(&mut file, 3, "debit", "amount", "150001");
    assert_eq!(
        describe(&layout.validate(&join(&file))),
        [
            "line 9, field batch_total: control sum 26501.74 but the batch's `amount` amounts add up to 26501.75",
            "line 16, field total_amount: control sum 38846.81 but the file's `amount` amounts add up to 38846.82",
        ]
    );

    // A record with several bad fields and a non-ASCII byte is one problem; it keeps its
    // place (counts and sequence numbers after it still hold) and makes the sums
    // unknowable rather than wrong.
    let mut file = lines(&bytes);
    set_field(&mut file, 5, "debit", "amount", "12X4");
    set_field(&mut file, 5, "debit", "account", "ABC");
    let mut changed = join(&file);
    // Line 5 starts after four records of 120 characters and CRLF.
    changed[4 * 122 + 40] = 0xE9;
    let problems = describe(&layout.validate(&changed));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("line 5: byte 0xE9"), "{problems:?}");

    // Out of place: a missing batch trailer is one problem at the next batch header.
    let mut file = lines(&bytes);
    file.remove(8);
    assert_eq!(
        describe(&layout.validate(&join(&file))),
        [
            "line 9: a batch header, but the batch opened at line 2 has no batch trailer",
            "line 15, field record_count: count '00000016' but the file has 15 records",
        ]
    );

    // A reference record without its debit, a detail outside a batch, a record after the
    // file trailer, a truncated file.
    let mut file = lines(&bytes);
    file.swap(2, 3);
    let problems = describe(&layout.validate(&join(&file)));
    assert_eq!(
        problems[0],
        "line 3: a reference record must come straight after a debit record"
    );
    let mut file = lines(&bytes);
    let debit = file[2].clone();
    file.insert(9, debit);
    let problems = describe(&layout.validate(&join(&file)));
    assert!(
        problems[0].starts_with("line 10: a debit record outside a batch"),
        "{problems:?}"
    );
    let mut file = lines(&bytes);
    let header = file[1].clone();
    file.push(header);
    assert_eq!(
        describe(&layout.validate(&join(&file))),
        ["line 17: a record after the file trailer"]
    );
    let file = lines(&bytes);
    let problems = describe(&layout.validate(&join(&file[..12])));
    assert_eq!(
        problems,
        [
            "file: the batch opened at line 10 has no batch trailer and the file no file trailer (the file may be truncated)"
        ]
    );
}

#[test]
fn the_writer_refuses_what_the_structure_does_not_allow() {
    let layout = example_batched_layout();
    let mut writer = BatchedWriter::new(layout, Vec::new());
    let detail = Record::new(RecordRole::Detail).with("mandate_reference", Value::text("M1"));
    let err = writer.detail("reference", &detail).unwrap_err().to_string();
    assert!(err.contains("begin a batch first"), "{err}");
    writer
        .file_header(
            &Record::new(RecordRole::Header)
                .with("file_reference", Value::text("F"))
                .with("creation_date", Value::Date(date(2026, 3, 10)))
                .with("creditor_account", Value::digits("00400174401001050486"))
                .with("creditor_name", Value::text("X")),
        )
        .unwrap();
    writer
        .begin_batch(
            &Record::new(RecordRole::Header)
                .with("debtor_bank", Value::digits("004"))
                .with("batch_reference", Value::text("B"))
                .with("collection_date", Value::Date(date(2026, 3, 15))),
        )
        .unwrap();
    let err = writer.detail("reference", &detail).unwrap_err().to_string();
    assert!(
        err.contains("a reference record comes straight after a debit record"),
        "{err}"
    );
    let err = writer.detail("addenda", &detail).unwrap_err().to_string();
    assert!(
        err.contains("no detail kind \"addenda\" (it has debit, reference)"),
        "{err}"
    );
    let err = writer
        .end_batch(
            &Record::new(RecordRole::Trailer)
                .with("debtor_bank", Value::digits("004"))
                .with("detail_count", Value::number(3)),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("batch 1 trailer, field detail_count: given 3 but the computed total is 0"),
        "{err}"
    );
}

#[test]
fn batched_descriptions_are_checked_when_loaded() {
    let example = include_str!("../layouts/example-batched-debit.toml");
    let cases = [
        (
            r#"{ name = "sequence", start = 3, width = 7, type = "sequence", description = "detail number in the file (every kind)" },"#,
            r#"{ name = "sequence", start = 3, width = 7, type = "count", of = "batches" },"#,
            "reference field sequence: counts belong in the header or trailer",
        ),
        (
            r#"{ name = "detail_count", start = 6, width = 8, type = "count", of = "details", description = "number of detail records of the batch (both kinds)" },"#,
            r#"{ name = "detail_count", start = 6, width = 8, type = "count", of = "batches" },"#,
            "a count of batches belongs in the file trailer",
        ),
        (
            r#"{ name = "filler", start = 49, width = 72, type = "filler", description = "spaces" },"#,
            r#"{ name = "n", start = 49, width = 8, type = "count" },"#,
            "counts and sums belong in the batch or file trailer",
        ),
        (
            r#"of = "amount", description = "sum of every debit amount, in centimes" },"#,
            r#"of = "debtor_name" },"#,
            "must name an amount field of a detail record",
        ),
        (
            r#"code = "22""#,
            r#"code = "21""#,
            "the same record-type code",
        ),
        (
            r#"follows = "debit""#,
            r#"follows = "credit""#,
            "must name a detail kind",
        ),
        (
            r#"name = "reference""#,
            r#"name = "debit""#,
            "detail debit is listed twice",
        ),
    ];
    assert!(BatchedLayout::from_toml(example).is_ok());
    for (from, to, says) in cases {
        assert!(example.contains(from), "{from}");
        let err = BatchedLayout::from_toml(&example.replacen(from, to, 1))
            .unwrap_err()
            .to_string();
        assert!(err.contains(says), "{to}: {err}");
    }
    // A single-batch layout has no batches to count.
    let single = include_str!("../layouts/interbank-debit.toml").replace(
        r#"type = "count", of = "details""#,
        r#"type = "count", of = "batches""#,
    );
    let err = Layout::from_toml(&single).unwrap_err().to_string();
    assert!(
        err.contains(r#"a count is `of = "details"`, `"records"`, not "batches""#),
        "{err}"
    );
}

#[test]
fn the_example_is_documented_in_step_with_its_description() {
    let layout = example_batched_layout();
    let doc = include_str!("../layouts/example-batched-debit.md");
    assert!(
        doc.contains("an example"),
        "the doc must say it is an example"
    );
    assert!(
        doc.contains(&layout.fields_markdown()),
        "example-batched-debit.md: the field tables differ from the description; paste BatchedLayout::fields_markdown()"
    );
    assert!(doc.contains("## Example"));
}

/// A debit to write: amount in centimes, a name, and whether it has a remittance line.
type Debit = (i64, String, bool);

fn write_batches(batches: &[(String, Vec<Debit>)]) -> (Vec<u8>, BatchedTotals) {
    let layout = example_batched_layout();
    let mut writer = BatchedWriter::new(layout, Vec::new());
    writer
        .file_header(
            &Record::new(RecordRole::Header)
                .with("file_reference", Value::text("F-PROP"))
                .with("creation_date", Value::Date(date(2026, 3, 10)))
                .with("creditor_account", Value::digits("00400174401001050486"))
                .with("creditor_name", Value::text("CACOBATPH")),
        )
        .unwrap();
    let mut n = 0;
    for (bank, debits) in batches {
        writer
            .begin_batch(
                &Record::new(RecordRole::Header)
                    .with("debtor_bank", Value::digits(bank.as_str()))
                    .with("batch_reference", Value::text(format!("B-{bank}")))
                    .with("collection_date", Value::Date(date(2026, 3, 15))),
            )
            .unwrap();
        for (centimes, name, remittance) in debits {
            n += 1;
            writer
                .detail(
                    "debit",
                    &Record::new(RecordRole::Detail)
                        .with("account", Value::digits(format!("{bank}{n:017}")))
                        .with("debtor_name", Value::text(name.as_str()))
                        .with("amount", Value::Amount(Amount::from_centimes(*centimes)))
                        .with("end_to_end_id", Value::text(format!("E{n}"))),
                )
                .unwrap();
            let mut reference = Record::new(RecordRole::Detail)
                .with("mandate_reference", Value::text(format!("M{n}")));
            if *remittance {
                reference.set("remittance", Value::text(format!("avis {n}")));
            }
            writer.detail("reference", &reference).unwrap();
        }
        writer
            .end_batch(
                &Record::new(RecordRole::Trailer).with("debtor_bank", Value::digits(bank.as_str())),
            )
            .unwrap();
    }
    writer
        .finish_into(
            &Record::new(RecordRole::Trailer).with("file_reference", Value::text("F-PROP")),
        )
        .map(|(totals, bytes)| (bytes, totals))
        .unwrap()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// Any batched file the writer writes validates, reads back to what was written
    /// (amounts, kinds, totals in the trailers) and writes the same bytes again; changing
    /// one digit of one amount is exactly two problems: at its batch trailer and at the
    /// file trailer.
    #[test]
    fn any_written_batched_file_round_trips_and_a_changed_amount_shows_in_two_trailers(
        batches in proptest::collection::vec(
            (
                "[0-9]{3}",
                proptest::collection::vec(
                    (1i64..1_000_000_000_000, "[A-Za-zé ]{1,40}", proptest::bool::ANY),
                    0..5,
                ),
            ),
            0..4,
        ),
        pick in proptest::prelude::any::<proptest::sample::Index>(),
        digit in 0u8..9,
    ) {
        let layout = example_batched_layout();
        let (bytes, totals) = write_batches(&batches);
        proptest::prop_assert!(layout.validate(&bytes).is_empty());
        let read = layout.read(&bytes).unwrap();
        proptest::prop_assert_eq!(read.batches.len(), batches.len());
        let expected_total: i64 = batches.iter().flat_map(|(_, d)| d.iter().map(|x| x.0)).sum();
        proptest::prop_assert_eq!(totals.sum("amount"), Amount::from_centimes(expected_total));
        proptest::prop_assert_eq!(
            read.file_trailer.amount("total_amount"),
            Some(Amount::from_centimes(expected_total))
        );
        for ((bank, debits), batch) in batches.iter().zip(&read.batches) {
            proptest::prop_assert_eq!(batch.header.text("debtor_bank"), Some(bank.as_str()));
            proptest::prop_assert_eq!(batch.details.len(), 2 * debits.len());
            let amounts: Vec<Option<Amount>> = batch
                .details
                .iter()
                .filter(|d| d.kind == "debit")
                .map(|d| d.record.amount("amount"))
                .collect();
            let written: Vec<Option<Amount>> =
                debits.iter().map(|d| Some(Amount::from_centimes(d.0))).collect();
            proptest::prop_assert_eq!(amounts, written);
            proptest::prop_assert_eq!(
                batch.trailer.text("detail_count").and_then(|c| c.parse::<usize>().ok()),
                Some(2 * debits.len())
            );
        }
        let mut again = Vec::new();
        layout.write_file(&read, &mut again).unwrap();
        proptest::prop_assert_eq!(&again, &bytes);

        // One digit of one debit's amount changed.
        let mut file = lines(&bytes);
        let debit_lines: Vec<usize> = (0..file.len()).filter(|&i| file[i].starts_with("21")).collect();
        if !debit_lines.is_empty() {
            let line = debit_lines[pick.index(debit_lines.len())];
            let column = 64 + pick.index(16);
            let old = file[line].as_bytes()[column];
            let new = if digit + b'0' >= old { digit + b'1' } else { digit + b'0' };
            file[line].replace_range(column..=column, &char::from(new).to_string());
            let problems = layout.validate(&join(&file));
            let batch_trailer = (line..file.len()).find(|&i| file[i].starts_with("19")).unwrap();
            let at: Vec<(usize, String)> = problems
                .iter()
                .map(|p| match p {
                    LayoutError::Field { line, field, .. } => (*line, field.clone()),
                    other => (0, other.to_string()),
                })
                .collect();
            proptest::prop_assert_eq!(
                at,
                vec![
                    (batch_trailer + 1, "batch_total".to_owned()),
                    (file.len(), "total_amount".to_owned()),
                ]
            );
        }
    }
}

/// `files inspect` and `files validate` (the library's `inspect` and `validate`) recognise a
/// file of the example batched layout and give it the same format; `inspect` lists each debit
/// once (its reference record completing it with the mandate), masked accounts, and each
/// batch with its bank, count and sum, as the batch trailers say.
#[test]
fn inspect_and_validate_recognise_a_batched_file_and_agree_on_its_format() {
    use bank_formats::inspect::{inspect, validate};
    let (bytes, _, _) = write_example();
    let view = inspect(&bytes).unwrap();
    assert_eq!(view.format, "example-batched-debit");
    assert_eq!(view.message_id.as_deref(), Some("TAH-20260315-0001"));
    let ids: Vec<_> = view
        .transactions
        .iter()
        .map(|t| t.end_to_end_id.clone().unwrap())
        .collect();
    assert_eq!(
        ids,
        (1..=5)
            .map(|n| format!("TAH-0001-{n:05}"))
            .collect::<Vec<_>>()
    );
    let amounts: Vec<_> = view
        .transactions
        .iter()
        .map(|t| t.amount.clone().unwrap())
        .collect();
    assert_eq!(amounts, ["1500.00", "25000.75", "0.99", "12345.00", "0.07"]);
    let mandates: Vec<_> = view
        .transactions
        .iter()
        .map(|t| t.mandate_id.clone().flatten().unwrap())
        .collect();
    assert_eq!(
        mandates,
        (1..=5)
            .map(|n| format!("CACO-16-{n:07}"))
            .collect::<Vec<_>>()
    );
    assert!(view.transactions.iter().all(|t| t.status.is_none()));
    let batches = view.batches.clone().unwrap();
    let summary: Vec<_> = batches
        .iter()
        .map(|b| {
            (
                b.debtor_bank.clone().unwrap(),
                b.reference.clone().unwrap(),
                b.collection_date.clone().unwrap(),
                b.transactions,
                b.amount.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "004".to_owned(),
                "TAH-0001-004".to_owned(),
                "2026-03-15".to_owned(),
                3,
                "26501.74".to_owned()
            ),
            (
                "010".to_owned(),
                "TAH-0001-010".to_owned(),
                "2026-03-15".to_owned(),
                2,
                "12345.07".to_owned()
            ),
        ]
    );
    // The JSON contract is extended, not changed: the same keys, plus `batches`.
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["format"], "example-batched-debit");
    assert_eq!(json["transactions"][1]["amount"], "25000.75");
    assert_eq!(json["batches"][1]["debtor_bank"], "010");
    assert_eq!(json["batches"][1]["transactions"], 2);
    let single = bank_formats::inspect::inspect(&debit_file_of("interbank-debit")).unwrap();
    let single_json = serde_json::to_value(&single).unwrap();
    assert!(single_json.get("batches").is_none(), "{single_json}");
    // The table shows the batches and never a whole account number.
    let table = view.to_table();
    assert!(
        table.contains("batch:       bank 004 TAH-0001-004"),
        "{table}"
    );
    assert!(!table.contains("00400174401001050001"), "{table}");

    let validation = validate(&bytes);
    assert_eq!(validation.format.as_deref(), Some("example-batched-debit"));
    assert_eq!(validation.problems, Vec::<String>::new());
    assert!(validation.readable);

    // A changed amount: still the same format, and the problems at the trailers.
    let mut file = lines(&bytes);
    set_field(&mut file, 3, "debit", "amount", "150001");
    let validation = validate(&join(&file));
    assert_eq!(validation.format.as_deref(), Some("example-batched-debit"));
    assert_eq!(validation.problems.len(), 2, "{:?}", validation.problems);
    assert!(inspect(&join(&file)).is_err());
}

/// A debit file of a shipped single-batch layout, for comparison.
fn debit_file_of(name: &str) -> Vec<u8> {
    let layout = shipped_layout(name).unwrap();
    let header = DebitFileHeader {
        file_reference: "TAH-20260315-0001".to_owned(),
        creation_date: date(2026, 3, 10),
        collection_date: date(2026, 3, 15),
        creditor_name: "CACOBATPH".to_owned(),
        creditor_account: "00400174401001050486".to_owned(),
        creditor_id: "000123".to_owned(),
    };
    let debit = DebitInstruction {
        end_to_end_id: "TAH-0001-00001".to_owned(),
        account_digits: "00400174401001050001".to_owned(),
        debtor_name: "SARL".to_owned(),
        amount: Amount::from_centimes(150_000),
        mandate_reference: "CACO-16-0000001".to_owned(),
        collection_date: date(2026, 3, 15),
    };
    let mut bytes = Vec::new();
    write_debit_file(layout, &header, &[debit], &mut bytes).unwrap();
    bytes
}

/// An institution's own batched layout (a description with `[batch_header]`, as found in
/// `layouts_dir`) loads as one, and its files are recognised by `inspect_among` /
/// `validate_among` under its own name — not without it.
#[test]
fn an_institutions_batched_layout_is_recognised_under_its_own_name() {
    use bank_formats::inspect::{inspect, inspect_among, validate, validate_among};
    let description = include_str!("../layouts/example-batched-debit.toml")
        .replace(
            "name = \"example-batched-debit\"",
            "name = \"bank-x-batched\"",
        )
        .replace("value = \"EXAMPLEBAT\"", "value = \"BANKXBATCH\"");
    let AnyLayout::Batched(own) = AnyLayout::from_toml(&description).unwrap() else {
        panic!("a description with [batch_header] is a batched layout");
    };
    assert_eq!(own.name(), "bank-x-batched");
    let single = AnyLayout::from_toml(include_str!("../layouts/interbank-debit.toml")).unwrap();
    assert!(matches!(single, AnyLayout::Single(ref l) if l.name() == "interbank-debit"));
    // A broken batched description keeps the batched loader's error.
    let broken = description.replace("[batch_trailer]", "[batch_trailr]");
    let error = AnyLayout::from_toml(&broken).unwrap_err().to_string();
    assert!(error.contains("batch_tr"), "{error}");

    // The example file, rewritten in the institution's layout (its own format id).
    let (bytes, _, _) = write_example();
    let mut file = example_batched_layout().read(&bytes).unwrap();
    let mut header = Record::new(RecordRole::Header);
    for (name, value) in file.file_header.fields() {
        if name != "format_id" && name != "currency" {
            header.set(name, value.clone());
        }
    }
    file.file_header = header;
    let mut own_bytes = Vec::new();
    own.write_file(&file, &mut own_bytes).unwrap();
    assert_eq!(&own_bytes[2..12], b"BANKXBATCH");

    assert!(inspect(&own_bytes).is_err());
    assert_eq!(validate(&own_bytes).format, None);
    let view = inspect_among(&own_bytes, &[], std::slice::from_ref(&own)).unwrap();
    assert_eq!(view.format, "bank-x-batched");
    assert_eq!(view.transactions.len(), 5);
    assert_eq!(view.batches.map(|b| b.len()), Some(2));
    let validation = validate_among(&own_bytes, &[], std::slice::from_ref(&own));
    assert_eq!(validation.format.as_deref(), Some("bank-x-batched"));
    assert_eq!(validation.problems, Vec::<String>::new());
}

/// The typed debit writer groups debits into one batch per debtor bank (codes ascending,
/// each bank's debits in the order added), writes a file that validates and reads back to
/// the same debits, and gives the same bytes for the same debits; it refuses a debit for
/// another day than the file.
#[test]
fn debits_are_written_in_a_batch_per_debtor_bank() {
    let layout = example_batched_layout();
    let header = DebitFileHeader {
        file_reference: "TAH-20260315-0002".to_owned(),
        creation_date: date(2026, 3, 10),
        collection_date: date(2026, 3, 15),
        creditor_name: "CACOBATPH".to_owned(),
        creditor_account: "00400174401001050486".to_owned(),
        creditor_id: "000123".to_owned(),
    };
    let debit = |n: u32, bank: &str, centimes: i64| DebitInstruction {
        end_to_end_id: format!("T20260315E{n:010}"),
        account_digits: format!("{bank}0017440100105{n:04}"),
        debtor_name: format!("Entreprise {n}"),
        amount: Amount::from_centimes(centimes),
        mandate_reference: format!("TSL-{n:08}"),
        collection_date: date(2026, 3, 15),
    };
    let debits = [
        debit(1, "010", 500),
        debit(2, "002", 1_000),
        debit(3, "010", 7),
        debit(4, "007", 250_000),
        debit(5, "002", 3),
    ];
    let write = || {
        let mut writer = BatchedDebitWriter::new(layout, &header, Vec::new()).unwrap();
        for d in &debits {
            writer.add(d).unwrap();
        }
        writer.finish_into().unwrap()
    };
    let (totals, bytes) = write();
    assert_eq!(totals.count, 5);
    assert_eq!(totals.total, Amount::from_centimes(251_510));
    assert_eq!(write().1, bytes, "the same debits give the same bytes");
    assert_eq!(layout.validate(&bytes), vec![]);
    let file = layout.read(&bytes).unwrap();
    let batches: Vec<(String, Vec<String>)> = file
        .batches
        .iter()
        .map(|b| {
            (
                b.header.text("debtor_bank").unwrap().to_owned(),
                b.details
                    .iter()
                    .filter(|d| d.kind == "debit")
                    .map(|d| d.record.text("end_to_end_id").unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    let e2e = |n: u32| format!("T20260315E{n:010}");
    assert_eq!(
        batches,
        [
            ("002".to_owned(), vec![e2e(2), e2e(5)]),
            ("007".to_owned(), vec![e2e(4)]),
            ("010".to_owned(), vec![e2e(1), e2e(3)]),
        ]
    );
    // Each debit's reference record carries its mandate; the batch its date.
    let second = &file.batches[0].details;
    assert_eq!(second[1].kind, "reference");
    assert_eq!(
        second[1].record.text("mandate_reference"),
        Some("TSL-00000002")
    );
    assert_eq!(
        file.batches[2].header.date("collection_date"),
        Some(date(2026, 3, 15))
    );
    assert_eq!(
        file.batches[0].header.text("batch_reference"),
        Some("TAH-20260315-0002-002")
    );

    let mut writer = BatchedDebitWriter::new(layout, &header, Vec::new()).unwrap();
    let other_day = DebitInstruction {
        collection_date: date(2026, 3, 16),
        ..debit(6, "002", 1)
    };
    let error = writer.add(&other_day).unwrap_err().to_string();
    assert!(error.contains("collection_date"), "{error}");
}

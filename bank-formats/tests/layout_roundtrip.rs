//! Write → read gives back the same model, for every shipped layout; and the typed
//! streaming writers write the very bytes the generic records mapped by hand wrote (the
//! collection run's and the simulated bank's way before they wrote through the typed
//! models).
#![allow(clippy::unwrap_used)]

mod layout_support;

use bank_formats::layout::*;
use chrono::NaiveDate;
use mandates::Amount;
use proptest::prelude::*;

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (2000i32..2100, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

/// Text that survives the restricted charset, capitals and trimming unchanged.
fn restricted_name(max_words: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec("[A-Z0-9][A-Z0-9'.()/-]{0,5}", 1..=max_words)
        .prop_map(|w| w.join(" "))
}

fn reference() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9/:.,+-]{0,34}"
}

fn amount() -> impl Strategy<Value = Amount> {
    (0i64..=999_999_999_999_999).prop_map(Amount::from_centimes)
}

fn instruction(
    per_line_date: bool,
    file_date: NaiveDate,
) -> impl Strategy<Value = DebitInstruction> {
    (
        reference(),
        "[0-9]{20}",
        restricted_name(4),
        amount(),
        reference(),
        any_date(),
    )
        .prop_map(
            move |(end_to_end_id, account_digits, debtor_name, amount, mandate_reference, d)| {
                DebitInstruction {
                    end_to_end_id,
                    account_digits,
                    debtor_name,
                    amount,
                    mandate_reference,
                    collection_date: if per_line_date { d } else { file_date },
                }
            },
        )
}

fn debit_case(
    per_line_date: bool,
) -> impl Strategy<Value = (DebitFileHeader, Vec<DebitInstruction>)> {
    (
        reference(),
        any_date(),
        any_date(),
        restricted_name(4),
        "[0-9]{20}",
        "[A-Z0-9]{1,10}",
    )
        .prop_flat_map(
            move |(
                file_reference,
                creation_date,
                collection_date,
                creditor_name,
                creditor_account,
                creditor_id,
            )| {
                let header = DebitFileHeader {
                    file_reference,
                    creation_date,
                    collection_date,
                    creditor_name,
                    creditor_account,
                    creditor_id,
                };
                let items =
                    proptest::collection::vec(instruction(per_line_date, collection_date), 0..25);
                (Just(header), items)
            },
        )
}

fn check_debit_round_trip(name: &str, header: &DebitFileHeader, instructions: &[DebitInstruction]) {
    let layout = shipped_layout(name).unwrap();
    let mut bytes = Vec::new();
    let totals = write_debit_file(layout, header, instructions, &mut bytes).unwrap();
    let back = read_debit_file(layout, &bytes).unwrap();
    assert_eq!(&back.header, header);
    assert_eq!(back.instructions, instructions);
    assert_eq!(back.totals, totals);
    assert_eq!(totals.count, instructions.len() as u64);
    assert_eq!(
        totals.total,
        Amount::checked_sum(instructions.iter().map(|i| i.amount)).unwrap()
    );
    // Our own output passes the strict check, and the same file with LF endings reads the same.
    assert_eq!(layout.validate(&bytes), vec![]);
    let lf: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'\r').collect();
    assert_eq!(read_debit_file(layout, &lf).unwrap(), back);
    assert_eq!(detect(&bytes).map(Layout::name), Some(name));
}

fn return_case(
    layout: &'static Layout,
) -> impl Strategy<Value = (ReturnFileHeader, Vec<ReturnRecord>)> {
    let codes: Vec<String> = layout
        .return_codes()
        .iter()
        .map(|c| c.code.clone())
        .collect();
    let record = (
        reference(),
        "[0-9]{20}",
        amount(),
        prop_oneof![
            Just(ReturnStatus::Accepted),
            Just(ReturnStatus::Rejected),
            Just(ReturnStatus::Returned)
        ],
        proptest::sample::select(codes),
        any_date(),
        proptest::option::of(reference()),
    )
        .prop_map(
            |(end_to_end_id, account_digits, amount, status, code, date, mandate_reference)| {
                ReturnRecord {
                    end_to_end_id,
                    account_digits,
                    amount,
                    status,
                    return_code: if status == ReturnStatus::Accepted {
                        String::new()
                    } else {
                        code
                    },
                    date,
                    mandate_reference,
                }
            },
        );
    (
        (reference(), reference(), any_date()).prop_map(
            |(file_reference, original_file_reference, creation_date)| ReturnFileHeader {
                file_reference,
                original_file_reference,
                creation_date,
            },
        ),
        proptest::collection::vec(record, 0..25),
    )
}

fn check_return_round_trip(layout: &Layout, header: &ReturnFileHeader, records: &[ReturnRecord]) {
    let mut bytes = Vec::new();
    let totals = write_return_file(layout, header, records, &mut bytes).unwrap();
    let back = read_return_file(layout, &bytes).unwrap();
    assert_eq!(&back.header, header);
    assert_eq!(back.records, records);
    assert_eq!(back.totals, totals);
    assert_eq!(layout.validate(&bytes), vec![]);
    let lf: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'\r').collect();
    assert_eq!(read_return_file(layout, &lf).unwrap(), back);
    assert_eq!(detect(&bytes).map(Layout::name), Some(layout.name()));
    let view = inspect(&bytes).unwrap().unwrap();
    assert_eq!(view.transactions.len(), records.len());
    for (seen, record) in view.transactions.iter().zip(records) {
        assert_eq!(seen.end_to_end_id, record.end_to_end_id);
        assert_eq!(seen.amount, Some(record.amount));
        assert_eq!(seen.status, Some(record.status));
        assert_eq!(seen.reason.as_deref().unwrap_or(""), record.return_code);
    }
}

/// A debit file as the collection run wrote it before `DebitFileWriter`: well-known
/// fields set by hand on generic records, where the layout has them.
fn debit_file_by_hand(
    layout: &Layout,
    header: &DebitFileHeader,
    instructions: &[DebitInstruction],
) -> (Vec<u8>, WrittenTotals) {
    let mut out = Vec::new();
    let mut writer = LayoutWriter::new(layout, &mut out);
    let def = layout.header();
    let mut record = Record::new(RecordRole::Header);
    let mut set = |name: &str, value: Value| {
        if def.has_field(name) {
            record.set(name, value);
        }
    };
    set("file_reference", Value::text(&header.file_reference));
    set("creation_date", Value::Date(header.creation_date));
    set("collection_date", Value::Date(header.collection_date));
    set("creditor_account", Value::digits(&header.creditor_account));
    set("creditor_id", Value::text(&header.creditor_id));
    set("creditor_name", Value::text(&header.creditor_name));
    set("currency", Value::text("DZD"));
    writer.write_header(&record).unwrap();
    let def = layout.detail();
    for instruction in instructions {
        let mut record = Record::new(RecordRole::Detail);
        let mut set = |name: &str, value: Value| {
            if def.has_field(name) {
                record.set(name, value);
            }
        };
        set("account", Value::digits(&instruction.account_digits));
        set("debtor_name", Value::text(&instruction.debtor_name));
        set("amount", Value::Amount(instruction.amount));
        set("end_to_end_id", Value::text(&instruction.end_to_end_id));
        set(
            "mandate_reference",
            Value::text(&instruction.mandate_reference),
        );
        set("collection_date", Value::Date(header.collection_date));
        writer.write_detail(&record).unwrap();
    }
    let trailer = Record::new(RecordRole::Trailer)
        .with("file_reference", Value::text(&header.file_reference));
    let totals = writer.finish(&trailer).unwrap();
    (out, totals)
}

/// Streams the same instructions through `DebitFileWriter`, one at a time, and checks
/// the bytes and totals against [`debit_file_by_hand`].
fn check_debit_writer_matches_the_hand_mapping(
    name: &str,
    header: &DebitFileHeader,
    instructions: &[DebitInstruction],
) {
    let layout = shipped_layout(name).unwrap();
    let (by_hand, hand_totals) = debit_file_by_hand(layout, header, instructions);
    let mut writer = DebitFileWriter::new(layout, header, Vec::new()).unwrap();
    for instruction in instructions {
        writer.add(instruction).unwrap();
    }
    let (totals, typed) = writer.finish_into().unwrap();
    assert_eq!(typed, by_hand, "{name}: the typed writer changed the bytes");
    assert_eq!(totals.count, hand_totals.details);
    assert_eq!(totals.total, hand_totals.control_sum);
}

/// A return file as the simulated bank wrote it before `ReturnFileWriter`: every
/// well-known field set by hand, the return code only when there is one.
fn return_file_by_hand(
    layout: &Layout,
    header: &ReturnFileHeader,
    records: &[ReturnRecord],
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = LayoutWriter::new(layout, &mut out);
    writer
        .write_header(
            &Record::new(RecordRole::Header)
                .with("file_reference", Value::text(&header.file_reference))
                .with(
                    "original_file_reference",
                    Value::text(&header.original_file_reference),
                )
                .with("creation_date", Value::Date(header.creation_date)),
        )
        .unwrap();
    for item in records {
        let status = layout.code_for_status(item.status).unwrap();
        let mut record = Record::new(RecordRole::Detail)
            .with("account", Value::digits(&item.account_digits))
            .with("amount", Value::Amount(item.amount))
            .with("end_to_end_id", Value::text(&item.end_to_end_id))
            .with("status", Value::text(status))
            .with("date", Value::Date(item.date))
            .with(
                "mandate_reference",
                Value::text(item.mandate_reference.clone().unwrap_or_default()),
            );
        if !item.return_code.is_empty() {
            record.set("return_code", Value::text(&item.return_code));
        }
        writer.write_detail(&record).unwrap();
    }
    writer
        .finish(
            &Record::new(RecordRole::Trailer)
                .with("file_reference", Value::text(&header.file_reference)),
        )
        .unwrap();
    out
}

fn check_return_writer_matches_the_hand_mapping(
    layout: &Layout,
    header: &ReturnFileHeader,
    records: &[ReturnRecord],
) {
    let by_hand = return_file_by_hand(layout, header, records);
    let mut writer = ReturnFileWriter::new(layout, header, Vec::new()).unwrap();
    for record in records {
        writer.add(record).unwrap();
    }
    let (totals, typed) = writer.finish_into().unwrap();
    assert_eq!(
        typed,
        by_hand,
        "{}: the typed writer changed the bytes",
        layout.name()
    );
    assert_eq!(totals.count, records.len() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn postal_ccp_debit_round_trips((header, instructions) in debit_case(false)) {
        check_debit_round_trip("postal-ccp-debit", &header, &instructions);
    }

    #[test]
    fn interbank_debit_round_trips((header, instructions) in debit_case(true)) {
        check_debit_round_trip("interbank-debit", &header, &instructions);
    }

    #[test]
    fn postal_ccp_return_round_trips((header, records) in return_case(shipped_layout("postal-ccp-return").unwrap())) {
        check_return_round_trip(shipped_layout("postal-ccp-return").unwrap(), &header, &records);
    }

    #[test]
    fn interbank_return_round_trips((header, records) in return_case(shipped_layout("interbank-return").unwrap())) {
        check_return_round_trip(shipped_layout("interbank-return").unwrap(), &header, &records);
    }

    /// The generic engine: any file read and written again is byte-identical.
    #[test]
    fn generic_records_rewrite_byte_for_byte((header, instructions) in debit_case(true)) {
        let layout = shipped_layout("interbank-debit").unwrap();
        let mut bytes = Vec::new();
        write_debit_file(layout, &header, &instructions, &mut bytes).unwrap();
        let file = layout.read(&bytes).unwrap();
        let mut again = Vec::new();
        layout.write_file(&file, &mut again).unwrap();
        prop_assert_eq!(again, bytes);
    }

    /// The collection run's debit files (one collection date per file) are the bytes
    /// the hand-mapped records gave, in both debit layouts.
    #[test]
    fn the_debit_file_writer_writes_the_bytes_of_the_hand_mapped_records((header, instructions) in debit_case(false)) {
        check_debit_writer_matches_the_hand_mapping("postal-ccp-debit", &header, &instructions);
        check_debit_writer_matches_the_hand_mapping("interbank-debit", &header, &instructions);
    }

    /// The simulated bank's return files are the bytes the hand-mapped records gave.
    #[test]
    fn the_return_file_writer_writes_the_bytes_of_the_hand_mapped_records(
        (postal_header, postal) in return_case(shipped_layout("postal-ccp-return").unwrap()),
        (interbank_header, interbank) in return_case(shipped_layout("interbank-return").unwrap()),
    ) {
        check_return_writer_matches_the_hand_mapping(shipped_layout("postal-ccp-return").unwrap(), &postal_header, &postal);
        check_return_writer_matches_the_hand_mapping(shipped_layout("interbank-return").unwrap(), &interbank_header, &interbank);
    }
}

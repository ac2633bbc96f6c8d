//! The engine's checks, one behaviour per test.
#![allow(clippy::unwrap_used)]

mod layout_support;

use bank_formats::layout::*;
use layout_support::*;
use mandates::Amount;

fn error_text(result: Result<impl std::fmt::Debug, LayoutError>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn a_bad_amount_is_reported_with_its_line_and_field() {
    // Line 3 is the second detail; the postal amount is at 59–73.
    let bytes = patch(&debit_file("postal-ccp-debit", 3), 3, 59, "000000000ABC005");
    let layout = layout("postal-ccp-debit");
    assert_eq!(
        error_text(layout.read(&bytes)),
        "line 3, field amount: '000000000ABC005' is not a number (amount in centimes)"
    );
    assert_eq!(
        error_text(read_debit_file(layout, &bytes)),
        "line 3, field amount: '000000000ABC005' is not a number (amount in centimes)"
    );
}

#[test]
fn a_bad_numeric_field_is_reported_with_its_line_and_field() {
    // Interbank detail account at 10–29.
    let bytes = patch(
        &debit_file("interbank-debit", 2),
        2,
        10,
        "0040017440100105048X",
    );
    assert_eq!(
        error_text(layout("interbank-debit").read(&bytes)),
        "line 2, field account: '0040017440100105048X' is not a number"
    );
}

#[test]
fn a_wrong_control_sum_in_the_trailer_is_caught() {
    // Trailer (line 5) total at 46–63: the real sum is 6015 centimes.
    let bytes = patch(
        &debit_file("postal-ccp-debit", 3),
        5,
        46,
        "000000000000006016",
    );
    assert_eq!(
        error_text(layout("postal-ccp-debit").read(&bytes)),
        "line 5, field total_amount: control sum 60.16 but the 3 amounts add up to 60.15"
    );
}

#[test]
fn a_wrong_count_in_the_trailer_is_caught() {
    let bytes = patch(&debit_file("interbank-debit", 3), 5, 38, "00000004");
    assert_eq!(
        error_text(layout("interbank-debit").read(&bytes)),
        "line 5, field detail_count: count '00000004' but the file has 3 detail records"
    );
}

#[test]
fn a_changed_amount_shows_up_as_a_control_sum_mismatch() {
    // A detail amount altered in transit: the detail is readable, the trailer no longer adds up.
    let bytes = patch(&debit_file("postal-ccp-debit", 3), 2, 59, "000000000009999");
    let error = error_text(layout("postal-ccp-debit").read(&bytes));
    assert!(
        error.starts_with("line 5, field total_amount: control sum 60.15"),
        "{error}"
    );
}

#[test]
fn a_missing_or_repeated_detail_breaks_the_sequence() {
    let bytes = debit_file("postal-ccp-debit", 3);
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let without_second: Vec<u8> = [lines[0], lines[1], lines[3], lines[4]].concat();
    assert_eq!(
        error_text(layout("postal-ccp-debit").read(&without_second)),
        "line 3, field sequence: sequence number '000003' but this is detail number 2"
    );
}

#[test]
fn a_file_without_its_trailer_is_refused_as_truncated() {
    let bytes = debit_file("interbank-debit", 2);
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let truncated: Vec<u8> = lines[..3].concat();
    assert_eq!(
        error_text(layout("interbank-debit").read(&truncated)),
        "file: no trailer record after 2 detail records (the file may be truncated)"
    );
    assert_eq!(
        error_text(layout("interbank-debit").read(b"")),
        "file: the file is empty (no header record)"
    );
}

#[test]
fn records_out_of_order_or_unknown_are_refused() {
    let bytes = debit_file("postal-ccp-debit", 1);
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let detail_first: Vec<u8> = [lines[1], lines[0], lines[2]].concat();
    assert_eq!(
        error_text(layout("postal-ccp-debit").read(&detail_first)),
        "line 1: the file must start with a header record, found a detail"
    );
    let after_trailer: Vec<u8> = [lines[0], lines[1], lines[2], lines[1]].concat();
    assert_eq!(
        error_text(layout("postal-ccp-debit").read(&after_trailer)),
        "line 4: a record after the trailer"
    );
    let unknown = patch(&bytes, 2, 1, "77");
    assert_eq!(
        error_text(layout("postal-ccp-debit").read(&unknown)),
        "line 2: unknown record type '77' at position 1 (this layout has '01', '02', '09')"
    );
}

#[test]
fn an_unknown_status_code_names_the_codes_the_layout_has() {
    // Interbank return status at 81.
    let bytes = patch(&return_file("interbank-return"), 3, 81, "X");
    assert_eq!(
        error_text(layout("interbank-return").read(&bytes)),
        "line 3, field status: 'X' is not a status code of this layout ('A' accepted, 'R' rejected, 'T' returned)"
    );
}

#[test]
fn crlf_and_lf_files_read_the_same_but_only_the_declared_ending_validates() {
    let layout = layout("postal-ccp-return");
    let crlf = return_file("postal-ccp-return");
    assert!(
        crlf.windows(2).filter(|w| w == b"\r\n").count() == 5,
        "every record ends in CRLF"
    );
    let lf: Vec<u8> = crlf.iter().copied().filter(|&b| b != b'\r').collect();
    assert_eq!(
        read_return_file(layout, &crlf).unwrap(),
        read_return_file(layout, &lf).unwrap()
    );
    assert_eq!(layout.validate(&crlf), vec![]);
    let problems: Vec<String> = layout
        .validate(&lf)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert_eq!(problems[0], "line 1: ends with LF; the layout uses CRLF");
    // A missing final line ending and stripped trailing spaces are tolerated on reading.
    let stripped: Vec<u8> = String::from_utf8(crlf.clone())
        .unwrap()
        .split("\r\n")
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    assert_eq!(
        read_return_file(layout, &stripped).unwrap(),
        read_return_file(layout, &crlf).unwrap()
    );
}

#[test]
fn validate_lists_every_problem_in_file_order() {
    let bytes = debit_file("postal-ccp-debit", 3);
    let bytes = patch(&bytes, 2, 9, "ABCDEFGHIJ");
    let bytes = patch(&bytes, 4, 59, "00000000000000X");
    let bytes = patch(&bytes, 5, 38, "00000009");
    let problems: Vec<String> = layout("postal-ccp-debit")
        .validate(&bytes)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        vec![
            "line 2, field account: 'ABCDEFGHIJ1001050486' is not a number".to_owned(),
            "line 4, field amount: '00000000000000X' is not a number (amount in centimes)"
                .to_owned(),
            "line 5, field detail_count: count '00000009' but the file has 3 detail records"
                .to_owned(),
        ]
    );
}

#[test]
fn the_writer_never_truncates_an_account_an_amount_or_a_reference() {
    let layout = layout("postal-ccp-debit");
    let header = debit_header(true);
    let write = |instruction: DebitInstruction| {
        write_debit_file(layout, &header, [instruction], Vec::new())
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    let mut long_account = instruction(1, 100);
    long_account.account_digits = "004001744010010504861".into();
    assert_eq!(
        write(long_account),
        "detail 1, field account: \"004001744010010504861\" has 21 digits; the field holds 20 (never truncated)"
    );
    let mut short_account = instruction(1, 100);
    short_account.account_digits = "4001744010010504861".into();
    assert_eq!(
        write(short_account),
        "detail 1, field account: \"4001744010010504861\" has 19 digits; the field needs exactly 20"
    );
    let huge = instruction(1, 1_000_000_000_000_000);
    assert_eq!(
        write(huge),
        "detail 1, field amount: 10000000000000.00 does not fit in 15 digits of centimes (never truncated)"
    );
    let negative = instruction(1, -5);
    assert_eq!(
        write(negative),
        "detail 1, field amount: -0.05 is negative; amounts in files are unsigned"
    );
    let mut long_reference = instruction(1, 100);
    long_reference.end_to_end_id = "X".repeat(36);
    assert!(write(long_reference).starts_with("detail 1, field end_to_end_id: \"XXXX"));
}

#[test]
fn names_are_transliterated_capitalised_and_cut_to_the_field() {
    let layout = layout("postal-ccp-debit");
    let mut arabic = instruction(1, 100);
    arabic.debtor_name = "شركة الأشغال العمومية والبناء للجنوب الكبير".into();
    let mut french = instruction(2, 100);
    french.debtor_name = "Société d'Études & Bâtiments Œuvre".into();
    let mut bytes = Vec::new();
    write_debit_file(layout, &debit_header(true), [arabic, french], &mut bytes).unwrap();
    let file = read_debit_file(layout, &bytes).unwrap();
    assert_eq!(
        file.instructions[0].debtor_name,
        "CHRKA ALACHGHAL ALAMOUMIA OUAL"
    );
    assert_eq!(
        file.instructions[1].debtor_name,
        "SOCIETE D'ETUDES + BATIMENTS O"
    );
    assert!(bytes.is_ascii());
}

#[test]
fn one_date_per_file_layouts_refuse_an_instruction_for_another_day() {
    let layout = layout("postal-ccp-debit");
    let mut other_day = instruction(1, 100);
    other_day.collection_date = date(2026, 3, 16);
    let error = write_debit_file(layout, &debit_header(true), [other_day], Vec::new()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("detail 1, field collection_date: 2026-03-16 differs"),
        "{error}"
    );
}

#[test]
fn typed_readers_refuse_the_wrong_kind_of_layout() {
    let bytes = debit_file("interbank-debit", 1);
    assert_eq!(
        error_text(read_return_file(layout("interbank-debit"), &bytes)),
        "layout interbank-debit: is a debit layout, not a return layout"
    );
}

#[test]
fn detect_recognises_each_shipped_layout_and_nothing_else() {
    for layout in shipped() {
        assert_eq!(
            detect(&sample_file(layout)).map(Layout::name),
            Some(layout.name())
        );
    }
    assert!(detect(b"<?xml version=\"1.0\"?><Document/>").is_none());
    assert!(detect(b"").is_none());
    assert!(detect(b"01TAHSILCCPX01").is_none());
}

#[test]
fn inspect_gives_ids_amounts_statuses_and_reason_codes() {
    let view = inspect(&return_file("postal-ccp-return")).unwrap().unwrap();
    assert_eq!(view.format, "postal-ccp-return");
    assert_eq!(view.kind, FileKind::Return);
    assert_eq!(view.message_id.as_deref(), Some("RET-20260317-042"));
    assert_eq!(
        view.original_message_id.as_deref(),
        Some("TAH-20260315-0001")
    );
    assert_eq!(view.transaction_count, 3);
    assert_eq!(view.control_sum, Amount::from_centimes(6015));
    let t = &view.transactions;
    assert_eq!(t[0].end_to_end_id, "TAH-20260315-0001-00001");
    assert_eq!(
        (
            t[0].iso_status.as_deref(),
            t[0].reason.as_deref(),
            t[0].reversal
        ),
        (Some("ACSC"), None, false)
    );
    assert_eq!(
        (
            t[1].iso_status.as_deref(),
            t[1].reason.as_deref(),
            t[1].reversal
        ),
        (Some("RJCT"), Some("01"), false)
    );
    assert_eq!(
        (
            t[2].iso_status.as_deref(),
            t[2].reason.as_deref(),
            t[2].reversal
        ),
        (Some("BOOK"), Some("02"), true)
    );
    assert_eq!(t[2].amount, Some(Amount::from_centimes(3005)));
    assert_eq!(t[2].mandate_id.as_deref(), Some("CACO-16-0000003-0001"));
    assert_eq!(t[2].account_masked.as_deref(), Some("****************0486"));

    let view = inspect(&debit_file("interbank-debit", 2)).unwrap().unwrap();
    assert_eq!(
        (view.format.as_str(), view.kind),
        ("interbank-debit", FileKind::Debit)
    );
    assert_eq!(view.message_id.as_deref(), Some("TAH-20260315-0001"));
    assert_eq!(view.transactions[1].status, None);
    assert!(inspect(b"not a bank file").is_none());
}

/// An institution's own layout, loaded from text: LF endings, Latin-1, a one-character
/// record type at the end of the record, two-digit years, totals in the header.
const USER_LAYOUT: &str = r#"
name = "banque-x-prlv"
title = "Banque X, fichier de prélèvements v2"
kind = "debit"
record_length = 80
line_ending = "lf"
encoding = "latin1"
charset = "any"
record_type = { start = 80, width = 1 }

[header]
code = "E"
fields = [
  { name = "file_reference", start = 1, width = 12, type = "alpha" },
  { name = "creation_date", start = 13, width = 6, type = "date", format = "DDMMYY" },
  { name = "collection_date", start = 19, width = 10, type = "date", format = "DD/MM/YYYY" },
  { name = "count", start = 29, width = 5, type = "count", of = "records" },
  { name = "total", start = 34, width = 14, type = "sum", of = "amount" },
  { name = "bank", start = 48, width = 5, type = "constant", value = "BQX01" },
]

[detail]
code = "D"
fields = [
  { name = "account", start = 1, width = 20, type = "numeric", exact_width = true },
  { name = "amount", start = 21, width = 12, type = "amount" },
  { name = "end_to_end_id", start = 33, width = 16, type = "alpha" },
  { name = "debtor_name", start = 49, width = 20, type = "alpha", truncate = true },
  { name = "agency_hint", start = 69, width = 5, type = "numeric", optional = true },
]

[trailer]
code = "F"
fields = [
  { name = "end_mark", start = 1, width = 3, type = "constant", value = "FIN" },
]
"#;

#[test]
fn a_user_supplied_layout_is_loaded_from_text_and_used() {
    let layout = Layout::from_toml(USER_LAYOUT).unwrap();
    assert_eq!(layout.name(), "banque-x-prlv");
    let mut writer = LayoutWriter::new(&layout, Vec::new());
    // The header carries totals: a streaming writer is told them and checks them at the end.
    writer
        .write_header(
            &Record::new(RecordRole::Header)
                .with("file_reference", Value::text("BQX-0001"))
                .with("creation_date", Value::Date(date(2026, 3, 10)))
                .with("collection_date", Value::Date(date(2026, 3, 15)))
                .with("count", Value::number(4))
                .with("total", Value::Amount(Amount::parse("1500.75").unwrap())),
        )
        .unwrap();
    for (amount, name) in [
        ("1000.25", "Hôtel Zéralda Bâtiment SARL"),
        ("500.50", "Ben Aïssa"),
    ] {
        writer
            .write_detail(
                &Record::new(RecordRole::Detail)
                    .with("account", Value::digits("00400174401001050486"))
                    .with("amount", Value::Amount(Amount::parse(amount).unwrap()))
                    .with("end_to_end_id", Value::text("E2E-1"))
                    .with("debtor_name", Value::text(name)),
            )
            .unwrap();
    }
    let totals = writer.finish(&Record::new(RecordRole::Trailer)).unwrap();
    assert_eq!(totals.details, 2);
    assert_eq!(totals.control_sum, Amount::parse("1500.75").unwrap());

    let bytes = {
        let mut out = Vec::new();
        let file_text = |out: &mut Vec<u8>| {
            let mut w = LayoutWriter::new(&layout, out);
            w.write_header(
                &Record::new(RecordRole::Header)
                    .with("file_reference", Value::text("BQX-0001"))
                    .with("creation_date", Value::Date(date(2026, 3, 10)))
                    .with("collection_date", Value::Date(date(2026, 3, 15)))
                    .with("count", Value::number(3))
                    .with("total", Value::Amount(Amount::parse("1000.25").unwrap())),
            )
            .unwrap();
            w.write_detail(
                &Record::new(RecordRole::Detail)
                    .with("account", Value::digits("00400174401001050486"))
                    .with("amount", Value::Amount(Amount::parse("1000.25").unwrap()))
                    .with("end_to_end_id", Value::text("E2E-1"))
                    .with("debtor_name", Value::text("Hôtel Zéralda Bâtiment SARL")),
            )
            .unwrap();
            w.finish(&Record::new(RecordRole::Trailer)).unwrap();
        };
        file_text(&mut out);
        out
    };
    // Latin-1 keeps accents as single bytes; the name is cut to 20 characters.
    assert_eq!(bytes.len(), 3 * 81);
    assert_eq!(&bytes[81..81 + 20], b"00400174401001050486");
    assert_eq!(
        &bytes[81 + 48..81 + 68],
        "Hôtel Zéralda Bâtime"
            .chars()
            .map(|c| c as u8)
            .collect::<Vec<u8>>()
            .as_slice()
    );
    assert_eq!(&bytes[..28], b"BQX-0001    10032615/03/2026");

    let file = layout.read(&bytes).unwrap();
    assert_eq!(
        file.details[0].text("debtor_name"),
        Some("Hôtel Zéralda Bâtime")
    );
    assert_eq!(file.details[0].get("agency_hint"), Some(&Value::Empty));
    assert_eq!(file.header.date("collection_date"), Some(date(2026, 3, 15)));
    assert_eq!(layout.validate(&bytes), vec![]);
    // The typed model works on it too (collection date from the header).
    let debit = read_debit_file(&layout, &bytes).unwrap();
    assert_eq!(
        debit.instructions[0].amount,
        Amount::parse("1000.25").unwrap()
    );
    assert_eq!(debit.instructions[0].collection_date, date(2026, 3, 15));
    // Not a shipped layout, but detectable among a caller's own list.
    let own = [layout.clone()];
    assert!(detect(&bytes).is_none());
    assert_eq!(
        detect_among(&own, &bytes).map(Layout::name),
        Some("banque-x-prlv")
    );
}

#[test]
fn a_header_total_that_turns_out_wrong_fails_the_file() {
    let layout = Layout::from_toml(USER_LAYOUT).unwrap();
    let mut writer = LayoutWriter::new(&layout, Vec::new());
    writer
        .write_header(
            &Record::new(RecordRole::Header)
                .with("file_reference", Value::text("BQX-0001"))
                .with("creation_date", Value::Date(date(2026, 3, 10)))
                .with("collection_date", Value::Date(date(2026, 3, 15)))
                .with("count", Value::number(3))
                .with("total", Value::Amount(Amount::ZERO)),
        )
        .unwrap();
    let error = writer
        .finish(&Record::new(RecordRole::Trailer))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "header, field count: declared 3 but the file has 2"
    );
}

#[test]
fn layout_descriptions_with_mistakes_are_refused_with_a_reason() {
    let cases = [
        (
            USER_LAYOUT.replace("start = 49, width = 20", "start = 45, width = 20"),
            "detail fields end_to_end_id (33–48) and debtor_name (45–64) overlap",
        ),
        (
            USER_LAYOUT.replace("start = 69, width = 5", "start = 79, width = 5"),
            "detail field agency_hint: positions 79–83 go past the record length 80",
        ),
        (
            USER_LAYOUT.replace("format = \"DDMMYY\"", "format = \"DDMMYYYY\""),
            "header field creation_date: format \"DDMMYYYY\" is 8 characters but the width is 6",
        ),
        (
            USER_LAYOUT.replace("of = \"amount\"", "of = \"amout\""),
            "header field total: `of = \"amout\"` must name an amount field of the detail record",
        ),
        (
            USER_LAYOUT.replace("code = \"F\"", "code = \"D\""),
            "header, detail and trailer need different record-type codes",
        ),
        (
            USER_LAYOUT.replace("exact_width = true", "exact_widht = true"),
            "unknown field `exact_widht`",
        ),
        (
            USER_LAYOUT
                .replace("line_ending = \"lf\"", "line_ending = \"none\"")
                .replace("latin1", "utf8"),
            "line_ending = \"none\" needs a one-byte encoding",
        ),
    ];
    for (text, expected) in cases {
        let error = Layout::from_toml(&text).unwrap_err().to_string();
        assert!(error.starts_with("layout description: "), "{error}");
        assert!(
            error.contains(expected),
            "expected {expected:?} in {error:?}"
        );
    }
}

#[test]
fn fixed_length_records_without_separators_read_and_write() {
    let text = USER_LAYOUT.replace("line_ending = \"lf\"", "line_ending = \"none\"");
    let layout = Layout::from_toml(&text).unwrap();
    let mut out = Vec::new();
    let mut w = LayoutWriter::new(&layout, &mut out);
    w.write_header(
        &Record::new(RecordRole::Header)
            .with("file_reference", Value::text("BQX-0002"))
            .with("creation_date", Value::Date(date(2026, 3, 10)))
            .with("collection_date", Value::Date(date(2026, 3, 15)))
            .with("count", Value::number(2))
            .with("total", Value::Amount(Amount::ZERO)),
    )
    .unwrap();
    w.finish(&Record::new(RecordRole::Trailer)).unwrap();
    assert_eq!(out.len(), 160);
    assert_eq!(layout.read(&out).unwrap().details.len(), 0);
    assert_eq!(layout.validate(&out), vec![]);
    assert_eq!(
        layout.read(&out[..150]).unwrap_err().to_string(),
        "line 2: record is 70 characters; this layout's records are 80"
    );
}

#[test]
fn validate_refuses_a_dos_end_of_file_mark_that_reading_forgives() {
    let layout = layout("interbank-debit");
    let mut bytes = debit_file("interbank-debit", 3);
    assert_eq!(layout.validate(&bytes), vec![]);
    bytes.push(0x1A);
    let problems: Vec<String> = layout
        .validate(&bytes)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("line 6: a DOS end-of-file mark (byte 0x1A)"),
        "{problems:?}"
    );
    // Reading forgives it, as the layouts README says.
    assert_eq!(layout.read(&bytes).unwrap().details.len(), 3);
}

#[test]
fn one_bad_byte_is_one_problem_not_a_cascade() {
    let layout = layout("interbank-debit");
    let name_at = layout.detail().field("debtor_name").unwrap().start();
    for (line, what) in [(1, "header"), (3, "detail"), (6, "trailer")] {
        let mut bytes = debit_file("interbank-debit", 4);
        // One byte that is not ASCII, inside a record (the name, or the record's second
        // character for header and trailer).
        let at = bytes
            .split(|&b| b == b'\n')
            .take(line - 1)
            .map(|l| l.len() + 1)
            .sum::<usize>()
            + if what == "detail" { name_at } else { 2 };
        bytes[at] = 0xE9;
        let problems: Vec<String> = layout
            .validate(&bytes)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(problems.len(), 1, "{what}: {problems:?}");
        assert!(
            problems[0].starts_with(&format!("line {line}: byte 0xE9 at column")),
            "{what}: {problems:?}"
        );
    }
}

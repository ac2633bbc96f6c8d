//! `tahsil files inspect|validate` against the real bank samples in `../shared`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::harness::skip;

fn samples() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/iso20022/samples"
    ));
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(&format!(
            "{} is absent (the shared ISO 20022 samples)",
            dir.display()
        ));
        None
    }
}

fn tahsil(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .args(args)
        .output()
        .expect("run tahsil")
}

#[test]
fn inspect_json_follows_the_contract_for_a_status_report() {
    let Some(dir) = samples() else { return };
    let file = dir.join("pain.002/pain.002.001.03_iso_style_rjct_am05.xml");
    let output = tahsil(&["files", "inspect", "--json", file.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let json: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(json["format"], "pain.002.001.03");
    assert!(json["message_id"].is_string(), "{json}");
    let transactions = json["transactions"].as_array().expect("transactions array");
    assert!(!transactions.is_empty(), "{json}");
    for item in transactions {
        for key in ["end_to_end_id", "amount", "status", "reason"] {
            assert!(item.get(key).is_some(), "missing {key} in {item}");
        }
    }
    assert!(
        transactions
            .iter()
            .any(|t| t["status"] == "RJCT" && t["reason"] == "AM05"),
        "{json}"
    );
}

#[test]
fn inspect_json_marks_returns_in_a_notification() {
    let Some(dir) = samples() else { return };
    let file = dir.join("camt.054/camt.054.001.02_sdd_return_ac06_rtrinf.xml");
    let output = tahsil(&["files", "inspect", "--json", file.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["format"], "camt.054.001.02");
    let transactions = json["transactions"].as_array().unwrap();
    assert!(
        transactions
            .iter()
            .any(|t| t["reason"] == "AC06" && t.get("reversal").is_some()),
        "{json}"
    );
}

#[test]
fn inspect_refuses_a_file_that_is_not_a_bank_file_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "hello, this is not a bank file\n").unwrap();
    let output = tahsil(&["files", "inspect", file.to_str().unwrap()]);
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(text.trim().lines().count(), 1, "{text}");
    assert!(text.contains("notes.txt"), "{text}");
}

#[test]
fn validate_lists_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.xml");
    // A pain.008 whose declared totals do not match its one transaction.
    std::fs::write(
        &file,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"><CstmrDrctDbtInitn>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-24T10:00:00</CreDtTm><NbOfTxs>2</NbOfTxs><CtrlSum>99.00</CtrlSum><InitgPty><Nm>CACOBATPH</Nm></InitgPty></GrpHdr>
<PmtInf><PmtInfId>P1</PmtInfId><PmtMtd>DD</PmtMtd><NbOfTxs>1</NbOfTxs><CtrlSum>10.00</CtrlSum>
<PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl><LclInstrm><Cd>CORE</Cd></LclInstrm><SeqTp>RCUR</SeqTp></PmtTpInf>
<ReqdColltnDt>2026-12-01</ReqdColltnDt><Cdtr><Nm>CACOBATPH</Nm></Cdtr><CdtrAcct><Id><Othr><Id>00100123012345678935</Id></Othr></Id></CdtrAcct>
<CdtrAgt><FinInstnId><Othr><Id>001</Id></Othr></FinInstnId></CdtrAgt>
<DrctDbtTxInf><PmtId><EndToEndId>E1</EndToEndId></PmtId><InstdAmt Ccy="DZD">10.00</InstdAmt>
<DrctDbtTx><MndtRltdInf><MndtId>TSL-1</MndtId><DtOfSgntr>2026-01-01</DtOfSgntr></MndtRltdInf></DrctDbtTx>
<DbtrAgt><FinInstnId><Othr><Id>004</Id></Othr></FinInstnId></DbtrAgt><Dbtr><Nm>SARL X</Nm></Dbtr>
<DbtrAcct><Id><Othr><Id>00400174401001050486</Id></Othr></Id></DbtrAcct></DrctDbtTxInf>
</PmtInf></CstmrDrctDbtInitn></Document>"#,
    )
    .unwrap();
    let output = tahsil(&["files", "validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    let text = text.to_lowercase();
    assert!(text.contains("nboftxs") || text.contains("count"), "{text}");
    assert!(
        text.contains("ctrlsum") || text.contains("control sum"),
        "{text}"
    );
}

#[test]
fn a_fixed_width_postal_debit_file_inspects_and_validates_with_masked_accounts() {
    use bank_formats::layout::{
        DebitFileHeader, DebitInstruction, shipped_layout, write_debit_file,
    };
    use chrono::NaiveDate;
    use mandates::Amount;
    let layout = shipped_layout("postal-ccp-debit").expect("shipped layout");
    let date = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
    let header = DebitFileHeader {
        file_reference: "TAH-20261215-0001".to_owned(),
        creation_date: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
        collection_date: date,
        creditor_name: "CACOBATPH".to_owned(),
        creditor_account: "00799999000000020091".to_owned(),
        creditor_id: "000123".to_owned(),
    };
    let instructions = [
        DebitInstruction {
            end_to_end_id: "T20261215E0000000001".to_owned(),
            account_digits: "00799999002311500797".to_owned(),
            debtor_name: "مؤسسة البناء".to_owned(),
            amount: Amount::parse("125100.00").unwrap(),
            mandate_reference: "TSL-16000001-000001".to_owned(),
            collection_date: date,
        },
        DebitInstruction {
            end_to_end_id: "T20261215E0000000002".to_owned(),
            account_digits: "00799999000000020091".to_owned(),
            debtor_name: "SARL Bâtiment".to_owned(),
            amount: Amount::parse("15.07").unwrap(),
            mandate_reference: "TSL-16000002-000001".to_owned(),
            collection_date: date,
        },
    ];
    let mut bytes = Vec::new();
    write_debit_file(layout, &header, &instructions, &mut bytes).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("debit.txt");
    std::fs::write(&file, &bytes).unwrap();

    let output = tahsil(&["files", "inspect", "--json", file.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["format"], "postal-ccp-debit");
    assert_eq!(json["message_id"], "TAH-20261215-0001");
    let amounts: Vec<&str> = json["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["125100.00", "15.07"]);

    let table = tahsil(&["files", "inspect", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        !text.contains("00799999002311500797"),
        "no account in clear: {text}"
    );

    let valid = tahsil(&["files", "validate", file.to_str().unwrap()]);
    assert!(valid.status.success(), "{valid:?}");

    // One changed amount digit breaks the trailer's control sum: every problem listed.
    let mut broken = String::from_utf8(bytes).unwrap();
    broken = broken.replacen("12510000", "12510001", 1);
    std::fs::write(&file, broken).unwrap();
    let invalid = tahsil(&["files", "validate", file.to_str().unwrap()]);
    assert_eq!(invalid.status.code(), Some(1), "{invalid:?}");
}

#[test]
fn an_institutions_own_layout_is_recognised_from_the_layouts_folder() {
    use bank_formats::layout::{DebitFileHeader, DebitInstruction, Layout, write_debit_file};
    use chrono::NaiveDate;
    use mandates::Amount;
    // An institution's layout: the shipped postal one under another name and format id.
    let shipped = include_str!("../../bank-formats/layouts/postal-ccp-debit.toml");
    let own = shipped
        .replace(
            "name = \"postal-ccp-debit\"",
            "name = \"poste-centre-oran\"",
        )
        .replace("value = \"TAHSILCCPD\"", "value = \"PCORANDEBT\"");
    assert_ne!(own, shipped, "the test must really change the layout");
    let layout = Layout::from_toml(&own).expect("the institution layout loads");
    let dir = tempfile::tempdir().unwrap();
    let layouts = dir.path().join("layouts");
    std::fs::create_dir(&layouts).unwrap();
    std::fs::write(layouts.join("poste-centre-oran.toml"), &own).unwrap();

    let date = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
    let mut bytes = Vec::new();
    write_debit_file(
        &layout,
        &DebitFileHeader {
            file_reference: "ORAN-0001".to_owned(),
            creation_date: date,
            collection_date: date,
            creditor_name: "CACOBATPH".to_owned(),
            creditor_account: "00799999000000020091".to_owned(),
            creditor_id: "000123".to_owned(),
        },
        [DebitInstruction {
            end_to_end_id: "T20261215E0000000009".to_owned(),
            account_digits: "00799999002311500797".to_owned(),
            debtor_name: "ETB Oran".to_owned(),
            amount: Amount::parse("99.99").unwrap(),
            mandate_reference: "TSL-31000777-000001".to_owned(),
            collection_date: date,
        }],
        &mut bytes,
    )
    .unwrap();
    let file = dir.path().join("oran.txt");
    std::fs::write(&file, &bytes).unwrap();

    // Without the folder, nobody recognises it; with it, it reads under its own name.
    let unknown = tahsil(&["files", "inspect", "--json", file.to_str().unwrap()]);
    assert!(!unknown.status.success(), "{unknown:?}");
    let output = Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .args(["files", "inspect", "--json", file.to_str().unwrap()])
        .env("TAHSIL_LAYOUTS_DIR", &layouts)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["format"], "poste-centre-oran");
    assert_eq!(json["transactions"][0]["amount"], "99.99");

    // A broken description is named in a one-line error.
    std::fs::write(layouts.join("broken.toml"), "name = 3").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .args(["files", "inspect", file.to_str().unwrap()])
        .env("TAHSIL_LAYOUTS_DIR", &layouts)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("broken.toml"), "{text}");
}

/// A batched layout in the layouts folder (next to a single-batch one) loads, and `files
/// inspect` / `files validate` recognise its files under its own name, the example's without
/// any folder; `--json` keeps the contract's keys and adds the batches.
#[test]
fn batched_files_inspect_and_validate_from_the_layouts_folder_and_the_example() {
    use bank_formats::layout::Value as Field;
    use bank_formats::layout::{AnyLayout, Record, RecordRole, example_batched_layout};
    use chrono::NaiveDate;
    use mandates::Amount;
    let example = include_str!("../../bank-formats/layouts/example-batched-debit.toml");
    let own = example
        .replace("name = \"example-batched-debit\"", "name = \"bna-batched\"")
        .replace("value = \"EXAMPLEBAT\"", "value = \"BNABATCHED\"");
    let Ok(AnyLayout::Batched(layout)) = AnyLayout::from_toml(&own) else {
        panic!("the institution's batched layout loads as one");
    };
    let dir = tempfile::tempdir().unwrap();
    let layouts = dir.path().join("layouts");
    std::fs::create_dir(&layouts).unwrap();
    std::fs::write(layouts.join("bna-batched.toml"), &own).unwrap();
    std::fs::write(
        layouts.join("interbank-copy.toml"),
        include_str!("../../bank-formats/layouts/interbank-debit.toml")
            .replace("name = \"interbank-debit\"", "name = \"interbank-copy\""),
    )
    .unwrap();

    // Two batches (banks 002 and 010) of one and two debits, in each layout.
    let write = |layout: &bank_formats::layout::BatchedLayout| {
        let date = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
        let mut writer = bank_formats::layout::BatchedWriter::new(layout, Vec::new());
        writer
            .file_header(
                &Record::new(RecordRole::Header)
                    .with("file_reference", Field::text("TAH-20261215-0007"))
                    .with("creation_date", Field::Date(date))
                    .with("creditor_account", Field::digits("00400174401001050486"))
                    .with("creditor_name", Field::text("CACOBATPH")),
            )
            .unwrap();
        let mut n = 0;
        for (bank, amounts) in [("002", &["10.00"][..]), ("010", &["20.05", "0.01"][..])] {
            writer
                .begin_batch(
                    &Record::new(RecordRole::Header)
                        .with("debtor_bank", Field::digits(bank))
                        .with("batch_reference", Field::text(format!("B-{bank}")))
                        .with("collection_date", Field::Date(date)),
                )
                .unwrap();
            for amount in amounts {
                n += 1;
                writer
                    .detail(
                        "debit",
                        &Record::new(RecordRole::Detail)
                            .with(
                                "account",
                                Field::digits(format!("{bank}0017440100105{n:04}")),
                            )
                            .with("debtor_name", Field::text("ETB Oran"))
                            .with("amount", Field::Amount(Amount::parse(amount).unwrap()))
                            .with("end_to_end_id", Field::text(format!("T20261215E{n:010}"))),
                    )
                    .unwrap();
                writer
                    .detail(
                        "reference",
                        &Record::new(RecordRole::Detail)
                            .with("mandate_reference", Field::text(format!("TSL-{n:08}"))),
                    )
                    .unwrap();
            }
            writer
                .end_batch(
                    &Record::new(RecordRole::Trailer).with("debtor_bank", Field::digits(bank)),
                )
                .unwrap();
        }
        let (_, bytes) = writer
            .finish_into(
                &Record::new(RecordRole::Trailer)
                    .with("file_reference", Field::text("TAH-20261215-0007")),
            )
            .unwrap();
        bytes
    };
    let own_file = dir.path().join("bna.txt");
    std::fs::write(&own_file, write(&layout)).unwrap();
    let example_file = dir.path().join("example.txt");
    std::fs::write(&example_file, write(example_batched_layout())).unwrap();

    let run = |args: &[&str], folder: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tahsil"));
        command.args(args);
        if folder {
            command.env("TAHSIL_LAYOUTS_DIR", &layouts);
        }
        command.output().unwrap()
    };
    let own_path = own_file.to_str().unwrap();
    let example_path = example_file.to_str().unwrap();

    // Without the folder, the institution's file is nobody's; the example's always reads.
    assert!(
        !run(&["files", "inspect", "--json", own_path], false)
            .status
            .success()
    );
    for (path, format, folder) in [
        (own_path, "bna-batched", true),
        (example_path, "example-batched-debit", false),
        (example_path, "example-batched-debit", true),
    ] {
        let output = run(&["files", "inspect", "--json", path], folder);
        assert!(output.status.success(), "{output:?}");
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["format"], format);
        assert_eq!(json["message_id"], "TAH-20261215-0007");
        let transactions = json["transactions"].as_array().unwrap();
        let got: Vec<(&str, &str, &str)> = transactions
            .iter()
            .map(|t| {
                (
                    t["end_to_end_id"].as_str().unwrap(),
                    t["amount"].as_str().unwrap(),
                    t["mandate_id"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("T20261215E0000000001", "10.00", "TSL-00000001"),
                ("T20261215E0000000002", "20.05", "TSL-00000002"),
                ("T20261215E0000000003", "0.01", "TSL-00000003"),
            ]
        );
        for t in transactions {
            for key in ["end_to_end_id", "amount", "status", "reason"] {
                assert!(t.get(key).is_some(), "missing {key} in {t}");
            }
        }
        let batches: Vec<(&str, u64, &str)> = json["batches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["debtor_bank"].as_str().unwrap(),
                    b["transactions"].as_u64().unwrap(),
                    b["amount"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(batches, [("002", 1, "10.00"), ("010", 2, "20.06")]);

        let table = run(&["files", "inspect", path], folder);
        let text = String::from_utf8_lossy(&table.stdout);
        assert!(text.contains("transactions: 3"), "{text}");
        assert!(
            !text.contains("01000174401001050002"),
            "no account in clear: {text}"
        );

        let valid = run(&["files", "validate", path], folder);
        assert!(valid.status.success(), "{valid:?}");
        let text = String::from_utf8_lossy(&valid.stdout);
        assert!(text.contains(&format!("valid {format}")), "{text}");
    }

    // One changed amount digit: both trailers disagree, under the same format name.
    let broken = String::from_utf8(std::fs::read(&own_file).unwrap())
        .unwrap()
        .replacen("0000000000002005", "0000000000002006", 1);
    std::fs::write(&own_file, broken).unwrap();
    let invalid = run(&["files", "validate", own_path], true);
    assert_eq!(invalid.status.code(), Some(1), "{invalid:?}");
    let text = String::from_utf8_lossy(&invalid.stdout);
    assert!(text.contains("2 problem(s) in bna-batched"), "{text}");
}

/// The files `bank-formats/tests/reading/make.py` wrote: shapes real banks send.
fn reading(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/bank-formats/tests/reading"
    ))
    .join(name)
}

/// Whether `xmllint` and the shared schemas are here to check XML against.
fn xsd_available() -> bool {
    let schemas = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/iso20022/xsd"
    ));
    let xmllint = Command::new("xmllint").arg("--version").output().is_ok();
    if !(xmllint && schemas.is_dir()) {
        skip("xmllint or ../shared/iso20022/xsd is absent: the XSD half is not checked");
        return false;
    }
    true
}

#[test]
fn validate_reads_every_encoding_and_never_calls_a_file_both_malformed_and_valid() {
    let xsd = xsd_available();
    for name in [
        "pain002-iso-8859-1.xml",
        "pain002-windows-1256.xml",
        "pain002-utf-16le-bom.xml",
        "pain002-utf-16be-bom.xml",
        "pain002-ns2-prefixed.xml",
    ] {
        let file = reading(name);
        let output = tahsil(&["files", "validate", file.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{name}: {text}");
        assert!(text.contains(": valid pain.002.001.03"), "{name}: {text}");
        assert!(!text.to_lowercase().contains("malformed"), "{name}: {text}");
        if xsd {
            assert!(
                text.contains("XSD: valid against pain.002.001.03.xsd"),
                "{name}: {text}"
            );
        }
        // inspect names the same format.
        let output = tahsil(&["files", "inspect", "--json", file.to_str().unwrap()]);
        assert!(output.status.success(), "{name}: {output:?}");
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["format"], "pain.002.001.03", "{name}");
    }
    for name in [
        "broken-utf-16le-unpaired-surrogate.xml",
        "broken-unknown-encoding.xml",
    ] {
        let file = reading(name);
        let output = tahsil(&["files", "validate", file.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{name}: {text}");
        assert!(!text.contains("XSD: valid"), "{name}: {text}");
        // Known as a pain.002 but not readable: the schema check is not run, and says so.
        if name.contains("utf-16") {
            assert!(text.contains(" in pain.002.001.03\n"), "{name}: {text}");
            assert!(
                text.contains("XSD: not checked (the file could not be read)"),
                "{name}: {text}"
            );
        }
    }
}

#[test]
fn validate_says_plainly_when_a_national_variant_has_no_schema_here() {
    let file = reading("pain002-six-ch02.xml");
    let output = tahsil(&["files", "validate", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(text.contains(": valid pain.002.001.03"), "{text}");
    assert!(
        text.contains("XSD: not checked (no schema for this variant"),
        "{text}"
    );
    assert!(text.contains("pain.002.001.03.ch.02.xsd"), "{text}");
    // Without a namespace, no schema applies: said so, not a failure.
    let file = reading("pain002-no-namespace-answering-pain008.xml");
    let output = tahsil(&["files", "validate", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(text.contains(": valid pain.002\n"), "{text}");
    assert!(
        text.contains("XSD: not checked (the document has no namespace"),
        "{text}"
    );
}

#[test]
fn a_national_variant_is_validated_against_its_own_schema_when_it_is_there() {
    if !xsd_available() {
        return;
    }
    // A stand-in for SIX's schema, written here: its namespace, a Document holding a
    // CstmrPmtStsRpt of anything; then one that wants an element the file does not have.
    let schema = |content: &str| {
        format!(
            r#"<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.six-interbank-clearing.com/de/pain.002.001.03.ch.02.xsd" xmlns="http://www.six-interbank-clearing.com/de/pain.002.001.03.ch.02.xsd" elementFormDefault="qualified">
  <xs:element name="Document"><xs:complexType><xs:sequence>{content}</xs:sequence></xs:complexType></xs:element>
</xs:schema>"#
        )
    };
    let file = reading("pain002-six-ch02.xml");
    for (content, valid) in [
        (
            r#"<xs:element name="CstmrPmtStsRpt"><xs:complexType><xs:sequence><xs:any processContents="skip" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>"#,
            true,
        ),
        (r#"<xs:element name="SwissOnly" type="xs:string"/>"#, false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pain.002.001.03.ch.02.xsd"),
            schema(content),
        )
        .unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_tahsil"))
            .env("TAHSIL_XSD_DIR", dir.path())
            .args(["files", "validate", file.to_str().unwrap()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        if valid {
            assert!(output.status.success(), "{text}");
            assert!(
                text.contains("XSD: valid against pain.002.001.03.ch.02.xsd"),
                "{text}"
            );
        } else {
            assert_eq!(output.status.code(), Some(1), "{text}");
            assert!(text.contains("SwissOnly"), "{text}");
        }
    }
}

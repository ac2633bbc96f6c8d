//! The pain.008 writer: XSD validity (xmllint against the official schemas in
//! `../shared/iso20022/xsd/`), round-trips through the reader, totals enforced, and the
//! readers never panicking on arbitrary or truncated bytes.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bank_formats::inspect::{inspect, validate};
use bank_formats::iso20022::{
    AccountIdentifier, Agent, CharsetPolicy, DirectDebit, GroupHeader, Pain008Version,
    Pain008Writer, PaymentInfo, SequenceType, WriteError, read_camt, read_pain002, read_pain008,
};
use chrono::NaiveDate;
use mandates::Amount;
use proptest::prelude::*;

fn shared() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/iso20022"
    ))
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn skip(reason: &str) {
    if in_ci() {
        panic!("CI=true but {reason}");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
}

/// Validates `file` against the official XSD of `version`, or says why it cannot.
fn xmllint(file: &Path, version: Pain008Version) -> Option<Result<(), String>> {
    let xsd = shared().join("xsd").join(format!("{}.xsd", version.name()));
    if !xsd.exists() {
        skip(&format!(
            "{} is absent (shared ISO 20022 schemas)",
            xsd.display()
        ));
        return None;
    }
    let output = match Command::new("xmllint")
        .args(["--noout", "--stream", "--schema"])
        .arg(&xsd)
        .arg(file)
        .output()
    {
        Ok(output) => output,
        Err(_) => {
            skip("xmllint is not installed (apt-get install libxml2-utils)");
            return None;
        }
    };
    Some(if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    })
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn header(count: u64, sum: Amount) -> GroupHeader {
    GroupHeader {
        message_id: "TSL-20261215-BANK-0001".to_owned(),
        created_at: d(2026, 12, 10).and_hms_opt(8, 30, 0).unwrap(),
        number_of_transactions: count,
        control_sum: sum,
        initiating_party: "CACOBATPH — Caisse nationale des congés payés".to_owned(),
    }
}

fn payment(id: &str, date: NaiveDate, count: u64, sum: Amount) -> PaymentInfo {
    PaymentInfo {
        payment_id: id.to_owned(),
        collection_date: date,
        sequence_type: SequenceType::Recurrent,
        creditor_name: "CACOBATPH".to_owned(),
        creditor_account: AccountIdentifier::Domestic("00100123012345678935".to_owned()),
        creditor_agent: Agent::Code("001".to_owned()),
        creditor_scheme_id: "DZ00ZZZCACOBATPH".to_owned(),
        batch_booking: true,
        number_of_transactions: count,
        control_sum: sum,
    }
}

fn debit(index: u64, name: &str) -> DirectDebit {
    DirectDebit {
        end_to_end_id: format!("T20261215E{index:08}"),
        amount: Amount::from_centimes(10_000 + (index as i64 * 7_919) % 9_000_000),
        mandate_id: format!("TSL-{:08}-000001", 16_000_000 + index),
        mandate_signed_on: d(2026, 1, 10),
        debtor_name: name.to_owned(),
        debtor_account: if index.is_multiple_of(4) {
            AccountIdentifier::Domestic("00799999000000020091".to_owned())
        } else {
            AccountIdentifier::Domestic("00400174401001050486".to_owned())
        },
        debtor_agent: Agent::Code(
            if index.is_multiple_of(4) {
                "007"
            } else {
                "004"
            }
            .to_owned(),
        ),
        remittance: format!(
            "CACOBATPH cotisations 2026-11, avis TSL-{index:08}: détail par chantier sur le portail (ورشات)"
        ),
    }
}

/// Writes `blocks` payment blocks of `per_block` debits to a file and returns its path.
fn write_file(
    version: Pain008Version,
    charset: CharsetPolicy,
    blocks: u64,
    per_block: u64,
    name: &str,
    tag: &str,
) -> PathBuf {
    let debits: Vec<Vec<DirectDebit>> = (0..blocks)
        .map(|b| {
            (0..per_block)
                .map(|i| debit(b * per_block + i, name))
                .collect()
        })
        .collect();
    let sum = |ds: &[DirectDebit]| Amount::checked_sum(ds.iter().map(|d| d.amount)).unwrap();
    let total = Amount::checked_sum(debits.iter().map(|b| sum(b))).unwrap();
    let path = std::env::temp_dir().join(format!(
        "tahsil-pain008-{}-{tag}-{}.xml",
        version.name(),
        std::process::id()
    ));
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut writer =
        Pain008Writer::new(file, version, charset, header(blocks * per_block, total)).unwrap();
    for (b, block) in debits.iter().enumerate() {
        let date = d(2026, 12, 15 + b as u32);
        writer
            .begin_payment(&payment(
                &format!("PMT-{b}"),
                date,
                block.len() as u64,
                sum(block),
            ))
            .unwrap();
        for debit in block {
            writer.add(debit).unwrap();
        }
    }
    writer.finish().unwrap();
    path
}

#[test]
fn every_written_scenario_validates_against_the_official_schema() {
    let scenarios = [
        (
            Pain008Version::V02,
            CharsetPolicy::LatinRestricted,
            1,
            1,
            "SARL Bâtiment du Sud",
            "one",
        ),
        (
            Pain008Version::V08,
            CharsetPolicy::LatinRestricted,
            1,
            1,
            "SARL Bâtiment du Sud",
            "one",
        ),
        (
            Pain008Version::V02,
            CharsetPolicy::Utf8,
            3,
            4,
            "مؤسسة البناء الجنوبية",
            "many-arabic",
        ),
        (
            Pain008Version::V08,
            CharsetPolicy::Utf8,
            3,
            4,
            "مؤسسة البناء الجنوبية",
            "many-arabic",
        ),
        (
            Pain008Version::V02,
            CharsetPolicy::LatinRestricted,
            2,
            3,
            "مؤسسة البناء & Fils <Sud>",
            "translit",
        ),
        (
            Pain008Version::V08,
            CharsetPolicy::LatinRestricted,
            1,
            10_000,
            "ETB Travaux Publics Haddad",
            "10k",
        ),
        (
            Pain008Version::V02,
            CharsetPolicy::Utf8,
            1,
            10_000,
            "ETB Travaux Publics Haddad",
            "10k",
        ),
    ];
    for (version, charset, blocks, per_block, name, tag) in scenarios {
        let path = write_file(version, charset, blocks, per_block, name, tag);
        let Some(result) = xmllint(&path, version) else {
            return;
        };
        if let Err(errors) = result {
            panic!("{tag} {} does not validate:\n{errors}", version.name());
        }
        // Our own validation agrees, and the file reads back whole.
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(validate(&bytes).problems, Vec::<String>::new(), "{tag}");
        let doc = read_pain008(bytes.as_slice()).unwrap();
        assert_eq!(doc.payments.len() as u64, blocks, "{tag}");
        assert_eq!(
            doc.payments
                .iter()
                .map(|p| p.transactions.len() as u64)
                .sum::<u64>(),
            blocks * per_block,
            "{tag}"
        );
        if charset == CharsetPolicy::LatinRestricted {
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.is_ascii(), "{tag}: restricted files are plain Latin");
        }
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn wrong_declared_totals_are_refused_at_the_end_of_the_block() {
    let mut writer = Pain008Writer::new(
        Vec::new(),
        Pain008Version::V02,
        CharsetPolicy::Utf8,
        header(2, Amount::from_centimes(100)),
    )
    .unwrap();
    writer
        .begin_payment(&payment(
            "P1",
            d(2026, 12, 15),
            2,
            Amount::from_centimes(100),
        ))
        .unwrap();
    let mut one = debit(1, "A");
    one.amount = Amount::from_centimes(100);
    writer.add(&one).unwrap();
    let err = writer.finish().unwrap_err();
    assert!(matches!(err, WriteError::Totals { .. }), "{err}");
    assert!(err.to_string().contains("declares 2 transactions"), "{err}");
}

#[test]
fn ids_longer_than_the_schema_allows_are_refused_not_cut() {
    let mut writer = Pain008Writer::new(
        Vec::new(),
        Pain008Version::V08,
        CharsetPolicy::Utf8,
        header(1, Amount::from_centimes(100)),
    )
    .unwrap();
    writer
        .begin_payment(&payment(
            "P1",
            d(2026, 12, 15),
            1,
            Amount::from_centimes(100),
        ))
        .unwrap();
    let mut long = debit(1, "A");
    long.end_to_end_id = "E".repeat(36);
    assert!(matches!(writer.add(&long), Err(WriteError::TooLong { .. })));
}

#[test]
fn dtds_and_custom_entities_are_refused() {
    let bomb = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt><GrpHdr><MsgId>&lol;</MsgId></GrpHdr></CstmrPmtStsRpt></Document>"#;
    let err = inspect(bomb).unwrap_err().to_string();
    assert!(err.contains("DTD"), "{err}");
    let entity = br#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt><GrpHdr><MsgId>&lol;</MsgId></GrpHdr></CstmrPmtStsRpt></Document>"#;
    let err = inspect(entity).unwrap_err().to_string();
    assert!(err.contains("entity") && err.contains("byte"), "{err}");
}

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9/?:().,'+-]{1,35}"
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z][A-Za-z .,'-]{0,40}[A-Za-z]",
        "[ا-ي]{1,20}( [ا-ي]{1,20})?"
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn write_then_read_gives_back_the_same_debits(
        version in prop_oneof![Just(Pain008Version::V02), Just(Pain008Version::V08)],
        debits in prop::collection::vec((id(), 1i64..100_000_000_000, id(), name(), "[0-9]{20}", ".{0,160}"), 1..20),
    ) {
        let total = Amount::checked_sum(debits.iter().map(|d| Amount::from_centimes(d.1))).unwrap();
        let mut writer = Pain008Writer::new(Vec::new(), version, CharsetPolicy::Utf8, header(debits.len() as u64, total)).unwrap();
        writer.begin_payment(&payment("P1", d(2026, 12, 15), debits.len() as u64, total)).unwrap();
        let mut written = Vec::new();
        for (i, (e2e, centimes, mandate, debtor, account, remittance)) in debits.iter().enumerate() {
            let debit = DirectDebit {
                end_to_end_id: format!("{i}-{e2e}").chars().take(35).collect(),
                amount: Amount::from_centimes(*centimes),
                mandate_id: mandate.clone(),
                mandate_signed_on: d(2025, 3, 1),
                debtor_name: debtor.clone(),
                debtor_account: AccountIdentifier::Domestic(account.clone()),
                debtor_agent: Agent::Code(account[..3].to_owned()),
                remittance: remittance.clone(),
            };
            writer.add(&debit).unwrap();
            written.push(debit);
        }
        let bytes = writer.finish().unwrap();
        let doc = read_pain008(bytes.as_slice()).unwrap();
        prop_assert_eq!(doc.version.as_str(), version.name());
        prop_assert_eq!(doc.declared_control_sum, Some(total));
        let read = &doc.payments[0].transactions;
        prop_assert_eq!(read.len(), written.len());
        for (r, w) in read.iter().zip(&written) {
            prop_assert_eq!(&r.end_to_end_id, &w.end_to_end_id);
            prop_assert_eq!(r.amount, Some(w.amount));
            prop_assert_eq!(&r.mandate_id, &w.mandate_id);
            prop_assert_eq!(&r.debtor_name, &bank_formats::iso20022::clean_text(&w.debtor_name, CharsetPolicy::Utf8, 70));
            prop_assert_eq!(r.debtor_account.as_str(), match &w.debtor_account { AccountIdentifier::Domestic(a) | AccountIdentifier::Iban(a) => a.as_str() });
            prop_assert_eq!(&r.remittance, &bank_formats::iso20022::clean_text(&w.remittance, CharsetPolicy::Utf8, 140));
        }
    }

    #[test]
    fn readers_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = inspect(&bytes);
        let _ = validate(&bytes);
        let _ = read_pain008(bytes.as_slice());
        let _ = read_pain002(bytes.as_slice());
        let _ = read_camt(bytes.as_slice());
    }

    #[test]
    fn readers_never_panic_on_mangled_xml(cut in 0usize..4000, flip in 0usize..4000, byte in any::<u8>()) {
        let mut bytes = write_small();
        if flip < bytes.len() {
            bytes[flip] = byte;
        }
        bytes.truncate(cut.min(bytes.len()));
        let _ = inspect(&bytes);
        let _ = validate(&bytes);
    }
}

fn write_small() -> Vec<u8> {
    let one = debit(1, "مؤسسة & Co");
    let mut writer = Pain008Writer::new(
        Vec::new(),
        Pain008Version::V08,
        CharsetPolicy::Utf8,
        header(1, one.amount),
    )
    .unwrap();
    writer
        .begin_payment(&payment("P1", d(2026, 12, 15), 1, one.amount))
        .unwrap();
    writer.add(&one).unwrap();
    writer.finish().unwrap()
}

#[test]
fn truncations_of_every_shared_sample_are_errors_not_panics() {
    let dir = shared().join("samples");
    if !dir.is_dir() {
        skip(&format!("{} is absent", dir.display()));
        return;
    }
    for family in std::fs::read_dir(&dir).unwrap() {
        for file in std::fs::read_dir(family.unwrap().path()).unwrap() {
            let bytes = std::fs::read(file.unwrap().path()).unwrap();
            for cut in (0..bytes.len()).step_by(97) {
                let _ = inspect(&bytes[..cut]);
            }
            // A cut inside the root element is always an error.
            assert!(inspect(&bytes[..bytes.len() / 2]).is_err());
        }
    }
}

#[test]
fn mismatched_closing_tags_are_malformed_with_a_position() {
    let bytes = br#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>M</MsgId></GrpHd></BkToCstmrDbtCdtNtfctn></Document>"#;
    let err = inspect(bytes).unwrap_err().to_string();
    assert!(
        err.contains("</GrpHd> does not match <GrpHdr>") && err.contains("byte"),
        "{err}"
    );
}

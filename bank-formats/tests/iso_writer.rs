//! The pain.008 writer: XSD validity (xmllint against the official schemas in
//! `../shared/iso20022/xsd/`), round-trips through the reader, totals enforced, and the
//! readers never panicking on arbitrary or truncated bytes.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bank_formats::inspect::{inspect, validate};
use bank_formats::iso20022::{
    AccountIdentifier, Agent, CharsetPolicy, CreditorIdRule, DirectDebit, GroupHeader,
    Pain008Document, Pain008Version, Pain008Writer, PaymentInfo, PaymentType, ReadDebit,
    ReadPayment, SequenceType, WriteError, clean_text, for_each_camt_entry, read_camt,
    read_camt_slice, read_pain002, read_pain002_slice, read_pain008, read_pain008_slice,
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

/// How the accounts and banks of a scenario are identified.
#[derive(Clone, Copy, Debug)]
enum Ids {
    /// 20-digit RIB/RIP in `Othr/Id`, bank codes in `FinInstnId/Othr/Id`.
    Domestic,
    /// IBANs and BICs (`BIC` in .02, `BICFI` in .08), mixed with domestic ones.
    Mixed,
}

fn identify(mut debit: DirectDebit, index: u64, ids: Ids) -> DirectDebit {
    if let Ids::Mixed = ids {
        match index % 3 {
            0 => {
                debit.debtor_account = AccountIdentifier::Iban("DE89370400440532013000".to_owned());
                debit.debtor_agent = Agent::Bic("COBADEFFXXX".to_owned());
            }
            1 => debit.debtor_agent = Agent::Bic("BEXADZAL".to_owned()),
            _ => {}
        }
    }
    debit
}

/// Writes `blocks` payment blocks of `per_block` debits to a file and returns its path.
fn write_file(
    version: Pain008Version,
    charset: CharsetPolicy,
    blocks: u64,
    per_block: u64,
    name: &str,
    ids: Ids,
    tag: &str,
) -> PathBuf {
    let sequence = [
        SequenceType::First,
        SequenceType::Recurrent,
        SequenceType::OneOff,
        SequenceType::Final,
    ];
    let block_total = |b: u64| {
        Amount::checked_sum((0..per_block).map(|i| debit(b * per_block + i, name).amount)).unwrap()
    };
    let total = Amount::checked_sum((0..blocks).map(block_total)).unwrap();
    let path = std::env::temp_dir().join(format!(
        "tahsil-pain008-{}-{tag}-{}.xml",
        version.name(),
        std::process::id()
    ));
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut writer =
        Pain008Writer::new(file, version, charset, header(blocks * per_block, total)).unwrap();
    for b in 0..blocks {
        let mut info = payment(
            &format!("PMT-{b}"),
            d(2026, 12, 15 + b as u32),
            per_block,
            block_total(b),
        );
        info.sequence_type = sequence[b as usize % 4];
        if let Ids::Mixed = ids
            && b % 2 == 1
        {
            info.creditor_account =
                AccountIdentifier::Iban("FR1420041010050500013M02606".to_owned());
            info.creditor_agent = Agent::Bic("BNPAFRPPXXX".to_owned());
        }
        // Streamed: no debit is kept once written.
        writer.begin_payment(&info).unwrap();
        for i in 0..per_block {
            let index = b * per_block + i;
            writer
                .add(&identify(debit(index, name), index, ids))
                .unwrap();
        }
    }
    writer.finish().unwrap();
    path
}

#[test]
fn every_written_scenario_validates_against_the_official_schema() {
    let latin = "SARL Bâtiment du Sud & Fils <Ouest>";
    let arabic = "مؤسسة البناء الجنوبية";
    let mut scenarios = Vec::new();
    for version in [Pain008Version::V02, Pain008Version::V08] {
        for charset in [CharsetPolicy::Utf8, CharsetPolicy::LatinRestricted] {
            for (name, script) in [(latin, "latin"), (arabic, "arabic")] {
                // One block of one debit, and several blocks (all four sequence types,
                // IBAN/BIC mixed with domestic ids).
                scenarios.push((
                    version,
                    charset,
                    1,
                    1,
                    name,
                    Ids::Domestic,
                    format!("one-{script}"),
                ));
                scenarios.push((
                    version,
                    charset,
                    4,
                    3,
                    name,
                    Ids::Mixed,
                    format!("many-{script}"),
                ));
            }
        }
        let big = if version == Pain008Version::V02 {
            (CharsetPolicy::Utf8, arabic)
        } else {
            (CharsetPolicy::LatinRestricted, latin)
        };
        scenarios.push((
            version,
            big.0,
            1,
            10_000,
            big.1,
            Ids::Mixed,
            "10k".to_owned(),
        ));
    }
    for (version, charset, blocks, per_block, name, ids, tag) in scenarios {
        let tag = format!("{tag}-{charset:?}");
        let path = write_file(version, charset, blocks, per_block, name, ids, &tag);
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
        assert_eq!(doc.version, version.name(), "{tag}");
        assert_eq!(doc.payments.len() as u64, blocks, "{tag}");
        assert_eq!(
            doc.payments
                .iter()
                .map(|p| p.transactions.len() as u64)
                .sum::<u64>(),
            blocks * per_block,
            "{tag}"
        );
        let text = String::from_utf8(bytes).unwrap();
        match charset {
            CharsetPolicy::LatinRestricted => {
                assert!(text.is_ascii(), "{tag}: restricted files are plain Latin")
            }
            CharsetPolicy::Utf8 if name == arabic => {
                assert!(
                    text.contains(arabic),
                    "{tag}: Arabic names travel as they are"
                )
            }
            CharsetPolicy::Utf8 => {}
        }
        let bic = if version == Pain008Version::V02 {
            "<BIC>"
        } else {
            "<BICFI>"
        };
        assert_eq!(text.contains(bic), matches!(ids, Ids::Mixed), "{tag}");
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn invalid_banks_accounts_and_names_are_refused_before_anything_is_written() {
    let start = || {
        let mut writer = Pain008Writer::new(
            Vec::new(),
            Pain008Version::V08,
            CharsetPolicy::LatinRestricted,
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
        writer
    };
    type Change = fn(&mut DirectDebit);
    let cases: [(&str, Change); 5] = [
        ("BIC", |d| {
            d.debtor_agent = Agent::Bic("bexadzal".to_owned())
        }),
        ("BIC", |d| d.debtor_agent = Agent::Bic("BEXADZA".to_owned())),
        ("IBAN", |d| {
            d.debtor_account = AccountIdentifier::Iban("DE89370400440532013001".to_owned())
        }),
        ("longer than 34", |d| {
            d.debtor_account = AccountIdentifier::Domestic("1".repeat(35))
        }),
        // Nothing of a Chinese name is left in the restricted Latin set.
        ("debtor name must not be empty", |d| {
            d.debtor_name = "王伟".to_owned()
        }),
    ];
    for (expected, change) in cases {
        let mut debit = debit(1, "A");
        change(&mut debit);
        let err = start().add(&debit).unwrap_err().to_string();
        assert!(err.contains(expected), "{expected}: {err}");
    }
    let mut bad_creditor = payment("P1", d(2026, 12, 15), 1, Amount::from_centimes(100));
    bad_creditor.creditor_agent = Agent::Bic("NOTABIC".to_owned());
    let mut writer = Pain008Writer::new(
        Vec::new(),
        Pain008Version::V02,
        CharsetPolicy::Utf8,
        header(1, Amount::from_centimes(100)),
    )
    .unwrap();
    assert!(matches!(
        writer.begin_payment(&bad_creditor),
        Err(WriteError::Invalid { .. })
    ));
}

#[test]
fn validate_names_every_problem_of_a_broken_debit_file_with_its_line() {
    let good = String::from_utf8(write_small()).unwrap();
    // Break the file the way a hand edit would: a second copy of the debit (duplicate
    // id, totals now wrong), a zero amount and a foreign currency in the copy.
    let start = good.find("<DrctDbtTxInf>").unwrap();
    let end = good.find("</DrctDbtTxInf>").unwrap() + "</DrctDbtTxInf>".len();
    let copy = good[start..end].replace("Ccy=\"DZD\"", "Ccy=\"EUR\"");
    let copy = {
        let open = copy.find("<InstdAmt").unwrap();
        let text = copy[open..].find('>').unwrap() + open + 1;
        let close = copy.find("</InstdAmt>").unwrap();
        format!("{}0.00{}", &copy[..text], &copy[close..])
    };
    let broken = format!("{}\n{}{}", &good[..end], copy, &good[end..]);
    let problems = validate(broken.as_bytes()).problems;
    let expect = [
        "EndToEndId appears more than once",
        "InstdAmt 0.00 is not positive",
        "currency \"EUR\" is not DZD",
        "NbOfTxs says 1 but it holds 2 transactions",
        "group header: NbOfTxs says 1 but the file holds 2 transactions",
    ];
    for e in expect {
        assert!(
            problems.iter().any(|p| p.contains(e)),
            "{e} not in {problems:#?}"
        );
    }
    // Transaction problems start with the line of their <DrctDbtTxInf>.
    let line_of_copy = broken[..broken.rfind("<DrctDbtTxInf>").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&format!("line {line_of_copy} ")) && p.contains("not positive")),
        "{problems:#?}"
    );
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
        "[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ .,'&<>-]{0,80}[A-Za-z]",
        // The letters of Algerian names (the Unicode range ا-ي also holds Persian and
        // Urdu letters the transliteration table does not know).
        // A hamza alone is not a name: it has no Latin spelling.
        "[ابتثجحخدذرزسشصضطظعغفقكلمنهوي][ابتثجحخدذرزسشصضطظعغفقكلمنهويةءأإآى]{0,19}( [ابتثجحخدذرزسشصضطظعغفقكلمنهويةءأإآى]{1,20}){0,4}"
    ]
}

fn account() -> impl Strategy<Value = AccountIdentifier> {
    prop_oneof![
        "[0-9]{20}".prop_map(AccountIdentifier::Domestic),
        Just(AccountIdentifier::Iban("DE89370400440532013000".to_owned())),
        Just(AccountIdentifier::Iban("GB82WEST12345698765432".to_owned())),
    ]
}

fn agent() -> impl Strategy<Value = Agent> {
    prop_oneof![
        "[0-9]{3}".prop_map(Agent::Code),
        "[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?".prop_map(Agent::Bic),
    ]
}

fn sequence() -> impl Strategy<Value = SequenceType> {
    prop_oneof![
        Just(SequenceType::First),
        Just(SequenceType::Recurrent),
        Just(SequenceType::OneOff),
        Just(SequenceType::Final),
    ]
}

prop_compose! {
    fn debit_strategy()(
        e2e in id(),
        centimes in 1i64..100_000_000_000,
        mandate in id(),
        signed in 0i64..3650,
        debtor in name(),
        account in account(),
        agent in agent(),
        remittance in ".{0,200}",
    ) -> DirectDebit {
        DirectDebit {
            end_to_end_id: e2e,
            amount: Amount::from_centimes(centimes),
            mandate_id: mandate,
            mandate_signed_on: d(2016, 1, 1) + chrono::Duration::days(signed),
            debtor_name: debtor,
            debtor_account: account,
            debtor_agent: agent,
            remittance,
        }
    }
}

/// A payment block and its debits, totals declared right, end-to-end ids made unique.
fn block() -> impl Strategy<Value = (PaymentInfo, Vec<DirectDebit>)> {
    (
        id(),
        0i64..400,
        sequence(),
        name(),
        account(),
        agent(),
        any::<bool>(),
        prop::collection::vec(debit_strategy(), 1..12),
    )
        .prop_map(
            |(pmt, day, seq, creditor, account, agent, batch, mut debits)| {
                for (i, debit) in debits.iter_mut().enumerate() {
                    debit.end_to_end_id = format!("{i}-{}", debit.end_to_end_id)
                        .chars()
                        .take(35)
                        .collect();
                }
                let sum = Amount::checked_sum(debits.iter().map(|d| d.amount)).unwrap();
                let info = PaymentInfo {
                    payment_id: pmt,
                    collection_date: d(2026, 1, 1) + chrono::Duration::days(day),
                    sequence_type: seq,
                    creditor_name: creditor,
                    creditor_account: account,
                    creditor_agent: agent,
                    creditor_scheme_id: "DZ00ZZZCACOBATPH".to_owned(),
                    batch_booking: batch,
                    number_of_transactions: debits.len() as u64,
                    control_sum: sum,
                };
                (info, debits)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn write_then_read_gives_back_the_same_model(
        version in prop_oneof![Just(Pain008Version::V02), Just(Pain008Version::V08)],
        charset in prop_oneof![Just(CharsetPolicy::Utf8), Just(CharsetPolicy::LatinRestricted)],
        initiator in name(),
        blocks in prop::collection::vec(block(), 1..4),
    ) {
        let total_count = blocks.iter().map(|(_, debits)| debits.len() as u64).sum();
        let total = Amount::checked_sum(blocks.iter().flat_map(|(_, ds)| ds.iter().map(|d| d.amount))).unwrap();
        let mut head = header(total_count, total);
        head.initiating_party = initiator;
        let mut writer = Pain008Writer::new(Vec::new(), version, charset, head.clone()).unwrap();
        for (info, debits) in &blocks {
            writer.begin_payment(info).unwrap();
            for debit in debits {
                writer.add(debit).unwrap();
            }
        }
        let bytes = writer.finish().unwrap();
        let read = read_pain008(bytes.as_slice()).unwrap();
        // The model we expect: what was written, with names and remittance cleaned for
        // the charset policy (the only change the writer makes).
        let expected = Pain008Document {
            version: version.name().to_owned(),
            message_id: head.message_id.clone(),
            created_at: head.created_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            declared_transactions: Some(total_count),
            declared_control_sum: Some(total),
            initiating_party: clean_text(&head.initiating_party, charset, 70),
            payments: blocks.iter().zip(&read.payments).map(|((info, debits), read_block)| ReadPayment {
                at: read_block.at,
                payment_id: info.payment_id.clone(),
                collection_date: info.collection_date.format("%Y-%m-%d").to_string(),
                sequence_type: info.sequence_type.code().to_owned(),
                batch_booking: Some(info.batch_booking),
                creditor_name: clean_text(&info.creditor_name, charset, 70),
                creditor_account: Some(info.creditor_account.clone()),
                creditor_agent: Some(info.creditor_agent.clone()),
                creditor_scheme_id: info.creditor_scheme_id.clone(),
                payment_type: PaymentType::sepa_core_debit(),
                charge_bearer: Some("SLEV".to_owned()),
                creditor_id: CreditorIdRule::sepa(),
                declared_transactions: Some(info.number_of_transactions),
                declared_control_sum: Some(info.control_sum),
                transactions: debits.iter().zip(&read_block.transactions).map(|(w, r)| ReadDebit {
                    at: r.at,
                    end_to_end_id: w.end_to_end_id.clone(),
                    amount: Some(w.amount),
                    currency: Some("DZD".to_owned()),
                    mandate_id: w.mandate_id.clone(),
                    mandate_signed_on: w.mandate_signed_on.format("%Y-%m-%d").to_string(),
                    debtor_name: clean_text(&w.debtor_name, charset, 70),
                    debtor_account: Some(w.debtor_account.clone()),
                    debtor_agent: Some(w.debtor_agent.clone()),
                    remittance: clean_text(&w.remittance, charset, 140),
                }).collect(),
            }).collect(),
        };
        prop_assert_eq!(&read, &expected);
        // The streaming and in-memory readers agree, and our validation finds nothing.
        prop_assert_eq!(&read_pain008_slice(&bytes).unwrap().payments.len(), &blocks.len());
        prop_assert_eq!(validate(&bytes).problems, Vec::<String>::new());
    }

    #[test]
    fn readers_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = inspect(&bytes);
        let _ = validate(&bytes);
        let _ = read_pain008(bytes.as_slice());
        let _ = read_pain002(bytes.as_slice());
        let _ = read_camt(bytes.as_slice());
        let _ = read_pain008_slice(&bytes);
        let _ = read_pain002_slice(&bytes);
        let _ = read_camt_slice(&bytes);
    }

    #[test]
    fn readers_never_panic_on_xml_shaped_noise(
        parts in prop::collection::vec(prop_oneof![
            Just("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\">".to_owned()),
            Just("<CstmrPmtStsRpt>".to_owned()), Just("<BkToCstmrStmt>".to_owned()),
            Just("<CstmrDrctDbtInitn>".to_owned()), Just("<Ntry>".to_owned()), Just("</Ntry>".to_owned()),
            Just("<TxDtls>".to_owned()), Just("<Amt Ccy=\"DZD\">".to_owned()), Just("</Amt>".to_owned()),
            Just("<InstdAmt Ccy=\"DZD\">".to_owned()), Just("<Sts><Cd>".to_owned()),
            Just("<TxInfAndSts>".to_owned()), Just("<PmtInf>".to_owned()), Just("<DrctDbtTxInf>".to_owned()),
            Just("&amp;".to_owned()), Just("&#x0;".to_owned()), Just("&#1114112;".to_owned()), Just("<![CDATA[".to_owned()),
            "[0-9.,-]{0,25}", "[<>/&;a-zA-Z]{0,8}", ".{0,8}",
        ], 0..60),
    ) {
        let bytes = parts.concat().into_bytes();
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
                let part = &bytes[..cut];
                let _ = inspect(part);
                let _ = validate(part);
                let _ = read_pain008_slice(part);
                let _ = read_pain002_slice(part);
                let _ = read_camt_slice(part);
                let _ = read_pain008(part);
                let _ = read_pain002(part);
                let _ = for_each_camt_entry(part, |_| Ok(()));
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

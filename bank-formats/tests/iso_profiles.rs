//! Bank profiles, driven by data: every shipped profile (and a bank's own codes) writes
//! pain.008 files that validate against the official XSD and read back with the codes
//! the profile names — the domestic profile without a single SEPA code —, the `sepa`
//! profile writes the golden files byte for byte, and the pain.001 refund file is
//! XSD-valid in both versions, read back by `inspect`, and checked by `validate`.

#![allow(clippy::unwrap_used)]

mod golden_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use bank_formats::inspect::{inspect, validate};
use bank_formats::iso20022::{
    AccountIdentifier, Agent, CharsetPolicy, CreditTransfer, CreditTransferBatch, CreditorIdParty,
    CreditorIdRule, DebitRules, Pain001Version, Pain008Version, Pain008Writer, PaymentType,
    TransferFormat, TransferRules, TypeCode, WriteError, credit_transfer_bytes, read_pain001,
    read_pain008_slice,
};
use bank_formats::profile::{
    BankProfile, DebitProfile, shipped_profile, shipped_profiles, write_credit_transfer,
};
use chrono::NaiveDate;
use golden_support::{golden_path, scenario, write_scenario};
use mandates::Amount;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn skip(reason: &str) {
    if in_ci() {
        panic!("CI=true but {reason}");
    }
    eprintln!("skipped: {reason}");
}

/// Validates `bytes` against the official XSD `schema` (e.g. `pain.001.001.03`), or says
/// why it cannot.
fn xmllint(bytes: &[u8], schema: &str, tag: &str) -> Option<Result<(), String>> {
    let xsd = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/iso20022/xsd")
        .join(format!("{schema}.xsd"));
    if !xsd.exists() {
        skip(&format!(
            "{} is absent (shared ISO 20022 schemas)",
            xsd.display()
        ));
        return None;
    }
    let file = std::env::temp_dir().join(format!(
        "tahsil-profiles-{schema}-{tag}-{}.xml",
        std::process::id()
    ));
    std::fs::write(&file, bytes).unwrap();
    let result = run_xmllint(&xsd, &file);
    let _ = std::fs::remove_file(&file);
    result
}

fn run_xmllint(xsd: &Path, file: &Path) -> Option<Result<(), String>> {
    let output = match Command::new("xmllint")
        .args(["--noout", "--stream", "--schema"])
        .arg(xsd)
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

/// The golden scenario written with `version`, `charset` and `rules`.
fn debit_file(version: Pain008Version, charset: CharsetPolicy, rules: &DebitRules) -> Vec<u8> {
    let (header, blocks) = scenario();
    write_scenario(
        Pain008Writer::with_rules(Vec::new(), version, charset, rules.clone(), header).unwrap(),
        &blocks,
    )
}

/// Every way a bank's requirements are written down: each shipped ISO profile, and a
/// bank's own codes (proprietary, ISO codes of its choice, an issuer).
fn debit_profiles() -> Vec<(String, Pain008Version, CharsetPolicy, DebitRules)> {
    let mut all: Vec<_> = shipped_profiles()
        .iter()
        .filter_map(|p| match p.debit() {
            DebitProfile::Iso { version, rules } => {
                Some((p.name().to_owned(), *version, p.charset(), rules.clone()))
            }
            DebitProfile::Layout(_) => None,
        })
        .collect();
    let own = BankProfile::from_toml(
        r#"
name = "bank-own-codes"
title = "A bank with its own codes"
charset = "utf8"
max_transactions_per_file = 1000
lead_business_days = 3
cut_off = "11:30"
reports = ["pain.002", "camt.053"]
[debit]
format = "pain.008.001.08"
service_level = { proprietary = "ATCI" }
local_instrument = { proprietary = "PRLV-CNV-2026" }
category_purpose = { code = "SSBE" }
charge_bearer = "SHAR"
[debit.creditor_id]
party = "organisation"
scheme = "NEC"
issuer = "BNA"
"#,
    )
    .unwrap();
    let DebitProfile::Iso { version, rules } = own.debit() else {
        panic!("an ISO profile")
    };
    for v in [Pain008Version::V02, Pain008Version::V08] {
        all.push((
            format!("bank-own-codes {}", v.name()),
            v,
            own.charset(),
            rules.clone(),
        ));
    }
    assert_eq!(*version, Pain008Version::V08);
    all
}

#[test]
fn every_profile_writes_schema_valid_debits_that_read_back_with_its_codes() {
    let profiles = debit_profiles();
    assert!(profiles.len() >= 4, "{profiles:?}");
    for (name, version, charset, rules) in profiles {
        let bytes = debit_file(version, charset, &rules);
        if let Some(result) = xmllint(&bytes, version.name(), &name.replace(' ', "-")) {
            result.unwrap_or_else(|e| panic!("{name}: not schema-valid:\n{e}"));
        }
        let document = read_pain008_slice(&bytes).unwrap();
        assert_eq!(document.version, version.name(), "{name}");
        assert_eq!(document.payments.len(), 3, "{name}");
        for payment in &document.payments {
            assert_eq!(payment.payment_type, rules.payment_type, "{name}");
            assert_eq!(payment.charge_bearer, rules.charge_bearer, "{name}");
            assert_eq!(payment.creditor_id, rules.creditor_id, "{name}");
            assert_eq!(payment.creditor_scheme_id, "DZ00ZZZCACOBATPH", "{name}");
        }
        assert_eq!(validate(&bytes).problems, Vec::<String>::new(), "{name}");
    }
}

#[test]
fn the_default_domestic_profile_writes_no_sepa_code() {
    let profile = shipped_profile("dz-domestic").unwrap();
    let DebitProfile::Iso { version, rules } = profile.debit() else {
        panic!("dz-domestic debits in pain.008")
    };
    let text = String::from_utf8(debit_file(*version, profile.charset(), rules)).unwrap();
    for sepa in [
        "<SvcLvl>",
        "<LclInstrm>",
        "SEPA<",
        ">CORE<",
        "<PrvtId>",
        "<ChrgBr>",
    ] {
        assert!(!text.contains(sepa), "dz-domestic wrote {sepa}");
    }
    // Only the sequence type is left in the payment type; the creditor id is the fund's
    // number as an organisation's id, with no scheme name.
    assert!(text.contains("<PmtTpInf><SeqTp>FRST</SeqTp></PmtTpInf>"));
    assert!(text.contains(
        "<CdtrSchmeId><Id><OrgId><Othr><Id>DZ00ZZZCACOBATPH</Id></Othr></OrgId></Id></CdtrSchmeId>"
    ));
    let sepa = shipped_profile("sepa").unwrap();
    assert_eq!(
        sepa.debit(),
        &DebitProfile::Iso {
            version: Pain008Version::V02,
            rules: DebitRules::sepa_core()
        }
    );
}

#[test]
fn the_sepa_profile_writes_the_golden_files_byte_for_byte() {
    let profile = shipped_profile("sepa").unwrap();
    let DebitProfile::Iso { rules, .. } = profile.debit() else {
        panic!("sepa debits in pain.008")
    };
    for version in [Pain008Version::V02, Pain008Version::V08] {
        for charset in [CharsetPolicy::LatinRestricted, CharsetPolicy::Utf8] {
            let profiled = profile.clone().with_debit_format(version.name());
            let DebitProfile::Iso { rules: kept, .. } = profiled.debit() else {
                panic!("still pain.008")
            };
            assert_eq!(kept, rules, "a version override keeps the profile's codes");
            let bytes = debit_file(version, charset, rules);
            let golden = std::fs::read(golden_path(version, charset)).unwrap();
            assert!(bytes == golden, "{} {charset:?}", version.name());
        }
    }
}

#[test]
fn a_bank_code_the_schema_refuses_is_refused_before_anything_is_written() {
    let too_long = DebitRules {
        payment_type: PaymentType {
            service_level: Some(TypeCode::Code("SEPA2".to_owned())),
            ..PaymentType::default()
        },
        charge_bearer: None,
        creditor_id: CreditorIdRule::default(),
    };
    let (header, _) = scenario();
    let error = Pain008Writer::with_rules(
        Vec::new(),
        Pain008Version::V02,
        CharsetPolicy::Utf8,
        too_long,
        header,
    )
    .unwrap_err();
    assert!(error.to_string().contains("service level"), "{error}");
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A refund batch: the fund's account debited, employers' accounts credited.
fn refunds(count: usize) -> CreditTransferBatch {
    let names = [
        "SARL Bâtiment du Sud & Fils <Ouest>",
        "مؤسسة البناء الجنوبية",
        "EURL Hydro-Travaux d'Oran",
    ];
    CreditTransferBatch {
        message_id: "TSL-REFUND-20261220-000001".to_owned(),
        created_at: d(2026, 12, 18).and_hms_opt(9, 15, 0).unwrap(),
        initiating_party: "CACOBATPH".to_owned(),
        payment_id: "TSL-REFUND-20261220-000001-P".to_owned(),
        execution_date: d(2026, 12, 20),
        debtor_name: "CACOBATPH — Caisse nationale des congés payés".to_owned(),
        debtor_account: AccountIdentifier::Domestic("00400174401001050486".to_owned()),
        debtor_agent: Agent::Code("004".to_owned()),
        transfers: (0..count)
            .map(|i| CreditTransfer {
                end_to_end_id: format!("R20261220E{i:08}"),
                amount: Amount::from_centimes(50_000 + i as i64 * 12_345),
                creditor_name: names[i % 3].to_owned(),
                creditor_account: match i % 3 {
                    0 => AccountIdentifier::Domestic("00799999000000020091".to_owned()),
                    1 => AccountIdentifier::Domestic("00400174401001050486".to_owned()),
                    _ => AccountIdentifier::Iban("DE89370400440532013000".to_owned()),
                },
                creditor_agent: match i % 3 {
                    0 => Agent::Code("007".to_owned()),
                    1 => Agent::Code("004".to_owned()),
                    _ => Agent::Bic("COBADEFFXXX".to_owned()),
                },
                remittance: format!("Remboursement trop-percu aff 16-{i:07} échéance 2026-11-15"),
            })
            .collect(),
    }
}

/// Every transfer format a profile can ask for: both versions × both charsets × no
/// codes, SEPA's, or a bank's own.
fn transfer_formats() -> Vec<TransferFormat> {
    let own = TransferRules {
        payment_type: PaymentType {
            service_level: Some(TypeCode::Proprietary("ATCI".to_owned())),
            local_instrument: Some(TypeCode::Proprietary("VIR-REMB".to_owned())),
            category_purpose: Some(TypeCode::Code("SSBE".to_owned())),
        },
        charge_bearer: Some("DEBT".to_owned()),
    };
    let mut all = Vec::new();
    for version in [Pain001Version::V03, Pain001Version::V09] {
        for charset in [CharsetPolicy::LatinRestricted, CharsetPolicy::Utf8] {
            for rules in [TransferRules::default(), TransferRules::sepa(), own.clone()] {
                all.push(TransferFormat {
                    version,
                    charset,
                    rules,
                });
            }
        }
    }
    all
}

#[test]
fn refund_files_validate_against_the_official_schema_and_read_back() {
    let batch = refunds(7);
    for (i, format) in transfer_formats().iter().enumerate() {
        let bytes = credit_transfer_bytes(format, &batch).unwrap();
        if let Some(result) = xmllint(&bytes, format.version.name(), &i.to_string()) {
            result.unwrap_or_else(|e| panic!("{format:?}: not schema-valid:\n{e}"));
        }
        // The streaming reader gives back what was written (names cleaned for the charset).
        let read = read_pain001(bytes.as_slice()).unwrap();
        assert_eq!(read.version, format.version.name());
        assert_eq!(read.message_id, batch.message_id);
        assert_eq!(read.declared_transactions, Some(7));
        let payment = &read.payments[0];
        assert_eq!(payment.payment_method, "TRF");
        assert_eq!(payment.execution_date, "2026-12-20");
        assert_eq!(payment.payment_type, format.rules.payment_type);
        assert_eq!(payment.charge_bearer, format.rules.charge_bearer);
        assert_eq!(payment.debtor_account, Some(batch.debtor_account.clone()));
        for (written, read) in batch.transfers.iter().zip(&payment.transfers) {
            assert_eq!(read.end_to_end_id, written.end_to_end_id);
            assert_eq!(read.amount, Some(written.amount));
            assert_eq!(read.currency.as_deref(), Some("DZD"));
            assert_eq!(
                read.creditor_account,
                Some(written.creditor_account.clone())
            );
            assert_eq!(read.creditor_agent, Some(written.creditor_agent.clone()));
            assert_eq!(
                read.creditor_name,
                bank_formats::iso20022::clean_text(&written.creditor_name, format.charset, 70)
            );
        }
        assert_eq!(
            validate(&bytes).problems,
            Vec::<String>::new(),
            "{format:?}"
        );
        assert_eq!(
            validate(&bytes).format.as_deref(),
            Some(format.version.name())
        );
    }
}

#[test]
fn inspect_shows_a_refund_file_in_the_contract_shape() {
    let profile = shipped_profile("dz-domestic").unwrap();
    let bytes = write_credit_transfer(profile, &refunds(2)).unwrap();
    let json = serde_json::to_value(inspect(&bytes).unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "format": "pain.001.001.03",
            "message_id": "TSL-REFUND-20261220-000001",
            "transactions": [
                {"end_to_end_id": "R20261220E00000000", "amount": "500.00", "currency": "DZD", "status": null, "reason": null},
                {"end_to_end_id": "R20261220E00000001", "amount": "623.45", "currency": "DZD", "status": null, "reason": null},
            ]
        })
    );
    let sepa = write_credit_transfer(shipped_profile("sepa").unwrap(), &refunds(1)).unwrap();
    assert_eq!(inspect(&sepa).unwrap().format, "pain.001.001.09");
}

#[test]
fn validate_names_what_is_wrong_in_a_refund_file() {
    let format = shipped_profile("dz-domestic")
        .unwrap()
        .credit_transfer()
        .unwrap()
        .clone();
    let text = String::from_utf8(credit_transfer_bytes(&format, &refunds(3)).unwrap()).unwrap();
    let broken = text
        .replacen("<CtrlSum>", "<CtrlSum>1", 1)
        .replacen("R20261220E00000002", "R20261220E00000001", 1)
        .replacen(">623.45<", ">0.00<", 1)
        .replacen("<PmtMtd>TRF", "<PmtMtd>CHK", 1);
    let problems = validate(broken.as_bytes()).problems;
    for expected in [
        "group header: CtrlSum says 1",
        "EndToEndId appears more than once",
        "InstdAmt 0.00 is not positive",
        "PmtMtd \"CHK\" is not TRF",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected} not in {problems:#?}"
        );
    }
}

#[test]
fn a_refund_batch_the_bank_would_refuse_is_refused_before_writing() {
    let format = TransferFormat {
        version: Pain001Version::V09,
        charset: CharsetPolicy::Utf8,
        rules: TransferRules::default(),
    };
    let mut empty = refunds(0);
    empty.transfers.clear();
    let mut twice = refunds(2);
    twice.transfers[1].end_to_end_id = twice.transfers[0].end_to_end_id.clone();
    let mut zero = refunds(1);
    zero.transfers[0].amount = Amount::ZERO;
    let mut bad_bic = refunds(1);
    bad_bic.transfers[0].creditor_agent = Agent::Bic("NOTABIC".to_owned());
    for (batch, expected) in [
        (empty, "must not be empty"),
        (twice, "unique"),
        (zero, "must be positive"),
        (bad_bic, "BIC"),
    ] {
        let error = credit_transfer_bytes(&format, &batch).unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
    // Algérie Poste's profile takes no credit transfers from the fund.
    let postal = shipped_profile("dz-postal").unwrap();
    assert!(matches!(
        write_credit_transfer(postal, &refunds(1)),
        Err(WriteError::NotInProfile { .. })
    ));
}

#[test]
fn shipped_profiles_say_what_each_institution_wants() {
    let domestic = shipped_profile("dz-domestic").unwrap();
    assert_eq!(domestic.debit_format_name(), "pain.008.001.02");
    assert_eq!(
        domestic.credit_transfer().map(|t| t.version),
        Some(Pain001Version::V03)
    );
    assert_eq!(domestic.max_transactions_per_file(), 50_000);
    assert_eq!(domestic.lead_business_days(), 2);
    assert_eq!(domestic.cut_off().to_string(), "14:00:00");
    assert!(domestic.reports().iter().any(|r| r == "pain.002"));
    let DebitProfile::Iso { rules, .. } = domestic.debit() else {
        panic!("pain.008")
    };
    assert_eq!(rules.payment_type, PaymentType::default());
    assert_eq!(rules.creditor_id.party, CreditorIdParty::Organisation);
    let postal = shipped_profile("dz-postal").unwrap();
    assert_eq!(
        postal.debit(),
        &DebitProfile::Layout("postal-ccp-debit".to_owned())
    );
    assert!(postal.credit_transfer().is_none());
    // A layout override drops the ISO codes; an ISO override of a layout profile has none.
    assert_eq!(
        domestic
            .clone()
            .with_debit_format("interbank-debit")
            .debit(),
        &DebitProfile::Layout("interbank-debit".to_owned())
    );
    let DebitProfile::Iso { rules, .. } = postal
        .clone()
        .with_debit_format("pain.008.001.08")
        .debit()
        .clone()
    else {
        panic!("pain.008")
    };
    assert_eq!(rules.payment_type, PaymentType::default());
}

mod properties {
    use super::*;
    use bank_formats::iso20022::{clean_text, read_pain001_slice};
    use proptest::prelude::*;

    fn transfer() -> impl Strategy<Value = CreditTransfer> {
        (
            "[A-Z0-9]{1,35}",
            1i64..=10_000_000_000,
            prop_oneof![
                Just("SARL Bâtiment & Fils <Sud>".to_owned()),
                Just("مؤسسة الأشغال".to_owned()),
                "[a-zA-Z' .-]{1,80}",
            ],
            0usize..3,
            "[ -~]{0,160}",
        )
            .prop_map(|(id, centimes, name, account, remittance)| CreditTransfer {
                end_to_end_id: id,
                amount: Amount::from_centimes(centimes),
                creditor_name: if name.trim().is_empty() {
                    "X".to_owned()
                } else {
                    name
                },
                creditor_account: match account {
                    0 => AccountIdentifier::Domestic("00799999000000020091".to_owned()),
                    1 => AccountIdentifier::Domestic("00400174401001050486".to_owned()),
                    _ => AccountIdentifier::Iban("DE89370400440532013000".to_owned()),
                },
                creditor_agent: match account {
                    0 => Agent::Code("007".to_owned()),
                    1 => Agent::Code("004".to_owned()),
                    _ => Agent::Bic("COBADEFFXXX".to_owned()),
                },
                remittance,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn every_refund_batch_reads_back_as_written(
            transfers in prop::collection::vec(transfer(), 1..20),
            format in prop::sample::select(transfer_formats()),
        ) {
            let mut batch = refunds(1);
            // Unique end-to-end ids, as the writer requires.
            let mut seen = std::collections::HashSet::new();
            batch.transfers = transfers.into_iter().filter(|t| seen.insert(t.end_to_end_id.clone())).collect();
            let bytes = credit_transfer_bytes(&format, &batch).unwrap();
            let read = read_pain001_slice(&bytes).unwrap();
            let payment = &read.payments[0];
            prop_assert_eq!(payment.transfers.len(), batch.transfers.len());
            let sum = Amount::checked_sum(batch.transfers.iter().map(|t| t.amount)).unwrap();
            prop_assert_eq!(read.declared_control_sum, Some(sum));
            prop_assert_eq!(payment.declared_control_sum, Some(sum));
            for (w, r) in batch.transfers.iter().zip(&payment.transfers) {
                prop_assert_eq!(&r.end_to_end_id, &w.end_to_end_id);
                prop_assert_eq!(r.amount, Some(w.amount));
                prop_assert_eq!(&r.creditor_name, &clean_text(&w.creditor_name, format.charset, 70));
                prop_assert_eq!(&r.remittance, &clean_text(&w.remittance, format.charset, 140));
                prop_assert_eq!(r.creditor_account.as_ref(), Some(&w.creditor_account));
            }
            prop_assert_eq!(validate(&bytes).problems, Vec::<String>::new());
            prop_assert_eq!(inspect(&bytes).unwrap().transactions.len(), batch.transfers.len());
        }

        #[test]
        fn refund_readers_never_panic_on_cut_or_mangled_files(
            cut in 0usize..4000,
            flip in 0usize..4000,
            byte in any::<u8>(),
        ) {
            let mut bytes = credit_transfer_bytes(&transfer_formats()[5], &refunds(4)).unwrap();
            if let Some(b) = bytes.get_mut(flip) {
                *b = byte;
            }
            bytes.truncate(cut);
            let _ = read_pain001_slice(&bytes);
            let _ = read_pain001(bytes.as_slice());
            let _ = inspect(&bytes);
            let _ = validate(&bytes);
        }
    }
}

//! The scenario the golden pain.008 files were written from, shared by `iso_golden.rs`
//! and `iso_profiles.rs`.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::PathBuf;

use bank_formats::iso20022::{
    AccountIdentifier, Agent, CharsetPolicy, DirectDebit, GroupHeader, Pain008Version,
    Pain008Writer, PaymentInfo, SequenceType,
};
use chrono::NaiveDate;
use mandates::Amount;

/// The golden file of one version and charset.
pub fn golden_path(version: Pain008Version, charset: CharsetPolicy) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!(
            "{}-{}.xml",
            version.name(),
            match charset {
                CharsetPolicy::Utf8 => "utf8",
                CharsetPolicy::LatinRestricted => "latin",
            }
        ))
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The scenario: three blocks (FRST, RCUR, FNAL), Latin and Arabic names, domestic ids
/// and IBAN/BIC, escaping, and a remittance long enough to be cut.
pub fn scenario() -> (GroupHeader, Vec<(PaymentInfo, Vec<DirectDebit>)>) {
    let names = [
        "SARL Bâtiment du Sud & Fils <Ouest>",
        "مؤسسة البناء الجنوبية",
        "EURL Hydro-Travaux d'Oran",
    ];
    let mut blocks = Vec::new();
    for (b, sequence) in [
        SequenceType::First,
        SequenceType::Recurrent,
        SequenceType::Final,
    ]
    .into_iter()
    .enumerate()
    {
        let debits: Vec<DirectDebit> = (0..3)
            .map(|i| {
                let index = b * 3 + i;
                DirectDebit {
                    end_to_end_id: format!("T20261215E{index:08}"),
                    amount: Amount::from_centimes(123_456 + index as i64 * 1_001),
                    mandate_id: format!("TSL-{:08}-000001", 16_000_000 + index),
                    mandate_signed_on: d(2026, 1, 10 + index as u32),
                    debtor_name: names[index % 3].to_owned(),
                    debtor_account: if index % 4 == 3 {
                        AccountIdentifier::Iban("DE89370400440532013000".to_owned())
                    } else {
                        AccountIdentifier::Domestic("00400174401001050486".to_owned())
                    },
                    debtor_agent: if index % 4 == 3 {
                        Agent::Bic("COBADEFFXXX".to_owned())
                    } else {
                        Agent::Code("004".to_owned())
                    },
                    remittance: format!(
                        "CACOBATPH cotisations 2026-11, avis TSL-{index:08}: détail par chantier sur le portail (ورشات) — {}",
                        "x".repeat(60)
                    ),
                }
            })
            .collect();
        let sum = Amount::checked_sum(debits.iter().map(|x| x.amount)).unwrap();
        blocks.push((
            PaymentInfo {
                payment_id: format!("TSL-20261215-BANK-000001-{}", sequence.code()),
                collection_date: d(2026, 12, 15),
                sequence_type: sequence,
                creditor_name: "CACOBATPH — Caisse nationale des congés payés".to_owned(),
                creditor_account: AccountIdentifier::Domestic("00400174401001050486".to_owned()),
                creditor_agent: Agent::Code("004".to_owned()),
                creditor_scheme_id: "DZ00ZZZCACOBATPH".to_owned(),
                batch_booking: true,
                number_of_transactions: debits.len() as u64,
                control_sum: sum,
            },
            debits,
        ));
    }
    let total = Amount::checked_sum(blocks.iter().map(|(p, _)| p.control_sum)).unwrap();
    let header = GroupHeader {
        message_id: "TSL-BANK-20261215-000001".to_owned(),
        created_at: d(2026, 12, 10).and_hms_opt(8, 30, 0).unwrap(),
        number_of_transactions: 9,
        control_sum: total,
        initiating_party: "CACOBATPH".to_owned(),
    };
    (header, blocks)
}

/// Writes the scenario through `writer`.
pub fn write_scenario<W: std::io::Write>(
    mut writer: Pain008Writer<W>,
    blocks: &[(PaymentInfo, Vec<DirectDebit>)],
) -> W {
    for (info, debits) in blocks {
        writer.begin_payment(info).unwrap();
        for debit in debits {
            writer.add(debit).unwrap();
        }
    }
    writer.finish().unwrap()
}

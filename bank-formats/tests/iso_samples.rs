//! Every real bank sample in `../shared/iso20022/samples/` reads, checked against facts
//! written by hand from the XML (message ids, counts, end-to-end ids, amounts, statuses,
//! reasons, reversal flags, mandate ids) — not against the reader's own output.
//! A sample added to the folder fails the coverage check until it is described here.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use bank_formats::inspect::{Inspection, inspect};

fn samples_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/iso20022/samples"
    ));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but {} is missing", dir.display());
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {} is absent (shared ISO 20022 samples)",
        dir.display()
    );
    None
}

/// (end_to_end_id, amount, status, reason); `None` means "expected absent".
type Tx = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

struct Sample {
    path: &'static str,
    format: &'static str,
    message_id: &'static str,
    transactions: usize,
    /// Transactions that must be present exactly so (end_to_end_id, amount, status, reason).
    facts: &'static [Tx],
    /// pain.002: (group status, group reason, original message id).
    group: Option<(Option<&'static str>, Option<&'static str>, &'static str)>,
    /// camt: end-to-end ids flagged as reversals/returns, with their mandate id.
    reversals: &'static [(Option<&'static str>, Option<&'static str>)],
    /// pain.002: every payment block, in order (payment id, status, reason), the group's
    /// status applied where the block has none.
    payments: &'static [(&'static str, Option<&'static str>, Option<&'static str>)],
    /// (end-to-end id, mandate id) of transactions that carry one (pain.002 `OrgnlTxRef`,
    /// camt `Refs/MndtId`, pain.008 `MndtRltdInf`).
    mandates: &'static [(&'static str, &'static str)],
}

const SAMPLES: &[Sample] = &[
    Sample {
        path: "pain.002/pain.002.001.03.ch.02_postfinance_pmtinf_part_tx_rjct_ac01.xml",
        format: "pain.002.001.03",
        message_id: "20180315375204222822452",
        transactions: 1,
        facts: &[(
            Some("EndToEndId-001-03-04"),
            None,
            Some("RJCT"),
            Some("AC01"),
        )],
        group: Some((None, None, "MsgId-001")),
        reversals: &[],
        payments: &[("PmtInfId-001-03", Some("PART"), None)],
        mandates: &[],
    },
    Sample {
        path: "pain.002/pain.002.001.03_bankofireland_style_4rjct_ac01_am04_md06_ms02.xml",
        format: "pain.002.001.03",
        message_id: "MSGID99345678912",
        transactions: 4,
        facts: &[
            (Some("E2EID1"), Some("100.00"), Some("RJCT"), Some("AC01")),
            (Some("E2EID2"), Some("100.00"), Some("RJCT"), Some("MS02")),
            (Some("E2EID3"), Some("100.00"), Some("RJCT"), Some("MD06")),
            (Some("E2EID4"), Some("100.00"), Some("RJCT"), Some("AM04")),
        ],
        group: Some((None, None, "MSGID12345678912")),
        reversals: &[],
        payments: &[("PMTINFID1", None, None), ("PMTINFID2", None, None)],
        mandates: &[
            ("E2EID1", "MANDATEID1"),
            ("E2EID2", "MANDATEID2"),
            ("E2EID3", "MANDATEID3"),
            ("E2EID4", "MANDATEID4"),
        ],
    },
    Sample {
        path: "pain.002/pain.002.001.03_caixabank_example1_rjct_ms02_ms01.xml",
        format: "pain.002.001.03",
        message_id: "DATIR00112G12345678100",
        transactions: 3,
        facts: &[
            (
                Some("201207010001/01002"),
                Some("100.00"),
                Some("RJCT"),
                Some("MS02"),
            ),
            (
                Some("201207010001/02452"),
                Some("30.30"),
                Some("RJCT"),
                Some("MS01"),
            ),
            (
                Some("201205270001/01650"),
                Some("90.00"),
                Some("RJCT"),
                Some("MS02"),
            ),
        ],
        group: Some((None, None, "2012-07-18DEV0801009310G12345678100")),
        reversals: &[],
        payments: &[
            ("PRE201207010001", None, None),
            ("PRE201205270001", None, None),
        ],
        mandates: &[
            ("201207010001/01002", "000001101000"),
            ("201207010001/02452", "00001103500"),
            ("201205270001/01650", "000001101000"),
        ],
    },
    Sample {
        path: "pain.002/pain.002.001.03_iso_style_grp_accp.xml",
        format: "pain.002.001.03",
        message_id: "BBBB/100928-PSR/001",
        transactions: 0,
        facts: &[],
        group: Some((Some("ACCP"), None, "ABC/100928/CCT001")),
        reversals: &[],
        payments: &[],
        mandates: &[],
    },
    Sample {
        path: "pain.002/pain.002.001.03_iso_style_rjct_am05.xml",
        format: "pain.002.001.03",
        message_id: "AAAAUS29_5678c",
        transactions: 1,
        facts: &[(
            Some("VA100327/0123"),
            Some("1025.00"),
            Some("RJCT"),
            Some("AM05"),
        )],
        group: Some((None, None, "CAVAY1234")),
        reversals: &[],
        payments: &[("JKL_774", None, None)],
        mandates: &[("VA100327/0123", "VIRGAY123")],
    },
    Sample {
        path: "pain.002/pain.002.001.03_nordea_grp_rjct_du01.xml",
        format: "pain.002.001.03",
        message_id: "XML990920150810101909283",
        transactions: 0,
        facts: &[],
        group: Some((Some("RJCT"), Some("DU01"), "MSGID-PS-TEST-0708-01")),
        reversals: &[],
        payments: &[],
        mandates: &[],
    },
    Sample {
        path: "pain.008/pain.008.001.02_abnamro_voorbeeldbestand.xml",
        format: "pain.008.001.02",
        message_id: "1000004207",
        transactions: 1,
        facts: &[(Some("2000000038"), Some("1600.00"), None, None)],
        group: None,
        reversals: &[],
        payments: &[],
        mandates: &[("2000000038", "MANDAAT123456")],
    },
    Sample {
        path: "pain.008/pain.008.001.02_ing_nl_voorbeeldbestand.xml",
        format: "pain.008.001.02",
        message_id: "MSGID001",
        transactions: 1,
        facts: &[(Some("E2EID001"), Some("1.01"), None, None)],
        group: None,
        reversals: &[],
        payments: &[],
        mandates: &[("E2EID001", "MANDAATIDNR001")],
    },
    Sample {
        path: "pain.008/pain.008.001.02_php-sepa-xml_minimal.xml",
        format: "pain.008.001.02",
        message_id: "OurMessageIdentification",
        transactions: 1,
        facts: &[(Some("SomethingUnique"), Some("12.34"), None, None)],
        group: None,
        reversals: &[],
        payments: &[],
        mandates: &[("SomethingUnique", "SomeOtherUniqueThing")],
    },
    Sample {
        path: "pain.008/pain.008.001.02_sepa_king.xml",
        format: "pain.008.001.02",
        message_id: "Message-ID",
        transactions: 2,
        facts: &[
            (Some("OriginatorID1234"), Some("6543.14"), None, None),
            (Some("OriginatorID1235"), Some("112.72"), None, None),
        ],
        group: None,
        reversals: &[],
        payments: &[],
        mandates: &[
            ("OriginatorID1234", "Mandate-Id"),
            ("OriginatorID1235", "Other-Mandate-Id"),
        ],
    },
    Sample {
        path: "pain.008/pain.008.001.08_php-sepa-xml_minimal.xml",
        format: "pain.008.001.08",
        message_id: "OurMessageIdentification",
        transactions: 1,
        facts: &[(Some("SomethingUnique"), Some("12.34"), None, None)],
        group: None,
        reversals: &[],
        payments: &[],
        mandates: &[("SomethingUnique", "SomeOtherUniqueThing")],
    },
    Sample {
        path: "pain.008/pain.008.001.11_php-sepa-xml_minimal.xml",
        format: "pain.008.001.11",
        message_id: "OurMessageIdentification",
        transactions: 1,
        facts: &[(Some("SomethingUnique"), Some("12.34"), None, None)],
        group: None,
        reversals: &[],
        payments: &[],
        mandates: &[("SomethingUnique", "SomeOtherUniqueThing")],
    },
    Sample {
        path: "camt.054/camt.054.001.02_sdd_return_ac06_rtrinf.xml",
        format: "camt.054.001.02",
        message_id: "MSGID99345678912",
        transactions: 1,
        facts: &[(Some("E2EID1"), Some("100.00"), Some("BOOK"), Some("AC06"))],
        group: None,
        reversals: &[(Some("E2EID1"), Some("MANDATEID2"))],
        payments: &[],
        mandates: &[("E2EID1", "MANDATEID2")],
    },
    Sample {
        path: "camt.054/camt.054.001.04_postfinance_chdd_credits_pmdd.xml",
        format: "camt.054.001.04",
        message_id: "20190520375204228751067",
        transactions: 2,
        facts: &[
            (Some("E2EId-CHDD-1"), Some("1.50"), Some("BOOK"), None),
            (Some("E2EId-CHDD-2"), Some("3.00"), Some("BOOK"), None),
        ],
        group: None,
        reversals: &[],
        payments: &[],
        mandates: &[],
    },
    Sample {
        path: "camt.054/camt.054.001.08_example.xml",
        format: "camt.054.001.08",
        message_id: "AAAASESS-FP-ACCR001",
        transactions: 3,
        facts: &[
            (
                Some("UXC06170000006PI00001EE00001"),
                Some("3.10"),
                Some("BOOK"),
                None,
            ),
            (
                Some("UXC06170000006PI00001EE00002"),
                Some("3.20"),
                Some("BOOK"),
                None,
            ),
            // The third TxDtls repeats the second's end-to-end id (3.2 written without
            // its trailing zero).
        ],
        group: None,
        reversals: &[],
        payments: &[],
        mandates: &[],
    },
    Sample {
        path: "camt.054/camt.054.001.02_finland_sample_with_rddt_ac01.xml",
        format: "camt.054.001.02",
        message_id: "BANKFILEID219073",
        transactions: 13,
        facts: &[
            (
                Some("EndToEndIdAT-41-001"),
                Some("2500.00"),
                Some("BOOK"),
                None,
            ),
            (
                Some("EndToEndIdAT-41-002"),
                Some("500.00"),
                Some("BOOK"),
                None,
            ),
            // Entry 6: reversed (RvslInd) INFO entry with two failed direct debits.
            (None, Some("40.00"), Some("INFO"), Some("AC01")),
            (None, Some("60.00"), Some("INFO"), Some("CUST")),
        ],
        group: None,
        reversals: &[(None, None), (None, None)],
        payments: &[],
        mandates: &[],
    },
    Sample {
        path: "camt.053/camt.053.001.02_ing_example_sdd_returns_ac04_md06.xml",
        format: "camt.053.001.02",
        message_id: "201401030009999_20140104015504378",
        transactions: 9,
        facts: &[
            (
                Some("20140103E2EIdA1INGBankNV"),
                Some("120.00"),
                Some("BOOK"),
                None,
            ),
            (None, Some("125.00"), Some("BOOK"), Some("AC04")),
            // A B2B debit on the account (RDDT/BBDD), not a return: amount from InstdAmt.
            (Some("6010512558977000"), Some("30.00"), Some("BOOK"), None),
            (
                Some("5000300060007000"),
                Some("30.00"),
                Some("BOOK"),
                Some("MD06"),
            ),
        ],
        group: None,
        reversals: &[(None, None), (Some("5000300060007000"), Some("DDMdtINGBC"))],
        payments: &[],
        mandates: &[
            ("6010512558977000", "BBDDMdtESNTR"),
            ("5000300060007000", "DDMdtINGBC"),
        ],
    },
    Sample {
        path: "camt.053/camt.053.001.02_finland_sample_with_rddt.xml",
        format: "camt.053.001.02",
        message_id: "BANKFILEID00001",
        transactions: 13,
        facts: &[
            (None, Some("1000.12"), Some("BOOK"), None),
            (
                Some("EndToEndIdSCT01"),
                Some("10000.00"),
                Some("BOOK"),
                None,
            ),
        ],
        group: None,
        reversals: &[],
        payments: &[],
        mandates: &[],
    },
    Sample {
        path: "camt.053/camt.053.001.04_postfinance_statement_with_iddt_pmdd.xml",
        format: "camt.053.001.04",
        message_id: "20201124375204229003967",
        transactions: 5,
        facts: &[(None, Some("1692.22"), Some("BOOK"), None)],
        group: None,
        reversals: &[],
        payments: &[],
        mandates: &[],
    },
    Sample {
        path: "camt.053/camt.053.001.08_example_genkgo.xml",
        format: "camt.053.001.08",
        message_id: "CAMT053RIB000000000001",
        transactions: 1,
        facts: &[(Some("MUELL/FINP/RA12345"), Some("0.00"), Some("BOOK"), None)],
        group: None,
        reversals: &[],
        payments: &[],
        mandates: &[],
    },
];

fn check(sample: &Sample, inspection: &Inspection) {
    let name = sample.path;
    assert_eq!(inspection.format, sample.format, "{name}");
    assert_eq!(
        inspection.message_id.as_deref(),
        Some(sample.message_id),
        "{name}"
    );
    assert_eq!(inspection.transactions.len(), sample.transactions, "{name}");
    for (e2e, amount, status, reason) in sample.facts {
        let found = inspection.transactions.iter().any(|t| {
            t.end_to_end_id.as_deref() == *e2e
                && t.amount.as_deref() == *amount
                && t.status.as_deref() == *status
                && t.reason.as_deref() == *reason
        });
        assert!(
            found,
            "{name}: no transaction {e2e:?} {amount:?} {status:?} {reason:?} in {:#?}",
            inspection.transactions
        );
    }
    if let Some((status, reason, original)) = sample.group {
        assert_eq!(inspection.status, Some(status.map(str::to_owned)), "{name}");
        assert_eq!(inspection.reason, Some(reason.map(str::to_owned)), "{name}");
        assert_eq!(
            inspection.original_message_id,
            Some(Some(original.to_owned())),
            "{name}"
        );
    }
    let reversals: Vec<(Option<String>, Option<String>)> = inspection
        .transactions
        .iter()
        .filter(|t| t.reversal == Some(true))
        .map(|t| (t.end_to_end_id.clone(), t.mandate_id.clone().flatten()))
        .collect();
    let expected: Vec<(Option<String>, Option<String>)> = sample
        .reversals
        .iter()
        .map(|(e, m)| (e.map(str::to_owned), m.map(str::to_owned)))
        .collect();
    assert_eq!(reversals, expected, "{name}: returns and reversals");
    if sample.format.starts_with("pain.002") {
        let payments: Vec<(Option<&str>, Option<&str>, Option<&str>)> = inspection
            .payments
            .as_ref()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p.payment_id.as_deref(),
                    p.status.as_deref(),
                    p.reason.as_deref(),
                )
            })
            .collect();
        let expected: Vec<_> = sample
            .payments
            .iter()
            .map(|(id, status, reason)| (Some(*id), *status, *reason))
            .collect();
        assert_eq!(payments, expected, "{name}: payment blocks");
    } else {
        assert!(sample.payments.is_empty(), "{name}");
        assert_eq!(inspection.payments, None, "{name}");
    }
    for (e2e, mandate) in sample.mandates {
        let found = inspection
            .transactions
            .iter()
            .find(|t| t.end_to_end_id.as_deref() == Some(*e2e))
            .unwrap_or_else(|| panic!("{name}: no transaction {e2e}"));
        assert_eq!(
            found.mandate_id.clone().flatten().as_deref(),
            Some(*mandate),
            "{name}: mandate of {e2e}"
        );
    }
}

#[test]
fn every_shared_sample_reads_with_the_facts_written_by_hand() {
    let Some(dir) = samples_dir() else { return };
    for sample in SAMPLES {
        let bytes =
            std::fs::read(dir.join(sample.path)).unwrap_or_else(|e| panic!("{}: {e}", sample.path));
        let inspection = inspect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", sample.path));
        check(sample, &inspection);
    }
}

#[test]
fn every_sample_in_the_folder_is_described() {
    let Some(dir) = samples_dir() else { return };
    let mut on_disk = BTreeSet::new();
    for family in std::fs::read_dir(&dir).unwrap() {
        let family = family.unwrap().path();
        if !family.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&family).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "xml") {
                let relative = file
                    .strip_prefix(&dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                on_disk.insert(relative);
            }
        }
    }
    let described: BTreeSet<String> = SAMPLES.iter().map(|s| s.path.to_owned()).collect();
    let missing: Vec<_> = on_disk.difference(&described).collect();
    assert!(
        missing.is_empty(),
        "samples without hand-written facts: {missing:?}"
    );
}

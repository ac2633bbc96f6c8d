//! What a camt entry says about its meaning is read right (issue 18, points 3–6 and 12):
//! amounts with their currency, 3-decimal ones kept as written instead of refusing the
//! file; the credit/debit indicator, status, booking and value dates, bank transaction
//! code, related parties and remittance information. On files written for these tests
//! (`tests/camt_meaning/`).

#![allow(clippy::unwrap_used)]

use bank_formats::inspect::inspect;
use bank_formats::iso20022::read_camt_slice;
use mandates::Amount;

fn file(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/camt_meaning/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn three_decimal_amounts_anywhere_are_kept_as_written_with_their_currency() {
    let bytes = file("notification_v08_currencies.xml");
    let message = read_camt_slice(&bytes).unwrap();
    assert_eq!(message.version, "camt.054.001.08");
    assert_eq!(message.entries.len(), 4);
    let [kwd, lyd, dbit, pending] = &message.entries[..] else {
        unreachable!()
    };
    // The entry: 12.345 KWD, not a whole number of hundredths.
    assert_eq!(kwd.amount, None);
    assert_eq!(kwd.amount_text.as_deref(), Some("12.345"));
    assert_eq!(kwd.currency.as_deref(), Some("KWD"));
    // Its transaction: TxAmt (TND) wins over InstdAmt (LYD), kept as written.
    let t = &kwd.transactions[0];
    assert_eq!(t.amount, None);
    assert_eq!(t.amount_text.as_deref(), Some("30.755"));
    assert_eq!(t.currency.as_deref(), Some("TND"));
    // Only the instructed amount, in LYD: a whole number of hundredths after all, so an
    // amount too, and (not DZD) also kept as written.
    assert_eq!(lyd.amount, Some(Amount::from_centimes(750)));
    assert_eq!(lyd.amount_text.as_deref(), Some("7.500"));
    let l = &lyd.transactions[0];
    assert_eq!(l.amount, Some(Amount::from_centimes(750)));
    assert_eq!(l.amount_text.as_deref(), Some("7.500"));
    assert_eq!(l.currency.as_deref(), Some("LYD"));
    assert_eq!(
        lyd.transactions[0].end_to_end_id, None,
        "NOTPROVIDED is absent"
    );
    // DZD amounts exact to the centime are amounts, with no text kept.
    assert_eq!(dbit.amount, Some(Amount::from_centimes(150_000)));
    assert_eq!(dbit.amount_text, None);
    assert_eq!(
        dbit.transactions[0].amount,
        Some(Amount::from_centimes(150_000))
    );
    // A DZD amount with a third decimal is kept as written: whether it is ours, and so an
    // error, is for the import to say.
    assert_eq!(pending.amount, None);
    assert_eq!(pending.amount_text.as_deref(), Some("1234.505"));
}

#[test]
fn what_an_entry_means_is_read_indicator_status_dates_codes_parties() {
    let bytes = file("notification_v08_currencies.xml");
    let message = read_camt_slice(&bytes).unwrap();
    let [kwd, lyd, dbit, pending] = &message.entries[..] else {
        unreachable!()
    };
    assert_eq!(kwd.credit_debit.as_deref(), Some("CRDT"));
    assert_eq!(kwd.status.as_deref(), Some("BOOK"));
    assert_eq!(kwd.booking_date.as_deref(), Some("2026-12-16"));
    assert_eq!(kwd.value_date.as_deref(), Some("2026-12-17"));
    assert_eq!(kwd.account_servicer_reference.as_deref(), Some("SVC-1"));
    assert_eq!(kwd.reference.as_deref(), Some("E1"));
    assert_eq!(kwd.bank_transaction_domain.as_deref(), Some("PMNT"));
    assert_eq!(kwd.bank_transaction_family.as_deref(), Some("RCDT"));
    assert_eq!(kwd.bank_transaction_code.as_deref(), Some("XBCT"));
    let t = &kwd.transactions[0];
    assert_eq!(
        t.debtor_name.as_deref(),
        Some("Entreprise Tunisienne de Travaux")
    );
    assert_eq!(
        t.debtor_account.as_deref(),
        Some("TN5910006035183598478831")
    );
    assert_eq!(
        t.remittance.as_deref(),
        Some("Facture 2026-11 RF18539007547034")
    );
    assert_eq!(t.creditor_id, None);
    assert_eq!(lyd.booking_date.as_deref(), Some("2026-12-16T23:30:00Z"));
    assert_eq!(dbit.credit_debit.as_deref(), Some("DBIT"));
    assert!(!dbit.reversal);
    let d = &dbit.transactions[0];
    assert_eq!(d.credit_debit.as_deref(), Some("DBIT"));
    assert_eq!(
        d.creditor_id.as_deref(),
        Some("CACOBATPH"),
        "v08 Cdtr/Pty/Id"
    );
    assert_eq!(d.mandate_id.as_deref(), Some("MND-7"));
    assert_eq!(d.return_reason, None);
    assert_eq!(pending.status.as_deref(), Some("PDNG"));
}

#[test]
fn inspect_shows_each_entry_with_its_currency_and_masks_the_payer_account() {
    let bytes = file("notification_v08_currencies.xml");
    let inspection = inspect(&bytes).unwrap();
    let json = serde_json::to_value(&inspection).unwrap();
    let transactions = json["transactions"].as_array().unwrap();
    assert_eq!(transactions.len(), 4);
    let expected = [
        // (amount, currency, as written, credit/debit, status, booking date)
        (
            "30.755",
            "TND",
            Some("30.755"),
            "CRDT",
            "BOOK",
            "2026-12-16",
        ),
        (
            "7.50",
            "LYD",
            Some("7.500"),
            "CRDT",
            "BOOK",
            "2026-12-16T23:30:00Z",
        ),
        ("1500.00", "DZD", None, "DBIT", "BOOK", "2026-12-16"),
    ];
    for (t, (amount, currency, written, cdi, status, booked)) in transactions.iter().zip(expected) {
        assert_eq!(t["amount"], amount, "{t}");
        assert_eq!(t["entry"]["currency"], currency, "{t}");
        assert_eq!(t["entry"]["amount_as_written"].as_str(), written, "{t}");
        assert_eq!(t["entry"]["credit_debit"], cdi, "{t}");
        assert_eq!(t["status"], status, "{t}");
        assert_eq!(t["entry"]["booking_date"], booked, "{t}");
    }
    assert_eq!(transactions[3]["amount"], "1234.505");
    assert_eq!(transactions[3]["status"], "PDNG");
    let text = json.to_string();
    assert!(
        !text.contains("TN5910006035183598478831"),
        "the payer's account is never shown in clear: {text}"
    );
    assert_eq!(
        transactions[0]["entry"]["debtor_account_masked"],
        "********************8831"
    );
    let debug = format!("{inspection:?}");
    assert!(!debug.contains("35183598478831"), "nor in Debug");
}

#[test]
fn an_amount_that_is_not_a_number_still_refuses_the_file_with_its_position() {
    let error = read_camt_slice(&file("not_a_number.xml")).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("12,50"), "{text}");
    assert!(text.contains("line 6"), "{text}");
}

#[test]
fn precedence_holds_for_amounts_kept_as_written_whatever_their_order() {
    // Two transactions whose amounts come in the "wrong" order: a 3-decimal TxAmt before
    // an exact InstdAmt (the instructed one must not replace it at the end of the
    // transaction), and a TxAmt before a 3-decimal TxDtls/Amt (which wins).
    let bytes = br#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>NTF-ORD</MsgId><CreDtTm>2026-12-17T06:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>NTF-ORD</Id><Acct><Id><Othr><Id>00100123012345678935</Id></Othr></Id></Acct>
<Ntry><Amt Ccy="DZD">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<NtryDtls><TxDtls><Refs><EndToEndId>A</EndToEndId></Refs>
<AmtDtls><TxAmt><Amt Ccy="KWD">1.235</Amt></TxAmt><InstdAmt><Amt Ccy="DZD">20.00</Amt></InstdAmt></AmtDtls></TxDtls>
<TxDtls><Refs><EndToEndId>B</EndToEndId></Refs>
<AmtDtls><TxAmt><Amt Ccy="DZD">30.00</Amt></TxAmt></AmtDtls><Amt Ccy="TND">2.005</Amt></TxDtls></NtryDtls></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"#;
    let message = read_camt_slice(bytes).unwrap();
    let [a, b] = &message.entries[0].transactions[..] else {
        unreachable!()
    };
    assert_eq!(a.amount, None);
    assert_eq!(a.amount_text.as_deref(), Some("1.235"));
    assert_eq!(a.currency.as_deref(), Some("KWD"));
    assert_eq!(a.instructed_amount, Some(Amount::from_centimes(2000)));
    assert_eq!(b.amount, None);
    assert_eq!(b.amount_text.as_deref(), Some("2.005"));
    assert_eq!(b.currency.as_deref(), Some("TND"));
    let json = serde_json::to_value(inspect(bytes).unwrap()).unwrap();
    let shown: Vec<_> = json["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["amount"].clone(),
                t["currency"].clone(),
                t["entry"]["currency"].clone(),
                t["entry"]["amount_as_written"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("1.235".into(), "KWD".into(), "KWD".into(), "1.235".into()),
            ("2.005".into(), "TND".into(), "TND".into(), "2.005".into()),
        ]
    );
}

//! The `files inspect --json` contract (product.md) as JSON, status inheritance in
//! pain.002, and the terminal table.

#![allow(clippy::unwrap_used)]

use bank_formats::inspect::{inspect, validate};
use serde_json::{Value, json};

fn pain002(body: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>BANK-PSR-1</MsgId><CreDtTm>2026-12-14T09:00:00</CreDtTm></GrpHdr>
{body}
</CstmrPmtStsRpt></Document>"#
    )
    .into_bytes()
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::to_value(inspect(bytes).unwrap()).unwrap()
}

#[test]
fn a_status_report_shows_group_payments_and_transactions_with_explicit_nulls() {
    let bytes = pain002(
        r#"<OrgnlGrpInfAndSts><OrgnlMsgId>TSL-20261215-1</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>PMT-1</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts><StsRsnInf><Rsn><Cd>AM10</Cd></Rsn></StsRsnInf>
  <TxInfAndSts><OrgnlEndToEndId>E1</OrgnlEndToEndId></TxInfAndSts>
</OrgnlPmtInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>PMT-2</OrgnlPmtInfId>
  <TxInfAndSts><OrgnlEndToEndId>E2</OrgnlEndToEndId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Prtry>X-17</Prtry></Rsn></StsRsnInf>
    <OrgnlTxRef><Amt><InstdAmt Ccy="DZD">1500.5</InstdAmt></Amt><MndtRltdInf><MndtId>TSL-M-2</MndtId></MndtRltdInf></OrgnlTxRef></TxInfAndSts>
  <TxInfAndSts><OrgnlEndToEndId>E3</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>
</OrgnlPmtInfAndSts>"#,
    );
    assert_eq!(
        json_of(&bytes),
        json!({
            "format": "pain.002.001.10",
            "message_id": "BANK-PSR-1",
            "status": "PART",
            "reason": null,
            "original_message_id": "TSL-20261215-1",
            "payments": [
                {"payment_id": "PMT-1", "status": "RJCT", "reason": "AM10"},
                // No status of its own: the group's.
                {"payment_id": "PMT-2", "status": "PART", "reason": null},
            ],
            "transactions": [
                // Listed without a status: its block's status and reason.
                {"end_to_end_id": "E1", "amount": null, "status": "RJCT", "reason": "AM10", "mandate_id": null},
                {"end_to_end_id": "E2", "amount": "1500.50", "status": "RJCT", "reason": "X-17", "mandate_id": "TSL-M-2"},
                {"end_to_end_id": "E3", "amount": null, "status": "ACSC", "reason": null, "mandate_id": null},
            ],
        })
    );
}

#[test]
fn a_rejected_group_applies_to_every_block_and_transaction_below_it() {
    let bytes = pain002(
        r#"<OrgnlGrpInfAndSts><OrgnlMsgId>TSL-1</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId><GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>AM10</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>PMT-1</OrgnlPmtInfId>
  <TxInfAndSts><OrgnlEndToEndId>E1</OrgnlEndToEndId></TxInfAndSts>
</OrgnlPmtInfAndSts>"#,
    );
    let inspection = inspect(&bytes).unwrap();
    assert_eq!(inspection.status, Some(Some("RJCT".to_owned())));
    let payment = &inspection.payments.as_ref().unwrap()[0];
    assert_eq!(
        (payment.status.as_deref(), payment.reason.as_deref()),
        (Some("RJCT"), Some("AM10"))
    );
    let t = &inspection.transactions[0];
    assert_eq!(
        (t.status.as_deref(), t.reason.as_deref()),
        (Some("RJCT"), Some("AM10"))
    );
}

#[test]
fn statement_items_carry_reversal_and_mandate_id_even_when_absent() {
    let bytes = br#"<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>STMT-1</MsgId></GrpHdr><Stmt>
<Ntry><Amt Ccy="DZD">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
  <NtryDtls><TxDtls><Refs><EndToEndId>E1</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="DZD">20.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
  <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd>
  <NtryDtls><TxDtls><Refs><EndToEndId>E2</EndToEndId><MndtId>M2</MndtId></Refs></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="DZD">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts></Ntry>
</Stmt></BkToCstmrStmt></Document>"#;
    // The contract's fields (what an entry means beyond them, `entry`, is tested in
    // camt_meaning.rs).
    let mut read = json_of(bytes);
    for t in read["transactions"].as_array_mut().unwrap() {
        assert!(t.as_object_mut().unwrap().remove("entry").is_some());
    }
    assert_eq!(
        read,
        json!({
            "format": "camt.053.001.08",
            "message_id": "STMT-1",
            "transactions": [
                {"end_to_end_id": "E1", "amount": "10.00", "status": "BOOK", "reason": null, "reversal": false, "mandate_id": null, "currency": "DZD"},
                // An unpaid direct debit (UPDD) without RvslInd or reason is still a return.
                {"end_to_end_id": "E2", "amount": "20.00", "status": "BOOK", "reason": null, "reversal": true, "mandate_id": "M2", "currency": "DZD"},
                {"end_to_end_id": null, "amount": "30.00", "status": "PDNG", "reason": null, "reversal": false, "mandate_id": null, "currency": "DZD"},
            ],
        })
    );
}

#[test]
fn debit_instructions_have_no_status_yet() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/iso20022/samples");
    let bytes = match std::fs::read(format!("{dir}/pain.008/pain.008.001.02_sepa_king.xml")) {
        Ok(bytes) => bytes,
        Err(err) => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "CI=true but the sample in {dir} cannot be read: {err}"
            );
            return;
        }
    };
    let value = json_of(&bytes);
    assert_eq!(value["format"], "pain.008.001.02");
    for t in value["transactions"].as_array().unwrap() {
        assert_eq!(t["status"], Value::Null);
        assert_eq!(t["reason"], Value::Null);
        assert!(t["mandate_id"].is_string());
    }
}

#[test]
fn the_table_is_fixed_width_and_shows_group_and_blocks() {
    let bytes = pain002(
        r#"<OrgnlGrpInfAndSts><OrgnlMsgId>TSL-1</OrgnlMsgId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>PMT-1</OrgnlPmtInfId><TxInfAndSts><OrgnlEndToEndId>E1</OrgnlEndToEndId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts>"#,
    );
    let table = inspect(&bytes).unwrap().to_table();
    assert!(table.contains("pain.002.001.10"), "{table}");
    assert!(table.contains("PART"), "{table}");
    assert!(table.contains("PMT-1"), "{table}");
    let row = table.lines().find(|l| l.starts_with("E1 ")).unwrap();
    let header = table
        .lines()
        .find(|l| l.starts_with("end-to-end id"))
        .unwrap();
    assert_eq!(row.find("RJCT"), header.find("status"), "{table}");
    assert!(row.contains("AM04"), "{table}");
}

#[test]
fn reports_are_validated_for_readability_only() {
    let good = pain002(
        r#"<OrgnlGrpInfAndSts><OrgnlMsgId>X</OrgnlMsgId><GrpSts>ACCP</GrpSts></OrgnlGrpInfAndSts>"#,
    );
    let v = validate(&good);
    assert_eq!(v.format.as_deref(), Some("pain.002.001.10"));
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    let broken = &good[..good.len() - 20];
    let v = validate(broken);
    assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
    assert!(v.problems[0].contains("line "), "{:?}", v.problems);
}

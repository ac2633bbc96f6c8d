//! Hostile reports (issue 17): every kept field is bounded by its schema length, one huge
//! piece of text is refused while streaming (after reading little more than the limit,
//! so memory stays flat), and two documents in one file are refused.

#![allow(clippy::unwrap_used)]

use std::io::{BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bank_formats::inspect::inspect;
use bank_formats::iso20022::{for_each_camt_entry, read_camt_slice, read_pain002_slice};

fn camt(message_id: &str, entries: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>{message_id}</MsgId></GrpHdr><Ntfctn><Id>N</Id>{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"#
    )
}

fn entry(end_to_end_id: &str, info: &str) -> String {
    format!(
        r#"<Ntry><Amt Ccy="DZD">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><NtryDtls><TxDtls><Refs><EndToEndId>{end_to_end_id}</EndToEndId></Refs></TxDtls></NtryDtls><AddtlNtryInf>{info}</AddtlNtryInf></Ntry>"#
    )
}

fn pain002(message_id: &str, end_to_end_id: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt><GrpHdr><MsgId>{message_id}</MsgId></GrpHdr><OrgnlGrpInfAndSts><OrgnlMsgId>O</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId></OrgnlGrpInfAndSts><OrgnlPmtInfAndSts><OrgnlPmtInfId>P</OrgnlPmtInfId><TxInfAndSts><OrgnlEndToEndId>{end_to_end_id}</OrgnlEndToEndId><TxSts>RJCT</TxSts></TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"#
    )
}

#[test]
fn ids_longer_than_max35text_are_refused_naming_the_element() {
    let at_limit = "A".repeat(35);
    let over = "A".repeat(36);
    assert!(read_camt_slice(camt(&at_limit, &entry(&at_limit, "x")).as_bytes()).is_ok());
    let error = read_camt_slice(camt(&over, "").as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("<MsgId> holds 36 characters") && error.contains("Max35Text"),
        "{error}"
    );
    let error = read_camt_slice(camt("M", &entry(&over, "x")).as_bytes())
        .unwrap_err()
        .to_string();
    assert!(error.contains("<EndToEndId> holds 36"), "{error}");
    // Characters, not bytes: 35 Arabic letters are 70 bytes and allowed.
    let arabic = "ب".repeat(35);
    assert!(read_camt_slice(camt(&arabic, "").as_bytes()).is_ok());
    // Free text: 500 characters (Max500Text).
    assert!(read_camt_slice(camt("M", &entry("E", &"i".repeat(500))).as_bytes()).is_ok());
    let error = read_camt_slice(camt("M", &entry("E", &"i".repeat(501))).as_bytes())
        .unwrap_err()
        .to_string();
    assert!(error.contains("<AddtlNtryInf> holds 501"), "{error}");

    assert!(read_pain002_slice(pain002(&at_limit, &at_limit).as_bytes()).is_ok());
    let error = read_pain002_slice(pain002("M", &over).as_bytes())
        .unwrap_err()
        .to_string();
    assert!(error.contains("<OrgnlEndToEndId> holds 36"), "{error}");
    let error = read_pain002_slice(pain002(&over, "E").as_bytes())
        .unwrap_err()
        .to_string();
    assert!(error.contains("<MsgId> holds 36"), "{error}");
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn a_200_mb_message_id_is_refused_after_reading_a_few_hundred_kilobytes() {
    let head = br#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>"#;
    let tail =
        br#"</MsgId></GrpHdr><Ntfctn><Id>N</Id></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"#;
    let read = Arc::new(AtomicU64::new(0));
    let hostile = Counting {
        inner: head
            .as_slice()
            .chain(std::io::repeat(b'M').take(200 * 1024 * 1024))
            .chain(tail.as_slice()),
        read: read.clone(),
    };
    let error = for_each_camt_entry(BufReader::new(hostile), |_| Ok(()))
        .unwrap_err()
        .to_string();
    assert!(error.contains("more than 65536 bytes"), "{error}");
    let read = read.load(Ordering::Relaxed);
    assert!(read < 1024 * 1024, "stopped early: read {read} bytes");

    // The same in memory, and many small pieces of one text (references) alike.
    let mut bytes = head.to_vec();
    bytes.extend(std::iter::repeat_n(b'M', 2 * 1024 * 1024));
    bytes.extend_from_slice(tail);
    let error = read_camt_slice(&bytes).unwrap_err().to_string();
    assert!(error.contains("more than 65536 bytes"), "{error}");
    let pieces = camt(&"M&amp;".repeat(40_000), "");
    let error = read_camt_slice(pieces.as_bytes()).unwrap_err().to_string();
    assert!(error.contains("more than 65536 bytes of text"), "{error}");
}

#[test]
fn two_documents_in_one_file_are_refused() {
    let one = camt("ONE", &entry("E1", "x"));
    assert!(read_camt_slice(one.as_bytes()).is_ok());
    for two in [
        format!("{one}{}", camt("TWO", &entry("E2", "y"))),
        format!("{one}\n<Document/>"),
        format!("{one}\ntrailing text"),
        format!("{one}\n<![CDATA[x]]>"),
    ] {
        let error = read_camt_slice(two.as_bytes()).unwrap_err().to_string();
        assert!(error.contains("content after the root element"), "{error}");
        let error = inspect(two.as_bytes()).unwrap_err().to_string();
        assert!(error.contains("content after the root element"), "{error}");
    }
    // Whitespace and comments after the root are harmless.
    assert!(read_camt_slice(format!("{one}\n<!-- end -->\n").as_bytes()).is_ok());
    let two = pain002("ONE", "E") + &pain002("TWO", "F");
    let error = read_pain002_slice(two.as_bytes()).unwrap_err().to_string();
    assert!(error.contains("content after the root element"), "{error}");
}

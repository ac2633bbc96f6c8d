//! ISO 20022: the pain.008 writer and the pain.001 (refund) writer, each following a bank
//! profile's rules, and lenient, streaming, namespace-agnostic readers for pain.008,
//! pain.001, pain.002 and camt.052/053/054.

pub mod camt;
pub mod charset;
pub mod pain001;
pub mod pain002;
pub mod pain008;
pub mod reports;
pub mod rules;
pub(crate) mod xml;

pub use camt::{
    CamtHeader, CamtKind, CamtMessage, Entry, EntryTransaction, for_each_camt_entry,
    for_each_camt_entry_in, read_camt, read_camt_slice,
};
pub use charset::{CharsetPolicy, clean_text};
pub use pain001::{
    CreditTransfer, CreditTransferBatch, Pain001Document, Pain001Version, ReadTransfer,
    ReadTransferPayment, TransferFormat, credit_transfer_bytes, read_pain001, read_pain001_slice,
    write_pain001,
};
pub use pain002::{
    PaymentStatus, StatusReport, TransactionStatus, read_pain002, read_pain002_slice,
};
pub use pain008::{
    AccountIdentifier, Agent, DirectDebit, GroupHeader, Pain008Document, Pain008Version,
    Pain008Writer, PaymentInfo, ReadDebit, ReadPayment, SequenceType, WriteError, read_pain008,
    read_pain008_slice,
};
pub use reports::{Camt054Writer, write_pain002};
pub use rules::{
    CreditorIdParty, CreditorIdRule, DebitRules, PaymentType, TransferRules, TypeCode,
};
pub use xml::{Position, XmlError};

/// What a document is, by its message element (`CstmrPmtStsRpt`, `BkToCstmrStmt`, …, the
/// root's first child, or the root itself), never by a name it refers to (a pain.002's
/// `OrgnlMsgNmId` names the file it answers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identified {
    /// The message family: "pain.008", "pain.002", "camt.053", …
    pub family: &'static str,
    /// The version, as every reader reports it: from the namespace when that names the
    /// same family (`pain.002.001.03`), else the family alone (no namespace).
    pub format: String,
    /// The namespace of the root element (its prefix's, for `ns2:Document`).
    pub namespace: Option<String>,
}

impl Identified {
    /// The schema file this document's namespace calls for: `pain.002.001.03.xsd` for the
    /// ISO namespace; a national variant's own (`pain.002.001.03.ch.02.xsd`, from the last
    /// part of a SIX namespace) with `variant` true; none without a namespace.
    pub fn schema(&self) -> Option<(String, bool)> {
        let namespace = self.namespace.as_deref()?;
        if let Some(rest) = namespace.strip_prefix("urn:iso:std:iso:20022:tech:xsd:") {
            return Some((format!("{rest}.xsd"), false));
        }
        let last = namespace.rsplit(['/', ':']).next().unwrap_or(namespace);
        let name = last.strip_suffix(".xsd").unwrap_or(last);
        Some((format!("{name}.xsd"), true))
    }
}

/// The family of a message element.
/// A message element's name without the version suffix the first versions carried
/// (`BkToCstmrAcctRptV01` in camt.052.001.01, `BkToCstmrStmtV01`, …): `BkToCstmrAcctRpt`.
pub(crate) fn unversioned(element: &str) -> &str {
    match element
        .len()
        .checked_sub(3)
        .and_then(|at| element.split_at_checked(at))
    {
        Some((name, suffix))
            if suffix.starts_with('V') && suffix[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            name
        }
        _ => element,
    }
}

fn family_of(element: &str) -> Option<&'static str> {
    Some(match unversioned(element) {
        "CstmrDrctDbtInitn" => "pain.008",
        "CstmrPmtStsRpt" | "PmtStsRpt" => "pain.002",
        "CstmrCdtTrfInitn" => "pain.001",
        "BkToCstmrAcctRpt" => "camt.052",
        "BkToCstmrStmt" => "camt.053",
        "BkToCstmrDbtCdtNtfctn" => "camt.054",
        _ => return None,
    })
}

/// The version every reader reports: the namespace's when it names `family`, else `family`.
pub(crate) fn version_for(family: &str, namespace: Option<&str>) -> String {
    namespace
        .and_then(version_from_namespace)
        .filter(|v| v.starts_with(family))
        .unwrap_or_else(|| family.to_owned())
}

/// Identifies an XML document by its message element (see [`Identified`]); `None` when it
/// is XML but none of the messages above. Reads only up to that element.
pub fn identify(bytes: &[u8]) -> Result<Option<Identified>, XmlError> {
    if xml::is_utf8(bytes) {
        identify_in(xml::Walker::slice(bytes))
    } else {
        identify_in(xml::Walker::new(bytes))
    }
}

fn identify_in<S: xml::Source>(mut walker: xml::Walker<S>) -> Result<Option<Identified>, XmlError> {
    let mut namespace = None;
    loop {
        match walker.next()? {
            xml::Step::Eof => return Ok(None),
            // Only the root has opened: it closed without a message element.
            xml::Step::Close => return Ok(None),
            xml::Step::Open { xmlns } => {
                if walker.depth() == 1 {
                    namespace = xmlns;
                }
                if let Some(family) = family_of(walker.current()) {
                    return Ok(Some(Identified {
                        family,
                        format: version_for(family, namespace.as_deref()),
                        namespace,
                    }));
                }
                if walker.depth() >= 2 {
                    return Ok(None);
                }
            }
        }
    }
}

/// One rule for every reader: an id that is empty or `NOTPROVIDED` (what the EPC
/// guidelines have banks write where no id was given) is absent.
pub(crate) fn optional_id(text: &str) -> Option<String> {
    (!text.is_empty() && text != "NOTPROVIDED").then(|| text.to_owned())
}

/// The message name in a namespace: `urn:iso:std:iso:20022:tech:xsd:pain.002.001.03` and
/// `http://www.six-interbank-clearing.com/de/pain.002.001.03.ch.02.xsd` both give
/// `pain.002.001.03`.
pub fn version_from_namespace(namespace: &str) -> Option<String> {
    for (start, _) in namespace.char_indices() {
        let rest = &namespace[start..];
        if !(rest.starts_with("pain.") || rest.starts_with("camt.")) {
            continue;
        }
        let Some(candidate) = rest.get(..15) else {
            continue;
        };
        let shape_ok = candidate.bytes().enumerate().all(|(i, b)| match i {
            0..=3 => b.is_ascii_alphabetic(),
            4 | 8 | 12 => b == b'.',
            _ => b.is_ascii_digit(),
        });
        if shape_ok {
            return Some(candidate.to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::version_from_namespace;

    #[test]
    fn versions_come_from_namespaces_of_every_style() {
        assert_eq!(
            version_from_namespace("urn:iso:std:iso:20022:tech:xsd:pain.002.001.03").as_deref(),
            Some("pain.002.001.03")
        );
        assert_eq!(
            version_from_namespace(
                "http://www.six-interbank-clearing.com/de/pain.002.001.03.ch.02.xsd"
            )
            .as_deref(),
            Some("pain.002.001.03")
        );
        assert_eq!(version_from_namespace("urn:other"), None);
    }

    #[test]
    fn a_first_versions_message_element_loses_only_its_version() {
        use super::unversioned;
        assert_eq!(unversioned("BkToCstmrAcctRptV01"), "BkToCstmrAcctRpt");
        assert_eq!(unversioned("BkToCstmrStmtV02"), "BkToCstmrStmt");
        assert_eq!(unversioned("BkToCstmrStmt"), "BkToCstmrStmt");
        assert_eq!(unversioned("Rpt"), "Rpt");
        assert_eq!(unversioned("V01"), "");
        assert_eq!(unversioned("NtryVx1"), "NtryVx1");
        assert_eq!(unversioned("ÉtatV1"), "ÉtatV1");
    }
}

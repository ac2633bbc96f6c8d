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
}

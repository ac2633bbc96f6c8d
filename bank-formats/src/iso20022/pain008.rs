//! pain.008 (CustomerDirectDebitInitiation): a streaming writer for versions 001.02 and
//! 001.08, and a reader (for inspection, validation and round-trip tests).
//!
//! Streaming needs the totals before the transactions: the caller declares NbOfTxs and
//! CtrlSum for the file and for each payment block (the collection run knows them from the
//! database), the writer checks at every block end and at `finish` that what it wrote
//! matches, and refuses to finish otherwise. Memory does not grow with the transactions.

use std::io::{BufRead, Write};

use chrono::{NaiveDate, NaiveDateTime};
use mandates::Amount;

use super::charset::{CharsetPolicy, clean_text};
use super::rules::{CreditorIdParty, CreditorIdRule, DebitRules, PaymentType, TypeCode};
use super::xml::element;
use super::xml::{MAX35, MAX140, Position, Source, Step, Walker, XmlError};

/// The schema version a bank profile asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pain008Version {
    V02,
    V08,
}

impl Pain008Version {
    /// The version a profile names (`pain.008.001.02`, `pain.008.001.08`).
    pub fn from_name(name: &str) -> Option<Pain008Version> {
        [Pain008Version::V02, Pain008Version::V08]
            .into_iter()
            .find(|v| v.name() == name)
    }
    pub fn name(self) -> &'static str {
        match self {
            Pain008Version::V02 => "pain.008.001.02",
            Pain008Version::V08 => "pain.008.001.08",
        }
    }
    pub fn namespace(self) -> &'static str {
        match self {
            Pain008Version::V02 => "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02",
            Pain008Version::V08 => "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08",
        }
    }
    fn bic_tag(self) -> &'static str {
        match self {
            Pain008Version::V02 => "BIC",
            Pain008Version::V08 => "BICFI",
        }
    }
}

/// An account: the domestic 20-digit RIB/RIP (Algeria has no IBAN), written in
/// `Id/Othr/Id`, or a real IBAN, written in `Id/IBAN`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountIdentifier {
    Domestic(String),
    Iban(String),
}

impl From<&mandates::AccountId> for AccountIdentifier {
    fn from(account: &mandates::AccountId) -> AccountIdentifier {
        AccountIdentifier::Domestic(account.digits().to_owned())
    }
}

impl AccountIdentifier {
    /// The identifier as written, whichever kind it is.
    pub fn as_str(&self) -> &str {
        match self {
            AccountIdentifier::Domestic(id) | AccountIdentifier::Iban(id) => id,
        }
    }
}

/// A bank: its BIC when known (`BIC` in .02, `BICFI` in .08), else its domestic code
/// (the RIB's first 3 digits) in `FinInstnId/Othr/Id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Agent {
    Bic(String),
    Code(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceType {
    First,
    Recurrent,
    OneOff,
    Final,
}

impl SequenceType {
    pub fn code(self) -> &'static str {
        match self {
            SequenceType::First => "FRST",
            SequenceType::Recurrent => "RCUR",
            SequenceType::OneOff => "OOFF",
            SequenceType::Final => "FNAL",
        }
    }
    pub fn from_code(code: &str) -> Option<SequenceType> {
        match code {
            "FRST" => Some(SequenceType::First),
            "RCUR" => Some(SequenceType::Recurrent),
            "OOFF" => Some(SequenceType::OneOff),
            "FNAL" => Some(SequenceType::Final),
            _ => None,
        }
    }
}

/// The group header, with the file's declared totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupHeader {
    pub message_id: String,
    pub created_at: NaiveDateTime,
    pub number_of_transactions: u64,
    pub control_sum: Amount,
    pub initiating_party: String,
}

/// One PmtInf block: one collection date, sequence type and creditor account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentInfo {
    pub payment_id: String,
    pub collection_date: NaiveDate,
    pub sequence_type: SequenceType,
    pub creditor_name: String,
    pub creditor_account: AccountIdentifier,
    pub creditor_agent: Agent,
    pub creditor_scheme_id: String,
    pub batch_booking: bool,
    pub number_of_transactions: u64,
    pub control_sum: Amount,
}

/// One debit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectDebit {
    pub end_to_end_id: String,
    pub amount: Amount,
    pub mandate_id: String,
    pub mandate_signed_on: NaiveDate,
    pub debtor_name: String,
    pub debtor_account: AccountIdentifier,
    pub debtor_agent: Agent,
    /// Unstructured remittance, cut to 140 characters.
    pub remittance: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("writing the file failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("{what} {value:?} is longer than {max} characters")]
    TooLong {
        what: &'static str,
        value: String,
        max: usize,
    },
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} {value:?} is not a valid {kind}")]
    Invalid {
        what: &'static str,
        value: String,
        kind: &'static str,
    },
    #[error("transaction {end_to_end_id}: the amount must be positive, found {amount}")]
    Amount {
        end_to_end_id: String,
        amount: Amount,
    },
    #[error(
        "{level} declares {declared_count} transactions for {declared_sum} but {actual_count} for {actual_sum} were written"
    )]
    Totals {
        level: String,
        declared_count: u64,
        declared_sum: Amount,
        actual_count: u64,
        actual_sum: Amount,
    },
    #[error("{0}")]
    Sequence(&'static str),
    #[error("bank profile {profile} names no {what}: add it to the profile")]
    NotInProfile { profile: String, what: &'static str },
}

const MAX_ID: usize = 35;
const MAX_NAME: usize = 70;
const MAX_REMITTANCE: usize = 140;

pub(crate) fn check_id(what: &'static str, value: &str) -> Result<(), WriteError> {
    if value.trim().is_empty() {
        return Err(WriteError::Empty { what });
    }
    if value.chars().count() > MAX_ID {
        return Err(WriteError::TooLong {
            what,
            value: value.to_owned(),
            max: MAX_ID,
        });
    }
    Ok(())
}

/// The schema's BIC pattern: `[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?`.
fn is_bic(bic: &str) -> bool {
    let b = bic.as_bytes();
    (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && (b[6].is_ascii_uppercase() || (b'2'..=b'9').contains(&b[6]))
        && ((b[7].is_ascii_uppercase() && b[7] != b'O') || b[7].is_ascii_digit())
        && b[8..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The schema's IBAN pattern (`[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}`) and the ISO 7064
/// mod-97 check digits a bank checks next.
fn is_iban(iban: &str) -> bool {
    let b = iban.as_bytes();
    if !(5..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b[4..].iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let mut remainder = 0u32;
    for &c in b[4..].iter().chain(&b[..4]) {
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            _ => u32::from(c.to_ascii_uppercase() - b'A') + 10,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

pub(crate) fn check_account(
    what: &'static str,
    account: &AccountIdentifier,
) -> Result<(), WriteError> {
    match account {
        AccountIdentifier::Iban(iban) if !is_iban(iban) => Err(WriteError::Invalid {
            what,
            value: iban.clone(),
            kind: "IBAN",
        }),
        AccountIdentifier::Iban(_) => Ok(()),
        AccountIdentifier::Domestic(id) => {
            check_id(what, id)?;
            // `Othr/Id` is Max34Text, one less than the other ids.
            if id.chars().count() > 34 {
                return Err(WriteError::TooLong {
                    what,
                    value: id.clone(),
                    max: 34,
                });
            }
            Ok(())
        }
    }
}

pub(crate) fn check_agent(what: &'static str, agent: &Agent) -> Result<(), WriteError> {
    match agent {
        Agent::Bic(bic) if !is_bic(bic) => Err(WriteError::Invalid {
            what,
            value: bic.clone(),
            kind: "BIC",
        }),
        Agent::Bic(_) => Ok(()),
        Agent::Code(code) => check_id(what, code),
    }
}

/// A name cleaned for the charset policy must still say something (`Nm` is 1..140).
fn check_name(what: &'static str, cleaned: &str) -> Result<(), WriteError> {
    if cleaned.is_empty() {
        return Err(WriteError::Empty { what });
    }
    Ok(())
}

/// Streams a pain.008 document to `W`.
#[derive(Debug)]
pub struct Pain008Writer<W: Write> {
    out: W,
    version: Pain008Version,
    charset: CharsetPolicy,
    rules: DebitRules,
    header: GroupHeader,
    scratch: String,
    block: Option<(PaymentInfo, u64, Amount)>,
    total_count: u64,
    total_sum: Amount,
}

impl<W: Write> Pain008Writer<W> {
    /// Writes the document start and group header, with SEPA Core's payment type and
    /// creditor identifier (`DebitRules::sepa_core`) — the SEPA profile's output.
    pub fn new(
        out: W,
        version: Pain008Version,
        charset: CharsetPolicy,
        header: GroupHeader,
    ) -> Result<Pain008Writer<W>, WriteError> {
        Pain008Writer::with_rules(out, version, charset, DebitRules::sepa_core(), header)
    }

    /// Writes the document start and group header; every payment block follows `rules`
    /// (a bank profile's payment type codes, charge bearer and creditor identifier).
    pub fn with_rules(
        out: W,
        version: Pain008Version,
        charset: CharsetPolicy,
        rules: DebitRules,
        header: GroupHeader,
    ) -> Result<Pain008Writer<W>, WriteError> {
        check_id("MsgId", &header.message_id)?;
        rules.check()?;
        let mut writer = Pain008Writer {
            out,
            version,
            charset,
            rules,
            header,
            scratch: String::with_capacity(2048),
            block: None,
            total_count: 0,
            total_sum: Amount::ZERO,
        };
        let h = writer.header.clone();
        let s = &mut writer.scratch;
        s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"");
        s.push_str(version.namespace());
        s.push_str("\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<CstmrDrctDbtInitn>\n<GrpHdr>");
        writer.element("MsgId", &h.message_id);
        writer.element(
            "CreDtTm",
            &h.created_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
        );
        writer.element("NbOfTxs", &h.number_of_transactions.to_string());
        writer.element("CtrlSum", &h.control_sum.to_string());
        writer.scratch.push_str("<InitgPty>");
        let name = writer.name(&h.initiating_party);
        check_name("initiating party name", &name)?;
        writer.element("Nm", &name);
        writer.scratch.push_str("</InitgPty></GrpHdr>\n");
        writer.flush_scratch()?;
        Ok(writer)
    }

    fn name(&self, text: &str) -> String {
        clean_text(text, self.charset, MAX_NAME)
    }

    fn element(&mut self, tag: &str, value: &str) {
        element(&mut self.scratch, tag, value);
    }

    fn account(&mut self, tag: &str, account: &AccountIdentifier) {
        self.scratch.push('<');
        self.scratch.push_str(tag);
        self.scratch.push_str("><Id>");
        match account {
            AccountIdentifier::Iban(iban) => self.element("IBAN", iban),
            AccountIdentifier::Domestic(id) => {
                self.scratch.push_str("<Othr>");
                self.element("Id", id);
                self.scratch.push_str("</Othr>");
            }
        }
        self.scratch.push_str("</Id></");
        self.scratch.push_str(tag);
        self.scratch.push('>');
    }

    fn agent(&mut self, tag: &str, agent: &Agent) {
        self.scratch.push('<');
        self.scratch.push_str(tag);
        self.scratch.push_str("><FinInstnId>");
        match agent {
            Agent::Bic(bic) => {
                let bic_tag = self.version.bic_tag();
                self.element(bic_tag, bic);
            }
            Agent::Code(code) => {
                self.scratch.push_str("<Othr>");
                self.element("Id", code);
                self.scratch.push_str("</Othr>");
            }
        }
        self.scratch.push_str("</FinInstnId></");
        self.scratch.push_str(tag);
        self.scratch.push('>');
    }

    fn flush_scratch(&mut self) -> Result<(), WriteError> {
        self.out.write_all(self.scratch.as_bytes())?;
        self.scratch.clear();
        Ok(())
    }

    fn close_block(&mut self) -> Result<(), WriteError> {
        if let Some((info, count, sum)) = self.block.take() {
            if count != info.number_of_transactions || sum != info.control_sum {
                return Err(WriteError::Totals {
                    level: format!("payment block {}", info.payment_id),
                    declared_count: info.number_of_transactions,
                    declared_sum: info.control_sum,
                    actual_count: count,
                    actual_sum: sum,
                });
            }
            self.scratch.push_str("</PmtInf>\n");
            self.flush_scratch()?;
        }
        Ok(())
    }

    /// Starts a payment block (closing the previous one, whose totals must match).
    pub fn begin_payment(&mut self, info: &PaymentInfo) -> Result<(), WriteError> {
        self.close_block()?;
        check_id("PmtInfId", &info.payment_id)?;
        check_id("creditor scheme id", &info.creditor_scheme_id)?;
        check_account("creditor account", &info.creditor_account)?;
        check_agent("creditor agent", &info.creditor_agent)?;
        let creditor_name = self.name(&info.creditor_name);
        check_name("creditor name", &creditor_name)?;
        self.scratch.push_str("<PmtInf>");
        self.element("PmtInfId", &info.payment_id);
        self.element("PmtMtd", "DD");
        self.element(
            "BtchBookg",
            if info.batch_booking { "true" } else { "false" },
        );
        self.element("NbOfTxs", &info.number_of_transactions.to_string());
        self.element("CtrlSum", &info.control_sum.to_string());
        self.rules
            .payment_type
            .write(&mut self.scratch, Some(info.sequence_type.code()));
        self.element(
            "ReqdColltnDt",
            &info.collection_date.format("%Y-%m-%d").to_string(),
        );
        self.scratch.push_str("<Cdtr>");
        self.element("Nm", &creditor_name);
        self.scratch.push_str("</Cdtr>");
        self.account("CdtrAcct", &info.creditor_account);
        self.agent("CdtrAgt", &info.creditor_agent);
        if let Some(bearer) = &self.rules.charge_bearer {
            element(&mut self.scratch, "ChrgBr", bearer);
        }
        self.rules
            .creditor_id
            .write(&mut self.scratch, &info.creditor_scheme_id);
        self.block = Some((info.clone(), 0, Amount::ZERO));
        self.flush_scratch()
    }

    /// Adds one debit to the current payment block.
    pub fn add(&mut self, debit: &DirectDebit) -> Result<(), WriteError> {
        if self.block.is_none() {
            return Err(WriteError::Sequence("add() before begin_payment()"));
        }
        check_id("EndToEndId", &debit.end_to_end_id)?;
        check_id("MndtId", &debit.mandate_id)?;
        check_account("debtor account", &debit.debtor_account)?;
        check_agent("debtor agent", &debit.debtor_agent)?;
        let debtor_name = self.name(&debit.debtor_name);
        check_name("debtor name", &debtor_name)?;
        if !debit.amount.is_positive() {
            return Err(WriteError::Amount {
                end_to_end_id: debit.end_to_end_id.clone(),
                amount: debit.amount,
            });
        }
        self.scratch.push_str("<DrctDbtTxInf><PmtId>");
        self.element("EndToEndId", &debit.end_to_end_id);
        self.scratch.push_str("</PmtId><InstdAmt Ccy=\"DZD\">");
        self.scratch.push_str(&debit.amount.to_string());
        self.scratch.push_str("</InstdAmt><DrctDbtTx><MndtRltdInf>");
        self.element("MndtId", &debit.mandate_id);
        self.element(
            "DtOfSgntr",
            &debit.mandate_signed_on.format("%Y-%m-%d").to_string(),
        );
        self.scratch.push_str("</MndtRltdInf></DrctDbtTx>");
        self.agent("DbtrAgt", &debit.debtor_agent);
        self.scratch.push_str("<Dbtr>");
        self.element("Nm", &debtor_name);
        self.scratch.push_str("</Dbtr>");
        self.account("DbtrAcct", &debit.debtor_account);
        let remittance = clean_text(&debit.remittance, self.charset, MAX_REMITTANCE);
        if !remittance.is_empty() {
            self.scratch.push_str("<RmtInf>");
            self.element("Ustrd", &remittance);
            self.scratch.push_str("</RmtInf>");
        }
        self.scratch.push_str("</DrctDbtTxInf>\n");
        if let Some((_, count, sum)) = self.block.as_mut() {
            *count += 1;
            *sum = sum
                .checked_add(debit.amount)
                .ok_or(WriteError::Sequence("control sum overflow"))?;
        }
        self.total_count += 1;
        self.total_sum = self
            .total_sum
            .checked_add(debit.amount)
            .ok_or(WriteError::Sequence("control sum overflow"))?;
        if self.scratch.len() > 64 * 1024 {
            self.flush_scratch()?;
        }
        Ok(())
    }

    /// Closes the document after checking every declared total; returns the output.
    pub fn finish(mut self) -> Result<W, WriteError> {
        self.close_block()?;
        if self.total_count != self.header.number_of_transactions
            || self.total_sum != self.header.control_sum
        {
            return Err(WriteError::Totals {
                level: format!("message {}", self.header.message_id),
                declared_count: self.header.number_of_transactions,
                declared_sum: self.header.control_sum,
                actual_count: self.total_count,
                actual_sum: self.total_sum,
            });
        }
        self.scratch.push_str("</CstmrDrctDbtInitn>\n</Document>\n");
        self.flush_scratch()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A pain.008 document as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pain008Document {
    /// e.g. "pain.008.001.02", from the namespace.
    pub version: String,
    pub message_id: String,
    pub created_at: String,
    pub declared_transactions: Option<u64>,
    pub declared_control_sum: Option<Amount>,
    pub initiating_party: String,
    pub payments: Vec<ReadPayment>,
}

/// A PmtInf block as read back. Dates and codes stay text: other creditors' files are read
/// leniently, and `files validate` reports what is wrong with them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ReadPayment {
    /// Where its `<PmtInf>` starts (for `files validate`).
    pub at: Position,
    pub payment_id: String,
    pub collection_date: String,
    pub sequence_type: String,
    pub batch_booking: Option<bool>,
    pub creditor_name: String,
    pub creditor_account: Option<AccountIdentifier>,
    pub creditor_agent: Option<Agent>,
    pub creditor_scheme_id: String,
    /// `PmtTpInf`'s codes, as the bank profile wrote them.
    pub payment_type: PaymentType,
    pub charge_bearer: Option<String>,
    /// How `CdtrSchmeId` was dressed (party, scheme name, issuer).
    pub creditor_id: CreditorIdRule,
    pub declared_transactions: Option<u64>,
    pub declared_control_sum: Option<Amount>,
    pub transactions: Vec<ReadDebit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ReadDebit {
    /// Where its `<DrctDbtTxInf>` starts (for `files validate`).
    pub at: Position,
    pub end_to_end_id: String,
    pub amount: Option<Amount>,
    pub currency: Option<String>,
    pub mandate_id: String,
    pub mandate_signed_on: String,
    pub debtor_name: String,
    pub debtor_account: Option<AccountIdentifier>,
    pub debtor_agent: Option<Agent>,
    pub remittance: String,
}

pub(crate) fn parse_amount<S: Source>(walker: &Walker<S>, text: &str) -> Result<Amount, XmlError> {
    Amount::parse(text).map_err(|e| walker.content_error(format!("{}: {e}", walker.current())))
}

/// `<{owner}><Id><IBAN>` or `<{owner}><Id><Othr><Id>`, just closed.
fn account_at<S: Source>(walker: &Walker<S>, owner: &str, text: &str) -> Option<AccountIdentifier> {
    if walker.at(&[owner, "Id", "IBAN"]) {
        Some(AccountIdentifier::Iban(text.to_owned()))
    } else if walker.at(&[owner, "Id", "Othr", "Id"]) {
        Some(AccountIdentifier::Domestic(text.to_owned()))
    } else {
        None
    }
}

/// `<{owner}><FinInstnId><BIC|BICFI>` or `<{owner}><FinInstnId><Othr><Id>`, just closed.
fn agent_at<S: Source>(walker: &Walker<S>, owner: &str, text: &str) -> Option<Agent> {
    if walker.at(&[owner, "FinInstnId", "BIC"]) || walker.at(&[owner, "FinInstnId", "BICFI"]) {
        Some(Agent::Bic(text.to_owned()))
    } else if walker.at(&[owner, "FinInstnId", "Othr", "Id"]) {
        Some(Agent::Code(text.to_owned()))
    } else {
        None
    }
}

/// `<PmtTpInf><{SvcLvl|LclInstrm|CtgyPurp}><{Cd|Prtry}>`, just closed: which part, and
/// its code.
pub(crate) fn read_type_code<S: Source>(
    walker: &Walker<S>,
) -> Result<Option<(&'static str, TypeCode)>, XmlError> {
    for part in ["SvcLvl", "LclInstrm", "CtgyPurp"] {
        if walker.at(&["PmtTpInf", part, "Cd"]) {
            return Ok(Some((
                part,
                TypeCode::Code(walker.field(MAX35)?.to_owned()),
            )));
        }
        if walker.at(&["PmtTpInf", part, "Prtry"]) {
            return Ok(Some((
                part,
                TypeCode::Proprietary(walker.field(MAX35)?.to_owned()),
            )));
        }
    }
    Ok(None)
}

/// Reads a pain.008 of any version (namespace ignored).
pub fn read_pain008<R: BufRead>(input: R) -> Result<Pain008Document, XmlError> {
    read_pain008_from(Walker::new(input))
}

/// Reads a pain.008 already in memory (faster: no copying).
pub fn read_pain008_slice(bytes: &[u8]) -> Result<Pain008Document, XmlError> {
    if super::xml::is_utf8(bytes) {
        read_pain008_from(Walker::slice(bytes))
    } else {
        // Decoded as it is read (UTF-16, ISO-8859-1, …).
        read_pain008_from(Walker::new(bytes))
    }
}

fn read_pain008_from<S: Source>(mut walker: Walker<S>) -> Result<Pain008Document, XmlError> {
    let mut doc = Pain008Document {
        version: String::new(),
        message_id: String::new(),
        created_at: String::new(),
        declared_transactions: None,
        declared_control_sum: None,
        initiating_party: String::new(),
        payments: Vec::new(),
    };
    let mut payment: Option<ReadPayment> = None;
    let mut debit: Option<ReadDebit> = None;
    loop {
        match walker.next()? {
            Step::Eof => break,
            Step::Open { xmlns, .. } => {
                if walker.depth() == 1 {
                    doc.version = super::version_for("pain.008", xmlns.as_deref());
                }
                match walker.current() {
                    "PmtInf" => {
                        payment = Some(ReadPayment {
                            at: walker.position(),
                            ..ReadPayment::default()
                        })
                    }
                    "DrctDbtTxInf" => {
                        debit = Some(ReadDebit {
                            at: walker.position(),
                            ..ReadDebit::default()
                        })
                    }
                    _ => {}
                }
            }
            Step::Close => {
                let text = walker.text();
                if walker.at(&["GrpHdr", "MsgId"]) {
                    doc.message_id = walker.field(MAX35)?.to_owned();
                } else if walker.at(&["GrpHdr", "CreDtTm"]) {
                    doc.created_at = text.to_owned();
                } else if walker.at(&["GrpHdr", "NbOfTxs"]) {
                    doc.declared_transactions = text.parse().ok();
                } else if walker.at(&["GrpHdr", "CtrlSum"]) {
                    doc.declared_control_sum = Some(parse_amount(&walker, text)?);
                } else if walker.at(&["GrpHdr", "InitgPty", "Nm"]) {
                    doc.initiating_party = walker.field(MAX140)?.to_owned();
                } else if let Some(d) = debit.as_mut() {
                    if walker.at(&["PmtId", "EndToEndId"]) {
                        d.end_to_end_id = walker.field(MAX35)?.to_owned();
                    } else if walker.at(&["DrctDbtTxInf", "InstdAmt"]) {
                        d.amount = Some(parse_amount(&walker, text)?);
                        d.currency = walker.last_ccy().map(str::to_owned);
                    } else if walker.at(&["MndtRltdInf", "MndtId"]) {
                        d.mandate_id = walker.field(MAX35)?.to_owned();
                    } else if walker.at(&["MndtRltdInf", "DtOfSgntr"]) {
                        d.mandate_signed_on = text.to_owned();
                    } else if walker.at(&["Dbtr", "Nm"]) {
                        d.debtor_name = walker.field(MAX140)?.to_owned();
                    } else if let Some(account) = account_at(&walker, "DbtrAcct", text) {
                        d.debtor_account = Some(account);
                    } else if let Some(agent) = agent_at(&walker, "DbtrAgt", text) {
                        d.debtor_agent = Some(agent);
                    } else if walker.at(&["RmtInf", "Ustrd"]) {
                        d.remittance = walker.field(MAX140)?.to_owned();
                    } else if walker.current() == "DrctDbtTxInf"
                        && let (Some(p), Some(d)) = (payment.as_mut(), debit.take())
                    {
                        p.transactions.push(d);
                    }
                } else if let Some(p) = payment.as_mut() {
                    if walker.at(&["PmtInf", "PmtInfId"]) {
                        p.payment_id = walker.field(MAX35)?.to_owned();
                    } else if walker.at(&["PmtInf", "NbOfTxs"]) {
                        p.declared_transactions = text.parse().ok();
                    } else if walker.at(&["PmtInf", "CtrlSum"]) {
                        p.declared_control_sum = Some(parse_amount(&walker, text)?);
                    } else if walker.at(&["PmtInf", "BtchBookg"]) {
                        p.batch_booking = match text {
                            "true" | "1" => Some(true),
                            "false" | "0" => Some(false),
                            _ => None,
                        };
                    } else if walker.at(&["PmtTpInf", "SeqTp"]) {
                        p.sequence_type = text.to_owned();
                    } else if walker.at(&["PmtInf", "ReqdColltnDt"])
                        || walker.at(&["ReqdColltnDt", "Dt"])
                    {
                        p.collection_date = text.to_owned();
                    } else if walker.at(&["Cdtr", "Nm"]) {
                        p.creditor_name = walker.field(MAX140)?.to_owned();
                    } else if let Some(account) = account_at(&walker, "CdtrAcct", text) {
                        p.creditor_account = Some(account);
                    } else if let Some(agent) = agent_at(&walker, "CdtrAgt", text) {
                        p.creditor_agent = Some(agent);
                    } else if walker.at(&["CdtrSchmeId", "Id", "PrvtId", "Othr", "Id"]) {
                        p.creditor_scheme_id = walker.field(MAX35)?.to_owned();
                        p.creditor_id.party = CreditorIdParty::Private;
                    } else if walker.at(&["CdtrSchmeId", "Id", "OrgId", "Othr", "Id"]) {
                        p.creditor_scheme_id = walker.field(MAX35)?.to_owned();
                        p.creditor_id.party = CreditorIdParty::Organisation;
                    } else if walker.inside("CdtrSchmeId")
                        && walker.at(&["Othr", "SchmeNm", "Prtry"])
                    {
                        p.creditor_id.scheme = Some(walker.field(MAX35)?.to_owned());
                    } else if walker.inside("CdtrSchmeId") && walker.at(&["Othr", "Issr"]) {
                        p.creditor_id.issuer = Some(walker.field(MAX35)?.to_owned());
                    } else if walker.at(&["PmtInf", "ChrgBr"]) {
                        p.charge_bearer = Some(walker.field(MAX35)?.to_owned());
                    } else if let Some((part, code)) = read_type_code(&walker)? {
                        match part {
                            "SvcLvl" => p.payment_type.service_level = Some(code),
                            "LclInstrm" => p.payment_type.local_instrument = Some(code),
                            _ => p.payment_type.category_purpose = Some(code),
                        }
                    } else if walker.current() == "PmtInf"
                        && let Some(p) = payment.take()
                    {
                        doc.payments.push(p);
                    }
                }
            }
        }
    }
    if doc.message_id.is_empty() {
        return Err(XmlError::Content {
            position: walker.position(),
            message: "no GrpHdr/MsgId: this is not a pain.008 message".to_owned(),
        });
    }
    Ok(doc)
}

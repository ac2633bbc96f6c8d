//! pain.001 (CustomerCreditTransferInitiation), versions 001.03 and 001.09: the refund
//! file. The fund's account is the debtor, each employer refunded a creditor. A refund
//! batch is small (a day's approved refunds), so it is written from a model in memory
//! whose totals are computed, never declared; the reader serves `inspect`, `validate`
//! and the simulated bank.

use std::io::{BufRead, Write};

use chrono::{NaiveDate, NaiveDateTime};
use mandates::Amount;

use super::charset::{CharsetPolicy, clean_text};
use super::pain008::{AccountIdentifier, Agent, WriteError, check_account, check_agent, check_id};
use super::rules::{PaymentType, TransferRules};
use super::xml::element;
use super::xml::{MAX35, MAX140, Position, Source, Step, Walker, XmlError};

/// The schema version a bank profile asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pain001Version {
    V03,
    V09,
}

impl Pain001Version {
    pub fn from_name(name: &str) -> Option<Pain001Version> {
        [Pain001Version::V03, Pain001Version::V09]
            .into_iter()
            .find(|v| v.name() == name)
    }
    pub fn name(self) -> &'static str {
        match self {
            Pain001Version::V03 => "pain.001.001.03",
            Pain001Version::V09 => "pain.001.001.09",
        }
    }
    pub fn namespace(self) -> &'static str {
        match self {
            Pain001Version::V03 => "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03",
            Pain001Version::V09 => "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09",
        }
    }
    fn bic_tag(self) -> &'static str {
        match self {
            Pain001Version::V03 => "BIC",
            Pain001Version::V09 => "BICFI",
        }
    }
}

/// A refund batch: one payment block debiting the fund's account on one execution date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditTransferBatch {
    pub message_id: String,
    pub created_at: NaiveDateTime,
    pub initiating_party: String,
    pub payment_id: String,
    pub execution_date: NaiveDate,
    /// The fund: name, account and bank.
    pub debtor_name: String,
    pub debtor_account: AccountIdentifier,
    pub debtor_agent: Agent,
    pub transfers: Vec<CreditTransfer>,
}

/// One refund to one employer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditTransfer {
    pub end_to_end_id: String,
    pub amount: Amount,
    pub creditor_name: String,
    pub creditor_account: AccountIdentifier,
    pub creditor_agent: Agent,
    /// Unstructured remittance, cut to 140 characters; empty writes none.
    pub remittance: String,
}

impl CreditTransferBatch {
    /// The number of transfers and their sum (`NbOfTxs`, `CtrlSum`).
    pub fn totals(&self) -> Result<(u64, Amount), WriteError> {
        let sum = Amount::checked_sum(self.transfers.iter().map(|t| t.amount))
            .ok_or(WriteError::Sequence("control sum overflow"))?;
        Ok((self.transfers.len() as u64, sum))
    }
}

/// How a bank wants its credit transfers: message version, character set and the codes
/// of the payment block (a profile's `[credit_transfer]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferFormat {
    pub version: Pain001Version,
    pub charset: CharsetPolicy,
    pub rules: TransferRules,
}

/// Writes `batch` as one pain.001 document to `out`; checks everything first, so nothing
/// is written for a batch the bank would refuse by schema (empty, an id over 35
/// characters, an amount not positive, a bad IBAN or BIC, a name the charset empties).
pub fn write_pain001<W: Write>(
    mut out: W,
    format: &TransferFormat,
    batch: &CreditTransferBatch,
) -> Result<W, WriteError> {
    let bytes = credit_transfer_bytes(format, batch)?;
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(out)
}

/// The bytes of `batch` as a pain.001 in the profile's `format`.
pub fn credit_transfer_bytes(
    format: &TransferFormat,
    batch: &CreditTransferBatch,
) -> Result<Vec<u8>, WriteError> {
    let name = |text: &str| clean_text(text, format.charset, 70);
    check_id("MsgId", &batch.message_id)?;
    check_id("PmtInfId", &batch.payment_id)?;
    format.rules.check()?;
    check_account("debtor account", &batch.debtor_account)?;
    check_agent("debtor agent", &batch.debtor_agent)?;
    if batch.transfers.is_empty() {
        return Err(WriteError::Empty {
            what: "a credit transfer batch",
        });
    }
    let initiating = name(&batch.initiating_party);
    let debtor = name(&batch.debtor_name);
    for (what, cleaned) in [
        ("initiating party name", &initiating),
        ("debtor name", &debtor),
    ] {
        if cleaned.is_empty() {
            return Err(WriteError::Empty { what });
        }
    }
    let mut seen = std::collections::HashSet::new();
    for t in &batch.transfers {
        check_id("EndToEndId", &t.end_to_end_id)?;
        if !seen.insert(t.end_to_end_id.as_str()) {
            return Err(WriteError::Invalid {
                what: "EndToEndId",
                value: t.end_to_end_id.clone(),
                kind: "end-to-end id unique in its file",
            });
        }
        check_account("creditor account", &t.creditor_account)?;
        check_agent("creditor agent", &t.creditor_agent)?;
        if name(&t.creditor_name).is_empty() {
            return Err(WriteError::Empty {
                what: "creditor name",
            });
        }
        if !t.amount.is_positive() {
            return Err(WriteError::Amount {
                end_to_end_id: t.end_to_end_id.clone(),
                amount: t.amount,
            });
        }
    }
    let (count, sum) = batch.totals()?;
    let version = format.version;
    let mut s = String::with_capacity(1024 + batch.transfers.len() * 600);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"");
    s.push_str(version.namespace());
    s.push_str(
        "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<CstmrCdtTrfInitn>\n<GrpHdr>",
    );
    element(&mut s, "MsgId", &batch.message_id);
    element(
        &mut s,
        "CreDtTm",
        &batch.created_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
    );
    element(&mut s, "NbOfTxs", &count.to_string());
    element(&mut s, "CtrlSum", &sum.to_string());
    s.push_str("<InitgPty>");
    element(&mut s, "Nm", &initiating);
    s.push_str("</InitgPty></GrpHdr>\n<PmtInf>");
    element(&mut s, "PmtInfId", &batch.payment_id);
    element(&mut s, "PmtMtd", "TRF");
    element(&mut s, "BtchBookg", "true");
    element(&mut s, "NbOfTxs", &count.to_string());
    element(&mut s, "CtrlSum", &sum.to_string());
    format.rules.payment_type.write(&mut s, None);
    let date = batch.execution_date.format("%Y-%m-%d").to_string();
    match version {
        Pain001Version::V03 => element(&mut s, "ReqdExctnDt", &date),
        Pain001Version::V09 => {
            s.push_str("<ReqdExctnDt>");
            element(&mut s, "Dt", &date);
            s.push_str("</ReqdExctnDt>");
        }
    }
    s.push_str("<Dbtr>");
    element(&mut s, "Nm", &debtor);
    s.push_str("</Dbtr>");
    account(&mut s, "DbtrAcct", &batch.debtor_account);
    agent(&mut s, version, "DbtrAgt", &batch.debtor_agent);
    if let Some(bearer) = &format.rules.charge_bearer {
        element(&mut s, "ChrgBr", bearer);
    }
    s.push('\n');
    for t in &batch.transfers {
        s.push_str("<CdtTrfTxInf><PmtId>");
        element(&mut s, "EndToEndId", &t.end_to_end_id);
        s.push_str("</PmtId><Amt><InstdAmt Ccy=\"DZD\">");
        s.push_str(&t.amount.to_string());
        s.push_str("</InstdAmt></Amt>");
        agent(&mut s, version, "CdtrAgt", &t.creditor_agent);
        s.push_str("<Cdtr>");
        element(&mut s, "Nm", &name(&t.creditor_name));
        s.push_str("</Cdtr>");
        account(&mut s, "CdtrAcct", &t.creditor_account);
        let remittance = clean_text(&t.remittance, format.charset, 140);
        if !remittance.is_empty() {
            s.push_str("<RmtInf>");
            element(&mut s, "Ustrd", &remittance);
            s.push_str("</RmtInf>");
        }
        s.push_str("</CdtTrfTxInf>\n");
    }
    s.push_str("</PmtInf>\n</CstmrCdtTrfInitn>\n</Document>\n");
    Ok(s.into_bytes())
}

fn account(s: &mut String, tag: &str, account: &AccountIdentifier) {
    s.push('<');
    s.push_str(tag);
    s.push_str("><Id>");
    match account {
        AccountIdentifier::Iban(iban) => element(s, "IBAN", iban),
        AccountIdentifier::Domestic(id) => {
            s.push_str("<Othr>");
            element(s, "Id", id);
            s.push_str("</Othr>");
        }
    }
    s.push_str("</Id></");
    s.push_str(tag);
    s.push('>');
}

fn agent(s: &mut String, version: Pain001Version, tag: &str, agent: &Agent) {
    s.push('<');
    s.push_str(tag);
    s.push_str("><FinInstnId>");
    match agent {
        Agent::Bic(bic) => element(s, version.bic_tag(), bic),
        Agent::Code(code) => {
            s.push_str("<Othr>");
            element(s, "Id", code);
            s.push_str("</Othr>");
        }
    }
    s.push_str("</FinInstnId></");
    s.push_str(tag);
    s.push('>');
}

/// A pain.001 as read back. Dates and codes stay text: `files validate` says what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Pain001Document {
    /// e.g. "pain.001.001.03", from the namespace.
    pub version: String,
    pub message_id: String,
    pub created_at: String,
    pub declared_transactions: Option<u64>,
    pub declared_control_sum: Option<Amount>,
    pub initiating_party: String,
    pub payments: Vec<ReadTransferPayment>,
}

/// A pain.001 payment block as read back.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ReadTransferPayment {
    pub at: Position,
    pub payment_id: String,
    pub payment_method: String,
    pub execution_date: String,
    pub payment_type: PaymentType,
    pub charge_bearer: Option<String>,
    pub debtor_name: String,
    pub debtor_account: Option<AccountIdentifier>,
    pub debtor_agent: Option<Agent>,
    pub declared_transactions: Option<u64>,
    pub declared_control_sum: Option<Amount>,
    pub transfers: Vec<ReadTransfer>,
}

/// One credit transfer as read back.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ReadTransfer {
    pub at: Position,
    pub end_to_end_id: String,
    pub amount: Option<Amount>,
    pub currency: Option<String>,
    pub creditor_name: String,
    pub creditor_account: Option<AccountIdentifier>,
    pub creditor_agent: Option<Agent>,
    pub remittance: String,
}

/// Reads a pain.001 of any version (namespace ignored).
pub fn read_pain001<R: BufRead>(input: R) -> Result<Pain001Document, XmlError> {
    read_pain001_from(Walker::new(input))
}

/// Reads a pain.001 already in memory.
pub fn read_pain001_slice(bytes: &[u8]) -> Result<Pain001Document, XmlError> {
    if super::xml::is_utf8(bytes) {
        read_pain001_from(Walker::slice(bytes))
    } else {
        // Decoded as it is read (UTF-16, ISO-8859-1, …), like the other readers.
        read_pain001_from(Walker::new(bytes))
    }
}

fn account_of<S: Source>(walker: &Walker<S>, owner: &str) -> Option<AccountIdentifier> {
    let text = walker.text();
    if walker.at(&[owner, "Id", "IBAN"]) {
        Some(AccountIdentifier::Iban(text.to_owned()))
    } else if walker.at(&[owner, "Id", "Othr", "Id"]) {
        Some(AccountIdentifier::Domestic(text.to_owned()))
    } else {
        None
    }
}

fn agent_of<S: Source>(walker: &Walker<S>, owner: &str) -> Option<Agent> {
    let text = walker.text();
    if walker.at(&[owner, "FinInstnId", "BIC"]) || walker.at(&[owner, "FinInstnId", "BICFI"]) {
        Some(Agent::Bic(text.to_owned()))
    } else if walker.at(&[owner, "FinInstnId", "Othr", "Id"]) {
        Some(Agent::Code(text.to_owned()))
    } else {
        None
    }
}

fn read_pain001_from<S: Source>(mut walker: Walker<S>) -> Result<Pain001Document, XmlError> {
    let mut doc = Pain001Document::default();
    let mut payment: Option<ReadTransferPayment> = None;
    let mut transfer: Option<ReadTransfer> = None;
    loop {
        match walker.next()? {
            Step::Eof => break,
            Step::Open { xmlns, .. } => {
                if walker.depth() == 1 {
                    doc.version = super::version_for("pain.001", xmlns.as_deref());
                }
                match walker.current() {
                    "PmtInf" => {
                        payment = Some(ReadTransferPayment {
                            at: walker.position(),
                            ..ReadTransferPayment::default()
                        })
                    }
                    "CdtTrfTxInf" => {
                        transfer = Some(ReadTransfer {
                            at: walker.position(),
                            ..ReadTransfer::default()
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
                    doc.declared_control_sum = Some(super::pain008::parse_amount(&walker, text)?);
                } else if walker.at(&["GrpHdr", "InitgPty", "Nm"]) {
                    doc.initiating_party = walker.field(MAX140)?.to_owned();
                } else if let Some(t) = transfer.as_mut() {
                    if walker.at(&["PmtId", "EndToEndId"]) {
                        t.end_to_end_id = walker.field(MAX35)?.to_owned();
                    } else if walker.at(&["Amt", "InstdAmt"]) {
                        t.amount = Some(super::pain008::parse_amount(&walker, text)?);
                        t.currency = walker.last_ccy().map(str::to_owned);
                    } else if walker.at(&["Cdtr", "Nm"]) {
                        t.creditor_name = walker.field(MAX140)?.to_owned();
                    } else if let Some(account) = account_of(&walker, "CdtrAcct") {
                        t.creditor_account = Some(account);
                    } else if let Some(agent) = agent_of(&walker, "CdtrAgt") {
                        t.creditor_agent = Some(agent);
                    } else if walker.at(&["RmtInf", "Ustrd"]) {
                        t.remittance = walker.field(MAX140)?.to_owned();
                    } else if walker.current() == "CdtTrfTxInf"
                        && let (Some(p), Some(t)) = (payment.as_mut(), transfer.take())
                    {
                        p.transfers.push(t);
                    }
                } else if let Some(p) = payment.as_mut() {
                    if walker.at(&["PmtInf", "PmtInfId"]) {
                        p.payment_id = walker.field(MAX35)?.to_owned();
                    } else if walker.at(&["PmtInf", "PmtMtd"]) {
                        p.payment_method = walker.field(MAX35)?.to_owned();
                    } else if walker.at(&["PmtInf", "NbOfTxs"]) {
                        p.declared_transactions = text.parse().ok();
                    } else if walker.at(&["PmtInf", "CtrlSum"]) {
                        p.declared_control_sum = Some(super::pain008::parse_amount(&walker, text)?);
                    } else if walker.at(&["ReqdExctnDt", "Dt"])
                        || walker.at(&["ReqdExctnDt", "DtTm"])
                    {
                        p.execution_date = text.to_owned();
                    } else if walker.at(&["PmtInf", "ReqdExctnDt"]) {
                        // .03 holds the date itself; .09 a `Dt` or `DtTm` already read.
                        if !text.trim().is_empty() {
                            p.execution_date = text.to_owned();
                        }
                    } else if walker.at(&["PmtInf", "ChrgBr"]) {
                        p.charge_bearer = Some(walker.field(MAX35)?.to_owned());
                    } else if walker.at(&["Dbtr", "Nm"]) {
                        p.debtor_name = walker.field(MAX140)?.to_owned();
                    } else if let Some(account) = account_of(&walker, "DbtrAcct") {
                        p.debtor_account = Some(account);
                    } else if let Some(agent) = agent_of(&walker, "DbtrAgt") {
                        p.debtor_agent = Some(agent);
                    } else if let Some((part, code)) = super::pain008::read_type_code(&walker)? {
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
            message: "no GrpHdr/MsgId: this is not a pain.001 message".to_owned(),
        });
    }
    Ok(doc)
}

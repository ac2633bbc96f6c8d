//! One entry point for any bank file tahsil reads: detect the format, read it, and present
//! it in the shape of the `files inspect --json` contract (product.md). Group- and
//! payment-level statuses are applied to the transactions they cover.

use std::fmt::Write as _;

use serde::Serialize;

use crate::layout::{BatchedLayout, Layout};

use crate::iso20022::{
    CamtMessage, Entry, EntryTransaction, Identified, Pain001Document, Pain008Document,
    StatusReport, XmlError, identify, read_camt_slice, read_pain001_slice, read_pain002_slice,
    read_pain008_slice,
};

/// Why a file could not be inspected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    #[error("the file is empty")]
    Empty,
    #[error("unrecognised format: {0}")]
    Unknown(String),
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error(transparent)]
    Layout(#[from] crate::layout::LayoutError),
}

/// One transaction as the contract shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InspectedTransaction {
    pub end_to_end_id: Option<String>,
    /// Decimal string, or null.
    pub amount: Option<String>,
    /// ISO status (RJCT, ACCP, … or BOOK/PDNG for statements); null for debit instructions.
    pub status: Option<String>,
    pub reason: Option<String>,
    /// camt and return files only: true for a return or reversal (`RvslInd`, an unpaid
    /// or reversed direct-debit code UPDD/PRDD, or a return reason). Absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversal: Option<bool>,
    /// Every ISO format (null when the file does not say): camt `Refs/MndtId`, pain.002
    /// `OrgnlTxRef/MndtRltdInf/MndtId`, pain.008 `MndtRltdInf/MndtId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mandate_id: Option<Option<String>>,
    /// camt, pain.008 and pain.001 (null when the file does not say): the `Ccy` of the amount shown
    /// (for camt, of the amount the precedence took: `TxDtls/Amt`, `AmtDtls/TxAmt`,
    /// `InstdAmt`, the entry's `Amt`). Absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<Option<String>>,
    /// camt only: what the entry means beyond the contract's fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<Box<EntryFacts>>,
}

/// What a camt entry (or one of its transactions) says beyond the contract's fields: credit
/// or debit, its dates, its currency and bank transaction code, and for an incoming credit
/// who paid and why. The import decides from these what the entry means (a settlement, a
/// return, or informational).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EntryFacts {
    /// "CRDT" or "DBIT" (the transaction's own indicator, else the entry's).
    pub credit_debit: Option<String>,
    /// `Ccy` of the amount (the transaction's, else the entry's): the transaction's
    /// top-level `currency`, except that it is given here too for a transaction without an
    /// amount of its own in an entry of several (there the top-level one is null).
    pub currency: Option<String>,
    /// The amount as written, when it is not in DZD or not a whole number of hundredths
    /// (then `amount` is this text too).
    pub amount_as_written: Option<String>,
    pub booking_date: Option<String>,
    pub value_date: Option<String>,
    /// `NtryRef` and `AcctSvcrRef`.
    pub entry_reference: Option<String>,
    pub account_servicer_reference: Option<String>,
    /// `BkTxCd/Domn`: domain, family and sub-family codes (PMNT, IDDT, ESDD).
    pub bank_transaction_domain: Option<String>,
    pub bank_transaction_family: Option<String>,
    pub bank_transaction_code: Option<String>,
    pub creditor_id: Option<String>,
    pub debtor_name: Option<String>,
    pub remittance: Option<String>,
    /// The debtor's account, masked (all but the last 4 characters).
    pub debtor_account_masked: Option<String>,
    /// The debtor's account in clear, for the store to encrypt; never serialized, and its
    /// `Debug` is masked.
    #[serde(skip)]
    pub debtor_account: Option<ClearAccount>,
}

/// An account number in clear, read from a bank file: its `Debug` shows only the masked form.
#[derive(Clone, PartialEq, Eq)]
pub struct ClearAccount(pub String);

impl std::fmt::Debug for ClearAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", mandates::mask_digits(&self.0))
    }
}

/// A payment block of a status report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InspectedPayment {
    pub payment_id: Option<String>,
    pub status: Option<String>,
    pub reason: Option<String>,
}

/// A bank file, read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inspection {
    pub format: String,
    pub message_id: Option<String>,
    /// pain.002: the group status and reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_message_id: Option<Option<String>>,
    /// pain.002 only: the name of the message it answers (`OrgnlMsgNmId`, e.g.
    /// `pain.001.001.03` for a refund file's answer). Not part of the JSON contract.
    #[serde(skip)]
    pub original_message_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payments: Option<Vec<InspectedPayment>>,
    pub transactions: Vec<InspectedTransaction>,
    /// A batched fixed-width file only: its batches in file order (an addition to the
    /// contract: absent for every other format).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batches: Option<Vec<InspectedBatch>>,
}

/// One batch of a batched fixed-width file: its debtor bank, reference, date, and how
/// many transactions for how much (the sum of its amounts, as the batch trailer says).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InspectedBatch {
    pub debtor_bank: Option<String>,
    pub reference: Option<String>,
    /// `YYYY-MM-DD`.
    pub collection_date: Option<String>,
    pub transactions: u64,
    pub amount: String,
}

/// What an XML document is, by its message element (never by a name it refers to).
fn detect(bytes: &[u8]) -> Result<Identified, InspectError> {
    if crate::iso20022::xml::is_utf8(bytes) {
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if !text.trim_ascii_start().starts_with(b"<") {
            return Err(InspectError::Unknown(
                "not XML, and no fixed-width layout recognises it".to_owned(),
            ));
        }
    }
    identify(bytes)?.ok_or_else(|| {
        InspectError::Unknown(
            "an XML document, but not pain.008, pain.001, pain.002 or camt.052/053/054".to_owned(),
        )
    })
}

/// Which ISO 20022 message an XML file is (`pain.001.001.03`, `camt.054`, …), without
/// reading it whole: what `inspect` and `validate` go by.
pub fn format_of(bytes: &[u8]) -> Result<String, InspectError> {
    detect(bytes).map(|identified| identified.format)
}

/// Reads any supported bank file: ISO 20022 XML, or a fixed-width file of a shipped layout.
pub fn inspect(bytes: &[u8]) -> Result<Inspection, InspectError> {
    inspect_with(bytes, &[])
}

/// The fixed-width layout that recognises `bytes`: an institution's own first (single-
/// batch, then batched), then the shipped ones, then the example batched layout.
enum Recognised<'a> {
    Single(&'a Layout),
    Batched(&'a BatchedLayout),
}

fn layout_for<'a>(
    bytes: &[u8],
    institution_layouts: &'a [Layout],
    institution_batched: &'a [BatchedLayout],
) -> Option<Recognised<'a>> {
    crate::layout::detect_among(institution_layouts, bytes)
        .map(Recognised::Single)
        .or_else(|| {
            crate::layout::detect_batched_among(institution_batched, bytes).map(Recognised::Batched)
        })
        .or_else(|| crate::layout::detect(bytes).map(Recognised::Single))
        .or_else(|| crate::layout::detect_batched(bytes).map(Recognised::Batched))
}

/// As [`inspect`], also recognising the institutions' own fixed-width layouts.
pub fn inspect_with(
    bytes: &[u8],
    institution_layouts: &[Layout],
) -> Result<Inspection, InspectError> {
    inspect_among(bytes, institution_layouts, &[])
}

/// As [`inspect_with`], also recognising the institutions' own batched layouts.
pub fn inspect_among(
    bytes: &[u8],
    institution_layouts: &[Layout],
    institution_batched: &[BatchedLayout],
) -> Result<Inspection, InspectError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(InspectError::Empty);
    }
    match layout_for(bytes, institution_layouts, institution_batched) {
        Some(Recognised::Single(layout)) => return Ok(from_layout(layout.inspect(bytes)?)),
        Some(Recognised::Batched(layout)) => return Ok(from_layout(layout.inspect(bytes)?)),
        None => {}
    }
    let identified = detect(bytes)?;
    match identified.family {
        "pain.008" => Ok(from_pain008(read_pain008_slice(bytes)?)),
        "pain.001" => Ok(from_pain001(read_pain001_slice(bytes)?)),
        "pain.002" => Ok(from_pain002(read_pain002_slice(bytes)?)),
        "camt.052" | "camt.053" | "camt.054" => Ok(from_camt(read_camt_slice(bytes)?)),
        _ => Err(InspectError::Unknown(format!(
            "{} is not a format tahsil reads",
            identified.format
        ))),
    }
}

fn some(text: &str) -> Option<String> {
    Some(text.to_owned()).filter(|t| !t.is_empty())
}

fn from_layout(file: crate::layout::LayoutInspection) -> Inspection {
    let transactions = file
        .transactions
        .iter()
        .map(|t| InspectedTransaction {
            end_to_end_id: some(&t.end_to_end_id),
            amount: t.amount.map(|a| a.to_string()),
            status: t.iso_status.clone(),
            reason: t.reason.clone(),
            reversal: Some(t.reversal),
            mandate_id: Some(t.mandate_id.clone()),
            currency: None,
            entry: None,
        })
        .collect();
    let batches = file
        .batches
        .iter()
        .map(|b| InspectedBatch {
            debtor_bank: b.debtor_bank.clone(),
            reference: b.reference.clone(),
            collection_date: b.collection_date.map(|d| d.format("%Y-%m-%d").to_string()),
            transactions: b.transaction_count,
            amount: b.control_sum.to_string(),
        })
        .collect::<Vec<_>>();
    Inspection {
        format: file.format,
        message_id: file.message_id,
        status: None,
        reason: None,
        original_message_id: file.original_message_id.map(Some),
        original_message_name: None,
        payments: None,
        transactions,
        batches: Some(batches).filter(|b| !b.is_empty()),
    }
}

fn from_pain008(doc: Pain008Document) -> Inspection {
    let transactions = doc
        .payments
        .iter()
        .flat_map(|p| p.transactions.iter())
        .map(|t| InspectedTransaction {
            end_to_end_id: some(&t.end_to_end_id),
            amount: t.amount.map(|a| a.to_string()),
            status: None,
            reason: None,
            reversal: None,
            mandate_id: Some(some(&t.mandate_id)),
            currency: Some(t.currency.clone()),
            entry: None,
        })
        .collect();
    Inspection {
        format: doc.version,
        message_id: some(&doc.message_id),
        status: None,
        reason: None,
        original_message_id: None,
        original_message_name: None,
        payments: None,
        transactions,
        batches: None,
    }
}

/// Credit transfers (refunds): instructions like pain.008 debits (`status: null`), no
/// mandate (the key is left out, as for other formats without one).
fn from_pain001(doc: Pain001Document) -> Inspection {
    let transactions = doc
        .payments
        .iter()
        .flat_map(|p| p.transfers.iter())
        .map(|t| InspectedTransaction {
            end_to_end_id: some(&t.end_to_end_id),
            amount: t.amount.map(|a| a.to_string()),
            status: None,
            reason: None,
            reversal: None,
            mandate_id: None,
            currency: Some(t.currency.clone()),
            entry: None,
        })
        .collect();
    Inspection {
        format: doc.version,
        message_id: some(&doc.message_id),
        status: None,
        reason: None,
        original_message_id: None,
        original_message_name: None,
        payments: None,
        transactions,
        batches: None,
    }
}

fn from_pain002(report: StatusReport) -> Inspection {
    let mut transactions = Vec::new();
    for payment in &report.payments {
        for t in &payment.transactions {
            let (status, reason) = report.effective(payment, t);
            transactions.push(InspectedTransaction {
                end_to_end_id: t.original_end_to_end_id.clone(),
                amount: t.amount.map(|a| a.to_string()),
                status,
                reason,
                reversal: None,
                mandate_id: Some(t.mandate_id.clone()),
                currency: None,
                entry: None,
            });
        }
    }
    let payments = report
        .payments
        .iter()
        .filter(|p| p.original_payment_id.is_some())
        .map(|p| {
            let (status, reason) = report.effective_payment(p);
            InspectedPayment {
                payment_id: p.original_payment_id.clone(),
                status,
                reason,
            }
        })
        .collect();
    Inspection {
        format: report.version.clone(),
        message_id: some(&report.message_id),
        status: Some(report.group_status.clone()),
        reason: Some(report.group_reasons.first().cloned()),
        original_message_id: Some(report.original_message_id.clone()),
        original_message_name: report.original_message_name.clone(),
        payments: Some(payments),
        transactions,
        batches: None,
    }
}

fn from_camt(message: CamtMessage) -> Inspection {
    let mut transactions = Vec::new();
    for entry in &message.entries {
        camt_entry_transactions(entry, &mut transactions);
    }
    Inspection {
        format: message.version,
        message_id: some(&message.message_id),
        status: None,
        reason: None,
        original_message_id: None,
        original_message_name: None,
        payments: None,
        transactions,
        batches: None,
    }
}

/// The transactions of one camt entry as the contract shows them, appended to `out`: what
/// [`inspect`] gives for each entry, for a reader that streams the entries
/// ([`crate::iso20022::for_each_camt_entry`]) instead of holding the whole report.
pub fn camt_entry_transactions(entry: &Entry, out: &mut Vec<InspectedTransaction>) {
    let transactions = out;
    // RvslInd is set by some banks and not others: a return is also known by its
    // bank transaction code (unpaid or reversed direct debit) or a return reason.
    let returned = entry.reversal
        || matches!(
            entry.bank_transaction_code.as_deref(),
            Some("UPDD" | "PRDD")
        );
    let entry_amount = entry
        .amount
        .map(|a| a.to_string())
        .or_else(|| entry.amount_text.clone());
    let facts = |t: Option<&EntryTransaction>| {
        let account = t.and_then(|t| t.debtor_account.clone());
        Some(Box::new(EntryFacts {
            credit_debit: t
                .and_then(|t| t.credit_debit.clone())
                .or_else(|| entry.credit_debit.clone()),
            currency: t
                .and_then(|t| t.currency.clone())
                .or_else(|| entry.currency.clone()),
            amount_as_written: None,
            booking_date: entry.booking_date.clone(),
            value_date: entry.value_date.clone(),
            entry_reference: entry.reference.clone(),
            account_servicer_reference: entry.account_servicer_reference.clone(),
            bank_transaction_domain: entry.bank_transaction_domain.clone(),
            bank_transaction_family: entry.bank_transaction_family.clone(),
            bank_transaction_code: entry.bank_transaction_code.clone(),
            creditor_id: t.and_then(|t| t.creditor_id.clone()),
            debtor_name: t.and_then(|t| t.debtor_name.clone()),
            remittance: t
                .and_then(|t| t.remittance.clone())
                .or_else(|| entry.additional_info.clone()),
            debtor_account_masked: account.as_deref().map(mandates::mask_digits),
            debtor_account: account.map(ClearAccount),
        }))
    };
    if entry.transactions.is_empty() {
        let mut facts = facts(None);
        if let Some(f) = facts.as_mut() {
            f.amount_as_written = entry.amount_text.clone();
        }
        transactions.push(InspectedTransaction {
            end_to_end_id: None,
            amount: entry_amount.clone(),
            status: entry.status.clone(),
            reason: None,
            reversal: Some(returned),
            mandate_id: Some(None),
            currency: Some(entry.currency.clone()),
            entry: facts,
        });
    }
    let single = entry.transactions.len() == 1;
    for t in &entry.transactions {
        // The transaction's own amount (the precedence's, with its currency), else the
        // entry's when it is the entry's only transaction.
        let own = t
            .amount
            .map(|a| a.to_string())
            .or_else(|| t.amount_text.clone());
        let (amount, written, currency) = match own {
            Some(text) => (Some(text), t.amount_text.clone(), t.currency.clone()),
            None if single => (
                entry_amount.clone(),
                entry.amount_text.clone(),
                entry.currency.clone(),
            ),
            None => (None, None, None),
        };
        let mut facts = facts(Some(t));
        if let Some(f) = facts.as_mut() {
            f.amount_as_written = written;
            if t.amount.is_none() && t.amount_text.is_none() {
                f.currency = entry.currency.clone();
            }
        }
        transactions.push(InspectedTransaction {
            end_to_end_id: t.end_to_end_id.clone(),
            amount,
            currency: Some(currency),
            status: entry.status.clone(),
            reason: t.return_reason.clone(),
            reversal: Some(returned || t.return_reason.is_some()),
            mandate_id: Some(t.mandate_id.clone()),
            entry: facts,
        });
    }
}

impl Inspection {
    /// A readable table for a terminal.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
        let _ = writeln!(out, "format:      {}", self.format);
        let _ = writeln!(out, "message id:  {}", dash(&self.message_id));
        if let Some(original) = &self.original_message_id {
            let _ = writeln!(out, "original:    {}", dash(original));
        }
        if let Some(status) = &self.status {
            let reason = self.reason.clone().flatten();
            let _ = writeln!(
                out,
                "group:       {}{}",
                dash(status),
                reason.map(|r| format!(" ({r})")).unwrap_or_default()
            );
        }
        if let Some(payments) = &self.payments {
            for p in payments {
                let _ = writeln!(
                    out,
                    "payment:     {} {}{}",
                    dash(&p.payment_id),
                    dash(&p.status),
                    p.reason
                        .as_ref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                );
            }
        }
        for b in self.batches.iter().flatten() {
            let _ = writeln!(
                out,
                "batch:       bank {} {} {} — {} transaction(s), {}",
                dash(&b.debtor_bank),
                dash(&b.reference),
                dash(&b.collection_date),
                b.transactions,
                b.amount
            );
        }
        let _ = writeln!(out, "transactions: {}", self.transactions.len());
        let _ = writeln!(
            out,
            "{:<36} {:>16} {:<6} {:<6} {:<8}",
            "end-to-end id", "amount", "status", "reason", "reversal"
        );
        for t in &self.transactions {
            let _ = writeln!(
                out,
                "{:<36} {:>16} {:<6} {:<6} {:<8}",
                dash(&t.end_to_end_id),
                dash(&t.amount),
                dash(&t.status),
                dash(&t.reason),
                t.reversal
                    .map(|r| if r { "yes" } else { "no" })
                    .unwrap_or("-")
            );
        }
        out
    }
}

/// The result of `files validate`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Validation {
    /// The same `format` as `inspect` gives.
    pub format: Option<String>,
    /// Each a readable line, with a position where there is one.
    pub problems: Vec<String>,
    /// The XML schema the document's namespace calls for (`pain.002.001.03.xsd`), and
    /// whether it is a national variant's own (`pain.002.001.03.ch.02.xsd`); none for a
    /// fixed-width file or an XML document without a namespace.
    pub schema: Option<(String, bool)>,
    /// False when the file could not be read at all (malformed, truncated, an unknown
    /// encoding): then no schema check can say anything more.
    pub readable: bool,
}

/// Checks a bank file: our own pain.008, pain.001 and fixed-width files strictly (totals, counts,
/// amounts, ids, field formats); reports (pain.002, camt) for readability.
pub fn validate(bytes: &[u8]) -> Validation {
    validate_with(bytes, &[])
}

/// As [`validate`], also recognising the institutions' own fixed-width layouts.
pub fn validate_with(bytes: &[u8], institution_layouts: &[Layout]) -> Validation {
    validate_among(bytes, institution_layouts, &[])
}

/// As [`validate_with`], also recognising the institutions' own batched layouts.
pub fn validate_among(
    bytes: &[u8],
    institution_layouts: &[Layout],
    institution_batched: &[BatchedLayout],
) -> Validation {
    let fixed_width = match layout_for(bytes, institution_layouts, institution_batched) {
        Some(Recognised::Single(layout)) => Some((layout.name(), layout.validate(bytes))),
        Some(Recognised::Batched(layout)) => Some((layout.name(), layout.validate(bytes))),
        None => None,
    };
    if let Some((name, problems)) = fixed_width {
        return Validation {
            format: Some(name.to_owned()),
            problems: problems.iter().map(ToString::to_string).collect(),
            schema: None,
            readable: true,
        };
    }
    let identified = match detect(bytes) {
        Ok(identified) => identified,
        Err(e) => {
            return Validation {
                format: None,
                problems: vec![e.to_string()],
                schema: None,
                readable: false,
            };
        }
    };
    let mut problems = Vec::new();
    let mut readable = true;
    if identified.family == "pain.008" {
        match read_pain008_slice(bytes) {
            Ok(doc) => check_pain008(&doc, &mut problems),
            Err(e) => {
                problems.push(e.to_string());
                readable = false;
            }
        }
    } else if identified.family == "pain.001" {
        match read_pain001_slice(bytes) {
            Ok(doc) => check_pain001(&doc, &mut problems),
            Err(e) => {
                problems.push(e.to_string());
                readable = false;
            }
        }
    } else if let Err(e) = inspect(bytes) {
        problems.push(e.to_string());
        readable = false;
    }
    Validation {
        schema: identified.schema(),
        format: Some(identified.format),
        problems,
        readable,
    }
}

/// The strict checks of a pain.008 we wrote: totals at both levels, amounts, currency,
/// required fields, id lengths, unique end-to-end ids, dates and codes. Each problem is
/// one line, starting with where it is.
fn check_pain008(doc: &Pain008Document, problems: &mut Vec<String>) {
    use mandates::Amount;
    use std::collections::HashSet;

    fn is_date(text: &str) -> bool {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
    }
    /// A required id: present, at most 35 characters.
    fn id(at: &str, what: &str, value: &str, problems: &mut Vec<String>) {
        if value.trim().is_empty() {
            problems.push(format!("{at}{what} is missing"));
        } else if value.chars().count() > 35 {
            problems.push(format!("{at}{what} {value:?} is longer than 35 characters"));
        }
    }
    fn required(at: &str, what: &str, present: bool, problems: &mut Vec<String>) {
        if !present {
            problems.push(format!("{at}{what} is missing"));
        }
    }

    id("group header: ", "MsgId", &doc.message_id, problems);
    if chrono::NaiveDateTime::parse_from_str(&doc.created_at, "%Y-%m-%dT%H:%M:%S").is_err()
        && chrono::DateTime::parse_from_rfc3339(&doc.created_at).is_err()
    {
        problems.push(format!(
            "group header: CreDtTm {:?} is not an ISO date-time",
            doc.created_at
        ));
    }
    required(
        "group header: ",
        "InitgPty/Nm",
        !doc.initiating_party.is_empty(),
        problems,
    );
    if doc.payments.is_empty() {
        problems.push("the file has no PmtInf block".to_owned());
    }
    let mut seen = HashSet::new();
    let mut total_count = 0u64;
    let mut total_sum = Amount::ZERO;
    for p in &doc.payments {
        let at = format!("{}: payment block {}: ", p.at, p.payment_id);
        id(&at, "PmtInfId", &p.payment_id, problems);
        if !is_date(&p.collection_date) {
            problems.push(format!(
                "{at}ReqdColltnDt {:?} is not a date (YYYY-MM-DD)",
                p.collection_date
            ));
        }
        if !matches!(p.sequence_type.as_str(), "FRST" | "RCUR" | "OOFF" | "FNAL") {
            problems.push(format!(
                "{at}SeqTp {:?} is not FRST, RCUR, OOFF or FNAL",
                p.sequence_type
            ));
        }
        required(&at, "Cdtr/Nm", !p.creditor_name.is_empty(), problems);
        required(&at, "CdtrAcct", p.creditor_account.is_some(), problems);
        required(&at, "CdtrAgt", p.creditor_agent.is_some(), problems);
        id(&at, "CdtrSchmeId", &p.creditor_scheme_id, problems);
        if p.transactions.is_empty() {
            problems.push(format!("{at}the block has no transactions"));
        }
        let mut count = 0u64;
        let mut sum = Amount::ZERO;
        for t in &p.transactions {
            let at = format!("{}: transaction {}: ", t.at, t.end_to_end_id);
            id(&at, "EndToEndId", &t.end_to_end_id, problems);
            if !t.end_to_end_id.is_empty() && !seen.insert(t.end_to_end_id.clone()) {
                problems.push(format!("{at}EndToEndId appears more than once"));
            }
            match t.amount {
                Some(a) if a.is_positive() => sum = sum.checked_add(a).unwrap_or(sum),
                Some(a) => problems.push(format!("{at}InstdAmt {a} is not positive")),
                None => problems.push(format!("{at}InstdAmt is missing")),
            }
            match t.currency.as_deref() {
                Some("DZD") => {}
                Some(other) => problems.push(format!("{at}currency {other:?} is not DZD")),
                None => problems.push(format!("{at}InstdAmt has no Ccy")),
            }
            id(&at, "MndtId", &t.mandate_id, problems);
            if !is_date(&t.mandate_signed_on) {
                problems.push(format!(
                    "{at}DtOfSgntr {:?} is not a date (YYYY-MM-DD)",
                    t.mandate_signed_on
                ));
            }
            required(&at, "Dbtr/Nm", !t.debtor_name.is_empty(), problems);
            required(&at, "DbtrAcct", t.debtor_account.is_some(), problems);
            required(&at, "DbtrAgt", t.debtor_agent.is_some(), problems);
            if t.remittance.chars().count() > 140 {
                problems.push(format!("{at}RmtInf/Ustrd is longer than 140 characters"));
            }
            count += 1;
        }
        match p.declared_transactions {
            Some(declared) if declared == count => {}
            declared => problems.push(format!(
                "{at}NbOfTxs says {} but it holds {count} transactions",
                declared.map_or_else(|| "nothing".to_owned(), |n| n.to_string())
            )),
        }
        match p.declared_control_sum {
            Some(declared) if declared == sum => {}
            Some(declared) => problems.push(format!(
                "{at}CtrlSum says {declared} but its transactions add up to {sum}"
            )),
            None => problems.push(format!("{at}CtrlSum is missing")),
        }
        total_count += count;
        total_sum = total_sum.checked_add(sum).unwrap_or(total_sum);
    }
    match doc.declared_transactions {
        Some(declared) if declared == total_count => {}
        declared => problems.push(format!(
            "group header: NbOfTxs says {} but the file holds {total_count} transactions",
            declared.map_or_else(|| "nothing".to_owned(), |n| n.to_string())
        )),
    }
    match doc.declared_control_sum {
        Some(declared) if declared == total_sum => {}
        Some(declared) => problems.push(format!(
            "group header: CtrlSum says {declared} but the transactions add up to {total_sum}"
        )),
        None => problems.push("group header: CtrlSum is missing".to_owned()),
    }
}

/// The strict checks of a pain.001 we wrote: totals at both levels, positive DZD amounts,
/// required fields, id lengths, unique end-to-end ids, the execution date.
fn check_pain001(doc: &Pain001Document, problems: &mut Vec<String>) {
    use mandates::Amount;
    use std::collections::HashSet;

    fn id(at: &str, what: &str, value: &str, problems: &mut Vec<String>) {
        if value.trim().is_empty() {
            problems.push(format!("{at}{what} is missing"));
        } else if value.chars().count() > 35 {
            problems.push(format!("{at}{what} {value:?} is longer than 35 characters"));
        }
    }
    fn required(at: &str, what: &str, present: bool, problems: &mut Vec<String>) {
        if !present {
            problems.push(format!("{at}{what} is missing"));
        }
    }
    fn totals(
        at: &str,
        what: &str,
        declared: (Option<u64>, Option<Amount>),
        actual: (u64, Amount),
        problems: &mut Vec<String>,
    ) {
        match declared.0 {
            Some(n) if n == actual.0 => {}
            n => problems.push(format!(
                "{at}NbOfTxs says {} but {what} holds {} transactions",
                n.map_or_else(|| "nothing".to_owned(), |n| n.to_string()),
                actual.0
            )),
        }
        match declared.1 {
            Some(sum) if sum == actual.1 => {}
            Some(sum) => problems.push(format!(
                "{at}CtrlSum says {sum} but its transactions add up to {}",
                actual.1
            )),
            None => problems.push(format!("{at}CtrlSum is missing")),
        }
    }

    id("group header: ", "MsgId", &doc.message_id, problems);
    if chrono::NaiveDateTime::parse_from_str(&doc.created_at, "%Y-%m-%dT%H:%M:%S").is_err()
        && chrono::DateTime::parse_from_rfc3339(&doc.created_at).is_err()
    {
        problems.push(format!(
            "group header: CreDtTm {:?} is not an ISO date-time",
            doc.created_at
        ));
    }
    required(
        "group header: ",
        "InitgPty/Nm",
        !doc.initiating_party.is_empty(),
        problems,
    );
    if doc.payments.is_empty() {
        problems.push("the file has no PmtInf block".to_owned());
    }
    let mut seen = HashSet::new();
    let mut file = (0u64, Amount::ZERO);
    for p in &doc.payments {
        let at = format!("{}: payment block {}: ", p.at, p.payment_id);
        id(&at, "PmtInfId", &p.payment_id, problems);
        if p.payment_method != "TRF" {
            problems.push(format!("{at}PmtMtd {:?} is not TRF", p.payment_method));
        }
        if chrono::NaiveDate::parse_from_str(&p.execution_date, "%Y-%m-%d").is_err() {
            problems.push(format!(
                "{at}ReqdExctnDt {:?} is not a date (YYYY-MM-DD)",
                p.execution_date
            ));
        }
        required(&at, "Dbtr/Nm", !p.debtor_name.is_empty(), problems);
        required(&at, "DbtrAcct", p.debtor_account.is_some(), problems);
        required(&at, "DbtrAgt", p.debtor_agent.is_some(), problems);
        if p.transfers.is_empty() {
            problems.push(format!("{at}the block has no transactions"));
        }
        let mut block = (0u64, Amount::ZERO);
        for t in &p.transfers {
            let at = format!("{}: transaction {}: ", t.at, t.end_to_end_id);
            id(&at, "EndToEndId", &t.end_to_end_id, problems);
            if !t.end_to_end_id.is_empty() && !seen.insert(t.end_to_end_id.clone()) {
                problems.push(format!("{at}EndToEndId appears more than once"));
            }
            match t.amount {
                Some(a) if a.is_positive() => block.1 = block.1.checked_add(a).unwrap_or(block.1),
                Some(a) => problems.push(format!("{at}InstdAmt {a} is not positive")),
                None => problems.push(format!("{at}InstdAmt is missing")),
            }
            match t.currency.as_deref() {
                Some("DZD") => {}
                Some(other) => problems.push(format!("{at}currency {other:?} is not DZD")),
                None => problems.push(format!("{at}InstdAmt has no Ccy")),
            }
            required(&at, "Cdtr/Nm", !t.creditor_name.is_empty(), problems);
            required(&at, "CdtrAcct", t.creditor_account.is_some(), problems);
            if t.remittance.chars().count() > 140 {
                problems.push(format!("{at}RmtInf/Ustrd is longer than 140 characters"));
            }
            block.0 += 1;
        }
        totals(
            &at,
            "the block",
            (p.declared_transactions, p.declared_control_sum),
            block,
            problems,
        );
        file.0 += block.0;
        file.1 = file.1.checked_add(block.1).unwrap_or(file.1);
    }
    totals(
        "group header: ",
        "the file",
        (doc.declared_transactions, doc.declared_control_sum),
        file,
        problems,
    );
}

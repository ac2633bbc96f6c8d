//! camt.052 / camt.053 / camt.054 (account report, statement, debit/credit notification),
//! versions 001.02 to 001.08: entries and their transaction details, with the ids that link
//! them back to our debits (EndToEndId, MndtId) and the return reason.

use std::io::BufRead;

use mandates::Amount;

use super::optional_id;
use super::pain008::parse_amount;
use super::xml::{MAX4, MAX35, MAX500, Source, Step, Walker, XmlError, is_utf8};

/// Which camt message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CamtKind {
    AccountReport,
    Statement,
    Notification,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CamtMessage {
    pub kind: CamtKind,
    /// e.g. "camt.054.001.02".
    pub version: String,
    pub message_id: String,
    pub entries: Vec<Entry>,
}

/// One booked (or pending) entry on the account.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Entry {
    pub reference: Option<String>,
    pub amount: Option<Amount>,
    pub currency: Option<String>,
    /// "CRDT" or "DBIT".
    pub credit_debit: Option<String>,
    pub reversal: bool,
    /// "BOOK", "PDNG", "INFO" (enum in .02, `Sts/Cd` in .08).
    pub status: Option<String>,
    pub booking_date: Option<String>,
    pub bank_transaction_code: Option<String>,
    pub additional_info: Option<String>,
    pub transactions: Vec<EntryTransaction>,
}

/// One transaction inside an entry (`NtryDtls/TxDtls`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct EntryTransaction {
    pub end_to_end_id: Option<String>,
    pub mandate_id: Option<String>,
    pub payment_info_id: Option<String>,
    /// The transaction's amount: `TxDtls/Amt`, else `AmtDtls/TxAmt/Amt`, else the
    /// instructed amount `AmtDtls/InstdAmt/Amt` (the entry's own `Amt` is the fallback of
    /// an entry with one transaction, applied by its users).
    pub amount: Option<Amount>,
    /// The `Ccy` of the amount taken.
    pub currency: Option<String>,
    pub instructed_amount: Option<Amount>,
    pub credit_debit: Option<String>,
    pub return_reason: Option<String>,
    pub additional_info: Option<String>,
}

fn kind_of(root_child: &str) -> Option<CamtKind> {
    match super::unversioned(root_child) {
        "BkToCstmrAcctRpt" => Some(CamtKind::AccountReport),
        "BkToCstmrStmt" => Some(CamtKind::Statement),
        "BkToCstmrDbtCdtNtfctn" => Some(CamtKind::Notification),
        _ => None,
    }
}

/// Reads a camt.052/053/054 (namespace ignored), keeping every entry.
pub fn read_camt<R: BufRead>(input: R) -> Result<CamtMessage, XmlError> {
    collect(Walker::new(input))
}

/// Reads a camt message already in memory (faster: no copying), keeping every entry.
pub fn read_camt_slice(bytes: &[u8]) -> Result<CamtMessage, XmlError> {
    if is_utf8(bytes) {
        collect(Walker::slice(bytes))
    } else {
        // Decoded as it is read (UTF-16, ISO-8859-1, …).
        collect(Walker::new(bytes))
    }
}

fn collect<S: Source>(walker: Walker<S>) -> Result<CamtMessage, XmlError> {
    let mut entries = Vec::new();
    let header = walk_entries(walker, |entry| {
        entries.push(entry);
        Ok(())
    })?;
    Ok(CamtMessage {
        kind: header.kind,
        version: header.version,
        message_id: header.message_id,
        entries,
    })
}

/// What a camt message says about itself (everything but its entries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CamtHeader {
    pub kind: CamtKind,
    pub version: String,
    pub message_id: String,
}

/// Streams the entries of a camt.052/053/054 to `on_entry` as they are read, so a
/// 100,000-entry report needs memory for one entry at a time. `on_entry` may stop the
/// read by returning an error.
pub fn for_each_camt_entry<R: BufRead>(
    input: R,
    on_entry: impl FnMut(Entry) -> Result<(), XmlError>,
) -> Result<CamtHeader, XmlError> {
    walk_entries(Walker::new(input), on_entry)
}

/// As [`for_each_camt_entry`], over a report already in memory (about twice as fast).
pub fn for_each_camt_entry_in(
    bytes: &[u8],
    on_entry: impl FnMut(Entry) -> Result<(), XmlError>,
) -> Result<CamtHeader, XmlError> {
    if is_utf8(bytes) {
        walk_entries(Walker::slice(bytes), on_entry)
    } else {
        walk_entries(Walker::new(bytes), on_entry)
    }
}

fn walk_entries<S: Source>(
    mut walker: Walker<S>,
    mut on_entry: impl FnMut(Entry) -> Result<(), XmlError>,
) -> Result<CamtHeader, XmlError> {
    let mut kind = None;
    let mut namespace = None;
    let mut message_id = String::new();
    let mut entry: Option<Entry> = None;
    let mut tx: Option<EntryTransaction> = None;
    // Of the transaction being read: its amount came from `TxDtls/Amt`; the instructed
    // amount's currency.
    let mut tx_amount_direct = false;
    let mut instructed_currency: Option<String> = None;
    loop {
        match walker.next()? {
            Step::Eof => break,
            Step::Open { xmlns, .. } => {
                if walker.depth() == 1 {
                    namespace = xmlns;
                }
                if walker.depth() == 2 {
                    kind = kind_of(walker.current());
                }
                match walker.current() {
                    "Ntry" => entry = Some(Entry::default()),
                    "TxDtls" if entry.is_some() => {
                        tx = Some(EntryTransaction::default());
                        tx_amount_direct = false;
                        instructed_currency = None;
                    }
                    _ => {}
                }
            }
            Step::Close => {
                // Text is looked at only where it is kept (most elements are containers).
                let text = || walker.text();
                // Dispatch on the leaf name first: one string match instead of a chain of
                // path comparisons per element (this is the hot loop of a big import).
                let leaf = walker.current();
                if let Some(t) = tx.as_mut() {
                    match leaf {
                        "EndToEndId" if walker.at(&["TxDtls", "Refs", "EndToEndId"]) => {
                            t.end_to_end_id = optional_id(walker.field(MAX35)?);
                        }
                        "MndtId" if walker.at(&["TxDtls", "Refs", "MndtId"]) => {
                            t.mandate_id = optional_id(walker.field(MAX35)?);
                        }
                        "PmtInfId" if walker.at(&["TxDtls", "Refs", "PmtInfId"]) => {
                            t.payment_info_id = optional_id(walker.field(MAX35)?);
                        }
                        "Amt" => {
                            // Precedence: TxDtls/Amt, then AmtDtls/TxAmt, then InstdAmt
                            // (whatever their order in the file).
                            let direct = walker.at(&["TxDtls", "Amt"]);
                            if direct
                                || (!tx_amount_direct
                                    && walker.at(&["TxDtls", "AmtDtls", "TxAmt", "Amt"]))
                            {
                                t.amount = Some(parse_amount(&walker, text())?);
                                t.currency = walker.last_ccy().map(str::to_owned);
                                tx_amount_direct |= direct;
                            } else if walker.at(&["TxDtls", "AmtDtls", "InstdAmt", "Amt"]) {
                                t.instructed_amount = Some(parse_amount(&walker, text())?);
                                instructed_currency = walker.last_ccy().map(str::to_owned);
                            }
                        }
                        "CdtDbtInd" if walker.at(&["TxDtls", "CdtDbtInd"]) => {
                            t.credit_debit = Some(walker.field(MAX4)?.to_owned());
                        }
                        "Cd" | "Prtry" if walker.at(&["RtrInf", "Rsn", leaf]) => {
                            let text = walker.field(MAX35)?;
                            t.return_reason = (!text.is_empty()).then(|| text.to_owned());
                        }
                        "AddtlTxInf" if walker.at(&["TxDtls", "AddtlTxInf"]) => {
                            t.additional_info = Some(walker.field(MAX500)?.to_owned());
                        }
                        "TxDtls" => {
                            if let Some(mut t) = tx.take() {
                                if t.amount.is_none() {
                                    t.amount = t.instructed_amount;
                                    t.currency = instructed_currency.take();
                                }
                                if let Some(e) = entry.as_mut() {
                                    e.transactions.push(t);
                                }
                            }
                        }
                        _ => {}
                    }
                } else if let Some(e) = entry.as_mut() {
                    match leaf {
                        "NtryRef" if walker.at(&["Ntry", "NtryRef"]) => {
                            e.reference = Some(walker.field(MAX35)?.to_owned())
                        }
                        "Amt" if walker.at(&["Ntry", "Amt"]) => {
                            e.amount = Some(parse_amount(&walker, text())?);
                            e.currency = walker.last_ccy().map(str::to_owned);
                        }
                        "CdtDbtInd" if walker.at(&["Ntry", "CdtDbtInd"]) => {
                            e.credit_debit = Some(walker.field(MAX4)?.to_owned());
                        }
                        "RvslInd" if walker.at(&["Ntry", "RvslInd"]) => {
                            e.reversal = matches!(text(), "true" | "1");
                        }
                        // An enum in .02 (`<Sts>BOOK</Sts>`), a choice in .08 (`<Sts><Cd>BOOK</Cd></Sts>`).
                        "Sts" if walker.at(&["Ntry", "Sts"]) && !text().is_empty() => {
                            e.status = Some(walker.field(MAX35)?.to_owned());
                        }
                        "Cd" | "Prtry" if walker.at(&["Ntry", "Sts", leaf]) => {
                            e.status = Some(walker.field(MAX35)?.to_owned())
                        }
                        "Dt" | "DtTm" if walker.at(&["Ntry", "BookgDt", leaf]) => {
                            e.booking_date = Some(walker.field(MAX35)?.to_owned());
                        }
                        "SubFmlyCd" if walker.at(&["BkTxCd", "Domn", "Fmly", "SubFmlyCd"]) => {
                            e.bank_transaction_code = Some(walker.field(MAX35)?.to_owned());
                        }
                        "AddtlNtryInf" if walker.at(&["Ntry", "AddtlNtryInf"]) => {
                            e.additional_info = Some(walker.field(MAX500)?.to_owned());
                        }
                        "Ntry" => {
                            if let Some(e) = entry.take() {
                                on_entry(e)?;
                            }
                        }
                        _ => {}
                    }
                } else if leaf == "MsgId" && walker.at(&["GrpHdr", "MsgId"]) {
                    message_id = walker.field(MAX35)?.to_owned();
                }
            }
        }
    }
    let Some(kind) = kind else {
        return Err(XmlError::Content {
            position: walker.position(),
            message: "no BkToCstmrStmt, BkToCstmrDbtCdtNtfctn or BkToCstmrAcctRpt element: this is not a camt report".to_owned(),
        });
    };
    let family = match kind {
        CamtKind::AccountReport => "camt.052",
        CamtKind::Statement => "camt.053",
        CamtKind::Notification => "camt.054",
    };
    let version = super::version_for(family, namespace.as_deref());
    Ok(CamtHeader {
        kind,
        version,
        message_id,
    })
}

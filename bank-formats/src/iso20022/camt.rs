//! camt.052 / camt.053 / camt.054 (account report, statement, debit/credit notification),
//! versions 001.02 to 001.08: entries and their transaction details, with the ids that link
//! them back to our debits (EndToEndId, MndtId) and the return reason, and what says what
//! an entry means: its credit/debit indicator, status, booking and value dates, bank
//! transaction code, amounts with their currency (any number of decimals: an amount that is
//! not a whole number of centimes is kept as written, never a reason to refuse the file),
//! and for incoming credits the debtor, its account and the remittance information.

use std::io::BufRead;

use mandates::Amount;

use super::optional_id;
use super::pain008::parse_amount;
use super::xml::{MAX4, MAX35, MAX140, MAX500, Source, Step, Walker, XmlError, is_utf8};

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
    /// `AcctSvcrRef`: the bank's own reference of the entry (unique on the account).
    pub account_servicer_reference: Option<String>,
    /// The amount when it is a whole number of hundredths (of any currency); else `None`
    /// and the text is in `amount_text`.
    pub amount: Option<Amount>,
    /// The amount as written when it is not in DZD, or not a whole number of hundredths (a
    /// 3-decimal currency such as KWD, TND or LYD): kept verbatim, never rounded.
    pub amount_text: Option<String>,
    pub currency: Option<String>,
    /// "CRDT" or "DBIT".
    pub credit_debit: Option<String>,
    pub reversal: bool,
    /// "BOOK", "PDNG", "INFO" (enum in .02, `Sts/Cd` in .08).
    pub status: Option<String>,
    pub booking_date: Option<String>,
    /// `ValDt/Dt` (or `DtTm`): when the amount counts for interest.
    pub value_date: Option<String>,
    /// `BkTxCd/Domn/Cd` and `BkTxCd/Domn/Fmly/Cd`: e.g. PMNT and IDDT (issued direct
    /// debits, ours) or RCDT (received credit transfers, not ours).
    pub bank_transaction_domain: Option<String>,
    pub bank_transaction_family: Option<String>,
    /// `BkTxCd/Domn/Fmly/SubFmlyCd`: e.g. ESDD, UPDD (unpaid), PRDD (reversed).
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
    /// instructed amount `AmtDtls/InstdAmt/Amt`, whatever their order in the file (the
    /// entry's own `Amt` is the fallback of an entry with one transaction, applied by its
    /// users); when it is a whole number of hundredths (else `None`, and `amount_text`).
    pub amount: Option<Amount>,
    /// The instructed amount (`AmtDtls/InstdAmt/Amt`) when it is a whole number of
    /// hundredths.
    pub instructed_amount: Option<Amount>,
    /// The amount taken, as written, when it is not in DZD or not a whole number of
    /// hundredths.
    pub amount_text: Option<String>,
    /// The `Ccy` of the amount taken (by the precedence above).
    pub currency: Option<String>,
    pub credit_debit: Option<String>,
    pub return_reason: Option<String>,
    pub additional_info: Option<String>,
    /// `RltdPties/Cdtr/…/Othr/Id`: the creditor identifier of a direct debit (ours, or
    /// another creditor's).
    pub creditor_id: Option<String>,
    /// `RltdPties/Dbtr/Nm`: who paid (an incoming credit) or was debited.
    pub debtor_name: Option<String>,
    /// `RltdPties/DbtrAcct/Id/IBAN` or `…/Othr/Id`. An account number: never print or log
    /// it in clear.
    pub debtor_account: Option<String>,
    /// `RmtInf/Ustrd` (several joined by a space) and `RmtInf/Strd/CdtrRefInf/Ref`.
    pub remittance: Option<String>,
}

/// An amount as read: in hundredths when it is a whole number of them (`None` else), and
/// as written when it is not DZD or not a whole number of hundredths.
struct ReadAmount {
    exact: Option<Amount>,
    written: Option<String>,
}

/// Reads an amount of any currency: a whole number of hundredths becomes an `Amount`; an
/// amount in another currency than DZD, or with more decimals (KWD, TND and LYD have
/// three), is also kept as written; only text that is not a decimal number at all is an
/// error.
fn read_amount<S: Source>(
    walker: &Walker<S>,
    text: &str,
    currency: Option<&str>,
) -> Result<ReadAmount, XmlError> {
    let foreign = currency.is_some_and(|c| !c.eq_ignore_ascii_case("DZD"));
    let written = || Some(text.chars().take(40).collect::<String>());
    match Amount::parse(text) {
        Ok(amount) => Ok(ReadAmount {
            exact: Some(amount),
            written: if foreign { written() } else { None },
        }),
        Err(mandates::AmountError::TooPrecise(_)) => Ok(ReadAmount {
            exact: None,
            written: written(),
        }),
        Err(_) => parse_amount(walker, text).map(|amount| ReadAmount {
            exact: Some(amount),
            written: None,
        }),
    }
}

/// Joins a repeated free-text element (`Ustrd`) to what was read before, bounded.
fn append(to: &mut Option<String>, text: &str) {
    if text.is_empty() {
        return;
    }
    match to {
        Some(kept) if kept.len() < MAX500 => {
            kept.push(' ');
            kept.push_str(text);
            if kept.len() > MAX500 {
                let cut = (0..=MAX500)
                    .rev()
                    .find(|&i| kept.is_char_boundary(i))
                    .unwrap_or(0);
                kept.truncate(cut);
            }
        }
        Some(_) => {}
        None => *to = Some(text.to_owned()),
    }
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
    // Of the transaction being read: the rank of the amount taken so far (0 none,
    // 1 `InstdAmt`, 2 `AmtDtls/TxAmt`, 3 `TxDtls/Amt`).
    let mut tx_amount_rank = 0u8;
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
                        tx_amount_rank = 0;
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
                            // (whatever their order in the file); the currency and the
                            // verbatim text follow the amount taken.
                            let rank = if walker.at(&["TxDtls", "Amt"]) {
                                3
                            } else if walker.at(&["TxDtls", "AmtDtls", "TxAmt", "Amt"]) {
                                2
                            } else if walker.at(&["TxDtls", "AmtDtls", "InstdAmt", "Amt"]) {
                                1
                            } else {
                                0
                            };
                            if rank > 0 {
                                let ccy = walker.last_ccy().map(str::to_owned);
                                let read = read_amount(&walker, text(), ccy.as_deref())?;
                                if rank == 1 {
                                    t.instructed_amount = read.exact;
                                }
                                if rank >= tx_amount_rank {
                                    t.amount = read.exact;
                                    t.amount_text = read.written;
                                    t.currency = ccy;
                                    tx_amount_rank = rank;
                                }
                            }
                        }
                        // .02–.06 `Cdtr/Id/…`, .07+ `Cdtr/Pty/Id/…`.
                        "Id" if walker.inside("RltdPties")
                            && (walker.at(&["Cdtr", "Id", "PrvtId", "Othr", "Id"])
                                || walker.at(&["Cdtr", "Id", "OrgId", "Othr", "Id"])
                                || walker.at(&["Cdtr", "Pty", "Id", "PrvtId", "Othr", "Id"])
                                || walker.at(&["Cdtr", "Pty", "Id", "OrgId", "Othr", "Id"])) =>
                        {
                            t.creditor_id = Some(walker.field(MAX35)?.to_owned());
                        }
                        "Nm" if walker.at(&["RltdPties", "Dbtr", "Nm"])
                            || walker.at(&["RltdPties", "Dbtr", "Pty", "Nm"]) =>
                        {
                            t.debtor_name = Some(walker.field(MAX140)?.to_owned());
                        }
                        "IBAN" | "Id"
                            if walker.at(&["RltdPties", "DbtrAcct", "Id", "IBAN"])
                                || walker.at(&["RltdPties", "DbtrAcct", "Id", "Othr", "Id"]) =>
                        {
                            t.debtor_account = Some(walker.field(MAX35)?.to_owned());
                        }
                        "Ustrd" if walker.at(&["RmtInf", "Ustrd"]) => {
                            append(&mut t.remittance, walker.field(MAX140)?);
                        }
                        "Ref" if walker.at(&["RmtInf", "Strd", "CdtrRefInf", "Ref"]) => {
                            append(&mut t.remittance, walker.field(MAX35)?);
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
                            if let Some(t) = tx.take()
                                && let Some(e) = entry.as_mut()
                            {
                                e.transactions.push(t);
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
                            e.currency = walker.last_ccy().map(str::to_owned);
                            let read = read_amount(&walker, text(), e.currency.as_deref())?;
                            e.amount = read.exact;
                            e.amount_text = read.written;
                        }
                        "AcctSvcrRef" if walker.at(&["Ntry", "AcctSvcrRef"]) => {
                            e.account_servicer_reference = Some(walker.field(MAX35)?.to_owned())
                        }
                        "Dt" | "DtTm" if walker.at(&["Ntry", "ValDt", leaf]) => {
                            e.value_date = Some(walker.field(MAX35)?.to_owned());
                        }
                        "Cd" if walker.at(&["Ntry", "BkTxCd", "Domn", "Cd"]) => {
                            e.bank_transaction_domain = Some(walker.field(MAX4)?.to_owned());
                        }
                        "Cd" if walker.at(&["Ntry", "BkTxCd", "Domn", "Fmly", "Cd"]) => {
                            e.bank_transaction_family = Some(walker.field(MAX4)?.to_owned());
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

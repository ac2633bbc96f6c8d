//! pain.002 (CustomerPaymentStatusReport), versions 001.03 to 001.14 and national variants
//! of the same structure: statuses and reasons at group, payment-block and transaction level.

use std::io::BufRead;

use mandates::Amount;

use super::optional_id;
use super::pain008::parse_amount;
use super::xml::{MAX35, Source, Step, Walker, XmlError, is_utf8};

/// A status report as sent by the bank.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StatusReport {
    /// e.g. "pain.002.001.03", from the namespace (national variants keep their base name).
    pub version: String,
    pub message_id: String,
    pub original_message_id: Option<String>,
    pub original_message_name: Option<String>,
    pub group_status: Option<String>,
    pub group_reasons: Vec<String>,
    pub payments: Vec<PaymentStatus>,
}

/// One original payment block (PmtInf) and the statuses of its listed transactions.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PaymentStatus {
    /// None for transactions reported outside any payment block.
    pub original_payment_id: Option<String>,
    pub status: Option<String>,
    pub reasons: Vec<String>,
    pub transactions: Vec<TransactionStatus>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TransactionStatus {
    pub original_end_to_end_id: Option<String>,
    pub status: Option<String>,
    pub reasons: Vec<String>,
    pub amount: Option<Amount>,
    pub mandate_id: Option<String>,
}

impl StatusReport {
    /// The status and reason that apply to a listed transaction: its own status, else its
    /// payment block's, else the group's. The reason is the transaction's own, else that of
    /// the nearest level above whose status is the same one (or unstated): a group `PART`
    /// with reason X does not lend X to a transaction it reports as `ACSC`.
    pub fn effective(
        &self,
        payment: &PaymentStatus,
        transaction: &TransactionStatus,
    ) -> (Option<String>, Option<String>) {
        let status = transaction
            .status
            .clone()
            .or_else(|| payment.status.clone())
            .or_else(|| self.group_status.clone());
        let same = |level: &Option<String>| level.is_none() || *level == status;
        let reason = transaction
            .reasons
            .first()
            .or_else(|| payment.reasons.first().filter(|_| same(&payment.status)))
            .or_else(|| {
                self.group_reasons
                    .first()
                    .filter(|_| same(&payment.status) && same(&self.group_status))
            })
            .cloned();
        (status, reason)
    }

    /// The status and reason of a payment block: its own, else the group's.
    pub fn effective_payment(&self, payment: &PaymentStatus) -> (Option<String>, Option<String>) {
        let status = payment.status.clone().or_else(|| self.group_status.clone());
        let reason = payment
            .reasons
            .first()
            .or_else(|| {
                self.group_reasons
                    .first()
                    .filter(|_| self.group_status.is_none() || self.group_status == status)
            })
            .cloned();
        (status, reason)
    }
}

/// Reads a pain.002 (namespace ignored).
pub fn read_pain002<R: BufRead>(input: R) -> Result<StatusReport, XmlError> {
    read_pain002_from(Walker::new(input))
}

/// Reads a pain.002 already in memory (faster: no copying).
pub fn read_pain002_slice(bytes: &[u8]) -> Result<StatusReport, XmlError> {
    if is_utf8(bytes) {
        read_pain002_from(Walker::slice(bytes))
    } else {
        // Decoded as it is read (UTF-16, ISO-8859-1, …).
        read_pain002_from(Walker::new(bytes))
    }
}

fn read_pain002_from<S: Source>(mut walker: Walker<S>) -> Result<StatusReport, XmlError> {
    let mut report = StatusReport::default();
    let mut payment: Option<PaymentStatus> = None;
    let mut transaction: Option<TransactionStatus> = None;
    let mut loose = PaymentStatus::default();
    let mut saw_root = false;
    loop {
        match walker.next()? {
            Step::Eof => break,
            Step::Open { xmlns, .. } => {
                if walker.depth() == 1 {
                    report.version = super::version_for("pain.002", xmlns.as_deref());
                }
                match walker.current() {
                    "CstmrPmtStsRpt" | "PmtStsRpt" => saw_root = true,
                    "OrgnlPmtInfAndSts" => payment = Some(PaymentStatus::default()),
                    "TxInfAndSts" => transaction = Some(TransactionStatus::default()),
                    _ => {}
                }
            }
            Step::Close => {
                let text = walker.text();
                let reason = walker.at(&["StsRsnInf", "Rsn", "Cd"])
                    || walker.at(&["StsRsnInf", "Rsn", "Prtry"]);
                if let Some(t) = transaction.as_mut() {
                    if walker.at(&["TxInfAndSts", "OrgnlEndToEndId"]) {
                        t.original_end_to_end_id = optional_id(walker.field(MAX35)?);
                    } else if walker.at(&["TxInfAndSts", "TxSts"]) {
                        t.status = Some(walker.field(MAX35)?.to_owned());
                    } else if reason && !text.is_empty() {
                        t.reasons.push(walker.field(MAX35)?.to_owned());
                    } else if walker.at(&["OrgnlTxRef", "Amt", "InstdAmt"]) {
                        t.amount = Some(parse_amount(&walker, text)?);
                    } else if walker.at(&["OrgnlTxRef", "MndtRltdInf", "MndtId"]) {
                        t.mandate_id = optional_id(walker.field(MAX35)?);
                    } else if walker.current() == "TxInfAndSts"
                        && let Some(t) = transaction.take()
                    {
                        payment.as_mut().unwrap_or(&mut loose).transactions.push(t);
                    }
                } else if let Some(p) = payment.as_mut() {
                    if walker.at(&["OrgnlPmtInfAndSts", "OrgnlPmtInfId"]) {
                        p.original_payment_id = optional_id(walker.field(MAX35)?);
                    } else if walker.at(&["OrgnlPmtInfAndSts", "PmtInfSts"]) {
                        p.status = Some(walker.field(MAX35)?.to_owned());
                    } else if reason && !text.is_empty() {
                        p.reasons.push(walker.field(MAX35)?.to_owned());
                    } else if walker.current() == "OrgnlPmtInfAndSts"
                        && let Some(p) = payment.take()
                    {
                        report.payments.push(p);
                    }
                } else if walker.at(&["GrpHdr", "MsgId"]) {
                    report.message_id = walker.field(MAX35)?.to_owned();
                } else if walker.at(&["OrgnlGrpInfAndSts", "OrgnlMsgId"]) {
                    report.original_message_id = optional_id(walker.field(MAX35)?);
                } else if walker.at(&["OrgnlGrpInfAndSts", "OrgnlMsgNmId"]) {
                    report.original_message_name = Some(walker.field(MAX35)?.to_owned());
                } else if walker.at(&["OrgnlGrpInfAndSts", "GrpSts"]) {
                    report.group_status = Some(walker.field(MAX35)?.to_owned());
                } else if reason && walker.inside("OrgnlGrpInfAndSts") && !text.is_empty() {
                    report.group_reasons.push(walker.field(MAX35)?.to_owned());
                }
            }
        }
    }
    if !saw_root {
        return Err(XmlError::Content {
            position: walker.position(),
            message: "no CstmrPmtStsRpt element: this is not a pain.002 status report".to_owned(),
        });
    }
    if !loose.transactions.is_empty() {
        report.payments.push(loose);
    }
    Ok(report)
}

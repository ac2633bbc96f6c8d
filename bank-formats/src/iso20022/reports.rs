//! Writers for the reports a bank sends back — pain.002.001.03 status reports and
//! camt.054.001.02 notifications — from the same models the readers produce. Used by the
//! simulated bank, and by tests that need realistic reports; what they write validates
//! against the official XSDs and reads back to the same model.

use std::io::Write;

use chrono::NaiveDateTime;
use mandates::Amount;

use super::camt::Entry;
use super::pain002::StatusReport;
use super::pain008::WriteError;
use super::xml::{element, escape};

fn amount(out: &mut String, tag: &str, value: Amount, currency: &str) {
    out.push('<');
    out.push_str(tag);
    out.push_str(" Ccy=\"");
    escape(currency, out);
    out.push_str("\">");
    out.push_str(&value.to_string());
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// A reason code as ISO writes it: up to 4 characters in `Cd`, anything else in `Prtry`.
fn reason_code(out: &mut String, code: &str) {
    if (1..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        element(out, "Cd", code);
    } else {
        element(out, "Prtry", &code.chars().take(35).collect::<String>());
    }
}

fn reason(out: &mut String, code: &str) {
    out.push_str("<StsRsnInf><Rsn>");
    reason_code(out, code);
    out.push_str("</Rsn></StsRsnInf>");
}

/// Writes a pain.002.001.03 status report for `report` (its `version` is not consulted).
pub fn write_pain002<W: Write>(
    mut out: W,
    report: &StatusReport,
    created_at: NaiveDateTime,
    bank_name: &str,
) -> Result<W, WriteError> {
    let mut s = String::with_capacity(4096);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.03\">\n<CstmrPmtStsRpt>\n<GrpHdr>");
    element(&mut s, "MsgId", &report.message_id);
    element(
        &mut s,
        "CreDtTm",
        &created_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
    );
    s.push_str("<InitgPty>");
    element(&mut s, "Nm", bank_name);
    s.push_str("</InitgPty></GrpHdr>\n<OrgnlGrpInfAndSts>");
    element(
        &mut s,
        "OrgnlMsgId",
        report.original_message_id.as_deref().unwrap_or("UNKNOWN"),
    );
    element(
        &mut s,
        "OrgnlMsgNmId",
        report
            .original_message_name
            .as_deref()
            .unwrap_or("pain.008.001.02"),
    );
    if let Some(status) = &report.group_status {
        element(&mut s, "GrpSts", status);
    }
    for code in &report.group_reasons {
        reason(&mut s, code);
    }
    s.push_str("</OrgnlGrpInfAndSts>\n");
    for payment in &report.payments {
        s.push_str("<OrgnlPmtInfAndSts>");
        element(
            &mut s,
            "OrgnlPmtInfId",
            payment.original_payment_id.as_deref().unwrap_or("UNKNOWN"),
        );
        if let Some(status) = &payment.status {
            element(&mut s, "PmtInfSts", status);
        }
        for code in &payment.reasons {
            reason(&mut s, code);
        }
        for tx in &payment.transactions {
            s.push_str("<TxInfAndSts>");
            if let Some(id) = &tx.original_end_to_end_id {
                element(&mut s, "OrgnlEndToEndId", id);
            }
            if let Some(status) = &tx.status {
                element(&mut s, "TxSts", status);
            }
            for code in &tx.reasons {
                reason(&mut s, code);
            }
            if tx.amount.is_some() || tx.mandate_id.is_some() {
                s.push_str("<OrgnlTxRef>");
                if let Some(value) = tx.amount {
                    s.push_str("<Amt>");
                    amount(&mut s, "InstdAmt", value, "DZD");
                    s.push_str("</Amt>");
                }
                if let Some(mandate) = &tx.mandate_id {
                    s.push_str("<MndtRltdInf>");
                    element(&mut s, "MndtId", mandate);
                    s.push_str("</MndtRltdInf>");
                }
                s.push_str("</OrgnlTxRef>");
            }
            s.push_str("</TxInfAndSts>\n");
            if s.len() > 64 * 1024 {
                out.write_all(s.as_bytes())?;
                s.clear();
            }
        }
        s.push_str("</OrgnlPmtInfAndSts>\n");
    }
    s.push_str("</CstmrPmtStsRpt>\n</Document>\n");
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(out)
}

/// Streams a camt.054.001.02 debit/credit notification, one entry at a time.
#[derive(Debug)]
pub struct Camt054Writer<W: Write> {
    out: W,
    scratch: String,
    currency: String,
}

impl<W: Write> Camt054Writer<W> {
    /// Starts the notification of `account` (a 20-digit RIB/RIP, or an IBAN).
    pub fn new(
        out: W,
        message_id: &str,
        created_at: NaiveDateTime,
        account: &str,
        currency: &str,
    ) -> Result<Camt054Writer<W>, WriteError> {
        let mut writer = Camt054Writer {
            out,
            scratch: String::with_capacity(64 * 1024),
            currency: currency.to_owned(),
        };
        let created = created_at.format("%Y-%m-%dT%H:%M:%S").to_string();
        let s = &mut writer.scratch;
        s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.02\">\n<BkToCstmrDbtCdtNtfctn>\n<GrpHdr>");
        element(s, "MsgId", message_id);
        element(s, "CreDtTm", &created);
        s.push_str("</GrpHdr>\n<Ntfctn>");
        element(s, "Id", message_id);
        element(s, "CreDtTm", &created);
        s.push_str("<Acct><Id>");
        if account.len() == 20 && account.bytes().all(|b| b.is_ascii_digit()) {
            s.push_str("<Othr>");
            element(s, "Id", account);
            s.push_str("</Othr>");
        } else {
            element(s, "IBAN", account);
        }
        s.push_str("</Id></Acct>\n");
        writer.flush_scratch()?;
        Ok(writer)
    }

    fn flush_scratch(&mut self) -> Result<(), WriteError> {
        self.out.write_all(self.scratch.as_bytes())?;
        self.scratch.clear();
        Ok(())
    }

    /// Writes one entry with its transaction details.
    pub fn entry(&mut self, entry: &Entry) -> Result<(), WriteError> {
        let currency = entry
            .currency
            .clone()
            .unwrap_or_else(|| self.currency.clone());
        let s = &mut self.scratch;
        s.push_str("<Ntry>");
        if let Some(reference) = &entry.reference {
            element(s, "NtryRef", reference);
        }
        match (&entry.amount, &entry.amount_text) {
            (None, Some(text)) => {
                s.push_str("<Amt Ccy=\"");
                escape(&currency, s);
                s.push_str("\">");
                escape(text, s);
                s.push_str("</Amt>");
            }
            (amount_value, _) => amount(s, "Amt", amount_value.unwrap_or(Amount::ZERO), &currency),
        }
        element(
            s,
            "CdtDbtInd",
            entry.credit_debit.as_deref().unwrap_or("CRDT"),
        );
        if entry.reversal {
            element(s, "RvslInd", "true");
        }
        element(s, "Sts", entry.status.as_deref().unwrap_or("BOOK"));
        if let Some(date) = &entry.booking_date {
            s.push_str("<BookgDt>");
            element(s, "Dt", date);
            s.push_str("</BookgDt>");
        }
        if let Some(date) = &entry.value_date {
            s.push_str("<ValDt>");
            element(s, "Dt", date);
            s.push_str("</ValDt>");
        }
        if let Some(reference) = &entry.account_servicer_reference {
            element(s, "AcctSvcrRef", reference);
        }
        s.push_str("<BkTxCd>");
        if let Some(code) = &entry.bank_transaction_code {
            s.push_str("<Domn>");
            element(
                s,
                "Cd",
                entry.bank_transaction_domain.as_deref().unwrap_or("PMNT"),
            );
            s.push_str("<Fmly>");
            element(
                s,
                "Cd",
                entry.bank_transaction_family.as_deref().unwrap_or("IDDT"),
            );
            element(s, "SubFmlyCd", code);
            s.push_str("</Fmly></Domn>");
        }
        s.push_str("</BkTxCd>");
        if !entry.transactions.is_empty() {
            s.push_str("<NtryDtls>");
            for tx in &entry.transactions {
                let currency = tx.currency.as_deref().unwrap_or(&currency);
                s.push_str("<TxDtls>");
                if tx.end_to_end_id.is_some()
                    || tx.mandate_id.is_some()
                    || tx.payment_info_id.is_some()
                {
                    s.push_str("<Refs>");
                    if let Some(id) = &tx.payment_info_id {
                        element(s, "PmtInfId", id);
                    }
                    if let Some(id) = &tx.end_to_end_id {
                        element(s, "EndToEndId", id);
                    }
                    if let Some(id) = &tx.mandate_id {
                        element(s, "MndtId", id);
                    }
                    s.push_str("</Refs>");
                }
                if tx.amount.is_some() || tx.instructed_amount.is_some() {
                    s.push_str("<AmtDtls>");
                    if let Some(value) = tx.instructed_amount {
                        s.push_str("<InstdAmt>");
                        amount(s, "Amt", value, currency);
                        s.push_str("</InstdAmt>");
                    }
                    if let Some(value) = tx.amount {
                        s.push_str("<TxAmt>");
                        amount(s, "Amt", value, currency);
                        s.push_str("</TxAmt>");
                    }
                    s.push_str("</AmtDtls>");
                }
                if let Some(code) = &tx.return_reason {
                    s.push_str("<RtrInf><Rsn>");
                    if (1..=4).contains(&code.len())
                        && code.bytes().all(|b| b.is_ascii_alphanumeric())
                    {
                        element(s, "Cd", code);
                    } else {
                        element(s, "Prtry", &code.chars().take(35).collect::<String>());
                    }
                    s.push_str("</Rsn></RtrInf>");
                }
                if let Some(info) = &tx.additional_info {
                    element(s, "AddtlTxInf", &info.chars().take(500).collect::<String>());
                }
                s.push_str("</TxDtls>");
            }
            s.push_str("</NtryDtls>");
        }
        if let Some(info) = &entry.additional_info {
            element(
                s,
                "AddtlNtryInf",
                &info.chars().take(500).collect::<String>(),
            );
        }
        s.push_str("</Ntry>\n");
        if self.scratch.len() > 60 * 1024 {
            self.flush_scratch()?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<W, WriteError> {
        self.scratch
            .push_str("</Ntfctn>\n</BkToCstmrDbtCdtNtfctn>\n</Document>\n");
        self.flush_scratch()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

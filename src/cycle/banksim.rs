//! The simulated bank (`tahsil bank-sim`): answers each debit file in an outbox with the
//! reports a real bank or Algérie Poste would send, in the same family — for pain.008 a
//! pain.002 (rejects before settlement) and a camt.054 (credits booked, returns after
//! settlement); for a fixed-width debit layout its return layout; for a pain.001 (a
//! refund batch) a pain.002 accepting each transfer or rejecting it. Which debits and
//! transfers fail, and why, is decided by a hash of the seed and the EndToEndId: the same
//! files and seed give the same reports.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use bank_formats::iso20022::{
    Camt054Writer, Entry, EntryTransaction, PaymentStatus, StatusReport, TransactionStatus,
    read_pain001_slice, read_pain008_slice, write_pain002,
};
use bank_formats::layout::{
    Layout, ReturnFileHeader, ReturnFileWriter, ReturnRecord, ReturnStatus, read_debit_file,
};
use bank_formats::reasons::ReasonCategory;
use chrono::{NaiveDate, NaiveDateTime};
use mandates::Amount;

use super::exchange;

/// How the simulated bank behaves.
#[derive(Clone, Debug)]
pub struct BankSim {
    /// Debits refused before settlement, per thousand.
    pub reject_per_mille: u64,
    /// Debits settled then returned, per thousand.
    pub return_per_mille: u64,
    /// Credit transfers (refunds) rejected, per thousand; the others are accepted.
    pub transfer_reject_per_mille: u64,
    pub seed: u64,
    /// The date the reports carry.
    pub today: NaiveDate,
    /// Institutions' own layouts (their return layouts answer their debit layouts).
    pub layouts: &'static [Layout],
}

/// The fate of one debit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Settled,
    Rejected(ReasonCategory),
    Returned(ReasonCategory),
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash_text(seed: u64, text: &str) -> u64 {
    text.bytes().fold(mix(seed), |h, b| mix(h ^ u64::from(b)))
}

impl BankSim {
    fn fate(&self, end_to_end_id: &str) -> Fate {
        let h = hash_text(self.seed, end_to_end_id);
        let roll = h % 1000;
        // Reasons as banks see them: mostly insufficient funds.
        let category = match (h / 1000) % 10 {
            0..=5 => ReasonCategory::InsufficientFunds,
            6 | 7 => ReasonCategory::AccountClosed,
            8 => ReasonCategory::NoOrInvalidMandate,
            _ => ReasonCategory::TechnicalOrFormat,
        };
        if roll < self.reject_per_mille {
            Fate::Rejected(category)
        } else if roll < self.reject_per_mille + self.return_per_mille {
            Fate::Returned(category)
        } else {
            Fate::Settled
        }
    }

    /// Answers every debit file of `outbox` not answered yet, writing reports into
    /// `inbox` (whole files only: written hidden, then renamed). Returns the reports written.
    pub fn answer(&self, outbox: &Path, inbox: &Path) -> anyhow::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for path in exchange::waiting_files(outbox) {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let marker = outbox.join(format!(".{name}.answered"));
            if marker.exists() {
                continue;
            }
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let stem = name
                .rsplit_once('.')
                .map_or(name.as_str(), |(s, _)| s)
                .to_owned();
            let reports = self
                .answer_file(&bytes, &stem)
                .with_context(|| format!("cannot answer {name}"))?;
            for (report_name, content) in reports {
                let target = inbox.join(report_name);
                exchange::write_atomically(&target, &content, exchange::Access::PRIVATE)?;
                written.push(target);
            }
            exchange::write_atomically(&marker, b"", exchange::Access::PRIVATE)?;
        }
        Ok(written)
    }

    fn answer_file(&self, bytes: &[u8], stem: &str) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let created: NaiveDateTime = self.today.and_hms_opt(18, 0, 0).context("a valid time")?;
        if bytes.starts_with(b"<?xml") || bytes.starts_with(b"<") {
            return match bank_formats::inspect::format_of(bytes) {
                Ok(format) if format.starts_with("pain.001") => {
                    self.answer_pain001(bytes, stem, created)
                }
                _ => self.answer_pain008(bytes, stem, created),
            };
        }
        let layout = crate::cycle::import::debit_layout_of(bytes, self.layouts)
            .context("neither pain.008 nor a known debit layout")?;
        let return_name = layout.name().replace("-debit", "-return");
        let returns = self
            .layouts
            .iter()
            .find(|l| l.name() == return_name)
            .or_else(|| bank_formats::layout::shipped_layout(&return_name))
            .with_context(|| format!("no return layout {return_name} for {}", layout.name()))?;
        let debits = read_debit_file(layout, bytes)?;
        let mut out = Vec::new();
        let mut writer = ReturnFileWriter::new(
            returns,
            &ReturnFileHeader {
                file_reference: format!("SIM-{stem}"),
                original_file_reference: debits.header.file_reference,
                creation_date: self.today,
            },
            &mut out,
        )?;
        for debit in debits.instructions {
            let (status, category) = match self.fate(&debit.end_to_end_id) {
                Fate::Settled => (ReturnStatus::Accepted, None),
                Fate::Rejected(c) => (ReturnStatus::Rejected, Some(c)),
                Fate::Returned(c) => (ReturnStatus::Returned, Some(c)),
            };
            let return_code = category
                .and_then(|category| {
                    returns
                        .return_codes()
                        .iter()
                        .find(|r| r.category == category)
                        .or_else(|| returns.return_codes().last())
                })
                .map(|r| r.code.clone())
                .unwrap_or_default();
            writer.add(&ReturnRecord {
                end_to_end_id: debit.end_to_end_id,
                account_digits: debit.account_digits,
                amount: debit.amount,
                status,
                return_code,
                date: self.today,
                mandate_reference: Some(debit.mandate_reference),
            })?;
        }
        writer.finish()?;
        Ok(vec![(format!("{stem}-return.txt"), out)])
    }

    /// A refund batch: one pain.002 saying, per transfer, accepted and settled (`ACSC`)
    /// or rejected (`RJCT`, with why), and the group `ACCP`, `PART` or `RJCT`.
    fn answer_pain001(
        &self,
        bytes: &[u8],
        stem: &str,
        created: NaiveDateTime,
    ) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let document = read_pain001_slice(bytes)?;
        if document.payments.is_empty() {
            bail!("the credit-transfer file holds no payment block");
        }
        let (mut accepted, mut rejected) = (0u64, 0u64);
        let mut payments = Vec::new();
        for payment in &document.payments {
            let mut listed = Vec::new();
            for transfer in &payment.transfers {
                let h = hash_text(self.seed ^ 0x7472_616E_7366_6572, &transfer.end_to_end_id);
                let (status, reasons) = if h % 1000 < self.transfer_reject_per_mille {
                    rejected += 1;
                    // Why a transfer fails: the employer's account is closed, unknown
                    // or blocked; never money the fund lacks (the sim's fund pays).
                    let reason = match (h / 1000) % 3 {
                        0 => "AC04",
                        1 => "AC01",
                        _ => "AC06",
                    };
                    ("RJCT", vec![reason.to_owned()])
                } else {
                    accepted += 1;
                    ("ACSC", Vec::new())
                };
                listed.push(TransactionStatus {
                    original_end_to_end_id: Some(transfer.end_to_end_id.clone()),
                    status: Some(status.to_owned()),
                    reasons,
                    amount: transfer.amount,
                    mandate_id: None,
                });
            }
            payments.push(PaymentStatus {
                original_payment_id: Some(payment.payment_id.clone()),
                status: None,
                reasons: Vec::new(),
                transactions: listed,
            });
        }
        let group = match (accepted, rejected) {
            (_, 0) => "ACCP",
            (0, _) => "RJCT",
            _ => "PART",
        };
        let report = StatusReport {
            version: "pain.002.001.03".to_owned(),
            message_id: format!("SIM-{stem}-S"),
            original_message_id: Some(document.message_id.clone()),
            original_message_name: Some(document.version.clone()),
            group_status: Some(group.to_owned()),
            group_reasons: Vec::new(),
            payments,
        };
        let status = write_pain002(Vec::new(), &report, created, "Banque simulee")?;
        Ok(vec![(format!("{stem}-pain002.xml"), status)])
    }

    fn answer_pain008(
        &self,
        bytes: &[u8],
        stem: &str,
        created: NaiveDateTime,
    ) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let document = read_pain008_slice(bytes)?;
        let iso_code = |category: ReasonCategory| match category {
            ReasonCategory::InsufficientFunds => "AM04",
            ReasonCategory::AccountClosed => "AC04",
            ReasonCategory::NoOrInvalidMandate => "MD01",
            _ => "FF01",
        };
        let mut payments = Vec::new();
        let mut any_reject = false;
        let mut camt = Camt054Writer::new(
            Vec::new(),
            &format!("SIM-{stem}-C"),
            created,
            "00799999000000020091",
            "DZD",
        )?;
        for payment in &document.payments {
            let mut listed = Vec::new();
            for debit in &payment.transactions {
                let amount = debit.amount.unwrap_or(Amount::ZERO);
                let transaction = EntryTransaction {
                    end_to_end_id: Some(debit.end_to_end_id.clone()),
                    mandate_id: Some(debit.mandate_id.clone()),
                    payment_info_id: Some(payment.payment_id.clone()),
                    amount: Some(amount),
                    currency: Some("DZD".to_owned()),
                    instructed_amount: None,
                    credit_debit: Some("CRDT".to_owned()),
                    return_reason: None,
                    additional_info: None,
                    ..EntryTransaction::default()
                };
                let entry = |credit_debit: &str, reversal: bool, reason: Option<&str>| Entry {
                    reference: Some(debit.end_to_end_id.clone()),
                    amount: Some(amount),
                    currency: None,
                    credit_debit: Some(credit_debit.to_owned()),
                    reversal,
                    status: Some("BOOK".to_owned()),
                    booking_date: Some(self.today.to_string()),
                    bank_transaction_code: None,
                    additional_info: None,
                    transactions: vec![EntryTransaction {
                        credit_debit: Some(credit_debit.to_owned()),
                        return_reason: reason.map(str::to_owned),
                        ..transaction.clone()
                    }],
                    ..Entry::default()
                };
                match self.fate(&debit.end_to_end_id) {
                    Fate::Settled => camt.entry(&entry("CRDT", false, None))?,
                    Fate::Returned(category) => {
                        camt.entry(&entry("CRDT", false, None))?;
                        camt.entry(&entry("DBIT", true, Some(iso_code(category))))?;
                    }
                    Fate::Rejected(category) => {
                        any_reject = true;
                        listed.push(TransactionStatus {
                            original_end_to_end_id: Some(debit.end_to_end_id.clone()),
                            status: Some("RJCT".to_owned()),
                            reasons: vec![iso_code(category).to_owned()],
                            amount: Some(amount),
                            mandate_id: Some(debit.mandate_id.clone()),
                        });
                    }
                }
            }
            payments.push(PaymentStatus {
                original_payment_id: Some(payment.payment_id.clone()),
                status: None,
                reasons: Vec::new(),
                transactions: listed,
            });
        }
        let report = StatusReport {
            version: "pain.002.001.03".to_owned(),
            message_id: format!("SIM-{stem}-S"),
            original_message_id: Some(document.message_id.clone()),
            original_message_name: Some(document.version.clone()),
            group_status: Some(if any_reject { "PART" } else { "ACCP" }.to_owned()),
            group_reasons: Vec::new(),
            payments,
        };
        if document.payments.is_empty() {
            bail!("the debit file holds no payment block");
        }
        let status = write_pain002(Vec::new(), &report, created, "Banque simulee")?;
        let notification = camt.finish()?;
        Ok(vec![
            (format!("{stem}-pain002.xml"), status),
            (format!("{stem}-camt054.xml"), notification),
        ])
    }
}

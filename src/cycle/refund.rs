//! Refund files: a batch of credit transfers from the fund's account to employers, written
//! in the institution's profile (`[credit_transfer]`: pain.001.001.03 or .09, its codes and
//! charset) and staged in its outbox, hidden, synced and hashed (`exchange::stage`). The
//! caller — the refund flow of the ledger — records the staged file and its refunds in one
//! store transaction, then publishes it (`StagedFile::publish`); see `exchange::stage` for
//! the crash windows. No SQL here, and nothing printed.

use anyhow::Context;
use bank_formats::iso20022::{AccountIdentifier, Agent, CreditTransfer, CreditTransferBatch};
use bank_formats::profile::write_credit_transfer;
use chrono::{NaiveDate, NaiveDateTime};
use mandates::Amount;

use super::CycleSettings;
use super::exchange::{self, Folder, StagedFile};

/// What the refund flow hands over: the day's approved refunds to one institution.
#[derive(Clone, Debug)]
pub struct RefundBatch {
    /// The institution's refund-file sequence (unique per institution, from the store).
    pub sequence: i64,
    pub execution_date: NaiveDate,
    /// When the file is written (the clock's instant in Africa/Algiers).
    pub created_at: NaiveDateTime,
    /// One per employer refunded: end-to-end id, amount, the employer's name and account.
    pub transfers: Vec<CreditTransfer>,
}

/// A refund file written and staged, with what the store records of it.
#[derive(Clone, Debug)]
pub struct StagedRefundFile {
    pub file: StagedFile,
    pub file_name: String,
    pub message_id: String,
    /// `pain.001.001.03` or `pain.001.001.09`.
    pub format: String,
    pub transactions: u64,
    pub control_sum: Amount,
}

/// Writes `batch` as `institution`'s profile wants it — the fund's account there as debtor
/// — and stages it in that institution's outbox (not visible until published).
pub fn stage_refund_file(
    settings: &CycleSettings,
    institution: crate::store::Institution,
    batch: &RefundBatch,
) -> anyhow::Result<StagedRefundFile> {
    let target = settings
        .institution(institution)
        .with_context(|| format!("no institution {institution} is configured"))?;
    let format = target
        .profile
        .credit_transfer()
        .with_context(|| {
            format!(
                "{institution}'s profile {} takes no refund files (no [credit_transfer])",
                target.profile.name()
            )
        })?
        .version
        .name()
        .to_owned();
    let compact = batch.execution_date.format("%Y%m%d");
    let message_id = format!(
        "TSL-{}-REFUND-{compact}-{:06}",
        institution.as_str().to_uppercase(),
        batch.sequence
    );
    let file_name = format!("{institution}-refund-{compact}-{:06}.xml", batch.sequence);
    let creditor = &settings.creditor;
    let document = CreditTransferBatch {
        message_id: message_id.clone(),
        created_at: batch.created_at,
        initiating_party: creditor.name.clone(),
        payment_id: format!("{message_id}-P"),
        execution_date: batch.execution_date,
        debtor_name: creditor.name.clone(),
        debtor_account: AccountIdentifier::from(&target.creditor_account),
        debtor_agent: Agent::Code(target.creditor_account.bank_code().to_owned()),
        transfers: batch.transfers.clone(),
    };
    let (transactions, control_sum) = document.totals()?;
    let bytes = write_credit_transfer(&target.profile, &document)
        .with_context(|| format!("cannot write the refund file {file_name}"))?;
    let path = settings
        .folder(institution.as_str(), Folder::Outbox)
        .join(&file_name);
    let file = exchange::stage(&path, &bytes, settings.access)?;
    Ok(StagedRefundFile {
        file,
        file_name,
        message_id,
        format,
        transactions,
        control_sum,
    })
}

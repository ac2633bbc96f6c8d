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

/// What one institution's refund step did.
#[derive(Clone, Debug)]
pub struct RefundStep {
    pub institution: crate::store::Institution,
    /// The file written and published, if any refund was approved.
    pub file: Option<crate::store::RefundFileRecord>,
    /// Refunds whose credit was used meanwhile (lapsed, nothing sent).
    pub lapsed: Vec<i64>,
    /// Approved refunds left waiting: this institution's profile takes no refund file.
    pub waiting: u64,
    /// Refund files recorded by an earlier step but not published (it stopped between
    /// the two), published now.
    pub republished: Vec<String>,
}

/// The refund step of the cycle (`tahsil refunds send`, and the scheduler's daily step):
/// for each institution, its approved refunds in one pain.001 file to its outbox,
/// recorded with their ledger entries in one transaction (`Store::send_refunds`), then
/// published. Refunds to postal accounts go in the fund's bank's file when Algérie Poste's
/// profile takes no refund file ([`refund_route`]); an institution whose profile takes
/// none keeps the refunds it would carry approved, and says how many wait. Running it
/// again sends nothing twice.
pub async fn send_refunds(
    store: &crate::store::Store,
    settings: &CycleSettings,
    actor: &crate::store::Actor,
    execution_date: NaiveDate,
) -> anyhow::Result<Vec<RefundStep>> {
    let mut steps = Vec::new();
    let mut failures = Vec::new();
    let created_at = crate::locale::algiers_time(store.clock().now());
    // One institution failing (its folder, its profile) does not stop the others.
    for target in &settings.institutions {
        match send_for(store, settings, actor, execution_date, created_at, target).await {
            Ok(step) => steps.push(step),
            Err(err) => {
                tracing::error!(institution = %target.name, error = %format!("{err:#}"), "refund step failed");
                failures.push(format!("{}: {err:#}", target.name));
            }
        }
    }
    if !failures.is_empty() {
        anyhow::bail!(
            "the refund step failed for {} (the other institutions were done): {}",
            if failures.len() == 1 {
                "one institution"
            } else {
                "some institutions"
            },
            failures.join("; ")
        );
    }
    Ok(steps)
}

/// The kinds of account whose refunds go in `institution`'s refund files. A refund to a
/// postal account (CCP) is an interbank credit transfer to its RIP (`007 99999` + the CCP
/// number on 10 digits + key; creditor agent: bank code 007, Algérie Poste): when Algérie
/// Poste's profile takes no refund file (the shipped one) and the fund's bank's does, the
/// bank's file carries them, from the fund's bank account, as any other transfer. An
/// Algérie Poste profile with `[credit_transfer]` takes its own; with neither, they wait.
pub fn refund_route(
    settings: &CycleSettings,
    institution: crate::store::Institution,
) -> Vec<mandates::Channel> {
    use crate::store::Institution::{Bank, Poste};
    use mandates::Channel;
    let takes = |name| {
        settings
            .institutions
            .iter()
            .any(|i| i.name == name && i.profile.credit_transfer().is_some())
    };
    match institution {
        Bank if takes(Bank) && !takes(Poste) => vec![Channel::Bank, Channel::Postal],
        Bank => vec![Channel::Bank],
        Poste if takes(Bank) && !takes(Poste) => Vec::new(),
        Poste => vec![Channel::Postal],
    }
}

/// One institution's refund step (see [`send_refunds`]): first the refund files recorded
/// but never published (a crash between the store's commit and the publish), then its
/// approved refunds.
async fn send_for(
    store: &crate::store::Store,
    settings: &CycleSettings,
    actor: &crate::store::Actor,
    execution_date: NaiveDate,
    created_at: NaiveDateTime,
    target: &super::Institution,
) -> anyhow::Result<RefundStep> {
    use crate::store::NewRefundFile;

    let institution = target.name;
    let republished = republish_recorded(store, settings, institution).await?;
    let kinds = refund_route(settings, institution);
    let waiting = store
        .approved_refunds_to(&kinds)
        .await
        .context("cannot count the approved refunds")?;
    if waiting == 0 || target.profile.credit_transfer().is_none() {
        return Ok(RefundStep {
            institution,
            file: None,
            lapsed: Vec::new(),
            waiting,
            republished,
        });
    }
    let route = (institution, kinds.as_slice());
    let sent = store
        .send_refunds_to(actor, route, execution_date, |sequence, refunds| {
            let batch = RefundBatch {
                sequence,
                execution_date,
                created_at,
                transfers: refunds
                    .iter()
                    .map(|r| CreditTransfer {
                        end_to_end_id: r.end_to_end_id.clone(),
                        amount: r.amount,
                        creditor_name: r.creditor_name.clone(),
                        creditor_account: AccountIdentifier::from(&r.account),
                        creditor_agent: Agent::Code(r.account.bank_code().to_owned()),
                        remittance: format!("Remboursement {}", r.affiliation_number),
                    })
                    .collect(),
            };
            let staged = stage_refund_file(settings, institution, &batch)?;
            Ok((
                NewRefundFile {
                    file_name: staged.file_name.clone(),
                    format: staged.format.clone(),
                    message_id: staged.message_id.clone(),
                    execution_date,
                    transactions: staged.transactions,
                    control_sum: staged.control_sum,
                    sha256: staged.file.sha256.clone(),
                    size_bytes: staged.file.size_bytes,
                },
                staged.file,
            ))
        })
        .await
        .with_context(|| format!("cannot send {institution}'s refunds"))?;
    let file = match sent.file {
        Some((record, staged)) => {
            staged.publish(settings.access).with_context(|| {
                format!(
                    "refund file {} is recorded but could not be published: the next refund step \
                     publishes it",
                    record.file_name
                )
            })?;
            Some(record)
        }
        None => None,
    };
    Ok(RefundStep {
        institution,
        file,
        lapsed: sent.lapsed,
        waiting: 0,
        republished,
    })
}

/// `institution`'s refund files recorded but not in its outbox (the process died between
/// the store's commit and the publish): the staged copy, if its SHA-256 is the recorded
/// one, is published; a file in place without its `.sha256` gets it (hash checked). A
/// staged copy missing or different is an error for staff (the file was recorded: its
/// refunds are sent in the store, and must not be written again under another name).
/// Returns the names of the files published.
async fn republish_recorded(
    store: &crate::store::Store,
    settings: &CycleSettings,
    institution: crate::store::Institution,
) -> anyhow::Result<Vec<String>> {
    let outbox = settings.folder(institution.as_str(), Folder::Outbox);
    let mut republished = Vec::new();
    for record in store
        .refund_files_of(institution)
        .await
        .context("cannot read the recorded refund files")?
    {
        let path = outbox.join(&record.file_name);
        let sum_path = path.with_file_name(format!("{}.sha256", record.file_name));
        if path.exists() && sum_path.exists() {
            continue;
        }
        let candidate = if path.exists() {
            path.clone()
        } else {
            exchange::temporary_path(&path)
        };
        if !candidate.exists() {
            // Fetched by the institution meanwhile (moved away), nothing to publish.
            continue;
        }
        if exchange::sha256_of(&candidate)? != record.sha256 {
            anyhow::bail!(
                "refund file {} does not match its recorded SHA-256: it was changed after it was \
                 written; check it with the bank before sending it by hand",
                record.file_name
            );
        }
        if path.exists() {
            exchange::write_atomically(
                &sum_path,
                format!("{}  {}\n", record.sha256, record.file_name).as_bytes(),
                settings.access,
            )?;
        } else {
            exchange::publish(&path, &record.sha256, settings.access)?;
        }
        tracing::warn!(file = %record.file_name, "recorded refund file published again");
        republished.push(record.file_name);
    }
    Ok(republished)
}

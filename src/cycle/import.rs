//! Importing bank reports: read any supported format, classify every transaction with the
//! reason taxonomy, expand group- and payment-level rejects to the debits they cover, and
//! apply the report in one transaction. A file that cannot be read or matches nothing we
//! sent goes to quarantine with its error — kept, never half-applied.

use std::path::{Path, PathBuf};

use anyhow::Context;
use bank_formats::inspect::{EntryFacts, InspectedTransaction, Inspection, inspect_with};
use bank_formats::layout::shipped_layout;
use bank_formats::reasons::{
    Reason, ReasonCategory, RetryClass, classify_iso, classify_with_layout,
};
use chrono::NaiveDate;
use mandates::Amount;
use serde::Serialize;

use super::CycleSettings;
use super::exchange::{self, Folder};

mod stream;
use crate::store::{
    Actor, Effect, ImportSummary, IncomingCredit, ItemFacts, Meaning, NewReport, ReconcilePolicy,
    ReportItem, Store, StoreError,
};

/// The outcome of importing one file.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ImportOutcome {
    Applied {
        file: String,
        summary: ImportSummary,
    },
    AlreadyImported {
        file: String,
        report_id: i64,
    },
    /// A report that lists no transaction: recorded as empty, nothing applied.
    Empty {
        file: String,
        report_id: i64,
    },
    Quarantined {
        file: String,
        moved_to: Option<PathBuf>,
        error: String,
    },
}

impl ImportOutcome {
    pub fn line(&self) -> String {
        match self {
            ImportOutcome::Applied { file, summary: s } => format!(
                "{file}: report #{} applied — {} items: {} settled, {} rejected, {} returned, {} informational ({} incoming credits kept); {} retries planned, {} mandates suspended, {} exceptions",
                s.report_id,
                s.items,
                s.settled,
                s.rejected,
                s.returned,
                s.informational,
                s.incoming_credits,
                s.retries_planned,
                s.mandates_suspended,
                s.exceptions
            ),
            ImportOutcome::AlreadyImported { file, report_id } => {
                format!("{file}: already imported as report #{report_id}; nothing changed")
            }
            ImportOutcome::Empty { file, report_id } => {
                format!(
                    "{file}: report #{report_id} lists no transaction; recorded as empty, nothing changed"
                )
            }
            ImportOutcome::Quarantined {
                file,
                moved_to,
                error,
            } => match moved_to {
                Some(path) => format!("{file}: quarantined to {} — {error}", path.display()),
                None => format!("{file}: not imported — {error}"),
            },
        }
    }
}

fn taxonomy(reason: &Reason) -> (ReasonCategory, RetryClass) {
    (reason.category, reason.retry_class)
}

/// Turns an inspected report into items to apply. Debit files are not reports.
pub fn classify(
    inspection: &Inspection,
    settings: &CycleSettings,
) -> Result<Vec<ReportItem>, String> {
    let format = inspection.format.as_str();
    let layout = settings
        .layouts
        .iter()
        .find(|l| l.name() == format)
        .or_else(|| shipped_layout(format));
    if format.starts_with("pain.008") {
        return Err("this is a debit file (pain.008), not a report: nothing to import".to_owned());
    }
    if format.starts_with("pain.001") {
        return Err(
            "this is a refund file (pain.001, credit transfers), not a report: nothing to import"
                .to_owned(),
        );
    }
    // A bank's answer to one of our refund files (credit transfers) concerns refunds, not
    // debits: applied as a debit status report, its ACSC/RJCT would settle or reject
    // collections sharing an end-to-end id. Kept aside until refunds are reconciled.
    if format.starts_with("pain.002")
        && inspection
            .original_message_name
            .as_deref()
            .is_some_and(|name| name.starts_with("pain.001"))
    {
        return Err(
            "this is a bank's answer to a refund file (pain.002 on a pain.001): refund answers \
             are not applied to debits; keep it for the refunds' reconciliation"
                .to_owned(),
        );
    }
    // A batched debit layout (the example, or one an institution's profile names).
    let batched_debit = std::iter::once(bank_formats::layout::example_batched_layout())
        .chain(settings.institutions.iter().filter_map(|i| match i.format {
            super::DebitFormat::Batched(layout) => Some(layout),
            _ => None,
        }))
        .any(|l| l.name() == format && l.kind() == bank_formats::layout::FileKind::Debit);
    if batched_debit
        || layout.is_some_and(|layout| layout.kind() == bank_formats::layout::FileKind::Debit)
    {
        return Err(format!(
            "this is a debit file ({format}), not a report: nothing to import"
        ));
    }
    let camt = format.starts_with("camt.");
    inspection
        .transactions
        .iter()
        .enumerate()
        .map(|(n, tx)| classify_transaction(n, tx, camt, layout, &settings.creditor.id))
        .collect()
}

/// Classifies the `n`th transaction (from 0) of a report: a camt entry's (`camt`), or a
/// status report's or a return layout's (whose reason codes `layout` knows).
fn classify_transaction(
    n: usize,
    tx: &InspectedTransaction,
    camt: bool,
    layout: Option<&bank_formats::layout::Layout>,
    creditor_id: &str,
) -> Result<ReportItem, String> {
    if camt {
        return Ok(camt_item(tx, creditor_id));
    }
    let amount = match tx.amount.as_deref() {
        None => None,
        Some(text) => Some(
            Amount::parse(text)
                .map_err(|e| format!("transaction {}: amount {text:?} is not valid: {e}", n + 1))?,
        ),
    };
    // pain.002 and return layouts (whose statuses are given as ISO ones).
    let effect = match tx.status.as_deref() {
        Some("RJCT") => Effect::Reject,
        Some("BOOK") if tx.reversal.unwrap_or(false) => Effect::Return,
        Some("ACSC") => Effect::Settle,
        _ => Effect::Info,
    };
    Ok(report_item(
        tx,
        amount,
        effect,
        ItemFacts::default(),
        layout,
    ))
}

/// A camt entry's transaction, classified (whatever it says, it is something: what is not
/// a collection of ours is informational).
fn camt_item(tx: &InspectedTransaction, creditor_id: &str) -> ReportItem {
    let (amount, facts) = camt_meaning(tx, creditor_id);
    let effect = match facts.meaning {
        Some(meaning) if meaning.is_informational() => Effect::Info,
        Some(Meaning::ReversedDebit) => Effect::Info,
        _ if tx.reversal.unwrap_or(false) || facts.credit_debit.as_deref() == Some("DBIT") => {
            Effect::Return
        }
        _ => Effect::Settle,
    };
    report_item(tx, amount, effect, facts, None)
}

/// The item of a transaction, its failure placed in the reason taxonomy (by `layout`'s
/// return codes, else ISO's).
fn report_item(
    tx: &InspectedTransaction,
    amount: Option<Amount>,
    effect: Effect,
    facts: ItemFacts,
    layout: Option<&bank_formats::layout::Layout>,
) -> ReportItem {
    let (reason_category, retry_class) = match (&tx.reason, effect) {
        (Some(code), Effect::Reject | Effect::Return) => {
            let reason = match layout {
                Some(layout) => classify_with_layout(layout, code),
                _ => classify_iso(code),
            };
            let (c, r) = taxonomy(&reason);
            (Some(c), Some(r))
        }
        (None, Effect::Reject | Effect::Return) => {
            (Some(ReasonCategory::Other), Some(RetryClass::NeedsStaff))
        }
        _ => (None, None),
    };
    ReportItem {
        end_to_end_id: tx.end_to_end_id.clone(),
        mandate_reference: tx.mandate_id.clone().flatten(),
        amount,
        status: tx.status.clone(),
        reason_code: tx.reason.clone(),
        reason_category,
        retry_class,
        effect,
        facts,
    }
}

/// What a camt entry means, from what it says (issue 18), in this order:
/// 1. not booked (`PDNG`, or any status but `BOOK`) → informational, *pending*: a pending
///    reversal is not applied as a return, a pending credit is not a settlement;
/// 2. an amount in another currency than DZD → informational, kept as written;
/// 3. clearly not a collection → informational: a bank transaction family other than our
///    issued direct debits (`IDDT`: a transfer, fees, a debit of the fund by someone else),
///    another creditor's identifier, or a credit with nothing linking it to a debit (no
///    EndToEndId, no mandate);
/// 4. a DZD amount that is not a whole number of centimes → an amount mismatch for staff;
/// 5. a reversal credited to the fund's account (`CRDT`): the reversal of a debit, never
///    the return of a collection (a return takes money: `DBIT`) → a conflict for staff;
/// 6. a debit of the fund's account (`DBIT`) with no reversal flag or return information →
///    a return (or a refund claim), never a settlement, for staff;
///
/// Then a reversal returns and a credit settles. A booked credit that is not ours (3, or
/// 2 outside direct debits) is kept as an incoming credit for the ledger. Returns the
/// amount in centimes (DZD, exact) and the item's facts.
fn camt_meaning(tx: &InspectedTransaction, our_creditor_id: &str) -> (Option<Amount>, ItemFacts) {
    let empty = EntryFacts::default();
    let entry = tx.entry.as_deref().unwrap_or(&empty);
    let dzd = entry
        .currency
        .as_deref()
        .is_none_or(|c| c.eq_ignore_ascii_case("DZD"));
    // Only a DZD amount is kept in centimes, and only when it is exact to the centime;
    // any other is kept as written.
    let written = entry
        .amount_as_written
        .clone()
        .or_else(|| tx.amount.clone());
    let (amount, amount_text, inexact) = match tx.amount.as_deref().map(Amount::parse) {
        Some(Ok(amount)) if dzd => (Some(amount), None, false),
        Some(_) => (None, written, dzd),
        None => (None, None, false),
    };
    let booked = matches!(tx.status.as_deref(), Some("BOOK") | None);
    let reversal = tx.reversal.unwrap_or(false);
    let debit = entry.credit_debit.as_deref() == Some("DBIT");
    let family = entry.bank_transaction_family.as_deref();
    let linked = tx.end_to_end_id.is_some() || tx.mandate_id.clone().flatten().is_some();
    let meaning = if !booked {
        Some(Meaning::Pending)
    } else if !dzd {
        Some(Meaning::ForeignCurrency)
    } else if family.is_some_and(|f| !f.eq_ignore_ascii_case("IDDT")) {
        Some(Meaning::OtherTransaction)
    } else if entry
        .creditor_id
        .as_deref()
        .is_some_and(|c| !c.trim().eq_ignore_ascii_case(our_creditor_id.trim()))
    {
        Some(Meaning::OtherCreditor)
    } else if !linked && !debit && !reversal {
        Some(Meaning::Unlinked)
    } else if inexact {
        Some(Meaning::InexactAmount)
    } else if reversal && entry.credit_debit.as_deref() == Some("CRDT") {
        Some(Meaning::ReversedDebit)
    } else if debit && !reversal {
        Some(Meaning::RefundClaim)
    } else {
        None
    };
    let kept_as_credit = booked
        && !debit
        && !reversal
        && !family.is_some_and(|f| f.eq_ignore_ascii_case("IDDT"))
        && matches!(
            meaning,
            Some(Meaning::ForeignCurrency | Meaning::OtherTransaction | Meaning::Unlinked)
        );
    let facts = ItemFacts {
        meaning,
        booked_on: entry.booking_date.as_deref().and_then(entry_day),
        value_date: entry.value_date.as_deref().and_then(entry_day),
        credit_debit: entry.credit_debit.clone(),
        currency: entry.currency.clone(),
        amount_text,
        incoming_credit: kept_as_credit.then(|| IncomingCredit {
            entry_key: entry.account_servicer_reference.clone(),
            entry_reference: entry.entry_reference.clone(),
            end_to_end_id: tx.end_to_end_id.clone(),
            debtor_name: entry.debtor_name.clone(),
            debtor_account: entry.debtor_account.as_ref().map(|a| a.0.clone()),
            remittance: entry.remittance.clone(),
        }),
    };
    (amount, facts)
}

/// The day of a camt date (`Dt`) or date-time (`DtTm`): a date-time with an offset is
/// taken in Africa/Algiers; one without, as written.
fn entry_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(day);
    }
    if let Ok(moment) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(mandates::today_in_algiers(
            moment.with_timezone(&chrono::Utc),
        ));
    }
    text.get(..10)
        .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
}

/// What a pain.002 rejects above its transactions: the whole message (group status
/// `RJCT`, with its reason), and the payment blocks with status `RJCT` (the last part of
/// their id, the sequence type of a debit file, with their reason).
struct BlockRejects {
    group_rejected: bool,
    group_reason: Option<String>,
    rejected_blocks: Vec<(String, Option<String>)>,
}

fn block_rejects(inspection: &Inspection) -> BlockRejects {
    BlockRejects {
        group_rejected: matches!(&inspection.status, Some(Some(s)) if s == "RJCT"),
        group_reason: inspection.reason.clone().flatten(),
        rejected_blocks: inspection
            .payments
            .iter()
            .flatten()
            .filter(|p| p.status.as_deref() == Some("RJCT"))
            .filter_map(|p| {
                p.payment_id
                    .as_deref()
                    .and_then(|id| id.rsplit('-').next())
                    .map(|seq| (seq.to_owned(), p.reason.clone()))
            })
            .collect(),
    }
}

/// Adds items for debits a group- or payment-level reject covers without listing them.
async fn expand_block_rejects(
    store: &Store,
    inspection: &Inspection,
    items: &mut Vec<ReportItem>,
) -> anyhow::Result<()> {
    if !inspection.format.starts_with("pain.002") {
        return Ok(());
    }
    let Some(Some(original)) = &inspection.original_message_id else {
        return Ok(());
    };
    let Some(file) = store.bank_file_by_message_id(original).await? else {
        return Ok(());
    };
    let BlockRejects {
        group_rejected,
        group_reason,
        rejected_blocks,
    } = block_rejects(inspection);
    if !group_rejected && rejected_blocks.is_empty() {
        return Ok(());
    }
    let listed: std::collections::HashSet<String> = items
        .iter()
        .filter_map(|i| i.end_to_end_id.clone())
        .collect();
    for transaction in store.file_transactions(file.id).await? {
        if listed.contains(&transaction.end_to_end_id) {
            continue;
        }
        let reason = if group_rejected {
            Some(group_reason.clone())
        } else {
            rejected_blocks
                .iter()
                .find(|(seq, _)| *seq == transaction.sequence_type)
                .map(|(_, reason)| reason.clone())
        };
        let Some(reason) = reason else { continue };
        let classified = reason.as_deref().map(classify_iso);
        let (category, retry) = classified
            .as_ref()
            .map_or((ReasonCategory::Other, RetryClass::NeedsStaff), taxonomy);
        items.push(ReportItem {
            end_to_end_id: Some(transaction.end_to_end_id),
            mandate_reference: None,
            amount: Some(transaction.amount),
            status: Some("RJCT".to_owned()),
            reason_code: reason,
            reason_category: Some(category),
            retry_class: Some(retry),
            effect: Effect::Reject,
            facts: ItemFacts::default(),
        });
    }
    Ok(())
}

/// The date a retryable failure is presented again: `retry_business_days` business days
/// from today, later if the advance-notice period needs it.
pub fn retry_date(
    today: NaiveDate,
    settings: &CycleSettings,
    calendar: &mandates::Calendar,
) -> NaiveDate {
    let mut date = calendar.add_business_days(today, settings.retry_business_days);
    while !settings.policy.notice_respected(today, date) {
        date = calendar.next_business_day_after(date);
    }
    date
}

/// The dates and limits a report imported `today` is applied with.
async fn reconcile_policy(
    store: &Store,
    settings: &CycleSettings,
    today: NaiveDate,
) -> anyhow::Result<ReconcilePolicy> {
    let calendar = store.calendar().await?;
    Ok(ReconcilePolicy {
        today,
        retry_date: retry_date(today, settings, &calendar),
        max_attempts: settings.max_attempts,
    })
}

/// Imports one file. `institution` is the inbox it came from (None for `tahsil import`).
/// Files from an inbox are moved to `archive` or `quarantine`; files given on the command
/// line are left where they are (and copied to quarantine when refused).
pub async fn import_file(
    store: &Store,
    settings: &CycleSettings,
    actor: &Actor,
    path: &Path,
    institution: Option<crate::store::Institution>,
    today: NaiveDate,
) -> anyhow::Result<ImportOutcome> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let started = std::time::Instant::now();
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let mut file = ImportedFile {
        path,
        institution,
        file_name,
        sha256: String::new(),
    };
    if size <= settings.max_report_bytes
        && let Some(format) = stream::streamed_format(path)?
    {
        return stream::import_streamed(store, settings, actor, file, format, today).await;
    }
    // Read whole: the reports that are not streamed (pain.002, fixed-width returns, a camt
    // report whose message element is not found in its first bytes), and the refused.
    let bytes = match read_bounded(path, settings.max_report_bytes)? {
        Ok(bytes) => bytes,
        Err(size) => {
            // Never held in memory: hashed as it streams by, then quarantined whole.
            file.sha256 = exchange::sha256_of(path)?;
            let error = too_large(size, settings.max_report_bytes);
            return file.quarantine(store, settings, &error).await;
        }
    };
    // The hash (which identifies the report) and the reading are independent: on a
    // 45 MB report each takes tens of milliseconds, so they run side by side.
    let (sha256, inspected) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| exchange::sha256_hex(&bytes));
        let inspected = inspect_with(&bytes, settings.layouts);
        (
            hashing.join().expect("hashing a byte slice does not panic"),
            inspected,
        )
    });
    file.sha256 = sha256;
    // What is kept of the file from here on is its items (a 45 MB report is not held
    // three times over while it is applied).
    drop(bytes);
    tracing::debug!(elapsed = ?started.elapsed(), "import_file: read");
    let inspection = match inspected {
        Ok(inspection) => inspection,
        Err(err) => {
            let error = format!("cannot read it: {err}");
            return file.quarantine(store, settings, &error).await;
        }
    };
    if is_refund_answer(&inspection) {
        return import_refund_answer(store, settings, actor, file, inspection, today).await;
    }
    let mut items = match classify(&inspection, settings) {
        Ok(items) => items,
        Err(error) => return file.quarantine(store, settings, &error).await,
    };
    expand_block_rejects(store, &inspection, &mut items).await?;
    let policy = reconcile_policy(store, settings, today).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "import_file: classified");
    let Inspection {
        format,
        message_id,
        original_message_id,
        transactions,
        ..
    } = inspection;
    // The transactions became the items: not held while the report is applied.
    drop(transactions);
    let original_message_id = original_message_id.flatten();
    let report = NewReport {
        institution,
        file_name: file.file_name.clone(),
        sha256: file.sha256.clone(),
        format,
        message_id,
        original_message_id,
        items,
    };
    let applied = store.apply_report(actor, &report, policy).await;
    conclude(store, settings, actor, file, applied).await
}

/// The file a report was read from, and what identifies it.
struct ImportedFile<'a> {
    path: &'a Path,
    institution: Option<crate::store::Institution>,
    file_name: String,
    sha256: String,
}

impl ImportedFile<'_> {
    /// Refuses the file: kept in quarantine with `error` (see [`quarantine`]).
    async fn quarantine(
        &self,
        store: &Store,
        settings: &CycleSettings,
        error: &str,
    ) -> anyhow::Result<ImportOutcome> {
        quarantine(
            store,
            settings,
            self.path,
            self.institution,
            &self.file_name,
            &self.sha256,
            error,
        )
        .await
    }

    /// Moves a file taken from an inbox into its institution's archive; a file given on
    /// the command line stays where it is.
    fn archive(&self, settings: &CycleSettings) -> anyhow::Result<()> {
        if let Some(institution) = self.institution {
            archive(
                self.path,
                &settings.folder(institution.as_str(), Folder::Archive),
                settings.access,
            )?;
        }
        Ok(())
    }
}

/// What became of a report once applied (or refused by the store): an inbox file is
/// archived, or quarantined with the reason it was refused.
async fn conclude(
    store: &Store,
    settings: &CycleSettings,
    actor: &Actor,
    file: ImportedFile<'_>,
    applied: Result<ImportSummary, StoreError>,
) -> anyhow::Result<ImportOutcome> {
    match applied {
        Ok(summary) if summary.empty => {
            file.archive(settings)?;
            Ok(ImportOutcome::Empty {
                file: file.file_name,
                report_id: summary.report_id,
            })
        }
        Ok(summary) if summary.already_imported => {
            file.archive(settings)?;
            Ok(ImportOutcome::AlreadyImported {
                file: file.file_name,
                report_id: summary.report_id,
            })
        }
        Ok(summary) => {
            // A statement booking one of our refund transfers (a debit of the fund's
            // account with its end-to-end id) settles that refund.
            let refunds = store
                .settle_booked_refunds(actor, summary.report_id)
                .await?;
            if refunds > 0 {
                tracing::info!(refunds, "refunds settled by a statement's booking");
            }
            file.archive(settings)?;
            Ok(ImportOutcome::Applied {
                file: file.file_name,
                summary,
            })
        }
        Err(StoreError::Invalid(message)) => file.quarantine(store, settings, &message).await,
        Err(err) => Err(err.into()),
    }
}

/// A bank's answer to one of our refund files: a pain.002 on a pain.001.
fn is_refund_answer(inspection: &Inspection) -> bool {
    inspection.format.starts_with("pain.002")
        && inspection
            .original_message_name
            .as_deref()
            .is_some_and(|name| name.starts_with("pain.001"))
}

/// Applies a bank's answer to a refund file to the refunds it names (`ACSC` settles,
/// `RJCT` rejects and puts the credit back; `Store::apply_refund_answer`), never to debits,
/// then archives it like a report. A transaction with an amount that cannot be read is
/// refused whole (quarantined), nothing applied.
async fn import_refund_answer(
    store: &Store,
    settings: &CycleSettings,
    actor: &Actor,
    file: ImportedFile<'_>,
    inspection: Inspection,
    today: NaiveDate,
) -> anyhow::Result<ImportOutcome> {
    let mut items = Vec::with_capacity(inspection.transactions.len());
    for (n, tx) in inspection.transactions.iter().enumerate() {
        let amount = match tx.amount.as_deref().map(Amount::parse) {
            None => None,
            Some(Ok(amount)) => Some(amount),
            Some(Err(e)) => {
                let error = format!(
                    "transaction {}: amount {:?} is not valid: {e}",
                    n + 1,
                    tx.amount.as_deref().unwrap_or_default()
                );
                return file.quarantine(store, settings, &error).await;
            }
        };
        items.push(crate::store::RefundAnswerItem {
            end_to_end_id: tx.end_to_end_id.clone(),
            amount,
            status: tx.status.clone(),
            reason_code: tx.reason.clone(),
        });
    }
    // A refund file rejected as a whole (group or payment block, a refund file has one),
    // its transactions not listed: every refund of the file it answers is rejected.
    let rejects = block_rejects(&inspection);
    if rejects.group_rejected || !rejects.rejected_blocks.is_empty() {
        let original = inspection.original_message_id.clone().flatten();
        let refunds = match original.as_deref() {
            Some(message_id) => store.refunds_of_file_message(message_id).await?,
            None => None,
        };
        let Some(refunds) = refunds else {
            let error = format!(
                "this answer rejects a refund file as a whole, but names {} as the file it answers, \
                 none of our refund files: check with the bank which file it answers",
                original.as_deref().unwrap_or("no message")
            );
            return file.quarantine(store, settings, &error).await;
        };
        let reason = rejects
            .group_reason
            .clone()
            .or_else(|| rejects.rejected_blocks.iter().find_map(|(_, r)| r.clone()));
        for (end_to_end_id, amount) in refunds {
            if items
                .iter()
                .any(|i| i.end_to_end_id.as_deref() == Some(end_to_end_id.as_str()))
            {
                continue;
            }
            items.push(crate::store::RefundAnswerItem {
                end_to_end_id: Some(end_to_end_id),
                amount: Some(amount),
                status: Some("RJCT".to_owned()),
                reason_code: reason.clone(),
            });
        }
    }
    let answer = crate::store::RefundAnswer {
        institution: file.institution,
        file_name: file.file_name.clone(),
        sha256: file.sha256.clone(),
        format: inspection.format,
        message_id: inspection.message_id,
        original_message_id: inspection.original_message_id.flatten(),
        items,
    };
    let applied = store.apply_refund_answer(actor, &answer, today).await?;
    file.archive(settings)?;
    if applied.already_imported {
        return Ok(ImportOutcome::AlreadyImported {
            file: file.file_name,
            report_id: applied.report_id,
        });
    }
    Ok(ImportOutcome::Applied {
        file: file.file_name,
        summary: ImportSummary {
            report_id: applied.report_id,
            items: applied.items,
            settled: applied.settled,
            rejected: applied.rejected,
            informational: applied.items - applied.settled - applied.rejected,
            ..ImportSummary::default()
        },
    })
}

/// Why a file over `max_report_bytes` is refused.
fn too_large(size: u64, max: u64) -> String {
    format!(
        "the file is {size} bytes; reports may be at most {max} bytes (max_report_bytes): \
         nothing was read or applied — ask the bank to split it, or raise max_report_bytes"
    )
}

/// The file's bytes when it has at most `max` of them; else `Err(size)`, having read no
/// more than `max + 1` bytes (the limit holds even for a file that grows while read).
fn read_bounded(path: &Path, max: u64) -> anyhow::Result<Result<Vec<u8>, u64>> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > max {
        return Ok(Err(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > max {
        drop(bytes);
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(max + 1);
        return Ok(Err(size.max(max + 1)));
    }
    Ok(Ok(bytes))
}

/// An upload cut off at `max_report_bytes` (the bank API stops receiving there): its first
/// `max_report_bytes` are kept in quarantine with the reason, never read as a report.
pub async fn quarantine_oversized_upload(
    store: &Store,
    settings: &CycleSettings,
    path: &Path,
    institution: crate::store::Institution,
    file_name: &str,
) -> anyhow::Result<ImportOutcome> {
    let sha256 = exchange::sha256_of(path)?;
    let error = format!(
        "the upload was larger than max_report_bytes ({} bytes): it was cut off there and never read; only its first {} bytes are kept",
        settings.max_report_bytes, settings.max_report_bytes
    );
    quarantine(
        store,
        settings,
        path,
        Some(institution),
        file_name,
        &sha256,
        &error,
    )
    .await
}

/// Keeps a refused file in quarantine under a name of its own (the clock's moment, the
/// start of its hash, its name: two files of one name never overwrite each other) and
/// records it with the hash of the bytes actually kept.
async fn quarantine(
    store: &Store,
    settings: &CycleSettings,
    path: &Path,
    institution: Option<crate::store::Institution>,
    file_name: &str,
    sha256: &str,
    error: &str,
) -> anyhow::Result<ImportOutcome> {
    let folder = settings.folder(
        institution.map_or("unknown", crate::store::Institution::as_str),
        Folder::Quarantine,
    );
    let name = exchange::quarantine_name(store.clock().now(), sha256, file_name);
    let moved_to = if institution.is_some() {
        exchange::move_as(path, &folder, &name, settings.access)?
    } else {
        exchange::copy_as(path, &folder, &name, settings.access)
            .with_context(|| format!("cannot copy {} to quarantine", path.display()))?
    };
    // The file may have changed since it was read: the hash recorded is the kept bytes'.
    let kept = exchange::sha256_of(&moved_to)?;
    store
        .record_quarantine(
            institution,
            file_name,
            &moved_to.display().to_string(),
            &kept,
            error,
        )
        .await?;
    tracing::warn!(file = file_name, error, "report quarantined");
    Ok(ImportOutcome::Quarantined {
        file: file_name.to_owned(),
        moved_to: Some(moved_to),
        error: error.to_owned(),
    })
}

/// Imports every file waiting in every institution's inbox, oldest name first. Every
/// instance of `serve` watches the same inboxes: a file another instance took first is
/// left to it (see `taken_by_another`), not an error that would fail this pass.
pub async fn import_inboxes(
    store: &Store,
    settings: &CycleSettings,
    actor: &Actor,
    today: NaiveDate,
) -> anyhow::Result<Vec<ImportOutcome>> {
    let mut outcomes = Vec::new();
    for institution in &settings.institutions {
        let inbox = settings.folder(institution.name.as_str(), Folder::Inbox);
        for path in exchange::waiting_files(&inbox) {
            match import_file(store, settings, actor, &path, Some(institution.name), today).await {
                Ok(outcome) => outcomes.push(outcome),
                Err(err) if taken_by_another(&path, &err) => {
                    tracing::debug!(file = %path.display(), "report taken by another instance");
                }
                Err(err) => return Err(err),
            }
        }
    }
    Ok(outcomes)
}

/// Whether importing the inbox file `path` failed only because another instance watching
/// the same inbox took it first: it has moved it away already, or it is applying the
/// same bytes right now (and will move it). That file is the other instance's to finish.
fn taken_by_another(path: &Path, err: &anyhow::Error) -> bool {
    !path.exists()
        || matches!(
            err.downcast_ref::<StoreError>(),
            Some(StoreError::Conflict(_))
        )
}

/// Moves an imported inbox file into the archive. A file already gone was archived by
/// another instance watching the same inbox (it found the report applied, or applied it).
fn archive(path: &Path, folder: &Path, access: exchange::Access) -> anyhow::Result<()> {
    match exchange::move_into(path, folder, access) {
        Err(_) if !path.exists() => Ok(()),
        moved => moved.map(|_| ()),
    }
}

/// The debit layout (an institution's own first, then the shipped ones) that recognises
/// `bytes`, if any.
pub fn debit_layout_of(
    bytes: &[u8],
    layouts: &'static [bank_formats::layout::Layout],
) -> Option<&'static bank_formats::layout::Layout> {
    bank_formats::layout::detect_among(layouts, bytes)
        .or_else(|| bank_formats::layout::detect(bytes))
        .filter(|l| l.kind() == bank_formats::layout::FileKind::Debit)
}

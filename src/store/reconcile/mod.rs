//! Reconciliation: applying a bank report to collections, in one transaction per report,
//! set-based so a 100,000-transaction report applies in a few statements.
//!
//! Matching: by EndToEndId, then by mandate reference + amount among the debits whose
//! collection date lies within 60 days before and 30 days after the import day (the
//! debits presented in the report's period: `items::FALLBACK_DAYS_BEFORE`). Effects: `settle`
//! (submitted → settled, lines paid, receipt), `reject` (before settlement) and `return`
//! (after): collection rejected/returned, lines unpaid, failure notice, then by the
//! reason's retry class — `retry_later`: a new attempt planned (lines move to it) while
//! attempts remain; `never`: mandate suspended; `needs_staff`: an exception. Items that
//! match nothing, disagree on the amount, repeat what was already applied, or contradict
//! a collection's state become exceptions, and so does an item that repeats what an
//! earlier item of the same report does to the same debit. A report with no item is
//! recorded as empty (`report.empty`), never as applied. The same bytes twice are refused
//! by hash.
//! Every item is judged against the collection's state before the report, so a booking
//! and its reversal in one report end as a return; of several failures of one debit the
//! first reject (else the first return) gives the reason and the retry class.
//!
//! Informational items (`effect = info` with a `Meaning`: pending, another currency, not a
//! collection) that match nothing stay `info`, never "unmatched" exceptions, and a report
//! with such items is recorded even when none of its items is ours. A settlement is dated
//! by its item's booking date (else value date, else the import day). Booked credits that
//! are not ours are kept in `incoming_credits` (`credits`).
//!
//! `apply_report` below reads as its steps, each a function taking the one transaction:
//! the report recorded, its items recorded, matched and judged (`items`), settlements,
//! incoming credits (`credits`), failures, retries and suspensions (`failures`), notices,
//! exceptions, the audit trail. The items arrive a chunk at a time
//! ([`ReportApplication::add_items`], steps 1 and 3b), so a report streamed from its file
//! (`crate::cycle::import`) is never held whole; the steps after them run once, set-based,
//! in [`ReportApplication::finish`].
//!
//! Must not know: report formats (`bank-formats` reads them, `crate::cycle::import`
//! classifies the items).

use bank_formats::reasons::{ReasonCategory, RetryClass};
use chrono::NaiveDate;
use mandates::Amount;
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

use super::audit::DetailValue::{Fixed, Number, Text};
use super::audit::{AuditRows, detail_sql};
use super::collection_totals::{Shift, shift};
use super::notice_events::{NoticeEvents, NoticeKind};
use super::{
    Actor, Bind, Institution, OptionalCode, Store, StoreError, StoreResult, audit::Audit,
    conflict_on_unique, dispute_effects, incoming_credits, ledger, payments,
};

mod credits;
mod failures;
mod items;

::mandates::stored_codes! {
    /// What an item of a report does to its collection.
    pub enum Effect("report item effect") {
        Settle = "settle",
        Reject = "reject",
        Return = "return",
        Info = "info",
    }
}

::mandates::stored_codes! {
    /// Why an item of a report does not settle or fail a debit as it stands (stored in
    /// `report_items.meaning`). The first five are informational: recorded, counted, shown
    /// on the reports page, never an "unmatched" exception; the last two mark items of our
    /// own debits that staff must look at.
    pub enum Meaning("report item meaning") {
        /// Not booked yet (`PDNG`, or any status but `BOOK`): applied only once booked.
        Pending = "pending",
        /// In a currency tahsil does not collect: kept as written.
        ForeignCurrency = "foreign_currency",
        /// A bank transaction of another family than our direct debits (a transfer, fees…).
        OtherTransaction = "other_transaction",
        /// A direct debit of another creditor.
        OtherCreditor = "other_creditor",
        /// Nothing that links it to a debit (no EndToEndId, no mandate).
        Unlinked = "unlinked",
        /// A DZD amount that is not a whole number of centimes on one of our debits.
        InexactAmount = "inexact_amount",
        /// Our debit taken back from the fund's account (a DBIT booking) with no reversal
        /// flag or return information: a return or a refund claim, for staff.
        RefundClaim = "refund_claim",
        /// A reversal credited to the fund's account (`CRDT` with a reversal): the reversal
        /// of a debit of the account, never the return of one of our collections (which
        /// takes money back: `DBIT`). Not applied; a conflict for staff.
        ReversedDebit = "reversed_debit",
    }
}

impl Meaning {
    /// The informational meanings, as SQL (`items::outcome_of`).
    pub(crate) const INFORMATIONAL_SQL: &'static str =
        "('pending', 'foreign_currency', 'other_transaction', 'other_creditor', 'unlinked')";

    /// Informational: kept and counted, never raised to staff.
    pub fn is_informational(self) -> bool {
        match self {
            Meaning::Pending
            | Meaning::ForeignCurrency
            | Meaning::OtherTransaction
            | Meaning::OtherCreditor
            | Meaning::Unlinked => true,
            Meaning::InexactAmount | Meaning::RefundClaim | Meaning::ReversedDebit => false,
        }
    }
}

/// What an item says beyond its effect on a debit (camt entries; all empty elsewhere).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemFacts {
    pub meaning: Option<Meaning>,
    /// The entry's booking date: the date a settlement is recorded on.
    pub booked_on: Option<NaiveDate>,
    pub value_date: Option<NaiveDate>,
    /// "CRDT" or "DBIT".
    pub credit_debit: Option<String>,
    pub currency: Option<String>,
    /// The amount as written when it is not kept in `amount` (not DZD, or not a whole
    /// number of centimes).
    pub amount_text: Option<String>,
    /// A booked credit that is not one of our collections: kept in `incoming_credits`.
    pub incoming_credit: Option<IncomingCredit>,
}

/// Who paid and why, for a booked credit that is not one of our collections. Personal:
/// encrypted at rest, and its `Debug` shows none of it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IncomingCredit {
    /// The bank's own reference of the entry (`AcctSvcrRef`): one entry reported twice is
    /// kept once.
    pub entry_key: Option<String>,
    pub entry_reference: Option<String>,
    /// The payer's reference of the transfer (`EndToEndId`), when it gave one: with the
    /// day, amount and account, what finds the same transfer reported again without an
    /// `AcctSvcrRef` (migration 0023's `dedupe_key`).
    pub end_to_end_id: Option<String>,
    pub debtor_name: Option<String>,
    pub debtor_account: Option<String>,
    pub remittance: Option<String>,
}

impl std::fmt::Debug for IncomingCredit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingCredit")
            .field("entry_key", &self.entry_key)
            .field("entry_reference", &self.entry_reference)
            .field(
                "debtor_account",
                &self.debtor_account.as_deref().map(mandates::mask_digits),
            )
            .finish_non_exhaustive()
    }
}

/// One transaction of a report, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportItem {
    pub end_to_end_id: Option<String>,
    pub mandate_reference: Option<String>,
    pub amount: Option<Amount>,
    pub status: Option<String>,
    pub reason_code: Option<String>,
    /// Where a failure stands in the reason taxonomy, and what to do next.
    pub reason_category: Option<ReasonCategory>,
    pub retry_class: Option<RetryClass>,
    pub effect: Effect,
    pub facts: ItemFacts,
}

/// A report read and classified, ready to apply.
#[derive(Clone, Debug)]
pub struct NewReport {
    /// The institution it came from (its drop folder, its API token), when known.
    pub institution: Option<Institution>,
    pub file_name: String,
    pub sha256: String,
    pub format: String,
    pub message_id: Option<String>,
    pub original_message_id: Option<String>,
    pub items: Vec<ReportItem>,
}

/// Dates and limits of one reconciliation pass.
#[derive(Clone, Copy, Debug)]
pub struct ReconcilePolicy {
    pub today: NaiveDate,
    /// When a retryable failure is presented again (a business day respecting the notice).
    pub retry_date: NaiveDate,
    pub max_attempts: u32,
}

/// What applying a report did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub report_id: i64,
    /// True when these exact bytes were imported before: nothing changed.
    pub already_imported: bool,
    /// True when the report listed no transaction: recorded as empty, nothing applied.
    pub empty: bool,
    pub items: u64,
    pub settled: u64,
    pub rejected: u64,
    pub returned: u64,
    pub informational: u64,
    /// Booked credits that are not our collections, kept for the ledger (a credit already
    /// kept from an earlier report is not counted again).
    pub incoming_credits: u64,
    /// Of those, how many named one employer and were recorded as its payment.
    pub incoming_credits_matched: u64,
    pub retries_planned: u64,
    pub mandates_suspended: u64,
    pub exceptions: u64,
}

/// A report as listed for staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct ReportRecord {
    pub id: i64,
    #[sqlx(try_from = "OptionalCode")]
    pub institution: Option<Institution>,
    pub file_name: String,
    pub sha256: String,
    pub format: String,
    pub message_id: Option<String>,
    pub original_message_id: Option<String>,
    pub items: i64,
    pub applied: i64,
    pub exceptions: i64,
    pub imported_at: String,
    pub imported_by: String,
}

/// The debits a report names (its matched items), and those created after id `$1` (the
/// retries it planned): what its import changes, for `collection_totals::shift`.
const NAMED_BY_REPORT: &str = "collections c WHERE c.id IN (SELECT i.collection_id FROM report_items i \
     WHERE i.report_id = $1 AND i.collection_id IS NOT NULL)";
/// The retries this report planned: new since it began, and each the next attempt of one
/// of its debits (a debit another transaction planned meanwhile is counted by its own).
const CREATED_AFTER: &str = "collections c WHERE c.id > $1 AND c.retry_of IN \
     (SELECT i.collection_id FROM report_items i WHERE i.report_id = $2 AND i.collection_id IS NOT NULL)";

/// What names a report, besides its items and the hash of its bytes.
#[derive(Clone, Debug)]
pub struct ReportHead {
    /// The institution it came from (its drop folder, its API token), when known.
    pub institution: Option<Institution>,
    pub file_name: String,
    pub format: String,
    pub message_id: Option<String>,
    pub original_message_id: Option<String>,
}

/// How many items are recorded by one statement: a report's items go to the database this
/// many at a time, so what an import holds does not grow with the report.
pub const ITEM_CHUNK: usize = 4_096;

/// A report being applied, in its one transaction: its row recorded, its items added a
/// chunk at a time ([`ReportApplication::add_items`]), then matched, settled, failed,
/// noticed and audited at once ([`ReportApplication::finish`]). Dropped before `finish`,
/// nothing of it is kept (its transaction rolls back).
pub struct ReportApplication<'s> {
    store: &'s Store,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    head: ReportHead,
    report_id: i64,
    now: String,
    /// Items recorded so far (the next one is numbered `items + 1`).
    items: u64,
    /// Whether some item says it is not a collection (see `finish`).
    informational_by_nature: bool,
    incoming_credits: u64,
}

impl std::fmt::Debug for ReportApplication<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportApplication")
            .field("report_id", &self.report_id)
            .field("file_name", &self.head.file_name)
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}

/// A report begun, or found imported before (by the hash of its bytes).
#[derive(Debug)]
pub enum ReportStart<'s> {
    AlreadyImported(i64),
    /// Boxed: the application holds its transaction (a few hundred bytes).
    Begun(Box<ReportApplication<'s>>),
}

impl Store {
    /// Applies a report once: see the module docs.
    pub async fn apply_report(
        &self,
        actor: &Actor,
        report: &NewReport,
        policy: ReconcilePolicy,
    ) -> StoreResult<ImportSummary> {
        let head = ReportHead {
            institution: report.institution,
            file_name: report.file_name.clone(),
            format: report.format.clone(),
            message_id: report.message_id.clone(),
            original_message_id: report.original_message_id.clone(),
        };
        let mut application = match self.begin_report(actor, head, Some(&report.sha256)).await? {
            ReportStart::AlreadyImported(report_id) => {
                return Ok(ImportSummary {
                    report_id,
                    already_imported: true,
                    ..ImportSummary::default()
                });
            }
            ReportStart::Begun(application) => *application,
        };
        for chunk in report.items.chunks(ITEM_CHUNK) {
            application.add_items(chunk).await?;
        }
        application.finish(actor, policy).await
    }

    /// Begins applying a report: its transaction, its row. With the hash of its bytes
    /// (`sha256`), a report imported before is found at once; a report still being read
    /// (streamed, hashed as it goes) is named by its hash at the end
    /// ([`ReportApplication::identify`]).
    pub async fn begin_report(
        &self,
        actor: &Actor,
        head: ReportHead,
        sha256: Option<&str>,
    ) -> StoreResult<ReportStart<'_>> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        // Planning, payments and imports take turns (PostgreSQL): an import may record
        // payments (matched credits) and use credits, which must never race a plan.
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let sha256 = match sha256 {
            Some(sha256) => {
                if let Some(report_id) = imported_before(&mut tx, sha256).await? {
                    return Ok(ReportStart::AlreadyImported(report_id));
                }
                sha256.to_owned()
            }
            // Unique until `identify` replaces it; never committed.
            None => format!("reading {}", super::secrets::random_token()),
        };
        let report_id = record_report(&mut tx, actor, &head, &sha256, &now).await?;
        Ok(ReportStart::Begun(Box::new(ReportApplication {
            store: self,
            tx,
            head,
            report_id,
            now,
            items: 0,
            informational_by_nature: false,
            incoming_credits: 0,
        })))
    }

    /// Debits with no reject by their settlement date count as settled: every submitted
    /// collection dated on or before `last_settled_date`.
    pub async fn settle_elapsed(
        &self,
        actor: &Actor,
        last_settled_date: NaiveDate,
        today: NaiveDate,
    ) -> StoreResult<u64> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        // The debits this pass settles, by id: what it changes is exactly them (by
        // `updated_at` alone, a second pass at the same instant — a fixed clock — counted
        // the first one's debits again in the console's totals).
        sqlx::query("CREATE TEMP TABLE settle_window (id BIGINT PRIMARY KEY)")
            .execute(&mut *tx)
            .await?;
        let last_text = last_settled_date.to_string();
        sqlx::query(
            "INSERT INTO settle_window (id) SELECT id FROM collections \
             WHERE status = 'submitted' AND collection_date <= $1",
        )
        .bind(&last_text)
        .execute(&mut *tx)
        .await?;
        let due = "collections c WHERE c.id IN (SELECT w.id FROM settle_window w) AND $1 <> ''";
        shift(&mut tx, Shift::Remove, due, &[Bind::Text(&now)]).await?;
        let settled = sqlx::query(
            "UPDATE collections SET status = 'settled', settled_on = $1, updated_at = $2 \
             WHERE status = 'submitted' AND id IN (SELECT w.id FROM settle_window w)",
        )
        .bind(today.to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        shift(&mut tx, Shift::Add, due, &[Bind::Text(&now)]).await?;
        if settled > 0 {
            let just = "collections c WHERE c.id IN (SELECT w.id FROM settle_window w) \
                 AND c.status = 'settled' AND c.updated_at = $1 AND c.report_id IS NULL";
            let binds = [Bind::Text(&now)];
            ledger::record_settled(
                &mut tx,
                "c.id IN (SELECT w.id FROM settle_window w) AND c.updated_at = $1 AND c.report_id IS NULL",
                &binds,
                &now,
            )
            .await?;
            NoticeEvents::new(NoticeKind::Receipt, "c", just)
                .record(&mut tx, &now, &binds)
                .await?;
            AuditRows {
                action: "'collection.settled'",
                entity: "collection",
                id: "c.id",
                detail: &detail_sql(&[("by", Fixed("settlement window"))]),
                from: just,
            }
            .record(&mut tx, &now, actor, &binds)
            .await?;
        }
        sqlx::query("DROP TABLE settle_window")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(settled)
    }

    pub async fn reports(&self) -> StoreResult<Vec<ReportRecord>> {
        Ok(sqlx::query_as::<_, ReportRecord>(
            "SELECT id, institution, file_name, sha256, format, message_id, original_message_id, items, applied, \
             exceptions, imported_at, imported_by FROM reports ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

impl ReportApplication<'_> {
    /// Records the next items of the report, matched by EndToEndId and judged (step 1),
    /// and keeps those of them that are booked credits not ours (step 3b).
    pub async fn add_items(&mut self, items: &[ReportItem]) -> StoreResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let backend = self.store.backend;
        let scope = items::institution_scope(self.head.institution);
        let first = self.items;
        items::record_items(
            &mut self.tx,
            backend,
            self.report_id,
            first,
            items::items_json(items),
            scope,
        )
        .await?;
        // Step 3b on the way in: an item judged `info` here stays so (the later steps
        // change only matched or unmatched items), so its credit is kept as it would be
        // after the settlements.
        self.incoming_credits += credits::record(
            &mut self.tx,
            &self.store.cipher,
            backend,
            credits::Batch {
                institution: self.head.institution,
                report_id: self.report_id,
                first,
                items,
            },
            &self.now,
        )
        .await?;
        self.items += items.len() as u64;
        self.informational_by_nature |= items
            .iter()
            .any(|i| i.facts.meaning.is_some_and(Meaning::is_informational));
        Ok(())
    }

    /// Names a report that was streamed by the hash of its bytes and its message id, once
    /// read: the id of the report imported before with the same bytes, if any (then drop
    /// this one: nothing of it is kept).
    pub async fn identify(
        &mut self,
        sha256: &str,
        message_id: Option<String>,
    ) -> StoreResult<Option<i64>> {
        if let Some(report_id) = imported_before(&mut self.tx, sha256).await? {
            return Ok(Some(report_id));
        }
        sqlx::query("UPDATE reports SET sha256 = $2, message_id = $3 WHERE id = $1")
            .bind(self.report_id)
            .bind(sha256)
            .bind(message_id.clone())
            .execute(&mut *self.tx)
            .await
            .map_err(|e| {
                conflict_on_unique(e, || {
                    "this report is being imported by another instance".to_owned()
                })
            })?;
        self.head.message_id = message_id;
        Ok(None)
    }

    /// How many items were recorded.
    pub fn items(&self) -> u64 {
        self.items
    }

    /// Applies the items recorded (steps 2 to 9) and commits: see the module docs.
    pub async fn finish(
        self,
        actor: &Actor,
        policy: ReconcilePolicy,
    ) -> StoreResult<ImportSummary> {
        let ReportApplication {
            store,
            mut tx,
            head,
            report_id,
            now,
            items: item_count,
            informational_by_nature,
            incoming_credits,
        } = self;
        let today = policy.today.to_string();
        if item_count == 0 {
            // Nothing to apply: recorded as an empty report (its bytes are known, so the
            // same file again is recognised), never counted as applied.
            Audit::new(actor, "report.empty")
                .on("report", report_id)
                .detail(serde_json::json!({
                    "file_name": head.file_name,
                    "format": head.format,
                    "items": 0,
                }))
                .record(&mut tx, &now)
                .await?;
            tx.commit().await?;
            return Ok(ImportSummary {
                report_id,
                empty: true,
                ..ImportSummary::default()
            });
        }
        let started = std::time::Instant::now();
        let step =
            |name: &str| tracing::debug!(step = name, elapsed = ?started.elapsed(), "apply_report");
        // 1. What the report said, item by item, was recorded as it was read (`add_items`),
        // matched by EndToEndId on the way in and judged against the collection's state
        // before the report.
        let scope = items::institution_scope(head.institution);
        // 2. The rest matched by mandate + amount among debits in flight, judged the same way.
        items::match_by_mandate(&mut tx, report_id, scope, policy.today).await?;
        items::mark_repeats(&mut tx, report_id).await?;
        // A report none of whose items is ours is refused — unless it says of some items
        // that they are not collections (a statement of the fund's account on a day with
        // no collection booked): those are kept, informational.
        if items::matched(&mut tx, report_id).await? == 0 && !informational_by_nature {
            tx.rollback().await?;
            return Err(StoreError::Invalid(format!(
                "none of its {} transactions matches a debit tahsil sent (by EndToEndId, or mandate and amount): \
                 check it is meant for this fund",
                item_count
            )));
        }
        step("matched");
        // 3. Settlements, dated by their entries' booking dates. (The totals of the debits the report names are taken away first,
        // and added back with the retries it plans before the audit: `collection_totals`.)
        let before: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM collections")
                .fetch_one(&mut *tx)
                .await?;
        let named = [Bind::Int(report_id)];
        shift(&mut tx, Shift::Remove, NAMED_BY_REPORT, &named).await?;
        let settled = settle(&mut tx, report_id, &today, &now).await?;
        ledger::record_settled(&mut tx, "c.report_id = $1", &[Bind::Int(report_id)], &now).await?;
        step("settled");
        // 3b. Booked credits that are not ours were kept for the ledger as they came.
        // 3c. Those naming one employer (affiliation number, mandate reference) paid as
        // its transfers (`incoming_credits`); the rest wait for staff.
        let credits_paid = incoming_credits::match_report(
            &mut tx,
            &store.cipher,
            store.backend.lock_rows(),
            actor,
            report_id,
            policy.today,
            &now,
        )
        .await?;
        step("incoming credits matched");
        // 4. The failures, rejected or returned, their lines owed again.
        failures::record(&mut tx, report_id).await?;
        let (rejected, returned) = failures::apply(&mut tx, report_id, &now).await?;
        ledger::record_failures(&mut tx, report_id, &today, &now).await?;
        // 4b. A dispute credit on a debit now failed is undone, before the credit pays.
        dispute_effects::reverse_for_failures(&mut tx, actor, report_id, &today, &now).await?;
        step("failures applied");
        // 4c. An employer in credit (paid by another channel while its debit was with the
        // bank) has it pay the lines the failure made owed again, before a retry copies
        // them: a retry is never presented for lines the employer has already paid.
        let credits_used = payments::use_credits(
            &mut tx,
            store.backend.lock_rows(),
            "p.employer_id IN (SELECT c.employer_id FROM report_failures f \
             JOIN collections c ON c.id = f.collection_id WHERE f.report_id = CAST($1 AS BIGINT))",
            &[Bind::Int(report_id)],
            &today,
            &today,
            &now,
        )
        .await?;
        step("credits used");
        // 5. Retries of retryable failures, while attempts remain and the mandate is active.
        // A retry is announced today: debited no earlier than the notice period from now.
        let earliest = policy
            .today
            .checked_add_days(chrono::Days::new(u64::from(store.notice_days)))
            .unwrap_or(chrono::NaiveDate::MAX)
            .to_string();
        let retries = failures::plan_retries(
            &mut tx,
            report_id,
            &policy,
            failures::Announced {
                today: &today,
                earliest: &earliest,
            },
            &now,
        )
        .await?;
        step("retries planned");
        // 6. Failures that need a new account or mandate: the mandate is suspended.
        let suspended = failures::suspend_mandates(&mut tx, actor, report_id, &now).await?;
        failures::forget(&mut tx).await?;
        step("mandates suspended");
        // 7. Notices: receipts and failure notices, once per collection.
        record_notices(&mut tx, report_id, &now).await?;
        step("notices recorded");
        // 8. Exceptions: what did not apply cleanly, and failures for staff.
        let exceptions = raise_exceptions(&mut tx, report_id, &now).await?;
        step("exceptions recorded");
        shift(&mut tx, Shift::Add, NAMED_BY_REPORT, &named).await?;
        shift(
            &mut tx,
            Shift::Add,
            CREATED_AFTER,
            &[Bind::Int(before), Bind::Int(report_id)],
        )
        .await?;
        step("totals kept");
        // 9. The audit trail: every collection the report changed, and the report itself.
        let counts = Counts {
            settled,
            rejected,
            returned,
            exceptions,
            incoming_credits,
        };
        let informational =
            audit_report(&mut tx, actor, &head, report_id, item_count, &now, counts).await?;
        incoming_credits::audit_paid(&mut tx, actor, &credits_paid, &now).await?;
        payments::audit_credits_used(&mut tx, actor, &credits_used, &now).await?;
        step("audited");
        tx.commit().await?;
        step("committed");
        Ok(ImportSummary {
            report_id,
            already_imported: false,
            empty: false,
            items: item_count,
            settled,
            rejected,
            returned,
            informational,
            incoming_credits,
            incoming_credits_matched: credits_paid.len() as u64,
            retries_planned: retries,
            mandates_suspended: suspended,
            exceptions,
        })
    }
}

/// The report already imported with the same bytes (by hash), if any.
async fn imported_before(tx: &mut AnyConnection, sha256: &str) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM reports WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// The report's row (its item count set at the end, by `audit_report`); another instance
/// importing the same bytes at the same moment makes this a conflict.
async fn record_report(
    tx: &mut AnyConnection,
    actor: &Actor,
    report: &ReportHead,
    sha256: &str,
    now: &str,
) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO reports (institution, file_name, sha256, format, message_id, original_message_id, \
         items, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(report.institution.map(Institution::as_str))
    .bind(&report.file_name)
    .bind(sha256)
    .bind(&report.format)
    .bind(report.message_id.clone())
    .bind(report.original_message_id.clone())
    .bind(0_i64)
    .bind(now)
    .bind(actor.as_str())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        conflict_on_unique(e, || "this report is being imported by another instance".to_owned())
    })
}

/// Step 3: the collections the report settles, each on its entry's booking date (the
/// day the money was booked to the fund's account), else its value date, else the import
/// day (a report that gives neither). Returns how many.
async fn settle(
    tx: &mut AnyConnection,
    report_id: i64,
    today: &str,
    now: &str,
) -> StoreResult<u64> {
    Ok(sqlx::query(
        "UPDATE collections SET status = 'settled', report_id = $1, updated_at = $3, \
         settled_on = COALESCE(i.day, $2) \
         FROM (SELECT collection_id, MIN(COALESCE(booked_on, value_date)) AS day FROM report_items \
           WHERE report_id = $1 AND outcome = 'applied' AND effect = 'settle' GROUP BY collection_id) i \
         WHERE collections.status = 'submitted' AND collections.id = i.collection_id",
    )
    .bind(report_id)
    .bind(today)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Step 7: a receipt or a failure notice for each collection the report changed, once.
async fn record_notices(tx: &mut AnyConnection, report_id: i64, now: &str) -> StoreResult<()> {
    NoticeEvents::new(
        NoticeKind::FailureNotice,
        "c",
        "collections c WHERE c.report_id = $1",
    )
    .when("c.status = 'settled'", NoticeKind::Receipt)
    .record(tx, now, &[Bind::Int(report_id)])
    .await?;
    Ok(())
}

/// Step 8: an exception for each item that did not apply cleanly, and for each applied
/// failure that needs staff. Returns how many.
async fn raise_exceptions(tx: &mut AnyConnection, report_id: i64, now: &str) -> StoreResult<u64> {
    Ok(sqlx::query(
        "INSERT INTO exceptions (kind, report_id, item, collection_id, detail, created_at) \
         SELECT CASE WHEN outcome = 'applied' THEN 'needs_staff' ELSE outcome END, report_id, item, collection_id, \
         'end_to_end_id ' || COALESCE(end_to_end_id, '(none)') || ', amount ' || \
         COALESCE(CAST(amount_centimes AS TEXT), '(none)') || ' centimes, status ' || COALESCE(status, '(none)') || \
         ', reason ' || COALESCE(reason_code, '(none)') || ', effect ' || effect, $2 \
         FROM report_items WHERE report_id = $1 AND (outcome IN ('unmatched', 'amount_mismatch', 'duplicate', 'conflict') \
           OR (outcome = 'applied' AND retry_class = 'needs_staff'))",
    )
    .bind(report_id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// What the report did, for its row and its audit entry.
#[derive(Clone, Copy, Debug)]
struct Counts {
    settled: u64,
    rejected: u64,
    returned: u64,
    exceptions: u64,
    incoming_credits: u64,
}

/// Step 9: an audit entry for every collection the report changed and one for the report,
/// whose row gets its counts. Returns how many items were informational.
async fn audit_report(
    tx: &mut AnyConnection,
    actor: &Actor,
    report: &ReportHead,
    report_id: i64,
    items: u64,
    now: &str,
    counts: Counts,
) -> StoreResult<u64> {
    AuditRows {
        action: "'collection.' || c.status",
        entity: "collection",
        id: "c.id",
        detail: &detail_sql(&[
            ("report_id", Number("$1")),
            ("reason", Text("COALESCE(c.reason_code, '')")),
        ]),
        from: "collections c WHERE c.report_id = $1",
    }
    .record(&mut *tx, now, actor, &[Bind::Int(report_id)])
    .await?;
    let informational: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM report_items WHERE report_id = $1 AND outcome = 'info'",
    )
    .bind(report_id)
    .fetch_one(&mut *tx)
    .await?;
    let Counts {
        settled,
        rejected,
        returned,
        exceptions,
        incoming_credits,
    } = counts;
    let applied = settled + rejected + returned;
    sqlx::query("UPDATE reports SET applied = $2, exceptions = $3, items = $4 WHERE id = $1")
        .bind(report_id)
        .bind(applied as i64)
        .bind(exceptions as i64)
        .bind(items as i64)
        .execute(&mut *tx)
        .await?;
    Audit::new(actor, "report.imported")
        .on("report", report_id)
        .detail(serde_json::json!({
            "file_name": report.file_name,
            "format": report.format,
            "items": items,
            "settled": settled,
            "rejected": rejected,
            "returned": returned,
            "exceptions": exceptions,
            "informational": informational,
            "incoming_credits": incoming_credits,
        }))
        .record(&mut *tx, now)
        .await?;
    Ok(u64::try_from(informational).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::Meaning;

    #[test]
    fn the_informational_meanings_in_sql_are_those_of_the_enum() {
        let listed: Vec<&str> = Meaning::ALL
            .iter()
            .filter(|m| m.is_informational())
            .map(|m| m.as_str())
            .collect();
        let sql = Meaning::INFORMATIONAL_SQL;
        let in_sql: Vec<&str> = sql
            .trim_matches(['(', ')'])
            .split(", ")
            .map(|code| code.trim_matches('\''))
            .collect();
        assert_eq!(in_sql, listed);
    }
}

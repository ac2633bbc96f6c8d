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
//! `apply_report` below reads as its steps, each a function taking the one transaction:
//! the report recorded, its items recorded, matched and judged (`items`), settlements,
//! failures, retries and suspensions (`failures`), notices, exceptions, the audit trail.
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
    conflict_on_unique,
};

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
const CREATED_AFTER: &str = "collections c WHERE c.id > $1";

impl Store {
    /// Applies a report once: see the module docs.
    pub async fn apply_report(
        &self,
        actor: &Actor,
        report: &NewReport,
        policy: ReconcilePolicy,
    ) -> StoreResult<ImportSummary> {
        let now = self.now_text();
        let today = policy.today.to_string();
        let mut tx = self.begin_write().await?;
        if let Some(report_id) = imported_before(&mut tx, report).await? {
            return Ok(ImportSummary {
                report_id,
                already_imported: true,
                ..ImportSummary::default()
            });
        }
        let report_id = record_report(&mut tx, actor, report, &now).await?;
        if report.items.is_empty() {
            // Nothing to apply: recorded as an empty report (its bytes are known, so the
            // same file again is recognised), never counted as applied.
            Audit::new(actor, "report.empty")
                .on("report", report_id)
                .detail(serde_json::json!({
                    "file_name": report.file_name,
                    "format": report.format,
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
        // 1. What the report said, item by item, matched by EndToEndId on the way in and
        // judged against the collection's state before the report.
        let items = items::items_json(&report.items);
        step("json");
        let scope = items::institution_scope(report);
        items::record_items(&mut tx, self.backend, report_id, items, scope).await?;
        step("items recorded");
        // 2. The rest matched by mandate + amount among debits in flight, judged the same way.
        items::match_by_mandate(&mut tx, report_id, scope, policy.today).await?;
        items::mark_repeats(&mut tx, report_id).await?;
        if items::matched(&mut tx, report_id).await? == 0 && !report.items.is_empty() {
            tx.rollback().await?;
            return Err(StoreError::Invalid(format!(
                "none of its {} transactions matches a debit tahsil sent (by EndToEndId, or mandate and amount): \
                 check it is meant for this fund",
                report.items.len()
            )));
        }
        step("matched");
        // 3. Settlements. (The totals of the debits the report names are taken away first,
        // and added back with the retries it plans before the audit: `collection_totals`.)
        let before: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM collections")
                .fetch_one(&mut *tx)
                .await?;
        let named = [Bind::Int(report_id)];
        shift(&mut tx, Shift::Remove, NAMED_BY_REPORT, &named).await?;
        let settled = settle(&mut tx, report_id, &today, &now).await?;
        step("settled");
        // 4. The failures, rejected or returned, their lines owed again.
        failures::record(&mut tx, report_id).await?;
        let (rejected, returned) = failures::apply(&mut tx, report_id, &now).await?;
        step("failures applied");
        // 5. Retries of retryable failures, while attempts remain and the mandate is active.
        // A retry is announced today: debited no earlier than the notice period from now.
        let earliest = policy
            .today
            .checked_add_days(chrono::Days::new(u64::from(self.notice_days)))
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
        shift(&mut tx, Shift::Add, CREATED_AFTER, &[Bind::Int(before)]).await?;
        step("totals kept");
        // 9. The audit trail: every collection the report changed, and the report itself.
        let counts = Counts {
            settled,
            rejected,
            returned,
            exceptions,
        };
        let informational = audit_report(&mut tx, actor, report, report_id, &now, counts).await?;
        step("audited");
        tx.commit().await?;
        step("committed");
        Ok(ImportSummary {
            report_id,
            already_imported: false,
            empty: false,
            items: report.items.len() as u64,
            settled,
            rejected,
            returned,
            informational,
            retries_planned: retries,
            mandates_suspended: suspended,
            exceptions,
        })
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
        let due = "collections c WHERE c.status = 'submitted' AND c.collection_date <= $1";
        let last_text = last_settled_date.to_string();
        shift(&mut tx, Shift::Remove, due, &[Bind::Text(&last_text)]).await?;
        let settled = sqlx::query(
            "UPDATE collections SET status = 'settled', settled_on = $2, updated_at = $3 \
             WHERE status = 'submitted' AND collection_date <= $1",
        )
        .bind(last_settled_date.to_string())
        .bind(today.to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if settled > 0 {
            let just = "collections c \
                 WHERE c.status = 'settled' AND c.updated_at = $1 AND c.report_id IS NULL";
            let binds = [Bind::Text(&now)];
            shift(&mut tx, Shift::Add, just, &binds).await?;
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

/// The report already imported with the same bytes (by hash), if any.
async fn imported_before(tx: &mut AnyConnection, report: &NewReport) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM reports WHERE sha256 = $1")
            .bind(&report.sha256)
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// The report's row; another instance importing the same bytes at the same moment makes
/// this a conflict.
async fn record_report(
    tx: &mut AnyConnection,
    actor: &Actor,
    report: &NewReport,
    now: &str,
) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO reports (institution, file_name, sha256, format, message_id, original_message_id, \
         items, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(report.institution.map(Institution::as_str))
    .bind(&report.file_name)
    .bind(&report.sha256)
    .bind(&report.format)
    .bind(report.message_id.clone())
    .bind(report.original_message_id.clone())
    .bind(report.items.len() as i64)
    .bind(now)
    .bind(actor.as_str())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        conflict_on_unique(e, || "this report is being imported by another instance".to_owned())
    })
}

/// Step 3: the collections the report settles. Returns how many.
async fn settle(
    tx: &mut AnyConnection,
    report_id: i64,
    today: &str,
    now: &str,
) -> StoreResult<u64> {
    Ok(sqlx::query(
        "UPDATE collections SET status = 'settled', settled_on = $2, report_id = $1, updated_at = $3 \
         WHERE status = 'submitted' AND id IN (SELECT collection_id FROM report_items \
           WHERE report_id = $1 AND outcome = 'applied' AND effect = 'settle')",
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
}

/// Step 9: an audit entry for every collection the report changed and one for the report,
/// whose row gets its counts. Returns how many items were informational.
async fn audit_report(
    tx: &mut AnyConnection,
    actor: &Actor,
    report: &NewReport,
    report_id: i64,
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
    } = counts;
    let applied = settled + rejected + returned;
    sqlx::query("UPDATE reports SET applied = $2, exceptions = $3 WHERE id = $1")
        .bind(report_id)
        .bind(applied as i64)
        .bind(exceptions as i64)
        .execute(&mut *tx)
        .await?;
    Audit::new(actor, "report.imported")
        .on("report", report_id)
        .detail(serde_json::json!({
            "file_name": report.file_name,
            "format": report.format,
            "items": report.items.len(),
            "settled": settled,
            "rejected": rejected,
            "returned": returned,
            "exceptions": exceptions,
        }))
        .record(&mut *tx, now)
        .await?;
    Ok(u64::try_from(informational).unwrap_or(0))
}

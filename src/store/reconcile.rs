//! Reconciliation: applying a bank report to collections, in one transaction per report,
//! set-based so a 100,000-transaction report applies in a few statements.
//!
//! Matching: by EndToEndId, then by mandate reference + amount. Effects: `settle`
//! (submitted → settled, lines paid, receipt), `reject` (before settlement) and `return`
//! (after): collection rejected/returned, lines unpaid, failure notice, then by the
//! reason's retry class — `retry_later`: a new attempt planned (lines move to it) while
//! attempts remain; `never`: mandate suspended; `needs_staff`: an exception. Items that
//! match nothing, disagree on the amount, repeat what was already applied, or contradict
//! a collection's state become exceptions. The same bytes twice are refused by hash.
//! Every item is judged against the collection's state before the report, so a booking
//! and its reversal in one report end as a return; of several failures of one debit the
//! first reject (else the first return) gives the reason and the retry class.

use chrono::NaiveDate;
use mandates::Amount;
use serde::Serialize;
use sqlx::FromRow;

use super::dialect::JsonArrayRows;
use super::{Actor, Refusal, Store, StoreError, StoreResult, audit, collections::release_lines};

/// What an item of a report does to its collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Settle,
    Reject,
    Return,
    Info,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Settle => "settle",
            Effect::Reject => "reject",
            Effect::Return => "return",
            Effect::Info => "info",
        }
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
    /// Taxonomy codes (`insufficient_funds`, `retry_later`, …) for failures.
    pub reason_category: Option<&'static str>,
    pub retry_class: Option<&'static str>,
    pub effect: Effect,
}

/// A report read and classified, ready to apply.
#[derive(Clone, Debug)]
pub struct NewReport {
    pub institution: Option<String>,
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
    pub items: u64,
    pub settled: u64,
    pub rejected: u64,
    pub returned: u64,
    pub informational: u64,
    pub retries_planned: u64,
    pub mandates_suspended: u64,
    pub exceptions: u64,
}

/// An exception for finance staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct ExceptionRecord {
    pub id: i64,
    pub kind: String,
    pub report_id: Option<i64>,
    pub item: Option<i64>,
    pub collection_id: Option<i64>,
    pub detail: String,
    pub status: String,
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    pub created_at: String,
}

/// A report as listed for staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct ReportRecord {
    pub id: i64,
    pub institution: Option<String>,
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

const EXCEPTION_COLUMNS: &str = "id, kind, report_id, item, collection_id, detail, status, resolution, resolved_by, \
     resolved_at, created_at";

/// The failed collections of report `$1` (from the `report_failures` table of `apply_report`).
const FAILED_OF_REPORT: &str = "c.id IN (SELECT f.collection_id FROM report_failures f WHERE f.report_id = CAST($1 AS BIGINT))";

/// What an item does, judged against its collection's state before the report: SQL over
/// the item's columns (`amount_centimes`, `effect`, prefixed by `item`) and the given
/// expressions for the matched collection's id, status and amount.
fn outcome_of(item: &str, collection_id: &str, status: &str, amount: &str) -> String {
    format!(
        "CASE WHEN {collection_id} IS NULL THEN 'unmatched' \
           WHEN {item}amount_centimes IS NOT NULL AND {item}amount_centimes <> {amount} THEN 'amount_mismatch' \
           WHEN {item}effect = 'info' THEN 'info' \
           WHEN {item}effect = 'settle' AND {status} = 'submitted' THEN 'applied' \
           WHEN {item}effect = 'settle' AND {status} = 'settled' THEN 'duplicate' \
           WHEN {item}effect IN ('reject', 'return') AND {status} IN ('submitted', 'settled') THEN 'applied' \
           WHEN {item}effect IN ('reject', 'return') AND {status} IN ('rejected', 'returned', 'retry_planned') THEN 'duplicate' \
           ELSE 'conflict' END"
    )
}

/// The items as a JSON array of arrays, in the column order of step 1 (serialized from
/// borrowed tuples: no intermediate JSON values for a 100,000-item report).
fn items_json(items: &[ReportItem]) -> String {
    let rows: Vec<_> = items
        .iter()
        .map(|item| {
            (
                &item.end_to_end_id,
                &item.mandate_reference,
                item.amount.map(|a| a.centimes()),
                &item.status,
                &item.reason_code,
                item.reason_category,
                item.retry_class,
                item.effect.as_str(),
            )
        })
        .collect();
    serde_json::to_string(&rows).expect("report items are plain strings and integers")
}

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
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM reports WHERE sha256 = $1")
            .bind(&report.sha256)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(report_id) = existing {
            return Ok(ImportSummary {
                report_id,
                already_imported: true,
                ..ImportSummary::default()
            });
        }
        let report_id: i64 = sqlx::query_scalar(
            "INSERT INTO reports (institution, file_name, sha256, format, message_id, original_message_id, \
             items, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(report.institution.clone())
        .bind(&report.file_name)
        .bind(&report.sha256)
        .bind(&report.format)
        .bind(report.message_id.clone())
        .bind(report.original_message_id.clone())
        .bind(report.items.len() as i64)
        .bind(&now)
        .bind(actor.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            super::conflict_on_unique(e, || "this report is being imported by another instance".to_owned())
        })?;

        let started = std::time::Instant::now();
        let step =
            |name: &str| tracing::debug!(step = name, elapsed = ?started.elapsed(), "apply_report");
        // 1. What the report said, item by item, matched by EndToEndId on the way in and
        // judged against the collection's state before the report. The items travel as one
        // JSON array bound once and unpacked by the database (`json_each` /
        // `jsonb_array_elements`): a 100,000-item report is one statement instead of a
        // thousand multi-row INSERTs with 400,000 bound values. Each item's fields are
        // extracted once into a materialized table (left to the planner, SQLite would parse
        // an item again for every use of a field).
        let items = items_json(&report.items);
        step("json");
        // A report that came from an institution (its drop folder, its API token) matches
        // only debits that institution was sent.
        let scope = if report.institution.is_some() {
            " AND c.bank_file_id IN (SELECT f.id FROM bank_files f \
               WHERE f.institution = (SELECT r.institution FROM reports r WHERE r.id = $1))"
        } else {
            ""
        };
        let JsonArrayRows {
            from: source,
            position: first_item,
        } = self.backend.json_array_rows();
        let outcome = outcome_of("i.", "c.id", "c.status", "c.amount_centimes");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "WITH i AS MATERIALIZED (SELECT {first_item} AS item, j.value ->> 0 AS end_to_end_id, \
               j.value ->> 1 AS mandate_reference, CAST(j.value ->> 2 AS BIGINT) AS amount_centimes, \
               j.value ->> 3 AS status, j.value ->> 4 AS reason_code, j.value ->> 5 AS reason_category, \
               j.value ->> 6 AS retry_class, j.value ->> 7 AS effect FROM {source}) \
             INSERT INTO report_items (report_id, item, end_to_end_id, mandate_reference, amount_centimes, \
             status, reason_code, reason_category, retry_class, effect, collection_id, outcome) \
             SELECT $1, i.item, i.end_to_end_id, i.mandate_reference, i.amount_centimes, i.status, \
             i.reason_code, i.reason_category, i.retry_class, i.effect, c.id, {outcome} \
             FROM i LEFT JOIN collections c ON c.end_to_end_id = i.end_to_end_id{scope}"
        )))
        .bind(report_id)
        .bind(items)
        .execute(&mut *tx)
        .await?;

        step("items recorded");
        // 2. Matching the rest by mandate + amount among debits in flight, then judging
        // those few the same way.
        let fallback = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE report_items SET collection_id = \
             (SELECT c.id FROM collections c JOIN mandates m ON m.id = c.mandate_id \
              WHERE m.reference = report_items.mandate_reference AND c.amount_centimes = report_items.amount_centimes \
              AND c.status IN ('submitted', 'settled'){scope} ORDER BY c.id DESC LIMIT 1) \
             WHERE report_id = $1 AND collection_id IS NULL AND mandate_reference IS NOT NULL \
             AND amount_centimes IS NOT NULL"
        )))
        .bind(report_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if fallback > 0 {
            let of_item = |column: &str| {
                format!(
                    "(SELECT c.{column} FROM collections c WHERE c.id = report_items.collection_id)"
                )
            };
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE report_items SET outcome = {} \
                 WHERE report_id = $1 AND outcome = 'unmatched' AND collection_id IS NOT NULL",
                outcome_of(
                    "",
                    "collection_id",
                    &of_item("status"),
                    &of_item("amount_centimes")
                )
            )))
            .bind(report_id)
            .execute(&mut *tx)
            .await?;
        }

        let matched: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM report_items WHERE report_id = $1 AND collection_id IS NOT NULL",
        )
        .bind(report_id)
        .fetch_one(&mut *tx)
        .await?;
        if matched == 0 && !report.items.is_empty() {
            tx.rollback().await?;
            return Err(StoreError::Invalid(format!(
                "none of its {} transactions matches a debit tahsil sent (by EndToEndId, or mandate and amount): \
                 check it is meant for this fund",
                report.items.len()
            )));
        }

        step("matched");
        // 3. Settlements.
        let settled = sqlx::query(
            "UPDATE collections SET status = 'settled', settled_on = $2, report_id = $1, updated_at = $3 \
             WHERE status = 'submitted' AND id IN (SELECT collection_id FROM report_items \
               WHERE report_id = $1 AND outcome = 'applied' AND effect = 'settle')",
        )
        .bind(report_id)
        .bind(&today)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();

        step("settled");
        // 4. The failures, one row per collection, in a private table every later step
        // reads instead of the report's 100,000 items or collections: the first reject
        // item of a collection, else its first return, gives the reason and the retry
        // class. (A reject wins over a return in the same report: the debit never arrived.)
        sqlx::query(
            "CREATE TEMP TABLE report_failures (report_id BIGINT NOT NULL, collection_id BIGINT PRIMARY KEY, \
             mandate_id BIGINT NOT NULL, effect TEXT NOT NULL, reason_code TEXT, reason_category TEXT, retry_class TEXT)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO report_failures (report_id, collection_id, mandate_id, effect, reason_code, reason_category, retry_class) \
             SELECT $1, f.collection_id, c.mandate_id, f.effect, f.reason_code, f.reason_category, f.retry_class \
             FROM (SELECT collection_id, effect, reason_code, reason_category, retry_class, \
                     ROW_NUMBER() OVER (PARTITION BY collection_id \
                       ORDER BY CASE effect WHEN 'reject' THEN 0 ELSE 1 END, item) AS n \
                   FROM report_items WHERE report_id = $1 AND outcome = 'applied' AND effect IN ('reject', 'return')) f \
             JOIN collections c ON c.id = f.collection_id AND c.status IN ('submitted', 'settled') WHERE f.n = 1",
        )
        .bind(report_id)
        .execute(&mut *tx)
        .await?;
        let mut failed = [0u64; 2];
        for (slot, effect, status) in [(0, "reject", "rejected"), (1, "return", "returned")] {
            failed[slot] = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE collections SET status = '{status}', report_id = $1, updated_at = $2, \
                 reason_code = f.reason_code, reason_category = f.reason_category \
                 FROM report_failures f WHERE f.effect = '{effect}' AND f.collection_id = collections.id"
            )))
            .bind(report_id)
            .bind(&now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        // Their lines are owed again (paid ones too, for a return after settlement).
        release_lines(&mut tx, FAILED_OF_REPORT, &report_id.to_string()).await?;

        step("failures applied");
        // 5. Retries of retryable failures, while attempts remain and the mandate is active.
        let retry_text = policy.retry_date.to_string();
        let retry_compact = policy.retry_date.format("%Y%m%d").to_string();
        let retries = sqlx::query(
            "INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, status, \
             attempt, retry_of, end_to_end_id, noticed_on, created_at, updated_at) \
             SELECT c.employer_id, c.mandate_id, c.channel, $2, c.amount_centimes, 'planned', c.attempt + 1, c.id, \
             'T' || $3 || 'M' || CAST(c.mandate_id AS TEXT), $4, $5, $5 \
             FROM report_failures f JOIN collections c ON c.id = f.collection_id \
             WHERE f.report_id = $1 AND f.retry_class = 'retry_later' AND c.attempt < $6 \
             AND EXISTS (SELECT 1 FROM mandates m WHERE m.id = c.mandate_id AND m.status = 'active') \
             AND NOT EXISTS (SELECT 1 FROM collections o WHERE o.employer_id = c.employer_id AND o.collection_date = $2)",
        )
        .bind(report_id)
        .bind(&retry_text)
        .bind(&retry_compact)
        .bind(&today)
        .bind(&now)
        .bind(i64::from(policy.max_attempts))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if retries > 0 {
            let new_retries = "n.collection_date = $2 AND n.status = 'planned' AND n.retry_of IS NOT NULL AND n.retry_of IN \
                 (SELECT f.collection_id FROM report_failures f WHERE f.report_id = $1)";
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live) \
                 SELECT n.id, cl.declaration_line_id, cl.amount_centimes, 1 FROM collections n \
                 JOIN collection_lines cl ON cl.collection_id = n.retry_of \
                 JOIN declaration_lines l ON l.id = cl.declaration_line_id AND l.status = 'submitted' \
                 WHERE {new_retries} \
                 AND NOT EXISTS (SELECT 1 FROM collection_lines x WHERE x.declaration_line_id = cl.declaration_line_id AND x.live = 1)"
            )))
            .bind(report_id)
            .bind(&retry_text)
            .execute(&mut *tx)
            .await?;
            // (`live <> 0`: the lines by primary key, see `release_lines`.)
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE collections SET amount_centimes = (SELECT CAST(SUM(cl.amount_centimes) AS BIGINT) \
                 FROM collection_lines cl WHERE cl.collection_id = collections.id AND cl.live <> 0) \
                 WHERE id IN (SELECT n.id FROM collections n WHERE {new_retries})"
            )))
            .bind(report_id)
            .bind(&retry_text)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE collections SET status = 'retry_planned' \
                 WHERE id IN (SELECT f.collection_id FROM report_failures f WHERE f.report_id = $1) \
                 AND status IN ('rejected', 'returned') \
                 AND EXISTS (SELECT 1 FROM collections n WHERE n.retry_of = collections.id)",
            )
            .bind(report_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO notice_events (employer_id, kind, subject_id, dedupe_key, created_at) \
                 SELECT n.employer_id, 'advance_notice', n.id, 'advance_notice:' || CAST(n.id AS TEXT), $3 \
                 FROM collections n WHERE {new_retries} \
                 ON CONFLICT (dedupe_key) DO NOTHING"
            )))
            .bind(report_id)
            .bind(&retry_text)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }

        step("retries planned");
        // 6. Failures that need a new account or mandate: the mandate is suspended.
        let suspended = sqlx::query(
            "UPDATE mandates SET status = 'suspended', status_reason = 'suspended after a bank return', updated_at = $2 \
             WHERE status = 'active' AND id IN (SELECT f.mandate_id FROM report_failures f \
               WHERE f.report_id = $1 AND f.retry_class = 'never')",
        )
        .bind(report_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if suspended > 0 {
            let just_suspended = "m.updated_at = $2 AND m.status = 'suspended' AND m.id IN \
                 (SELECT f.mandate_id FROM report_failures f WHERE f.report_id = $1 AND f.retry_class = 'never')";
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO notice_events (employer_id, kind, subject_id, dedupe_key, created_at) \
                 SELECT m.employer_id, 'mandate_suspended', m.id, \
                 'mandate_suspended:' || CAST(m.id AS TEXT) || ':' || CAST($1 AS TEXT), $2 \
                 FROM mandates m WHERE {just_suspended} \
                 ON CONFLICT (dedupe_key) DO NOTHING"
            )))
            .bind(report_id)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) \
                 SELECT $2, $3, 'mandate.suspended', 'mandate', CAST(m.id AS TEXT), \
                 '{{\"report_id\":' || CAST($1 AS TEXT) || '}}' FROM mandates m WHERE {just_suspended}"
            )))
            .bind(report_id)
            .bind(&now)
            .bind(actor.as_str())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DROP TABLE report_failures")
            .execute(&mut *tx)
            .await?;

        step("mandates suspended");
        // 7. Notices: receipts and failure notices, once per collection.
        sqlx::query(
            "INSERT INTO notice_events (employer_id, kind, subject_id, dedupe_key, created_at) \
             SELECT c.employer_id, CASE WHEN c.status = 'settled' THEN 'receipt' ELSE 'failure_notice' END, c.id, \
             CASE WHEN c.status = 'settled' THEN 'receipt:' ELSE 'failure_notice:' END || CAST(c.id AS TEXT), $2 \
             FROM collections c WHERE c.report_id = $1 \
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(report_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;

        step("notices recorded");
        // 8. Exceptions: what did not apply cleanly, and failures for staff.
        let exceptions = sqlx::query(
            "INSERT INTO exceptions (kind, report_id, item, collection_id, detail, created_at) \
             SELECT CASE WHEN outcome = 'applied' THEN 'needs_staff' ELSE outcome END, report_id, item, collection_id, \
             'end_to_end_id ' || COALESCE(end_to_end_id, '(none)') || ', amount ' || \
             COALESCE(CAST(amount_centimes AS TEXT), '(none)') || ' centimes, status ' || COALESCE(status, '(none)') || \
             ', reason ' || COALESCE(reason_code, '(none)') || ', effect ' || effect, $2 \
             FROM report_items WHERE report_id = $1 AND (outcome IN ('unmatched', 'amount_mismatch', 'duplicate', 'conflict') \
               OR (outcome = 'applied' AND retry_class = 'needs_staff'))",
        )
        .bind(report_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();

        step("exceptions recorded");
        // 9. The audit trail: every collection the report changed, and the report itself.
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) \
             SELECT $2, $3, 'collection.' || c.status, 'collection', CAST(c.id AS TEXT), \
             '{\"report_id\":' || CAST($1 AS TEXT) || ',\"reason\":\"' || COALESCE(c.reason_code, '') || '\"}' \
             FROM collections c WHERE c.report_id = $1",
        )
        .bind(report_id)
        .bind(&now)
        .bind(actor.as_str())
        .execute(&mut *tx)
        .await?;
        let informational: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM report_items WHERE report_id = $1 AND outcome = 'info'",
        )
        .bind(report_id)
        .fetch_one(&mut *tx)
        .await?;
        let applied = settled + failed[0] + failed[1];
        sqlx::query("UPDATE reports SET applied = $2, exceptions = $3 WHERE id = $1")
            .bind(report_id)
            .bind(applied as i64)
            .bind(exceptions as i64)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            &now,
            actor,
            "report.imported",
            "report",
            report_id,
            serde_json::json!({
                "file_name": report.file_name,
                "format": report.format,
                "items": report.items.len(),
                "settled": settled,
                "rejected": failed[0],
                "returned": failed[1],
                "exceptions": exceptions,
            }),
        )
        .await?;
        step("audited");
        tx.commit().await?;
        step("committed");
        Ok(ImportSummary {
            report_id,
            already_imported: false,
            items: report.items.len() as u64,
            settled,
            rejected: failed[0],
            returned: failed[1],
            informational: u64::try_from(informational).unwrap_or(0),
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
            let just = "c.status = 'settled' AND c.updated_at = $1 AND c.report_id IS NULL";
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO notice_events (employer_id, kind, subject_id, dedupe_key, created_at) \
                 SELECT c.employer_id, 'receipt', c.id, 'receipt:' || CAST(c.id AS TEXT), $1 \
                 FROM collections c WHERE {just} ON CONFLICT (dedupe_key) DO NOTHING"
            )))
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) \
                 SELECT $1, $2, 'collection.settled', 'collection', CAST(c.id AS TEXT), \
                 '{{\"by\":\"settlement window\"}}' FROM collections c WHERE {just}"
            )))
            .bind(&now)
            .bind(actor.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(settled)
    }

    pub async fn exceptions(&self, open_only: bool) -> StoreResult<Vec<ExceptionRecord>> {
        Ok(sqlx::query_as::<_, ExceptionRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {EXCEPTION_COLUMNS} FROM exceptions WHERE ($1 = 0 OR status = 'open') ORDER BY id"
        )))
        .bind(i64::from(open_only))
        .fetch_all(&self.pool)
        .await?)
    }

    /// A page of exceptions, newest first: those with an id below `before` (all when
    /// `None`), at most `limit`.
    pub async fn exceptions_before(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<ExceptionRecord>> {
        Ok(sqlx::query_as::<_, ExceptionRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {EXCEPTION_COLUMNS} FROM exceptions WHERE ($1 = 0 OR id < $1) ORDER BY id DESC LIMIT $2"
        )))
        .bind(before.unwrap_or(0))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many exceptions are open.
    pub async fn open_exception_count(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM exceptions WHERE status = 'open'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// How many files are in quarantine.
    pub async fn quarantined_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM quarantined_files")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Resolves an open exception with a note (audited).
    pub async fn resolve_exception(
        &self,
        actor: &Actor,
        id: i64,
        resolution: &str,
    ) -> StoreResult<ExceptionRecord> {
        if resolution.trim().is_empty() {
            return Err(StoreError::refused(
                Refusal::ResolutionEmpty,
                "say how the exception was resolved (resolution text is empty)",
            ));
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE exceptions SET status = 'resolved', resolution = $2, resolved_by = $3, resolved_at = $4 \
             WHERE id = $1 AND status = 'open'",
        )
        .bind(id)
        .bind(resolution.trim())
        .bind(actor.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            let exists: Option<String> =
                sqlx::query_scalar("SELECT status FROM exceptions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(match exists {
                None => StoreError::not_found("exception", id),
                Some(_) => StoreError::refused(
                    Refusal::ExceptionAlreadyResolved,
                    format!("exception {id} is already resolved"),
                ),
            });
        }
        audit::record(
            &mut tx,
            &now,
            actor,
            "exception.resolved",
            "exception",
            id,
            serde_json::json!({ "resolution": resolution.trim() }),
        )
        .await?;
        tx.commit().await?;
        let record = self
            .exceptions(false)
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| StoreError::not_found("exception", id))?;
        Ok(record)
    }

    pub async fn reports(&self) -> StoreResult<Vec<ReportRecord>> {
        Ok(sqlx::query_as::<_, ReportRecord>(
            "SELECT id, institution, file_name, sha256, format, message_id, original_message_id, items, applied, \
             exceptions, imported_at, imported_by FROM reports ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records a file moved to quarantine, with its error.
    pub async fn record_quarantine(
        &self,
        institution: Option<&str>,
        file_name: &str,
        stored_path: &str,
        sha256: &str,
        error: &str,
    ) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO quarantined_files (institution, file_name, stored_path, sha256, error, quarantined_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(institution.map(str::to_owned))
        .bind(file_name)
        .bind(stored_path)
        .bind(sha256)
        .bind(error)
        .bind(self.now_text())
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn quarantined(&self) -> StoreResult<Vec<(i64, String, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, file_name, stored_path, error FROM quarantined_files ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

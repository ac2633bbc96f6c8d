//! Steps 4 to 6 of applying a report: its failures (rejects and returns), one row per
//! collection in a private table every step here reads instead of the report's 100,000
//! items or collections; the collections rejected or returned with their lines owed again;
//! retries of the retryable ones with their advance notices; mandates suspended after a
//! failure that needs a new account or mandate, with their notices and audit entries.
//!
//! Must not know: how items were matched (`items`).

use sqlx::AnyConnection;

use super::ReconcilePolicy;
use crate::store::audit::DetailValue::Number;
use crate::store::audit::{AuditRows, detail_sql};
use crate::store::collections::release_lines;
use crate::store::notice_events::{NoticeEvents, NoticeKind};
use crate::store::{Actor, Bind, StoreResult};

/// The failed collections of report `$1` (from the `report_failures` table of `apply_report`).
const FAILED_OF_REPORT: &str = "c.id IN (SELECT f.collection_id FROM report_failures f WHERE f.report_id = CAST($1 AS BIGINT))";

/// Step 4a: the failures table. The first reject item of a collection, else its first
/// return, gives the reason and the retry class. (A reject wins over a return in the same
/// report: the debit never arrived.) Dropped by [`forget`].
pub(super) async fn record(tx: &mut AnyConnection, report_id: i64) -> StoreResult<()> {
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
    Ok(())
}

/// Step 4b: the failed collections rejected or returned, with the reason; their lines are
/// owed again. Returns how many were (rejected, returned).
pub(super) async fn apply(
    tx: &mut AnyConnection,
    report_id: i64,
    now: &str,
) -> StoreResult<(u64, u64)> {
    let mut failed = [0u64; 2];
    for (slot, effect, status) in [(0, "reject", "rejected"), (1, "return", "returned")] {
        failed[slot] = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE collections SET status = '{status}', report_id = $1, updated_at = $2, \
             reason_code = f.reason_code, reason_category = f.reason_category \
             FROM report_failures f WHERE f.effect = '{effect}' AND f.collection_id = collections.id"
        )))
        .bind(report_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    // Their lines are owed again (paid ones too, for a return after settlement).
    release_lines(&mut *tx, FAILED_OF_REPORT, &report_id.to_string()).await?;
    Ok((failed[0], failed[1]))
}

/// Step 5: a new attempt for each retryable failure on the policy's retry date, while
/// attempts remain, the mandate is active and some of its lines are still owed (not paid
/// meanwhile by another channel or by the employer's credit); those lines move to it, the failed one is
/// `retry_planned`, and the employer gets an advance notice. Returns how many.
/// The day a retry is announced on, and the earliest day it may then be debited (written
/// with it: `announced_centimes` and `earliest_debit_date`, see migration 0013).
#[derive(Clone, Copy)]
pub(super) struct Announced<'a> {
    pub today: &'a str,
    pub earliest: &'a str,
}

pub(super) async fn plan_retries(
    tx: &mut AnyConnection,
    report_id: i64,
    policy: &ReconcilePolicy,
    announced: Announced<'_>,
    now: &str,
) -> StoreResult<u64> {
    let today = announced.today;
    let retry_text = policy.retry_date.to_string();
    let retry_compact = policy.retry_date.format("%Y%m%d").to_string();
    let retries = sqlx::query(
        "INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, status, \
         attempt, retry_of, end_to_end_id, noticed_on, created_at, updated_at, announced_centimes, earliest_debit_date) \
         SELECT c.employer_id, c.mandate_id, c.channel, $2, c.amount_centimes, 'planned', c.attempt + 1, c.id, \
         'T' || $3 || 'M' || CAST(c.mandate_id AS TEXT), $4, $5, $5, c.amount_centimes, $7 \
         FROM report_failures f JOIN collections c ON c.id = f.collection_id \
         WHERE f.report_id = $1 AND f.retry_class = 'retry_later' AND c.attempt < $6 \
         AND EXISTS (SELECT 1 FROM mandates m WHERE m.id = c.mandate_id AND m.status = 'active') \
         AND NOT EXISTS (SELECT 1 FROM collections o WHERE o.employer_id = c.employer_id AND o.collection_date = $2) \
         AND NOT EXISTS (SELECT 1 FROM collections r WHERE r.retry_of = c.id) \
         AND EXISTS (SELECT 1 FROM collection_lines cl \
           JOIN declaration_lines l ON l.id = cl.declaration_line_id AND l.status = 'submitted' \
           WHERE cl.collection_id = c.id \
           AND NOT EXISTS (SELECT 1 FROM payment_allocations pa WHERE pa.declaration_line_id = l.id))",
    )
    .bind(report_id)
    .bind(&retry_text)
    .bind(&retry_compact)
    .bind(today)
    .bind(now)
    .bind(i64::from(policy.max_attempts))
    .bind(announced.earliest)
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
             AND NOT EXISTS (SELECT 1 FROM collection_lines x WHERE x.declaration_line_id = cl.declaration_line_id AND x.live = 1) \
             AND NOT EXISTS (SELECT 1 FROM payment_allocations pa WHERE pa.declaration_line_id = cl.declaration_line_id)"
        )))
        .bind(report_id)
        .bind(&retry_text)
        .execute(&mut *tx)
        .await?;
        // (`live <> 0`: the lines by primary key, see `release_lines`.) What the retry's
        // advance notice announces is its amount.
        let lines = "(SELECT CAST(SUM(cl.amount_centimes) AS BIGINT) \
             FROM collection_lines cl WHERE cl.collection_id = collections.id AND cl.live <> 0)";
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE collections SET amount_centimes = {lines}, announced_centimes = {lines} \
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
        NoticeEvents::new(
            NoticeKind::AdvanceNotice,
            "n",
            &format!("collections n WHERE {new_retries}"),
        )
        .record(tx, now, &[Bind::Int(report_id), Bind::Text(&retry_text)])
        .await?;
    }
    Ok(retries)
}

/// Step 6: failures that need a new account or mandate suspend the mandate, with a notice
/// and an audit entry each. Returns how many were suspended.
pub(super) async fn suspend_mandates(
    tx: &mut AnyConnection,
    actor: &Actor,
    report_id: i64,
    now: &str,
) -> StoreResult<u64> {
    let suspended = sqlx::query(
        "UPDATE mandates SET status = 'suspended', status_reason = 'suspended after a bank return', updated_at = $2 \
         WHERE status = 'active' AND id IN (SELECT f.mandate_id FROM report_failures f \
           WHERE f.report_id = $1 AND f.retry_class = 'never')",
    )
    .bind(report_id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if suspended > 0 {
        let just_suspended = "mandates m WHERE m.updated_at = $2 AND m.status = 'suspended' AND m.id IN \
             (SELECT f.mandate_id FROM report_failures f WHERE f.report_id = $1 AND f.retry_class = 'never')";
        let binds = [Bind::Int(report_id), Bind::Text(now)];
        // Suspended again by a later report, a mandate is told of again.
        NoticeEvents::new(NoticeKind::MandateSuspended, "m", just_suspended)
            .again("$1")
            .record(tx, now, &binds)
            .await?;
        AuditRows {
            action: "'mandate.suspended'",
            entity: "mandate",
            id: "m.id",
            detail: &detail_sql(&[("report_id", Number("$1"))]),
            from: just_suspended,
        }
        .record(tx, now, actor, &binds)
        .await?;
    }
    Ok(suspended)
}

/// The failures table is done with (after step 6).
pub(super) async fn forget(tx: &mut AnyConnection) -> StoreResult<()> {
    sqlx::query("DROP TABLE report_failures")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

//! Step 2 of a run: the planned collections of the date checked again just before the
//! files are written (mandate active, amount within its ceiling, advance notice in time),
//! the others cancelled with their lines given back and their employers told; the rest
//! stamped with their sequence type.
//!
//! Must not know: the files (they come after).

use chrono::NaiveDate;
use serde::Serialize;

use crate::store::audit::DetailValue::Text;
use crate::store::audit::{AuditRows, detail_sql};
use crate::store::collections::release_lines;
use crate::store::notice_events::{notify_cancelled_debits, withdraw_unsent_advance_notices};
use crate::store::{Actor, Bind, Store, StoreResult};

/// What the re-checks before a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecheckSummary {
    pub mandate_inactive: u64,
    pub over_ceiling: u64,
    pub notice_late: u64,
}

impl Store {
    /// Cancels planned collections of `date` that may no longer be debited — mandate not
    /// active, amount above its ceiling, advance notice recorded after `latest_notice` —
    /// and gives their declaration lines back (unpaid, for the next date); stamps the
    /// others with their sequence type (FRST until a debit of the mandate has settled).
    pub async fn recheck_planned(
        &self,
        actor: &Actor,
        date: NaiveDate,
        latest_notice: NaiveDate,
    ) -> StoreResult<RecheckSummary> {
        let date_text = date.to_string();
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let mut summary = RecheckSummary::default();
        // The three checks in one pass over the date's planned debits; the first that
        // fails names the reason.
        let inactive = "NOT EXISTS (SELECT 1 FROM mandates m WHERE m.id = collections.mandate_id AND m.status = 'active')";
        let over_ceiling = "EXISTS (SELECT 1 FROM mandates m WHERE m.id = collections.mandate_id \
             AND m.ceiling_centimes IS NOT NULL AND collections.amount_centimes > m.ceiling_centimes)";
        // Late: announced after the last day a notice could reach the employer, or not
        // announced as it stands (more than the last notice said, before its earliest
        // debit date — the database would refuse to file it — or left without lines by a
        // correction that no pass re-planned before the deadline).
        let late = "(noticed_on > $3 OR announced_centimes IS NULL \
             OR amount_centimes > announced_centimes OR collection_date < earliest_debit_date \
             OR NOT EXISTS (SELECT 1 FROM collection_lines cl WHERE cl.collection_id = collections.id AND cl.live <> 0))";
        let reasons: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "UPDATE collections SET status = 'cancelled', updated_at = $2, reason_code = CASE \
             WHEN {inactive} THEN 'mandate_inactive' WHEN {over_ceiling} THEN 'over_ceiling' \
             ELSE 'notice_late' END \
             WHERE collection_date = $1 AND status = 'planned' AND ({inactive} OR {over_ceiling} OR {late}) \
             RETURNING reason_code"
        )))
        .bind(&date_text)
        .bind(&now)
        .bind(latest_notice.to_string())
        .fetch_all(&mut *tx)
        .await?;
        for why in reasons {
            match why.as_str() {
                "mandate_inactive" => summary.mandate_inactive += 1,
                "over_ceiling" => summary.over_ceiling += 1,
                _ => summary.notice_late += 1,
            }
        }
        if summary.mandate_inactive + summary.over_ceiling + summary.notice_late > 0 {
            release_lines(
                &mut tx,
                "c.collection_date = $1 AND c.status = 'cancelled'",
                &date_text,
            )
            .await?;
            withdraw_unsent_advance_notices(
                &mut tx,
                "c.collection_date = $1 AND c.status = 'cancelled'",
                &date_text,
            )
            .await?;
            notify_cancelled_debits(
                &mut tx,
                "c.collection_date = $1 AND c.status = 'cancelled'",
                &date_text,
                &now,
            )
            .await?;
        }
        // Only the collections whose type changed (planning stamps it already): rewriting
        // 100,000 rows that stay the same cost PostgreSQL 3 s of new row versions.
        let sequence_type = "CASE WHEN EXISTS (SELECT 1 FROM collections p \
             WHERE p.mandate_id = collections.mandate_id AND p.status = 'settled') THEN 'RCUR' ELSE 'FRST' END";
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE collections SET sequence_type = {sequence_type} \
             WHERE collection_date = $1 AND status = 'planned' AND COALESCE(sequence_type, '') <> {sequence_type}"
        )))
        .bind(&date_text)
        .execute(&mut *tx)
        .await?;
        if summary.mandate_inactive + summary.over_ceiling + summary.notice_late > 0 {
            crate::store::collection_totals::recount_date(&mut tx, &date_text).await?;
        }
        // The audit entries last, after every row write: each takes the chain's head and
        // holds it until commit, so a row written after one could deadlock (PostgreSQL)
        // with a transaction that holds that row and waits for the head.
        if summary.mandate_inactive + summary.over_ceiling + summary.notice_late > 0 {
            AuditRows {
                    action: "'collection.cancelled'",
                    entity: "collection",
                    id: "c.id",
                    detail: &detail_sql(&[("reason", Text("c.reason_code"))]),
                    from: "collections c \
                         WHERE c.collection_date = $1 AND c.status = 'cancelled' AND c.updated_at = $2",
                }
                .record(
                    &mut tx,
                    &now,
                    actor,
                    &[Bind::Text(&date_text), Bind::Text(&now)],
                )
                .await?;
        }
        tx.commit().await?;
        Ok(summary)
    }
}

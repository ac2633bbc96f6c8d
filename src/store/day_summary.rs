//! The summary of one day of the fund (Africa/Algiers): what was planned, run, imported,
//! settled and sent that day, and what failed — counts only, no names, amounts or
//! accounts. `serve` records it once a day in the audit trail (`scheduler.day`, on the
//! entity `day` numbered `YYYYMMDD`) and logs it.
//!
//! Must not know: when a day is over (the scheduler decides) or how it is logged.

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::audit::Audit;
use super::{Actor, Store, StoreResult, timestamp};
use crate::clock::start_of_algiers_day;

/// What happened on one day. Counts only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, FromRow)]
pub struct DaySummary {
    /// Debits planned (first presentations and re-presentations).
    pub planned: i64,
    /// Debit files written, and the debits in them.
    pub files: i64,
    pub debits: i64,
    /// Bank reports imported, and the items in them.
    pub reports: i64,
    pub items: i64,
    /// Debits settled (by a booking or by their settlement window).
    pub settled: i64,
    /// Debits the bank refused before settlement, or returned after it.
    pub rejected: i64,
    pub returned: i64,
    /// E-mails sent to employers, and those given up for good.
    pub notices_sent: i64,
    pub notices_failed: i64,
    /// Exceptions opened for staff, report files put in quarantine, jobs failed for good.
    pub exceptions: i64,
    pub quarantined: i64,
    pub jobs_failed: i64,
}

/// The audit trail's name of a day: `YYYYMMDD` as a number.
fn day_number(day: NaiveDate) -> i64 {
    i64::from(day.year()) * 10_000 + i64::from(day.month()) * 100 + i64::from(day.day())
}

impl Store {
    /// The latest day whose summary is recorded, if any.
    pub async fn last_day_summarised(&self) -> StoreResult<Option<NaiveDate>> {
        let latest: Option<String> = sqlx::query_scalar(
            "SELECT MAX(entity_id) FROM audit_log WHERE entity = 'day' AND action = 'scheduler.day'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(latest.and_then(|number| NaiveDate::parse_from_str(&number, "%Y%m%d").ok()))
    }

    /// The day's summary, recorded in the audit trail unless it is already (so a job run
    /// twice records it once). Returns the summary and whether it was recorded now.
    pub async fn record_day_summary(
        &self,
        actor: &Actor,
        day: NaiveDate,
    ) -> StoreResult<(DaySummary, bool)> {
        let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
        let from = timestamp(start_of_algiers_day(day));
        let until = timestamp(start_of_algiers_day(next));
        let mut tx = self.begin_write().await?;
        // Timestamps are UTC text (`$1`..`$2`); a file's creation time is the Algiers time
        // written into it, and a settlement its Algiers day (`$3`..`$4`). The audit trail
        // has no index on its time: notice failures are found through the entity index.
        let summary: DaySummary = sqlx::query_as(
            "SELECT \
             (SELECT COUNT(*) FROM collections WHERE created_at >= $1 AND created_at < $2) AS planned, \
             (SELECT COUNT(*) FROM bank_files WHERE created_at >= $3 AND created_at < $4) AS files, \
             (SELECT CAST(COALESCE(SUM(transactions), 0) AS BIGINT) FROM bank_files \
               WHERE created_at >= $3 AND created_at < $4) AS debits, \
             (SELECT COUNT(*) FROM reports WHERE imported_at >= $1 AND imported_at < $2) AS reports, \
             (SELECT CAST(COALESCE(SUM(items), 0) AS BIGINT) FROM reports \
               WHERE imported_at >= $1 AND imported_at < $2) AS items, \
             (SELECT COUNT(*) FROM collections WHERE settled_on = $3) AS settled, \
             (SELECT COUNT(*) FROM report_items i JOIN reports r ON r.id = i.report_id \
               WHERE r.imported_at >= $1 AND r.imported_at < $2 AND i.outcome = 'applied' \
               AND i.effect = 'reject') AS rejected, \
             (SELECT COUNT(*) FROM report_items i JOIN reports r ON r.id = i.report_id \
               WHERE r.imported_at >= $1 AND r.imported_at < $2 AND i.outcome = 'applied' \
               AND i.effect = 'return') AS returned, \
             (SELECT COUNT(*) FROM notice_events WHERE sent_at >= $1 AND sent_at < $2) AS notices_sent, \
             (SELECT COUNT(*) FROM audit_log WHERE entity = 'notice_event' \
               AND action = 'notice.failed' AND at >= $1 AND at < $2) AS notices_failed, \
             (SELECT COUNT(*) FROM exceptions WHERE created_at >= $1 AND created_at < $2) AS exceptions, \
             (SELECT COUNT(*) FROM quarantined_files \
               WHERE quarantined_at >= $1 AND quarantined_at < $2) AS quarantined, \
             (SELECT COUNT(*) FROM jobs WHERE status = 'failed' \
               AND finished_at >= $1 AND finished_at < $2) AS jobs_failed",
        )
        .bind(&from)
        .bind(&until)
        .bind(day.to_string())
        .bind(next.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let number = day_number(day);
        let recorded: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'day' AND entity_id = $1",
        )
        .bind(number.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let now = recorded == 0;
        if now {
            let mut detail = serde_json::to_value(&summary).unwrap_or_else(|_| json!({}));
            if let Some(fields) = detail.as_object_mut() {
                fields.insert("day".to_owned(), json!(day.to_string()));
            }
            Audit::new(actor, "scheduler.day")
                .on("day", number)
                .detail(detail)
                .record(&mut tx, &self.now_text())
                .await?;
        }
        tx.commit().await?;
        Ok((summary, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_named_by_its_digits_and_read_back_from_them() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 9).unwrap();
        assert_eq!(day_number(day), 20_261_209);
        assert_eq!(
            NaiveDate::parse_from_str(&day_number(day).to_string(), "%Y%m%d").unwrap(),
            day
        );
    }
}

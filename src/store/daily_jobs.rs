//! The watermark of a daily job (migration 0036): the last day it completed, one row per
//! job (`daily_job_days`). The scheduler queues each day after it, in order, so a service
//! stopped for days catches up day by day; a day at or before it is done and is not done
//! again. It only ever moves forward.
//!
//! Must not know: what the job does (`cycle::scheduler`).

use chrono::NaiveDate;

use super::{Store, StoreResult, parse_date};

impl Store {
    /// The last day the daily job `job` completed, if it ever did.
    pub async fn daily_job_last_day(&self, job: &str) -> StoreResult<Option<NaiveDate>> {
        let last: Option<String> =
            sqlx::query_scalar("SELECT last_day FROM daily_job_days WHERE job = $1")
                .bind(job)
                .fetch_optional(&self.pool)
                .await?;
        last.as_deref()
            .map(|day| parse_date("daily job day", day))
            .transpose()
    }

    /// Records that the daily job `job` completed `day`: the watermark moves to it, never
    /// back (a day before it leaves it as it is). True when it moved.
    pub async fn record_daily_job_day(&self, job: &str, day: NaiveDate) -> StoreResult<bool> {
        let moved = sqlx::query(
            "INSERT INTO daily_job_days (job, last_day, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (job) DO UPDATE SET last_day = excluded.last_day, updated_at = excluded.updated_at \
             WHERE daily_job_days.last_day < excluded.last_day",
        )
        .bind(job)
        .bind(day.to_string())
        .bind(self.now_text())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(moved > 0)
    }
}

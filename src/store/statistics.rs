//! What the console's dashboard and pages, the CLI's summaries and the metrics read: the
//! next runs, outcomes and failure reasons per collection date, runs and their files'
//! debits by state, imported reports with what matched, and counts of collections and
//! notices by state. Reads only.
//!
//! The counts of debits by date, channel and state come from the totals kept per date
//! (`collection_totals.rs`): a few rows per date, whatever the number of debits.
//!
//! Must not know: how a chart or a page shows them.

use bank_formats::reasons::ReasonCategory;
use chrono::NaiveDate;
use mandates::{Channel, CollectionStatus};
use serde::Serialize;
use sqlx::FromRow;

use super::{
    Institution, NoticeKind, NoticeStatus, OptionalCode, RunStatus, Store, StoreError, StoreResult,
};

/// Planned debits of one collection date and channel (a run still to come).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct NextRun {
    pub collection_date: String,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub count: i64,
    pub amount_centimes: i64,
}

/// What became of the debits presented (written to a file) for one collection date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct DateOutcome {
    pub collection_date: String,
    pub presented: i64,
    pub settled: i64,
    /// Rejected or returned (a retry, if any, is a debit of its own date).
    pub failed: i64,
    pub presented_centimes: i64,
    pub settled_centimes: i64,
}

/// Failed debits of one collection date with one internal reason (taxonomy category).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct FailureCount {
    pub collection_date: String,
    #[sqlx(try_from = "String")]
    pub category: ReasonCategory,
    pub count: i64,
}

/// One run (a collection date's files), per institution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct RunLine {
    pub run_id: i64,
    pub collection_date: String,
    #[sqlx(try_from = "String")]
    pub status: RunStatus,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// None for a run that wrote no file.
    #[sqlx(try_from = "OptionalCode")]
    pub institution: Option<Institution>,
    pub files: i64,
    pub transactions: i64,
    pub amount_centimes: i64,
}

/// The debits of a run's files by state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct RunOutcome {
    pub run_id: i64,
    #[sqlx(try_from = "String")]
    pub status: CollectionStatus,
    pub count: i64,
    pub amount_centimes: i64,
}

/// An imported report with what matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct ReportOverview {
    pub id: i64,
    #[sqlx(try_from = "OptionalCode")]
    pub institution: Option<Institution>,
    pub file_name: String,
    pub format: String,
    pub imported_at: String,
    pub imported_by: String,
    pub items: i64,
    /// Items matched to one of our debits.
    pub matched: i64,
    /// Items that matched none of our debits.
    pub unmatched: i64,
    /// Informational items (pending, in another currency, not a collection): kept and
    /// counted, not exceptions.
    pub informational: i64,
    /// Booked credits that are not collections, kept for the ledger from this report.
    pub incoming_credits: i64,
    /// Exceptions the report raised, and how many are still open.
    pub exceptions: i64,
    pub open_exceptions: i64,
}

/// One run's date and state.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct RunHeader {
    pub collection_date: String,
    #[sqlx(try_from = "String")]
    pub status: RunStatus,
}

/// Collections of one channel in one state: how many, for how much.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct CollectionCount {
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(try_from = "String")]
    pub status: CollectionStatus,
    pub count: i64,
    pub amount_centimes: i64,
}

/// Failed collections of one state with one reason category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct FailureReason {
    #[sqlx(try_from = "String")]
    pub status: CollectionStatus,
    #[sqlx(try_from = "String")]
    pub category: ReasonCategory,
    pub count: i64,
}

/// Notice events of one kind in one state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct NoticeCount {
    #[sqlx(try_from = "String")]
    pub kind: NoticeKind,
    #[sqlx(try_from = "String")]
    pub status: NoticeStatus,
    pub count: i64,
}

impl Store {
    /// Planned debits by date and channel, for the first `dates` dates with any.
    pub async fn next_runs(&self, dates: i64) -> StoreResult<Vec<NextRun>> {
        Ok(sqlx::query_as::<_, NextRun>(
            "SELECT collection_date, channel, CAST(SUM(debits) AS BIGINT) AS count, \
             CAST(SUM(amount_centimes) AS BIGINT) AS amount_centimes FROM collection_totals \
             WHERE status = 'planned' AND collection_date IN (SELECT DISTINCT collection_date \
             FROM collection_totals WHERE status = 'planned' AND debits <> 0 ORDER BY collection_date LIMIT $1) \
             GROUP BY collection_date, channel HAVING SUM(debits) <> 0 ORDER BY collection_date, channel",
        )
        .bind(dates)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Presented, settled and failed debits of the last `dates` collection dates that were
    /// run (and had debits in a file), oldest first. Only those dates are read, by index.
    pub async fn date_outcomes(&self, dates: i64) -> StoreResult<Vec<DateOutcome>> {
        let mut rows = sqlx::query_as::<_, DateOutcome>(
            "SELECT collection_date, CAST(SUM(debits) AS BIGINT) AS presented, \
             CAST(SUM(CASE WHEN status = 'settled' THEN debits ELSE 0 END) AS BIGINT) AS settled, \
             CAST(SUM(CASE WHEN status IN ('rejected', 'returned', 'retry_planned') THEN debits ELSE 0 END) AS BIGINT) AS failed, \
             CAST(SUM(amount_centimes) AS BIGINT) AS presented_centimes, \
             CAST(SUM(CASE WHEN status = 'settled' THEN amount_centimes ELSE 0 END) AS BIGINT) AS settled_centimes \
             FROM collection_totals WHERE presented = 1 AND collection_date IN \
             (SELECT collection_date FROM runs ORDER BY collection_date DESC LIMIT $1) \
             GROUP BY collection_date HAVING SUM(debits) <> 0 ORDER BY collection_date DESC",
        )
        .bind(dates)
        .fetch_all(&self.pool)
        .await?;
        rows.reverse();
        Ok(rows)
    }

    /// Failed debits by date and reason category, for dates from `since` on.
    pub async fn failures_by_reason(&self, since: &str) -> StoreResult<Vec<FailureCount>> {
        Ok(sqlx::query_as::<_, FailureCount>(
            "SELECT collection_date, category, CAST(SUM(debits) AS BIGINT) AS count FROM \
             (SELECT collection_date, CASE WHEN reason_category = '' THEN 'other' ELSE reason_category END \
               AS category, debits FROM collection_totals \
               WHERE status IN ('rejected', 'returned', 'retry_planned') AND collection_date >= $1) t \
             GROUP BY collection_date, category HAVING SUM(debits) <> 0 \
             ORDER BY collection_date, category",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The last `limit` runs, newest first, one line per institution that got files.
    pub async fn run_lines(&self, limit: i64) -> StoreResult<Vec<RunLine>> {
        Ok(sqlx::query_as::<_, RunLine>(
            "SELECT r.id AS run_id, r.collection_date, r.status, r.started_at, r.finished_at, \
             f.institution, COUNT(f.id) AS files, \
             CAST(COALESCE(SUM(f.transactions), 0) AS BIGINT) AS transactions, \
             CAST(COALESCE(SUM(f.control_sum_centimes), 0) AS BIGINT) AS amount_centimes \
             FROM runs r LEFT JOIN bank_files f ON f.run_id = r.id \
             WHERE r.id IN (SELECT id FROM runs ORDER BY collection_date DESC LIMIT $1) \
             GROUP BY r.id, r.collection_date, r.status, r.started_at, r.finished_at, f.institution \
             ORDER BY r.collection_date DESC, f.institution",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The debits of a run's files by state.
    pub async fn run_outcome(&self, run_id: i64) -> StoreResult<Vec<RunOutcome>> {
        Ok(sqlx::query_as::<_, RunOutcome>(
            "SELECT f.run_id, c.status, COUNT(*) AS count, \
             CAST(SUM(c.amount_centimes) AS BIGINT) AS amount_centimes \
             FROM bank_files f JOIN collections c ON c.bank_file_id = f.id AND c.bank_file_id IS NOT NULL \
             WHERE f.run_id = $1 GROUP BY f.run_id, c.status ORDER BY c.status",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One run's date and state.
    pub async fn run_header(&self, run_id: i64) -> StoreResult<RunHeader> {
        sqlx::query_as("SELECT collection_date, status FROM runs WHERE id = $1")
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("run", run_id))
    }

    /// Imported reports, newest first, `limit` of them before id `before` (0: the newest).
    pub async fn report_overviews(
        &self,
        before: i64,
        limit: i64,
    ) -> StoreResult<Vec<ReportOverview>> {
        Ok(sqlx::query_as::<_, ReportOverview>(
            "SELECT r.id, r.institution, r.file_name, r.format, r.imported_at, r.imported_by, r.items, \
             (SELECT COUNT(*) FROM report_items i WHERE i.report_id = r.id AND i.collection_id IS NOT NULL) AS matched, \
             (SELECT COUNT(*) FROM report_items i WHERE i.report_id = r.id AND i.outcome = 'unmatched') AS unmatched, \
             (SELECT COUNT(*) FROM report_items i WHERE i.report_id = r.id AND i.outcome = 'info') AS informational, \
             (SELECT COUNT(*) FROM incoming_credits k WHERE k.report_id = r.id) AS incoming_credits, \
             (SELECT COUNT(*) FROM exceptions e WHERE e.report_id = r.id) AS exceptions, \
             (SELECT COUNT(*) FROM exceptions e WHERE e.report_id = r.id AND e.status = 'open') AS open_exceptions \
             FROM reports r WHERE ($1 = 0 OR r.id < $1) ORDER BY r.id DESC LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Counts of collections by status on one date (for summaries and checks).
    pub async fn collection_counts(
        &self,
        date: Option<NaiveDate>,
    ) -> StoreResult<Vec<CollectionCount>> {
        Ok(sqlx::query_as(
            "SELECT channel, status, CAST(SUM(debits) AS BIGINT) AS count, \
             CAST(SUM(amount_centimes) AS BIGINT) AS amount_centimes FROM collection_totals \
             WHERE ($1 = '' OR collection_date = $1) GROUP BY channel, status \
             HAVING SUM(debits) <> 0 ORDER BY channel, status",
        )
        .bind(date.map(|d| d.to_string()).unwrap_or_default())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Failed collections of a date by reason category.
    pub async fn failure_reasons(&self, date: NaiveDate) -> StoreResult<Vec<FailureReason>> {
        Ok(sqlx::query_as(
            "SELECT status, COALESCE(reason_category, 'other') AS category, COUNT(*) AS count FROM collections \
             WHERE collection_date = $1 AND status IN ('rejected', 'returned', 'retry_planned') \
             GROUP BY status, reason_category ORDER BY status, reason_category",
        )
        .bind(date.to_string())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Notice events by kind and status.
    pub async fn notice_counts(&self) -> StoreResult<Vec<NoticeCount>> {
        Ok(sqlx::query_as(
            "SELECT kind, status, COUNT(*) AS count FROM notice_events GROUP BY kind, status ORDER BY kind, status",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

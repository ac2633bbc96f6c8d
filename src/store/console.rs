//! Read models and staff changes for the finance console: upcoming runs, outcomes and
//! failure reasons per collection date (the dashboard charts), runs and reports with
//! their counts, employer search and an employer's audit trail, the calendar's history,
//! dated contribution rates, and enabling or disabling users.

use std::str::FromStr;

use ::mandates::{Rate, Scheme};
use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::{Actor, AuditEntry, Refusal, Store, StoreError, StoreResult, audit, like_escaped};

/// Planned debits of one collection date and channel (a run still to come).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct NextRun {
    pub collection_date: String,
    pub channel: String,
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
    pub category: String,
    pub count: i64,
}

/// One run (a collection date's files), per institution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct RunLine {
    pub run_id: i64,
    pub collection_date: String,
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// None for a run that wrote no file.
    pub institution: Option<String>,
    pub files: i64,
    pub transactions: i64,
    pub amount_centimes: i64,
}

/// The debits of a run's files by state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct RunOutcome {
    pub run_id: i64,
    pub status: String,
    pub count: i64,
    pub amount_centimes: i64,
}

/// An imported report with what matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct ReportOverview {
    pub id: i64,
    pub institution: Option<String>,
    pub file_name: String,
    pub format: String,
    pub imported_at: String,
    pub imported_by: String,
    pub items: i64,
    /// Items matched to one of our debits.
    pub matched: i64,
    /// Items that matched none of our debits.
    pub unmatched: i64,
    /// Exceptions the report raised, and how many are still open.
    pub exceptions: i64,
    pub open_exceptions: i64,
}

/// A stored contribution rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct RateRecord {
    pub id: i64,
    pub scheme: String,
    pub rate_ppm: i64,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub source: String,
    pub created_at: String,
}

/// A new dated rate.
#[derive(Clone, Debug)]
pub struct NewRate {
    pub scheme: Scheme,
    pub rate: Rate,
    pub valid_from: NaiveDate,
    pub source: String,
}

impl Store {
    /// Planned debits by date and channel, for the first `dates` dates with any.
    pub async fn next_runs(&self, dates: i64) -> StoreResult<Vec<NextRun>> {
        Ok(sqlx::query_as::<_, NextRun>(
            "SELECT collection_date, channel, COUNT(*) AS count, \
             CAST(SUM(amount_centimes) AS BIGINT) AS amount_centimes FROM collections \
             WHERE status = 'planned' AND collection_date IN (SELECT DISTINCT collection_date \
             FROM collections WHERE status = 'planned' ORDER BY collection_date LIMIT $1) \
             GROUP BY collection_date, channel ORDER BY collection_date, channel",
        )
        .bind(dates)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Presented, settled and failed debits of the last `dates` collection dates that were
    /// run (and had debits in a file), oldest first. Only those dates are read, by index.
    pub async fn date_outcomes(&self, dates: i64) -> StoreResult<Vec<DateOutcome>> {
        let mut rows = sqlx::query_as::<_, DateOutcome>(
            "SELECT collection_date, COUNT(*) AS presented, \
             CAST(SUM(CASE WHEN status = 'settled' THEN 1 ELSE 0 END) AS BIGINT) AS settled, \
             CAST(SUM(CASE WHEN status IN ('rejected', 'returned', 'retry_planned') THEN 1 ELSE 0 END) AS BIGINT) AS failed, \
             CAST(SUM(amount_centimes) AS BIGINT) AS presented_centimes, \
             CAST(SUM(CASE WHEN status = 'settled' THEN amount_centimes ELSE 0 END) AS BIGINT) AS settled_centimes \
             FROM collections WHERE bank_file_id IS NOT NULL AND collection_date IN \
             (SELECT collection_date FROM runs ORDER BY collection_date DESC LIMIT $1) \
             GROUP BY collection_date ORDER BY collection_date DESC",
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
            "SELECT collection_date, COALESCE(reason_category, 'other') AS category, COUNT(*) AS count \
             FROM collections WHERE status IN ('rejected', 'returned', 'retry_planned') \
             AND collection_date >= $1 \
             GROUP BY collection_date, COALESCE(reason_category, 'other') \
             ORDER BY collection_date, COALESCE(reason_category, 'other')",
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
    pub async fn run_header(&self, run_id: i64) -> StoreResult<(String, String)> {
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
             (SELECT COUNT(*) FROM exceptions e WHERE e.report_id = r.id) AS exceptions, \
             (SELECT COUNT(*) FROM exceptions e WHERE e.report_id = r.id AND e.status = 'open') AS open_exceptions \
             FROM reports r WHERE ($1 = 0 OR r.id < $1) ORDER BY r.id DESC LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Employers whose affiliation number starts with `query` or whose name (French or
    /// Arabic) contains it, by id after `after_id`, at most `limit`. An empty query lists all.
    pub async fn search_employers(
        &self,
        query: &str,
        after_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<super::Employer>> {
        let query = query.trim();
        let prefix = format!("{}%", like_escaped(query));
        let contains = format!("%{}%", like_escaped(&query.to_lowercase()));
        Ok(sqlx::query_as::<_, super::Employer>(
            "SELECT id, affiliation_number, name, name_ar, email, language, period_kind, created_at \
             FROM employers WHERE id > $1 AND ($2 = '' OR affiliation_number LIKE $3 ESCAPE '\\' \
             OR LOWER(name) LIKE $4 ESCAPE '\\' OR COALESCE(name_ar, '') LIKE $4 ESCAPE '\\') \
             ORDER BY id LIMIT $5",
        )
        .bind(after_id)
        .bind(query)
        .bind(prefix)
        .bind(contains)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The audit trail of an employer and of its worksites, mandates, declarations and
    /// notices, newest first.
    pub async fn employer_audit(
        &self,
        employer_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<AuditEntry>> {
        let columns = "a.id, a.at, a.actor, a.action, a.entity, a.entity_id, a.detail";
        let owned = |entity: &str, table: &str| {
            format!(
                "SELECT {columns} FROM {table} x JOIN audit_log a ON a.entity = '{entity}' \
                 AND a.entity_id = CAST(x.id AS TEXT) WHERE x.employer_id = $2"
            )
        };
        let sql = format!(
            "SELECT * FROM (SELECT {columns} FROM audit_log a WHERE a.entity = 'employer' AND a.entity_id = $1 \
             UNION ALL {} UNION ALL {} UNION ALL {} UNION ALL {}) t ORDER BY id DESC LIMIT $3",
            owned("worksite", "worksites"),
            owned("mandate", "mandates"),
            owned("declaration", "declarations"),
            owned("notice_event", "notice_events"),
        );
        Ok(sqlx::query_as::<_, AuditEntry>(sqlx::AssertSqlSafe(sql))
            .bind(employer_id.to_string())
            .bind(employer_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The last `limit` calendar changes and the re-planning they caused, newest first.
    pub async fn calendar_history(&self, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        Ok(sqlx::query_as::<_, AuditEntry>(
            "SELECT id, at, actor, action, entity, entity_id, detail FROM audit_log \
             WHERE entity IN ('calendar', 'collection_date') AND entity_id = '0' \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every stored contribution rate, by scheme then start.
    pub async fn contribution_rates(&self) -> StoreResult<Vec<RateRecord>> {
        Ok(sqlx::query_as::<_, RateRecord>(
            "SELECT id, scheme, rate_ppm, valid_from, valid_to, source, created_at \
             FROM contribution_rates ORDER BY scheme, valid_from",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Adds a rate from a future first day of a month (`today` is the fund's date). The
    /// scheme's rate in force then ends the day before; a scheme's rates never overlap
    /// (checked with the domain's table before committing). Audited.
    pub async fn add_contribution_rate(
        &self,
        actor: &Actor,
        new: &NewRate,
        today: NaiveDate,
    ) -> StoreResult<RateRecord> {
        let source = new.source.trim();
        if source.is_empty() || source.chars().count() > 300 {
            return Err(StoreError::refused(
                Refusal::RateSource,
                "say where the rate comes from (a decree, a board decision): 1 to 300 characters",
            ));
        }
        if new.valid_from <= today {
            return Err(StoreError::refused(
                Refusal::RateNotFuture,
                format!(
                    "a new rate must start after today ({today}): rates already used by declarations are not changed"
                ),
            ));
        }
        if new.valid_from.day() != 1 {
            return Err(StoreError::refused(
                Refusal::RateNotFirstOfMonth,
                format!(
                    "a rate starts on the first day of a month (declaration periods do), not on {}",
                    new.valid_from
                ),
            ));
        }
        let from = new.valid_from.to_string();
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let later: Option<String> = sqlx::query_scalar(
            "SELECT MAX(valid_from) FROM contribution_rates WHERE scheme = $1 AND valid_from >= $2",
        )
        .bind(new.scheme.as_str())
        .bind(&from)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(later) = later {
            return Err(StoreError::refused(
                Refusal::RateOutOfOrder,
                format!(
                    "a {} rate already starts on {later}: add rates in date order",
                    new.scheme.as_str()
                ),
            ));
        }
        let day_before = (new.valid_from - Duration::days(1)).to_string();
        let closed: Vec<i64> = sqlx::query_scalar(
            "UPDATE contribution_rates SET valid_to = $3 WHERE scheme = $1 AND valid_from < $2 \
             AND (valid_to IS NULL OR valid_to >= $2) RETURNING id",
        )
        .bind(new.scheme.as_str())
        .bind(&from)
        .bind(&day_before)
        .fetch_all(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO contribution_rates (scheme, rate_ppm, valid_from, valid_to, source, created_at) \
             VALUES ($1, $2, $3, NULL, $4, $5) RETURNING id",
        )
        .bind(new.scheme.as_str())
        .bind(i64::from(new.rate.ppm()))
        .bind(&from)
        .bind(source)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        // The whole table must still be a valid one (no overlap, no inverted period).
        let rows: Vec<(String, i64, String, Option<String>)> =
            sqlx::query_as("SELECT scheme, rate_ppm, valid_from, valid_to FROM contribution_rates")
                .fetch_all(&mut *tx)
                .await?;
        let mut rates = Vec::with_capacity(rows.len());
        for (scheme, ppm, valid_from, valid_to) in rows {
            let date = |t: &str| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map_err(|_| StoreError::Invalid(format!("stored rate date {t:?}")))
            };
            rates.push(::mandates::ContributionRate {
                scheme: Scheme::from_str(&scheme).map_err(StoreError::Invalid)?,
                rate: Rate::from_ppm(u32::try_from(ppm).unwrap_or(u32::MAX)),
                valid_from: date(&valid_from)?,
                valid_to: valid_to.as_deref().map(date).transpose()?,
                source: String::new(),
            });
        }
        ::mandates::RateTable::new(rates).map_err(|e| StoreError::Invalid(e.to_string()))?;
        audit::record(
            &mut tx,
            &now,
            actor,
            "rate.added",
            "contribution_rate",
            id,
            json!({ "scheme": new.scheme.as_str(), "rate_ppm": new.rate.ppm(), "valid_from": from,
                    "source": source, "ended": closed, "ended_on": day_before }),
        )
        .await?;
        tx.commit().await?;
        self.contribution_rates()
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StoreError::not_found("contribution rate", id))
    }
}

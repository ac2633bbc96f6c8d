//! Dated contribution rates: the table declarations are computed with (the domain's
//! `RateTable`), what staff see of it, and adding a rate from a future first of a month,
//! which ends the scheme's rate in force the day before. The defaults are loaded by
//! `reference`.
//!
//! Must not know: how a line's contributions are computed (`mandates::compute_line`).

use std::str::FromStr;

use ::mandates::{ContributionRate, Rate, RateTable, Scheme};
use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::{Actor, Refusal, Store, StoreError, StoreResult, audit::Audit, parse_date};

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

#[derive(FromRow)]
struct RateRow {
    scheme: String,
    rate_ppm: i64,
    valid_from: String,
    valid_to: Option<String>,
    source: String,
}

impl Store {
    /// The contribution rates in force, as the domain's table.
    pub async fn rate_table(&self) -> StoreResult<RateTable> {
        let rows = sqlx::query_as::<_, RateRow>(
            "SELECT scheme, rate_ppm, valid_from, valid_to, source FROM contribution_rates \
             ORDER BY scheme, valid_from",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut rates = Vec::with_capacity(rows.len());
        for row in rows {
            let scheme = Scheme::from_str(&row.scheme).map_err(|_| {
                StoreError::Invalid(format!("stored scheme {:?} is unknown", row.scheme))
            })?;
            let ppm = u32::try_from(row.rate_ppm).map_err(|_| {
                StoreError::Invalid(format!("stored rate {} is out of range", row.rate_ppm))
            })?;
            rates.push(ContributionRate {
                scheme,
                rate: Rate::from_ppm(ppm),
                valid_from: parse_date("valid_from", &row.valid_from)?,
                valid_to: row
                    .valid_to
                    .as_deref()
                    .map(|t| parse_date("valid_to", t))
                    .transpose()?,
                source: row.source,
            });
        }
        RateTable::new(rates).map_err(|e| StoreError::Invalid(e.to_string()))
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
        Audit::new(actor, "rate.added").on("contribution_rate", id).detail(json!({ "scheme": new.scheme.as_str(), "rate_ppm": new.rate.ppm(), "valid_from": from,
                    "source": source, "ended": closed, "ended_on": day_before })).record(&mut tx, &now).await?;
        tx.commit().await?;
        self.contribution_rates()
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StoreError::not_found("contribution rate", id))
    }
}

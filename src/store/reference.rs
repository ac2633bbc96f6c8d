//! Reference data the fund edits: dated contribution rates and calendar entries.
//! Defaults (from `mandates`) are loaded at migration time where missing; staff changes
//! are kept, since inserts skip existing keys.

use std::str::FromStr;

use ::mandates::{Calendar, ContributionRate, Holiday, HolidayKind, Rate, RateTable, Scheme};
use chrono::NaiveDate;
use sqlx::FromRow;

use super::{Store, StoreError, StoreResult};

#[derive(FromRow)]
struct RateRow {
    scheme: String,
    rate_ppm: i64,
    valid_from: String,
    valid_to: Option<String>,
    source: String,
}

#[derive(FromRow)]
struct CalendarRow {
    date: String,
    name: String,
    kind: String,
    confirmed: i64,
}

/// The years whose fixed holidays are loaded by default.
const DEFAULT_CALENDAR_YEARS: std::ops::RangeInclusive<i32> = 2025..=2030;

fn parse_date(field: &str, text: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| StoreError::Invalid(format!("stored {field} {text:?} is not a date")))
}

impl Store {
    pub(super) async fn ensure_reference_data(&self) -> StoreResult<()> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        for rate in RateTable::cacobatph_default().rates() {
            sqlx::query(
                "INSERT INTO contribution_rates (scheme, rate_ppm, valid_from, valid_to, source, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scheme, valid_from) DO NOTHING",
            )
            .bind(rate.scheme.as_str())
            .bind(i64::from(rate.rate.ppm()))
            .bind(rate.valid_from.to_string())
            .bind(rate.valid_to.map(|d| d.to_string()))
            .bind(&rate.source)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calendar_entries")
            .fetch_one(&mut *tx)
            .await?;
        if existing == 0 {
            for holiday in Calendar::algeria(DEFAULT_CALENDAR_YEARS).holidays() {
                let (kind, confirmed) = match holiday.kind {
                    HolidayKind::Fixed => ("fixed", 1_i64),
                    HolidayKind::Lunar { confirmed } => ("lunar", i64::from(confirmed)),
                };
                sqlx::query(
                    "INSERT INTO calendar_entries (date, name, kind, confirmed, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (date, name) DO NOTHING",
                )
                .bind(holiday.date.to_string())
                .bind(&holiday.name)
                .bind(kind)
                .bind(confirmed)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

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

    /// The business-day calendar: Friday–Saturday weekend plus the stored holidays.
    pub async fn calendar(&self) -> StoreResult<Calendar> {
        let mut conn = self.pool.acquire().await?;
        load_calendar(&mut conn).await
    }
}

/// The calendar as `conn` sees it (inside a transaction: with its own changes).
pub(super) async fn load_calendar(conn: &mut sqlx::AnyConnection) -> StoreResult<Calendar> {
    let rows = sqlx::query_as::<_, CalendarRow>(
        "SELECT date, name, kind, confirmed FROM calendar_entries ORDER BY date",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut holidays = Vec::with_capacity(rows.len());
    for row in rows {
        holidays.push(Holiday {
            date: parse_date("calendar date", &row.date)?,
            name: row.name,
            kind: match row.kind.as_str() {
                "lunar" => HolidayKind::Lunar {
                    confirmed: row.confirmed != 0,
                },
                _ => HolidayKind::Fixed,
            },
        });
    }
    Ok(Calendar::new(holidays))
}

//! Reference data the fund edits, loaded with its defaults: the dated contribution rates
//! (inserted at migration time where missing) and the holidays of the calendar, years
//! ahead. Staff changes are kept. Reading and changing them is `rates` and `calendar`.
//!
//! The calendar holds the holidays up to [`CALENDAR_YEARS_AHEAD`] years after this one:
//! the fixed ones and the estimated lunar ones (provisional, `mandates::hijri`). Each year
//! is loaded once, its fixed and its lunar holidays apart (`calendar_years_loaded`), at
//! migration and whenever the scheduler finds the horizon short; after that the year is
//! the staff's, so a holiday they confirmed, shifted or removed stays as they left it. A
//! default is not inserted either when a holiday of the same name already lies within
//! [`SAME_HOLIDAY_DAYS`] of it (one staff added or moved before its year was loaded). New
//! holidays re-plan the debits they close, like any calendar change.

use ::mandates::{Calendar, Holiday, HolidayKind, RateTable};
use chrono::{Datelike, Days, Months, NaiveDate};
use serde::Serialize;
use sqlx::AnyConnection;

use super::audit::Audit;
use super::calendar::{CalendarAction, MovedRun, replan_closed_days, stored_kind};
use super::{Actor, Store, StoreResult};

/// How many years after this one the calendar holds its holidays.
pub const CALENDAR_YEARS_AHEAD: u32 = 10;

/// The first year of the calendar's fixed holidays (what tahsil has shipped since).
/// Lunar estimates start with the current year: those of past years would serve nothing.
const FIRST_YEAR: i32 = 2025;

/// A default holiday is the same as an entry of its name this many days away or less (a
/// lunar date moves by a day or two; the same holiday comes back only after 354 days).
pub const SAME_HOLIDAY_DAYS: u64 = 15;

/// What loading the calendar's years ahead did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CalendarYearsLoaded {
    /// The years loaded now, in order (empty: the calendar already reached the horizon).
    pub years: Vec<i32>,
    /// Fixed holidays inserted.
    pub fixed: u64,
    /// Lunar estimates inserted, provisional.
    pub lunar: u64,
    /// Planned debits moved off the days the new holidays close.
    pub moved: Vec<MovedRun>,
}

/// The two halves of a year's defaults, by their stored kind.
const DEFAULT_KINDS: [&str; 2] = ["fixed", "lunar"];

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
        tx.commit().await?;
        let today = ::mandates::today_in_algiers(self.now());
        self.load_calendar_years(&Actor::new("migrate"), today)
            .await?;
        Ok(())
    }

    /// Loads the default holidays of every year up to [`CALENDAR_YEARS_AHEAD`] years after
    /// `today` that is not loaded yet (fixed ones from 2025, lunar estimates from this
    /// year) and re-plans what they close, in one transaction audited as
    /// `calendar.years_loaded` (but for the first load of a new database: its starting
    /// state). Idempotent: when every year is loaded, it only reads.
    pub async fn load_calendar_years(
        &self,
        actor: &Actor,
        today: NaiveDate,
    ) -> StoreResult<CalendarYearsLoaded> {
        let this_year = today.year();
        let last = today
            .checked_add_months(Months::new(12 * CALENDAR_YEARS_AHEAD))
            .map_or(this_year, |d| d.year());
        let loaded: Vec<(i64, String)> = sqlx::query_as(
            "SELECT year, kind FROM calendar_years_loaded WHERE year >= $1 AND year <= $2",
        )
        .bind(i64::from(FIRST_YEAR))
        .bind(i64::from(last))
        .fetch_all(&self.pool)
        .await?;
        let missing: Vec<(i32, &str)> = (FIRST_YEAR..=last)
            .flat_map(|year| DEFAULT_KINDS.map(|kind| (year, kind)))
            .filter(|&(year, kind)| kind == "fixed" || year >= this_year)
            .filter(|&(year, kind)| !loaded.contains(&(i64::from(year), kind.to_owned())))
            .collect();
        if missing.is_empty() {
            return Ok(CalendarYearsLoaded::default());
        }

        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let first_load: bool =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM calendar_years_loaded")
                .fetch_one(&mut *tx)
                .await?
                == 0;
        let mut outcome = CalendarYearsLoaded::default();
        for (year, kind) in missing {
            // Claimed first: an instance loading at the same time skips what this one took.
            let claimed = sqlx::query(
                "INSERT INTO calendar_years_loaded (year, kind, loaded_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (year, kind) DO NOTHING",
            )
            .bind(i64::from(year))
            .bind(kind)
            .bind(&now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                continue;
            }
            let defaults = Calendar::algeria(year..=year);
            for holiday in defaults.holidays() {
                if stored_kind(holiday.kind).0 != kind {
                    continue;
                }
                let inserted = insert_default(&mut tx, holiday, &now).await?;
                match holiday.kind {
                    HolidayKind::Fixed => outcome.fixed += inserted,
                    HolidayKind::Lunar { .. } => outcome.lunar += inserted,
                }
            }
            if outcome.years.last() != Some(&year) {
                outcome.years.push(year);
            }
        }
        if outcome.fixed + outcome.lunar > 0 {
            let moves = replan_closed_days(&mut tx, &now).await?;
            // The audit entries after every row write (see `replan_closed_days`).
            outcome.moved = moves.audit(&mut tx, actor, &now).await?;
            if !first_load {
                Audit::new(actor, CalendarAction::YearsLoaded.as_str())
                    .on("calendar", 0)
                    .detail(serde_json::json!({
                        "years": outcome.years,
                        "fixed": outcome.fixed,
                        "lunar": outcome.lunar,
                    }))
                    .record(&mut tx, &now)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(outcome)
    }
}

/// Inserts one default holiday unless one of its name lies within [`SAME_HOLIDAY_DAYS`];
/// returns how many rows it wrote (0 or 1).
async fn insert_default(tx: &mut AnyConnection, holiday: &Holiday, now: &str) -> StoreResult<u64> {
    let (kind, confirmed) = stored_kind(holiday.kind);
    let window = Days::new(SAME_HOLIDAY_DAYS);
    let from = holiday
        .date
        .checked_sub_days(window)
        .unwrap_or(holiday.date);
    let to = holiday
        .date
        .checked_add_days(window)
        .unwrap_or(holiday.date);
    Ok(sqlx::query(
        "INSERT INTO calendar_entries (date, name, kind, confirmed, created_at) \
         SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM calendar_entries \
         WHERE name = $2 AND date >= $6 AND date <= $7)",
    )
    .bind(holiday.date.to_string())
    .bind(&holiday.name)
    .bind(kind)
    .bind(i64::from(confirmed))
    .bind(now)
    .bind(from.to_string())
    .bind(to.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

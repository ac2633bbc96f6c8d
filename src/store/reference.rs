//! Reference data the fund edits, loaded with its defaults: the dated contribution rates
//! and the holidays of the calendar (from `mandates`), inserted at migration time where
//! missing. Staff changes are kept, since inserts skip existing keys. Reading and changing
//! them is `rates` and `calendar`.

use ::mandates::{Calendar, HolidayKind, RateTable};

use super::{Store, StoreResult};

/// The years whose fixed holidays are loaded by default.
const DEFAULT_CALENDAR_YEARS: std::ops::RangeInclusive<i32> = 2025..=2030;

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
}

//! The business-day calendar: the stored holidays as the domain's `Calendar`, the history
//! of its changes, and staff changes (lunar holidays are announced late and move by a
//! day) with what they do to collections not yet in a file: a change and the re-planning it
//! causes are one transaction, so no collection is ever left on a day the bank is closed.
//!
//! Re-planning rule: a planned collection whose date is no longer a business day moves to
//! the next business day (a later date, so the advance notice already sent still came in
//! time); its EndToEndId follows the date, and the employer gets a new advance notice
//! with the new date. If the employer already has a collection on that day, the moved one
//! is cancelled and its lines are released, to be collected by the next planning pass.
//! Collections already in a file (submitted) are the bank's now and are never moved.

use ::mandates::{Calendar, Holiday, HolidayKind};
use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

use super::audit::DetailValue::{Fixed, Text};
use super::audit::{AuditRows, detail_sql};
use super::notice_events::{NoticeEvents, NoticeKind};
use super::{Actor, Bind, Refusal, Store, StoreError, StoreResult, audit::Audit, parse_date};

/// One staff change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalendarChange {
    /// A new holiday (lunar ones may be announced unconfirmed).
    Add {
        date: NaiveDate,
        name: String,
        lunar: bool,
        confirmed: bool,
    },
    /// A lunar holiday confirmed on its announced date.
    Confirm { date: NaiveDate, name: String },
    /// A holiday moved (a lunar date announced a day later, say); it is confirmed.
    Shift {
        name: String,
        from: NaiveDate,
        to: NaiveDate,
    },
    /// A holiday withdrawn.
    Remove { date: NaiveDate, name: String },
}

::mandates::stored_codes! {
    /// What a calendar change did, as its audit entry names it.
    pub enum CalendarAction("calendar action") {
        HolidayAdded = "calendar.holiday_added",
        HolidayConfirmed = "calendar.holiday_confirmed",
        HolidayShifted = "calendar.holiday_shifted",
        HolidayRemoved = "calendar.holiday_removed",
        /// The planned collections of a closed day moved to the next business day.
        CollectionsRescheduled = "collections.rescheduled",
        /// The default holidays of years ahead loaded: fixed ones and lunar estimates.
        YearsLoaded = "calendar.years_loaded",
    }
}

/// One entry of the calendar's history: a change, or the re-planning it caused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct CalendarHistoryEntry {
    pub at: String,
    pub actor: String,
    #[sqlx(try_from = "String")]
    pub action: CalendarAction,
    /// JSON text: the holiday (date, name) or the dates moved and how many.
    pub detail: String,
}

/// Collections moved from one date to another by a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MovedRun {
    pub from: String,
    pub to: String,
    pub moved: u64,
    /// Employers that already had a collection on `to`: cancelled, lines released.
    pub released: u64,
}

/// What a change did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CalendarOutcome {
    pub moved: Vec<MovedRun>,
}

impl Store {
    /// The business-day calendar: Friday–Saturday weekend plus the stored holidays.
    pub async fn calendar(&self) -> StoreResult<Calendar> {
        let mut conn = self.pool.acquire().await?;
        load_calendar(&mut conn).await
    }

    /// The last `limit` calendar changes and the re-planning they caused, newest first.
    pub async fn calendar_history(&self, limit: i64) -> StoreResult<Vec<CalendarHistoryEntry>> {
        Ok(sqlx::query_as::<_, CalendarHistoryEntry>(
            "SELECT at, actor, action, detail FROM audit_log \
             WHERE entity IN ('calendar', 'collection_date') AND entity_id = '0' \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Applies a calendar change and re-plans the collections it affects, in one
    /// transaction (see the module docs).
    pub async fn change_calendar(
        &self,
        actor: &Actor,
        change: &CalendarChange,
    ) -> StoreResult<CalendarOutcome> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        // A calendar change and a planning pass take turns: both write the planned
        // collections and then audit them.
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let (action, detail) = apply(&mut tx, change, &now).await?;
        let moves = replan_closed_days(&mut tx, &now).await?;
        // The audit entries after every row write (see `replan_closed_days`): the change,
        // then the moves it caused.
        Audit::new(actor, action)
            .on("calendar", 0)
            .detail(detail)
            .record(&mut tx, &now)
            .await?;
        let moved = moves.audit(&mut tx, actor, &now).await?;
        tx.commit().await?;
        Ok(CalendarOutcome { moved })
    }
}

/// Moves the planned collections of every day the calendar (as `tx` sees it) now closes to
/// the next business day (see the module docs); what moved, date by date.
///
/// Every move is written first and audited after all of them, by [`ClosedDaysMoved::audit`]
/// once the caller's own rows are written too: an audit entry takes the chain's head and
/// holds it until commit, so a row updated after one could deadlock (PostgreSQL) with a
/// transaction that holds that row and waits for the head. Each move's collections are
/// noted in `calendar_moved` as it is made, since two closed days may move to the same day
/// and the audit must still say which came from where.
pub(super) async fn replan_closed_days(
    tx: &mut AnyConnection,
    now: &str,
) -> StoreResult<ClosedDaysMoved> {
    let calendar = load_calendar(&mut *tx).await?;
    let dates: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT collection_date FROM collections WHERE status = 'planned' ORDER BY collection_date",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut closed = Vec::new();
    for text in dates {
        let from = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map_err(|e| StoreError::Invalid(format!("stored date {text:?}: {e}")))?;
        if !calendar.is_business_day(from) {
            closed.push(from);
        }
    }
    if closed.is_empty() {
        return Ok(ClosedDaysMoved(Vec::new()));
    }
    sqlx::query(
        "CREATE TEMP TABLE calendar_moved (collection_id BIGINT PRIMARY KEY, \
         from_date TEXT NOT NULL, to_date TEXT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    let mut moved = Vec::new();
    for from in closed {
        let to = calendar.next_business_day(from);
        moved.push(move_date(&mut *tx, now, from, to).await?);
    }
    Ok(ClosedDaysMoved(moved))
}

/// The moves of [`replan_closed_days`], written but not yet audited.
#[must_use = "the moves are audited by `audit`"]
pub(super) struct ClosedDaysMoved(Vec<MovedRun>);

impl ClosedDaysMoved {
    /// Writes the moves' audit entries, date by date, in `tx`; what moved.
    pub(super) async fn audit(
        self,
        tx: &mut AnyConnection,
        actor: &Actor,
        now: &str,
    ) -> StoreResult<Vec<MovedRun>> {
        if self.0.is_empty() {
            return Ok(self.0);
        }
        for run in &self.0 {
            audit_move(&mut *tx, actor, now, run).await?;
        }
        sqlx::query("DROP TABLE calendar_moved")
            .execute(&mut *tx)
            .await?;
        Ok(self.0)
    }
}

async fn apply(
    tx: &mut AnyConnection,
    change: &CalendarChange,
    now: &str,
) -> StoreResult<(&'static str, serde_json::Value)> {
    let affected = match change {
        CalendarChange::Add {
            date,
            name,
            lunar,
            confirmed,
        } => sqlx::query(
            "INSERT INTO calendar_entries (date, name, kind, confirmed, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (date, name) DO NOTHING",
        )
        .bind(date.to_string())
        .bind(name)
        .bind(if *lunar { "lunar" } else { "fixed" })
        .bind(i64::from(*confirmed || !*lunar))
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected(),
        CalendarChange::Confirm { date, name } => sqlx::query(
            "UPDATE calendar_entries SET confirmed = 1 WHERE date = $1 AND name = $2",
        )
        .bind(date.to_string())
        .bind(name)
        .execute(&mut *tx)
        .await?
        .rows_affected(),
        CalendarChange::Shift { name, from, to } => sqlx::query(
            "UPDATE calendar_entries SET date = $3, confirmed = 1 WHERE date = $1 AND name = $2",
        )
        .bind(from.to_string())
        .bind(name)
        .bind(to.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            super::refused_on_unique(e, Refusal::HolidayAlreadyOnDate, || {
                format!("{name} is already on {to}")
            })
        })?
        .rows_affected(),
        CalendarChange::Remove { date, name } => {
            sqlx::query("DELETE FROM calendar_entries WHERE date = $1 AND name = $2")
                .bind(date.to_string())
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        }
    };
    let (action, detail) = match change {
        CalendarChange::Add {
            date,
            name,
            lunar,
            confirmed,
        } => (
            CalendarAction::HolidayAdded.as_str(),
            serde_json::json!({ "date": date.to_string(), "name": name, "lunar": lunar, "confirmed": confirmed }),
        ),
        CalendarChange::Confirm { date, name } => (
            CalendarAction::HolidayConfirmed.as_str(),
            serde_json::json!({ "date": date.to_string(), "name": name }),
        ),
        CalendarChange::Shift { name, from, to } => (
            CalendarAction::HolidayShifted.as_str(),
            serde_json::json!({ "name": name, "from": from.to_string(), "to": to.to_string() }),
        ),
        CalendarChange::Remove { date, name } => (
            CalendarAction::HolidayRemoved.as_str(),
            serde_json::json!({ "date": date.to_string(), "name": name }),
        ),
    };
    if affected == 0 {
        return Err(match change {
            CalendarChange::Add { date, name, .. } => StoreError::refused(
                Refusal::HolidayExists,
                format!("{name} is already in the calendar on {date}"),
            ),
            CalendarChange::Confirm { date, name }
            | CalendarChange::Remove { date, name }
            | CalendarChange::Shift {
                name, from: date, ..
            } => StoreError::refused(
                Refusal::HolidayMissing,
                format!(
                    "there is no holiday {name:?} on {date} in the calendar: `tahsil calendar list` shows them"
                ),
            ),
        });
    }
    Ok((action, detail))
}

/// The audit entries of one move (`move_date`): each collection's own trail, moved or
/// cancelled because the new date had one, then the move's summary.
async fn audit_move(
    tx: &mut AnyConnection,
    actor: &Actor,
    now: &str,
    run: &MovedRun,
) -> StoreResult<()> {
    AuditRows {
        action: "CASE WHEN c.status = 'cancelled' THEN 'collection.cancelled' \
                 ELSE 'collection.rescheduled' END",
        entity: "collection",
        id: "c.id",
        detail: &format!(
            "CASE WHEN c.status = 'cancelled' THEN {} ELSE {} END",
            detail_sql(&[("reason", Fixed("calendar_clash"))]),
            detail_sql(&[("from", Text("m.from_date")), ("to", Text("m.to_date"))])
        ),
        from: "collections c JOIN calendar_moved m ON m.collection_id = c.id \
               WHERE m.from_date = $1",
    }
    .record(tx, now, actor, &[Bind::Text(&run.from)])
    .await?;
    Audit::new(actor, "collections.rescheduled").on("collection_date", 0).detail(serde_json::json!({ "from": run.from, "to": run.to, "moved": run.moved, "released": run.released })).record(&mut *tx, now).await?;
    Ok(())
}

/// Moves the planned collections of `from` to `to` (see the module docs).
async fn move_date(
    tx: &mut AnyConnection,
    now: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<MovedRun> {
    let (from_text, to_text) = (from.to_string(), to.to_string());
    // Employers already collected on `to`: their collection of `from` gives its lines back.
    let clash = "collection_date = $1 AND status = 'planned' AND EXISTS (SELECT 1 FROM collections o \
                 WHERE o.employer_id = collections.employer_id AND o.collection_date = $2)";
    let released = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE collections SET status = 'cancelled', reason_code = 'calendar_clash', updated_at = $3 WHERE {clash}"
    )))
    .bind(&from_text)
    .bind(&to_text)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    // Their advance notices not yet sent are withdrawn (a new one goes out for the moved).
    super::notice_events::withdraw_unsent_advance_notices(
        &mut *tx,
        "c.collection_date = $1 AND c.status IN ('planned', 'cancelled')",
        &from_text,
    )
    .await?;
    if released > 0 {
        super::collections::release_lines(
            &mut *tx,
            "c.collection_date = $1 AND c.status = 'cancelled' AND c.reason_code = 'calendar_clash'",
            &from_text,
        )
        .await?;
        super::notice_events::notify_cancelled_debits(
            &mut *tx,
            "c.collection_date = $1 AND c.status = 'cancelled' AND c.reason_code = 'calendar_clash'",
            &from_text,
            now,
        )
        .await?;
    }
    let moved = sqlx::query(
        "UPDATE collections SET collection_date = $2, updated_at = $3, \
         end_to_end_id = 'T' || $4 || 'M' || CAST(mandate_id AS TEXT) \
         WHERE collection_date = $1 AND status = 'planned'",
    )
    .bind(&from_text)
    .bind(&to_text)
    .bind(now)
    .bind(to.format("%Y%m%d").to_string())
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        super::conflict_on_unique(e, || {
            format!("moving the debits of {from} to {to} clashes with debits already there")
        })
    })?
    .rows_affected();
    // A new advance notice with the new date, once per collection and date.
    NoticeEvents::new(
        NoticeKind::AdvanceNotice,
        "c",
        "collections c WHERE c.collection_date = $1 AND c.status = 'planned' AND c.updated_at = $2",
    )
    .again("c.collection_date")
    .record(tx, now, &[Bind::Text(&to_text), Bind::Text(now)])
    .await?;
    // Which collections this move changed, for its audit entries (`audit_move`): moved,
    // or cancelled because the new date had one (a collection moved here by an earlier
    // date of this pass is that date's).
    sqlx::query(
        "INSERT INTO calendar_moved (collection_id, from_date, to_date) \
         SELECT c.id, $1, $2 FROM collections c WHERE c.updated_at = $3 \
         AND ((c.collection_date = $2 AND c.status = 'planned') \
         OR (c.collection_date = $1 AND c.status = 'cancelled' AND c.reason_code = 'calendar_clash')) \
         AND NOT EXISTS (SELECT 1 FROM calendar_moved m WHERE m.collection_id = c.id)",
    )
    .bind(&from_text)
    .bind(&to_text)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // Both dates' totals counted again (`collection_totals`), before any audit entry.
    super::collection_totals::recount_date(&mut *tx, &from_text).await?;
    super::collection_totals::recount_date(&mut *tx, &to_text).await?;
    Ok(MovedRun {
        from: from_text,
        to: to_text,
        moved,
        released,
    })
}

#[derive(FromRow)]
struct CalendarRow {
    date: String,
    name: String,
    kind: String,
    confirmed: i64,
}

/// A holiday's kind as `calendar_entries` stores it: its `kind` and `confirmed` columns
/// (a fixed holiday is confirmed by nature).
pub(super) fn stored_kind(kind: HolidayKind) -> (&'static str, bool) {
    match kind {
        HolidayKind::Fixed => ("fixed", true),
        HolidayKind::Lunar { confirmed } => ("lunar", confirmed),
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

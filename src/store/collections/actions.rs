//! Staff actions on a debit — hold, release, cancel, re-present — each one transaction
//! with its audit entry (and the reason staff gave), the notices the employer must get,
//! and the open exceptions of the debit resolved *by* the action. Which states allow
//! which action is the domain's (`mandates::DebitState`); this re-checks it on the row,
//! locked, inside the transaction, so a run that filed the debit meanwhile wins.
//!
//! A debit has at most one next attempt, whoever plans it (the automatic retry of
//! `reconcile` or a clerk here): a unique index on `collections.retry_of` (migration
//! 0014), so the losing path gets "already re-presented as #N".
//!
//! Must not know: how the pages, the CLI or the API ask (they pass the action).

use chrono::NaiveDate;
use mandates::{
    Amount, Channel, ChannelPolicy, CollectionStatus, DebitAction, DebitState, representation_date,
};
use serde::Serialize;
use sqlx::FromRow;

use super::release_lines;
use crate::store::audit::Audit;
use crate::store::collection_totals::{Shift, shift};
use crate::store::notice_events::{
    NoticeEvent, NoticeKind, notify_cancelled_debits, withdraw_unsent_advance_notices,
};
use crate::store::{Actor, Bind, Refusal, Store, StoreError, StoreResult, parse_date};

/// The longest reason kept for an action (it is in the audit trail and on the pages).
pub const ACTION_REASON_MAX: usize = 500;

/// A debit as staff act on it: its state and what can be done to it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DebitRecord {
    pub id: i64,
    pub employer_id: i64,
    pub mandate_id: i64,
    pub channel: Channel,
    pub collection_date: String,
    pub amount: Amount,
    pub status: CollectionStatus,
    /// Kept out of the files until released (still `planned`).
    pub held: bool,
    pub attempt: i64,
    /// The failed debit this one presents again.
    pub retry_of: Option<i64>,
    /// Its next attempt, automatic or a clerk's (at most one).
    pub next_attempt: Option<i64>,
    /// The file it went out in.
    pub bank_file: Option<String>,
    pub noticed_on: String,
    pub reason_code: Option<String>,
    pub possible_actions: Vec<DebitAction>,
}

/// What an action did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionOutcome {
    pub action: DebitAction,
    /// The debit acted on, as it is now.
    pub debit: DebitRecord,
    /// For a re-presentation: the new attempt.
    pub next_attempt: Option<DebitRecord>,
    /// A held debit released after its date's file was built (or its file day went by)
    /// cannot go out on its date: it is cancelled instead, its lines owed again for the
    /// next date, and the employer told.
    pub missed_its_date: bool,
    /// The open exceptions of the debit this action resolved.
    pub exceptions_resolved: Vec<i64>,
}

#[derive(FromRow)]
struct DebitRow {
    id: i64,
    employer_id: i64,
    mandate_id: i64,
    #[sqlx(try_from = "String")]
    channel: Channel,
    collection_date: String,
    amount_centimes: i64,
    #[sqlx(try_from = "String")]
    status: CollectionStatus,
    held_at: Option<String>,
    attempt: i64,
    retry_of: Option<i64>,
    next_attempt: Option<i64>,
    bank_file: Option<String>,
    noticed_on: String,
    reason_code: Option<String>,
}

impl DebitRow {
    fn state(&self) -> DebitState {
        DebitState {
            status: self.status,
            held: self.held_at.is_some(),
        }
    }

    fn record(self) -> DebitRecord {
        let possible_actions = self.state().possible_actions();
        DebitRecord {
            id: self.id,
            employer_id: self.employer_id,
            mandate_id: self.mandate_id,
            channel: self.channel,
            collection_date: self.collection_date,
            amount: Amount::from_centimes(self.amount_centimes),
            status: self.status,
            held: self.held_at.is_some(),
            attempt: self.attempt,
            retry_of: self.retry_of,
            next_attempt: self.next_attempt,
            bank_file: self.bank_file,
            noticed_on: self.noticed_on,
            reason_code: self.reason_code,
            possible_actions,
        }
    }
}

const DEBIT_SELECT: &str = "SELECT c.id, c.employer_id, c.mandate_id, c.channel, c.collection_date, \
     c.amount_centimes, c.status, c.held_at, c.attempt, c.retry_of, \
     (SELECT n.id FROM collections n WHERE n.retry_of = c.id) AS next_attempt, \
     (SELECT f.file_name FROM bank_files f WHERE f.id = c.bank_file_id) AS bank_file, \
     c.noticed_on, c.reason_code FROM collections c WHERE c.id = $1";

/// `which` for the one collection `$1` (bound as text) of the shared helpers.
const THIS_DEBIT: &str = "c.id = CAST($1 AS BIGINT)";

impl Store {
    /// One debit, with what staff can do to it.
    pub async fn debit(&self, id: i64) -> StoreResult<DebitRecord> {
        sqlx::query_as::<_, DebitRow>(DEBIT_SELECT)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(DebitRow::record)
            .ok_or_else(|| StoreError::not_found("collection", id))
    }

    /// Takes `action` on debit `id`, for `reason` (required, kept in the audit trail and
    /// on the exceptions it resolves): see the module docs. `policy` is the debit's
    /// channel timing: the notice period of a re-presentation, the file day of a release.
    pub async fn act_on_debit(
        &self,
        actor: &Actor,
        id: i64,
        action: DebitAction,
        reason: &str,
        policy: &ChannelPolicy,
    ) -> StoreResult<ActionOutcome> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > ACTION_REASON_MAX {
            return Err(StoreError::refused(
                Refusal::ActionReason,
                format!(
                    "give the reason for the {action} (1 to {ACTION_REASON_MAX} characters); it is kept in the audit trail"
                ),
            ));
        }
        let calendar = self.calendar().await?;
        let today = self.clock().today();
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        // Planning, payments, imports and debit actions take turns (PostgreSQL; SQLite has
        // one writer), first, before any row lock: a re-presentation never copies lines a
        // payment or a credit is paying, nor plans beside a plan of the same lines.
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        // The row locked until the end (PostgreSQL): a run recording it waits for us, or
        // we for it and then see it in its file.
        let locked: Option<(String, Option<String>)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT status, held_at FROM collections WHERE id = $1{}",
                self.backend.lock_rows()
            )))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if locked.is_none() {
            return Err(StoreError::not_found("collection", id));
        }
        let row = sqlx::query_as::<_, DebitRow>(DEBIT_SELECT)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if let Err(refused) = row.state().check(action) {
            return Err(StoreError::Conflict(
                match (row.next_attempt, &row.bank_file) {
                    (Some(next), _) => format!(
                        "debit {id} was already re-presented as #{next}; act on #{next} instead"
                    ),
                    (None, Some(file)) if action == DebitAction::Hold => {
                        format!("debit {id} is already in file {file}: {refused}")
                    }
                    _ => format!("debit {id}: {refused}"),
                },
            ));
        }
        // The debit's totals taken away, added back as it ends up (`collection_totals`).
        let this_debit = "collections c WHERE c.id = $1";
        shift(&mut tx, Shift::Remove, this_debit, &[Bind::Int(id)]).await?;
        let mut missed_its_date = false;
        let mut next_attempt = None;
        // The `collection.planned` detail of a re-presentation, audited at the end.
        let mut planned = None;
        let mut detail = serde_json::json!({ "reason": reason });
        match action {
            DebitAction::Hold => {
                sqlx::query(
                    "UPDATE collections SET held_at = $2, updated_at = $2 \
                     WHERE id = $1 AND status = 'planned' AND held_at IS NULL",
                )
                .bind(id)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
            DebitAction::Release => {
                let date = parse_date("collection date", &row.collection_date)?;
                let run_done: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM runs WHERE collection_date = $1")
                        .bind(&row.collection_date)
                        .fetch_optional(&mut *tx)
                        .await?;
                missed_its_date = run_done.is_some() || policy.file_date(date, &calendar) < today;
                if missed_its_date {
                    cancel(&mut tx, id, "held_past_its_date", &now).await?;
                    detail["missed_its_date"] = serde_json::Value::Bool(true);
                } else {
                    sqlx::query(
                        "UPDATE collections SET held_at = NULL, updated_at = $2 \
                         WHERE id = $1 AND status = 'planned'",
                    )
                    .bind(id)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            DebitAction::Cancel => cancel(&mut tx, id, "staff_cancelled", &now).await?,
            DebitAction::Represent => {
                let active: Option<String> = sqlx::query_scalar(
                    "SELECT status FROM mandates WHERE id = $1 AND status = 'active'",
                )
                .bind(row.mandate_id)
                .fetch_optional(&mut *tx)
                .await?;
                if active.is_none() {
                    return Err(StoreError::Conflict(format!(
                        "debit {id} cannot be presented again: its mandate is no longer active; \
                         the employer must sign a new mandate (its lines stay owed)"
                    )));
                }
                // The lines of the failed debit still owed (not paid by another channel
                // since) and in no other live debit.
                let owed = "FROM collection_lines cl \
                     JOIN declaration_lines l ON l.id = cl.declaration_line_id AND l.status = 'submitted' \
                     WHERE cl.collection_id = $1 AND NOT EXISTS (SELECT 1 FROM collection_lines x \
                       WHERE x.declaration_line_id = cl.declaration_line_id AND x.live = 1) \
                     AND NOT EXISTS (SELECT 1 FROM payment_allocations pa \
                       WHERE pa.declaration_line_id = cl.declaration_line_id)";
                let amount: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT CAST(SUM(cl.amount_centimes) AS BIGINT) {owed}"
                )))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                let Some(amount) = amount.filter(|a| *a > 0) else {
                    return Err(StoreError::Conflict(format!(
                        "debit {id} has nothing left to present: its lines are already in another debit or no longer owed"
                    )));
                };
                // The first possible date (notice period, business day) on which the
                // employer has no debit yet and whose files are not built.
                let mut date = representation_date(today, &calendar, policy);
                for _ in 0..400 {
                    let taken: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM collections WHERE employer_id = $1 AND collection_date = $2",
                    )
                    .bind(row.employer_id)
                    .bind(date.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
                    let run: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE collection_date = $1")
                            .bind(date.to_string())
                            .fetch_one(&mut *tx)
                            .await?;
                    if taken == 0 && run == 0 {
                        break;
                    }
                    date = calendar.next_business_day_after(date);
                }
                // What its advance notice announces, and the first day it may be debited
                // (the database refuses to file it otherwise: migration 0013).
                let earliest = today
                    .checked_add_days(chrono::Days::new(u64::from(policy.notice_days)))
                    .unwrap_or(NaiveDate::MAX);
                let announced = Announcement { today, earliest };
                let new_id =
                    match insert_attempt(&mut tx, &row, date, announced, amount, &now).await {
                        Ok(new_id) => new_id,
                        Err(err) if is_unique_violation(&err) => {
                            // Another attempt was planned at the same moment (the unique key
                            // on `retry_of`, or the employer's debit on that date): say which.
                            drop(tx);
                            return Err(self.already_presented(id, date).await);
                        }
                        Err(err) => return Err(err),
                    };
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live) \
                     SELECT $2, cl.declaration_line_id, cl.amount_centimes, 1 {owed}"
                )))
                .bind(id)
                .bind(new_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE collections SET status = 'retry_planned', updated_at = $2 \
                     WHERE id = $1 AND status IN ('rejected', 'returned')",
                )
                .bind(id)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                NoticeEvent::new(NoticeKind::AdvanceNotice, row.employer_id, new_id)
                    .record(&mut tx, &now)
                    .await?;
                planned = Some(serde_json::json!({
                    "collection_date": date.to_string(),
                    "amount_centimes": amount,
                    "retry_of": id,
                }));
                detail["next_attempt"] = serde_json::json!(new_id);
                detail["collection_date"] = serde_json::json!(date.to_string());
                next_attempt = Some(new_id);
            }
        }
        // The debit's open exceptions (and those of the debit it presents again) are
        // resolved by the action, which says so on them.
        let exceptions_resolved: Vec<i64> = if action == DebitAction::Release {
            Vec::new()
        } else {
            sqlx::query_scalar(
                "UPDATE exceptions SET status = 'resolved', resolution = $2, resolved_by = $3, \
                 resolved_at = $4, resolved_by_action = $5 \
                 WHERE status = 'open' AND collection_id IS NOT NULL AND (collection_id = $1 \
                   OR collection_id = (SELECT c.retry_of FROM collections c WHERE c.id = $1)) \
                 RETURNING id",
            )
            .bind(id)
            .bind(reason)
            .bind(actor.as_str())
            .bind(&now)
            .bind(action.as_str())
            .fetch_all(&mut *tx)
            .await?
        };
        shift(&mut tx, Shift::Add, this_debit, &[Bind::Int(id)]).await?;
        if let Some(new_id) = next_attempt {
            shift(&mut tx, Shift::Add, this_debit, &[Bind::Int(new_id)]).await?;
        }
        // The audit entries last, after every row write: each takes the chain's head and
        // holds it until commit, so a row locked after one could deadlock (PostgreSQL)
        // with a transaction that holds that row and waits for the head
        // (`resolve_exception` locks an exception, then audits).
        if let (Some(new_id), Some(planned)) = (next_attempt, planned) {
            Audit::new(actor, "collection.planned")
                .on("collection", new_id)
                .detail(planned)
                .record(&mut tx, &now)
                .await?;
        }
        Audit::new(actor, audit_action(action))
            .on("collection", id)
            .detail(detail)
            .record(&mut tx, &now)
            .await?;
        for exception in &exceptions_resolved {
            Audit::new(actor, "exception.resolved")
                .on("exception", *exception)
                .detail(serde_json::json!({
                    "resolution": reason,
                    "action": action.as_str(),
                    "collection_id": id,
                }))
                .record(&mut tx, &now)
                .await?;
        }
        tx.commit().await?;
        let debit = self.debit(id).await?;
        let next_attempt = match next_attempt {
            Some(next) => Some(self.debit(next).await?),
            None => None,
        };
        Ok(ActionOutcome {
            action,
            debit,
            next_attempt,
            missed_its_date,
            exceptions_resolved,
        })
    }
}

impl Store {
    /// The refusal of a re-presentation that lost to another attempt planned meanwhile.
    async fn already_presented(&self, id: i64, date: NaiveDate) -> StoreError {
        let next: Result<Option<i64>, sqlx::Error> =
            sqlx::query_scalar("SELECT id FROM collections WHERE retry_of = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await;
        match next {
            Ok(Some(next)) => StoreError::Conflict(format!(
                "debit {id} was already re-presented as #{next}; act on #{next} instead"
            )),
            Ok(None) => StoreError::Conflict(format!(
                "another debit of this employer was planned on {date} at the same moment; try again"
            )),
            Err(err) => StoreError::Database(err),
        }
    }
}

fn is_unique_violation(err: &StoreError) -> bool {
    matches!(err, StoreError::Database(db) if db.as_database_error().is_some_and(|d| d.is_unique_violation()))
}

/// The audit action of each staff action.
fn audit_action(action: DebitAction) -> &'static str {
    match action {
        DebitAction::Hold => "collection.held",
        DebitAction::Release => "collection.released",
        DebitAction::Cancel => "collection.cancelled",
        DebitAction::Represent => "collection.represented",
    }
}

/// A planned debit cancelled (`why` is its reason code): its lines owed again (collectible
/// at the next date), its advance notice withdrawn if not taken yet, else the employer
/// told it will not be presented.
async fn cancel(tx: &mut sqlx::AnyConnection, id: i64, why: &str, now: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE collections SET status = 'cancelled', held_at = NULL, reason_code = $2, updated_at = $3 \
         WHERE id = $1 AND status = 'planned'",
    )
    .bind(id)
    .bind(why)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let id_text = id.to_string();
    release_lines(&mut *tx, THIS_DEBIT, &id_text).await?;
    withdraw_unsent_advance_notices(&mut *tx, THIS_DEBIT, &id_text).await?;
    notify_cancelled_debits(&mut *tx, THIS_DEBIT, &id_text, now).await?;
    Ok(())
}

/// The day a re-presentation is announced on, and the earliest day its notice allows.
#[derive(Clone, Copy)]
struct Announcement {
    today: NaiveDate,
    earliest: NaiveDate,
}

/// The next attempt of the failed debit `row` on `date`, announced today for `amount`: the
/// unique index on `retry_of` refuses a second one.
async fn insert_attempt(
    tx: &mut sqlx::AnyConnection,
    row: &DebitRow,
    date: NaiveDate,
    announced: Announcement,
    amount: i64,
    now: &str,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, status, \
         attempt, retry_of, end_to_end_id, noticed_on, created_at, updated_at, announced_centimes, earliest_debit_date) \
         VALUES ($1, $2, $3, $4, $5, 'planned', $6, $7, $8, $9, $10, $10, $5, $11) RETURNING id",
    )
    .bind(row.employer_id)
    .bind(row.mandate_id)
    .bind(row.channel.as_str())
    .bind(date.to_string())
    .bind(amount)
    .bind(row.attempt + 1)
    .bind(row.id)
    .bind(format!("T{}M{}", date.format("%Y%m%d"), row.mandate_id))
    .bind(announced.today.to_string())
    .bind(now)
    .bind(announced.earliest.to_string())
    .fetch_one(&mut *tx)
    .await?)
}

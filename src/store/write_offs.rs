//! Write-offs (issue 15 point 1): staff write off owed declaration lines of an employer
//! (uncollectable debt), in one transaction with their `write_off` ledger entries.
//!
//! A line can be written off while it is owed and not in a file: never collected, owed
//! again after a failure, or in a debit still `planned` (it leaves that debit as a line
//! paid by a payment does: the debit is reduced and announced again, or cancelled). A line
//! in a bank file is the bank's until the debit's outcome: refused. A line written off is
//! no longer owed and never collectable (`line_write_offs`, one row per line at most):
//! planning, allocation, aging and receivables leave it out. Writing off a line already
//! written off writes nothing again. A planned debit left with no line is cancelled with its
//! own reason, `written_off` (the employer's notice says the fund no longer claims those
//! contributions, not that they were paid). Refusals are coded (`Refusal::WriteOff*`).
//!
//! **Four eyes** (migration 0034): above the fund's `write_off_policy.four_eyes_centimes`
//! — counting the employer's write-offs of the last 30 days and its requests waiting,
//! so splitting a write-off does not avoid it — nothing is written off: a
//! `write_off_requests` row waits for another member of staff, who approves it (the lines
//! written off then, checked again, in the approval's transaction) or refuses it with a
//! reason. Each step audited. While a request waits, its lines are held out of bank files
//! (migration 0037): the planned debits carrying them are held (`held_at`, as a dispute
//! holds one; listed in `write_off_requests.held_debits`) and planning leaves them out of
//! new debits; the decision releases the debits it held (a debit still carrying a line of
//! another waiting request passes to that request).

use chrono::NaiveDate;
use mandates::Amount;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::audit::Audit;
use super::collection_totals::{Shift, shift};
use super::payments::{LinesTakenOut, id_list, take_paid_lines_out};
use super::{Actor, Bind, Employer, Refusal, Store, StoreError, StoreResult, timestamp};

/// The longest reason kept.
pub const WRITE_OFF_REASON_MAX: usize = 500;

/// The window over which an employer's write-offs count together against the four-eyes
/// amount.
const FOUR_EYES_WINDOW_DAYS: i64 = 30;

/// Lines to write off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWriteOff {
    pub employer_id: i64,
    /// The declaration lines (ids); empty: every owed line not in a bank file.
    pub lines: Vec<i64>,
    pub reason: String,
    /// The staff member who decided it.
    pub by: String,
}

/// What a write-off did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WriteOffOutcome {
    /// The lines written off now.
    pub written_off: Vec<i64>,
    /// What they amount to (or, waiting for approval, what the request amounts to).
    pub amount_centimes: i64,
    /// Lines asked for that were written off before (nothing written again).
    pub already: Vec<i64>,
    pub debits_reduced: Vec<i64>,
    pub debits_cancelled: Vec<i64>,
    /// Above the four-eyes amount: the request waiting for a second member of staff;
    /// nothing is written off yet.
    pub pending_request: Option<i64>,
}

/// A write-off above the four-eyes amount, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct WriteOffRequest {
    pub id: i64,
    pub employer_id: i64,
    /// The lines asked for (ids, comma-separated).
    pub line_ids: String,
    pub amount_centimes: i64,
    pub reason: String,
    /// Who decided it (the name given), and the actor who asked.
    pub decided_by_name: String,
    pub requested_by: String,
    pub requested_at: String,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub refusal_reason: Option<String>,
}

impl WriteOffRequest {
    /// The line ids asked for.
    pub fn lines(&self) -> Vec<i64> {
        self.line_ids
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
            .collect()
    }
}

/// A line staff may write off: owed, and not in a bank file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct WriteOffCandidate {
    pub id: i64,
    pub period: String,
    pub worksite_code: String,
    pub total_centimes: i64,
    /// The planned debit holding it, if any (it loses the line).
    pub collection_id: Option<i64>,
}

#[derive(Clone, FromRow)]
struct OwedLine {
    id: i64,
    total: i64,
    collection_id: Option<i64>,
    collection_status: Option<String>,
    written_off: i64,
}

impl OwedLine {
    /// Owed, and not in a bank file (never collected, owed again, or in a planned debit).
    fn can_go(&self) -> bool {
        self.written_off == 0
            && self
                .collection_status
                .as_deref()
                .is_none_or(|s| s == "planned")
    }
}

/// The employer's lines still owed (or written off before), with the live debit holding
/// each, if any, oldest first.
const OWED_LINES: &str = "SELECT l.id, l.total_centimes AS total, c.id AS collection_id, c.status AS collection_status, \
     CASE WHEN EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id) \
          THEN 1 ELSE 0 END AS written_off \
     FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
     LEFT JOIN collection_lines cl ON cl.declaration_line_id = l.id AND cl.live = 1 \
     LEFT JOIN collections c ON c.id = cl.collection_id \
     WHERE d.employer_id = $1 AND d.status = 'submitted' AND l.status = 'submitted' \
     AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id) \
     AND (c.id IS NULL OR c.status <> 'settled') \
     ORDER BY d.due_from, d.period, l.id";

fn reason_checked(reason: &str) -> StoreResult<String> {
    let reason = reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > WRITE_OFF_REASON_MAX {
        return Err(StoreError::refused(
            Refusal::WriteOffReason,
            format!(
                "a write-off needs its reason (why the debt cannot be collected), at most {WRITE_OFF_REASON_MAX} characters"
            ),
        ));
    }
    Ok(reason)
}

/// The lines of `asked` (every owed line outside a bank file when empty) that can be
/// written off now, and those written off before; refuses a line that is not owed or is
/// in a bank file, and nothing at all to write off.
async fn choose(
    tx: &mut sqlx::AnyConnection,
    employer: &Employer,
    asked: &[i64],
) -> StoreResult<(Vec<OwedLine>, Vec<i64>)> {
    let lines: Vec<OwedLine> = sqlx::query_as(OWED_LINES)
        .bind(employer.id)
        .fetch_all(&mut *tx)
        .await?;
    let mut chosen: Vec<OwedLine> = Vec::new();
    let mut already: Vec<i64> = Vec::new();
    if asked.is_empty() {
        chosen.extend(lines.iter().filter(|l| l.can_go()).cloned());
    } else {
        for id in asked {
            let Some(line) = lines.iter().find(|l| l.id == *id) else {
                return Err(StoreError::refused(
                    Refusal::WriteOffLineNotOwed,
                    format!(
                        "line {id} is not an owed declaration line of employer {} (paid, cancelled, \
                         corrected or another employer's); nothing written off — check the line \
                         numbers on the employer's account page",
                        employer.affiliation_number
                    ),
                ));
            };
            if line.written_off != 0 {
                if !already.contains(id) {
                    already.push(*id);
                }
                continue;
            }
            if let (Some(debit), false) = (line.collection_id, line.can_go()) {
                return Err(StoreError::refused(
                    Refusal::WriteOffLineInFile,
                    format!(
                        "line {id} is held by debit {debit}, in a bank file or waiting for its outcome: \
                         it is the bank's until then; nothing written off — write it off once the debit fails"
                    ),
                ));
            }
            if !chosen.iter().any(|l| l.id == *id) {
                chosen.push(line.clone());
            }
        }
    }
    if chosen.is_empty() && already.is_empty() {
        return Err(StoreError::refused(
            Refusal::WriteOffNothingOwed,
            format!(
                "employer {} has no owed line outside a bank file to write off; nothing written off",
                employer.affiliation_number
            ),
        ));
    }
    Ok((chosen, already))
}

/// Who decided a write-off and, above the four-eyes amount, who approved it.
struct Deciders<'a> {
    by: &'a str,
    approved_by: Option<&'a str>,
    request: Option<i64>,
}

/// Writes off `chosen` (rows, entries, planned debits, audit) in `tx`.
#[allow(clippy::too_many_arguments)]
async fn write_chosen(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    employer_id: i64,
    chosen: &[OwedLine],
    mut already: Vec<i64>,
    reason: &str,
    who: Deciders<'_>,
    today: &str,
    now: &str,
    lock_rows: &str,
) -> StoreResult<WriteOffOutcome> {
    let mut written: Vec<i64> = Vec::new();
    let mut amount: i64 = 0;
    for line in chosen {
        let inserted = sqlx::query(
            "INSERT INTO line_write_offs (employer_id, declaration_line_id, amount_centimes, reason, \
             written_off_by, created_at, approved_by, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (declaration_line_id) DO NOTHING",
        )
        .bind(employer_id)
        .bind(line.id)
        .bind(line.total)
        .bind(reason)
        .bind(who.by)
        .bind(now)
        .bind(who.approved_by)
        .bind(who.request)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            already.push(line.id);
        } else {
            written.push(line.id);
            amount = amount.saturating_add(line.total);
        }
    }
    let mut reduced = Vec::new();
    let mut cancelled = Vec::new();
    if !written.is_empty() {
        let ids = id_list(&written);
        // The ledger: each line no longer owed, scheme by scheme, once (keyed by the
        // write-off).
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
             paid_leave_centimes, bad_weather_employer_centimes, bad_weather_employee_centimes, \
             unallocated_centimes, declaration_line_id, recorded_at) \
             SELECT w.employer_id, 'write_off', 'write_off:' || CAST(w.id AS TEXT), $1, \
             -(l.paid_leave_centimes + l.bad_weather_employer_centimes + l.bad_weather_employee_centimes), \
             -l.paid_leave_centimes, -l.bad_weather_employer_centimes, -l.bad_weather_employee_centimes, \
             0, l.id, $2 \
             FROM line_write_offs w JOIN declaration_lines l ON l.id = w.declaration_line_id \
             WHERE w.declaration_line_id IN ({ids}) \
             ON CONFLICT (entry_key) DO NOTHING"
        )))
        .bind(today)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Planned debits holding them lose them.
        let mut touched: Vec<i64> = chosen
            .iter()
            .filter(|l| written.contains(&l.id))
            .filter_map(|l| l.collection_id)
            .collect();
        touched.sort_unstable();
        touched.dedup();
        if !touched.is_empty() {
            (reduced, cancelled) = take_paid_lines_out(
                tx,
                &ids,
                &touched,
                LinesTakenOut::WrittenOff,
                now,
                lock_rows,
            )
            .await?;
        }
        // The audit trail, last (it holds the chain's head until the commit).
        Audit::new(actor, "ledger.write_off")
            .on("employer", employer_id)
            .detail(json!({
                "lines": written,
                "amount_centimes": amount,
                "reason": reason,
                "by": who.by,
                "approved_by": who.approved_by,
                "request": who.request,
                "debits_reduced": reduced,
                "debits_cancelled": cancelled,
            }))
            .record(tx, now)
            .await?;
    }
    Ok(WriteOffOutcome {
        written_off: written,
        amount_centimes: amount,
        already,
        debits_reduced: reduced,
        debits_cancelled: cancelled,
        pending_request: None,
    })
}

const REQUEST_COLUMNS: &str = "id, employer_id, line_ids, amount_centimes, reason, decided_by_name, requested_by, \
     requested_at, status, reviewed_by, reviewed_at, refusal_reason";

impl Store {
    /// Writes off the lines of `new` (see the module); refuses, writing nothing, a line
    /// that is not an owed line of the employer or that is in a bank file. Above the
    /// four-eyes amount, records a request for a second member of staff instead.
    pub async fn write_off_lines(
        &self,
        actor: &Actor,
        new: NewWriteOff,
    ) -> StoreResult<WriteOffOutcome> {
        let reason = reason_checked(&new.reason)?;
        let by = new.by.trim().to_owned();
        if by.is_empty() {
            return Err(StoreError::refused(
                Refusal::WriteOffBy,
                "a write-off needs the name of the staff member who decided it",
            ));
        }
        let employer = self.employer(new.employer_id).await?;
        let today: NaiveDate = self.clock.today();
        let today = today.to_string();
        let now = self.now_text();
        let since = timestamp(self.now() - chrono::Duration::days(FOUR_EYES_WINDOW_DAYS));
        let lock_rows = self.backend.lock_rows();
        let mut tx = self.begin_write().await?;
        // Planning, payments and write-offs take turns (PostgreSQL; SQLite has one writer).
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM employers WHERE id = $1{lock_rows}"
        )))
        .bind(new.employer_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (chosen, already) = choose(&mut tx, &employer, &new.lines).await?;
        if chosen.is_empty() {
            tx.commit().await?;
            return Ok(WriteOffOutcome {
                already,
                ..WriteOffOutcome::default()
            });
        }
        let amount: i64 = chosen.iter().map(|l| l.total).sum();
        // The limit holds for the employer's write-offs of the last 30 days and its requests
        // waiting, together: splitting a write-off does not avoid the second person.
        let recent: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE((SELECT SUM(amount_centimes) FROM line_write_offs \
             WHERE employer_id = $1 AND created_at >= $2), 0) \
             + COALESCE((SELECT SUM(amount_centimes) FROM write_off_requests \
             WHERE employer_id = $1 AND status = 'pending'), 0) AS BIGINT)",
        )
        .bind(new.employer_id)
        .bind(&since)
        .fetch_one(&mut *tx)
        .await?;
        let four_eyes: i64 =
            sqlx::query_scalar("SELECT four_eyes_centimes FROM write_off_policy WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        if amount.saturating_add(recent) > four_eyes {
            let lines = chosen
                .iter()
                .map(|l| l.id.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO write_off_requests (employer_id, line_ids, amount_centimes, reason, \
                 decided_by_name, requested_by, requested_at, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') RETURNING id",
            )
            .bind(new.employer_id)
            .bind(&lines)
            .bind(amount)
            .bind(&reason)
            .bind(&by)
            .bind(actor.as_str())
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?;
            // The planned debits carrying its lines are held until the decision: they go
            // in no bank file meanwhile (planning leaves its other lines out, see
            // `collections::planning`).
            let held = hold_debits(&mut tx, &chosen, &now, lock_rows).await?;
            if !held.is_empty() {
                sqlx::query("UPDATE write_off_requests SET held_debits = $1 WHERE id = $2")
                    .bind(id_list(&held))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            Audit::new(actor, "ledger.write_off_requested")
                .on("write_off_request", id)
                .detail(json!({
                    "employer_id": new.employer_id,
                    "lines": chosen.iter().map(|l| l.id).collect::<Vec<_>>(),
                    "amount_centimes": amount,
                    "reason": reason,
                    "by": by,
                    "four_eyes_centimes": four_eyes,
                    "debits_held": held,
                }))
                .record(&mut tx, &now)
                .await?;
            audit_debits(&mut tx, actor, id, &held, "collection.held", &now).await?;
            tx.commit().await?;
            return Ok(WriteOffOutcome {
                amount_centimes: amount,
                already,
                pending_request: Some(id),
                ..WriteOffOutcome::default()
            });
        }
        let who = Deciders {
            by: &by,
            approved_by: None,
            request: None,
        };
        let outcome = write_chosen(
            &mut tx,
            actor,
            new.employer_id,
            &chosen,
            already,
            &reason,
            who,
            &today,
            &now,
            lock_rows,
        )
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// A write-off request as recorded.
    pub async fn write_off_request(&self, id: i64) -> StoreResult<WriteOffRequest> {
        sqlx::query_as::<_, WriteOffRequest>(sqlx::AssertSqlSafe(format!(
            "SELECT {REQUEST_COLUMNS} FROM write_off_requests WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("write-off request", id))
    }

    /// The employer's write-off requests waiting for a second member of staff, oldest
    /// first.
    pub async fn pending_write_offs(&self, employer_id: i64) -> StoreResult<Vec<WriteOffRequest>> {
        Ok(
            sqlx::query_as::<_, WriteOffRequest>(sqlx::AssertSqlSafe(format!(
                "SELECT {REQUEST_COLUMNS} FROM write_off_requests \
             WHERE employer_id = $1 AND status = 'pending' ORDER BY id LIMIT 200"
            )))
            .bind(employer_id)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// The employer's lines staff may write off now: owed and not in a bank file, oldest
    /// first.
    pub async fn write_off_candidates(
        &self,
        employer_id: i64,
    ) -> StoreResult<Vec<WriteOffCandidate>> {
        Ok(sqlx::query_as::<_, WriteOffCandidate>(
            "SELECT l.id, d.period, w.code AS worksite_code, l.total_centimes, c.id AS collection_id \
             FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
             JOIN worksites w ON w.id = l.worksite_id \
             LEFT JOIN collection_lines cl ON cl.declaration_line_id = l.id AND cl.live = 1 \
             LEFT JOIN collections c ON c.id = cl.collection_id \
             WHERE d.employer_id = $1 AND d.status = 'submitted' AND l.status = 'submitted' \
             AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id) \
             AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id) \
             AND (c.id IS NULL OR c.status = 'planned') \
             ORDER BY d.due_from, d.period, l.id LIMIT 500",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The amount above which a write-off waits for a second member of staff.
    pub async fn write_off_four_eyes(&self) -> StoreResult<Amount> {
        let centimes: i64 =
            sqlx::query_scalar("SELECT four_eyes_centimes FROM write_off_policy WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(Amount::from_centimes(centimes))
    }

    /// Sets the four-eyes amount of write-offs (administrators). Audited.
    pub async fn set_write_off_four_eyes(&self, actor: &Actor, amount: Amount) -> StoreResult<()> {
        if amount < Amount::ZERO {
            return Err(StoreError::Invalid(
                "the amount above which a write-off needs a second person cannot be negative; \
                 write 0 for every write-off"
                    .to_owned(),
            ));
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE write_off_policy SET four_eyes_centimes = $1, updated_by = $2, updated_at = $3 WHERE id = 1",
        )
        .bind(amount.centimes())
        .bind(actor.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        Audit::new(actor, "write_off_policy.updated")
            .on("write_off_policy", 1)
            .detail(json!({"four_eyes_centimes": amount.centimes()}))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A second member of staff approves a write-off request: its lines, checked again,
    /// are written off in this transaction. The one who asked cannot approve; a line no
    /// longer owed (paid, put in a file meanwhile) refuses the approval, nothing written —
    /// refuse the request then.
    pub async fn approve_write_off(&self, actor: &Actor, id: i64) -> StoreResult<WriteOffOutcome> {
        let request = self.write_off_request(id).await?;
        let employer = self.employer(request.employer_id).await?;
        let today = self.clock.today().to_string();
        let now = self.now_text();
        let lock_rows = self.backend.lock_rows();
        let mut tx = self.begin_write().await?;
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let (status, requested_by) = lock_request(&mut tx, lock_rows, id).await?;
        if status != "pending" {
            return Err(not_pending(id, &status));
        }
        if requested_by == actor.as_str() {
            return Err(StoreError::refused(
                Refusal::WriteOffSamePerson,
                format!(
                    "write-off request {id} was asked for by you: a second member of staff must approve it"
                ),
            ));
        }
        let (chosen, already) = choose(&mut tx, &employer, &request.lines()).await?;
        sqlx::query(
            "UPDATE write_off_requests SET status = 'approved', reviewed_by = $1, reviewed_at = $2 WHERE id = $3",
        )
        .bind(actor.as_str())
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // Its debits released first: rows written before the audit entries.
        let released = release_debits(&mut tx, id, &now).await?;
        let who = Deciders {
            by: &request.decided_by_name,
            approved_by: Some(actor.as_str()),
            request: Some(id),
        };
        let outcome = write_chosen(
            &mut tx,
            actor,
            request.employer_id,
            &chosen,
            already,
            &request.reason,
            who,
            &today,
            &now,
            lock_rows,
        )
        .await?;
        Audit::new(actor, "ledger.write_off_approved")
            .on("write_off_request", id)
            .detail(
                json!({"lines": outcome.written_off, "amount_centimes": outcome.amount_centimes}),
            )
            .record(&mut tx, &now)
            .await?;
        audit_debits(&mut tx, actor, id, &released, "collection.released", &now).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Staff refuse a write-off request: its lines stay owed. Audited.
    pub async fn refuse_write_off(&self, actor: &Actor, id: i64, reason: &str) -> StoreResult<()> {
        let reason = reason_checked(reason)?;
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        // Releasing the debits it held takes turns with planning and runs (PostgreSQL).
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let (status, _) = lock_request(&mut tx, self.backend.lock_rows(), id).await?;
        if status != "pending" {
            return Err(not_pending(id, &status));
        }
        sqlx::query(
            "UPDATE write_off_requests SET status = 'refused', reviewed_by = $1, reviewed_at = $2, \
             refusal_reason = $3 WHERE id = $4",
        )
        .bind(actor.as_str())
        .bind(&now)
        .bind(&reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let released = release_debits(&mut tx, id, &now).await?;
        Audit::new(actor, "ledger.write_off_refused")
            .on("write_off_request", id)
            .detail(json!({"reason": reason}))
            .record(&mut tx, &now)
            .await?;
        audit_debits(&mut tx, actor, id, &released, "collection.released", &now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Holds (`held_at`) the planned debits carrying `lines` that no one holds yet, each row
/// locked first (PostgreSQL), the console's totals following; returns them (the caller
/// audits them, last).
async fn hold_debits(
    tx: &mut sqlx::AnyConnection,
    lines: &[OwedLine],
    now: &str,
    lock_rows: &str,
) -> StoreResult<Vec<i64>> {
    let mut debits: Vec<i64> = lines.iter().filter_map(|l| l.collection_id).collect();
    debits.sort_unstable();
    debits.dedup();
    let mut held = Vec::new();
    for debit in debits {
        let planned: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM collections WHERE id = $1 AND status = 'planned' AND held_at IS NULL{lock_rows}"
        )))
        .bind(debit)
        .fetch_optional(&mut *tx)
        .await?;
        if planned.is_none() {
            continue;
        }
        let this = "collections c WHERE c.id = $1";
        shift(&mut *tx, Shift::Remove, this, &[Bind::Int(debit)]).await?;
        sqlx::query(
            "UPDATE collections SET held_at = $2, updated_at = $2 \
             WHERE id = $1 AND status = 'planned' AND held_at IS NULL",
        )
        .bind(debit)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        shift(&mut *tx, Shift::Add, this, &[Bind::Int(debit)]).await?;
        held.push(debit);
    }
    Ok(held)
}

/// A request decided: the debits it held are released (`held_at` cleared, still planned;
/// the console's totals following; returned for the caller to audit, last) — except one still carrying a line of another
/// request waiting, which that request holds from now on, and one whose date's run has
/// already been (it missed its date): that one stays held for staff, whose release
/// cancels it and gives its lines back, as after a dispute.
async fn release_debits(
    tx: &mut sqlx::AnyConnection,
    request: i64,
    now: &str,
) -> StoreResult<Vec<i64>> {
    let mut released = Vec::new();
    let held: Option<String> =
        sqlx::query_scalar("SELECT held_debits FROM write_off_requests WHERE id = $1")
            .bind(request)
            .fetch_one(&mut *tx)
            .await?;
    let held: Vec<i64> = held
        .unwrap_or_default()
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .collect();
    for debit in held {
        let other: Option<(i64, Option<String>)> = sqlx::query_as(
            "SELECT r.id, r.held_debits FROM write_off_requests r JOIN collections c ON c.employer_id = r.employer_id \
             WHERE c.id = $1 AND r.status = 'pending' AND r.id <> $2 AND EXISTS (SELECT 1 FROM collection_lines cl \
               WHERE cl.collection_id = c.id AND cl.live = 1 \
               AND ',' || r.line_ids || ',' LIKE '%,' || CAST(cl.declaration_line_id AS TEXT) || ',%') \
             ORDER BY r.id LIMIT 1",
        )
        .bind(debit)
        .bind(request)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((other, other_held)) = other {
            let list = match other_held.filter(|h| !h.is_empty()) {
                Some(h) => format!("{h},{debit}"),
                None => debit.to_string(),
            };
            sqlx::query("UPDATE write_off_requests SET held_debits = $1 WHERE id = $2")
                .bind(list)
                .bind(other)
                .execute(&mut *tx)
                .await?;
            continue;
        }
        let releasable: Option<i64> = sqlx::query_scalar(
            "SELECT c.id FROM collections c WHERE c.id = $1 AND c.status = 'planned' \
             AND c.held_at IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.collection_date = c.collection_date)",
        )
        .bind(debit)
        .fetch_optional(&mut *tx)
        .await?;
        if releasable.is_none() {
            continue;
        }
        let this = "collections c WHERE c.id = $1";
        shift(&mut *tx, Shift::Remove, this, &[Bind::Int(debit)]).await?;
        sqlx::query(
            "UPDATE collections SET held_at = NULL, updated_at = $2 WHERE id = $1 AND status = 'planned'",
        )
        .bind(debit)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        shift(&mut *tx, Shift::Add, this, &[Bind::Int(debit)]).await?;
        released.push(debit);
    }
    Ok(released)
}

/// The audit entries of the debits a request held (`collection.held`) or released
/// (`collection.released`), written last by the caller (the audit chain's head is held
/// until the commit).
async fn audit_debits(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    request: i64,
    debits: &[i64],
    action: &'static str,
    now: &str,
) -> StoreResult<()> {
    for debit in debits {
        Audit::new(actor, action)
            .on("collection", *debit)
            .detail(json!({ "reason": "write_off_request", "write_off_request": request }))
            .record(&mut *tx, now)
            .await?;
    }
    Ok(())
}

async fn lock_request(
    tx: &mut sqlx::AnyConnection,
    lock: &str,
    id: i64,
) -> StoreResult<(String, String)> {
    let row: Option<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT status, requested_by FROM write_off_requests WHERE id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    row.ok_or_else(|| StoreError::not_found("write-off request", id))
}

fn not_pending(id: i64, status: &str) -> StoreError {
    StoreError::refused(
        Refusal::WriteOffNotPending,
        format!("write-off request {id} is {status}, not waiting for approval: nothing done"),
    )
}

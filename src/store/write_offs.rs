//! Write-offs (issue 15 point 1): staff write off owed declaration lines of an employer
//! (uncollectable debt), in one transaction with their `write_off` ledger entries.
//!
//! A line can be written off while it is owed and not in a file: never collected, owed
//! again after a failure, or in a debit still `planned` (it leaves that debit as a line
//! paid by a payment does: the debit is reduced and announced again, or cancelled). A line
//! in a bank file is the bank's until the debit's outcome: refused. A line written off is
//! no longer owed and never collectable (`line_write_offs`, one row per line at most):
//! planning, allocation, aging and receivables leave it out. Writing off a line already
//! written off writes nothing again.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::audit::Audit;
use super::payments::{id_list, take_paid_lines_out};
use super::{Actor, Store, StoreError, StoreResult};

/// The longest reason kept.
pub const WRITE_OFF_REASON_MAX: usize = 500;

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
    pub amount_centimes: i64,
    /// Lines asked for that were written off before (nothing written again).
    pub already: Vec<i64>,
    pub debits_reduced: Vec<i64>,
    pub debits_cancelled: Vec<i64>,
}

#[derive(FromRow)]
struct OwedLine {
    id: i64,
    total: i64,
    collection_id: Option<i64>,
    collection_status: Option<String>,
    written_off: i64,
}

impl Store {
    /// Writes off the lines of `new` (see the module); refuses, writing nothing, a line
    /// that is not an owed line of the employer or that is in a bank file.
    pub async fn write_off_lines(
        &self,
        actor: &Actor,
        new: NewWriteOff,
    ) -> StoreResult<WriteOffOutcome> {
        let reason = new.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > WRITE_OFF_REASON_MAX {
            return Err(StoreError::Invalid(format!(
                "a write-off needs its reason (why the debt cannot be collected), at most {WRITE_OFF_REASON_MAX} characters"
            )));
        }
        let by = new.by.trim().to_owned();
        if by.is_empty() {
            return Err(StoreError::Invalid(
                "a write-off needs the name of the staff member who decided it".to_owned(),
            ));
        }
        let employer = self.employer(new.employer_id).await?;
        let today: NaiveDate = self.clock.today();
        let today = today.to_string();
        let now = self.now_text();
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
        // The employer's lines still owed (or written off before), with the live debit
        // holding each, if any.
        let lines: Vec<OwedLine> = sqlx::query_as(
            "SELECT l.id, l.total_centimes AS total, c.id AS collection_id, c.status AS collection_status, \
             CASE WHEN EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id) \
                  THEN 1 ELSE 0 END AS written_off \
             FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
             LEFT JOIN collection_lines cl ON cl.declaration_line_id = l.id AND cl.live = 1 \
             LEFT JOIN collections c ON c.id = cl.collection_id \
             WHERE d.employer_id = $1 AND d.status = 'submitted' AND l.status = 'submitted' \
             AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id) \
             AND (c.id IS NULL OR c.status <> 'settled') \
             ORDER BY d.due_from, d.period, l.id",
        )
        .bind(new.employer_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut chosen: Vec<&OwedLine> = Vec::new();
        let mut already: Vec<i64> = Vec::new();
        if new.lines.is_empty() {
            chosen.extend(lines.iter().filter(|l| {
                l.written_off == 0
                    && l.collection_status
                        .as_deref()
                        .is_none_or(|s| s == "planned")
            }));
        } else {
            for id in &new.lines {
                let Some(line) = lines.iter().find(|l| l.id == *id) else {
                    return Err(StoreError::Invalid(format!(
                        "line {id} is not an owed declaration line of employer {} (paid, cancelled, \
                         corrected or another employer's); nothing written off — check the line \
                         numbers on the employer's account page",
                        employer.affiliation_number
                    )));
                };
                if line.written_off != 0 {
                    if !already.contains(id) {
                        already.push(*id);
                    }
                    continue;
                }
                if let (Some(debit), Some(status)) = (line.collection_id, &line.collection_status)
                    && status != "planned"
                {
                    return Err(StoreError::Conflict(format!(
                        "line {id} is held by debit {debit}, in a bank file or waiting for its outcome: \
                         it is the bank's until then; nothing written off — write it off once the debit fails"
                    )));
                }
                if !chosen.iter().any(|l| l.id == *id) {
                    chosen.push(line);
                }
            }
        }
        if chosen.is_empty() {
            if already.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "employer {} has no owed line outside a bank file to write off; nothing written off",
                    employer.affiliation_number
                )));
            }
            tx.commit().await?;
            return Ok(WriteOffOutcome {
                already,
                ..WriteOffOutcome::default()
            });
        }
        let mut written: Vec<i64> = Vec::new();
        let mut amount: i64 = 0;
        for line in &chosen {
            let inserted = sqlx::query(
                "INSERT INTO line_write_offs (employer_id, declaration_line_id, amount_centimes, reason, \
                 written_off_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (declaration_line_id) DO NOTHING",
            )
            .bind(new.employer_id)
            .bind(line.id)
            .bind(line.total)
            .bind(&reason)
            .bind(&by)
            .bind(&now)
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
            .bind(&today)
            .bind(&now)
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
                (reduced, cancelled) =
                    take_paid_lines_out(&mut tx, &ids, &touched, &now, lock_rows).await?;
            }
            // The audit trail, last (it holds the chain's head until the commit).
            Audit::new(actor, "ledger.write_off")
                .on("employer", new.employer_id)
                .detail(json!({
                    "lines": written,
                    "amount_centimes": amount,
                    "reason": reason,
                    "by": by,
                    "debits_reduced": reduced,
                    "debits_cancelled": cancelled,
                }))
                .record(&mut tx, &now)
                .await?;
        }
        tx.commit().await?;
        Ok(WriteOffOutcome {
            written_off: written,
            amount_centimes: amount,
            already,
            debits_reduced: reduced,
            debits_cancelled: cancelled,
        })
    }
}

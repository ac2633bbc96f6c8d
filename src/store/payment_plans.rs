//! Payment plans (échéanciers) for arrears (issue 16 point 3; migration 0033).
//!
//! An employer asks for a plan in the portal, or staff open one; staff **set** it: the
//! owed lines it covers (the arrears chosen: every owed line due and not in a debit, or
//! some of them) and N instalment days. **An instalment is whole lines** — a line is never
//! part-paid, as a debit collects whole lines — given in order (oldest first) to the
//! instalments so that each reaches `total / N` when it can; the last takes what remains,
//! so the instalments add up exactly to the arrears chosen. There cannot be more
//! instalments than lines.
//!
//! **Collected by the normal cycle.** A line of an active plan is not collectible before
//! its instalment's day (planning's `COLLECTIBLE`); from that day it is planned, announced
//! (advance notice) and debited with the employer's dues on its active mandate, retried
//! like any debit after a failure. Plans move no money themselves: they write no ledger
//! entry, so `ledger check` covers them through the debits and payments that pay their
//! lines.
//!
//! **Honoured, broken, completed** ([`Store::review_payment_plans`], run first by the
//! daily surcharge job): an instalment with a line neither paid (settled debit, payment,
//! write-off) nor in a live debit (planned — held or not — or in a file) `grace_days` (the
//! surcharge policy's grace) after its day breaks the plan, dated the first day after that
//! grace: a line waiting for the schedule date after its day (planned for it, the review
//! sees a `planned` debit) is on its way, not missed; a plan whose lines are
//! all paid is completed. While a plan is honoured its lines accrue no late-payment month;
//! once broken or cancelled by staff, the months starting from that day accrue again (and
//! the first month's surcharge, if the plan began before it, on that day). An honoured
//! plan's unpaid lines do not count against the certificate of being up to date.
//!
//! Must not know: HTTP, how pages or notices are worded.

use chrono::{Days, NaiveDate};
use mandates::Amount;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::audit::Audit;
use super::notice_events::{NoticeEvent, NoticeEvents, NoticeKind};
use super::notices::facts::PlanNoticeFacts;
use super::payments::id_list;
use super::{Actor, Store, StoreError, StoreResult, parse_date};

::mandates::stored_codes! {
    /// Where a payment plan stands.
    pub enum PlanStatus("payment plan status") {
        Requested = "requested",
        Active = "active",
        Refused = "refused",
        Withdrawn = "withdrawn",
        Completed = "completed",
        Broken = "broken",
        Cancelled = "cancelled",
    }
}

/// The longest note or reason kept.
pub const PLAN_NOTE_MAX: usize = 500;
/// The most instalments a plan may have.
pub const PLAN_MAX_INSTALMENTS: usize = 36;

/// A payment plan as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct PaymentPlan {
    pub id: i64,
    pub employer_id: i64,
    pub affiliation_number: String,
    #[sqlx(try_from = "String")]
    pub status: PlanStatus,
    pub requested_by: String,
    pub requested_on: String,
    pub request_note: Option<String>,
    pub instalments: Option<i64>,
    pub total_centimes: Option<i64>,
    pub set_by: Option<String>,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub ended_by: Option<String>,
    pub end_reason: Option<String>,
}

impl PaymentPlan {
    /// Whether it is honoured now (set and neither broken nor cancelled).
    pub fn honoured(&self) -> bool {
        matches!(self.status, PlanStatus::Active | PlanStatus::Completed)
    }
}

/// One instalment with what paid it so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct PlanInstalment {
    pub number: i64,
    pub due_on: String,
    pub amount_centimes: i64,
    /// Its lines paid (settled debit, payment, write-off).
    pub paid_centimes: i64,
    pub lines: i64,
}

/// An owed line a plan may cover.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct ArrearLine {
    pub line_id: i64,
    pub period: String,
    pub worksite_code: String,
    pub due_from: String,
    pub total_centimes: i64,
}

/// How staff set a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetPlan {
    /// The lines covered (ids); empty: every owed line due and not in a debit.
    pub lines: Vec<i64>,
    /// The instalments' days, one per instalment, strictly increasing.
    pub due_dates: Vec<NaiveDate>,
}

/// What a review of the plans did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlanReview {
    pub broken: Vec<i64>,
    pub completed: Vec<i64>,
}

const PLAN_COLUMNS: &str = "p.id, p.employer_id, e.affiliation_number, p.status, p.requested_by, p.requested_on, \
     p.request_note, p.instalments, p.total_centimes, p.set_by, p.started_on, p.ended_on, p.ended_by, p.end_reason";

/// A line paid for good (SQL over `l`): a settled debit, a payment or a write-off.
pub(super) const LINE_PAID: &str = "(EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id \
       WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled') \
     OR EXISTS (SELECT 1 FROM payment_allocations pa WHERE pa.declaration_line_id = l.id) \
     OR EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id))";

/// The sum of an active plan's lines not yet paid for good, per employer (SQL, `$1` the
/// employer): what an honoured plan takes out of the arrears.
pub(super) const PLANNED_UNPAID: &str = "SELECT CAST(COALESCE(SUM(l.total_centimes), 0) AS BIGINT) \
     FROM payment_plans p JOIN payment_plan_lines ppl ON ppl.plan_id = p.id \
     JOIN declaration_lines l ON l.id = ppl.declaration_line_id \
     WHERE p.employer_id = $1 AND p.status = 'active' AND l.status = 'submitted'";

fn note_checked(what: &str, note: Option<&str>, required: bool) -> StoreResult<Option<String>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    match note {
        None if required => Err(StoreError::Invalid(format!(
            "give {what} (at most {PLAN_NOTE_MAX} characters): it is kept in the audit trail"
        ))),
        Some(n) if n.chars().count() > PLAN_NOTE_MAX => Err(StoreError::Invalid(format!(
            "{what} is longer than {PLAN_NOTE_MAX} characters: shorten it"
        ))),
        n => Ok(n.map(str::to_owned)),
    }
}

/// The lines given to each instalment (see the module): in order, each instalment takes
/// lines while it stays within `total / n` (always at least one, and leaving one line for
/// each instalment after it); the last takes the rest. Returns the instalment (0-based) of
/// each line.
pub fn split_into_instalments(amounts: &[i64], n: usize) -> Vec<usize> {
    let total: i64 = amounts.iter().sum();
    let target = total / i64::try_from(n.max(1)).unwrap_or(1);
    let mut out = Vec::with_capacity(amounts.len());
    let mut current = 0usize;
    let mut sum = 0i64;
    for (i, amount) in amounts.iter().enumerate() {
        let left_after = amounts.len() - i;
        let must_move = sum > 0 && current + 1 < n && left_after < n - current;
        let full = sum > 0 && sum + amount > target && current + 1 < n;
        if must_move || full {
            current += 1;
            sum = 0;
        }
        out.push(current);
        sum += amount;
    }
    out
}

impl Store {
    /// Records a request for a plan (the employer in the portal, or staff); one open plan
    /// per employer at most. Audited.
    pub async fn request_payment_plan(
        &self,
        actor: &Actor,
        employer_id: i64,
        note: Option<&str>,
    ) -> StoreResult<PaymentPlan> {
        let employer = self.employer(employer_id).await?;
        let note = note_checked("the note", note, false)?;
        let today = self.clock.today().to_string();
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM payment_plans WHERE employer_id = $1 AND status IN ('requested', 'active')",
        )
        .bind(employer_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(open) = open {
            return Err(StoreError::Conflict(format!(
                "employer {} already has payment plan {open} requested or in force: one at a time",
                employer.affiliation_number
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO payment_plans (employer_id, status, requested_by, requested_on, request_note, created_at, updated_at) \
             VALUES ($1, 'requested', $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(employer_id)
        .bind(actor.as_str())
        .bind(&today)
        .bind(note.clone())
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        Audit::new(actor, "payment_plan.requested")
            .on("payment_plan", id)
            .detail(json!({"employer_id": employer_id, "note": note}))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        self.payment_plan(id).await
    }

    /// The plan `id`.
    pub async fn payment_plan(&self, id: i64) -> StoreResult<PaymentPlan> {
        sqlx::query_as::<_, PaymentPlan>(sqlx::AssertSqlSafe(format!(
            "SELECT {PLAN_COLUMNS} FROM payment_plans p JOIN employers e ON e.id = p.employer_id WHERE p.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("payment plan", id))
    }

    /// Every plan, requests first, then the newest.
    pub async fn payment_plans(&self) -> StoreResult<Vec<PaymentPlan>> {
        Ok(sqlx::query_as::<_, PaymentPlan>(sqlx::AssertSqlSafe(format!(
            "SELECT {PLAN_COLUMNS} FROM payment_plans p JOIN employers e ON e.id = p.employer_id \
             ORDER BY CASE WHEN p.status = 'requested' THEN 0 ELSE 1 END, p.id DESC LIMIT 500"
        )))
        .fetch_all(&self.pool)
        .await?)
    }

    /// An employer's plans, newest first.
    pub async fn employer_payment_plans(&self, employer_id: i64) -> StoreResult<Vec<PaymentPlan>> {
        Ok(sqlx::query_as::<_, PaymentPlan>(sqlx::AssertSqlSafe(format!(
            "SELECT {PLAN_COLUMNS} FROM payment_plans p JOIN employers e ON e.id = p.employer_id \
             WHERE p.employer_id = $1 ORDER BY p.id DESC"
        )))
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A plan's instalments with what paid them.
    pub async fn plan_instalments(&self, plan_id: i64) -> StoreResult<Vec<PlanInstalment>> {
        Ok(sqlx::query_as::<_, PlanInstalment>(sqlx::AssertSqlSafe(format!(
            "SELECT i.number, i.due_on, i.amount_centimes, \
             CAST(COALESCE((SELECT SUM(l.total_centimes) FROM payment_plan_lines ppl \
               JOIN declaration_lines l ON l.id = ppl.declaration_line_id \
               WHERE ppl.plan_id = i.plan_id AND ppl.number = i.number AND {LINE_PAID}), 0) AS BIGINT) AS paid_centimes, \
             (SELECT COUNT(*) FROM payment_plan_lines ppl WHERE ppl.plan_id = i.plan_id AND ppl.number = i.number) AS lines \
             FROM payment_plan_instalments i WHERE i.plan_id = $1 ORDER BY i.number"
        )))
        .bind(plan_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The employer's owed lines a plan may cover: submitted, due by today, not paid, not
    /// written off, in no live debit and in no plan in force; oldest first.
    pub async fn plan_arrears(&self, employer_id: i64) -> StoreResult<Vec<ArrearLine>> {
        let mut conn = self.pool.acquire().await?;
        arrears(&mut conn, employer_id, &self.clock.today().to_string()).await
    }

    /// Sets the requested plan `plan_id` (see the module): its lines, its instalments, in
    /// force from today. Refuses, writing nothing, a line that is not an arrear of the
    /// employer, days not strictly increasing or before tomorrow, more instalments than
    /// lines. Audited.
    pub async fn set_payment_plan(
        &self,
        actor: &Actor,
        plan_id: i64,
        set: SetPlan,
    ) -> StoreResult<PaymentPlan> {
        let today = self.clock.today();
        let n = set.due_dates.len();
        if n == 0 || n > PLAN_MAX_INSTALMENTS {
            return Err(StoreError::Invalid(format!(
                "give the instalments' days (1 to {PLAN_MAX_INSTALMENTS}), one per instalment, as YYYY-MM-DD"
            )));
        }
        if set.due_dates[0] <= today {
            return Err(StoreError::Invalid(format!(
                "the first instalment's day {} is not after today ({today}): choose days to come",
                set.due_dates[0]
            )));
        }
        if let Some(w) = set.due_dates.windows(2).find(|w| w[1] <= w[0]) {
            return Err(StoreError::Invalid(format!(
                "the instalments' days must follow one another: {} comes after {}",
                w[1], w[0]
            )));
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        // Planning, payments and plans take turns (PostgreSQL; SQLite has one writer).
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let plan = sqlx::query_as::<_, PaymentPlan>(sqlx::AssertSqlSafe(format!(
            "SELECT {PLAN_COLUMNS} FROM payment_plans p JOIN employers e ON e.id = p.employer_id WHERE p.id = $1"
        )))
        .bind(plan_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("payment plan", plan_id))?;
        if plan.status != PlanStatus::Requested {
            return Err(StoreError::Conflict(format!(
                "payment plan {plan_id} is {}: only a requested plan can be set",
                plan.status
            )));
        }
        let owed = arrears(&mut tx, plan.employer_id, &today.to_string()).await?;
        let chosen: Vec<&ArrearLine> = if set.lines.is_empty() {
            owed.iter().collect()
        } else {
            let mut chosen = Vec::new();
            for id in &set.lines {
                let line = owed.iter().find(|l| l.line_id == *id).ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "line {id} is not an arrear of employer {} (paid, not yet due, in a debit or \
                         in another plan); nothing set — choose among the lines listed",
                        plan.affiliation_number
                    ))
                })?;
                if !chosen.iter().any(|l: &&ArrearLine| l.line_id == *id) {
                    chosen.push(line);
                }
            }
            // Oldest first, as the arrears are listed.
            chosen.sort_by_key(|l| owed.iter().position(|o| o.line_id == l.line_id));
            chosen
        };
        if chosen.is_empty() {
            return Err(StoreError::Invalid(format!(
                "employer {} has no arrears a plan could cover (every line due is paid or in a debit); nothing set",
                plan.affiliation_number
            )));
        }
        if n > chosen.len() {
            return Err(StoreError::Invalid(format!(
                "{n} instalments for {} line(s): an instalment is made of whole lines (a line is never \
                 part-paid), so give at most {} days",
                chosen.len(),
                chosen.len()
            )));
        }
        let amounts: Vec<i64> = chosen.iter().map(|l| l.total_centimes).collect();
        let total: i64 = amounts.iter().sum();
        let split = split_into_instalments(&amounts, n);
        for (k, day) in set.due_dates.iter().enumerate() {
            let amount: i64 = amounts
                .iter()
                .zip(&split)
                .filter(|(_, s)| **s == k)
                .map(|(a, _)| *a)
                .sum();
            sqlx::query(
                "INSERT INTO payment_plan_instalments (plan_id, number, due_on, amount_centimes) VALUES ($1, $2, $3, $4)",
            )
            .bind(plan_id)
            .bind(i64::try_from(k + 1).unwrap_or(i64::MAX))
            .bind(day.to_string())
            .bind(amount)
            .execute(&mut *tx)
            .await?;
        }
        for (line, k) in chosen.iter().zip(&split) {
            sqlx::query(
                "INSERT INTO payment_plan_lines (plan_id, declaration_line_id, number, due_on, amount_centimes) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(plan_id)
            .bind(line.line_id)
            .bind(i64::try_from(k + 1).unwrap_or(i64::MAX))
            .bind(set.due_dates[*k].to_string())
            .bind(line.total_centimes)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE payment_plans SET status = 'active', instalments = $2, total_centimes = $3, set_by = $4, \
             started_on = $5, updated_at = $6 WHERE id = $1",
        )
        .bind(plan_id)
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .bind(total)
        .bind(actor.as_str())
        .bind(today.to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        // The employer is told of its instalments, once.
        NoticeEvent::new(NoticeKind::PlanSet, plan.employer_id, plan_id)
            .record(&mut tx, &now)
            .await?;
        let line_ids: Vec<i64> = chosen.iter().map(|l| l.line_id).collect();
        Audit::new(actor, "payment_plan.set")
            .on("payment_plan", plan_id)
            .detail(json!({
                "employer_id": plan.employer_id,
                "lines": line_ids,
                "total_centimes": total,
                "due_dates": set.due_dates.iter().map(ToString::to_string).collect::<Vec<_>>(),
            }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        self.payment_plan(plan_id).await
    }

    /// Ends plan `plan_id` by staff with a reason: a request refused (or withdrawn by the
    /// employer: `withdraw`), a plan in force cancelled — its lines owed as ordinary
    /// arrears again, accruing surcharges from today. Audited.
    pub async fn end_payment_plan(
        &self,
        actor: &Actor,
        plan_id: i64,
        reason: &str,
        withdraw: bool,
    ) -> StoreResult<PaymentPlan> {
        let reason = note_checked("a reason", Some(reason), true)?;
        let today = self.clock.today().to_string();
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let found: Option<(String, i64)> =
            sqlx::query_as("SELECT status, employer_id FROM payment_plans WHERE id = $1")
                .bind(plan_id)
                .fetch_optional(&mut *tx)
                .await?;
        let (status, employer_id) =
            found.ok_or_else(|| StoreError::not_found("payment plan", plan_id))?;
        let status = PlanStatus::parse(&status)?;
        let (next, action) = match (status, withdraw) {
            (PlanStatus::Requested, true) => (PlanStatus::Withdrawn, "payment_plan.withdrawn"),
            (PlanStatus::Requested, false) => (PlanStatus::Refused, "payment_plan.refused"),
            (PlanStatus::Active, false) => (PlanStatus::Cancelled, "payment_plan.cancelled"),
            (status, _) => {
                return Err(StoreError::Conflict(format!(
                    "payment plan {plan_id} is {status}: it can no longer be {}",
                    if withdraw {
                        "withdrawn"
                    } else {
                        "refused or cancelled"
                    }
                )));
            }
        };
        let ended_on = (next == PlanStatus::Cancelled).then(|| today.clone());
        sqlx::query(
            "UPDATE payment_plans SET status = $2, ended_on = $3, ended_by = $4, end_reason = $5, updated_at = $6 \
             WHERE id = $1",
        )
        .bind(plan_id)
        .bind(next.as_str())
        .bind(ended_on)
        .bind(actor.as_str())
        .bind(&reason)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        // Refused or cancelled: the employer is told why, once (a withdrawal is its own).
        let notice = match next {
            PlanStatus::Refused => Some(NoticeKind::PlanRefused),
            PlanStatus::Cancelled => Some(NoticeKind::PlanCancelled),
            _ => None,
        };
        if let Some(kind) = notice {
            NoticeEvent::new(kind, employer_id, plan_id)
                .record(&mut tx, &now)
                .await?;
        }
        Audit::new(actor, action)
            .on("payment_plan", plan_id)
            .detail(json!({"reason": reason}))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        self.payment_plan(plan_id).await
    }

    /// The daily review (see the module): plans in force with an instalment missed past
    /// the grace are broken, those fully paid completed. Idempotent. Audited per plan.
    pub async fn review_payment_plans(
        &self,
        actor: &Actor,
        today: NaiveDate,
    ) -> StoreResult<PlanReview> {
        let grace = self.surcharge_policy().await?.grace_days;
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        // Planning, payments and plans take turns (PostgreSQL; SQLite has one writer).
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        // Per line of a plan in force: its plan, its instalment's day, whether it is paid
        // for good, and whether it is on its way (a live debit, planned — held or not — or
        // in a file).
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT p.id, ppl.due_on, CASE WHEN {LINE_PAID} THEN 1 ELSE 0 END, \
             CASE WHEN EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id \
               WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status IN ('planned', 'submitted')) \
               THEN 1 ELSE 0 END \
             FROM payment_plans p JOIN payment_plan_lines ppl ON ppl.plan_id = p.id \
             JOIN declaration_lines l ON l.id = ppl.declaration_line_id \
             WHERE p.status = 'active' ORDER BY p.id, ppl.due_on"
        )))
        .fetch_all(&mut *tx)
        .await?;
        let mut review = PlanReview::default();
        let mut breaks: Vec<(i64, NaiveDate)> = Vec::new();
        let mut plans: Vec<i64> = rows.iter().map(|r| r.0).collect();
        plans.dedup();
        for plan in plans {
            let lines: Vec<&(i64, String, i64, i64)> =
                rows.iter().filter(|r| r.0 == plan).collect();
            let mut missed: Option<NaiveDate> = None;
            for (_, due_on, paid, on_its_way) in &lines {
                if *paid != 0 || *on_its_way != 0 {
                    continue;
                }
                let due = parse_date("instalment day", due_on)?;
                let broken_on = due
                    .checked_add_days(Days::new(u64::from(grace) + 1))
                    .unwrap_or(NaiveDate::MAX);
                if broken_on <= today {
                    missed = Some(missed.map_or(broken_on, |m| m.min(broken_on)));
                }
            }
            if let Some(day) = missed {
                breaks.push((plan, day));
            } else if lines.iter().all(|l| l.2 != 0) {
                review.completed.push(plan);
            }
        }
        // Only the plans this review broke are reported and audited.
        let mut broke = Vec::with_capacity(breaks.len());
        for (plan, day) in breaks {
            let updated = sqlx::query(
                "UPDATE payment_plans SET status = 'broken', ended_on = $2, ended_by = $3, \
                 end_reason = 'instalment_missed', updated_at = $4 WHERE id = $1 AND status = 'active'",
            )
            .bind(plan)
            .bind(day.to_string())
            .bind(actor.as_str())
            .bind(&now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 1 {
                review.broken.push(plan);
                broke.push((plan, day));
            }
        }
        let breaks = broke;
        if !review.completed.is_empty() {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE payment_plans SET status = 'completed', ended_on = $1, updated_at = $2 \
                 WHERE status = 'active' AND id IN ({})",
                id_list(&review.completed)
            )))
            .bind(today.to_string())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        // Each plan broken or completed now is told of, once (`plan_broken:PLAN`).
        for (kind, plans) in [
            (NoticeKind::PlanBroken, &review.broken),
            (NoticeKind::PlanCompleted, &review.completed),
        ] {
            if !plans.is_empty() {
                let from = format!("payment_plans p WHERE p.id IN ({})", id_list(plans));
                NoticeEvents::new(kind, "p", &from)
                    .record(&mut tx, &now, &[])
                    .await?;
            }
        }
        for (plan, day) in &breaks {
            Audit::new(actor, "payment_plan.broken")
                .on("payment_plan", *plan)
                .detail(json!({"broken_on": day.to_string(), "grace_days": grace}))
                .record(&mut tx, &now)
                .await?;
        }
        for plan in &review.completed {
            Audit::new(actor, "payment_plan.completed")
                .on("payment_plan", *plan)
                .detail(json!({"day": today.to_string()}))
                .record(&mut tx, &now)
                .await?;
        }
        tx.commit().await?;
        Ok(review)
    }
}

impl Store {
    /// The facts of a plan's notice, and the employer it belongs to.
    pub(super) async fn plan_notice_facts(&self, id: i64) -> StoreResult<(i64, PlanNoticeFacts)> {
        let plan = self.payment_plan(id).await?;
        let instalments = self.plan_instalments(id).await?;
        let grace_days = self.surcharge_policy().await?.grace_days;
        Ok((
            plan.employer_id,
            PlanNoticeFacts {
                plan_id: plan.id,
                status: plan.status,
                requested_on: plan.requested_on,
                started_on: plan.started_on,
                ended_on: plan.ended_on,
                total: plan.total_centimes.map(Amount::from_centimes),
                end_reason: plan.end_reason,
                instalments,
                grace_days,
            },
        ))
    }
}

/// What an honoured plan covers of the employer's arrears: its active plan's lines not yet
/// paid for good (the certificate's policy: they do not count as arrears).
pub(super) async fn planned_unpaid(
    conn: &mut sqlx::AnyConnection,
    employer_id: i64,
) -> StoreResult<Amount> {
    let sum: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "{PLANNED_UNPAID} AND NOT {LINE_PAID}"
    )))
    .bind(employer_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Amount::from_centimes(sum))
}

async fn arrears(
    conn: &mut sqlx::AnyConnection,
    employer_id: i64,
    today: &str,
) -> StoreResult<Vec<ArrearLine>> {
    Ok(sqlx::query_as::<_, ArrearLine>(sqlx::AssertSqlSafe(format!(
        "SELECT l.id AS line_id, d.period, w.code AS worksite_code, d.due_from, l.total_centimes \
         FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
         JOIN worksites w ON w.id = l.worksite_id \
         WHERE d.employer_id = $1 AND d.status = 'submitted' AND l.status = 'submitted' AND d.due_from <= $2 \
         AND l.total_centimes > 0 AND NOT {LINE_PAID} \
         AND NOT EXISTS (SELECT 1 FROM collection_lines cl WHERE cl.declaration_line_id = l.id AND cl.live = 1) \
         AND NOT EXISTS (SELECT 1 FROM payment_plan_lines ppl JOIN payment_plans p ON p.id = ppl.plan_id \
                         WHERE ppl.declaration_line_id = l.id AND p.status = 'active') \
         ORDER BY d.due_from, d.period, l.id"
    )))
    .bind(employer_id)
    .bind(today)
    .fetch_all(&mut *conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::split_into_instalments;

    #[test]
    fn instalments_are_whole_lines_the_last_taking_the_rest() {
        assert_eq!(split_into_instalments(&[100, 100, 100], 3), [0, 1, 2]);
        assert_eq!(
            split_into_instalments(&[100, 100, 100, 100], 3),
            [0, 1, 2, 2]
        );
        assert_eq!(
            split_into_instalments(&[500, 100, 100, 100], 2),
            [0, 1, 1, 1]
        );
        assert_eq!(split_into_instalments(&[10, 10, 10, 500], 3), [0, 0, 1, 2]);
        assert_eq!(split_into_instalments(&[7], 1), [0]);
        // Every instalment gets a line when there are as many lines as instalments.
        assert_eq!(split_into_instalments(&[1, 1, 1000], 3), [0, 1, 2]);
    }
}

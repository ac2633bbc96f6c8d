//! Declarations: for one employer and one period, one line per worksite with its wage
//! bases and the contributions computed from the dated rates; submitted, or corrected
//! until their lines are planned into a debit. Their rules are `mandates::declaration`'s:
//! the store applies them again to every declaration it records, whoever checked it
//! before; `plausibility` reads the history the plausibility warnings come from.
//!
//! Must not know: how lines arrive (CSV, form, JSON: the web reads them).

use std::collections::{HashMap, HashSet};

use ::mandates::declaration::{ProblemKind, check_lines, check_period_kind};
use ::mandates::{Amount, NewDeclarationLine, Period, Scheme};
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::{
    Actor, Bind, Refusal, Store, StoreError, StoreResult, audit::Audit, conflict_on_unique, ledger,
};

pub(super) mod plausibility;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Declaration {
    pub id: i64,
    pub employer_id: i64,
    pub period: String,
    pub status: DeclarationStatus,
    pub submitted_at: Option<String>,
    pub created_at: String,
    pub total: Amount,
    pub lines: Vec<DeclarationLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeclarationLine {
    pub id: i64,
    pub worksite_id: i64,
    pub worksite_code: String,
    pub worksite_name: String,
    pub headcount: i64,
    pub wage_bill: Amount,
    pub bad_weather_base: Amount,
    pub paid_leave: Amount,
    pub bad_weather_employer: Amount,
    pub bad_weather_employee: Amount,
    pub total: Amount,
    pub status: LineState,
}

/// A declaration to record: its period and its worksites' lines.
#[derive(Clone, Debug)]
pub struct NewDeclaration {
    pub period: Period,
    pub lines: Vec<NewDeclarationLine>,
}

#[derive(FromRow)]
struct DeclarationRow {
    id: i64,
    employer_id: i64,
    period: String,
    status: String,
    submitted_at: Option<String>,
    created_at: String,
}

#[derive(FromRow)]
struct LineRow {
    id: i64,
    worksite_id: i64,
    worksite_code: String,
    worksite_name: String,
    headcount: i64,
    wage_bill_centimes: i64,
    bad_weather_base_centimes: i64,
    paid_leave_centimes: i64,
    bad_weather_employer_centimes: i64,
    bad_weather_employee_centimes: i64,
    total_centimes: i64,
    #[sqlx(try_from = "String")]
    status: LineState,
}

::mandates::stored_codes! {
    /// Where a declaration is.
    pub enum DeclarationStatus("declaration status") {
        Draft = "draft",
        Submitted = "submitted",
        Cancelled = "cancelled",
    }
}

::mandates::stored_codes! {
    /// What became of a declaration line's amount: declared, taken into a planned debit,
    /// paid, owed again after a failed debit, withdrawn by a correction, or written off.
    pub enum LineState("declaration line state") {
        Submitted = "submitted",
        Scheduled = "scheduled",
        Paid = "paid",
        Unpaid = "unpaid",
        Cancelled = "cancelled",
        /// Written off by staff (uncollectable debt): no longer owed.
        WrittenOff = "written_off",
    }
}

impl From<LineRow> for DeclarationLine {
    fn from(row: LineRow) -> Self {
        DeclarationLine {
            id: row.id,
            worksite_id: row.worksite_id,
            worksite_code: row.worksite_code,
            worksite_name: row.worksite_name,
            headcount: row.headcount,
            wage_bill: Amount::from_centimes(row.wage_bill_centimes),
            bad_weather_base: Amount::from_centimes(row.bad_weather_base_centimes),
            paid_leave: Amount::from_centimes(row.paid_leave_centimes),
            bad_weather_employer: Amount::from_centimes(row.bad_weather_employer_centimes),
            bad_weather_employee: Amount::from_centimes(row.bad_weather_employee_centimes),
            total: Amount::from_centimes(row.total_centimes),
            status: row.status,
        }
    }
}

/// A line ready to insert: its worksite and computed amounts.
struct PreparedLine {
    worksite_id: i64,
    headcount: i64,
    wage_bill: Amount,
    bad_weather_base: Amount,
    paid_leave: Amount,
    bad_weather_employer: Amount,
    bad_weather_employee: Amount,
    total: Amount,
}

impl Store {
    /// Checks every line at once (all problems are reported together, each naming its line)
    /// and, only when all are right, records the declaration as submitted.
    pub async fn submit_declaration(
        &self,
        actor: &Actor,
        employer_id: i64,
        new: NewDeclaration,
    ) -> StoreResult<Declaration> {
        let prepared = self.prepare_declaration(employer_id, &new).await?;
        self.insert_declaration(actor, employer_id, new.period, prepared)
            .await
    }

    /// The rules of a declaration (`mandates::declaration`), and its lines with their
    /// worksites and amounts.
    async fn prepare_declaration(
        &self,
        employer_id: i64,
        new: &NewDeclaration,
    ) -> StoreResult<Vec<PreparedLine>> {
        let employer = self.employer(employer_id).await?;
        check_period_kind(employer.period_kind, new.period).map_err(|other| {
            StoreError::refused(
                Refusal::PeriodKindMismatch,
                format!("employer {} {other}", employer.affiliation_number),
            )
        })?;
        let worksites: HashMap<String, i64> = self
            .list_worksites(employer_id)
            .await?
            .into_iter()
            .map(|w| (w.code, w.id))
            .collect();
        let codes: HashSet<String> = worksites.keys().cloned().collect();
        let rates = self.rate_table().await?;
        let inputs: Vec<_> = (1..).zip(&new.lines).map(|(n, l)| l.input(n)).collect();
        let checked =
            check_lines(&codes, &inputs, &rates, new.period).map_err(|problems| match problems
                .as_slice()
            {
                [only] if only.kind == ProblemKind::NoLines => StoreError::refused(
                    Refusal::DeclarationEmpty,
                    "a declaration needs at least one worksite line",
                ),
                _ => StoreError::InvalidLines(problems),
            })?;
        Ok(checked
            .into_iter()
            .map(|line| PreparedLine {
                worksite_id: worksites[&line.declared.worksite_code],
                headcount: line.declared.headcount,
                wage_bill: line.declared.wage_bill,
                bad_weather_base: line.declared.bad_weather_base,
                paid_leave: line.amounts.part(Scheme::PaidLeave),
                bad_weather_employer: line.amounts.part(Scheme::BadWeatherEmployer),
                bad_weather_employee: line.amounts.part(Scheme::BadWeatherEmployee),
                total: line.amounts.total,
            })
            .collect())
    }

    async fn insert_declaration(
        &self,
        actor: &Actor,
        employer_id: i64,
        period: Period,
        prepared: Vec<PreparedLine>,
    ) -> StoreResult<Declaration> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let declaration_id: i64 = sqlx::query_scalar(
            "INSERT INTO declarations (employer_id, period, due_from, status, submitted_at, first_submitted_at, created_at) \
             VALUES ($1, $2, $3, 'submitted', $4, $4, $4) RETURNING id",
        )
        .bind(employer_id)
        .bind(period.to_string())
        .bind(period.next_start().to_string())
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || {
                format!("a declaration for period {period} already exists for this employer")
            })
        })?;
        insert_lines(&mut tx, declaration_id, &prepared).await?;
        ledger::record_dues(&mut tx, "d.id = $1", &[Bind::Int(declaration_id)], &now).await?;
        // A provisional assessment of this period is replaced by the declaration.
        let today = self.clock.today().to_string();
        let period_text = period.to_string();
        super::assessments::replace_assessment(
            &mut tx,
            actor,
            employer_id,
            &period_text,
            declaration_id,
            &today,
            &now,
        )
        .await?;
        let total = Amount::checked_sum(prepared.iter().map(|l| l.total)).ok_or_else(|| {
            StoreError::refused(
                Refusal::DeclarationTotalTooLarge,
                "the declaration total is too large",
            )
        })?;
        Audit::new(actor, "declaration.submitted")
            .on("declaration", declaration_id)
            .detail(json!({
                "employer_id": employer_id,
                "period": period.to_string(),
                "lines": prepared.len(),
                "total": total.to_string(),
            }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        self.declaration(declaration_id).await
    }

    /// Submits `new`, or — when the employer already declared this period — corrects it:
    /// its lines are replaced by the new ones, as long as none of them is in a collection
    /// that can no longer be announced again: filed, or planned for a date whose notice
    /// deadline has passed (a date stays open until then). Lines in a planned collection
    /// of an open date are taken out of it (its amount lowered to its remaining lines);
    /// the next planning pass puts the new lines in and announces the new total by a new
    /// advance notice. Returns the declaration
    /// and whether it replaced an earlier one. Past the cut-off: [`StoreError::Conflict`]
    /// naming the debit that holds it.
    pub async fn submit_or_correct_declaration(
        &self,
        actor: &Actor,
        employer_id: i64,
        new: NewDeclaration,
    ) -> StoreResult<(Declaration, bool)> {
        let prepared = self.prepare_declaration(employer_id, &new).await?;
        let period = new.period;
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM declarations WHERE employer_id = $1 AND period = $2",
        )
        .bind(employer_id)
        .bind(period.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(declaration_id) = existing else {
            let declaration = self
                .insert_declaration(actor, employer_id, period, prepared)
                .await?;
            return Ok((declaration, false));
        };
        let now = self.now_text();
        let open_from = self.open_from();
        let mut tx = self.begin_write().await?;
        if let Some(date) = planned_into(&mut tx, declaration_id, &open_from).await? {
            return Err(locked(&period, &date));
        }
        if let Some(paid) = paid_otherwise(&mut tx, declaration_id).await? {
            return Err(StoreError::Conflict(format!(
                "the declaration for {period} can no longer be corrected: {paid} of its lines \
                 were paid by another channel; contact the fund"
            )));
        }
        let written_off: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM line_write_offs w JOIN declaration_lines l ON l.id = w.declaration_line_id \
             WHERE l.declaration_id = $1",
        )
        .bind(declaration_id)
        .fetch_one(&mut *tx)
        .await?;
        if written_off > 0 {
            return Err(StoreError::Conflict(format!(
                "the declaration for {period} can no longer be corrected: {written_off} of its lines \
                 were written off by the fund; contact the fund"
            )));
        }
        let in_plan: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM payment_plan_lines ppl JOIN declaration_lines l ON l.id = ppl.declaration_line_id \
             WHERE l.declaration_id = $1",
        )
        .bind(declaration_id)
        .fetch_one(&mut *tx)
        .await?;
        if in_plan > 0 {
            return Err(StoreError::Conflict(format!(
                "the declaration for {period} can no longer be corrected: {in_plan} of its lines \
                 are in a payment plan; contact the fund"
            )));
        }
        detach_from_open_collections(&mut tx, declaration_id, &now).await?;
        let old_total: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(total_centimes) AS BIGINT) FROM declaration_lines WHERE declaration_id = $1",
        )
        .bind(declaration_id)
        .fetch_one(&mut *tx)
        .await?;
        let replaced = async {
            let which = "l.declaration_id = $1";
            ledger::withdraw_dues(&mut tx, which, &[Bind::Int(declaration_id)], &now).await?;
            sqlx::query("DELETE FROM declaration_lines WHERE declaration_id = $1")
                .bind(declaration_id)
                .execute(&mut *tx)
                .await?;
            insert_lines(&mut tx, declaration_id, &prepared).await?;
            ledger::record_dues(&mut tx, "d.id = $1", &[Bind::Int(declaration_id)], &now).await
        }
        .await;
        if let Err(err) = replaced {
            // Planned in the very instant (a PostgreSQL planner committed between the check
            // and the delete): its collection lines now hold these lines.
            return Err(match &err {
                StoreError::Database(db)
                    if db
                        .as_database_error()
                        .is_some_and(|e| e.is_foreign_key_violation()) =>
                {
                    locked(&period, "")
                }
                _ => err,
            });
        }
        let today = self.clock.today().to_string();
        let period_text = period.to_string();
        super::assessments::replace_assessment(
            &mut tx,
            actor,
            employer_id,
            &period_text,
            declaration_id,
            &today,
            &now,
        )
        .await?;
        sqlx::query(
            // The first submission stays: a correction is not a late declaration.
            "UPDATE declarations SET status = 'submitted', submitted_at = $2, \
             first_submitted_at = COALESCE(first_submitted_at, submitted_at, $2) WHERE id = $1",
        )
        .bind(declaration_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let total = Amount::checked_sum(prepared.iter().map(|l| l.total)).ok_or_else(|| {
            StoreError::refused(
                Refusal::DeclarationTotalTooLarge,
                "the declaration total is too large",
            )
        })?;
        Audit::new(actor, "declaration.corrected")
            .on("declaration", declaration_id)
            .detail(json!({
                "employer_id": employer_id,
                "period": period.to_string(),
                "lines": prepared.len(),
                "total": total.to_string(),
                "previous_total": Amount::from_centimes(old_total.unwrap_or(0)).to_string(),
            }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok((self.declaration(declaration_id).await?, true))
    }

    /// The collection date of the first debit a declaration's lines were planned into, if
    /// any: from then on the declaration can no longer be corrected.
    pub async fn declaration_locked_by(&self, declaration_id: i64) -> StoreResult<Option<String>> {
        let mut conn = self.pool.acquire().await?;
        planned_into(&mut conn, declaration_id, &self.open_from()).await
    }

    /// The first collection date still open today: a notice recorded today reaches the
    /// employer in time for a debit on that date or later (today + the notice period).
    pub(super) fn open_from(&self) -> String {
        self.clock
            .today()
            .checked_add_days(chrono::Days::new(u64::from(self.notice_days)))
            .unwrap_or(chrono::NaiveDate::MAX)
            .to_string()
    }

    pub async fn declaration(&self, id: i64) -> StoreResult<Declaration> {
        let row = sqlx::query_as::<_, DeclarationRow>(
            "SELECT id, employer_id, period, status, submitted_at, created_at \
             FROM declarations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("declaration", id))?;
        let lines: Vec<DeclarationLine> = sqlx::query_as::<_, LineRow>(
            "SELECT l.id, l.worksite_id, w.code AS worksite_code, w.name AS worksite_name, \
             l.headcount, l.wage_bill_centimes, l.bad_weather_base_centimes, l.paid_leave_centimes, \
             l.bad_weather_employer_centimes, l.bad_weather_employee_centimes, l.total_centimes, s.state AS status \
             FROM declaration_lines l JOIN worksites w ON w.id = l.worksite_id \
             JOIN declaration_line_states s ON s.declaration_line_id = l.id \
             WHERE l.declaration_id = $1 ORDER BY w.code",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(DeclarationLine::from)
        .collect();
        let total = Amount::checked_sum(lines.iter().map(|l| l.total)).ok_or_else(|| {
            StoreError::refused(
                Refusal::DeclarationTotalTooLarge,
                "the declaration total is too large",
            )
        })?;
        Ok(Declaration {
            id: row.id,
            employer_id: row.employer_id,
            period: row.period,
            status: DeclarationStatus::parse(&row.status)?,
            submitted_at: row.submitted_at,
            created_at: row.created_at,
            total,
            lines,
        })
    }

    /// The employer's declaration of `period` (as printed: `2026-10`, `2026-Q3`), if any.
    pub async fn declaration_for_period(
        &self,
        employer_id: i64,
        period: &str,
    ) -> StoreResult<Option<Declaration>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM declarations WHERE employer_id = $1 AND period = $2",
        )
        .bind(employer_id)
        .bind(period)
        .fetch_optional(&self.pool)
        .await?;
        match id {
            Some(id) => Ok(Some(self.declaration(id).await?)),
            None => Ok(None),
        }
    }

    pub async fn list_declarations(&self, employer_id: i64) -> StoreResult<Vec<Declaration>> {
        self.employer(employer_id).await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM declarations WHERE employer_id = $1 ORDER BY period DESC",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        let mut declarations = Vec::with_capacity(ids.len());
        for id in ids {
            declarations.push(self.declaration(id).await?);
        }
        Ok(declarations)
    }
}

fn locked(period: &Period, date: &str) -> StoreError {
    let when = if date.is_empty() {
        String::new()
    } else {
        format!(" of {date}")
    };
    StoreError::Conflict(format!(
        "the declaration for {period} can no longer be corrected: it is in the debit{when}, \
         announced to you with its amount; if it is wrong, open a dispute or contact the fund"
    ))
}

/// How many lines of the declaration a payment by another channel paid (`None`: none).
async fn paid_otherwise(
    conn: &mut sqlx::AnyConnection,
    declaration_id: i64,
) -> StoreResult<Option<i64>> {
    let paid: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM payment_allocations a JOIN declaration_lines l ON l.id = a.declaration_line_id \
         WHERE l.declaration_id = $1",
    )
    .bind(declaration_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((paid > 0).then_some(paid))
}

/// The date of the earliest collection holding a line of the declaration that can no
/// longer be amended: any but a planned one of a date still open (on or after
/// `open_from`, see `Store::open_from`).
async fn planned_into(
    conn: &mut sqlx::AnyConnection,
    declaration_id: i64,
    open_from: &str,
) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(c.collection_date) FROM collection_lines cl \
         JOIN declaration_lines l ON l.id = cl.declaration_line_id \
         JOIN collections c ON c.id = cl.collection_id WHERE l.declaration_id = $1 \
         AND NOT (c.status = 'planned' AND cl.live = 1 AND c.collection_date >= $2)",
    )
    .bind(declaration_id)
    .bind(open_from)
    .fetch_one(&mut *conn)
    .await?)
}

/// Takes the declaration's lines out of the planned collections of open dates that hold
/// them (the caller checked there are no others) and lowers each to its remaining lines'
/// sum — never above what was announced; the next planning pass adds the new lines and
/// announces the new total. A collection left with no line keeps its amount until then
/// (an amount is never zero); planning cancels it if nothing is put back.
async fn detach_from_open_collections(
    tx: &mut sqlx::AnyConnection,
    declaration_id: i64,
    now: &str,
) -> StoreResult<()> {
    let held: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT cl.collection_id FROM collection_lines cl \
         JOIN declaration_lines l ON l.id = cl.declaration_line_id WHERE l.declaration_id = $1",
    )
    .bind(declaration_id)
    .fetch_all(&mut *tx)
    .await?;
    if held.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "DELETE FROM collection_lines WHERE declaration_line_id IN \
         (SELECT id FROM declaration_lines WHERE declaration_id = $1)",
    )
    .bind(declaration_id)
    .execute(&mut *tx)
    .await?;
    let ids = held
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let live = "(SELECT COALESCE(CAST(SUM(cl.amount_centimes) AS BIGINT), 0) FROM collection_lines cl \
         WHERE cl.collection_id = collections.id AND cl.live <> 0)";
    // Their totals taken away and added back at their new amounts (`collection_totals`).
    let these = format!("collections c WHERE c.id IN ({ids})");
    crate::store::collection_totals::shift(
        tx,
        crate::store::collection_totals::Shift::Remove,
        &these,
        &[],
    )
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE collections SET amount_centimes = {live}, updated_at = $1 \
         WHERE status = 'planned' AND id IN ({ids}) AND {live} > 0"
    )))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    crate::store::collection_totals::shift(
        tx,
        crate::store::collection_totals::Shift::Add,
        &these,
        &[],
    )
    .await?;
    Ok(())
}

async fn insert_lines(
    conn: &mut sqlx::AnyConnection,
    declaration_id: i64,
    prepared: &[PreparedLine],
) -> StoreResult<()> {
    for line in prepared {
        sqlx::query(
            "INSERT INTO declaration_lines (declaration_id, worksite_id, headcount, \
             wage_bill_centimes, bad_weather_base_centimes, paid_leave_centimes, \
             bad_weather_employer_centimes, bad_weather_employee_centimes, total_centimes, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'submitted')",
        )
        .bind(declaration_id)
        .bind(line.worksite_id)
        .bind(line.headcount)
        .bind(line.wage_bill.centimes())
        .bind(line.bad_weather_base.centimes())
        .bind(line.paid_leave.centimes())
        .bind(line.bad_weather_employer.centimes())
        .bind(line.bad_weather_employee.centimes())
        .bind(line.total.centimes())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

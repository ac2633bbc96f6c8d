//! Provisional assessments (taxation provisoire / d'office; issue 16 point 1, migration
//! 0035).
//!
//! **When**: a period's declaration is missing past its deadline — the period's `due_from`
//! (the first day after it) plus the surcharge policy's `declaration_days`, as for a late
//! declaration: missing on the day after the deadline. Only an employer that declared at
//! least once is assessed (there is no base otherwise), for each period of its kind after
//! its first declaration, gaps included, with no submitted declaration. The daily job
//! (`Store::assess_missing_declarations`, run by `surcharges:DAY` after the surcharges and
//! by `tahsil surcharges accrue`) assesses each employer and period **at most once**
//! (unique by employer and period; a second pass writes nothing), and only by a
//! **confirmed** `provisional_assessment` rule in force on the first day the declaration
//! was missing (none: nothing is assessed, and the period is assessed once a rule is
//! confirmed).
//!
//! **How much**: the base is the contributions of the employer's last submitted
//! declaration before the period, per worksite and scheme (kept in
//! `provisional_assessment_lines`), summed per scheme; the increase is the rule's
//! `first_bp` of each scheme's sum, rounded down (`surcharges::apply_bp`). A last
//! declaration of nothing assesses nothing.
//!
//! **The ledger**: a `due` of the base (`provisional:A`) and a `surcharge` of the
//! increase (`provisional_increase:A`), both dated the day assessed and carrying
//! `assessment_id` (the statement explains them: period, base, rate, rule, deadline); the
//! employer is told by a `provisional_assessment` notice (AR/FR). **Not collected**:
//! provisional dues are not declaration lines, so planning never debits them, a payment
//! never allocates to them (money received meanwhile stays a credit and pays the declared
//! lines once declared), and no waiver applies to them — the fund's staff have no
//! confirmation step for an assessment, so none is debited before a person looked at it.
//! They count in the balance (the certificate is refused) and in the statement's aging.
//!
//! **Replaced**: when the employer declares the period, in the declaration's transaction
//! (or, for a declaration that arrived while the job was assessing it, by the job's next
//! pass), both entries are reversed by one `due_withdrawn` entry (`provisional_replaced:A`, dated
//! that day) and the assessment is `replaced` by that declaration; the declared lines are
//! the dues from then on, and the late-declaration penalty applies to them by its rule.
//!
//! Must not know: how declarations arrive.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use mandates::{Amount, Period};
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::audit::Audit;
use super::notice_events::{NoticeEvent, NoticeKind};
use super::notices::facts::SurchargeNoticeFacts;
use super::surcharges::{SurchargeFacts, SurchargeKind, apply_bp};
use super::{Actor, Store, StoreError, StoreResult};

/// The most periods one employer is assessed for in one pass (ten years of months; the
/// next pass assesses the rest).
const MAX_PERIODS: usize = 120;

/// What one pass of the job assessed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AssessmentSummary {
    pub assessments: u64,
    pub employers: u64,
    /// Base and increase together.
    pub amount: Amount,
}

::mandates::stored_codes! {
    /// Where a provisional assessment stands.
    pub enum AssessmentStatus("assessment status") {
        /// In the ledger: owed until the employer declares the period.
        Assessed = "assessed",
        /// The employer declared the period: both entries reversed, the declared lines are
        /// the dues.
        Replaced = "replaced",
    }
}

/// A provisional assessment as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct ProvisionalAssessment {
    pub id: i64,
    pub employer_id: i64,
    pub period: String,
    pub due_from: String,
    pub deadline: String,
    pub base_declaration_id: i64,
    pub rule_id: i64,
    pub rate_bp: i64,
    pub base_centimes: i64,
    pub increase_centimes: i64,
    pub assessed_on: String,
    #[sqlx(try_from = "String")]
    pub status: AssessmentStatus,
    pub replaced_by_declaration_id: Option<i64>,
    pub replaced_on: Option<String>,
}

/// A provisional assessment in the fund-wide list, with who it concerns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FundAssessment {
    pub assessment: ProvisionalAssessment,
    pub affiliation_number: String,
    pub employer_name: String,
    pub employer_name_ar: Option<String>,
}

#[derive(FromRow)]
struct FundAssessmentRow {
    #[sqlx(flatten)]
    assessment: ProvisionalAssessment,
    affiliation_number: String,
    employer_name: String,
    employer_name_ar: Option<String>,
}

const ASSESSMENT_COLUMNS: &str = "id, employer_id, period, due_from, deadline, base_declaration_id, rule_id, \
     rate_bp, base_centimes, increase_centimes, assessed_on, status, replaced_by_declaration_id, replaced_on";

/// One assessment to write.
struct ToAssess {
    employer_id: i64,
    period: Period,
    base_declaration_id: i64,
    rule_id: i64,
    rate_bp: i64,
    deadline: NaiveDate,
}

impl Store {
    /// The daily job (see the module): assesses every period whose declaration is missing
    /// past its deadline by `today`, once per employer and period, in one transaction.
    pub async fn assess_missing_declarations(
        &self,
        actor: &Actor,
        today: NaiveDate,
    ) -> StoreResult<AssessmentSummary> {
        let rules: Vec<_> = self
            .surcharge_rules()
            .await?
            .into_iter()
            .filter(|r| r.kind == SurchargeKind::ProvisionalAssessment && r.confirmed())
            .collect();
        if rules.is_empty() {
            return Ok(AssessmentSummary::default());
        }
        let policy = self.surcharge_policy().await?;
        let now = self.now_text();
        let assessed_on = today.to_string();
        let mut tx = self.begin_write().await?;
        // An assessment whose declaration arrived while it was being written (PostgreSQL:
        // two transactions at once) is replaced now.
        let stale: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT a.employer_id, a.period, d.id FROM provisional_assessments a \
             JOIN declarations d ON d.employer_id = a.employer_id AND d.period = a.period AND d.status = 'submitted' \
             WHERE a.status = 'assessed' ORDER BY a.id",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (employer_id, period, declaration_id) in stale {
            replace_assessment(
                &mut tx,
                actor,
                employer_id,
                &period,
                declaration_id,
                &assessed_on,
                &now,
            )
            .await?;
        }
        let declared: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT employer_id, id, period FROM declarations WHERE status = 'submitted' ORDER BY employer_id, id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let existing: Vec<(i64, String)> =
            sqlx::query_as("SELECT employer_id, period FROM provisional_assessments")
                .fetch_all(&mut *tx)
                .await?;
        let existing: HashSet<(i64, String)> = existing.into_iter().collect();
        let mut by_employer: HashMap<i64, Vec<(Period, i64)>> = HashMap::new();
        for (employer_id, id, period) in declared {
            let period = Period::parse(&period).map_err(|e| {
                StoreError::Invalid(format!("declaration {id} has period {period:?}: {e}"))
            })?;
            by_employer
                .entry(employer_id)
                .or_default()
                .push((period, id));
        }
        let deadline_of = |period: Period| {
            period
                .next_start()
                .checked_add_days(Days::new(u64::from(policy.declaration_days)))
                .unwrap_or(NaiveDate::MAX)
        };
        let mut to_assess = Vec::new();
        let mut employers: Vec<i64> = by_employer.keys().copied().collect();
        employers.sort_unstable();
        for employer_id in employers {
            let mut periods = by_employer.remove(&employer_id).unwrap_or_default();
            periods.sort();
            let declared: HashMap<Period, i64> = periods.iter().copied().collect();
            let Some(&(first, mut base)) = periods.first() else {
                continue;
            };
            let mut period = first.next();
            let mut found = 0;
            // Missing from the day after its deadline.
            while deadline_of(period) < today && found < MAX_PERIODS {
                if let Some(&id) = declared.get(&period) {
                    base = id;
                } else if !existing.contains(&(employer_id, period.to_string())) {
                    let deadline = deadline_of(period);
                    let missing_from = deadline.succ_opt().unwrap_or(deadline).to_string();
                    let rule = rules.iter().find(|r| {
                        r.valid_from.as_str() <= missing_from.as_str()
                            && r.valid_to
                                .as_deref()
                                .is_none_or(|to| missing_from.as_str() <= to)
                    });
                    if let Some(rule) = rule {
                        found += 1;
                        to_assess.push(ToAssess {
                            employer_id,
                            period,
                            base_declaration_id: base,
                            rule_id: rule.id,
                            rate_bp: rule.first_bp,
                            deadline,
                        });
                    }
                }
                period = period.next();
            }
        }
        let mut summary = AssessmentSummary::default();
        let mut assessed_employers = HashSet::new();
        for a in to_assess {
            let base: (i64, i64, i64) = sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(paid_leave_centimes), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(bad_weather_employer_centimes), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(bad_weather_employee_centimes), 0) AS BIGINT) \
                 FROM declaration_lines WHERE declaration_id = $1 AND status = 'submitted'",
            )
            .bind(a.base_declaration_id)
            .fetch_one(&mut *tx)
            .await?;
            let base = [base.0, base.1, base.2];
            let base_total: i64 = base.iter().sum();
            if base_total == 0 {
                continue;
            }
            let increase = base.map(|c| apply_bp(c, a.rate_bp));
            let increase_total: i64 = increase.iter().sum();
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO provisional_assessments (employer_id, period, due_from, deadline, base_declaration_id, \
                 rule_id, rate_bp, base_paid_leave_centimes, base_bad_weather_employer_centimes, \
                 base_bad_weather_employee_centimes, base_centimes, increase_paid_leave_centimes, \
                 increase_bad_weather_employer_centimes, increase_bad_weather_employee_centimes, increase_centimes, \
                 assessed_on, status, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'assessed', $17) \
                 ON CONFLICT (employer_id, period) DO NOTHING RETURNING id",
            )
            .bind(a.employer_id)
            .bind(a.period.to_string())
            .bind(a.period.next_start().to_string())
            .bind(a.deadline.to_string())
            .bind(a.base_declaration_id)
            .bind(a.rule_id)
            .bind(a.rate_bp)
            .bind(base[0])
            .bind(base[1])
            .bind(base[2])
            .bind(base_total)
            .bind(increase[0])
            .bind(increase[1])
            .bind(increase[2])
            .bind(increase_total)
            .bind(&assessed_on)
            .bind(&now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else { continue };
            sqlx::query(
                "INSERT INTO provisional_assessment_lines (assessment_id, worksite_id, paid_leave_centimes, \
                 bad_weather_employer_centimes, bad_weather_employee_centimes) \
                 SELECT $1, worksite_id, paid_leave_centimes, bad_weather_employer_centimes, bad_weather_employee_centimes \
                 FROM declaration_lines WHERE declaration_id = $2 AND status = 'submitted'",
            )
            .bind(id)
            .bind(a.base_declaration_id)
            .execute(&mut *tx)
            .await?;
            for (kind, key, split, total) in [
                ("due", format!("provisional:{id}"), base, base_total),
                (
                    "surcharge",
                    format!("provisional_increase:{id}"),
                    increase,
                    increase_total,
                ),
            ] {
                if total == 0 {
                    continue;
                }
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
                     paid_leave_centimes, bad_weather_employer_centimes, bad_weather_employee_centimes, \
                     unallocated_centimes, assessment_id, recorded_at) \
                     VALUES ($1, '{kind}', $2, $3, $4, $5, $6, $7, 0, $8, $9) ON CONFLICT (entry_key) DO NOTHING"
                )))
                .bind(a.employer_id)
                .bind(key)
                .bind(&assessed_on)
                .bind(total)
                .bind(split[0])
                .bind(split[1])
                .bind(split[2])
                .bind(id)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
            NoticeEvent::new(NoticeKind::ProvisionalAssessment, a.employer_id, id)
                .record(&mut tx, &now)
                .await?;
            summary.assessments += 1;
            summary.amount = Amount::from_centimes(
                summary
                    .amount
                    .centimes()
                    .saturating_add(base_total)
                    .saturating_add(increase_total),
            );
            assessed_employers.insert(a.employer_id);
        }
        summary.employers = assessed_employers.len() as u64;
        if summary.assessments > 0 {
            Audit::new(actor, "provisional_assessments.assessed")
                .on("assessment_run", today.num_days_from_ce().into())
                .detail(
                    json!({"day": assessed_on, "assessments": summary.assessments,
                    "employers": summary.employers, "amount_centimes": summary.amount.centimes()}),
                )
                .record(&mut tx, &now)
                .await?;
        }
        tx.commit().await?;
        Ok(summary)
    }

    /// An employer's provisional assessments, by period.
    pub async fn employer_assessments(
        &self,
        employer_id: i64,
    ) -> StoreResult<Vec<ProvisionalAssessment>> {
        Ok(
            sqlx::query_as::<_, ProvisionalAssessment>(sqlx::AssertSqlSafe(format!(
                "SELECT {ASSESSMENT_COLUMNS} FROM provisional_assessments WHERE employer_id = $1 ORDER BY period"
            )))
            .bind(employer_id)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// One page of the fund's provisional assessments, newest first (by id), each with its
    /// employer's affiliation number and name: only `status` when given, only `employer`'s
    /// when given, only those before id `before` when given (keyset paging; the caller asks
    /// for one row more than it shows to know whether a next page exists).
    pub async fn assessments_page(
        &self,
        status: Option<AssessmentStatus>,
        employer: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<FundAssessment>> {
        let columns = ASSESSMENT_COLUMNS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // Absent filters bind values that let every row through ('', 0, the largest id).
        let rows = sqlx::query_as::<_, FundAssessmentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {columns}, m.affiliation_number, m.name AS employer_name, m.name_ar AS employer_name_ar \
             FROM provisional_assessments a JOIN employers m ON m.id = a.employer_id \
             WHERE ($1 = '' OR a.status = $1) AND ($2 = 0 OR a.employer_id = $2) AND a.id < $3 \
             ORDER BY a.id DESC LIMIT $4"
        )))
        .bind(status.map_or("", AssessmentStatus::as_str))
        .bind(employer.unwrap_or(0))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| FundAssessment {
                assessment: r.assessment,
                affiliation_number: r.affiliation_number,
                employer_name: r.employer_name,
                employer_name_ar: r.employer_name_ar,
            })
            .collect())
    }

    /// The facts of an assessment's notice (as a surcharge notice's: the amount is base and
    /// increase together), and the employer it belongs to.
    pub(super) async fn assessment_notice_facts(
        &self,
        id: i64,
    ) -> StoreResult<(i64, SurchargeNoticeFacts)> {
        let a = sqlx::query_as::<_, ProvisionalAssessment>(sqlx::AssertSqlSafe(format!(
            "SELECT {ASSESSMENT_COLUMNS} FROM provisional_assessments WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("provisional assessment", id))?;
        let source: String = sqlx::query_scalar("SELECT source FROM surcharge_rules WHERE id = $1")
            .bind(a.rule_id)
            .fetch_one(&self.pool)
            .await?;
        Ok((
            a.employer_id,
            SurchargeNoticeFacts {
                amount: Amount::from_centimes(a.base_centimes.saturating_add(a.increase_centimes)),
                accrued_on: a.assessed_on,
                facts: SurchargeFacts {
                    kind: SurchargeKind::ProvisionalAssessment,
                    month: 1,
                    base: Amount::from_centimes(a.base_centimes),
                    rate_bp: a.rate_bp,
                    deadline: a.deadline,
                    days_late: 0,
                    period: a.period,
                    rule_source: source,
                },
            },
        ))
    }
}

/// In a declaration's transaction: the employer's provisional assessment of `period`, if
/// any is still in force, reversed (one `due_withdrawn` entry of its base and increase,
/// dated `today`) and marked replaced by `declaration_id`. Audited. Returns whether one was.
pub(super) async fn replace_assessment(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    employer_id: i64,
    period: &str,
    declaration_id: i64,
    today: &str,
    now: &str,
) -> StoreResult<bool> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM provisional_assessments WHERE employer_id = $1 AND period = $2 AND status = 'assessed'",
    )
    .bind(employer_id)
    .bind(period)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Ok(false);
    };
    let changed = sqlx::query(
        "UPDATE provisional_assessments SET status = 'replaced', replaced_by_declaration_id = $2, replaced_on = $3 \
         WHERE id = $1 AND status = 'assessed'",
    )
    .bind(id)
    .bind(declaration_id)
    .bind(today)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
         paid_leave_centimes, bad_weather_employer_centimes, bad_weather_employee_centimes, \
         unallocated_centimes, assessment_id, recorded_at) \
         SELECT employer_id, 'due_withdrawn', 'provisional_replaced:' || CAST(id AS TEXT), $2, \
         -(base_centimes + increase_centimes), -(base_paid_leave_centimes + increase_paid_leave_centimes), \
         -(base_bad_weather_employer_centimes + increase_bad_weather_employer_centimes), \
         -(base_bad_weather_employee_centimes + increase_bad_weather_employee_centimes), 0, id, $3 \
         FROM provisional_assessments WHERE id = $1 \
         ON CONFLICT (entry_key) DO NOTHING",
    )
    .bind(id)
    .bind(today)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Audit::new(actor, "provisional_assessment.replaced")
        .on("provisional_assessment", id)
        .detail(
            json!({"employer_id": employer_id, "period": period, "declaration_id": declaration_id}),
        )
        .record(tx, now)
        .await?;
    Ok(true)
}

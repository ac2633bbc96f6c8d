//! Surcharges (majorations) and their waivers (issue 16, points 1 and 2; migration 0026).
//!
//! **Rules are dated data** (`surcharge_rules`): a kind, rates in basis points, valid
//! from/to, the legal source, and who at the fund confirmed it. The shipped defaults are
//! provisional; **a rule computes nothing until it is confirmed** (an unverified figure is
//! never charged to an employer). Adding a rule ends the one of its kind in force the day
//! before.
//!
//! **The policy** (`surcharge_policy`, one row, editable): contributions fall due on their
//! declaration's `due_from` and must be paid within `payment_days` (the *deadline*, by
//! default 60 days: the fund's own debit date comes before it); a declaration must be
//! submitted within `declaration_days` of `due_from`. **Grace:** a line paid within
//! `grace_days` after its deadline (typically a failed debit re-presented and paid) is not
//! surcharged at all; a line still unpaid after the grace is surcharged from the deadline.
//! A debit in a file (submitted, not failed) counts as paid on its collection date until
//! the bank says otherwise; if it is returned later the months it missed accrue then.
//!
//! **Late payment**: month *k* of delay starts on day `deadline + (k − 1) months + 1`;
//! month 1 costs `first_bp` of the line's contributions, each further month started while
//! the line is unpaid `monthly_bp`, by the rule in force on the day the month starts.
//! Month 1 is recorded on the first day after the grace (`deadline + grace_days + 1`),
//! month *k* ≥ 2 on its first day. **Late declaration**: a declaration submitted after its
//! deadline costs `first_bp` of each of its lines once, on the day it was submitted.
//! **Provisional assessment**: its rule's `first_bp` is the increase of a provisional
//! assessment of a missing declaration (`assessments.rs`, migration 0035).
//!
//! **Rounding**: each surcharge is computed per scheme of the line, `⌊centimes × bp /
//! 10000⌋` (down, in the employer's favour), and its amount is the sum of its schemes —
//! as contributions round per scheme. Entries go to the line's schemes in the ledger.
//!
//! **Idempotent**: a surcharge is unique by (declaration, worksite, kind, month) — a
//! correction that replaces a line never surcharges the same month twice — and the job
//! writes its `surcharge` ledger entry (key `surcharge:ID`) in the same transaction.
//!
//! **Waivers**: by staff, with a reason, audited; above the policy's `four_eyes_centimes`
//! a second member of staff must approve before anything is written to the ledger. A
//! surcharge is waived at most once at a time (unique live item). **Amnesties** are
//! rules: surcharges recorded in a date range, for employers whose every surcharged line
//! was paid by a date; preview, then apply in one transaction (one waiver per employer),
//! reversible (opposite `waiver` entries — the ledger is append-only). With the condition
//! "a payment plan requested by D", an employer's surcharges on the lines of a payment
//! plan it asked for on or before D also qualify, principal unpaid, when that plan is set
//! and honoured (active or completed) at apply time — as ordonnance 21-12 did. A plan
//! broken later does not undo the amnesty: staff reverse it if they choose.
//!
//! **Payment plans** (`payment_plans.rs`): no late-payment month starts while a plan
//! covering the line is honoured (from the day it was set) — any plan ever set for the
//! line, not only the latest: a month paused by a plan since broken is never charged
//! later; once the plan is broken or cancelled the months starting from that day accrue
//! again, and month 1, if the plan began before it, is recorded on that day. The job reviews the plans first
//! (`Store::review_payment_plans`), so a plan broken today counts today.
//!
//! **Paid by a payment** (migration 0035): money received pays surcharges too, whole, in
//! the fund's allocation order (`payments.rs`, `surcharge_allocations`). A surcharge paid
//! is not waivable (nor taken by an amnesty); one waived or awaiting approval is not paid.
//!
//! Must not know: how a line is paid (it reads the paid day from debits and payments).

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Days, Months, NaiveDate};
use mandates::Amount;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::audit::Audit;
use super::notice_events::{NoticeEvent, NoticeKind};
use super::notices::facts::SurchargeNoticeFacts;
use super::{Actor, Store, StoreError, StoreResult, parse_date, timestamp};

::mandates::stored_codes! {
    /// What a surcharge rule penalises.
    pub enum SurchargeKind("surcharge kind") {
        LateDeclaration = "late_declaration",
        LatePayment = "late_payment",
        ProvisionalAssessment = "provisional_assessment",
    }
}

::mandates::stored_codes! {
    /// Where a waiver stands.
    pub enum WaiverStatus("waiver status") {
        Pending = "pending",
        Applied = "applied",
        Refused = "refused",
        Reversed = "reversed",
    }
}

::mandates::stored_codes! {
    /// Where an amnesty stands.
    pub enum AmnestyStatus("amnesty status") {
        Draft = "draft",
        Applied = "applied",
        Reversed = "reversed",
    }
}

/// The longest reason or name kept.
pub const WAIVER_REASON_MAX: usize = 500;
/// The most months of delay computed for one line (ten years).
const MAX_MONTHS: u32 = 120;
/// The window over which an employer's waivers count together against the four-eyes limit.
const FOUR_EYES_WINDOW_DAYS: i64 = 30;

/// A stored rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct SurchargeRule {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: SurchargeKind,
    pub first_bp: i64,
    pub monthly_bp: i64,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub source: String,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<String>,
}

impl SurchargeRule {
    /// Whether the fund confirmed it (an unconfirmed rule is provisional and computes nothing).
    pub fn confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }

    fn in_force_on(&self, day: &str) -> bool {
        self.valid_from.as_str() <= day && self.valid_to.as_deref().is_none_or(|to| day <= to)
    }
}

/// A new dated rule.
#[derive(Clone, Debug)]
pub struct NewSurchargeRule {
    pub kind: SurchargeKind,
    pub first_bp: i64,
    pub monthly_bp: i64,
    pub valid_from: NaiveDate,
    pub source: String,
}

/// The fund's deadlines, grace and four-eyes threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SurchargePolicy {
    pub payment_days: u32,
    pub declaration_days: u32,
    pub grace_days: u32,
    /// A waiver above this amount needs a second member of staff.
    pub four_eyes: Amount,
}

/// A surcharge as recorded, with what explains it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SurchargeRecord {
    pub id: i64,
    pub employer_id: i64,
    pub rule_id: i64,
    pub kind: SurchargeKind,
    pub period: String,
    pub worksite_id: i64,
    pub declaration_line_id: i64,
    /// The month of delay it is for (1 for a late declaration).
    pub month: i64,
    pub base: Amount,
    pub rate_bp: i64,
    pub amount: Amount,
    pub deadline: String,
    pub accrued_on: String,
    pub days_late: i64,
    pub rule_source: String,
    /// The waiver that waives it now (applied or awaiting approval).
    pub waiver_id: Option<i64>,
}

#[derive(FromRow)]
struct SurchargeRow {
    id: i64,
    employer_id: i64,
    rule_id: i64,
    #[sqlx(try_from = "String")]
    kind: SurchargeKind,
    period: String,
    worksite_id: i64,
    declaration_line_id: i64,
    month: i64,
    base_centimes: i64,
    rate_bp: i64,
    amount_centimes: i64,
    deadline: String,
    accrued_on: String,
    days_late: i64,
    source: String,
    waiver_id: Option<i64>,
}

/// What explains a surcharge (or its waiver) on a statement and in a notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SurchargeFacts {
    pub kind: SurchargeKind,
    /// The month of delay (1 for a late declaration).
    pub month: i64,
    /// The contributions it is computed on.
    pub base: Amount,
    pub rate_bp: i64,
    /// The day the contributions (or the declaration) were due by.
    pub deadline: String,
    /// Days from the deadline to the day it was recorded for.
    pub days_late: i64,
    /// The declaration's period.
    pub period: String,
    /// The rule's legal source.
    pub rule_source: String,
}

/// What one pass of the daily job recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccrualSummary {
    pub surcharges: u64,
    pub employers: u64,
    pub amount: Amount,
}

/// A waiver as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct WaiverRecord {
    pub id: i64,
    pub employer_id: i64,
    pub amnesty_id: Option<i64>,
    pub reason: String,
    pub amount_centimes: i64,
    #[sqlx(try_from = "String")]
    pub status: WaiverStatus,
    pub requested_by: String,
    pub approved_by: Option<String>,
}

/// An amnesty as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct AmnestyRecord {
    pub id: i64,
    pub name: String,
    pub accrued_from: String,
    pub accrued_to: String,
    pub principal_paid_by: String,
    #[sqlx(try_from = "String")]
    pub status: AmnestyStatus,
}

/// A new amnesty.
#[derive(Clone, Debug)]
pub struct NewAmnesty {
    pub name: String,
    /// Surcharges recorded from this day…
    pub accrued_from: NaiveDate,
    /// …to this day (inclusive).
    pub accrued_to: NaiveDate,
    /// Condition: every surcharged line of the employer paid on or before this day.
    pub principal_paid_by: NaiveDate,
    /// Condition "a payment plan requested by this day" (an alternative to the principal
    /// paid: see the module).
    pub plan_requested_by: Option<NaiveDate>,
}

/// What an amnesty waives (or waived), per employer and in total.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AmnestyPreview {
    pub amnesty_id: i64,
    pub employers: u64,
    pub surcharges: u64,
    pub amount: Amount,
    /// (employer id, affiliation number, surcharges, amount), by employer id.
    pub by_employer: Vec<(i64, String, u64, Amount)>,
}

/// A line that may be late, with what the job needs.
#[derive(FromRow)]
struct CandidateLine {
    line_id: i64,
    declaration_id: i64,
    worksite_id: i64,
    employer_id: i64,
    due_from: String,
    /// The first submission (a correction does not move it).
    submitted_at: Option<String>,
    /// While the fund holds a planned debit of the line: when it started holding it.
    held_at: Option<String>,
    pl: i64,
    bwr: i64,
    bwe: i64,
    debit_day: Option<String>,
    payment_day: Option<String>,
}

/// The days no late-payment month starts: while any payment plan covering the line was
/// honoured — the union of every set plan's days, from the day it was set to the day it
/// was broken or cancelled (none: open, while active or once completed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanPause {
    pub spans: Vec<(NaiveDate, Option<NaiveDate>)>,
}

impl PlanPause {
    /// Whether a plan covers `day`: then the furthest end of the plans covering it
    /// (`None`: open).
    fn covering(&self, day: NaiveDate) -> Option<Option<NaiveDate>> {
        let mut found: Option<Option<NaiveDate>> = None;
        for (from, until) in &self.spans {
            if *from <= day && until.is_none_or(|until| day < until) {
                found = Some(match found {
                    None => *until,
                    Some(end) => end.zip(*until).map(|(a, b)| a.max(b)),
                });
            }
        }
        found
    }
}

/// One surcharge computed, before it is written.
struct Computed {
    employer_id: i64,
    rule_id: i64,
    kind: SurchargeKind,
    declaration_id: i64,
    worksite_id: i64,
    line_id: i64,
    month: u32,
    base: i64,
    rate_bp: i64,
    split: [i64; 3],
    deadline: NaiveDate,
    accrued_on: NaiveDate,
}

/// `centimes × bp / 10000`, rounded down (never more than the rule says).
pub fn apply_bp(centimes: i64, bp: i64) -> i64 {
    let product = i128::from(centimes) * i128::from(bp) / 10_000;
    i64::try_from(product).unwrap_or(i64::MAX)
}

fn add_days(day: NaiveDate, days: u32) -> NaiveDate {
    day.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// The first day of month `k` (≥ 1) of delay after `deadline`.
pub fn delay_month_start(deadline: NaiveDate, k: u32) -> NaiveDate {
    deadline
        .checked_add_months(Months::new(k.saturating_sub(1)))
        .and_then(|d| d.succ_opt())
        .unwrap_or(NaiveDate::MAX)
}

fn rule_for(
    rules: &[SurchargeRule],
    kind: SurchargeKind,
    day: NaiveDate,
) -> Option<&SurchargeRule> {
    let day = day.to_string();
    rules
        .iter()
        .find(|r| r.kind == kind && r.confirmed() && r.in_force_on(&day))
}

/// The late-payment surcharges of one line by `today` (see the module for the rule).
fn late_payment(
    line: &CandidateLine,
    due_from: NaiveDate,
    paid_on: Option<NaiveDate>,
    pause: &PlanPause,
    policy: &SurchargePolicy,
    rules: &[SurchargeRule],
    today: NaiveDate,
) -> Vec<Computed> {
    let deadline = add_days(due_from, policy.payment_days);
    let first_day = add_days(deadline, policy.grace_days.saturating_add(1));
    let mut out = Vec::new();
    if today < first_day || paid_on.is_some_and(|p| p < first_day) {
        return out;
    }
    let base = line.pl.saturating_add(line.bwr).saturating_add(line.bwe);
    for k in 1..=MAX_MONTHS {
        let start = delay_month_start(deadline, k);
        if k > 1 && (start > today || paid_on.is_some_and(|p| p < start)) {
            break;
        }
        // A month starting while a payment plan is honoured is not charged; month 1 of a
        // plan that began before it is charged on the day the plans covering it ended, if
        // they did.
        let mut accrued_on = start.max(first_day);
        let mut paused = false;
        while let Some(end) = pause.covering(accrued_on) {
            match end {
                // `until` is after `accrued_on`: the loop ends.
                Some(until) if k == 1 && until <= today && paid_on.is_none_or(|p| p >= until) => {
                    accrued_on = until;
                }
                _ => {
                    paused = true;
                    break;
                }
            }
        }
        if paused {
            continue;
        }
        let Some(rule) = rule_for(rules, SurchargeKind::LatePayment, start) else {
            continue;
        };
        let bp = if k == 1 {
            rule.first_bp
        } else {
            rule.monthly_bp
        };
        let split = [line.pl, line.bwr, line.bwe].map(|c| apply_bp(c, bp));
        if split.iter().all(|c| *c == 0) {
            continue;
        }
        out.push(Computed {
            employer_id: line.employer_id,
            rule_id: rule.id,
            kind: SurchargeKind::LatePayment,
            declaration_id: line.declaration_id,
            worksite_id: line.worksite_id,
            line_id: line.line_id,
            month: k,
            base,
            rate_bp: bp,
            split,
            deadline,
            accrued_on,
        });
    }
    out
}

/// The late-declaration penalty of one line, if its declaration was submitted late.
fn late_declaration(
    line: &CandidateLine,
    due_from: NaiveDate,
    policy: &SurchargePolicy,
    rules: &[SurchargeRule],
) -> Option<Computed> {
    let submitted = line.submitted_at.as_deref()?;
    let submitted = chrono::DateTime::parse_from_rfc3339(submitted).ok()?;
    let day = mandates::today_in_algiers(submitted.to_utc());
    let deadline = add_days(due_from, policy.declaration_days);
    if day <= deadline {
        return None;
    }
    let rule = rule_for(rules, SurchargeKind::LateDeclaration, day)?;
    let split = [line.pl, line.bwr, line.bwe].map(|c| apply_bp(c, rule.first_bp));
    if split.iter().all(|c| *c == 0) {
        return None;
    }
    Some(Computed {
        employer_id: line.employer_id,
        rule_id: rule.id,
        kind: SurchargeKind::LateDeclaration,
        declaration_id: line.declaration_id,
        worksite_id: line.worksite_id,
        line_id: line.line_id,
        month: 1,
        base: line.pl.saturating_add(line.bwr).saturating_add(line.bwe),
        rate_bp: rule.first_bp,
        split,
        deadline,
        accrued_on: day,
    })
}

const RULE_COLUMNS: &str =
    "id, kind, first_bp, monthly_bp, valid_from, valid_to, source, confirmed_by, confirmed_at";

fn bp_checked(what: &str, bp: i64) -> StoreResult<()> {
    if (0..=10_000).contains(&bp) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "the {what} rate {bp} is out of range: give it in basis points, 0 to 10000 (500 = 5 %)"
        )))
    }
}

fn reason_checked(reason: &str) -> StoreResult<String> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > WAIVER_REASON_MAX {
        return Err(StoreError::Invalid(format!(
            "give a reason (at most {WAIVER_REASON_MAX} characters): it is kept in the audit trail"
        )));
    }
    Ok(reason.to_owned())
}

/// The day a line was paid, or is being paid by a debit in a file: the earliest of a
/// settled or filed debit's collection date and a payment's day (SQL over `l`).
const DEBIT_DAY: &str = "(SELECT MIN(c.collection_date) FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id \
     WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status IN ('submitted', 'settled'))";
/// A line paid by a payment is paid on the later of the payment's day and the day it was
/// allocated (a credit used later pays on the day it is used).
const PAYMENT_DAY: &str = "(SELECT MIN(CASE WHEN a.allocated_on IS NOT NULL AND a.allocated_on > p.received_on \
     THEN a.allocated_on ELSE p.received_on END) FROM payment_allocations a JOIN payments p ON p.id = a.payment_id \
     WHERE a.declaration_line_id = l.id)";
/// The moment the fund held a planned debit of the line (a dispute open, a "hold" answer
/// upheld), while it holds it: no late-payment month starts while the fund holds the money.
const HELD_AT: &str = "(SELECT MIN(c.held_at) FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id \
     WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'planned' AND c.held_at IS NOT NULL)";
/// The day a line was paid, settled only (for an amnesty's condition).
const SETTLED_DAY: &str = "(SELECT MIN(c.collection_date) FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id \
     WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled')";

fn earliest(a: Option<&str>, b: Option<&str>) -> StoreResult<Option<NaiveDate>> {
    let a = a.map(|t| parse_date("paid day", t)).transpose()?;
    let b = b.map(|t| parse_date("paid day", t)).transpose()?;
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

impl Store {
    /// Every rule, by kind then start.
    pub async fn surcharge_rules(&self) -> StoreResult<Vec<SurchargeRule>> {
        Ok(
            sqlx::query_as::<_, SurchargeRule>(sqlx::AssertSqlSafe(format!(
                "SELECT {RULE_COLUMNS} FROM surcharge_rules ORDER BY kind, valid_from"
            )))
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// Adds a dated rule; the rule of its kind in force then ends the day before. Audited.
    pub async fn add_surcharge_rule(
        &self,
        actor: &Actor,
        new: NewSurchargeRule,
    ) -> StoreResult<i64> {
        bp_checked("first", new.first_bp)?;
        bp_checked("monthly", new.monthly_bp)?;
        if new.kind != SurchargeKind::LatePayment && new.monthly_bp != 0 {
            return Err(StoreError::Invalid(
                "only a late-payment rule has a monthly rate: leave it at 0".to_owned(),
            ));
        }
        let source = new.source.trim();
        if source.is_empty() || source.chars().count() > WAIVER_REASON_MAX {
            return Err(StoreError::Invalid(
                "give the rule's source (the legal text and article), at most 500 characters"
                    .to_owned(),
            ));
        }
        let now = self.now_text();
        let from = new.valid_from.to_string();
        let mut tx = self.begin_write().await?;
        let latest: Option<String> =
            sqlx::query_scalar("SELECT MAX(valid_from) FROM surcharge_rules WHERE kind = $1")
                .bind(new.kind.as_str())
                .fetch_one(&mut *tx)
                .await?;
        if latest.as_deref().is_some_and(|l| l >= from.as_str()) {
            return Err(StoreError::Invalid(format!(
                "a {} rule already starts on or after {from}: a new rule must start after the latest one",
                new.kind
            )));
        }
        let day_before = new
            .valid_from
            .pred_opt()
            .map(|d| d.to_string())
            .unwrap_or_default();
        sqlx::query(
            "UPDATE surcharge_rules SET valid_to = $1 WHERE kind = $2 AND (valid_to IS NULL OR valid_to >= $3)",
        )
        .bind(&day_before)
        .bind(new.kind.as_str())
        .bind(&from)
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO surcharge_rules (kind, first_bp, monthly_bp, valid_from, source, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.kind.as_str())
        .bind(new.first_bp)
        .bind(new.monthly_bp)
        .bind(&from)
        .bind(source)
        .bind(actor.as_str())
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        Audit::new(actor, "surcharge_rule.added")
            .on("surcharge_rule", id)
            .detail(json!({"kind": new.kind.as_str(), "first_bp": new.first_bp,
                "monthly_bp": new.monthly_bp, "valid_from": from, "source": source}))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The fund confirms a rule: from then on it computes surcharges. Audited.
    pub async fn confirm_surcharge_rule(&self, actor: &Actor, id: i64) -> StoreResult<()> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE surcharge_rules SET confirmed_by = $1, confirmed_at = $2 WHERE id = $3 AND confirmed_at IS NULL",
        )
        .bind(actor.as_str())
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM surcharge_rules WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(match exists {
                None => StoreError::not_found("surcharge rule", id),
                Some(_) => {
                    StoreError::Conflict(format!("surcharge rule {id} is already confirmed"))
                }
            });
        }
        Audit::new(actor, "surcharge_rule.confirmed")
            .on("surcharge_rule", id)
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The fund's surcharge policy.
    pub async fn surcharge_policy(&self) -> StoreResult<SurchargePolicy> {
        let (payment_days, declaration_days, grace_days, four_eyes): (i64, i64, i64, i64) =
            sqlx::query_as(
                "SELECT payment_days, declaration_days, grace_days, four_eyes_centimes FROM surcharge_policy WHERE id = 1",
            )
            .fetch_one(&self.pool)
            .await?;
        let days = |d: i64| u32::try_from(d).unwrap_or(0);
        Ok(SurchargePolicy {
            payment_days: days(payment_days),
            declaration_days: days(declaration_days),
            grace_days: days(grace_days),
            four_eyes: Amount::from_centimes(four_eyes),
        })
    }

    /// Changes the policy (from the next pass of the job on). Audited.
    pub async fn set_surcharge_policy(
        &self,
        actor: &Actor,
        policy: SurchargePolicy,
    ) -> StoreResult<()> {
        for (what, days) in [
            ("payment", policy.payment_days),
            ("declaration", policy.declaration_days),
            ("grace", policy.grace_days),
        ] {
            if days > 366 {
                return Err(StoreError::Invalid(format!(
                    "{what} days {days} is out of range: 0 to 366"
                )));
            }
        }
        if policy.four_eyes < Amount::ZERO {
            return Err(StoreError::Invalid(
                "the four-eyes amount cannot be below zero".to_owned(),
            ));
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE surcharge_policy SET payment_days = $1, declaration_days = $2, grace_days = $3, \
             four_eyes_centimes = $4, updated_by = $5, updated_at = $6 WHERE id = 1",
        )
        .bind(i64::from(policy.payment_days))
        .bind(i64::from(policy.declaration_days))
        .bind(i64::from(policy.grace_days))
        .bind(policy.four_eyes.centimes())
        .bind(actor.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        Audit::new(actor, "surcharge_policy.changed")
            .on("surcharge_policy", 1)
            .detail(json!({"payment_days": policy.payment_days, "declaration_days": policy.declaration_days,
                "grace_days": policy.grace_days, "four_eyes_centimes": policy.four_eyes.centimes()}))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The daily job: computes every surcharge due by `today` by the confirmed rules and
    /// records the new ones with their ledger entries, in one transaction. A second pass
    /// the same day (or any later day for the same months) records nothing new.
    pub async fn accrue_surcharges(
        &self,
        actor: &Actor,
        today: NaiveDate,
    ) -> StoreResult<AccrualSummary> {
        // Plans broken by today stop covering their lines first.
        self.review_payment_plans(actor, today).await?;
        let rules: Vec<SurchargeRule> = self
            .surcharge_rules()
            .await?
            .into_iter()
            .filter(SurchargeRule::confirmed)
            .collect();
        if rules.is_empty() {
            return Ok(AccrualSummary::default());
        }
        let policy = self.surcharge_policy().await?;
        // Only declarations whose earliest deadline has passed can be late.
        let soonest = policy.payment_days.min(policy.declaration_days);
        let cutoff = today
            .checked_sub_days(Days::new(u64::from(soonest)))
            .unwrap_or(NaiveDate::MIN)
            .to_string();
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let lines: Vec<CandidateLine> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT l.id AS line_id, d.id AS declaration_id, l.worksite_id, d.employer_id, d.due_from, \
             COALESCE(d.first_submitted_at, d.submitted_at) AS submitted_at, {HELD_AT} AS held_at, \
             l.paid_leave_centimes AS pl, l.bad_weather_employer_centimes AS bwr, l.bad_weather_employee_centimes AS bwe, \
             {DEBIT_DAY} AS debit_day, {PAYMENT_DAY} AS payment_day \
             FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
             WHERE d.status = 'submitted' AND l.status = 'submitted' AND d.due_from < $1 \
             ORDER BY d.employer_id, d.due_from, l.id"
        )))
        .bind(&cutoff)
        .fetch_all(&mut *tx)
        .await?;
        let existing: Vec<(i64, i64, String, i64)> =
            sqlx::query_as("SELECT declaration_id, worksite_id, kind, month FROM surcharges")
                .fetch_all(&mut *tx)
                .await?;
        let existing: HashSet<(i64, i64, String, i64)> = existing.into_iter().collect();
        // Every plan ever set, per line: the days it paused the line (all of them, not only
        // the latest plan's: a month paused by a plan since broken stays paused).
        let spans: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT ppl.declaration_line_id, p.started_on, \
             CASE WHEN p.status IN ('broken', 'cancelled') THEN p.ended_on END \
             FROM payment_plan_lines ppl JOIN payment_plans p ON p.id = ppl.plan_id \
             WHERE p.started_on IS NOT NULL",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut pauses: HashMap<i64, PlanPause> = HashMap::new();
        for (line_id, from, until) in spans {
            let from = parse_date("plan start", &from)?;
            let until = until
                .as_deref()
                .map(|t| parse_date("plan end", t))
                .transpose()?;
            pauses.entry(line_id).or_default().spans.push((from, until));
        }
        let no_pause = PlanPause::default();
        let mut computed = Vec::new();
        for line in &lines {
            let due_from = parse_date("due_from", &line.due_from)?;
            let paid_on = earliest(line.debit_day.as_deref(), line.payment_day.as_deref())?;
            // Held by the fund: the delay stops counting on the day of the hold, as if paid.
            let held_on = line
                .held_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| mandates::today_in_algiers(t.to_utc()));
            let paid_on = match (paid_on, held_on) {
                (Some(p), Some(h)) => Some(p.min(h)),
                (p, h) => p.or(h),
            };
            computed.extend(late_declaration(line, due_from, &policy, &rules));
            let pause = pauses.get(&line.line_id).unwrap_or(&no_pause);
            computed.extend(late_payment(
                line, due_from, paid_on, pause, &policy, &rules, today,
            ));
        }
        let mut summary = AccrualSummary::default();
        let mut employers = HashSet::new();
        for c in computed {
            let key = (
                c.declaration_id,
                c.worksite_id,
                c.kind.as_str().to_owned(),
                i64::from(c.month),
            );
            if existing.contains(&key) {
                continue;
            }
            let amount: i64 = c.split.iter().sum();
            let accrued_on = c.accrued_on.to_string();
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO surcharges (employer_id, rule_id, kind, declaration_id, worksite_id, declaration_line_id, \
                 month, base_centimes, rate_bp, paid_leave_centimes, bad_weather_employer_centimes, \
                 bad_weather_employee_centimes, amount_centimes, deadline, accrued_on, days_late, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                 ON CONFLICT (declaration_id, worksite_id, kind, month) DO NOTHING RETURNING id",
            )
            .bind(c.employer_id)
            .bind(c.rule_id)
            .bind(c.kind.as_str())
            .bind(c.declaration_id)
            .bind(c.worksite_id)
            .bind(c.line_id)
            .bind(i64::from(c.month))
            .bind(c.base)
            .bind(c.rate_bp)
            .bind(c.split[0])
            .bind(c.split[1])
            .bind(c.split[2])
            .bind(amount)
            .bind(c.deadline.to_string())
            .bind(&accrued_on)
            .bind((c.accrued_on - c.deadline).num_days())
            .bind(&now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else { continue };
            sqlx::query(
                "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, paid_leave_centimes, \
                 bad_weather_employer_centimes, bad_weather_employee_centimes, unallocated_centimes, declaration_line_id, \
                 surcharge_id, recorded_at) \
                 VALUES ($1, 'surcharge', $2, $3, $4, $5, $6, $7, 0, $8, $10, $9) ON CONFLICT (entry_key) DO NOTHING",
            )
            .bind(c.employer_id)
            .bind(format!("surcharge:{id}"))
            .bind(&accrued_on)
            .bind(amount)
            .bind(c.split[0])
            .bind(c.split[1])
            .bind(c.split[2])
            .bind(c.line_id)
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            // The employer is told, once per surcharge, through the notices outbox.
            NoticeEvent::new(NoticeKind::SurchargeNotice, c.employer_id, id)
                .record(&mut tx, &now)
                .await?;
            summary.surcharges += 1;
            summary.amount =
                Amount::from_centimes(summary.amount.centimes().saturating_add(amount));
            employers.insert(c.employer_id);
        }
        summary.employers = employers.len() as u64;
        if summary.surcharges > 0 {
            Audit::new(actor, "surcharges.accrued")
                .on("surcharge_run", today.num_days_from_ce().into())
                .detail(
                    json!({"day": today.to_string(), "surcharges": summary.surcharges,
                    "employers": summary.employers, "amount_centimes": summary.amount.centimes()}),
                )
                .record(&mut tx, &now)
                .await?;
        }
        tx.commit().await?;
        Ok(summary)
    }

    /// An employer's surcharges, oldest first, each with what explains it.
    pub async fn employer_surcharges(&self, employer_id: i64) -> StoreResult<Vec<SurchargeRecord>> {
        let rows = sqlx::query_as::<_, SurchargeRow>(
            "SELECT s.id, s.employer_id, s.rule_id, s.kind, d.period, s.worksite_id, s.declaration_line_id, s.month, \
             s.base_centimes, s.rate_bp, s.amount_centimes, s.deadline, s.accrued_on, s.days_late, r.source, \
             (SELECT i.waiver_id FROM surcharge_waiver_items i WHERE i.surcharge_id = s.id AND i.live = 1) AS waiver_id \
             FROM surcharges s JOIN declarations d ON d.id = s.declaration_id JOIN surcharge_rules r ON r.id = s.rule_id \
             WHERE s.employer_id = $1 ORDER BY s.accrued_on, s.id",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| SurchargeRecord {
                id: r.id,
                employer_id: r.employer_id,
                rule_id: r.rule_id,
                kind: r.kind,
                period: r.period,
                worksite_id: r.worksite_id,
                declaration_line_id: r.declaration_line_id,
                month: r.month,
                base: Amount::from_centimes(r.base_centimes),
                rate_bp: r.rate_bp,
                amount: Amount::from_centimes(r.amount_centimes),
                deadline: r.deadline,
                accrued_on: r.accrued_on,
                days_late: r.days_late,
                rule_source: r.source,
                waiver_id: r.waiver_id,
            })
            .collect())
    }

    /// The facts of a surcharge's notice, and the employer it belongs to.
    pub(super) async fn surcharge_notice_facts(
        &self,
        id: i64,
    ) -> StoreResult<(i64, SurchargeNoticeFacts)> {
        let row = sqlx::query_as::<_, SurchargeRow>(
            "SELECT s.id, s.employer_id, s.rule_id, s.kind, d.period, s.worksite_id, s.declaration_line_id, s.month, \
             s.base_centimes, s.rate_bp, s.amount_centimes, s.deadline, s.accrued_on, s.days_late, r.source, \
             CAST(NULL AS BIGINT) AS waiver_id \
             FROM surcharges s JOIN declarations d ON d.id = s.declaration_id JOIN surcharge_rules r ON r.id = s.rule_id \
             WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("surcharge", id))?;
        Ok((
            row.employer_id,
            SurchargeNoticeFacts {
                amount: Amount::from_centimes(row.amount_centimes),
                accrued_on: row.accrued_on,
                facts: SurchargeFacts {
                    kind: row.kind,
                    month: row.month,
                    base: Amount::from_centimes(row.base_centimes),
                    rate_bp: row.rate_bp,
                    deadline: row.deadline,
                    days_late: row.days_late,
                    period: row.period,
                    rule_source: row.source,
                },
            },
        ))
    }

    /// The waivers waiting for a second member of staff, oldest first, with the
    /// employer's affiliation number.
    pub async fn pending_waivers(&self) -> StoreResult<Vec<(WaiverRecord, String)>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT w.id, m.affiliation_number FROM surcharge_waivers w JOIN employers m ON m.id = w.employer_id \
             WHERE w.status = 'pending' ORDER BY w.id LIMIT 200",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, affiliation) in rows {
            out.push((self.waiver(id).await?, affiliation));
        }
        Ok(out)
    }

    /// Every amnesty, newest first.
    pub async fn amnesties(&self) -> StoreResult<Vec<AmnestyRecord>> {
        Ok(sqlx::query_as::<_, AmnestyRecord>(
            "SELECT id, name, accrued_from, accrued_to, principal_paid_by, status FROM amnesties ORDER BY id DESC LIMIT 100",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// A waiver as recorded.
    pub async fn waiver(&self, id: i64) -> StoreResult<WaiverRecord> {
        sqlx::query_as::<_, WaiverRecord>(
            "SELECT id, employer_id, amnesty_id, reason, amount_centimes, status, requested_by, approved_by \
             FROM surcharge_waivers WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("waiver", id))
    }

    /// Staff waive surcharges of an employer (`surcharge_ids`, or every one not waived
    /// when empty), with a reason. At or below the policy's four-eyes amount the waiver
    /// applies at once (its `waiver` entries written); above, it waits for a second
    /// member of staff ([`Store::approve_waiver`]). Audited; one transaction.
    pub async fn request_waiver(
        &self,
        actor: &Actor,
        employer_id: i64,
        surcharge_ids: &[i64],
        reason: &str,
    ) -> StoreResult<WaiverRecord> {
        let reason = reason_checked(reason)?;
        let policy = self.surcharge_policy().await?;
        let employer = self.employer(employer_id).await?;
        let now = self.now_text();
        let today = self.clock.today().to_string();
        let mut tx = self.begin_write().await?;
        // The employer's row held (PostgreSQL), as an allocation holds it: a surcharge is
        // never waived while a payment pays it.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM employers WHERE id = $1{}",
            self.backend.lock_rows()
        )))
        .bind(employer_id)
        .fetch_optional(&mut *tx)
        .await?;
        // A surcharge paid (`surcharge_allocations`) is no longer waivable.
        let open: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT s.id, s.amount_centimes FROM surcharges s WHERE s.employer_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM surcharge_waiver_items i WHERE i.surcharge_id = s.id AND i.live = 1) \
             AND NOT EXISTS (SELECT 1 FROM surcharge_allocations sa WHERE sa.surcharge_id = s.id) \
             ORDER BY s.id",
        )
        .bind(employer_id)
        .fetch_all(&mut *tx)
        .await?;
        let chosen: Vec<(i64, i64)> = if surcharge_ids.is_empty() {
            open
        } else {
            let missing: Vec<String> = surcharge_ids
                .iter()
                .filter(|id| !open.iter().any(|(o, _)| o == *id))
                .map(ToString::to_string)
                .collect();
            if !missing.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "surcharge(s) {} of employer {} are unknown, already waived, awaiting approval or paid: nothing waived \
                     (list them with `tahsil surcharges list --employer {}`)",
                    missing.join(", "),
                    employer.affiliation_number,
                    employer.affiliation_number
                )));
            }
            open.into_iter()
                .filter(|(id, _)| surcharge_ids.contains(id))
                .collect()
        };
        if chosen.is_empty() {
            return Err(StoreError::Invalid(format!(
                "employer {} has no surcharge left to waive: nothing waived",
                employer.affiliation_number
            )));
        }
        let amount: i64 = chosen.iter().map(|(_, a)| a).sum();
        // The limit holds for the employer's waivers of the last 30 days together: splitting
        // a waiver in small ones does not avoid the second person.
        let since = timestamp(self.now() - chrono::Duration::days(FOUR_EYES_WINDOW_DAYS));
        let recent: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount_centimes), 0) AS BIGINT) FROM surcharge_waivers \
             WHERE employer_id = $1 AND amnesty_id IS NULL AND status IN ('pending', 'applied') AND requested_at >= $2",
        )
        .bind(employer_id)
        .bind(&since)
        .fetch_one(&mut *tx)
        .await?;
        let applied = amount.saturating_add(recent) <= policy.four_eyes.centimes();
        let status = if applied {
            WaiverStatus::Applied
        } else {
            WaiverStatus::Pending
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO surcharge_waivers (employer_id, reason, amount_centimes, status, requested_by, requested_at, approved_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(employer_id)
        .bind(&reason)
        .bind(amount)
        .bind(status.as_str())
        .bind(actor.as_str())
        .bind(&now)
        .bind(applied.then(|| now.clone()))
        .fetch_one(&mut *tx)
        .await?;
        for (surcharge, _) in &chosen {
            sqlx::query(
                "INSERT INTO surcharge_waiver_items (waiver_id, surcharge_id) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(surcharge)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                super::conflict_on_unique(e, || {
                    format!("surcharge {surcharge} was waived meanwhile: nothing waived")
                })
            })?;
        }
        if applied {
            write_waiver_entries(&mut tx, id, false, &today, &now).await?;
        }
        Audit::new(
            actor,
            if applied {
                "surcharge_waiver.applied"
            } else {
                "surcharge_waiver.requested"
            },
        )
        .on("surcharge_waiver", id)
        .detail(
            json!({"employer_id": employer_id, "amount_centimes": amount,
            "surcharges": chosen.len(), "reason": reason,
            "four_eyes_centimes": policy.four_eyes.centimes()}),
        )
        .record(&mut tx, &now)
        .await?;
        tx.commit().await?;
        self.waiver(id).await
    }

    /// A second member of staff approves a waiver waiting for it: it applies (its
    /// `waiver` entries written). The one who asked cannot approve. Audited.
    pub async fn approve_waiver(&self, actor: &Actor, id: i64) -> StoreResult<WaiverRecord> {
        let now = self.now_text();
        let today = self.clock.today().to_string();
        let mut tx = self.begin_write().await?;
        let (status, requested_by) = lock_waiver(&mut tx, self.backend.lock_rows(), id).await?;
        if status != WaiverStatus::Pending {
            return Err(StoreError::Conflict(format!(
                "waiver {id} is {status}, not waiting for approval: nothing done"
            )));
        }
        if requested_by == actor.as_str() {
            return Err(StoreError::Invalid(format!(
                "waiver {id} was asked for by you: a second member of staff must approve it"
            )));
        }
        sqlx::query(
            "UPDATE surcharge_waivers SET status = 'applied', approved_by = $1, approved_at = $2 WHERE id = $3",
        )
        .bind(actor.as_str())
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        write_waiver_entries(&mut tx, id, false, &today, &now).await?;
        Audit::new(actor, "surcharge_waiver.approved")
            .on("surcharge_waiver", id)
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        self.waiver(id).await
    }

    /// Staff refuse a waiver waiting for approval: its surcharges stay owed. Audited.
    pub async fn refuse_waiver(
        &self,
        actor: &Actor,
        id: i64,
        reason: &str,
    ) -> StoreResult<WaiverRecord> {
        let reason = reason_checked(reason)?;
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let (status, _) = lock_waiver(&mut tx, self.backend.lock_rows(), id).await?;
        if status != WaiverStatus::Pending {
            return Err(StoreError::Conflict(format!(
                "waiver {id} is {status}, not waiting for approval: nothing done"
            )));
        }
        sqlx::query(
            "UPDATE surcharge_waivers SET status = 'refused', refused_by = $1, refused_at = $2 WHERE id = $3",
        )
        .bind(actor.as_str())
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE surcharge_waiver_items SET live = 0 WHERE waiver_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Audit::new(actor, "surcharge_waiver.refused")
            .on("surcharge_waiver", id)
            .detail(json!({"reason": reason}))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        self.waiver(id).await
    }

    /// Records an amnesty (a draft: nothing waived until it is applied). Audited.
    pub async fn create_amnesty(&self, actor: &Actor, new: NewAmnesty) -> StoreResult<i64> {
        let name = reason_checked(&new.name)?;
        if new.accrued_to < new.accrued_from {
            return Err(StoreError::Invalid(format!(
                "the amnesty's range ends ({}) before it starts ({})",
                new.accrued_to, new.accrued_from
            )));
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO amnesties (name, accrued_from, accrued_to, principal_paid_by, status, created_by, created_at, \
             plan_requested_by) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7) RETURNING id",
        )
        .bind(&name)
        .bind(new.accrued_from.to_string())
        .bind(new.accrued_to.to_string())
        .bind(new.principal_paid_by.to_string())
        .bind(actor.as_str())
        .bind(&now)
        .bind(new.plan_requested_by.map(|d| d.to_string()))
        .fetch_one(&mut *tx)
        .await?;
        Audit::new(actor, "amnesty.created")
            .on("amnesty", id)
            .detail(
                json!({"name": name, "accrued_from": new.accrued_from.to_string(),
                "accrued_to": new.accrued_to.to_string(),
                "principal_paid_by": new.principal_paid_by.to_string(),
                "plan_requested_by": new.plan_requested_by.map(|d| d.to_string())}),
            )
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// What applying the amnesty now would waive: how many employers, how much. Reads only.
    pub async fn preview_amnesty(&self, id: i64) -> StoreResult<AmnestyPreview> {
        let mut conn = self.pool.acquire().await?;
        let (status, eligible) = amnesty_eligible(&mut conn, id, "").await?;
        if status != AmnestyStatus::Draft {
            return Err(StoreError::Conflict(format!(
                "amnesty {id} is {status}: only a draft can be previewed and applied"
            )));
        }
        Ok(preview_of(id, &eligible))
    }

    /// Applies the amnesty in one transaction: for each eligible employer a waiver of its
    /// surcharges (applied, with its `waiver` entries). Audited. Returns what it waived.
    pub async fn apply_amnesty(&self, actor: &Actor, id: i64) -> StoreResult<AmnestyPreview> {
        let now = self.now_text();
        let today = self.clock.today().to_string();
        let mut tx = self.begin_write().await?;
        let lock = self.backend.lock_rows();
        let (status, mut eligible) = amnesty_eligible(&mut tx, id, lock).await?;
        if status != AmnestyStatus::Draft {
            return Err(StoreError::Conflict(format!(
                "amnesty {id} is {status}: it can be applied once, from a draft"
            )));
        }
        if !lock.is_empty() {
            // PostgreSQL: hold each employer concerned, in ascending order, as a payment's
            // allocation and a waiver hold their employer before they read its surcharges;
            // then look again. A payment committed meanwhile has taken its surcharges out of
            // the set; one that comes later waits for this transaction and then finds them
            // waived. An employer that became eligible meanwhile is held too, until the set
            // stops changing. The surcharges are never held before their employer (the first
            // look holds nothing but the amnesty), so a payment and an amnesty never wait for
            // each other both ways (the integration test
            // `a_payment_and_an_amnesty_racing_never_both_take_one_surcharge` races them).
            let mut held = std::collections::BTreeSet::new();
            loop {
                let wanted: std::collections::BTreeSet<i64> =
                    eligible.iter().map(|e| e.employer_id).collect();
                let new: Vec<i64> = wanted.difference(&held).copied().collect();
                if new.is_empty() {
                    break;
                }
                for employer in new {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT id FROM employers WHERE id = $1{lock}"
                    )))
                    .bind(employer)
                    .fetch_optional(&mut *tx)
                    .await?;
                    held.insert(employer);
                }
                eligible = amnesty_eligible(&mut tx, id, lock).await?.1;
            }
        }
        let (name, created_by): (String, String) =
            sqlx::query_as("SELECT name, created_by FROM amnesties WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if created_by == actor.as_str() {
            return Err(StoreError::Invalid(format!(
                "amnesty {id} was created by you: another member of staff must apply it"
            )));
        }
        let preview = preview_of(id, &eligible);
        for (employer_id, _, _, amount) in &preview.by_employer {
            let waiver: i64 = sqlx::query_scalar(
                "INSERT INTO surcharge_waivers (employer_id, amnesty_id, reason, amount_centimes, status, requested_by, \
                 requested_at, approved_at) VALUES ($1, $2, $3, $4, 'applied', $5, $6, $6) RETURNING id",
            )
            .bind(employer_id)
            .bind(id)
            .bind(format!("amnesty: {name}"))
            .bind(amount.centimes())
            .bind(actor.as_str())
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?;
            for e in eligible.iter().filter(|e| e.employer_id == *employer_id) {
                sqlx::query(
                    "INSERT INTO surcharge_waiver_items (waiver_id, surcharge_id) VALUES ($1, $2)",
                )
                .bind(waiver)
                .bind(e.surcharge_id)
                .execute(&mut *tx)
                .await?;
            }
            write_waiver_entries(&mut tx, waiver, false, &today, &now).await?;
        }
        sqlx::query(
            "UPDATE amnesties SET status = 'applied', applied_by = $1, applied_at = $2 WHERE id = $3",
        )
        .bind(actor.as_str())
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Audit::new(actor, "amnesty.applied")
            .on("amnesty", id)
            .detail(
                json!({"employers": preview.employers, "surcharges": preview.surcharges,
                "amount_centimes": preview.amount.centimes()}),
            )
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(preview)
    }

    /// Reverses an applied amnesty in one transaction: each of its waivers reversed (the
    /// opposite `waiver` entries; the surcharges owed again and waivable again). Audited.
    pub async fn reverse_amnesty(&self, actor: &Actor, id: i64, reason: &str) -> StoreResult<u64> {
        let reason = reason_checked(reason)?;
        let now = self.now_text();
        let today = self.clock.today().to_string();
        let mut tx = self.begin_write().await?;
        let status: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT status FROM amnesties WHERE id = $1{}",
            self.backend.lock_rows()
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let status =
            AmnestyStatus::parse(&status.ok_or_else(|| StoreError::not_found("amnesty", id))?)?;
        if status != AmnestyStatus::Applied {
            return Err(StoreError::Conflict(format!(
                "amnesty {id} is {status}: only an applied amnesty can be reversed"
            )));
        }
        let waivers: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM surcharge_waivers WHERE amnesty_id = $1 AND status = 'applied' ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        for waiver in &waivers {
            write_waiver_entries(&mut tx, *waiver, true, &today, &now).await?;
            sqlx::query(
                "UPDATE surcharge_waivers SET status = 'reversed', reversed_by = $1, reversed_at = $2 WHERE id = $3",
            )
            .bind(actor.as_str())
            .bind(&now)
            .bind(waiver)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE surcharge_waiver_items SET live = 0 WHERE waiver_id = $1")
                .bind(waiver)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE amnesties SET status = 'reversed', reversed_by = $1, reversed_at = $2 WHERE id = $3",
        )
        .bind(actor.as_str())
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Audit::new(actor, "amnesty.reversed")
            .on("amnesty", id)
            .detail(json!({"waivers": waivers.len(), "reason": reason}))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(waivers.len() as u64)
    }
}

async fn lock_waiver(
    tx: &mut sqlx::AnyConnection,
    lock: &str,
    id: i64,
) -> StoreResult<(WaiverStatus, String)> {
    let row: Option<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT status, requested_by FROM surcharge_waivers WHERE id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (status, requested_by) = row.ok_or_else(|| StoreError::not_found("waiver", id))?;
    Ok((WaiverStatus::parse(&status)?, requested_by))
}

/// The `waiver` entries of waiver `id` (each of its surcharges, negated), or their
/// opposite when `reverse`, dated `today`.
async fn write_waiver_entries(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    reverse: bool,
    today: &str,
    now: &str,
) -> StoreResult<u64> {
    let (prefix, sign) = if reverse {
        ("waiver_reversed:", "")
    } else {
        ("waiver:", "-")
    };
    let query = format!(
        "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, paid_leave_centimes, \
         bad_weather_employer_centimes, bad_weather_employee_centimes, unallocated_centimes, declaration_line_id, \
         surcharge_id, recorded_at) \
         SELECT s.employer_id, 'waiver', '{prefix}' || CAST(i.waiver_id AS TEXT) || ':' || CAST(s.id AS TEXT), $2, \
         {sign}s.amount_centimes, {sign}s.paid_leave_centimes, {sign}s.bad_weather_employer_centimes, \
         {sign}s.bad_weather_employee_centimes, 0, s.declaration_line_id, s.id, $3 \
         FROM surcharge_waiver_items i JOIN surcharges s ON s.id = i.surcharge_id WHERE i.waiver_id = $1 \
         ON CONFLICT (entry_key) DO NOTHING"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(query))
        .bind(id)
        .bind(today)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected())
}

/// One surcharge an amnesty would waive.
#[derive(FromRow)]
struct Eligible {
    employer_id: i64,
    affiliation_number: String,
    surcharge_id: i64,
    amount_centimes: i64,
}

/// The amnesty's status and the surcharges it would waive now: recorded in its range,
/// not waived, of employers none of whose surcharged lines (in the range) is unpaid by
/// its day (a settled debit or a payment on or before it). `lock` holds the amnesty's row
/// only: its caller holds the employers concerned, before it looks again.
async fn amnesty_eligible(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    lock: &str,
) -> StoreResult<(AmnestyStatus, Vec<Eligible>)> {
    let row: Option<(String, String, String, String, Option<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT status, accrued_from, accrued_to, principal_paid_by, plan_requested_by FROM amnesties WHERE id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (status, from, to, paid_by, plan_by) =
        row.ok_or_else(|| StoreError::not_found("amnesty", id))?;
    let status = AmnestyStatus::parse(&status)?;
    // A surcharge's line is the line now declared for its declaration and worksite.
    let in_range = "s.accrued_on >= $1 AND s.accrued_on <= $2 \
         AND NOT EXISTS (SELECT 1 FROM surcharge_waiver_items i WHERE i.surcharge_id = s.id AND i.live = 1) \
         AND NOT EXISTS (SELECT 1 FROM surcharge_allocations sa WHERE sa.surcharge_id = s.id)";
    let unpaid = format!(
        "EXISTS (SELECT 1 FROM surcharges x JOIN declaration_lines l ON l.declaration_id = x.declaration_id \
           AND l.worksite_id = x.worksite_id AND l.status = 'submitted' \
         WHERE x.employer_id = s.employer_id AND x.accrued_on >= $1 AND x.accrued_on <= $2 \
         AND NOT (COALESCE({SETTLED_DAY}, '9999-12-31') <= $3 OR COALESCE({PAYMENT_DAY}, '9999-12-31') <= $3))"
    );
    // Or (when the amnesty says so) the surcharge's line is in a payment plan asked for by
    // its day and, when the amnesty is applied, set and honoured (active or completed): a
    // plan only requested, or refused, withdrawn, broken or cancelled, does not count.
    let planned = "EXISTS (SELECT 1 FROM payment_plans p JOIN payment_plan_lines ppl ON ppl.plan_id = p.id \
         JOIN declaration_lines pl ON pl.id = ppl.declaration_line_id \
         WHERE p.employer_id = s.employer_id AND p.requested_on <= $4 AND p.status IN ('active', 'completed') \
         AND pl.declaration_id = s.declaration_id AND pl.worksite_id = s.worksite_id)";
    let eligible = sqlx::query_as::<_, Eligible>(sqlx::AssertSqlSafe(format!(
        "SELECT s.employer_id, m.affiliation_number, s.id AS surcharge_id, s.amount_centimes \
         FROM surcharges s JOIN employers m ON m.id = s.employer_id \
         WHERE {in_range} AND (NOT {unpaid} OR ($4 <> '' AND {planned})) ORDER BY s.employer_id, s.id"
    )))
    .bind(&from)
    .bind(&to)
    .bind(&paid_by)
    .bind(plan_by.unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    Ok((status, eligible))
}

fn preview_of(id: i64, eligible: &[Eligible]) -> AmnestyPreview {
    let mut preview = AmnestyPreview {
        amnesty_id: id,
        ..AmnestyPreview::default()
    };
    for e in eligible {
        match preview.by_employer.last_mut() {
            Some(last) if last.0 == e.employer_id => {
                last.2 += 1;
                last.3 = Amount::from_centimes(last.3.centimes().saturating_add(e.amount_centimes));
            }
            _ => preview.by_employer.push((
                e.employer_id,
                e.affiliation_number.clone(),
                1,
                Amount::from_centimes(e.amount_centimes),
            )),
        }
        preview.surcharges += 1;
        preview.amount =
            Amount::from_centimes(preview.amount.centimes().saturating_add(e.amount_centimes));
    }
    preview.employers = preview.by_employer.len() as u64;
    preview
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn rates_round_down_per_scheme() {
        assert_eq!(apply_bp(1_221_000, 500), 61_050);
        assert_eq!(apply_bp(37_599, 500), 1_879); // 1879.95 → 1879
        assert_eq!(apply_bp(199, 100), 1);
        assert_eq!(apply_bp(0, 1500), 0);
    }

    #[test]
    fn months_of_delay_start_on_the_day_after_the_deadline_a_month_apart() {
        let deadline = d(2026, 12, 31);
        assert_eq!(delay_month_start(deadline, 1), d(2027, 1, 1));
        assert_eq!(delay_month_start(deadline, 2), d(2027, 2, 1));
        // 31 January + 1 month is the last day of February.
        assert_eq!(delay_month_start(d(2027, 1, 31), 2), d(2027, 3, 1));
        assert_eq!(delay_month_start(d(2027, 1, 15), 3), d(2027, 3, 16));
    }
}

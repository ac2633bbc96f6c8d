//! Payments received by another channel (transfer, cheque, counter, other) and their
//! allocation to what the employer owes, in one transaction with their ledger entries.
//!
//! Allocation rule: the money the employer has received and not yet allocated (this
//! payment and any earlier credit) pays its owed lines **whole, oldest first** — by the day
//! their declaration became due, then its period, then the line — and its owed surcharges
//! (recorded, not waived nor awaiting a waiver's approval, not paid; oldest first by the
//! day recorded), in the fund's stored order (`allocation_policy`, [`AllocationOrder`]:
//! shipped `principal_first` — every line before any surcharge, so the principal stops
//! further months of delay first; or `oldest_first`, or `surcharges_first`), and stops at
//! the first item it cannot pay whole (a line is never part-paid: a debit collects whole
//! lines; a surcharge neither). A surcharge paid is in `surcharge_allocations` with its
//! `allocation` entry (`allocation:P:surcharge:S`, its schemes from `unallocated`). The
//! three schemes of a line are paid together, so no order between schemes is needed. A
//! line can be paid this way while it is owed and not in a file: never collected
//! (`submitted`), owed again after a failure (`unpaid`), or in a debit still `planned`.
//! A line so paid leaves every plan: a planned debit holding it loses it — reduced and
//! announced again (`advance_notice:ID:vN`, the unsent previous notice withdrawn; its date
//! and earliest debit date stay: a smaller amount needs no new notice period) or, with no
//! line left, cancelled (`paid_otherwise`) and the employer told. Lines already in a file
//! are the bank's: what is left of the payment stays unallocated, a credit (`credit` memo
//! entry), and once those debits settle the employer's balance is below zero.
//!
//! Must not know: how the payment arrived (CLI, API or console call the same method).

use chrono::NaiveDate;
use mandates::Amount;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::audit::DetailValue::{Number, Text};
use super::audit::{Audit, AuditRows, detail_sql};
use super::notice_events::{
    NoticeEvents, NoticeKind, notify_cancelled_debits, withdraw_unsent_advance_notices,
};
use super::{Actor, Bind, Refusal, Store, StoreError, StoreResult};

::mandates::stored_codes! {
    /// How a payment reached the fund, other than a direct debit.
    pub enum PaymentChannel("payment channel") {
        Transfer = "transfer",
        Cheque = "cheque",
        Counter = "counter",
        Other = "other",
    }
}

/// The longest reference and note kept.
pub const PAYMENT_REFERENCE_MAX: usize = 70;
pub const PAYMENT_NOTE_MAX: usize = 500;

/// A payment to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayment {
    pub employer_id: i64,
    pub amount: Amount,
    pub received_on: NaiveDate,
    pub channel: PaymentChannel,
    pub reference: String,
    pub note: Option<String>,
}

/// A payment as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaymentRecord {
    pub id: i64,
    pub employer_id: i64,
    pub channel: PaymentChannel,
    pub reference: String,
    pub amount: Amount,
    pub received_on: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub created_at: String,
}

/// What recording a payment did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaymentOutcome {
    pub payment: PaymentRecord,
    /// Lines paid by it (whole), and their sum.
    pub lines_paid: u64,
    pub allocated: Amount,
    /// Planned debits that lost lines: reduced (and announced again) or cancelled.
    pub debits_reduced: Vec<i64>,
    pub debits_cancelled: Vec<i64>,
    /// What the employer has received and not allocated after it: its credit.
    pub unallocated: Amount,
}

#[derive(FromRow)]
struct PaymentRow {
    id: i64,
    employer_id: i64,
    #[sqlx(try_from = "String")]
    channel: PaymentChannel,
    reference: String,
    amount_centimes: i64,
    received_on: String,
    note: Option<String>,
    recorded_by: String,
    created_at: String,
}

impl From<PaymentRow> for PaymentRecord {
    fn from(r: PaymentRow) -> PaymentRecord {
        PaymentRecord {
            id: r.id,
            employer_id: r.employer_id,
            channel: r.channel,
            reference: r.reference,
            amount: Amount::from_centimes(r.amount_centimes),
            received_on: r.received_on,
            note: r.note,
            recorded_by: r.recorded_by,
            created_at: r.created_at,
        }
    }
}

/// An owed line a payment may pay.
#[derive(FromRow)]
struct OwedLine {
    id: i64,
    total: i64,
    collection_id: Option<i64>,
    due_from: String,
}

/// An owed surcharge a payment may pay: recorded, not waived (nor awaiting a waiver's
/// approval), not paid.
#[derive(FromRow)]
struct OwedSurcharge {
    id: i64,
    total: i64,
    accrued_on: String,
}

::mandates::stored_codes! {
    /// In which order money received pays what is owed (`allocation_policy`, data the
    /// fund can change).
    pub enum AllocationOrder("allocation order") {
        /// Contribution lines oldest first, then surcharges oldest first (shipped).
        PrincipalFirst = "principal_first",
        /// Lines (by their due day) and surcharges (by the day recorded) together, oldest
        /// first; a line before a surcharge of the same day.
        OldestFirst = "oldest_first",
        /// Surcharges oldest first, then lines oldest first.
        SurchargesFirst = "surcharges_first",
    }
}

/// One thing owed, in the order it is paid.
enum Owed<'a> {
    Line(&'a OwedLine),
    Surcharge(&'a OwedSurcharge),
}

impl Owed<'_> {
    fn total(&self) -> i64 {
        match self {
            Owed::Line(l) => l.total,
            Owed::Surcharge(s) => s.total,
        }
    }
}

/// The owed lines (in their order) and surcharges (in theirs) merged in `order`. Money
/// pays them whole in this order and stops at the first it cannot pay.
fn in_order<'a>(
    order: AllocationOrder,
    lines: &'a [OwedLine],
    surcharges: &'a [OwedSurcharge],
) -> Vec<Owed<'a>> {
    let lines = lines.iter().enumerate().map(|(n, l)| {
        let key = match order {
            AllocationOrder::PrincipalFirst => (0, String::new(), 0, n),
            AllocationOrder::SurchargesFirst => (1, String::new(), 0, n),
            AllocationOrder::OldestFirst => (0, l.due_from.clone(), 0, n),
        };
        (key, Owed::Line(l))
    });
    let surcharges = surcharges.iter().enumerate().map(|(n, s)| {
        let key = match order {
            AllocationOrder::PrincipalFirst => (1, String::new(), 1, n),
            AllocationOrder::SurchargesFirst => (0, String::new(), 1, n),
            AllocationOrder::OldestFirst => (0, s.accrued_on.clone(), 1, n),
        };
        (key, Owed::Surcharge(s))
    });
    let mut all: Vec<_> = lines.chain(surcharges).collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all.into_iter().map(|(_, owed)| owed).collect()
}

const PAYMENT_COLUMNS: &str = "id, employer_id, channel, reference, amount_centimes, received_on, note, \
     recorded_by, created_at";

impl Store {
    /// Records a payment received by another channel and allocates it (see the module):
    /// the payment, its ledger entries, the lines it pays, the planned debits it reduces or
    /// cancels with their notices, then the audit entries — one transaction. The same
    /// reference twice for the same employer and channel is refused.
    pub async fn record_payment(
        &self,
        actor: &Actor,
        new: NewPayment,
    ) -> StoreResult<PaymentOutcome> {
        let reference = new.reference.trim().to_owned();
        if reference.is_empty() || reference.chars().count() > PAYMENT_REFERENCE_MAX {
            return Err(StoreError::refused(
                Refusal::PaymentReference,
                format!(
                    "a payment needs its reference (the transfer, cheque or receipt number), at most {PAYMENT_REFERENCE_MAX} characters"
                ),
            ));
        }
        let note = new
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if note
            .as_deref()
            .is_some_and(|n| n.chars().count() > PAYMENT_NOTE_MAX)
        {
            return Err(StoreError::refused(
                Refusal::PaymentNote,
                format!("the note is longer than {PAYMENT_NOTE_MAX} characters"),
            ));
        }
        if new.amount <= Amount::ZERO {
            return Err(StoreError::refused(
                Refusal::PaymentAmount,
                "the amount of a payment must be above zero (for example 1234.50)",
            ));
        }
        let today = self.clock.today();
        if new.received_on > today {
            return Err(StoreError::refused(
                Refusal::PaymentInFuture,
                format!(
                    "the payment date {} is after today ({today}): record a payment once it is received",
                    new.received_on
                ),
            ));
        }
        let employer = self.employer(new.employer_id).await?;
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        // Planning and payments take turns (PostgreSQL; SQLite has one writer): a line is
        // never planned by one while the other pays it.
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let written = write_payment(
            &mut tx,
            self.backend.lock_rows(),
            actor,
            &new,
            &reference,
            note.as_deref(),
            &now,
        )
        .await?;
        let Some(written) = written else {
            return Err(StoreError::refused(
                Refusal::PaymentDuplicate,
                format!(
                    "a {} payment with reference {reference} is already recorded for employer {}; nothing recorded \
                     (check the reference, or look at the employer's statement)",
                    new.channel, employer.affiliation_number
                ),
            ));
        };
        let WrittenPayment {
            payment_id,
            done:
                Allocated {
                    lines_paid,
                    allocated,
                    reduced,
                    cancelled,
                    touched: _,
                    unallocated: remaining,
                    ..
                },
        } = written.clone();
        // The audit trail, last (it holds the chain's head until the commit).
        audit_payment(&mut tx, actor, &new, &written, &now).await?;
        tx.commit().await?;
        Ok(PaymentOutcome {
            payment: self.payment(payment_id).await?,
            lines_paid,
            allocated: Amount::from_centimes(allocated),
            debits_reduced: reduced,
            debits_cancelled: cancelled,
            unallocated: Amount::from_centimes(remaining.saturating_neg()),
        })
    }

    pub async fn payment(&self, id: i64) -> StoreResult<PaymentRecord> {
        sqlx::query_as::<_, PaymentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .map(PaymentRecord::from)
        .ok_or_else(|| StoreError::not_found("payment", id))
    }

    /// The employer's payments by other channels, newest first.
    pub async fn employer_payments(&self, employer_id: i64) -> StoreResult<Vec<PaymentRecord>> {
        Ok(sqlx::query_as::<_, PaymentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE employer_id = $1 ORDER BY received_on DESC, id DESC"
        )))
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(PaymentRecord::from)
        .collect())
    }
}

/// A payment written by [`write_payment`], and what its allocation did.
#[derive(Clone, Debug)]
pub(super) struct WrittenPayment {
    pub payment_id: i64,
    pub done: Allocated,
}

/// The core of recording a payment, in the caller's transaction (the console, CLI and API
/// through [`Store::record_payment`]; a matched incoming credit at import): the payment
/// (`reference` trimmed and checked), its `payment_received` entry, its allocation
/// ([`allocate_unallocated`]) and the credit memo for what is left. `None`: a payment with
/// this reference is already recorded for the employer and channel (nothing written).
/// Audit with [`audit_payment`], last.
pub(super) async fn write_payment(
    tx: &mut sqlx::AnyConnection,
    lock_rows: &str,
    actor: &Actor,
    new: &NewPayment,
    reference: &str,
    note: Option<&str>,
    now: &str,
) -> StoreResult<Option<WrittenPayment>> {
    let received_on = new.received_on.to_string();
    let payment_id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO payments (employer_id, channel, reference, amount_centimes, received_on, note, \
         recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (employer_id, channel, reference) DO NOTHING RETURNING id",
    )
    .bind(new.employer_id)
    .bind(new.channel.as_str())
    .bind(reference)
    .bind(new.amount.centimes())
    .bind(&received_on)
    .bind(note.map(str::to_owned))
    .bind(actor.as_str())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(payment_id) = payment_id else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
         unallocated_centimes, payment_id, recorded_at) \
         VALUES ($1, 'payment_received', $2, $3, $4, $4, $5, $6)",
    )
    .bind(new.employer_id)
    .bind(format!("payment:{payment_id}"))
    .bind(&received_on)
    .bind(-new.amount.centimes())
    .bind(payment_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let done = allocate_unallocated(
        &mut *tx,
        lock_rows,
        Allocate {
            employer_id: new.employer_id,
            payment_id,
            entry_date: &received_on,
            due_by: None,
            now,
        },
    )
    .await?;
    if done.unallocated < 0 {
        // Kept as a credit: for a debit already in a file (the employer ends in credit
        // once it settles), or until more is owed.
        sqlx::query(
            "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
             memo_centimes, payment_id, recorded_at) VALUES ($1, 'credit', $2, $3, 0, $4, $5, $6)",
        )
        .bind(new.employer_id)
        .bind(format!("credit:{payment_id}"))
        .bind(&received_on)
        .bind(done.unallocated.saturating_neg())
        .bind(payment_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    Ok(Some(WrittenPayment { payment_id, done }))
}

/// The audit entries of a payment written by [`write_payment`]: the debits it amended and
/// `payment.recorded`.
pub(super) async fn audit_payment(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    new: &NewPayment,
    written: &WrittenPayment,
    now: &str,
) -> StoreResult<()> {
    let WrittenPayment { payment_id, done } = written;
    audit_debits_amended(&mut *tx, actor, *payment_id, &done.touched, now).await?;
    Audit::new(actor, "payment.recorded")
        .on("employer", new.employer_id)
        .detail(json!({
            "payment_id": payment_id,
            "channel": new.channel.as_str(),
            "amount_centimes": new.amount.centimes(),
            "received_on": new.received_on.to_string(),
            "lines_paid": done.lines_paid,
            "surcharges_paid": done.surcharges_paid,
            "allocated_centimes": done.allocated,
            "debits_reduced": done.reduced,
            "debits_cancelled": done.cancelled,
        }))
        .record(tx, now)
        .await
}

/// Who is allocated, and how the entries are dated.
#[derive(Clone, Copy)]
pub(super) struct Allocate<'a> {
    pub employer_id: i64,
    /// The payment the allocations are recorded against: the one just received, or, when
    /// an earlier credit is used, the employer's latest payment.
    pub payment_id: i64,
    /// The day the allocation entries are dated: the payment's, or the day a credit is used.
    pub entry_date: &'a str,
    /// Only lines due by this day (their declaration's `due_from`), when given: a credit
    /// used never pays a declaration for a period not yet due (submitted early), which
    /// would lock it against correction. `None`: a payment received pays any owed line.
    pub due_by: Option<&'a str>,
    pub now: &'a str,
}

/// What [`allocate_unallocated`] did.
#[derive(Clone, Debug, Default)]
pub(super) struct Allocated {
    pub lines_paid: u64,
    /// Surcharges paid by it (whole).
    pub surcharges_paid: u64,
    /// What it paid: the lines and the surcharges.
    pub allocated: i64,
    pub reduced: Vec<i64>,
    pub cancelled: Vec<i64>,
    /// The planned debits that lost lines (reduced or cancelled), for the audit trail.
    pub touched: Vec<i64>,
    /// The employer's unallocated balance after (negative: a credit left).
    pub unallocated: i64,
}

/// The allocation core (see the module): what the employer has received and not
/// allocated pays its owed lines, whole, oldest first, stopping at the first it cannot
/// pay; the planned debits holding them are reduced or cancelled with their notices. Takes
/// no audit entry (the caller writes them last: [`audit_debits_amended`]). The employer's
/// row is held first (PostgreSQL), so two transactions never spend the same credit.
pub(super) async fn allocate_unallocated(
    tx: &mut sqlx::AnyConnection,
    lock_rows: &str,
    who: Allocate<'_>,
) -> StoreResult<Allocated> {
    let Allocate {
        employer_id,
        due_by,
        ..
    } = who;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM employers WHERE id = $1{lock_rows}"
    )))
    .bind(employer_id)
    .fetch_optional(&mut *tx)
    .await?;
    let unallocated: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(unallocated_centimes), 0) AS BIGINT) FROM ledger_entries WHERE employer_id = $1",
    )
    .bind(employer_id)
    .fetch_one(&mut *tx)
    .await?;
    if unallocated >= 0 {
        return Ok(Allocated {
            unallocated,
            ..Allocated::default()
        });
    }
    let owed = sqlx::query_as::<_, OwedLine>(sqlx::AssertSqlSafe(format!(
        "SELECT l.id, l.total_centimes AS total, c.id AS collection_id, d.due_from \
         FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
         LEFT JOIN collection_lines cl ON cl.declaration_line_id = l.id AND cl.live = 1 \
         LEFT JOIN collections c ON c.id = cl.collection_id \
         WHERE d.employer_id = $1 AND d.status = 'submitted' AND l.status = 'submitted' \
         AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id) \
         AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id) \
         AND (c.id IS NULL OR c.status = 'planned'){} \
         ORDER BY d.due_from, d.period, l.id{}",
        if due_by.is_some() {
            " AND d.due_from <= $2"
        } else {
            ""
        },
        if lock_rows.is_empty() {
            String::new()
        } else {
            format!("{lock_rows} OF l")
        }
    )));
    let owed: Vec<OwedLine> = match due_by {
        Some(day) => owed.bind(employer_id).bind(day),
        None => owed.bind(employer_id),
    }
    .fetch_all(&mut *tx)
    .await?;
    // Surcharges recorded (by `due_by` when given), not waived nor awaiting a waiver's
    // approval, not paid; held (PostgreSQL) so a waiver never waives one being paid.
    let surcharges = sqlx::query_as::<_, OwedSurcharge>(sqlx::AssertSqlSafe(format!(
        "SELECT s.id, s.amount_centimes AS total, s.accrued_on FROM surcharges s \
         WHERE s.employer_id = $1 AND s.accrued_on <= $2 \
         AND NOT EXISTS (SELECT 1 FROM surcharge_waiver_items i WHERE i.surcharge_id = s.id AND i.live = 1) \
         AND NOT EXISTS (SELECT 1 FROM surcharge_allocations sa WHERE sa.surcharge_id = s.id) \
         ORDER BY s.accrued_on, s.id{lock_rows}"
    )))
    .bind(employer_id)
    .bind(due_by.unwrap_or("9999-12-31"))
    .fetch_all(&mut *tx)
    .await?;
    let order: String =
        sqlx::query_scalar("SELECT surcharge_order FROM allocation_policy WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
    let order = AllocationOrder::parse(&order)?;
    let mut available = unallocated.saturating_neg();
    let mut paid: Vec<&OwedLine> = Vec::new();
    let mut paid_surcharges: Vec<&OwedSurcharge> = Vec::new();
    for item in in_order(order, &owed, &surcharges) {
        if item.total() > available {
            break;
        }
        available -= item.total();
        match item {
            Owed::Line(line) => paid.push(line),
            Owed::Surcharge(s) => paid_surcharges.push(s),
        }
    }
    let surcharges_allocated = pay_surcharges(&mut *tx, who, &paid_surcharges).await?;
    let lines = pay_lines(&mut *tx, lock_rows, who, &paid).await?;
    let allocated = lines.allocated.saturating_add(surcharges_allocated);
    Ok(Allocated {
        lines_paid: paid.len() as u64,
        surcharges_paid: paid_surcharges.len() as u64,
        allocated,
        unallocated: unallocated.saturating_add(allocated),
        ..lines
    })
}

/// The surcharges `paid` (whole) by the allocation of `who`: their allocations and their
/// `allocation` entries. Returns what they come to (nothing written when none).
async fn pay_surcharges(
    tx: &mut sqlx::AnyConnection,
    who: Allocate<'_>,
    paid: &[&OwedSurcharge],
) -> StoreResult<i64> {
    if paid.is_empty() {
        return Ok(0);
    }
    let Allocate {
        employer_id,
        payment_id,
        entry_date,
        now,
        ..
    } = who;
    for s in paid {
        sqlx::query(
            "INSERT INTO surcharge_allocations (payment_id, surcharge_id, amount_centimes, allocated_on) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(payment_id)
        .bind(s.id)
        .bind(s.total)
        .bind(entry_date)
        .execute(&mut *tx)
        .await?;
    }
    let ids = id_list(&paid.iter().map(|s| s.id).collect::<Vec<_>>());
    // The surcharges paid, in the ledger: moved from unallocated to their schemes.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
         paid_leave_centimes, bad_weather_employer_centimes, bad_weather_employee_centimes, \
         unallocated_centimes, payment_id, surcharge_id, recorded_at) \
         SELECT $1, 'allocation', 'allocation:' || CAST(a.payment_id AS TEXT) || ':surcharge:' || CAST(s.id AS TEXT), \
         $2, 0, -s.paid_leave_centimes, -s.bad_weather_employer_centimes, -s.bad_weather_employee_centimes, \
         s.amount_centimes, a.payment_id, s.id, $3 \
         FROM surcharge_allocations a JOIN surcharges s ON s.id = a.surcharge_id \
         WHERE a.payment_id = $4 AND s.id IN ({ids})"
    )))
    .bind(employer_id)
    .bind(entry_date)
    .bind(now)
    .bind(payment_id)
    .execute(&mut *tx)
    .await?;
    Ok(paid.iter().map(|s| s.total).sum())
}

/// The lines `paid` (whole) by the allocation of `who`: their allocations, their
/// `allocation` entries, and the planned debits that held them reduced or cancelled.
/// Returns what they come to in `allocated` and the debits in `reduced`, `cancelled` and
/// `touched` (the rest left at zero; nothing written when none).
async fn pay_lines(
    tx: &mut sqlx::AnyConnection,
    lock_rows: &str,
    who: Allocate<'_>,
    paid: &[&OwedLine],
) -> StoreResult<Allocated> {
    if paid.is_empty() {
        return Ok(Allocated::default());
    }
    let Allocate {
        employer_id,
        payment_id,
        entry_date,
        now,
        ..
    } = who;
    for line in paid {
        sqlx::query(
            "INSERT INTO payment_allocations (payment_id, declaration_line_id, amount_centimes, allocated_on) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(payment_id)
        .bind(line.id)
        .bind(line.total)
        .bind(entry_date)
        .execute(&mut *tx)
        .await?;
    }
    let lines = id_list(&paid.iter().map(|l| l.id).collect::<Vec<_>>());
    // The lines paid, in the ledger: moved from unallocated to their schemes.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
         paid_leave_centimes, bad_weather_employer_centimes, bad_weather_employee_centimes, \
         unallocated_centimes, declaration_line_id, payment_id, recorded_at) \
         SELECT $1, 'allocation', 'allocation:' || CAST(a.payment_id AS TEXT) || ':' || CAST(l.id AS TEXT), $2, 0, \
         -l.paid_leave_centimes, -l.bad_weather_employer_centimes, -l.bad_weather_employee_centimes, \
         l.paid_leave_centimes + l.bad_weather_employer_centimes + l.bad_weather_employee_centimes, \
         l.id, a.payment_id, $3 \
         FROM payment_allocations a JOIN declaration_lines l ON l.id = a.declaration_line_id \
         WHERE a.payment_id = $4 AND l.id IN ({lines})"
    )))
    .bind(employer_id)
    .bind(entry_date)
    .bind(now)
    .bind(payment_id)
    .execute(&mut *tx)
    .await?;
    // Planned debits that held paid lines lose them.
    let mut touched: Vec<i64> = paid.iter().filter_map(|l| l.collection_id).collect();
    touched.sort_unstable();
    touched.dedup();
    let (reduced, cancelled) = if touched.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        take_paid_lines_out(
            &mut *tx,
            &lines,
            &touched,
            LinesTakenOut::Paid,
            now,
            lock_rows,
        )
        .await?
    };
    Ok(Allocated {
        allocated: paid.iter().map(|l| l.total).sum(),
        reduced,
        cancelled,
        touched,
        ..Allocated::default()
    })
}

/// An audit entry for each planned debit an allocation reduced or cancelled (`touched`),
/// naming the payment. Written last by the caller: it takes the audit chain's head.
pub(super) async fn audit_debits_amended(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    payment_id: i64,
    touched: &[i64],
    now: &str,
) -> StoreResult<()> {
    if touched.is_empty() {
        return Ok(());
    }
    let ids = id_list(touched);
    AuditRows {
        action: "CASE WHEN c.status = 'cancelled' THEN 'collection.cancelled' ELSE 'collection.amended' END",
        entity: "collection",
        id: "c.id",
        detail: &detail_sql(&[
            ("collection_date", Text("c.collection_date")),
            ("amount_centimes", Number("c.amount_centimes")),
            ("notice_version", Number("c.notice_version")),
            ("payment_id", Number("$1")),
        ]),
        from: &format!("collections c WHERE c.id IN ({ids})"),
    }
    .record(tx, now, actor, &[Bind::Int(payment_id)])
    .await?;
    Ok(())
}

/// A credit used: an employer's earlier money, not yet allocated, paying lines.
#[derive(Clone, Debug)]
pub(super) struct CreditUsed {
    pub employer_id: i64,
    pub payment_id: i64,
    done: Allocated,
}

/// Uses the credit of every employer in credit among the payers matching `which` (SQL
/// over `p`, a row of `payments`, binds given): each pays its owed lines as a payment
/// would ([`allocate_unallocated`], dated `today`), only lines due by `due_by` (today, or
/// the date being planned). Called where lines become owed or
/// collectible — a failure applied, before a retry is planned; a date planned — so a
/// credit is never left beside a debit of the lines it could pay. Only employers that
/// ever paid by another channel are read: cheap at national scale. Audit with
/// [`audit_credits_used`], last.
pub(super) async fn use_credits(
    tx: &mut sqlx::AnyConnection,
    lock_rows: &str,
    which: &str,
    binds: &[Bind<'_>],
    today: &str,
    due_by: &str,
    now: &str,
) -> StoreResult<Vec<CreditUsed>> {
    let query = format!(
        "SELECT e.employer_id, CAST(MAX(e.payment_id) AS BIGINT) FROM ledger_entries e \
         WHERE e.employer_id IN (SELECT p.employer_id FROM payments p WHERE {which}) \
         GROUP BY e.employer_id HAVING SUM(e.unallocated_centimes) < 0 ORDER BY e.employer_id"
    );
    let mut select = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(query));
    for bind in binds {
        select = match *bind {
            Bind::Int(value) => select.bind(value),
            Bind::Text(value) => select.bind(value),
        };
    }
    let in_credit = select.fetch_all(&mut *tx).await?;
    let mut used = Vec::new();
    for (employer_id, payment_id) in in_credit {
        let done = allocate_unallocated(
            &mut *tx,
            lock_rows,
            Allocate {
                employer_id,
                payment_id,
                entry_date: today,
                due_by: Some(due_by),
                now,
            },
        )
        .await?;
        if done.lines_paid > 0 || done.surcharges_paid > 0 {
            used.push(CreditUsed {
                employer_id,
                payment_id,
                done,
            });
        }
    }
    Ok(used)
}

/// The audit entries of credits used: the debits amended, and `credit.used` per employer.
pub(super) async fn audit_credits_used(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    used: &[CreditUsed],
    now: &str,
) -> StoreResult<()> {
    for credit in used {
        audit_debits_amended(tx, actor, credit.payment_id, &credit.done.touched, now).await?;
        Audit::new(actor, "credit.used")
            .on("employer", credit.employer_id)
            .detail(json!({
                "payment_id": credit.payment_id,
                "lines_paid": credit.done.lines_paid,
                "surcharges_paid": credit.done.surcharges_paid,
                "allocated_centimes": credit.done.allocated,
                "debits_reduced": credit.done.reduced,
                "debits_cancelled": credit.done.cancelled,
                "unallocated_centimes": credit.done.unallocated,
            }))
            .record(tx, now)
            .await?;
    }
    Ok(())
}

pub(super) fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why lines left the planned debits holding them: the reason code a debit left without
/// any line is cancelled with (the employer's cancellation notice says it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LinesTakenOut {
    /// Paid by a payment or a credit (`paid_otherwise`).
    Paid,
    /// Written off by staff (`written_off`).
    WrittenOff,
}

impl LinesTakenOut {
    fn reason_code(self) -> &'static str {
        match self {
            LinesTakenOut::Paid => "paid_otherwise",
            LinesTakenOut::WrittenOff => "written_off",
        }
    }
}

/// The lines just paid or written off (`lines`, ids) taken out of the planned debits
/// `touched`: each is reduced to its remaining lines and announced again, or cancelled when
/// none is left (`why`'s reason code, the employer told if its notice went out). Returns
/// (reduced, cancelled).
pub(super) async fn take_paid_lines_out(
    tx: &mut sqlx::AnyConnection,
    lines: &str,
    touched: &[i64],
    why: LinesTakenOut,
    now: &str,
    lock_rows: &str,
) -> StoreResult<(Vec<i64>, Vec<i64>)> {
    let ids = id_list(touched);
    // The debits themselves, still planned, held until the commit (PostgreSQL): a run
    // recording them meanwhile has to finish first, and a debit it put in a file is then no
    // longer planned — its lines are the bank's, and paying them here would pay them twice.
    let still_planned: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM collections WHERE id IN ({ids}) AND status = 'planned' ORDER BY id{lock_rows}"
    )))
    .fetch_all(&mut *tx)
    .await?;
    if still_planned.len() != touched.len() {
        return Err(StoreError::Conflict(
            "a debit holding these lines was put in a bank file meanwhile; record the payment again"
                .to_owned(),
        ));
    }
    // The console's totals: these debits taken away as they are, added back as they end up.
    let counted = format!("collections c WHERE c.id IN ({ids})");
    super::collection_totals::shift(tx, super::collection_totals::Shift::Remove, &counted, &[])
        .await?;
    // Out of the debit altogether (not merely no longer live): a later attempt of it — an
    // automatic retry, a re-presentation — copies its lines, and must never copy these.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM collection_lines WHERE collection_id IN ({ids}) AND declaration_line_id IN ({lines})"
    )))
    .execute(&mut *tx)
    .await?;
    let live = "(SELECT COALESCE(CAST(SUM(cl.amount_centimes) AS BIGINT), 0) FROM collection_lines cl \
         WHERE cl.collection_id = collections.id AND cl.live <> 0)";
    let which = format!("c.id IN ({ids}) AND c.status = 'planned' AND $1 <> ''");
    withdraw_unsent_advance_notices(tx, &which, now).await?;
    let cancelled: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "UPDATE collections SET status = 'cancelled', reason_code = $2, updated_at = $1 \
         WHERE id IN ({ids}) AND status = 'planned' AND {live} = 0 RETURNING id"
    )))
    .bind(now)
    .bind(why.reason_code())
    .fetch_all(&mut *tx)
    .await?;
    if !cancelled.is_empty() {
        notify_cancelled_debits(
            tx,
            &format!(
                "c.id IN ({}) AND c.status = 'cancelled' AND $1 <> ''",
                id_list(&cancelled)
            ),
            now,
            now,
        )
        .await?;
    }
    // Reduced: a smaller amount on the same date needs no new notice period, so the
    // earliest debit date stays; the employer is told the new amount (`vN`).
    let reduced: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "UPDATE collections SET amount_centimes = {live}, announced_centimes = {live}, \
         notice_version = notice_version + 1, updated_at = $1 \
         WHERE id IN ({ids}) AND status = 'planned' AND {live} > 0 RETURNING id"
    )))
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    if !reduced.is_empty() {
        NoticeEvents::new(
            NoticeKind::AdvanceNotice,
            "c",
            &format!(
                "collections c WHERE c.id IN ({}) AND c.status = 'planned' AND $1 <> ''",
                id_list(&reduced)
            ),
        )
        .again("'v' || CAST(c.notice_version AS TEXT)")
        .record(tx, now, &[Bind::Text(now)])
        .await?;
    }
    if reduced.len() + cancelled.len() != touched.len() {
        return Err(StoreError::Conflict(
            "a debit holding these lines changed meanwhile; record the payment again".to_owned(),
        ));
    }
    super::collection_totals::shift(tx, super::collection_totals::Shift::Add, &counted, &[])
        .await?;
    Ok((reduced, cancelled))
}

impl Store {
    /// The order in which money received pays lines and surcharges (`allocation_policy`).
    pub async fn allocation_order(&self) -> StoreResult<AllocationOrder> {
        let order: String =
            sqlx::query_scalar("SELECT surcharge_order FROM allocation_policy WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(AllocationOrder::parse(&order)?)
    }

    /// Changes the allocation order, for every allocation from now on (what is already
    /// allocated stays). Audited.
    pub async fn set_allocation_order(
        &self,
        actor: &Actor,
        order: AllocationOrder,
    ) -> StoreResult<()> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE allocation_policy SET surcharge_order = $1, updated_by = $2, updated_at = $3 WHERE id = 1",
        )
        .bind(order.as_str())
        .bind(actor.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        Audit::new(actor, "allocation_policy.changed")
            .on("allocation_policy", 1)
            .detail(json!({"surcharge_order": order.as_str()}))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The id of the employer with this affiliation number.
    pub async fn employer_id_by_affiliation(&self, affiliation: &str) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT id FROM employers WHERE affiliation_number = $1")
            .bind(affiliation.trim())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("employer with affiliation number", affiliation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: i64, due_from: &str) -> OwedLine {
        OwedLine {
            id,
            total: 100,
            collection_id: None,
            due_from: due_from.to_owned(),
        }
    }

    fn surcharge(id: i64, accrued_on: &str) -> OwedSurcharge {
        OwedSurcharge {
            id,
            total: 10,
            accrued_on: accrued_on.to_owned(),
        }
    }

    fn ids(items: &[Owed<'_>]) -> Vec<String> {
        items
            .iter()
            .map(|o| match o {
                Owed::Line(l) => format!("L{}", l.id),
                Owed::Surcharge(s) => format!("S{}", s.id),
            })
            .collect()
    }

    #[test]
    fn the_stored_order_decides_between_lines_and_surcharges() {
        // Lines come sorted by due day (the query's order); surcharges by the day recorded.
        let lines = [line(1, "2026-11-01"), line(2, "2027-02-01")];
        let surcharges = [surcharge(7, "2027-01-16"), surcharge(8, "2027-02-01")];
        assert_eq!(
            ids(&in_order(
                AllocationOrder::PrincipalFirst,
                &lines,
                &surcharges
            )),
            ["L1", "L2", "S7", "S8"]
        );
        assert_eq!(
            ids(&in_order(
                AllocationOrder::SurchargesFirst,
                &lines,
                &surcharges
            )),
            ["S7", "S8", "L1", "L2"]
        );
        // Oldest first: a line before a surcharge of the same day.
        assert_eq!(
            ids(&in_order(AllocationOrder::OldestFirst, &lines, &surcharges)),
            ["L1", "S7", "L2", "S8"]
        );
    }
}

//! The employer's account with the fund: an append-only ledger (`ledger_entries`,
//! migration 0018) written in the transaction of each event that moves money or what is
//! owed, its balances (a query, at any date, per scheme and in total), and `ledger check`,
//! which recomputes every balance from the source tables.
//!
//! Sign convention: an entry's amount is what it changes in what the employer owes.
//! Positive: owed more (a due; a settled debit returned). Negative: owed less (a settled
//! debit; a payment by another channel). The balance is the sum — positive, the employer
//! owes; negative, it is in credit. Each entry is split over the three schemes of a line
//! and `unallocated` (money received that pays no line yet); memo entries (a debit
//! presented, a debit rejected before settlement, a credit kept) change nothing and carry
//! the amount they are about as a memo.
//!
//! Every writer here is set-based (one `INSERT … SELECT` for a whole run or report) and
//! idempotent: each entry has a unique key naming its event (`due:LINE:N`,
//! `presented:COLLECTION`, `settled:COLLECTION`, `failed:COLLECTION`, `payment:P`,
//! `allocation:P:LINE`, `credit:P`; surcharges and their waivers, `surcharges.rs`:
//! `surcharge:S`, `waiver:W:S`, `waiver_reversed:W:S`; a surcharge paid,
//! `allocation:P:surcharge:S`; provisional assessments, `assessments.rs`: `provisional:A`,
//! `provisional_increase:A`, `provisional_replaced:A`), and `ON CONFLICT DO NOTHING` makes
//! a replay write nothing.
//!
//! Must not know: who calls (declarations, runs, reconciliation, payments own their
//! transactions and call these writers inside them).

use chrono::NaiveDate;
use mandates::Amount;
use serde::Serialize;
use sqlx::FromRow;

use super::{Bind, Store, StoreResult};

/// The columns every money entry fills, in this order, after the employer and kind.
const SPLIT: &str = "amount_centimes, paid_leave_centimes, bad_weather_employer_centimes, \
     bad_weather_employee_centimes, unallocated_centimes";

/// The sum of a line's schemes over `l` (equal to its total: contributions round per
/// scheme, the total is their sum).
const LINE_TOTAL: &str =
    "l.paid_leave_centimes + l.bad_weather_employer_centimes + l.bad_weather_employee_centimes";

/// What a provisional assessment adds to each scheme: its base and its increase (SQL over
/// a row of `provisional_assessments`).
const ASSESSED_PL: &str = "base_paid_leave_centimes + increase_paid_leave_centimes";
const ASSESSED_BWR: &str =
    "base_bad_weather_employer_centimes + increase_bad_weather_employer_centimes";
const ASSESSED_BWE: &str =
    "base_bad_weather_employee_centimes + increase_bad_weather_employee_centimes";

/// What the employer owes, split as the ledger splits it. Positive: owed; negative: in
/// credit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Balance {
    pub paid_leave: Amount,
    pub bad_weather_employer: Amount,
    pub bad_weather_employee: Amount,
    /// Money received that pays no line yet (negative: a credit).
    pub unallocated: Amount,
    pub total: Amount,
}

#[derive(FromRow)]
struct BalanceRow {
    pl: i64,
    bwr: i64,
    bwe: i64,
    un: i64,
}

impl From<BalanceRow> for Balance {
    fn from(r: BalanceRow) -> Balance {
        Balance {
            paid_leave: Amount::from_centimes(r.pl),
            bad_weather_employer: Amount::from_centimes(r.bwr),
            bad_weather_employee: Amount::from_centimes(r.bwe),
            unallocated: Amount::from_centimes(r.un),
            total: Amount::from_centimes(
                r.pl.saturating_add(r.bwr)
                    .saturating_add(r.bwe)
                    .saturating_add(r.un),
            ),
        }
    }
}

/// An employer whose ledger disagrees with what the source tables say it owes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerDifference {
    pub employer_id: i64,
    pub affiliation_number: String,
    pub ledger: Balance,
    pub sources: Balance,
}

/// One employer's sums by the source records (`pl`…) and by its ledger (`xpl`…).
#[derive(FromRow)]
struct DifferenceRow {
    employer_id: i64,
    affiliation_number: String,
    pl: i64,
    bwr: i64,
    bwe: i64,
    un: i64,
    xpl: i64,
    xbwr: i64,
    xbwe: i64,
    xun: i64,
}

/// What `ledger check` found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LedgerCheck {
    /// Employers with a ledger entry or a source record.
    pub employers: u64,
    pub entries: u64,
    /// The employers that differ, by employer id (at most [`LEDGER_CHECK_LIMIT`]).
    pub differences: Vec<LedgerDifference>,
}

/// At most this many differences are listed by [`Store::check_ledger`].
pub const LEDGER_CHECK_LIMIT: i64 = 50;

::mandates::stored_codes! {
    /// What a ledger entry records.
    pub enum EntryKind("ledger entry kind") {
        Due = "due",
        DueWithdrawn = "due_withdrawn",
        DebitPresented = "debit_presented",
        Settled = "settled",
        Rejected = "rejected",
        Returned = "returned",
        PaymentReceived = "payment_received",
        Allocation = "allocation",
        Refund = "refund",
        Credit = "credit",
        WriteOff = "write_off",
        Surcharge = "surcharge",
        Waiver = "waiver",
    }
}

/// One entry as a statement shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    pub id: i64,
    pub kind: EntryKind,
    pub entry_date: String,
    pub amount: Amount,
    pub memo: Amount,
    pub declaration_line_id: Option<i64>,
    pub collection_id: Option<i64>,
    pub payment_id: Option<i64>,
    /// The period of the line it is about, when it is about a line still declared.
    pub period: Option<String>,
    /// What explains a `surcharge` or `waiver` entry: the surcharge it is about.
    pub surcharge: Option<super::surcharges::SurchargeFacts>,
    /// A debit's entry collecting instalments of a payment plan: the plan and its first
    /// instalment among the debit's lines.
    pub plan_instalment: Option<(i64, i64)>,
}

#[derive(FromRow)]
struct EntryRow {
    id: i64,
    #[sqlx(try_from = "String")]
    kind: EntryKind,
    entry_date: String,
    amount_centimes: i64,
    memo_centimes: i64,
    declaration_line_id: Option<i64>,
    collection_id: Option<i64>,
    payment_id: Option<i64>,
    period: Option<String>,
    s_kind: Option<String>,
    s_month: Option<i64>,
    s_base: Option<i64>,
    s_rate_bp: Option<i64>,
    s_deadline: Option<String>,
    s_days_late: Option<i64>,
    s_period: Option<String>,
    s_source: Option<String>,
    plan_id: Option<i64>,
    plan_number: Option<i64>,
}

impl Store {
    /// The employer's balance on `on` (entries dated on or before it), or today's
    /// whole ledger when `on` is `None`.
    pub async fn employer_balance(
        &self,
        employer_id: i64,
        on: Option<NaiveDate>,
    ) -> StoreResult<Balance> {
        let on = on.map_or_else(|| "9999-12-31".to_owned(), |d| d.to_string());
        let row = sqlx::query_as::<_, BalanceRow>(
            "SELECT CAST(COALESCE(SUM(paid_leave_centimes), 0) AS BIGINT) AS pl, \
             CAST(COALESCE(SUM(bad_weather_employer_centimes), 0) AS BIGINT) AS bwr, \
             CAST(COALESCE(SUM(bad_weather_employee_centimes), 0) AS BIGINT) AS bwe, \
             CAST(COALESCE(SUM(unallocated_centimes), 0) AS BIGINT) AS un \
             FROM ledger_entries WHERE employer_id = $1 AND entry_date <= $2",
        )
        .bind(employer_id)
        .bind(on)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }

    /// The employer's entries in the order they count (date, then as written).
    pub async fn ledger_entries(&self, employer_id: i64) -> StoreResult<Vec<LedgerEntry>> {
        let rows = sqlx::query_as::<_, EntryRow>(
            "SELECT e.id, e.kind, e.entry_date, e.amount_centimes, e.memo_centimes, e.declaration_line_id, \
             e.collection_id, e.payment_id, \
             COALESCE((SELECT d.period FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
              WHERE l.id = e.declaration_line_id AND d.employer_id = e.employer_id), pa.period) AS period, \
             COALESCE(s.kind, CASE WHEN pa.id IS NOT NULL THEN 'provisional_assessment' END) AS s_kind, \
             COALESCE(s.month, CASE WHEN pa.id IS NOT NULL THEN 1 END) AS s_month, \
             COALESCE(s.base_centimes, pa.base_centimes) AS s_base, COALESCE(s.rate_bp, pa.rate_bp) AS s_rate_bp, \
             COALESCE(s.deadline, pa.deadline) AS s_deadline, \
             COALESCE(s.days_late, CASE WHEN pa.id IS NOT NULL THEN 0 END) AS s_days_late, \
             COALESCE(sd.period, pa.period) AS s_period, COALESCE(r.source, pr.source) AS s_source, \
             (SELECT MIN(ppl.plan_id) FROM collection_lines cl JOIN payment_plan_lines ppl \
              ON ppl.declaration_line_id = cl.declaration_line_id WHERE cl.collection_id = e.collection_id) AS plan_id, \
             (SELECT MIN(ppl.number) FROM collection_lines cl JOIN payment_plan_lines ppl \
              ON ppl.declaration_line_id = cl.declaration_line_id WHERE cl.collection_id = e.collection_id) AS plan_number \
             FROM ledger_entries e LEFT JOIN surcharges s ON s.id = e.surcharge_id \
             LEFT JOIN declarations sd ON sd.id = s.declaration_id \
             LEFT JOIN surcharge_rules r ON r.id = s.rule_id \
             LEFT JOIN provisional_assessments pa ON pa.id = e.assessment_id \
             LEFT JOIN surcharge_rules pr ON pr.id = pa.rule_id \
             WHERE e.employer_id = $1 ORDER BY e.entry_date, e.id",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let surcharge = match (r.s_kind, r.s_month, r.s_base, r.s_rate_bp) {
                    (Some(kind), Some(month), Some(base), Some(rate_bp)) => {
                        Some(super::surcharges::SurchargeFacts {
                            kind: kind.parse()?,
                            month,
                            base: Amount::from_centimes(base),
                            rate_bp,
                            deadline: r.s_deadline.unwrap_or_default(),
                            days_late: r.s_days_late.unwrap_or_default(),
                            period: r.s_period.unwrap_or_default(),
                            rule_source: r.s_source.unwrap_or_default(),
                        })
                    }
                    _ => None,
                };
                Ok(LedgerEntry {
                    id: r.id,
                    kind: r.kind,
                    entry_date: r.entry_date,
                    amount: Amount::from_centimes(r.amount_centimes),
                    memo: Amount::from_centimes(r.memo_centimes),
                    declaration_line_id: r.declaration_line_id,
                    collection_id: r.collection_id,
                    payment_id: r.payment_id,
                    period: r.period,
                    surcharge,
                    plan_instalment: r.plan_id.zip(r.plan_number),
                })
            })
            .collect()
    }

    /// Recomputes what every employer owes from the source tables — declared lines (dues),
    /// the lines of settled debits, payments and the lines they paid, lines written off
    /// (`line_write_offs`), refunds sent and not rejected, credits granted by upheld
    /// disputes (undone when their debit failed afterwards), surcharges (`surcharges`) and
    /// applied waivers of them (`surcharge_waiver_items`; a reversed waiver nets to
    /// nothing), the surcharges payments paid (`surcharge_allocations`), provisional
    /// assessments (base and increase) and their reversal once replaced by the declaration
    /// (`provisional_assessments`) — and compares it,
    /// scheme by scheme, with the sum of its ledger entries. Reads only.
    pub async fn check_ledger(&self) -> StoreResult<LedgerCheck> {
        let sources = format!(
            "SELECT d.employer_id AS e, l.paid_leave_centimes AS pl, l.bad_weather_employer_centimes AS bwr, \
               l.bad_weather_employee_centimes AS bwe, 0 AS un, 0 AS xpl, 0 AS xbwr, 0 AS xbwe, 0 AS xun \
             FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
             WHERE d.status = 'submitted' AND l.status = 'submitted' \
             UNION ALL \
             SELECT c.employer_id, -l.paid_leave_centimes, -l.bad_weather_employer_centimes, \
               -l.bad_weather_employee_centimes, 0, 0, 0, 0, 0 \
             FROM collections c JOIN collection_lines cl ON cl.collection_id = c.id AND cl.live = 1 \
             JOIN declaration_lines l ON l.id = cl.declaration_line_id WHERE c.status = 'settled' \
             UNION ALL \
             SELECT p.employer_id, 0, 0, 0, -p.amount_centimes, 0, 0, 0, 0 FROM payments p \
             UNION ALL \
             SELECT p.employer_id, -l.paid_leave_centimes, -l.bad_weather_employer_centimes, \
               -l.bad_weather_employee_centimes, {LINE_TOTAL}, 0, 0, 0, 0 \
             FROM payment_allocations a JOIN payments p ON p.id = a.payment_id \
             JOIN declaration_lines l ON l.id = a.declaration_line_id \
             UNION ALL \
             SELECT w.employer_id, -l.paid_leave_centimes, -l.bad_weather_employer_centimes, \
               -l.bad_weather_employee_centimes, 0, 0, 0, 0, 0 \
             FROM line_write_offs w JOIN declaration_lines l ON l.id = w.declaration_line_id \
             UNION ALL \
             SELECT r.employer_id, 0, 0, 0, r.amount_centimes, 0, 0, 0, 0 FROM refunds r \
             WHERE r.refund_file_id IS NOT NULL \
             UNION ALL \
             SELECT r.employer_id, 0, 0, 0, -r.amount_centimes, 0, 0, 0, 0 FROM refunds r \
             WHERE r.status = 'rejected' \
             UNION ALL \
             SELECT k.employer_id, 0, 0, 0, -k.amount_centimes, 0, 0, 0, 0 FROM account_credits k \
             UNION ALL \
             SELECT k.employer_id, 0, 0, 0, k.amount_centimes, 0, 0, 0, 0 FROM account_credits k \
             JOIN disputes d ON d.id = k.dispute_id JOIN collections c ON c.id = d.collection_id \
             WHERE c.status IN ('rejected', 'returned', 'retry_planned') \
             UNION ALL \
             SELECT employer_id, paid_leave_centimes, bad_weather_employer_centimes, \
               bad_weather_employee_centimes, 0, 0, 0, 0, 0 FROM surcharges \
             UNION ALL \
             SELECT s.employer_id, -s.paid_leave_centimes, -s.bad_weather_employer_centimes, \
               -s.bad_weather_employee_centimes, 0, 0, 0, 0, 0 \
             FROM surcharge_waiver_items i JOIN surcharge_waivers w ON w.id = i.waiver_id \
             JOIN surcharges s ON s.id = i.surcharge_id WHERE w.status = 'applied' \
             UNION ALL \
             SELECT p.employer_id, -s.paid_leave_centimes, -s.bad_weather_employer_centimes, \
               -s.bad_weather_employee_centimes, s.amount_centimes, 0, 0, 0, 0 \
             FROM surcharge_allocations a JOIN payments p ON p.id = a.payment_id \
             JOIN surcharges s ON s.id = a.surcharge_id \
             UNION ALL \
             SELECT employer_id, {ASSESSED_PL}, {ASSESSED_BWR}, {ASSESSED_BWE}, 0, 0, 0, 0, 0 \
             FROM provisional_assessments \
             UNION ALL \
             SELECT employer_id, -({ASSESSED_PL}), -({ASSESSED_BWR}), -({ASSESSED_BWE}), 0, 0, 0, 0, 0 \
             FROM provisional_assessments WHERE status = 'replaced' \
             UNION ALL \
             SELECT employer_id, 0, 0, 0, 0, paid_leave_centimes, bad_weather_employer_centimes, \
               bad_weather_employee_centimes, unallocated_centimes FROM ledger_entries"
        );
        let sum = |c: &str| format!("CAST(SUM({c}) AS BIGINT) AS {c}");
        let columns = ["pl", "bwr", "bwe", "un", "xpl", "xbwr", "xbwe", "xun"]
            .map(sum)
            .join(", ");
        let rows = sqlx::query_as::<_, DifferenceRow>(sqlx::AssertSqlSafe(format!(
            "SELECT g.e AS employer_id, m.affiliation_number, g.pl, g.bwr, g.bwe, g.un, g.xpl, g.xbwr, g.xbwe, g.xun \
             FROM (SELECT e, {columns} FROM ({sources}) s GROUP BY e) g \
             JOIN employers m ON m.id = g.e \
             WHERE g.pl <> g.xpl OR g.bwr <> g.xbwr OR g.bwe <> g.xbwe OR g.un <> g.xun \
             ORDER BY g.e LIMIT {LEDGER_CHECK_LIMIT}"
        )))
        .fetch_all(&self.pool)
        .await?;
        let (employers, entries): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(DISTINCT employer_id) FROM ledger_entries), (SELECT COUNT(*) FROM ledger_entries)",
        )
        .fetch_one(&self.pool)
        .await?;
        let balance = |pl, bwr, bwe, un| Balance::from(BalanceRow { pl, bwr, bwe, un });
        Ok(LedgerCheck {
            employers: u64::try_from(employers).unwrap_or(0),
            entries: u64::try_from(entries).unwrap_or(0),
            differences: rows
                .into_iter()
                .map(|r| LedgerDifference {
                    employer_id: r.employer_id,
                    affiliation_number: r.affiliation_number,
                    sources: balance(r.pl, r.bwr, r.bwe, r.un),
                    ledger: balance(r.xpl, r.xbwr, r.xbwe, r.xun),
                })
                .collect(),
        })
    }
}

/// The due entries of the declared lines matching `which` (SQL over `l` and its
/// declaration `d`, binds `$1`… given), dated on the day the declaration becomes due.
/// `N` in the key counts the dues of that line id (a correction replaces lines; SQLite may
/// give a new line the id of a deleted one, whose due was withdrawn): a line gets a due
/// only while its id has as many withdrawals as dues, so writing twice writes once.
pub(super) async fn record_dues(
    tx: &mut sqlx::AnyConnection,
    which: &str,
    binds: &[Bind<'_>],
    now: &str,
) -> StoreResult<u64> {
    let now_n = binds.len() + 1;
    let query = format!(
        "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, {SPLIT}, declaration_line_id, recorded_at) \
         SELECT d.employer_id, 'due', 'due:' || CAST(l.id AS TEXT) || ':' || CAST(1 + (SELECT COUNT(*) \
           FROM ledger_entries x WHERE x.declaration_line_id = l.id AND x.kind = 'due') AS TEXT), d.due_from, \
         {LINE_TOTAL}, l.paid_leave_centimes, l.bad_weather_employer_centimes, l.bad_weather_employee_centimes, 0, \
         l.id, ${now_n} \
         FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
         WHERE d.status = 'submitted' AND l.status = 'submitted' AND {which} \
         AND {DUES} = {WITHDRAWN} \
         ON CONFLICT (entry_key) DO NOTHING"
    );
    let query = Bind::all(sqlx::query(sqlx::AssertSqlSafe(query)), binds).bind(now);
    Ok(query.execute(&mut *tx).await?.rows_affected())
}

/// How many dues, and withdrawals of dues, the ledger holds for line id `l.id`.
const DUES: &str =
    "(SELECT COUNT(*) FROM ledger_entries x WHERE x.declaration_line_id = l.id AND x.kind = 'due')";
const WITHDRAWN: &str = "(SELECT COUNT(*) FROM ledger_entries x WHERE x.declaration_line_id = l.id AND x.kind = 'due_withdrawn')";

/// The dues of the lines matching `which` (as [`record_dues`]) withdrawn, just before a
/// correction deletes them: the opposite of each line's due, on the same date.
pub(super) async fn withdraw_dues(
    tx: &mut sqlx::AnyConnection,
    which: &str,
    binds: &[Bind<'_>],
    now: &str,
) -> StoreResult<u64> {
    let now_n = binds.len() + 1;
    let query = format!(
        "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, {SPLIT}, declaration_line_id, recorded_at) \
         SELECT d.employer_id, 'due_withdrawn', 'withdrawn:' || CAST(l.id AS TEXT) || ':' || CAST(1 + {WITHDRAWN} AS TEXT), d.due_from, \
         -({LINE_TOTAL}), -l.paid_leave_centimes, -l.bad_weather_employer_centimes, -l.bad_weather_employee_centimes, 0, \
         l.id, ${now_n} \
         FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
         WHERE d.status = 'submitted' AND l.status = 'submitted' AND {which} \
         AND {DUES} > {WITHDRAWN} \
         ON CONFLICT (entry_key) DO NOTHING"
    );
    let query = Bind::all(sqlx::query(sqlx::AssertSqlSafe(query)), binds).bind(now);
    Ok(query.execute(&mut *tx).await?.rows_affected())
}

/// A `debit_presented` memo for each collection matching `which` (SQL over `c` and
/// whatever `from` joins, binds given): the amount handed to the bank, on its date.
pub(super) async fn record_presented(
    tx: &mut sqlx::AnyConnection,
    from: &str,
    binds: &[Bind<'_>],
    now: &str,
) -> StoreResult<u64> {
    let now_n = binds.len() + 1;
    let query = format!(
        "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, {SPLIT}, memo_centimes, collection_id, recorded_at) \
         SELECT c.employer_id, 'debit_presented', 'presented:' || CAST(c.id AS TEXT), c.collection_date, \
         0, 0, 0, 0, 0, c.amount_centimes, c.id, ${now_n} FROM {from} \
         ON CONFLICT (entry_key) DO NOTHING"
    );
    let query = Bind::all(sqlx::query(sqlx::AssertSqlSafe(query)), binds).bind(now);
    Ok(query.execute(&mut *tx).await?.rows_affected())
}

/// A `settled` entry for each settled collection matching `which` (SQL over `c`, binds
/// given): the money received, split over the schemes of its lines, on the day it settled
/// (`settled_on`: the entry's booking date, else the day the settlement window closed on
/// it; the collection date only for a debit settled before that was kept).
pub(super) async fn record_settled(
    tx: &mut sqlx::AnyConnection,
    which: &str,
    binds: &[Bind<'_>],
    now: &str,
) -> StoreResult<u64> {
    let now_n = binds.len() + 1;
    let neg = |c: &str| format!("-CAST(SUM(l.{c}) AS BIGINT)");
    let query = format!(
        "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, {SPLIT}, collection_id, report_id, recorded_at) \
         SELECT c.employer_id, 'settled', 'settled:' || CAST(c.id AS TEXT), COALESCE(c.settled_on, c.collection_date), \
         -CAST(SUM({LINE_TOTAL}) AS BIGINT), {pl}, {bwr}, {bwe}, 0, c.id, c.report_id, ${now_n} \
         FROM collections c JOIN collection_lines cl ON cl.collection_id = c.id AND cl.live <> 0 \
         JOIN declaration_lines l ON l.id = cl.declaration_line_id \
         WHERE c.status = 'settled' AND {which} \
         GROUP BY c.id, c.employer_id, c.settled_on, c.collection_date, c.report_id \
         ON CONFLICT (entry_key) DO NOTHING",
        pl = neg("paid_leave_centimes"),
        bwr = neg("bad_weather_employer_centimes"),
        bwe = neg("bad_weather_employee_centimes"),
    );
    let query = Bind::all(sqlx::query(sqlx::AssertSqlSafe(query)), binds).bind(now);
    Ok(query.execute(&mut *tx).await?.rows_affected())
}

/// The failures of report `report_id` (its `report_failures` table): a debit returned after
/// it was settled owes its lines again (`returned`, the opposite of its `settled` entry);
/// one rejected or returned before it settled took nothing (a `rejected` or `returned`
/// memo). Dated `today`.
pub(super) async fn record_failures(
    tx: &mut sqlx::AnyConnection,
    report_id: i64,
    today: &str,
    now: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, paid_leave_centimes, \
         bad_weather_employer_centimes, bad_weather_employee_centimes, unallocated_centimes, memo_centimes, \
         collection_id, report_id, recorded_at) \
         SELECT e.employer_id, 'returned', 'failed:' || CAST(f.collection_id AS TEXT), $2, -e.amount_centimes, \
         -e.paid_leave_centimes, -e.bad_weather_employer_centimes, -e.bad_weather_employee_centimes, \
         -e.unallocated_centimes, 0, f.collection_id, $1, $3 \
         FROM report_failures f JOIN ledger_entries e ON e.entry_key = 'settled:' || CAST(f.collection_id AS TEXT) \
         WHERE f.report_id = $1 \
         ON CONFLICT (entry_key) DO NOTHING",
    )
    .bind(report_id)
    .bind(today)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, memo_centimes, \
         collection_id, report_id, recorded_at) \
         SELECT c.employer_id, CASE WHEN f.effect = 'reject' THEN 'rejected' ELSE 'returned' END, \
         'failed:' || CAST(c.id AS TEXT), $2, 0, c.amount_centimes, c.id, $1, $3 \
         FROM report_failures f JOIN collections c ON c.id = f.collection_id WHERE f.report_id = $1 \
         ON CONFLICT (entry_key) DO NOTHING",
    )
    .bind(report_id)
    .bind(today)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// An employer's account as a statement shows it: from an opening balance, each entry with
/// the balance after it, and what is owed by age.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub employer_id: i64,
    /// Entries dated on or after this day are listed; those before make the opening
    /// balance (`None`: from the first entry, opening at zero).
    pub from: Option<String>,
    /// Entries dated after this day are left out (`None`: up to the last entry).
    pub to: Option<String>,
    pub opening: Amount,
    pub lines: Vec<StatementLine>,
    pub closing: Amount,
    /// Received and not allocated to any line (negative: the employer's credit).
    pub unallocated: Amount,
    pub aging: Aging,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub entry: LedgerEntry,
    /// The balance after this entry.
    pub balance: Amount,
}

/// What is owed by age — declared lines not paid by a settled debit or another payment,
/// by the days since their due date (the day their declaration became due) on the
/// statement's day; a line not yet due counts in the first bucket. Surcharges owed (not
/// waived, not paid) count from the day they were recorded, a provisional assessment not
/// yet replaced by its declaration from the day its period became due — the same items as
/// the fund-wide receivables (`receivables.rs`), so every employer's aging adds up to them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Aging {
    pub up_to_30: Amount,
    pub from_31_to_90: Amount,
    pub from_91_to_180: Amount,
    pub over_180: Amount,
}

impl Store {
    /// The employer's statement on `today`, listing entries from `from` on.
    pub async fn statement(
        &self,
        employer_id: i64,
        from: Option<NaiveDate>,
        today: NaiveDate,
    ) -> StoreResult<Statement> {
        self.statement_between(employer_id, from, None, today).await
    }

    /// The employer's statement on `today` for the period `from`–`to` (both included, each
    /// optional): the balance before `from` opens it, entries after `to` are left out, and
    /// what is owed by age is on `today`.
    pub async fn statement_between(
        &self,
        employer_id: i64,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> StoreResult<Statement> {
        let until = to.map(|d| d.to_string());
        let opening = match from.and_then(|d| d.pred_opt()) {
            Some(before) => {
                self.employer_balance(employer_id, Some(before))
                    .await?
                    .total
            }
            None => Amount::ZERO,
        };
        let since = from.map(|d| d.to_string());
        let mut balance = opening.centimes();
        let mut lines = Vec::new();
        for entry in self.ledger_entries(employer_id).await? {
            if since
                .as_deref()
                .is_some_and(|s| entry.entry_date.as_str() < s)
                || until
                    .as_deref()
                    .is_some_and(|u| entry.entry_date.as_str() > u)
            {
                continue;
            }
            balance = balance.saturating_add(entry.amount.centimes());
            lines.push(StatementLine {
                entry,
                balance: Amount::from_centimes(balance),
            });
        }
        let whole = self.employer_balance(employer_id, None).await?;
        // What is owed, as the fund-wide receivables count it (`receivables::owed_items`):
        // declared lines, surcharges and provisional assessments, each by its day.
        let owed: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT o.due_on, o.paid_leave_centimes + o.bad_weather_employer_centimes \
             + o.bad_weather_employee_centimes FROM ({}) o",
            super::receivables::owed_items(|employer| format!("{employer} = $1"))
        )))
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        let mut aging = [0i64; 4];
        for (due_from, total) in owed {
            let due = super::parse_date("due date", &due_from)?;
            let days = (today - due).num_days();
            let slot = match days {
                ..=30 => 0,
                31..=90 => 1,
                91..=180 => 2,
                _ => 3,
            };
            aging[slot] = aging[slot].saturating_add(total);
        }
        Ok(Statement {
            employer_id,
            from: since,
            to: until,
            opening,
            lines,
            closing: Amount::from_centimes(balance),
            unallocated: whole.unallocated,
            aging: Aging {
                up_to_30: Amount::from_centimes(aging[0]),
                from_31_to_90: Amount::from_centimes(aging[1]),
                from_91_to_180: Amount::from_centimes(aging[2]),
                over_180: Amount::from_centimes(aging[3]),
            },
        })
    }
}

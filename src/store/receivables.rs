//! What the fund is owed, fund-wide and by age, and the accounting journal of the ledger's
//! movements (issue 15 points 6 and 8).
//!
//! Owed ([`owed_items`], the one definition an employer's statement ages too,
//! [`Store::statement`]): a declared line (declaration and line submitted) that no settled
//! debit, no payment by another channel and no write-off has paid, dated from its due date
//! (the day its declaration became due, `declarations.due_from`); a surcharge neither
//! waived by an applied waiver nor paid, dated from the day it was recorded; a provisional
//! assessment not yet replaced by its declaration (its base and its increase), dated from
//! the day its period became due. An item's age on a day is the number of days since that
//! date; one not yet due is 0 days old. Buckets: 0–30, 31–90, 91–180 and over 180 days. So
//! the fund-wide figures are the sum of every employer's statement aging. Every figure is
//! one set-based query grouped in SQL (the dates compared as `YYYY-MM-DD` text against
//! cut-off days computed once), so it stays fast at 100 000 employers; the employers owing
//! page by keyset on their id.
//!
//! The journal lists the ledger's entries dated within a range, one per entry, with what
//! they change per scheme, and their totals per day and kind; migration 0025 indexes the
//! entries by date for it.

use chrono::{Days, NaiveDate};
use mandates::Amount;
use serde::Serialize;
use sqlx::FromRow;

use super::ledger::EntryKind;
use super::{Store, StoreResult};

/// Owed amounts by age, split by scheme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AgeBuckets {
    pub up_to_30: Amount,
    pub from_31_to_90: Amount,
    pub from_91_to_180: Amount,
    pub over_180: Amount,
    pub total: Amount,
}

impl AgeBuckets {
    fn of(b: [i64; 4]) -> AgeBuckets {
        AgeBuckets {
            up_to_30: Amount::from_centimes(b[0]),
            from_31_to_90: Amount::from_centimes(b[1]),
            from_91_to_180: Amount::from_centimes(b[2]),
            over_180: Amount::from_centimes(b[3]),
            total: Amount::from_centimes(b.iter().fold(0i64, |t, x| t.saturating_add(*x))),
        }
    }
}

/// What the whole fund is owed on a day: by age in total and per scheme.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Receivables {
    pub on: String,
    /// Employers owing at least one item.
    pub employers: u64,
    /// Items owed: declared lines, surcharges and provisional assessments.
    pub lines: u64,
    pub total: AgeBuckets,
    pub paid_leave: AgeBuckets,
    pub bad_weather_employer: AgeBuckets,
    pub bad_weather_employee: AgeBuckets,
}

/// One employer owing, by age.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EmployerOwing {
    pub employer_id: i64,
    pub affiliation_number: String,
    pub name: String,
    pub name_ar: Option<String>,
    /// Items owed: declared lines, surcharges and provisional assessments.
    pub lines: u64,
    pub owed: AgeBuckets,
}

/// Entries per page of the journal's exports ([`Store::journal_page`]).
pub const JOURNAL_PAGE: i64 = 5000;

/// At most this many employers in one page of [`Store::employers_owing`].
pub const OWING_PAGE_MAX: i64 = 1000;

/// One ledger entry in the accounting journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    pub id: i64,
    pub entry_date: String,
    pub affiliation_number: String,
    pub kind: EntryKind,
    pub amount: Amount,
    pub paid_leave: Amount,
    pub bad_weather_employer: Amount,
    pub bad_weather_employee: Amount,
    pub unallocated: Amount,
    /// The amount a memo entry is about (a debit presented, rejected before settlement).
    pub memo: Amount,
    /// What it is about: the debit's end-to-end reference, the payment's reference, or the
    /// declared period of the line.
    pub reference: String,
}

/// The journal's totals for one day and kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JournalTotal {
    pub entry_date: String,
    pub kind: EntryKind,
    pub entries: u64,
    pub amount: Amount,
    pub paid_leave: Amount,
    pub bad_weather_employer: Amount,
    pub bad_weather_employee: Amount,
    pub unallocated: Amount,
    pub memo: Amount,
}

#[derive(FromRow)]
struct JournalRow {
    id: i64,
    entry_date: String,
    affiliation_number: String,
    #[sqlx(try_from = "String")]
    kind: EntryKind,
    amount_centimes: i64,
    paid_leave_centimes: i64,
    bad_weather_employer_centimes: i64,
    bad_weather_employee_centimes: i64,
    unallocated_centimes: i64,
    memo_centimes: i64,
    reference: Option<String>,
}

#[derive(FromRow)]
struct TotalRow {
    entry_date: String,
    #[sqlx(try_from = "String")]
    kind: EntryKind,
    entries: i64,
    amount_centimes: i64,
    paid_leave_centimes: i64,
    bad_weather_employer_centimes: i64,
    bad_weather_employee_centimes: i64,
    unallocated_centimes: i64,
    memo_centimes: i64,
}

/// Which entries of the journal one query reads (each a seek in `ledger_entries_by_date`).
#[derive(Clone, Copy)]
enum Slice<'a> {
    /// Dated from the first day to the last (both included).
    Range(&'a str, &'a str),
    /// Of this day, after this id.
    DayAfter(&'a str, i64),
    /// Dated after the first day, up to the last (included).
    DaysAfter(&'a str, &'a str),
}

/// The owed lines (over `l` and its declaration `d`): submitted, paid by no settled debit
/// and by no payment, not written off.
const OWED: &str = "d.status = 'submitted' AND l.status = 'submitted' \
     AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id) \
     AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id) \
     AND NOT EXISTS (SELECT 1 FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id \
                     WHERE cl.declaration_line_id = l.id AND cl.live = 1 AND c.status = 'settled')";

/// Everything owed, one row per item: `employer_id`, `due_on` (the day its age counts
/// from) and its amount per scheme (`paid_leave_centimes`, `bad_weather_employer_centimes`,
/// `bad_weather_employee_centimes`) — declared lines ([`OWED`]), surcharges not waived
/// (by an applied waiver) and not paid, provisional assessments not replaced (base plus
/// increase). `employers` gives the condition narrowing each part to some employers, on
/// the employer column it is passed (so each part seeks its own employer index).
pub(super) fn owed_items(employers: impl Fn(&str) -> String) -> String {
    format!(
        "SELECT d.employer_id AS employer_id, d.due_from AS due_on, \
         l.paid_leave_centimes AS paid_leave_centimes, \
         l.bad_weather_employer_centimes AS bad_weather_employer_centimes, \
         l.bad_weather_employee_centimes AS bad_weather_employee_centimes \
         FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
         WHERE {lines} AND {OWED} \
         UNION ALL \
         SELECT s.employer_id, s.accrued_on, s.paid_leave_centimes, s.bad_weather_employer_centimes, \
         s.bad_weather_employee_centimes FROM surcharges s WHERE {surcharges} \
         AND NOT EXISTS (SELECT 1 FROM surcharge_waiver_items i JOIN surcharge_waivers w ON w.id = i.waiver_id \
                         WHERE i.surcharge_id = s.id AND i.live = 1 AND w.status = 'applied') \
         AND NOT EXISTS (SELECT 1 FROM surcharge_allocations sa WHERE sa.surcharge_id = s.id) \
         UNION ALL \
         SELECT p.employer_id, p.due_from, \
         p.base_paid_leave_centimes + p.increase_paid_leave_centimes, \
         p.base_bad_weather_employer_centimes + p.increase_bad_weather_employer_centimes, \
         p.base_bad_weather_employee_centimes + p.increase_bad_weather_employee_centimes \
         FROM provisional_assessments p WHERE {assessments} AND p.status = 'assessed'",
        lines = employers("d.employer_id"),
        surcharges = employers("s.employer_id"),
        assessments = employers("p.employer_id"),
    )
}

/// The bucket (0 to 3) of an item's day `o.due_on`, against the cut-off days `$1` (30
/// days before the day), `$2` (90) and `$3` (180).
const BUCKET: &str = "CASE WHEN o.due_on >= $1 THEN 0 WHEN o.due_on >= $2 THEN 1 \
     WHEN o.due_on >= $3 THEN 2 ELSE 3 END";

/// The cut-off days of the buckets on `on`: an item due on or after the first is at most
/// 30 days old, and so on.
fn cutoffs(on: NaiveDate) -> [String; 3] {
    [30, 90, 180].map(|n| {
        on.checked_sub_days(Days::new(n))
            .unwrap_or(NaiveDate::MIN)
            .to_string()
    })
}

/// The sum of `column` over the items of bucket `n`.
fn in_bucket(column: &str, n: u8) -> String {
    format!("CAST(COALESCE(SUM(CASE WHEN {BUCKET} = {n} THEN {column} ELSE 0 END), 0) AS BIGINT)")
}

const SCHEMES: [&str; 3] = [
    "o.paid_leave_centimes",
    "o.bad_weather_employer_centimes",
    "o.bad_weather_employee_centimes",
];

impl Store {
    /// What the fund is owed on `on`, by age, in total and per scheme (one grouped query).
    pub async fn receivables(&self, on: NaiveDate) -> StoreResult<Receivables> {
        let mut columns = Vec::new();
        for scheme in SCHEMES {
            for n in 0..4 {
                columns.push(in_bucket(scheme, n));
            }
        }
        let query = format!(
            "SELECT COUNT(DISTINCT o.employer_id), COUNT(*), {} FROM ({}) o",
            columns.join(", "),
            owed_items(|_| "1 = 1".to_owned())
        );
        let [c30, c90, c180] = cutoffs(on);
        let row = sqlx::query(sqlx::AssertSqlSafe(query))
            .bind(c30)
            .bind(c90)
            .bind(c180)
            .fetch_one(&self.pool)
            .await?;
        use sqlx::Row;
        let employers: i64 = row.try_get(0)?;
        let lines: i64 = row.try_get(1)?;
        let mut schemes = [[0i64; 4]; 3];
        for (s, buckets) in schemes.iter_mut().enumerate() {
            for (n, cell) in buckets.iter_mut().enumerate() {
                *cell = row.try_get(2 + s * 4 + n)?;
            }
        }
        let mut total = [0i64; 4];
        for buckets in &schemes {
            for (t, x) in total.iter_mut().zip(buckets) {
                *t = t.saturating_add(*x);
            }
        }
        Ok(Receivables {
            on: on.to_string(),
            employers: u64::try_from(employers).unwrap_or(0),
            lines: u64::try_from(lines).unwrap_or(0),
            total: AgeBuckets::of(total),
            paid_leave: AgeBuckets::of(schemes[0]),
            bad_weather_employer: AgeBuckets::of(schemes[1]),
            bad_weather_employee: AgeBuckets::of(schemes[2]),
        })
    }

    /// The employers owing on `on`, by id after `after` (keyset), at most `limit` (capped
    /// at [`OWING_PAGE_MAX`]), each with what it owes by age. The page's employers are
    /// found walking `employers` by id (each asked whether it owes anything, by its
    /// indexes); their items are then read as one range of employer ids.
    pub async fn employers_owing(
        &self,
        on: NaiveDate,
        after: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<EmployerOwing>> {
        let total = SCHEMES.join(" + ");
        let columns = (0..4)
            .map(|n| format!("{} AS b{n}", in_bucket(&format!("({total})"), n)))
            .collect::<Vec<_>>()
            .join(", ");
        let after = after.unwrap_or(0);
        // The last employer of the page: the `limit`-th owing anything after `after`.
        let owes = owed_items(|employer| format!("{employer} = e.id"));
        let last: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT MAX(page.id) FROM (SELECT e.id FROM employers e WHERE e.id > $1 \
             AND EXISTS ({owes}) ORDER BY e.id LIMIT $2) page"
        )))
        .bind(after)
        .bind(limit.clamp(1, OWING_PAGE_MAX))
        .fetch_one(&self.pool)
        .await?;
        let Some(last) = last else {
            return Ok(Vec::new());
        };
        let items = owed_items(|employer| format!("{employer} > $4 AND {employer} <= $5"));
        let query = format!(
            "SELECT g.employer_id, e.affiliation_number, e.name, e.name_ar, g.lines, g.b0, g.b1, g.b2, g.b3 \
             FROM (SELECT o.employer_id, COUNT(*) AS lines, {columns} FROM ({items}) o \
                   GROUP BY o.employer_id) g \
             JOIN employers e ON e.id = g.employer_id ORDER BY g.employer_id"
        );
        let [c30, c90, c180] = cutoffs(on);
        type Row = (i64, String, String, Option<String>, i64, i64, i64, i64, i64);
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(query))
            .bind(c30)
            .bind(c90)
            .bind(c180)
            .bind(after)
            .bind(last)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(employer_id, affiliation_number, name, name_ar, lines, b0, b1, b2, b3)| {
                    EmployerOwing {
                        employer_id,
                        affiliation_number,
                        name,
                        name_ar,
                        lines: u64::try_from(lines).unwrap_or(0),
                        owed: AgeBuckets::of([b0, b1, b2, b3]),
                    }
                },
            )
            .collect())
    }

    /// The ledger's entries dated from `from` to `to` (both included), by date then as
    /// written, each with its employer's affiliation number and what it is about.
    pub async fn journal(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<JournalEntry>> {
        self.journal_page(from, to, None, i64::MAX).await
    }

    /// A page of [`Store::journal`]: at most `limit` entries after `after` (the date and id
    /// of the last entry of the page before), so an export holds one page at a time. Each
    /// query seeks in `ledger_entries_by_date` (migration 0025): the rest of `after`'s day
    /// by id, then the days after it (a row-value `>` would scan the day from its start).
    pub async fn journal_page(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<(&str, i64)>,
        limit: i64,
    ) -> StoreResult<Vec<JournalEntry>> {
        let limit = limit.max(1);
        let (from, to) = (from.to_string(), to.to_string());
        let mut rows = match after {
            None => self.journal_rows(Slice::Range(&from, &to), limit).await?,
            Some((day, id)) => self.journal_rows(Slice::DayAfter(day, id), limit).await?,
        };
        let got = i64::try_from(rows.len()).unwrap_or(limit);
        if let (Some((day, _)), true) = (after, got < limit) {
            rows.extend(
                self.journal_rows(Slice::DaysAfter(day, &to), limit - got)
                    .await?,
            );
        }
        let a = Amount::from_centimes;
        Ok(rows
            .into_iter()
            .map(|r| JournalEntry {
                id: r.id,
                entry_date: r.entry_date,
                affiliation_number: r.affiliation_number,
                kind: r.kind,
                amount: a(r.amount_centimes),
                paid_leave: a(r.paid_leave_centimes),
                bad_weather_employer: a(r.bad_weather_employer_centimes),
                bad_weather_employee: a(r.bad_weather_employee_centimes),
                unallocated: a(r.unallocated_centimes),
                memo: a(r.memo_centimes),
                reference: r.reference.unwrap_or_default(),
            })
            .collect())
    }

    /// The journal's rows of `slice`, by date then id, at most `limit`.
    async fn journal_rows(&self, slice: Slice<'_>, limit: i64) -> StoreResult<Vec<JournalRow>> {
        let which = match slice {
            Slice::Range(..) => "x.entry_date >= $1 AND x.entry_date <= $2",
            Slice::DayAfter(..) => "x.entry_date = $1 AND x.id > $2",
            Slice::DaysAfter(..) => "x.entry_date > $1 AND x.entry_date <= $2",
        };
        let query = format!(
            "SELECT x.id, x.entry_date, e.affiliation_number, x.kind, x.amount_centimes, x.paid_leave_centimes, \
             x.bad_weather_employer_centimes, x.bad_weather_employee_centimes, x.unallocated_centimes, \
             x.memo_centimes, \
             COALESCE(c.end_to_end_id, p.reference, \
               (SELECT d.period FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
                WHERE l.id = x.declaration_line_id AND d.employer_id = x.employer_id)) AS reference \
             FROM ledger_entries x JOIN employers e ON e.id = x.employer_id \
             LEFT JOIN collections c ON c.id = x.collection_id \
             LEFT JOIN payments p ON p.id = x.payment_id \
             WHERE {which} ORDER BY x.entry_date, x.id LIMIT $3"
        );
        let query = sqlx::query_as::<_, JournalRow>(sqlx::AssertSqlSafe(query));
        let query = match slice {
            Slice::Range(first, last) | Slice::DaysAfter(first, last) => {
                query.bind(first.to_owned()).bind(last.to_owned())
            }
            Slice::DayAfter(day, id) => query.bind(day.to_owned()).bind(id),
        };
        Ok(query.bind(limit).fetch_all(&self.pool).await?)
    }

    /// The journal's totals per day and kind from `from` to `to` (one grouped query).
    pub async fn journal_totals(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<JournalTotal>> {
        let rows = sqlx::query_as::<_, TotalRow>(
            "SELECT entry_date, kind, COUNT(*) AS entries, \
             CAST(SUM(amount_centimes) AS BIGINT) AS amount_centimes, \
             CAST(SUM(paid_leave_centimes) AS BIGINT) AS paid_leave_centimes, \
             CAST(SUM(bad_weather_employer_centimes) AS BIGINT) AS bad_weather_employer_centimes, \
             CAST(SUM(bad_weather_employee_centimes) AS BIGINT) AS bad_weather_employee_centimes, \
             CAST(SUM(unallocated_centimes) AS BIGINT) AS unallocated_centimes, \
             CAST(SUM(memo_centimes) AS BIGINT) AS memo_centimes \
             FROM ledger_entries WHERE entry_date >= $1 AND entry_date <= $2 \
             GROUP BY entry_date, kind ORDER BY entry_date, kind",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.pool)
        .await?;
        let a = Amount::from_centimes;
        Ok(rows
            .into_iter()
            .map(|r| JournalTotal {
                entry_date: r.entry_date,
                kind: r.kind,
                entries: u64::try_from(r.entries).unwrap_or(0),
                amount: a(r.amount_centimes),
                paid_leave: a(r.paid_leave_centimes),
                bad_weather_employer: a(r.bad_weather_employer_centimes),
                bad_weather_employee: a(r.bad_weather_employee_centimes),
                unallocated: a(r.unallocated_centimes),
                memo: a(r.memo_centimes),
            })
            .collect())
    }
}

//! Every debit, for finance staff: one filtered list (collection dates, channel, state,
//! failure reason, employer, amount range) read a page at a time by keyset — newest date
//! first, then newest id, resumed *after* the last row seen, never by offset — and the
//! count and sum of everything the filter takes. The console's list and its CSV export
//! read the same pages, so the export streams at the same cost per row.
//!
//! Which index answers what (migration 0019, with the plans in BENCHMARKS.md): the order is
//! `collections_date` (collection_date, id, …); the totals of a date range, a channel and an
//! amount range are read from that index alone; a failure reason, or a state of failure or
//! cancellation, from partial indexes of those few debits. The states most debits are in
//! (planned, submitted, settled) have no index of their own — a settlement would move every
//! settled debit in it (migration 0011).
//!
//! The totals of a filter of dates, channel, state and reason alone (the first page, and
//! most filtered ones) are not counted over the debits but summed from the totals kept per
//! date and kind of debit (`collection_totals`, migration 0022, exact in each transaction
//! that changes a debit: see `collection_totals.rs`). Only a filter naming an employer or
//! an amount range counts the debits it takes — on PostgreSQL at 1,000,000 debits an
//! amount range over a whole date scans that date (~0.3 s) and a part of a name every
//! name (~1.3 s); an affiliation number is two index seeks (BENCHMARKS.md).
//!
//! Must not know: how pages or files show a debit.

use bank_formats::reasons::ReasonCategory;
use chrono::NaiveDate;
use mandates::{Amount, Channel, CollectionStatus};
use serde::Serialize;
use sqlx::{FromRow, Row};

use crate::store::{Bind, OptionalCode, Store, StoreResult, like_escaped, sql_literal};

/// What the debit list shows; every field empty means every debit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DebitFilter {
    /// Collection dates from this day…
    pub from: Option<NaiveDate>,
    /// …to this day, both included.
    pub to: Option<NaiveDate>,
    pub channel: Option<Channel>,
    pub status: Option<CollectionStatus>,
    /// The category of the bank's reason (failed debits).
    pub reason: Option<ReasonCategory>,
    /// An affiliation number (digits only: the whole number) or a part of the employer's
    /// name (French or Arabic, any case).
    pub employer: Option<String>,
    /// Amounts from this one…
    pub min_amount: Option<Amount>,
    /// …to this one, both included.
    pub max_amount: Option<Amount>,
}

impl DebitFilter {
    /// An employer is looked for (a number or a part of a name, not blank).
    fn employer_named(&self) -> bool {
        self.employer
            .as_deref()
            .is_some_and(|e| !e.trim().is_empty())
    }
}

/// Where a page starts: just after this debit in the list's order (date, then id, both
/// descending).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebitCursor {
    pub collection_date: String,
    pub id: i64,
}

/// One debit of the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DebitListItem {
    pub id: i64,
    pub employer_id: i64,
    pub affiliation_number: String,
    pub employer_name: String,
    pub employer_name_ar: Option<String>,
    pub channel: Channel,
    pub collection_date: String,
    pub amount: Amount,
    pub status: CollectionStatus,
    /// Kept out of the files until released.
    pub held: bool,
    pub attempt: i64,
    /// The bank's reason code, or why it was cancelled before any file.
    pub reason_code: Option<String>,
    pub reason_category: Option<ReasonCategory>,
    /// The file it went out in.
    pub bank_file: Option<String>,
    /// The mandate's account, all but the last 4 digits hidden.
    pub account_masked: String,
}

impl DebitListItem {
    /// Where the page after this debit starts.
    pub fn cursor(&self) -> DebitCursor {
        DebitCursor {
            collection_date: self.collection_date.clone(),
            id: self.id,
        }
    }
}

/// How many debits a filter takes, and their sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DebitTotals {
    pub count: i64,
    pub amount: Amount,
}

#[derive(FromRow)]
struct ItemRow {
    id: i64,
    employer_id: i64,
    affiliation_number: String,
    name: String,
    name_ar: Option<String>,
    #[sqlx(try_from = "String")]
    channel: Channel,
    collection_date: String,
    amount_centimes: i64,
    #[sqlx(try_from = "String")]
    status: CollectionStatus,
    held_at: Option<String>,
    attempt: i64,
    reason_code: Option<String>,
    #[sqlx(try_from = "OptionalCode")]
    reason_category: Option<ReasonCategory>,
    file_name: Option<String>,
    masked: String,
}

/// The states of `collections_failed` (migration 0019), a partial index of the few debits
/// that failed or were cancelled.
const FAILED_OR_CANCELLED: [CollectionStatus; 4] = [
    CollectionStatus::Rejected,
    CollectionStatus::Returned,
    CollectionStatus::RetryPlanned,
    CollectionStatus::Cancelled,
];

/// The most rows one page may ask for (the CSV export reads pages of this size).
pub const DEBIT_PAGE_MAX: i64 = 1_000;

impl Store {
    /// At most `limit` debits the filter takes, after `after` (from the first when `None`),
    /// newest date first, then newest id.
    pub async fn list_debits(
        &self,
        filter: &DebitFilter,
        after: Option<&DebitCursor>,
        limit: i64,
    ) -> StoreResult<Vec<DebitListItem>> {
        let mut sql = Where::of(filter);
        let limit = sql.int(limit.clamp(1, DEBIT_PAGE_MAX));
        let order = "ORDER BY c.collection_date DESC, c.id DESC";
        // The page is picked from `collections` alone, in the (date, id) order, then
        // joined: so neither engine is tempted to start from a joined table. After a
        // cursor it is two seeks of that order — the rest of the cursor's date, then the
        // dates before it — because SQLite reads a row-value range `(date, id) < (?, ?)`
        // as a range of the date alone and would walk that whole date first.
        let picked = match after {
            None => format!(
                "SELECT c.* FROM collections c{} {order} LIMIT {limit}",
                sql.where_clause(&[])
            ),
            Some(after) => {
                let date = sql.text(&after.collection_date);
                let id = sql.int(after.id);
                format!(
                    "SELECT * FROM (SELECT c.* FROM collections c{} {order} LIMIT {limit}) same_day \
                     UNION ALL SELECT * FROM (SELECT c.* FROM collections c{} {order} LIMIT {limit}) earlier",
                    sql.where_clause(&[
                        format!("c.collection_date = {date}"),
                        format!("c.id < {id}")
                    ]),
                    sql.where_clause(&[format!("c.collection_date < {date}")]),
                )
            }
        };
        let query = format!(
            "SELECT c.id, c.employer_id, e.affiliation_number, e.name, e.name_ar, c.channel, \
             c.collection_date, c.amount_centimes, c.status, c.held_at, c.attempt, c.reason_code, \
             c.reason_category, f.file_name, a.masked \
             FROM ({picked}) c \
             JOIN employers e ON e.id = c.employer_id \
             JOIN mandates m ON m.id = c.mandate_id JOIN accounts a ON a.id = m.account_id \
             LEFT JOIN bank_files f ON f.id = c.bank_file_id \
             {order} LIMIT {limit}"
        );
        let rows = Bind::all(
            sqlx::query(sqlx::AssertSqlSafe(query)),
            &sql.binds.iter().map(Owned::bind).collect::<Vec<_>>(),
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let r = ItemRow::from_row(row)?;
                Ok(DebitListItem {
                    id: r.id,
                    employer_id: r.employer_id,
                    affiliation_number: r.affiliation_number,
                    employer_name: r.name,
                    employer_name_ar: r.name_ar,
                    channel: r.channel,
                    collection_date: r.collection_date,
                    amount: Amount::from_centimes(r.amount_centimes),
                    status: r.status,
                    held: r.held_at.is_some(),
                    attempt: r.attempt,
                    reason_code: r.reason_code,
                    reason_category: r.reason_category,
                    bank_file: r.file_name,
                    account_masked: r.masked,
                })
            })
            .collect()
    }

    /// How many debits the filter takes, and their sum. A filter of collection dates,
    /// channel, state and reason only is answered from the totals kept per date
    /// (`collection_totals`, exact in every transaction that changes a debit): a few
    /// rows, whatever the number of debits. One naming an employer or an amount range is
    /// counted over the debits ([`Store::counted_debit_totals`]).
    pub async fn debit_totals(&self, filter: &DebitFilter) -> StoreResult<DebitTotals> {
        if filter.employer_named() || filter.min_amount.is_some() || filter.max_amount.is_some() {
            return self.counted_debit_totals(filter).await;
        }
        // The kept rows have the columns the filter names (`reason_category` is '' for
        // none, which no reason filter equals): the same clauses select them.
        let sql = Where::of(filter);
        let query = format!(
            "SELECT CAST(COALESCE(SUM(c.debits), 0) AS BIGINT), \
             CAST(COALESCE(SUM(c.amount_centimes), 0) AS BIGINT) FROM collection_totals c{}",
            sql.where_clause(&[])
        );
        self.totals_of(query, &sql).await
    }

    /// How many debits the filter takes, and their sum, counted over the debits
    /// themselves (what [`Store::debit_totals`] answers from the kept totals when it can:
    /// for filters naming an employer or an amount range, and for checks and tests).
    pub async fn counted_debit_totals(&self, filter: &DebitFilter) -> StoreResult<DebitTotals> {
        let sql = Where::of(filter);
        let query = format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(c.amount_centimes), 0) AS BIGINT) \
             FROM collections c{}",
            sql.where_clause(&[])
        );
        self.totals_of(query, &sql).await
    }

    async fn totals_of(&self, query: String, sql: &Where) -> StoreResult<DebitTotals> {
        let row = Bind::all(
            sqlx::query(sqlx::AssertSqlSafe(query)),
            &sql.binds.iter().map(Owned::bind).collect::<Vec<_>>(),
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(DebitTotals {
            count: row.try_get(0)?,
            amount: Amount::from_centimes(row.try_get(1)?),
        })
    }
}

/// A value to bind, owned while the statement is built.
enum Owned {
    Int(i64),
    Text(String),
}

impl Owned {
    fn bind(&self) -> Bind<'_> {
        match self {
            Owned::Int(value) => Bind::Int(*value),
            Owned::Text(value) => Bind::Text(value),
        }
    }
}

/// The filter as SQL over `collections c`: clauses joined by AND, their values bound as
/// `$1`, `$2`, … in order. Only placeholders and fixed text go into the SQL.
struct Where {
    clauses: Vec<String>,
    binds: Vec<Owned>,
}

impl Where {
    fn of(filter: &DebitFilter) -> Where {
        let mut sql = Where {
            clauses: Vec::new(),
            binds: Vec::new(),
        };
        if let Some(from) = filter.from {
            let p = sql.text(&from.to_string());
            sql.clauses.push(format!("c.collection_date >= {p}"));
        }
        if let Some(to) = filter.to {
            let p = sql.text(&to.to_string());
            sql.clauses.push(format!("c.collection_date <= {p}"));
        }
        // The closed sets are written as literals (their codes, never typed text): a
        // planner sees which partial index a value lies in only from a literal.
        if let Some(channel) = filter.channel {
            sql.clauses
                .push(format!("c.channel = {}", sql_literal(channel.as_str())));
        }
        if let Some(status) = filter.status {
            sql.clauses
                .push(format!("c.status = {}", sql_literal(status.as_str())));
            if FAILED_OR_CANCELLED.contains(&status) {
                // The predicate of `collections_failed`, said outright: SQLite does not
                // infer it from the equality.
                sql.clauses.push(format!(
                    "c.status IN ({})",
                    FAILED_OR_CANCELLED
                        .iter()
                        .map(|s| sql_literal(s.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        if let Some(reason) = filter.reason {
            sql.clauses.push(format!(
                "c.reason_category = {}",
                sql_literal(reason.as_str())
            ));
        }
        if let Some(min) = filter.min_amount {
            let p = sql.int(min.centimes());
            sql.clauses.push(format!("c.amount_centimes >= {p}"));
        }
        if let Some(max) = filter.max_amount {
            let p = sql.int(max.centimes());
            sql.clauses.push(format!("c.amount_centimes <= {p}"));
        }
        match filter.employer.as_deref().map(str::trim) {
            None | Some("") => {}
            // Digits only: an affiliation number, found by its unique index.
            Some(number) if number.bytes().all(|b| b.is_ascii_digit()) => {
                let p = sql.text(number);
                sql.clauses.push(format!(
                    "c.employer_id IN (SELECT x.id FROM employers x WHERE x.affiliation_number = {p})"
                ));
            }
            // Latin letters are looked for in the registered name; other text (Arabic) in
            // both names.
            Some(name) if name.is_ascii() => {
                let p = sql.text(&format!("%{}%", like_escaped(&name.to_lowercase())));
                sql.clauses.push(format!(
                    "c.employer_id IN (SELECT x.id FROM employers x WHERE LOWER(x.name) LIKE {p} ESCAPE '\\')"
                ));
            }
            Some(name) => {
                let p = sql.text(&format!("%{}%", like_escaped(&name.to_lowercase())));
                sql.clauses.push(format!(
                    "c.employer_id IN (SELECT x.id FROM employers x WHERE LOWER(x.name) LIKE {p} ESCAPE '\\' \
                     OR COALESCE(x.name_ar, '') LIKE {p} ESCAPE '\\')"
                ));
            }
        }
        sql
    }

    fn text(&mut self, value: &str) -> String {
        self.binds.push(Owned::Text(value.to_owned()));
        format!("${}", self.binds.len())
    }

    fn int(&mut self, value: i64) -> String {
        self.binds.push(Owned::Int(value));
        format!("${}", self.binds.len())
    }

    /// ` WHERE …` of the filter and `more` (nothing when both are empty).
    fn where_clause(&self, more: &[String]) -> String {
        let all: Vec<&str> = self
            .clauses
            .iter()
            .chain(more)
            .map(String::as_str)
            .collect();
        if all.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", all.join(" AND "))
        }
    }
}

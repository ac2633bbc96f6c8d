//! The collections counted per date (`collection_totals`, migration 0022): how many debits
//! and how many centimes for each date, channel, state, reason category, in a file or not,
//! held or not. The console's dashboard, the next runs and the summaries read these few
//! rows instead of every debit of the history.
//!
//! The totals are exact because every transaction that changes collections changes them
//! too, before it commits, by one set-based statement — never a statement per debit:
//! - [`recount_date`] after a pass over one date's debits (planning, the re-check, the
//!   recording of a run's files, a calendar move): the date's rows counted again;
//! - [`shift`] around a change to a known set of debits (a report's debits and the retries
//!   it planned, the settlement window, a staff action, a corrected declaration): the set
//!   is taken away before the change and added back after it.
//!
//! Both come before the transaction's audit entries (the chain's head is held to commit:
//! see `audit.rs`). `Store::recounted_collection_totals` counts them again from the
//! collections, for checks and tests.
//!
//! Architecture invariant: a new statement that inserts or updates `collections` (state,
//! date, channel, amount, reason, file or hold) maintains these totals in its transaction.

use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

use super::{Bind, Store, StoreResult};

/// One row of the totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct CollectionTotal {
    pub collection_date: String,
    pub channel: String,
    pub status: String,
    /// `''` for none.
    pub reason_category: String,
    /// 1: in a debit file.
    pub presented: i64,
    /// 1: held by staff.
    pub held: i64,
    pub debits: i64,
    pub amount_centimes: i64,
}

/// What a collection is counted under, over `collections c`.
const KEY: &str = "c.collection_date AS collection_date, c.channel AS channel, c.status AS status, \
     COALESCE(c.reason_category, '') AS reason_category, \
     CAST(CASE WHEN c.bank_file_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS presented, \
     CAST(CASE WHEN c.held_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS held";

const COLUMNS: &str =
    "collection_date, channel, status, reason_category, presented, held, debits, amount_centimes";

const CONFLICT: &str =
    "ON CONFLICT (collection_date, channel, status, reason_category, presented, held)";

/// Which way [`shift`] moves the totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shift {
    /// The rows as they are before a change: taken away.
    Remove,
    /// The rows as they are after it: added.
    Add,
}

/// Takes away or adds the debits of `from` (`collections c WHERE …`, its values bound
/// as `$1`, `$2`, …): one statement, grouped by what they are counted under. The keys are
/// written in order (on PostgreSQL two transactions lock them in the same order).
pub(super) async fn shift(
    conn: &mut AnyConnection,
    way: Shift,
    from: &str,
    binds: &[Bind<'_>],
) -> StoreResult<()> {
    let sign = match way {
        Shift::Remove => "-",
        Shift::Add => "",
    };
    let sql = format!(
        "INSERT INTO collection_totals ({COLUMNS}) \
         SELECT {KEY}, {sign}COUNT(*), {sign}CAST(SUM(c.amount_centimes) AS BIGINT) FROM {from} \
         GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6 \
         {CONFLICT} DO UPDATE SET debits = collection_totals.debits + excluded.debits, \
         amount_centimes = collection_totals.amount_centimes + excluded.amount_centimes"
    );
    Bind::all(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Counts one date's debits again, replacing its rows (by the date's index: as many rows
/// as the date has debits, whatever the history).
pub(super) async fn recount_date(conn: &mut AnyConnection, date: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM collection_totals WHERE collection_date = $1")
        .bind(date)
        .execute(&mut *conn)
        .await?;
    // On conflict the count replaces the row: on PostgreSQL a row another transaction
    // added after the delete began, for a change this count already sees.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO collection_totals ({COLUMNS}) \
         SELECT {KEY}, COUNT(*), CAST(SUM(c.amount_centimes) AS BIGINT) FROM collections c \
         WHERE c.collection_date = $1 GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6 \
         {CONFLICT} DO UPDATE SET debits = excluded.debits, amount_centimes = excluded.amount_centimes"
    )))
    .bind(date)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// The kept totals (rows of no debit left out), in key order.
    pub async fn collection_totals(&self) -> StoreResult<Vec<CollectionTotal>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM collection_totals WHERE debits <> 0 \
             ORDER BY collection_date, channel, status, reason_category, presented, held"
        )))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The same counted from the collections themselves (every debit: for checks and
    /// tests, not for pages).
    pub async fn recounted_collection_totals(&self) -> StoreResult<Vec<CollectionTotal>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY}, COUNT(*) AS debits, CAST(SUM(c.amount_centimes) AS BIGINT) AS amount_centimes \
             FROM collections c GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
        )))
        .fetch_all(&self.pool)
        .await?)
    }
}

//! Collections: one debit of one employer on one collection date, for the sum of the
//! declaration lines it takes. Planning them (`planning`), the employers planning left
//! out over their ceiling (`shortfalls`), an employer's next debit (`upcoming`) and what
//! the employer sees of them (`history`) are beside this file, which
//! holds the plain read by date. Staff actions on one debit (hold, release, cancel,
//! re-present) are `actions`; finance staff's list of every debit (filtered, paged by
//! keyset, with its totals) is `list`, and one debit's whole story `timeline`.
//!
//! Must not know: files and reports (`runs`, `reconcile` move collections through their
//! states).

use chrono::NaiveDate;
use mandates::{Amount, Channel, CollectionStatus};
use serde::Serialize;
use sqlx::FromRow;

use super::{Store, StoreResult};

pub(super) mod actions;
pub(super) mod history;
pub(super) mod list;
pub(super) mod planning;
pub(super) mod shortfalls;
pub(super) mod timeline;
pub(super) mod upcoming;

/// A planned collection as shown to staff and employers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CollectionRecord {
    pub id: i64,
    pub employer_id: i64,
    pub mandate_id: i64,
    pub channel: Channel,
    pub collection_date: String,
    pub amount: Amount,
    pub status: CollectionStatus,
    pub attempt: i64,
    pub end_to_end_id: String,
    pub noticed_on: String,
}

#[derive(FromRow)]
struct CollectionRow {
    id: i64,
    employer_id: i64,
    mandate_id: i64,
    #[sqlx(try_from = "String")]
    channel: Channel,
    collection_date: String,
    amount_centimes: i64,
    #[sqlx(try_from = "String")]
    status: CollectionStatus,
    attempt: i64,
    end_to_end_id: String,
    noticed_on: String,
}

impl Store {
    /// The collections of one date, by employer.
    pub async fn collections_on(
        &self,
        collection_date: NaiveDate,
    ) -> StoreResult<Vec<CollectionRecord>> {
        let rows = sqlx::query_as::<_, CollectionRow>(
            "SELECT id, employer_id, mandate_id, channel, collection_date, amount_centimes, status, \
             attempt, end_to_end_id, noticed_on FROM collections WHERE collection_date = $1 ORDER BY employer_id",
        )
        .bind(collection_date.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| CollectionRecord {
                id: r.id,
                employer_id: r.employer_id,
                mandate_id: r.mandate_id,
                channel: r.channel,
                collection_date: r.collection_date,
                amount: Amount::from_centimes(r.amount_centimes),
                status: r.status,
                attempt: r.attempt,
                end_to_end_id: r.end_to_end_id,
                noticed_on: r.noticed_on,
            })
            .collect())
    }
}

/// Takes lines of the collections matching `which` (SQL over `c`, `$1` bound to `param`)
/// out of them: no longer live, so owed again (`unpaid` in `declaration_line_states`).
///
/// `live <> 0` rather than `live = 1` (the same rows: `live` is 0 or 1) keeps the partial
/// index `collection_lines_one_live` out of this plan: without statistics on the lines
/// just planned, PostgreSQL otherwise ANDs a bitmap of that whole index (every live
/// line) into each collection's lookup — 12 ms per failed collection instead of
/// microseconds through the primary key.
pub(super) async fn release_lines(
    tx: &mut sqlx::AnyConnection,
    which: &str,
    param: &str,
) -> StoreResult<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE collection_lines SET live = 0 WHERE live <> 0 AND collection_id IN \
         (SELECT c.id FROM collections c WHERE {which})"
    )))
    .bind(param)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

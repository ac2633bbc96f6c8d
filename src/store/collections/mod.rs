//! Collections: one debit of one employer on one collection date, for the sum of the
//! declaration lines it takes. Planning them (`planning`), an employer's next debit
//! (`upcoming`) and what the employer sees of them (`history`) are beside this file, which
//! holds the plain read by date.
//!
//! Must not know: files and reports (`runs`, `reconcile` move collections through their
//! states).

use chrono::NaiveDate;
use mandates::Amount;
use serde::Serialize;
use sqlx::FromRow;

use super::{Store, StoreResult};

pub(super) mod history;
pub(super) mod planning;
pub(super) mod upcoming;

/// A planned collection as shown to staff and employers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CollectionRecord {
    pub id: i64,
    pub employer_id: i64,
    pub mandate_id: i64,
    pub channel: String,
    pub collection_date: String,
    pub amount: Amount,
    pub status: String,
    pub attempt: i64,
    pub end_to_end_id: String,
    pub noticed_on: String,
}

#[derive(FromRow)]
struct CollectionRow {
    id: i64,
    employer_id: i64,
    mandate_id: i64,
    channel: String,
    collection_date: String,
    amount_centimes: i64,
    status: String,
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

//! The employers planning left out because what they owe for a collection date is above
//! their mandate's ceiling (`ceiling_shortfalls`, written by `planning`): for staff (the
//! console's list and count) and for the employer (the portal's warning). A shortfall is
//! open until planning debits the employer on that date after all.
//!
//! Shown only until its notice deadline (the deadline is today or later): after it, a raised
//! ceiling can no longer make that date, so neither the console nor the portal shows the
//! date's shortfall any more; the amounts wait for the next open date, whose planning records
//! a shortfall of its own if they are still above the ceiling. (The row stays, unresolved,
//! as the record of the missed date.)

use chrono::NaiveDate;
use mandates::Amount;
use serde::Serialize;
use sqlx::FromRow;

use crate::store::{Store, StoreResult};

/// An employer over its ceiling for a collection date whose notice deadline has not passed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CeilingShortfall {
    pub employer_id: i64,
    pub affiliation_number: String,
    pub employer_name: String,
    pub collection_date: String,
    /// What the employer owes for the date.
    pub amount: Amount,
    pub ceiling: Amount,
    /// The last day a raised ceiling still lets the debit be planned for the date.
    pub deadline: String,
}

#[derive(FromRow)]
struct ShortfallRow {
    employer_id: i64,
    affiliation_number: String,
    name: String,
    collection_date: String,
    amount_centimes: i64,
    ceiling_centimes: i64,
    deadline: String,
}

const OPEN: &str = "SELECT s.employer_id, e.affiliation_number, e.name, s.collection_date, \
     s.amount_centimes, s.ceiling_centimes, s.deadline \
     FROM ceiling_shortfalls s JOIN employers e ON e.id = s.employer_id \
     WHERE s.resolved_at IS NULL AND s.deadline >= $1";

impl Store {
    /// The open shortfalls whose deadline is `from` (today) or later — those a raised
    /// ceiling can still fix (see the module) —, by date and affiliation number.
    pub async fn ceiling_shortfalls(&self, from: NaiveDate) -> StoreResult<Vec<CeilingShortfall>> {
        let rows = sqlx::query_as::<_, ShortfallRow>(sqlx::AssertSqlSafe(format!(
            "{OPEN} ORDER BY s.collection_date, e.affiliation_number"
        )))
        .bind(from.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(shortfall).collect())
    }

    /// The open shortfalls of one employer whose deadline is `from` (today) or later.
    pub async fn employer_ceiling_shortfalls(
        &self,
        employer_id: i64,
        from: NaiveDate,
    ) -> StoreResult<Vec<CeilingShortfall>> {
        let rows = sqlx::query_as::<_, ShortfallRow>(sqlx::AssertSqlSafe(format!(
            "{OPEN} AND s.employer_id = $2 ORDER BY s.collection_date"
        )))
        .bind(from.to_string())
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(shortfall).collect())
    }
}

fn shortfall(r: ShortfallRow) -> CeilingShortfall {
    CeilingShortfall {
        employer_id: r.employer_id,
        affiliation_number: r.affiliation_number,
        employer_name: r.name,
        collection_date: r.collection_date,
        amount: Amount::from_centimes(r.amount_centimes),
        ceiling: Amount::from_centimes(r.ceiling_centimes),
        deadline: r.deadline,
    }
}

//! An employer's next debit: the planned (or submitted) collection with its per-worksite
//! breakdown or, when none is planned yet, what is owed and will be collected on the next
//! date. For the portal's home page and the employer JSON API.
//!
//! Must not know: how the portal shows it.

use chrono::NaiveDate;
use mandates::{Amount, Channel, CollectionStatus};
use serde::Serialize;
use sqlx::FromRow;

use crate::store::{Store, StoreError, StoreResult};

/// The next debit of an employer: a planned or submitted collection, or — when none is
/// planned yet — what is owed and will be collected on the next date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpcomingDebit {
    /// The collection, when planned.
    pub collection_id: Option<i64>,
    pub collection_date: Option<String>,
    pub status: Option<CollectionStatus>,
    pub channel: Option<Channel>,
    pub amount: Amount,
    pub lines: Vec<UpcomingLine>,
}

/// One worksite's part of the upcoming debit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct UpcomingLine {
    pub worksite_code: String,
    pub worksite_name: String,
    pub period: String,
    pub amount_centimes: i64,
}

impl Store {
    /// The employer's next debit on or after `today` (see [`UpcomingDebit`]); `None` when
    /// nothing is planned and nothing is owed.
    pub async fn upcoming_debit(
        &self,
        employer_id: i64,
        today: NaiveDate,
    ) -> StoreResult<Option<UpcomingDebit>> {
        let planned: Option<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, collection_date, status, channel, amount_centimes FROM collections \
             WHERE employer_id = $1 AND status IN ('planned', 'submitted') AND collection_date >= $2 \
             ORDER BY collection_date, id LIMIT 1",
        )
        .bind(employer_id)
        .bind(today.to_string())
        .fetch_optional(&self.pool)
        .await?;
        if let Some((id, date, status, channel, amount)) = planned {
            let lines = sqlx::query_as::<_, UpcomingLine>(
                "SELECT w.code AS worksite_code, w.name AS worksite_name, d.period, \
                 cl.amount_centimes FROM collection_lines cl \
                 JOIN declaration_lines l ON l.id = cl.declaration_line_id \
                 JOIN declarations d ON d.id = l.declaration_id \
                 JOIN worksites w ON w.id = l.worksite_id \
                 WHERE cl.collection_id = $1 AND cl.live = 1 ORDER BY d.period, w.code",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
            return Ok(Some(UpcomingDebit {
                collection_id: Some(id),
                collection_date: Some(date),
                status: Some(CollectionStatus::parse(&status)?),
                channel: Some(Channel::parse(&channel)?),
                amount: Amount::from_centimes(amount),
                lines,
            }));
        }
        let lines = sqlx::query_as::<_, UpcomingLine>(
            "SELECT w.code AS worksite_code, w.name AS worksite_name, d.period, \
             l.total_centimes AS amount_centimes FROM declaration_lines l \
             JOIN declarations d ON d.id = l.declaration_id \
             JOIN worksites w ON w.id = l.worksite_id \
             WHERE d.employer_id = $1 AND d.status = 'submitted' AND l.status = 'submitted' \
             AND NOT EXISTS (SELECT 1 FROM collection_lines cl WHERE cl.declaration_line_id = l.id AND cl.live = 1) \
             AND NOT EXISTS (SELECT 1 FROM payment_allocations pa WHERE pa.declaration_line_id = l.id) \
             AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id) \
             AND NOT EXISTS (SELECT 1 FROM payment_plan_lines ppl JOIN payment_plans pp ON pp.id = ppl.plan_id \
                             WHERE ppl.declaration_line_id = l.id AND pp.status = 'active' AND ppl.due_on > $2) \
             ORDER BY d.period, w.code",
        )
        .bind(employer_id)
        .bind(today.to_string())
        .fetch_all(&self.pool)
        .await?;
        if lines.is_empty() {
            return Ok(None);
        }
        let amount = Amount::checked_sum(
            lines
                .iter()
                .map(|l| Amount::from_centimes(l.amount_centimes)),
        )
        .ok_or_else(|| StoreError::Invalid("the amount owed is too large".to_owned()))?;
        Ok(Some(UpcomingDebit {
            collection_id: None,
            collection_date: None,
            status: None,
            channel: None,
            amount,
            lines,
        }))
    }
}

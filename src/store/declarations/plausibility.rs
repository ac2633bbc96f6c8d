//! The declared history plausibility warnings are drawn from (the rule itself is
//! `mandates::declaration::plausibility`).
//!
//! Must not know: how the portal shows a warning.

use ::mandates::Amount;
use ::mandates::declaration::{DeclaredTotal, PlausibilityWarning, plausibility};
use sqlx::FromRow;

use crate::store::{Store, StoreResult};

#[derive(FromRow)]
struct HistoryRow {
    code: String,
    period: String,
    total_centimes: i64,
}

impl Store {
    /// Every line an employer declared, for plausibility checks: its worksite, period and
    /// total, by worksite then period.
    pub async fn declared_history(&self, employer_id: i64) -> StoreResult<Vec<DeclaredTotal>> {
        let rows = sqlx::query_as::<_, HistoryRow>(
            "SELECT w.code, d.period, l.total_centimes FROM declaration_lines l \
             JOIN declarations d ON d.id = l.declaration_id JOIN worksites w ON w.id = l.worksite_id \
             WHERE d.employer_id = $1 AND d.status = 'submitted' AND l.status <> 'cancelled' \
             ORDER BY w.code, d.period",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| DeclaredTotal {
                worksite_code: row.code,
                period: row.period,
                total: Amount::from_centimes(row.total_centimes),
            })
            .collect())
    }

    /// The plausibility warnings of an employer's declaration for `period`.
    pub async fn plausibility_warnings(
        &self,
        employer_id: i64,
        period: &str,
    ) -> StoreResult<Vec<PlausibilityWarning>> {
        Ok(plausibility(
            &self.declared_history(employer_id).await?,
            period,
        ))
    }
}

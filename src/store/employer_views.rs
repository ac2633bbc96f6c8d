//! What an employer sees of its collections, in detail: each debit with its per-worksite
//! breakdown, the masked account and mandate, the bank's reason when it failed and the next
//! attempt when one is planned, and the receipt of a settled one. For the portal's history
//! and receipt pages and the employer JSON API. Every read takes the employer id, so a
//! caller that checked access to that employer cannot reach another's rows.

use mandates::Amount;
use serde::Serialize;
use sqlx::FromRow;

use super::{NoticeRecord, Store, StoreError, StoreResult};

/// How far a worksite's amount may move from its recent average before the portal asks
/// the employer to check it: more than this many times the average, or less than the
/// average divided by it.
pub const PLAUSIBILITY_FACTOR: i64 = 2;
/// How many earlier periods the average covers (those the worksite was declared in).
pub const PLAUSIBILITY_PERIODS: usize = 3;

/// A worksite whose declared amount differs sharply from its previous periods: a warning
/// for the employer to check, never a refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlausibilityWarning {
    pub worksite_code: String,
    pub period: String,
    pub amount: Amount,
    /// The average of the worksite's previous periods (up to 3)…
    pub previous_average: Amount,
    /// …and how many there were.
    pub previous_periods: usize,
}

/// The warnings for `period`, from every declared line `(worksite, period, centimes)` of
/// the employer: each worksite of `period` against the average of its (up to) 3 latest
/// earlier periods; none without an earlier period or with an average of zero.
pub fn plausibility(history: &[(String, String, i64)], period: &str) -> Vec<PlausibilityWarning> {
    let mut warnings = Vec::new();
    for (code, _, amount) in history.iter().filter(|(_, p, _)| p == period) {
        let mut earlier: Vec<(&str, i64)> = history
            .iter()
            .filter(|(c, p, _)| c == code && p.as_str() < period)
            .map(|(_, p, a)| (p.as_str(), *a))
            .collect();
        earlier.sort_unstable();
        let recent = &earlier[earlier.len().saturating_sub(PLAUSIBILITY_PERIODS)..];
        if recent.is_empty() {
            continue;
        }
        let n = recent.len() as i128;
        let sum: i128 = recent.iter().map(|(_, a)| i128::from(*a)).sum();
        if sum <= 0 {
            continue;
        }
        let amount_n = i128::from(*amount) * n;
        let factor = i128::from(PLAUSIBILITY_FACTOR);
        // amount > factor × average, or amount × factor < average (exact, in centimes).
        if amount_n > factor * sum || amount_n * factor < sum {
            warnings.push(PlausibilityWarning {
                worksite_code: code.clone(),
                period: period.to_owned(),
                amount: Amount::from_centimes(*amount),
                previous_average: Amount::from_centimes(i64::try_from(sum / n).unwrap_or(i64::MAX)),
                previous_periods: recent.len(),
            });
        }
    }
    warnings
}

/// One worksite's part of a collection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CollectionWorksite {
    pub worksite_code: String,
    pub worksite_name: String,
    pub period: String,
    pub amount: Amount,
}

/// The next presentation of a failed debit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NextAttempt {
    pub collection_id: i64,
    pub collection_date: String,
    pub amount: Amount,
}

/// A collection of one employer, in detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CollectionDetail {
    pub id: i64,
    pub employer_id: i64,
    pub collection_date: String,
    /// `bank` or `postal`.
    pub channel: String,
    pub amount: Amount,
    /// `planned`, `submitted`, `settled`, `rejected`, `returned`, `retry_planned`, `cancelled`.
    pub status: String,
    pub attempt: i64,
    /// The failed debit this one presents again.
    pub retry_of: Option<i64>,
    pub noticed_on: String,
    pub settled_on: Option<String>,
    /// The bank's reason code (ISO or the layout's) when it failed…
    pub reason_code: Option<String>,
    /// …and its category in the reason taxonomy (`insufficient_funds`, …).
    pub reason_category: Option<String>,
    pub next_attempt: Option<NextAttempt>,
    /// Given once the receipt exists (settled debits).
    pub receipt_number: Option<String>,
    pub mandate_reference: String,
    pub account_kind: String,
    pub bank_code: String,
    /// All but the last 4 digits hidden.
    pub account_masked: String,
    pub worksites: Vec<CollectionWorksite>,
}

/// A settled collection's receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub number: String,
    pub issued_at: String,
    pub collection: CollectionDetail,
}

#[derive(FromRow)]
struct DetailRow {
    id: i64,
    employer_id: i64,
    collection_date: String,
    channel: String,
    amount_centimes: i64,
    status: String,
    attempt: i64,
    retry_of: Option<i64>,
    noticed_on: String,
    settled_on: Option<String>,
    reason_code: Option<String>,
    reason_category: Option<String>,
    receipt_number: Option<String>,
    reference: String,
    kind: String,
    bank_code: String,
    masked: String,
}

#[derive(FromRow)]
struct WorksiteRow {
    collection_id: i64,
    code: String,
    name: String,
    period: String,
    amount_centimes: i64,
}

const DETAIL_SELECT: &str = "SELECT c.id, c.employer_id, c.collection_date, c.channel, c.amount_centimes, \
     c.status, c.attempt, c.retry_of, c.noticed_on, c.settled_on, c.reason_code, c.reason_category, \
     r.number AS receipt_number, m.reference, a.kind, a.bank_code, a.masked \
     FROM collections c JOIN mandates m ON m.id = c.mandate_id JOIN accounts a ON a.id = m.account_id \
     LEFT JOIN receipts r ON r.collection_id = c.id";

/// A collection's breakdown: every line it took (or tried to take), live or not, so a
/// failed debit still shows what it was for.
const WORKSITES_SELECT: &str = "SELECT cl.collection_id, w.code, w.name, d.period, cl.amount_centimes \
     FROM collection_lines cl JOIN collections c ON c.id = cl.collection_id \
     JOIN declaration_lines l ON l.id = cl.declaration_line_id \
     JOIN declarations d ON d.id = l.declaration_id JOIN worksites w ON w.id = l.worksite_id";

impl Store {
    /// Every collection of an employer in detail, newest first.
    pub async fn collection_details(&self, employer_id: i64) -> StoreResult<Vec<CollectionDetail>> {
        let rows = sqlx::query_as::<_, DetailRow>(sqlx::AssertSqlSafe(format!(
            "{DETAIL_SELECT} WHERE c.employer_id = $1 ORDER BY c.collection_date DESC, c.id DESC"
        )))
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        let lines = sqlx::query_as::<_, WorksiteRow>(sqlx::AssertSqlSafe(format!(
            "{WORKSITES_SELECT} WHERE c.employer_id = $1 ORDER BY cl.collection_id, w.code, d.period"
        )))
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        let retries: Vec<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT retry_of, id, collection_date, amount_centimes FROM collections \
             WHERE employer_id = $1 AND retry_of IS NOT NULL AND status <> 'cancelled' ORDER BY id",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(assemble(rows, lines, retries))
    }

    /// One collection of `employer_id` in detail; "not found" when it is another employer's.
    pub async fn collection_detail(
        &self,
        employer_id: i64,
        collection_id: i64,
    ) -> StoreResult<CollectionDetail> {
        let rows = sqlx::query_as::<_, DetailRow>(sqlx::AssertSqlSafe(format!(
            "{DETAIL_SELECT} WHERE c.id = $1 AND c.employer_id = $2"
        )))
        .bind(collection_id)
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Err(StoreError::not_found("collection", collection_id));
        }
        let lines = sqlx::query_as::<_, WorksiteRow>(sqlx::AssertSqlSafe(format!(
            "{WORKSITES_SELECT} WHERE cl.collection_id = $1 ORDER BY w.code, d.period"
        )))
        .bind(collection_id)
        .fetch_all(&self.pool)
        .await?;
        let retries: Vec<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT retry_of, id, collection_date, amount_centimes FROM collections \
             WHERE retry_of = $1 AND status <> 'cancelled' ORDER BY id",
        )
        .bind(collection_id)
        .fetch_all(&self.pool)
        .await?;
        assemble(rows, lines, retries)
            .pop()
            .ok_or_else(|| StoreError::not_found("collection", collection_id))
    }

    /// The receipt of a settled collection of `employer_id`, its number given now if the
    /// receipt notice has not given it yet (once: the same number as the emailed receipt).
    /// "Not found" for another employer's collection or one not settled.
    pub async fn receipt(&self, employer_id: i64, collection_id: i64) -> StoreResult<Receipt> {
        let collection = self.collection_detail(employer_id, collection_id).await?;
        if collection.status != "settled" {
            return Err(StoreError::not_found(
                "receipt of collection",
                collection_id,
            ));
        }
        let number = match &collection.receipt_number {
            Some(number) => number.clone(),
            None => {
                self.receipt_number(collection_id, &collection.collection_date)
                    .await?
            }
        };
        let issued_at: String =
            sqlx::query_scalar("SELECT issued_at FROM receipts WHERE collection_id = $1")
                .bind(collection_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(Receipt {
            number: number.clone(),
            issued_at,
            collection: CollectionDetail {
                receipt_number: Some(number),
                ..collection
            },
        })
    }
}

impl Store {
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

    /// A notice sent to `employer_id`, with what was sent; "not found" for another
    /// employer's notice or one not sent yet.
    pub async fn sent_notice(&self, employer_id: i64, event_id: i64) -> StoreResult<NoticeRecord> {
        sqlx::query_as::<_, NoticeRecord>(
            "SELECT e.id, e.kind, e.status, e.created_at, m.sent_at, m.subject, m.language, m.message_id, \
             m.recipient, m.body_text FROM notice_events e JOIN notice_messages m ON m.event_id = e.id \
             WHERE e.id = $1 AND e.employer_id = $2 AND m.employer_id = $2",
        )
        .bind(event_id)
        .bind(employer_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("notice", event_id))
    }
}

fn assemble(
    rows: Vec<DetailRow>,
    lines: Vec<WorksiteRow>,
    retries: Vec<(i64, i64, String, i64)>,
) -> Vec<CollectionDetail> {
    let mut by_collection: std::collections::HashMap<i64, Vec<CollectionWorksite>> =
        std::collections::HashMap::new();
    for line in lines {
        by_collection
            .entry(line.collection_id)
            .or_default()
            .push(CollectionWorksite {
                worksite_code: line.code,
                worksite_name: line.name,
                period: line.period,
                amount: Amount::from_centimes(line.amount_centimes),
            });
    }
    let mut next: std::collections::HashMap<i64, NextAttempt> = std::collections::HashMap::new();
    for (retry_of, id, date, amount) in retries {
        next.entry(retry_of).or_insert(NextAttempt {
            collection_id: id,
            collection_date: date,
            amount: Amount::from_centimes(amount),
        });
    }
    rows.into_iter()
        .map(|r| CollectionDetail {
            worksites: by_collection.remove(&r.id).unwrap_or_default(),
            next_attempt: next.remove(&r.id),
            id: r.id,
            employer_id: r.employer_id,
            collection_date: r.collection_date,
            channel: r.channel,
            amount: Amount::from_centimes(r.amount_centimes),
            status: r.status,
            attempt: r.attempt,
            retry_of: r.retry_of,
            noticed_on: r.noticed_on,
            settled_on: r.settled_on,
            reason_code: r.reason_code,
            reason_category: r.reason_category,
            receipt_number: r.receipt_number,
            mandate_reference: r.reference,
            account_kind: r.kind,
            bank_code: r.bank_code,
            account_masked: r.masked,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(rows: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
        rows.iter()
            .map(|(c, p, a)| ((*c).to_owned(), (*p).to_owned(), *a))
            .collect()
    }

    #[test]
    fn a_sharp_change_against_the_last_three_periods_is_flagged_both_ways() {
        let history = h(&[
            // W1: 100 for a long time, then 201 (more than twice): flagged.
            ("W1", "2026-06", 999_999),
            ("W1", "2026-07", 100),
            ("W1", "2026-08", 100),
            ("W1", "2026-09", 100),
            ("W1", "2026-10", 201),
            // W2: exactly twice the average is not "more than": quiet.
            ("W2", "2026-09", 100),
            ("W2", "2026-10", 200),
            // W3: fell below half: flagged.
            ("W3", "2026-08", 300),
            ("W3", "2026-09", 100),
            ("W3", "2026-10", 99),
            // W4: new worksite, no earlier period: quiet.
            ("W4", "2026-10", 5_000_000),
            // W5: earlier periods all zero: no basis, quiet.
            ("W5", "2026-09", 0),
            ("W5", "2026-10", 1_000),
        ]);
        let warnings = plausibility(&history, "2026-10");
        assert_eq!(
            warnings
                .iter()
                .map(|w| (
                    w.worksite_code.as_str(),
                    w.previous_average.centimes(),
                    w.previous_periods
                ))
                .collect::<Vec<_>>(),
            [("W1", 100, 3), ("W3", 200, 2)]
        );
        // Only the last three earlier periods count (2026-06's outlier is out).
        assert_eq!(warnings[0].amount.centimes(), 201);
        assert!(
            plausibility(&history, "2026-09")
                .iter()
                .all(|w| w.worksite_code != "W2")
        );
    }
}

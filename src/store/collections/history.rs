//! What an employer sees of its collections: the list, and each debit in detail with its
//! per-worksite breakdown, the masked account and mandate, the bank's reason when it
//! failed and the next attempt when one is planned. For the portal's history, receipt and
//! dispute pages and the employer JSON API. Every read takes the employer id, so a caller
//! that checked access to that employer cannot reach another's rows.
//!
//! Must not know: how pages show a collection.

use bank_formats::reasons::ReasonCategory;
use mandates::{AccountKind, Amount, Channel, CollectionStatus};
use serde::Serialize;
use sqlx::FromRow;

use crate::store::{OptionalCode, Store, StoreError, StoreResult};

/// A collection as an employer sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct CollectionView {
    pub id: i64,
    pub collection_date: String,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub amount_centimes: i64,
    #[sqlx(try_from = "String")]
    pub status: CollectionStatus,
    pub attempt: i64,
    pub reason_code: Option<String>,
    #[sqlx(try_from = "OptionalCode")]
    pub reason_category: Option<ReasonCategory>,
    pub settled_on: Option<String>,
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
    pub channel: Channel,
    pub amount: Amount,
    pub status: CollectionStatus,
    pub attempt: i64,
    /// The failed debit this one presents again.
    pub retry_of: Option<i64>,
    pub noticed_on: String,
    pub settled_on: Option<String>,
    /// The bank's reason code (ISO or the layout's) when it failed…
    pub reason_code: Option<String>,
    /// …and its category in the reason taxonomy.
    pub reason_category: Option<ReasonCategory>,
    pub next_attempt: Option<NextAttempt>,
    /// Given once the receipt exists (settled debits).
    pub receipt_number: Option<String>,
    pub mandate_reference: String,
    pub account_kind: AccountKind,
    pub bank_code: String,
    /// All but the last 4 digits hidden.
    pub account_masked: String,
    pub worksites: Vec<CollectionWorksite>,
}

#[derive(FromRow)]
struct DetailRow {
    id: i64,
    employer_id: i64,
    collection_date: String,
    #[sqlx(try_from = "String")]
    channel: Channel,
    amount_centimes: i64,
    #[sqlx(try_from = "String")]
    status: CollectionStatus,
    attempt: i64,
    retry_of: Option<i64>,
    noticed_on: String,
    settled_on: Option<String>,
    reason_code: Option<String>,
    #[sqlx(try_from = "OptionalCode")]
    reason_category: Option<ReasonCategory>,
    receipt_number: Option<String>,
    reference: String,
    #[sqlx(try_from = "String")]
    kind: AccountKind,
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
    /// Every collection of an employer, newest first.
    pub async fn employer_collections(&self, employer_id: i64) -> StoreResult<Vec<CollectionView>> {
        Ok(sqlx::query_as::<_, CollectionView>(
            "SELECT id, collection_date, channel, amount_centimes, status, attempt, reason_code, \
             reason_category, settled_on FROM collections WHERE employer_id = $1 \
             ORDER BY collection_date DESC, id DESC",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One collection of an employer; another employer's is "not found".
    pub async fn employer_collection(
        &self,
        employer_id: i64,
        collection_id: i64,
    ) -> StoreResult<CollectionView> {
        sqlx::query_as::<_, CollectionView>(
            "SELECT id, collection_date, channel, amount_centimes, status, attempt, reason_code, \
             reason_category, settled_on FROM collections WHERE id = $1 AND employer_id = $2",
        )
        .bind(collection_id)
        .bind(employer_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("collection", collection_id))
    }

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

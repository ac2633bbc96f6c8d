//! Steps 1 and 2 of applying a report: what the report said, item by item, recorded and
//! matched to our debits (by EndToEndId on the way in, then the rest by mandate reference
//! and amount among debits in flight), each judged against its collection's state before
//! the report (`applied`, `duplicate`, `conflict`, `amount_mismatch`, `unmatched`, `info`).
//!
//! Must not know: what the outcomes do to collections (the later steps, `failures`).

use chrono::NaiveDate;
use sqlx::AnyConnection;

use super::{Meaning, ReportItem};
use crate::store::dialect::JsonArrayRows;
use crate::store::{Backend, Institution, StoreResult};

/// What an item does, judged against its collection's state before the report: SQL over
/// the item's columns (`amount_centimes`, `effect`, `meaning`, prefixed by `item`) and the
/// given expressions for the matched collection's id, status and amount. An informational
/// item that matches nothing (an entry that is not a collection) stays `info`; a DZD
/// amount that is not a whole number of centimes on one of our debits is a mismatch, and
/// a reversal credited to the account on one of them a conflict.
fn outcome_of(item: &str, collection_id: &str, status: &str, amount: &str) -> String {
    let informational = Meaning::INFORMATIONAL_SQL;
    format!(
        "CASE WHEN {collection_id} IS NULL AND {item}effect = 'info' AND {item}meaning IN {informational} THEN 'info' \
           WHEN {collection_id} IS NULL THEN 'unmatched' \
           WHEN {item}meaning = 'inexact_amount' THEN 'amount_mismatch' \
           WHEN {item}meaning = 'reversed_debit' THEN 'conflict' \
           WHEN {item}amount_centimes IS NOT NULL AND {item}amount_centimes <> {amount} THEN 'amount_mismatch' \
           WHEN {item}effect = 'info' THEN 'info' \
           WHEN {item}effect = 'settle' AND {status} = 'submitted' THEN 'applied' \
           WHEN {item}effect = 'settle' AND {status} = 'settled' THEN 'duplicate' \
           WHEN {item}effect IN ('reject', 'return') AND {status} IN ('submitted', 'settled') THEN 'applied' \
           WHEN {item}effect IN ('reject', 'return') AND {status} IN ('rejected', 'returned', 'retry_planned') THEN 'duplicate' \
           ELSE 'conflict' END"
    )
}

/// The items as a JSON array of arrays, in the column order of step 1 (serialized from
/// borrowed tuples: no intermediate JSON values for a 100,000-item report).
pub(super) fn items_json(items: &[ReportItem]) -> String {
    let rows: Vec<_> = items
        .iter()
        .map(|item| {
            (
                &item.end_to_end_id,
                &item.mandate_reference,
                item.amount.map(|a| a.centimes()),
                &item.status,
                &item.reason_code,
                item.reason_category,
                item.retry_class,
                item.effect.as_str(),
                item.facts.meaning.map(|m| m.as_str()),
                item.facts.booked_on.map(|d| d.to_string()),
                item.facts.value_date.map(|d| d.to_string()),
                &item.facts.credit_debit,
                &item.facts.currency,
                &item.facts.amount_text,
            )
        })
        .collect();
    serde_json::to_string(&rows).expect("report items are plain strings and integers")
}

/// A report that came from an institution (its drop folder, its API token) matches only
/// debits that institution was sent: SQL to add to a match on `collections c`, `$1` being
/// the report's id.
pub(super) fn institution_scope(institution: Option<Institution>) -> &'static str {
    if institution.is_some() {
        " AND c.bank_file_id IN (SELECT f.id FROM bank_files f \
           WHERE f.institution = (SELECT r.institution FROM reports r WHERE r.id = $1))"
    } else {
        ""
    }
}

/// Step 1: items recorded, matched by EndToEndId and judged, numbered from `first + 1` (a
/// report's items come a chunk at a time: `ReportApplication::add_items`). The chunk
/// travels as one JSON array (`items`, from [`items_json`]) bound once and unpacked by the
/// database ([`Backend::json_array_rows`]): thousands of items are one statement instead
/// of multi-row INSERTs with four bound values an item. Each item's fields are extracted
/// once into a materialized table (left to the planner, SQLite would parse an item again
/// for every use of a field).
pub(super) async fn record_items(
    tx: &mut AnyConnection,
    backend: Backend,
    report_id: i64,
    first: u64,
    items: String,
    scope: &str,
) -> StoreResult<()> {
    let JsonArrayRows {
        from: source,
        position: first_item,
    } = backend.json_array_rows();
    let outcome = outcome_of("i.", "c.id", "c.status", "c.amount_centimes");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH i AS MATERIALIZED (SELECT CAST($3 AS BIGINT) + {first_item} AS item, j.value ->> 0 AS end_to_end_id, \
           j.value ->> 1 AS mandate_reference, CAST(j.value ->> 2 AS BIGINT) AS amount_centimes, \
           j.value ->> 3 AS status, j.value ->> 4 AS reason_code, j.value ->> 5 AS reason_category, \
           j.value ->> 6 AS retry_class, j.value ->> 7 AS effect, j.value ->> 8 AS meaning, \
           j.value ->> 9 AS booked_on, j.value ->> 10 AS value_date, j.value ->> 11 AS credit_debit, \
           j.value ->> 12 AS currency, j.value ->> 13 AS amount_text FROM {source}) \
         INSERT INTO report_items (report_id, item, end_to_end_id, mandate_reference, amount_centimes, \
         status, reason_code, reason_category, retry_class, effect, collection_id, outcome, \
         meaning, booked_on, value_date, credit_debit, currency, amount_text) \
         SELECT $1, i.item, i.end_to_end_id, i.mandate_reference, i.amount_centimes, i.status, \
         i.reason_code, i.reason_category, i.retry_class, i.effect, c.id, {outcome}, \
         i.meaning, i.booked_on, i.value_date, i.credit_debit, i.currency, i.amount_text \
         FROM i LEFT JOIN collections c ON c.end_to_end_id = i.end_to_end_id{scope}"
    )))
    .bind(report_id)
    .bind(items)
    .bind(i64::try_from(first).unwrap_or(i64::MAX))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// How far the mandate + amount fallback looks: only debits whose collection date lies
/// within this many days before the day the report is imported…
pub const FALLBACK_DAYS_BEFORE: i64 = 60;
/// …or this many days after it (a reject can come before the collection date). A report
/// answers the debits presented in its period; an old or garbled entry that carries a
/// mandate and an amount must not settle some other debit of the same employer.
pub const FALLBACK_DAYS_AFTER: i64 = 30;

/// Step 2: the items still unmatched with a mandate reference and an amount, matched among
/// the debits in flight whose collection date is near `today` (see
/// [`FALLBACK_DAYS_BEFORE`]), then those few judged the same way.
pub(super) async fn match_by_mandate(
    tx: &mut AnyConnection,
    report_id: i64,
    scope: &str,
    today: NaiveDate,
) -> StoreResult<()> {
    let from = today - chrono::Duration::days(FALLBACK_DAYS_BEFORE);
    let until = today + chrono::Duration::days(FALLBACK_DAYS_AFTER);
    let fallback = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE report_items SET collection_id = \
         (SELECT c.id FROM collections c JOIN mandates m ON m.id = c.mandate_id \
          WHERE m.reference = report_items.mandate_reference AND c.amount_centimes = report_items.amount_centimes \
          AND c.status IN ('submitted', 'settled') AND c.collection_date >= $2 AND c.collection_date <= $3{scope} \
          ORDER BY c.id DESC LIMIT 1) \
         WHERE report_id = $1 AND collection_id IS NULL AND mandate_reference IS NOT NULL \
         AND amount_centimes IS NOT NULL"
    )))
    .bind(report_id)
    .bind(from.to_string())
    .bind(until.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if fallback > 0 {
        let of_item = |column: &str| {
            format!(
                "(SELECT c.{column} FROM collections c WHERE c.id = report_items.collection_id)"
            )
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE report_items SET outcome = {} \
             WHERE report_id = $1 AND outcome = 'unmatched' AND collection_id IS NOT NULL",
            outcome_of(
                "",
                "collection_id",
                &of_item("status"),
                &of_item("amount_centimes")
            )
        )))
        .bind(report_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// How many of the report's items matched one of our debits.
pub(super) async fn matched(tx: &mut AnyConnection, report_id: i64) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM report_items WHERE report_id = $1 AND collection_id IS NOT NULL",
    )
    .bind(report_id)
    .fetch_one(&mut *tx)
    .await?)
}

/// Step 2b: an item that repeats, in the same report, what an earlier item already does
/// to the same debit (the same EndToEndId, or mandate and amount, with the same effect) is
/// a `duplicate`, so it becomes an exception instead of being applied twice or silently
/// dropped. A booking and its reversal have different effects: they stay a pair.
///
/// The repeats are found by numbering the applied items per debit and effect (one sort of
/// the report's items), not by looking for an earlier item from each item: PostgreSQL,
/// whose statistics know nothing of the items this transaction just added, planned that
/// look-up as a scan of every earlier item of the report per item — quadratic, minutes
/// for a camt.054 of 51,000 entries (BENCHMARKS.md).
pub(super) async fn mark_repeats(tx: &mut AnyConnection, report_id: i64) -> StoreResult<u64> {
    Ok(sqlx::query(
        "UPDATE report_items SET outcome = 'duplicate' \
         WHERE report_id = $1 AND item IN (SELECT item FROM (SELECT item, \
             ROW_NUMBER() OVER (PARTITION BY collection_id, effect ORDER BY item) AS n \
           FROM report_items WHERE report_id = $1 AND outcome = 'applied' \
             AND collection_id IS NOT NULL) ranked WHERE n > 1)",
    )
    .bind(report_id)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

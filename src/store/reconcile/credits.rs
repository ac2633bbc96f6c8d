//! Step 3b of applying a report: the booked credits that are not our collections (a
//! transfer, a payment by another channel), kept in `incoming_credits` for the ledger to
//! match to employers — the payer's name, account and remittance information encrypted,
//! the account also as its keyed index (the one `accounts.number_index` uses) and masked.
//! An entry reported twice (an intraday camt.052, then the day's camt.053) is kept once:
//! unique by the bank's reference of the entry per source.
//!
//! Must not know: how an entry was judged not ours (`crate::cycle::import`).

use sqlx::AnyConnection;

use super::ReportItem;
use crate::crypto::AccountCipher;
use crate::store::dialect::JsonArrayRows;
use crate::store::{Backend, Institution, StoreResult};

/// Items of a report just recorded: numbered from `first + 1`.
pub(super) struct Batch<'a> {
    pub institution: Option<Institution>,
    pub report_id: i64,
    pub first: u64,
    pub items: &'a [ReportItem],
}

/// Keeps the incoming credits among a batch of the report's items (recorded already, and
/// judged `info`); returns how many were new.
pub(super) async fn record(
    tx: &mut AnyConnection,
    cipher: &AccountCipher,
    backend: Backend,
    batch: Batch<'_>,
    now: &str,
) -> StoreResult<u64> {
    let Batch {
        institution,
        report_id,
        first,
        items,
    } = batch;
    let first = i64::try_from(first).unwrap_or(i64::MAX);
    let rows: Vec<_> = items
        .iter()
        .enumerate()
        .filter_map(|(n, item)| {
            let credit = item.facts.incoming_credit.as_ref()?;
            // As the accounts table keeps it (digits, no spaces), so the index finds the
            // employer whose account paid; an IBAN in capitals.
            let account = credit
                .debtor_account
                .as_deref()
                .map(|a| {
                    a.chars()
                        .filter(|c| !c.is_whitespace() && *c != '-')
                        .collect::<String>()
                        .to_ascii_uppercase()
                })
                .filter(|a| !a.is_empty());
            let account = account.as_deref();
            let amount_text = item
                .facts
                .amount_text
                .clone()
                .or_else(|| item.amount.map(|a| a.to_string()))
                .unwrap_or_default();
            // One transfer reported twice is kept once (migration 0023): its day, amount,
            // the bank's reference else the payer's, and the payer's account.
            let index = account.map(|a| cipher.blind_index(a));
            let day = item.facts.booked_on.or(item.facts.value_date);
            let reference = nonblank(credit.entry_key.as_deref())
                .map(|r| format!("acct:{r}"))
                .or_else(|| {
                    nonblank(credit.end_to_end_id.as_deref())
                        .filter(|r| !r.eq_ignore_ascii_case("NOTPROVIDED"))
                        .map(|r| format!("e2e:{r}"))
                });
            let dedupe_key = match (day, item.amount, reference) {
                (Some(day), Some(amount), Some(reference)) => Some(format!(
                    "{day}|{}|{reference}|{}",
                    amount.centimes(),
                    index.as_deref().unwrap_or("")
                )),
                _ => None,
            };
            Some((
                first + n as i64 + 1,
                credit.entry_key.clone(),
                item.amount.map(|a| a.centimes()),
                amount_text,
                item.facts.currency.clone(),
                item.facts.booked_on.map(|d| d.to_string()),
                item.facts.value_date.map(|d| d.to_string()),
                credit.entry_reference.clone(),
                credit.debtor_name.as_deref().map(|n| cipher.encrypt(n)),
                credit.remittance.as_deref().map(|r| cipher.encrypt(r)),
                account.map(|a| cipher.encrypt(a)),
                index,
                account.map(mandates::mask_digits),
                dedupe_key,
            ))
        })
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    let JsonArrayRows { from: source, .. } = backend.json_array_rows();
    let rows = serde_json::to_string(&rows).expect("incoming credits are strings and integers");
    let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO incoming_credits (report_id, item, source, entry_key, amount_centimes, amount_text, \
         currency, booked_on, value_date, entry_reference, debtor_name_encrypted, remittance_encrypted, \
         debtor_account_encrypted, debtor_account_index, debtor_account_masked, dedupe_key, created_at) \
         SELECT $1, CAST(j.value ->> 0 AS BIGINT), $3, j.value ->> 1, CAST(j.value ->> 2 AS BIGINT), \
         j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7, j.value ->> 8, \
         j.value ->> 9, j.value ->> 10, j.value ->> 11, j.value ->> 12, j.value ->> 13, $4 FROM {source} \
         WHERE EXISTS (SELECT 1 FROM report_items i WHERE i.report_id = $1 \
           AND i.item = CAST(j.value ->> 0 AS BIGINT) AND i.outcome = 'info') \
         ON CONFLICT DO NOTHING"
    )))
    .bind(report_id)
    .bind(rows)
    .bind(institution.map_or("", |i| i.as_str()))
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(inserted)
}

/// `value` trimmed, when not empty.
fn nonblank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

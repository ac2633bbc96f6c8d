//! Incoming credits (migration 0021: booked credits on the fund's account that are not its
//! collections) found their employer (migration 0023).
//!
//! Matching, in the import's transaction ([`match_report`]): a credit in dinars whose
//! remittance information names exactly one employer — by its affiliation number (written
//! with or without `-`, `.`, `/` or spaces inside one word: `16-000456`) or by the
//! reference of one of its mandates — is recorded as that employer's payment by transfer
//! through the payments' own core (`payments::write_payment`: allocated oldest line
//! first, planned debits reduced or cancelled), with the entry's reference (`NtryRef`,
//! else the bank's `AcctSvcrRef`) as the payment's reference, dated by its booking date.
//! The payer's name is never enough, nor is its account. A credit naming no employer, or
//! two, or whose reference the employer already has as a transfer (recorded by hand
//! first), waits. Idempotent: a credit is matched once (`status`, and a unique key on its
//! `payment_id`); the same statement twice is refused by hash, and an entry reported again
//! in another report is kept once (migration 0021), so never paid twice.
//!
//! Staff then see the waiting credits (amount, date, payer's name and remittance text,
//! masked account) and allocate one to an employer by affiliation (a payment, the same
//! way) or set it aside as not for the fund, with the reason — both audited.
//!
//! Must not know: how a report was read (`crate::cycle::import`).

use chrono::NaiveDate;
use mandates::Amount;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::audit::Audit;
use super::payments::{
    NewPayment, PAYMENT_NOTE_MAX, PAYMENT_REFERENCE_MAX, PaymentChannel, PaymentOutcome,
    WrittenPayment, audit_payment, write_payment,
};
use super::{Actor, Refusal, Store, StoreError, StoreResult};
use crate::crypto::AccountCipher;

/// At most this many words of a remittance text are looked up.
const MAX_WORDS: usize = 24;

/// A credit waiting for staff, as the console lists it (personal data decrypted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitingCredit {
    pub id: i64,
    /// `None` when not in dinars (then `amount_text` and `currency`).
    pub amount: Option<Amount>,
    pub amount_text: String,
    pub currency: Option<String>,
    pub booked_on: Option<String>,
    pub debtor_name: Option<String>,
    pub remittance: Option<String>,
    pub account_masked: Option<String>,
    pub entry_reference: Option<String>,
}

#[derive(FromRow)]
struct CreditRow {
    id: i64,
    report_id: i64,
    item: i64,
    amount_centimes: Option<i64>,
    amount_text: String,
    currency: Option<String>,
    booked_on: Option<String>,
    value_date: Option<String>,
    entry_reference: Option<String>,
    entry_key: Option<String>,
    debtor_name_encrypted: Option<String>,
    remittance_encrypted: Option<String>,
    debtor_account_masked: Option<String>,
    status: String,
}

const CREDIT_COLUMNS: &str = "id, report_id, item, amount_centimes, amount_text, currency, booked_on, \
     value_date, entry_reference, entry_key, debtor_name_encrypted, remittance_encrypted, \
     debtor_account_masked, status";

impl CreditRow {
    /// In dinars, with an amount: what can be recorded as a payment.
    fn dinars(&self) -> Option<Amount> {
        let dzd = self
            .currency
            .as_deref()
            .is_none_or(|c| c.trim().eq_ignore_ascii_case("DZD"));
        self.amount_centimes
            .filter(|c| *c > 0 && dzd)
            .map(Amount::from_centimes)
    }

    /// The payment's reference: the entry's own, else the bank's, else its place in the
    /// report; at most [`PAYMENT_REFERENCE_MAX`] characters.
    fn reference(&self) -> String {
        let reference = [&self.entry_reference, &self.entry_key]
            .into_iter()
            .flatten()
            .map(|r| r.trim())
            .find(|r| !r.is_empty())
            .map_or_else(
                || format!("CRDT-{}-{}", self.report_id, self.item),
                str::to_owned,
            );
        reference.chars().take(PAYMENT_REFERENCE_MAX).collect()
    }

    /// The day the money was received: its booking date, else value date, never after today.
    fn received_on(&self, today: NaiveDate) -> NaiveDate {
        [&self.booked_on, &self.value_date]
            .into_iter()
            .flatten()
            .find_map(|d| d.parse::<NaiveDate>().ok())
            .map_or(today, |d| d.min(today))
    }
}

/// The words of a remittance text that may be an affiliation number or a mandate
/// reference, in capitals: each word as written (a mandate reference keeps its `-`), and
/// without the separators `-`, `.`, `/` (an affiliation number written `16-000456`).
/// Words without a digit are left out.
fn candidate_words(remittance: &str) -> Vec<String> {
    let mut words = Vec::new();
    for word in remittance
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '+'))
    {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        if word.len() < 4 || !word.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let upper = word.to_uppercase();
        let bare: String = upper
            .chars()
            .filter(|c| !matches!(c, '-' | '.' | '/'))
            .collect();
        for w in [upper, bare] {
            if !words.contains(&w) {
                words.push(w);
            }
        }
        if words.len() >= MAX_WORDS {
            break;
        }
    }
    words.truncate(MAX_WORDS);
    words
}

/// The one employer `words` name (by affiliation number, else by mandate reference), and
/// how; `None` when they name none, or more than one.
async fn employer_named(
    tx: &mut sqlx::AnyConnection,
    words: &[String],
) -> StoreResult<Option<(i64, &'static str)>> {
    if words.is_empty() {
        return Ok(None);
    }
    let list = (1..=words.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    for (how, query) in [
        (
            "affiliation",
            format!("SELECT DISTINCT id FROM employers WHERE affiliation_number IN ({list})"),
        ),
        (
            "reference",
            format!("SELECT DISTINCT employer_id FROM mandates WHERE reference IN ({list})"),
        ),
    ] {
        let mut select = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(query));
        for word in words {
            select = select.bind(word.clone());
        }
        let found = select.fetch_all(&mut *tx).await?;
        match found.as_slice() {
            [one] => return Ok(Some((*one, how))),
            [] => continue,
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// A credit recorded as a payment, for the audit trail (written last by the caller).
#[derive(Clone, Debug)]
pub(super) struct CreditPaid {
    credit_id: i64,
    new: NewPayment,
    written: WrittenPayment,
    how: &'static str,
}

/// Records credit `row` as the employer's payment by transfer and marks it `status`
/// (`matched` or `allocated`). `None`: the employer already has a transfer with this
/// reference (nothing written; the credit keeps waiting).
async fn pay_credit(
    tx: &mut sqlx::AnyConnection,
    lock_rows: &str,
    actor: &Actor,
    row: &CreditRow,
    to: (i64, &'static str),
    today: NaiveDate,
    now: &str,
) -> StoreResult<Option<CreditPaid>> {
    let Some(amount) = row.dinars() else {
        return Ok(None);
    };
    let (employer_id, how) = to;
    let new = NewPayment {
        employer_id,
        amount,
        received_on: row.received_on(today),
        channel: PaymentChannel::Transfer,
        reference: row.reference(),
        note: None,
    };
    let Some(written) =
        write_payment(tx, lock_rows, actor, &new, &new.reference, None, now).await?
    else {
        return Ok(None);
    };
    let status = if how == "staff" {
        "allocated"
    } else {
        "matched"
    };
    sqlx::query(
        "UPDATE incoming_credits SET status = $2, payment_id = $3, employer_id = $4, matched_by = $5, \
         handled_by = $6, handled_at = $7 WHERE id = $1 AND status = 'waiting'",
    )
    .bind(row.id)
    .bind(status)
    .bind(written.payment_id)
    .bind(employer_id)
    .bind(how)
    .bind(actor.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(Some(CreditPaid {
        credit_id: row.id,
        new,
        written,
        how,
    }))
}

/// Step 3c of applying report `report_id`: its new incoming credits matched to employers
/// and recorded as payments (see the module). Returns what was paid, for [`audit_paid`].
pub(super) async fn match_report(
    tx: &mut sqlx::AnyConnection,
    cipher: &AccountCipher,
    lock_rows: &str,
    actor: &Actor,
    report_id: i64,
    today: NaiveDate,
    now: &str,
) -> StoreResult<Vec<CreditPaid>> {
    let rows: Vec<CreditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CREDIT_COLUMNS} FROM incoming_credits WHERE report_id = $1 AND status = 'waiting' \
         AND amount_centimes > 0 AND remittance_encrypted IS NOT NULL ORDER BY item"
    )))
    .bind(report_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut paid = Vec::new();
    for row in rows {
        if row.dinars().is_none() {
            continue;
        }
        let Some(remittance) = row.remittance_encrypted.as_deref() else {
            continue;
        };
        let words = candidate_words(&cipher.decrypt(remittance)?);
        let Some(to) = employer_named(&mut *tx, &words).await? else {
            continue;
        };
        if let Some(done) = pay_credit(&mut *tx, lock_rows, actor, &row, to, today, now).await? {
            paid.push(done);
        }
    }
    Ok(paid)
}

/// The audit entries of credits recorded as payments: each payment's, and the credit's.
pub(super) async fn audit_paid(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    paid: &[CreditPaid],
    now: &str,
) -> StoreResult<()> {
    for credit in paid {
        audit_payment(&mut *tx, actor, &credit.new, &credit.written, now).await?;
        Audit::new(
            actor,
            if credit.how == "staff" {
                "incoming_credit.allocated"
            } else {
                "incoming_credit.matched"
            },
        )
        .on("incoming_credit", credit.credit_id)
        .detail(json!({
            "employer_id": credit.new.employer_id,
            "payment_id": credit.written.payment_id,
            "amount_centimes": credit.new.amount.centimes(),
            "matched_by": credit.how,
        }))
        .record(&mut *tx, now)
        .await?;
    }
    Ok(())
}

impl Store {
    /// The incoming credits waiting for staff, oldest first (at most `limit`).
    pub async fn waiting_credits(&self, limit: i64) -> StoreResult<Vec<WaitingCredit>> {
        let rows: Vec<CreditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CREDIT_COLUMNS} FROM incoming_credits WHERE status = 'waiting' ORDER BY id LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let open = |v: &Option<String>| -> StoreResult<Option<String>> {
            Ok(match v.as_deref() {
                Some(e) => Some(self.cipher.decrypt(e)?),
                None => None,
            })
        };
        rows.iter()
            .map(|r| {
                Ok(WaitingCredit {
                    id: r.id,
                    amount: r.dinars(),
                    amount_text: r.amount_text.clone(),
                    currency: r.currency.clone(),
                    booked_on: r.booked_on.clone().or_else(|| r.value_date.clone()),
                    debtor_name: open(&r.debtor_name_encrypted)?,
                    remittance: open(&r.remittance_encrypted)?,
                    account_masked: r.debtor_account_masked.clone(),
                    entry_reference: r.entry_reference.clone().or_else(|| r.entry_key.clone()),
                })
            })
            .collect()
    }

    /// The waiting credit `credit_id`, held until the commit (PostgreSQL).
    async fn waiting_credit(
        &self,
        tx: &mut sqlx::AnyConnection,
        credit_id: i64,
    ) -> StoreResult<CreditRow> {
        let row: Option<CreditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CREDIT_COLUMNS} FROM incoming_credits WHERE id = $1{}",
            self.backend.lock_rows()
        )))
        .bind(credit_id)
        .fetch_optional(&mut *tx)
        .await?;
        let row = row.ok_or_else(|| StoreError::not_found("incoming credit", credit_id))?;
        if row.status != "waiting" {
            return Err(StoreError::refused(
                Refusal::IncomingCreditHandled,
                format!(
                    "incoming credit {credit_id} is no longer waiting ({}): nothing changed",
                    row.status
                ),
            ));
        }
        Ok(row)
    }

    /// Staff allocate waiting credit `credit_id` to the employer with `affiliation`: it is
    /// recorded as that employer's payment by transfer (allocated like any payment), and
    /// audited as the staff member. One transaction.
    pub async fn allocate_incoming_credit(
        &self,
        actor: &Actor,
        credit_id: i64,
        affiliation: &str,
    ) -> StoreResult<PaymentOutcome> {
        let employer_id = self.employer_id_by_affiliation(affiliation).await?;
        let today = self.clock.today();
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let row = self.waiting_credit(&mut tx, credit_id).await?;
        if row.dinars().is_none() {
            return Err(StoreError::refused(
                Refusal::IncomingCreditNotDinars,
                format!(
                    "incoming credit {credit_id} is not an amount in dinars ({} {}): it cannot pay dues; \
                     set it aside with the reason",
                    row.amount_text,
                    row.currency.as_deref().unwrap_or("")
                ),
            ));
        }
        let lock_rows = self.backend.lock_rows();
        let paid = pay_credit(
            &mut tx,
            lock_rows,
            actor,
            &row,
            (employer_id, "staff"),
            today,
            &now,
        )
        .await?;
        let Some(paid) = paid else {
            return Err(StoreError::refused(
                Refusal::PaymentDuplicate,
                format!(
                    "a transfer with reference {} is already recorded for employer {affiliation}; nothing recorded",
                    row.reference()
                ),
            ));
        };
        audit_paid(&mut tx, actor, std::slice::from_ref(&paid), &now).await?;
        tx.commit().await?;
        let done = &paid.written.done;
        Ok(PaymentOutcome {
            payment: self.payment(paid.written.payment_id).await?,
            lines_paid: done.lines_paid,
            allocated: Amount::from_centimes(done.allocated),
            debits_reduced: done.reduced.clone(),
            debits_cancelled: done.cancelled.clone(),
            unallocated: Amount::from_centimes(done.unallocated.saturating_neg()),
        })
    }

    /// Staff set waiting credit `credit_id` aside as not for the fund, with the reason
    /// (required): it leaves the waiting list, audited.
    pub async fn dismiss_incoming_credit(
        &self,
        actor: &Actor,
        credit_id: i64,
        reason: &str,
    ) -> StoreResult<()> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > PAYMENT_NOTE_MAX {
            return Err(StoreError::refused(
                Refusal::IncomingCreditReason,
                format!(
                    "say why this credit is not for the fund (at most {PAYMENT_NOTE_MAX} characters)"
                ),
            ));
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        self.waiting_credit(&mut tx, credit_id).await?;
        sqlx::query(
            "UPDATE incoming_credits SET status = 'dismissed', dismissed_reason = $2, handled_by = $3, \
             handled_at = $4 WHERE id = $1 AND status = 'waiting'",
        )
        .bind(credit_id)
        .bind(reason)
        .bind(actor.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        Audit::new(actor, "incoming_credit.dismissed")
            .on("incoming_credit", credit_id)
            .detail(json!({ "reason": reason }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::candidate_words;

    #[test]
    fn remittance_words_keep_references_and_join_affiliation_numbers() {
        let words =
            candidate_words("Cotisations oct. affiliation 16-000456, réf: TAHSIL-M-00012 (solde)");
        assert!(words.contains(&"16-000456".to_owned()), "{words:?}");
        assert!(words.contains(&"16000456".to_owned()), "{words:?}");
        assert!(words.contains(&"TAHSIL-M-00012".to_owned()), "{words:?}");
        assert!(
            !words.iter().any(|w| w.contains("COTISATIONS")),
            "{words:?}"
        );
        assert!(candidate_words("SARL Bâtiment du Sahel").is_empty());
    }
}

//! Incoming credits (migration 0021: booked credits on the fund's account that are not its
//! collections) found their employer (migration 0023).
//!
//! Matching, in the import's transaction ([`match_report`]): a credit in dinars whose
//! remittance information names exactly one employer — by affiliation number and by
//! mandate reference together, over every word ([`candidate_words`]: only those shapes,
//! never a date or an amount) — is recorded as that employer's payment by transfer
//! through the payments' own core (`payments::write_payment`: allocated oldest line
//! first, planned debits reduced or cancelled), its reference the credit's own
//! (`CRDT-{id}`), the bank's `NtryRef`/`AcctSvcrRef` in its note, dated by its booking
//! date. The payer's name is never enough, nor is its account. A credit naming no
//! employer, or two, waits; so does one the employer may already have ([`why_wait`]: a
//! transfer of the same amount within 10 days recorded by hand; or, without any
//! reference, the same day, amount and account in another report), with the reason shown
//! to staff. Idempotent: a credit is matched once (`status`, and a unique key on its
//! `payment_id`); the same statement twice is refused by hash, and a transfer reported
//! again in another report (an intraday camt.052, then the camt.053) is kept once — by
//! `AcctSvcrRef` (migration 0021) or by its `dedupe_key` (migration 0023: day, amount,
//! `AcctSvcrRef` else EndToEndId, payer's account) — so never paid twice. Credits kept
//! before 0023 are `before_matching`: neither matched nor offered to staff.
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
    NewPayment, PAYMENT_NOTE_MAX, PaymentChannel, PaymentOutcome, WrittenPayment, audit_payment,
    write_payment,
};
use super::{Actor, Refusal, Store, StoreError, StoreResult};
use crate::crypto::AccountCipher;

/// Words looked up in one query (both dialects' bind limits are far above).
const WORDS_PER_QUERY: usize = 100;

/// A credit kept waiting by the import although its remittance names one employer, and
/// why (`incoming_credits.waiting_reason`).
pub const WAITING_TRANSFER_RECORDED: &str = "transfer_already_recorded";
/// ... or because the same transfer (day, amount, payer's account), without a reference
/// of the bank's or the payer's, is already in another report.
pub const WAITING_POSSIBLE_REPEAT: &str = "possible_repeat";

/// A hand-recorded transfer of the same amount this many days either side of a credit's
/// booking date makes the credit wait: it may be the same money.
const SAME_TRANSFER_DAYS: u64 = 10;

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
    /// Why the import did not record it although it names an employer
    /// ([`WAITING_TRANSFER_RECORDED`], [`WAITING_POSSIBLE_REPEAT`]); `None`: it names none.
    pub waiting_reason: Option<String>,
}

#[derive(FromRow)]
struct CreditRow {
    id: i64,
    report_id: i64,
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
    debtor_account_index: Option<String>,
    dedupe_key: Option<String>,
    status: String,
    waiting_reason: Option<String>,
}

const CREDIT_COLUMNS: &str = "id, report_id, amount_centimes, amount_text, currency, booked_on, \
     value_date, entry_reference, entry_key, debtor_name_encrypted, remittance_encrypted, \
     debtor_account_masked, debtor_account_index, dedupe_key, status, waiting_reason";

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

    /// The payment's reference: the credit's own (`CRDT-{id}`), unique however the bank
    /// numbers its entries (an `NtryRef` restarts in every report).
    fn reference(&self) -> String {
        format!("CRDT-{}", self.id)
    }

    /// The payment's note: the bank's references of the entry, as the statement gave them.
    fn note(&self) -> Option<String> {
        let refs: Vec<String> = [
            ("NtryRef", &self.entry_reference),
            ("AcctSvcrRef", &self.entry_key),
        ]
        .into_iter()
        .filter_map(|(name, r)| {
            let r = r.as_deref()?.trim();
            (!r.is_empty()).then(|| format!("{name} {r}"))
        })
        .collect();
        (!refs.is_empty()).then(|| refs.join(", ").chars().take(PAYMENT_NOTE_MAX).collect())
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
/// reference, in capitals, each once. Only their own shapes are taken: a word with a
/// letter and a digit, as written (a mandate reference, `TAHSIL-M-00012`, or an
/// affiliation number with letters), a word of digits only (`16000456`), and an
/// affiliation number written `NN-NNNNNN` or `NN NNNNNN` (taken joined, `16000456`).
/// Never a date or an amount: digits with `/`, `.` or `,` inside (`16/10/2026`,
/// `16.000.456,00`), or joined by `-` in any other shape (`2026-12-16`, `2026-12`). Words
/// without a digit are left out. No cap: every word is looked up.
fn candidate_words(remittance: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut push = |w: String| {
        if !words.contains(&w) {
            words.push(w);
        }
    };
    let digits = |w: &str, n: usize| w.len() == n && w.chars().all(|c| c.is_ascii_digit());
    // Not split at `,` or `.`: an amount (`16000456,00`) stays one word, then left out.
    let tokens: Vec<&str> = remittance
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | ':' | '(' | ')' | '+'))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    for (n, word) in tokens.iter().enumerate() {
        // `NN NNNNNN`: two words.
        if digits(word, 2) && tokens.get(n + 1).is_some_and(|next| digits(next, 6)) {
            push(format!("{word}{}", tokens[n + 1]));
        }
        if word.len() < 4 || !word.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        if word.chars().any(char::is_alphabetic) {
            // An affiliation number with letters, or a mandate reference, as written.
            push(word.to_uppercase());
        } else if word.chars().all(|c| c.is_ascii_digit()) {
            push((*word).to_owned());
        } else if let Some((head, tail)) = word.split_once('-')
            && digits(head, 2)
            && digits(tail, 6)
        {
            push(format!("{head}{tail}"));
        }
    }
    words
}

/// The one employer `words` name — by affiliation number or by mandate reference, both
/// looked up over every word — and how; `None` when they name none, or more than one
/// (together: an affiliation number of one and a mandate reference of another is two).
async fn employer_named(
    tx: &mut sqlx::AnyConnection,
    words: &[String],
) -> StoreResult<Option<(i64, &'static str)>> {
    let mut named: Vec<(i64, &'static str)> = Vec::new();
    for chunk in words.chunks(WORDS_PER_QUERY) {
        let list = (1..=chunk.len())
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
            for word in chunk {
                select = select.bind(word.clone());
            }
            for id in select.fetch_all(&mut *tx).await? {
                if !named.iter().any(|(known, _)| *known == id) {
                    named.push((id, how));
                }
            }
        }
    }
    Ok(match named.as_slice() {
        [one] => Some(*one),
        _ => None,
    })
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
/// (`matched` or `allocated`), the payment's reference the credit's own (`CRDT-{id}`) and
/// its note the bank's references. `None`: not in dinars, or already recorded (nothing
/// written).
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
        note: row.note(),
    };
    let Some(written) = write_payment(
        tx,
        lock_rows,
        actor,
        &new,
        &new.reference,
        new.note.as_deref(),
        now,
    )
    .await?
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
         handled_by = $6, handled_at = $7, waiting_reason = NULL WHERE id = $1 AND status = 'waiting'",
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
        if let Some(reason) = why_wait(&mut *tx, &row, to.0, today).await? {
            sqlx::query("UPDATE incoming_credits SET waiting_reason = $2 WHERE id = $1")
                .bind(row.id)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
            continue;
        }
        if let Some(done) = pay_credit(&mut *tx, lock_rows, actor, &row, to, today, now).await? {
            paid.push(done);
        }
    }
    Ok(paid)
}

/// Why credit `row`, naming `employer_id`, waits for staff instead of being recorded:
/// - the employer already has a payment by transfer of the same amount received within
///   [`SAME_TRANSFER_DAYS`] days of the credit, not recorded from an incoming credit — a
///   transfer entered by hand (with the staff's reference) may be this same money;
/// - the credit has no reference of the bank's or the payer's (no dedupe key, migration
///   0023) and another report already has a credit of the same day, amount and payer's
///   account — an intraday camt.052 and the day's camt.053 may report it twice.
async fn why_wait(
    tx: &mut sqlx::AnyConnection,
    row: &CreditRow,
    employer_id: i64,
    today: NaiveDate,
) -> StoreResult<Option<&'static str>> {
    let received = row.received_on(today);
    let window = chrono::Days::new(SAME_TRANSFER_DAYS);
    let from = received.checked_sub_days(window).unwrap_or(received);
    let to = received.checked_add_days(window).unwrap_or(received);
    let recorded: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM payments p WHERE p.employer_id = $1 AND p.channel = 'transfer' \
         AND p.amount_centimes = $2 AND p.received_on BETWEEN $3 AND $4 \
         AND NOT EXISTS (SELECT 1 FROM incoming_credits k WHERE k.payment_id = p.id)",
    )
    .bind(employer_id)
    .bind(row.amount_centimes)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_one(&mut *tx)
    .await?;
    if recorded > 0 {
        return Ok(Some(WAITING_TRANSFER_RECORDED));
    }
    if row.dedupe_key.is_none() {
        let day = row.booked_on.clone().or_else(|| row.value_date.clone());
        let repeats: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM incoming_credits k WHERE k.report_id <> $1 \
             AND k.amount_centimes = $2 AND COALESCE(k.booked_on, k.value_date) = $3 \
             AND COALESCE(k.debtor_account_index, '') = $4",
        )
        .bind(row.report_id)
        .bind(row.amount_centimes)
        .bind(day.unwrap_or_default())
        .bind(row.debtor_account_index.clone().unwrap_or_default())
        .fetch_one(&mut *tx)
        .await?;
        if repeats > 0 {
            return Ok(Some(WAITING_POSSIBLE_REPEAT));
        }
    }
    Ok(None)
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
                    waiting_reason: r.waiting_reason.clone(),
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
                    "this credit is already recorded as transfer {} for employer {affiliation}; nothing recorded",
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
        let words = candidate_words(
            "Cotisations oct. affiliation 16-000456, réf: TAHSIL-M-00012 (solde) 16 000457",
        );
        for word in ["16000456", "TAHSIL-M-00012", "16000457"] {
            assert!(words.contains(&word.to_owned()), "{words:?}");
        }
        assert!(
            !words
                .iter()
                .any(|w| w.contains("COTISATIONS") || w.contains('-') && !w.starts_with("TAHSIL")),
            "{words:?}"
        );
        assert!(candidate_words("SARL Bâtiment du Sahel").is_empty());
    }

    #[test]
    fn dates_and_amounts_are_never_candidates() {
        for text in [
            "Cotisations du 16/10/2026",
            "montant 16.000.456,00 DA",
            "periode 2026-12-16 mois 2026-12",
            "16000456,00",
            "16/000456",
        ] {
            assert!(
                candidate_words(text).is_empty(),
                "{text}: {:?}",
                candidate_words(text)
            );
        }
    }
}

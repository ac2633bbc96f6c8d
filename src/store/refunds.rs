//! Refunds of an employer's credit (issue 15 point 4; migration 0024): asked for by the
//! employer (the portal's "refund to my account"), by staff, or by the answer to an upheld
//! dispute; decided by staff (approve, or refuse with a reason; whoever asked on the staff
//! side does not approve); sent as credit transfers in one refund file per institution
//! (the caller writes and stages the file, this records it, its refunds and their `refund`
//! ledger entries in one transaction); then settled or rejected by the bank's answer (a
//! rejection puts the credit back, with a second `refund` entry: `refund_answers.rs`).
//!
//! The credit that can be refunded is the employer's credit in the ledger: what it paid
//! and has not allocated, no more than its balance below zero (a debit still with the bank
//! may yet fail, so money paid for it is not refundable before it settles). It is checked
//! when asked, when approved and, under planning's lock (PostgreSQL; SQLite has one
//! writer), when the file is recorded: a payment's allocation takes the same lock, so the
//! two never spend the same credit — a refund whose credit was used meanwhile lapses,
//! nothing sent. One open request per employer (a unique index), a refund in one file at
//! most with a unique end-to-end id, and its ledger entry keyed `refund:ID`.
//!
//! Must not know: the bytes of a refund file (`cycle::refund` writes them).

use chrono::NaiveDate;
use mandates::{AccountId, Amount, Channel};
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, FromRow};

use super::audit::Audit;
use super::{Actor, Institution, Store, StoreError, StoreResult, conflict_on_unique};

::mandates::stored_codes! {
    /// Where a refund stands.
    pub enum RefundStatus("refund status") {
        Requested = "requested",
        Approved = "approved",
        Refused = "refused",
        Withdrawn = "withdrawn",
        Sent = "sent",
        Lapsed = "lapsed",
        Settled = "settled",
        Rejected = "rejected",
    }
}

/// The longest reason or note kept with a decision.
pub const REFUND_NOTE_MAX: usize = 500;

/// A refund as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefundRecord {
    pub id: i64,
    pub employer_id: i64,
    pub amount: Amount,
    pub status: RefundStatus,
    pub requested_by: String,
    pub requested_by_staff: bool,
    pub requested_at: String,
    pub dispute_id: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub refund_file_id: Option<i64>,
    pub end_to_end_id: Option<String>,
    pub reason_code: Option<String>,
    pub updated_at: String,
}

#[derive(FromRow)]
struct RefundRow {
    id: i64,
    employer_id: i64,
    amount_centimes: i64,
    #[sqlx(try_from = "String")]
    status: RefundStatus,
    requested_by: String,
    requested_by_staff: i64,
    requested_at: String,
    dispute_id: Option<i64>,
    decided_by: Option<String>,
    decided_at: Option<String>,
    decision_note: Option<String>,
    refund_file_id: Option<i64>,
    end_to_end_id: Option<String>,
    reason_code: Option<String>,
    updated_at: String,
}

impl From<RefundRow> for RefundRecord {
    fn from(r: RefundRow) -> RefundRecord {
        RefundRecord {
            id: r.id,
            employer_id: r.employer_id,
            amount: Amount::from_centimes(r.amount_centimes),
            status: r.status,
            requested_by: r.requested_by,
            requested_by_staff: r.requested_by_staff != 0,
            requested_at: r.requested_at,
            dispute_id: r.dispute_id,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decision_note: r.decision_note,
            refund_file_id: r.refund_file_id,
            end_to_end_id: r.end_to_end_id,
            reason_code: r.reason_code,
            updated_at: r.updated_at,
        }
    }
}

const REFUND_COLUMNS: &str = "id, employer_id, amount_centimes, status, requested_by, requested_by_staff, \
     requested_at, dispute_id, decided_by, decided_at, decision_note, refund_file_id, end_to_end_id, \
     reason_code, updated_at";

/// Who asks for a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundRequester {
    /// The employer, in the portal: staff approve it.
    Employer,
    /// A member of staff: another one approves it.
    Staff,
    /// Staff answering dispute `0` as upheld: approved by that answer.
    DisputeAnswer(i64),
}

/// One refund of a file, as the file writer needs it (the account decrypted).
#[derive(Clone, Debug)]
pub struct RefundToSend {
    pub refund_id: i64,
    pub employer_id: i64,
    pub affiliation_number: String,
    pub creditor_name: String,
    pub account: AccountId,
    pub amount: Amount,
    /// Unique, given now: the bank's answer names the refund by it.
    pub end_to_end_id: String,
}

/// A refund file as written and staged, to record.
#[derive(Clone, Debug)]
pub struct NewRefundFile {
    pub file_name: String,
    pub format: String,
    pub message_id: String,
    pub execution_date: NaiveDate,
    pub transactions: u64,
    pub control_sum: Amount,
    pub sha256: String,
    pub size_bytes: u64,
}

/// A recorded refund file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct RefundFileRecord {
    pub id: i64,
    pub institution: String,
    pub sequence: i64,
    pub file_name: String,
    pub format: String,
    pub message_id: String,
    pub execution_date: String,
    pub transactions: i64,
    pub control_sum_centimes: i64,
    pub sha256: String,
    pub size_bytes: i64,
    pub created_at: String,
}

/// What sending an institution's approved refunds did.
#[derive(Debug)]
pub struct RefundsSent<T> {
    /// The file recorded, and what the writer handed back (its staged file), if any refund
    /// was sent.
    pub file: Option<(RefundFileRecord, T)>,
    /// Refunds whose credit was used meanwhile: lapsed, nothing sent.
    pub lapsed: Vec<i64>,
}

#[derive(FromRow)]
struct SendRow {
    id: i64,
    employer_id: i64,
    amount_centimes: i64,
    affiliation_number: String,
    name: String,
    number_encrypted: String,
}

/// The employer's credit that can be refunded now, in centimes (see the module): what it
/// has received and not allocated, no more than its balance below zero.
pub(super) async fn refundable_credit(
    conn: &mut AnyConnection,
    employer_id: i64,
) -> StoreResult<i64> {
    let (unallocated, total): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(unallocated_centimes), 0) AS BIGINT), \
         CAST(COALESCE(SUM(amount_centimes), 0) AS BIGINT) FROM ledger_entries WHERE employer_id = $1",
    )
    .bind(employer_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(unallocated
        .saturating_neg()
        .min(total.saturating_neg())
        .max(0))
}

/// The account refund `r` goes to: its employer's active mandate's (the newest); none
/// without an active mandate, and then the refund waits (an account of a revoked or
/// suspended mandate may be closed or no longer the employer's).
const REFUND_ACCOUNT: &str = "(SELECT m.account_id FROM mandates m WHERE m.employer_id = r.employer_id \
     AND m.status = 'active' ORDER BY m.id DESC LIMIT 1)";

/// `kinds` as an SQL list of their stored codes (fixed words, never input).
fn kinds_list(kinds: &[Channel]) -> String {
    kinds
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A refund's end-to-end id: unique, from its id (`TSL-RF-` and ten digits).
pub fn refund_end_to_end_id(refund_id: i64) -> String {
    format!("TSL-RF-{refund_id:010}")
}

fn trimmed_note(note: Option<&str>) -> StoreResult<Option<String>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > REFUND_NOTE_MAX) {
        return Err(StoreError::Invalid(format!(
            "the reason is longer than {REFUND_NOTE_MAX} characters: shorten it"
        )));
    }
    Ok(note.map(str::to_owned))
}

impl Store {
    /// The employer's credit that can be refunded now (see the module).
    pub async fn refundable_credit(&self, employer_id: i64) -> StoreResult<Amount> {
        let mut conn = self.pool.acquire().await?;
        Ok(Amount::from_centimes(
            refundable_credit(&mut conn, employer_id).await?,
        ))
    }

    /// Asks for a refund of `amount` (the whole refundable credit when `None`). Refused
    /// when there is no credit, the amount is above it, or a request is already open. A
    /// dispute's answer records it approved by the one who answered.
    pub async fn request_refund(
        &self,
        actor: &Actor,
        employer_id: i64,
        amount: Option<Amount>,
        requester: RefundRequester,
    ) -> StoreResult<RefundRecord> {
        let mut tx = self.begin_write().await?;
        let id = request_refund_in(
            &mut tx,
            actor,
            employer_id,
            amount,
            requester,
            &self.now_text(),
        )
        .await?;
        tx.commit().await?;
        self.refund(id).await
    }

    /// Staff's decision on a requested refund: approved (the credit checked again), or
    /// refused with a reason. Whoever asked for it on the staff side cannot approve it; a
    /// refund already decided is refused (twice the same click decides once).
    pub async fn decide_refund(
        &self,
        actor: &Actor,
        refund_id: i64,
        approve: bool,
        note: Option<&str>,
    ) -> StoreResult<RefundRecord> {
        let note = trimmed_note(note)?;
        if !approve && note.is_none() {
            return Err(StoreError::Invalid(
                "say why the refund is refused (the employer sees the reason)".to_owned(),
            ));
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let refund = sqlx::query_as::<_, RefundRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE id = $1{}",
            self.backend.lock_rows()
        )))
        .bind(refund_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(RefundRecord::from)
        .ok_or_else(|| StoreError::not_found("refund", refund_id))?;
        if refund.status != RefundStatus::Requested {
            return Err(StoreError::Conflict(format!(
                "refund {refund_id} is already {}: nothing changed",
                refund.status
            )));
        }
        if approve && refund.requested_by_staff && refund.requested_by == actor.as_str() {
            return Err(StoreError::Conflict(format!(
                "refund {refund_id} was asked for by you: another member of staff approves it"
            )));
        }
        if approve {
            let credit = refundable_credit(&mut tx, refund.employer_id).await?;
            if refund.amount.centimes() > credit {
                return Err(StoreError::Conflict(format!(
                    "refund {refund_id} is for {} DA but the employer's credit is now {} DA: refuse it \
                     (the employer may ask again)",
                    refund.amount,
                    Amount::from_centimes(credit)
                )));
            }
        }
        let status = if approve {
            RefundStatus::Approved
        } else {
            RefundStatus::Refused
        };
        sqlx::query(
            "UPDATE refunds SET status = $2, decided_by = $3, decided_at = $4, decision_note = $5, updated_at = $4 \
             WHERE id = $1 AND status = 'requested'",
        )
        .bind(refund_id)
        .bind(status.as_str())
        .bind(actor.as_str())
        .bind(&now)
        .bind(note.clone())
        .execute(&mut *tx)
        .await?;
        Audit::new(
            actor,
            if approve {
                "refund.approved"
            } else {
                "refund.refused"
            },
        )
        .on("refund", refund_id)
        .detail(json!({
            "employer_id": refund.employer_id,
            "amount_centimes": refund.amount.centimes(),
            "note": note,
        }))
        .record(&mut tx, &now)
        .await?;
        tx.commit().await?;
        self.refund(refund_id).await
    }

    /// The employer keeps its credit for the next due date: its refund request, not yet
    /// decided, is withdrawn.
    pub async fn withdraw_refund(
        &self,
        actor: &Actor,
        refund_id: i64,
    ) -> StoreResult<RefundRecord> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE refunds SET status = 'withdrawn', updated_at = $2 WHERE id = $1 AND status = 'requested'",
        )
        .bind(refund_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            let refund = self.refund(refund_id).await?;
            return Err(StoreError::Conflict(format!(
                "refund {refund_id} is already {}: it can no longer be withdrawn",
                refund.status
            )));
        }
        Audit::new(actor, "refund.withdrawn")
            .on("refund", refund_id)
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        self.refund(refund_id).await
    }

    pub async fn refund(&self, id: i64) -> StoreResult<RefundRecord> {
        sqlx::query_as::<_, RefundRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .map(RefundRecord::from)
        .ok_or_else(|| StoreError::not_found("refund", id))
    }

    /// Refunds of one employer (or all, `None`), optionally in one state, newest first.
    pub async fn refunds(
        &self,
        employer_id: Option<i64>,
        status: Option<RefundStatus>,
    ) -> StoreResult<Vec<RefundRecord>> {
        Ok(sqlx::query_as::<_, RefundRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE ($1 = 0 OR employer_id = $1) \
             AND ($2 = '' OR status = $2) ORDER BY id DESC"
        )))
        .bind(employer_id.unwrap_or(0))
        .bind(status.map_or("", RefundStatus::as_str))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(RefundRecord::from)
        .collect())
    }

    /// Where a refund of `employer_id` would go, masked (the account of its active
    /// mandate); None while it has no active mandate (an approved refund then waits).
    pub async fn refund_destination(&self, employer_id: i64) -> StoreResult<Option<String>> {
        let encrypted: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT a.number_encrypted FROM (SELECT CAST($1 AS BIGINT) AS employer_id) r \
             JOIN accounts a ON a.id = {REFUND_ACCOUNT}"
        )))
        .bind(employer_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(encrypted) = encrypted else {
            return Ok(None);
        };
        let digits = self.cipher.decrypt(&encrypted)?;
        let account = AccountId::parse(&digits)
            .map_err(|e| StoreError::Invalid(format!("stored account is invalid: {e}")))?;
        Ok(Some(account.masked()))
    }

    /// How many approved refunds wait for a file to `institution` (to an account of its
    /// channel).
    pub async fn approved_refunds_for(&self, institution: Institution) -> StoreResult<u64> {
        self.approved_refunds_to(&[institution.channel()]).await
    }

    /// How many approved refunds wait for a file, to accounts of the kinds `kinds` (a bank
    /// RIB, a postal RIP).
    pub async fn approved_refunds_to(&self, kinds: &[Channel]) -> StoreResult<u64> {
        if kinds.is_empty() {
            return Ok(0);
        }
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM refunds r JOIN accounts a ON a.id = {REFUND_ACCOUNT} \
                 WHERE r.status = 'approved' AND a.kind IN ({})",
            kinds_list(kinds)
        )))
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// `institution`'s refund files, oldest first.
    pub async fn refund_files_of(
        &self,
        institution: Institution,
    ) -> StoreResult<Vec<RefundFileRecord>> {
        Ok(sqlx::query_as::<_, RefundFileRecord>(
            "SELECT id, institution, sequence, file_name, format, message_id, execution_date, transactions, \
             control_sum_centimes, sha256, size_bytes, created_at FROM refund_files WHERE institution = $1 \
             ORDER BY sequence",
        )
        .bind(institution.as_str())
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn refund_file(&self, id: i64) -> StoreResult<RefundFileRecord> {
        sqlx::query_as::<_, RefundFileRecord>(
            "SELECT id, institution, sequence, file_name, format, message_id, execution_date, transactions, \
             control_sum_centimes, sha256, size_bytes, created_at FROM refund_files WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("refund file", id))
    }

    /// Sends `institution`'s approved refunds (those to an account of its channel): under
    /// planning's lock, each refund's credit is checked again (used meanwhile: lapsed); the
    /// rest get their end-to-end id and go to `write` with the file's sequence, which
    /// writes and stages the file; then the file, its refunds (`sent`), their `refund`
    /// ledger entries and the audit entry are recorded in one transaction. The caller
    /// publishes the staged file after this returns. A second call finds nothing approved:
    /// one transfer per refund.
    pub async fn send_refunds<T>(
        &self,
        actor: &Actor,
        institution: Institution,
        execution_date: NaiveDate,
        write: impl FnOnce(i64, &[RefundToSend]) -> anyhow::Result<(NewRefundFile, T)>,
    ) -> StoreResult<RefundsSent<T>> {
        let route = (institution, &[institution.channel()][..]);
        self.send_refunds_to(actor, route, execution_date, write)
            .await
    }

    /// As [`Store::send_refunds`], for the approved refunds to accounts of the kinds
    /// `kinds`, in `institution`'s file (`route`: both): the fund's bank also carries the refunds to
    /// postal accounts (RIP, bank code 007) when Algérie Poste takes no refund file (the
    /// cycle decides: `cycle::refund`).
    pub async fn send_refunds_to<T>(
        &self,
        actor: &Actor,
        (institution, kinds): (Institution, &[Channel]),
        execution_date: NaiveDate,
        write: impl FnOnce(i64, &[RefundToSend]) -> anyhow::Result<(NewRefundFile, T)>,
    ) -> StoreResult<RefundsSent<T>> {
        if kinds.is_empty() {
            return Ok(RefundsSent {
                file: None,
                lapsed: Vec::new(),
            });
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let lock_rows = self.backend.lock_rows();
        let rows: Vec<SendRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT r.id, r.employer_id, r.amount_centimes, e.affiliation_number, e.name, a.number_encrypted \
             FROM refunds r JOIN employers e ON e.id = r.employer_id \
             JOIN accounts a ON a.id = {REFUND_ACCOUNT} \
             WHERE r.status = 'approved' AND a.kind IN ({}) ORDER BY r.id{}",
            kinds_list(kinds),
            if lock_rows.is_empty() {
                String::new()
            } else {
                format!("{lock_rows} OF r")
            }
        )))
        .fetch_all(&mut *tx)
        .await?;
        let mut lapsed = Vec::new();
        let mut sending = Vec::new();
        for row in rows {
            let credit = refundable_credit(&mut tx, row.employer_id).await?;
            if row.amount_centimes > credit {
                lapsed.push(row.id);
                continue;
            }
            let digits = self.cipher.decrypt(&row.number_encrypted)?;
            let account = AccountId::parse(&digits)
                .map_err(|e| StoreError::Invalid(format!("stored account is invalid: {e}")))?;
            sending.push(RefundToSend {
                refund_id: row.id,
                employer_id: row.employer_id,
                affiliation_number: row.affiliation_number,
                creditor_name: row.name,
                account,
                amount: Amount::from_centimes(row.amount_centimes),
                end_to_end_id: refund_end_to_end_id(row.id),
            });
        }
        for id in &lapsed {
            sqlx::query(
                "UPDATE refunds SET status = 'lapsed', reason_code = 'credit_used', updated_at = $2 \
                 WHERE id = $1 AND status = 'approved'",
            )
            .bind(id)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            Audit::new(actor, "refund.lapsed")
                .on("refund", *id)
                .detail(json!({ "reason": "credit_used" }))
                .record(&mut tx, &now)
                .await?;
        }
        if sending.is_empty() {
            tx.commit().await?;
            return Ok(RefundsSent { file: None, lapsed });
        }
        let sequence: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(sequence), 0) + 1 AS BIGINT) FROM refund_files WHERE institution = $1",
        )
        .bind(institution.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let (file, staged) = write(sequence, &sending).map_err(StoreError::Other)?;
        let file_id: i64 = sqlx::query_scalar(
            "INSERT INTO refund_files (institution, sequence, file_name, format, message_id, execution_date, \
             transactions, control_sum_centimes, sha256, size_bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(institution.as_str())
        .bind(sequence)
        .bind(&file.file_name)
        .bind(&file.format)
        .bind(&file.message_id)
        .bind(file.execution_date.to_string())
        .bind(i64::try_from(file.transactions).unwrap_or(i64::MAX))
        .bind(file.control_sum.centimes())
        .bind(&file.sha256)
        .bind(i64::try_from(file.size_bytes).unwrap_or(i64::MAX))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || {
                "another instance wrote a refund file meanwhile; send the refunds again".to_owned()
            })
        })?;
        for refund in &sending {
            let changed = sqlx::query(
                "UPDATE refunds SET status = 'sent', refund_file_id = $2, end_to_end_id = $3, updated_at = $4 \
                 WHERE id = $1 AND status = 'approved'",
            )
            .bind(refund.refund_id)
            .bind(file_id)
            .bind(&refund.end_to_end_id)
            .bind(&now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Err(StoreError::Conflict(format!(
                    "refund {} changed meanwhile; send the refunds again",
                    refund.refund_id
                )));
            }
        }
        // The credit leaves the employer's account: its unallocated money, back to it.
        sqlx::query(
            "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
             unallocated_centimes, recorded_at) \
             SELECT r.employer_id, 'refund', 'refund:' || CAST(r.id AS TEXT), $2, r.amount_centimes, \
             r.amount_centimes, $3 FROM refunds r WHERE r.refund_file_id = $1 \
             ON CONFLICT (entry_key) DO NOTHING",
        )
        .bind(file_id)
        .bind(execution_date.to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        Audit::new(actor, "refund_file.written")
            .on("refund_file", file_id)
            .detail(json!({
                "institution": institution.as_str(),
                "file_name": file.file_name,
                "transactions": file.transactions,
                "control_sum_centimes": file.control_sum.centimes(),
                "sha256": file.sha256,
                "refunds": sending.iter().map(|r| r.refund_id).collect::<Vec<_>>(),
                "purpose": "accounts decrypted for the refund file",
            }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(RefundsSent {
            file: Some((self.refund_file(file_id).await?, staged)),
            lapsed,
        })
    }
}

/// Records a refund request in `tx` (see [`Store::request_refund`]); returns its id.
pub(super) async fn request_refund_in(
    tx: &mut AnyConnection,
    actor: &Actor,
    employer_id: i64,
    amount: Option<Amount>,
    requester: RefundRequester,
    now: &str,
) -> StoreResult<i64> {
    let credit = refundable_credit(&mut *tx, employer_id).await?;
    let amount = amount.map_or(credit, Amount::centimes);
    if credit <= 0 {
        return Err(StoreError::Conflict(
            "the employer has no credit to refund (money paid for a debit still with the bank \
             becomes a credit once that debit settles)"
                .to_owned(),
        ));
    }
    if amount <= 0 || amount > credit {
        return Err(StoreError::Invalid(format!(
            "a refund is above zero and at most the employer's credit, {} DA",
            Amount::from_centimes(credit)
        )));
    }
    let (status, staff, dispute, decided) = match requester {
        RefundRequester::Employer => (RefundStatus::Requested, 0_i64, None, None),
        RefundRequester::Staff => (RefundStatus::Requested, 1, None, None),
        RefundRequester::DisputeAnswer(dispute) => (
            RefundStatus::Approved,
            1,
            Some(dispute),
            Some(actor.as_str().to_owned()),
        ),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO refunds (employer_id, amount_centimes, status, requested_by, requested_by_staff, \
         requested_at, dispute_id, decided_by, decided_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $6) RETURNING id",
    )
    .bind(employer_id)
    .bind(amount)
    .bind(status.as_str())
    .bind(actor.as_str())
    .bind(staff)
    .bind(now)
    .bind(dispute)
    .bind(decided.clone())
    .bind(decided.as_ref().map(|_| now.to_owned()))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        conflict_on_unique(e, || {
            "a refund for this employer is already waiting for a decision or for its file; \
             nothing recorded"
                .to_owned()
        })
    })?;
    Audit::new(actor, "refund.requested")
        .on("refund", id)
        .detail(json!({
            "employer_id": employer_id,
            "amount_centimes": amount,
            "by": match requester {
                RefundRequester::Employer => "employer",
                RefundRequester::Staff => "staff",
                RefundRequester::DisputeAnswer(_) => "dispute",
            },
            "dispute_id": dispute,
        }))
        .record(&mut *tx, now)
        .await?;
    Ok(id)
}

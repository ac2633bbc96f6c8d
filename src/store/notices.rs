//! Notices to employers: the events recorded by state changes (a transactional outbox),
//! their delivery state, the facts a notice is written from, and what was sent.
//!
//! An event is claimed by one worker at a time — a conditional UPDATE only one worker wins,
//! with a lock that expires so a dead worker's notices are taken over (the jobs pattern;
//! PostgreSQL adds `FOR UPDATE SKIP LOCKED` so concurrent workers take different rows
//! instead of waiting on each other). It is marked sent, with what was sent, in one
//! transaction right after the server accepted it.

use chrono::Duration;
use mandates::Amount;
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, FromRow};

use super::{Actor, Store, StoreError, StoreResult, audit, lease_timestamp};

/// What a notice is about. The code is what `notice_events.kind` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A collection is planned: amount, date, account (masked), breakdown, how to contest.
    AdvanceNotice,
    /// A collection settled: receipt number, amount, date, breakdown.
    Receipt,
    /// A collection was rejected or returned: reason, what to do, next attempt.
    FailureNotice,
    /// A debit already announced by an advance notice that went out will not be
    /// presented (cancelled by the run's re-check or a calendar change): why, and that
    /// the amounts stay owed. (An advance notice not yet sent is withdrawn instead.)
    DebitCancelled,
    MandateSigned,
    /// A newly signed mandate superseded the active one (new account).
    MandateReplaced,
    MandateRevoked,
    /// Suspended after a hard return (account closed, no mandate, refused).
    MandateSuspended,
    /// A case opened or reopened by the employer, and the fund's answer: recorded by
    /// the disputes store with `subject_id` = the case message they are about.
    DisputeAcknowledged,
    DisputeAnswered,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 10] = [
        NoticeKind::AdvanceNotice,
        NoticeKind::Receipt,
        NoticeKind::FailureNotice,
        NoticeKind::DebitCancelled,
        NoticeKind::MandateSigned,
        NoticeKind::MandateReplaced,
        NoticeKind::MandateRevoked,
        NoticeKind::MandateSuspended,
        NoticeKind::DisputeAcknowledged,
        NoticeKind::DisputeAnswered,
    ];

    pub fn code(self) -> &'static str {
        match self {
            NoticeKind::AdvanceNotice => "advance_notice",
            NoticeKind::Receipt => "receipt",
            NoticeKind::FailureNotice => "failure_notice",
            NoticeKind::DebitCancelled => "debit_cancelled",
            NoticeKind::MandateSigned => "mandate_signed",
            NoticeKind::MandateReplaced => "mandate_replaced",
            NoticeKind::MandateRevoked => "mandate_revoked",
            NoticeKind::MandateSuspended => "mandate_suspended",
            NoticeKind::DisputeAcknowledged => "dispute_acknowledged",
            NoticeKind::DisputeAnswered => "dispute_answered",
        }
    }

    pub fn from_code(code: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// A notice event claimed for delivery by one worker until `locked_until`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ClaimedNotice {
    pub id: i64,
    pub employer_id: i64,
    pub kind: String,
    pub subject_id: i64,
    pub dedupe_key: String,
    /// Delivery attempts made before this one.
    pub attempts: i64,
    pub created_at: String,
    pub locked_until: String,
}

/// Who a notice goes to, and in which language(s): `ar`, `fr` or `both`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeRecipient {
    pub employer_id: i64,
    pub affiliation_number: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub email: String,
    pub language: String,
}

/// One line of a collection's breakdown: a worksite's contributions for a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakdownLine {
    pub worksite_code: String,
    pub worksite_name: String,
    pub period: String,
    pub amount: Amount,
    pub paid_leave: Amount,
    pub bad_weather_employer: Amount,
    pub bad_weather_employee: Amount,
}

/// A collection as its notices describe it. The account only masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionFacts {
    pub id: i64,
    pub employer_id: i64,
    pub collection_date: String,
    pub amount: Amount,
    pub attempt: i64,
    /// `bank` or `postal`.
    pub channel: String,
    pub status: String,
    pub reason_code: Option<String>,
    pub reason_category: Option<String>,
    pub settled_on: Option<String>,
    pub mandate_reference: String,
    pub bank_code: String,
    pub bank_name: Option<String>,
    /// All but the last 4 digits hidden (the stored masked form).
    pub account_masked: String,
    pub lines: Vec<BreakdownLine>,
    /// The retry planned after this failure: its date and amount.
    pub next_attempt: Option<(String, Amount)>,
    /// Receipts only: the number given once to this collection's receipt.
    pub receipt_number: Option<String>,
}

/// A mandate as its notices describe it: the mandate as shown to people, and what the
/// replacement and suspension notices add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MandateFacts {
    pub mandate: super::MandateRecord,
    /// The mandate this one superseded (reference, masked account), for `mandate_replaced`.
    pub replaced: Option<(String, String)>,
    /// The reason category of the return that suspended it, for `mandate_suspended`.
    pub suspension_reason: Option<String>,
}

/// A dispute as its notices describe it, from the case message the notice is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisputeFacts {
    pub case_number: String,
    pub collection_date: String,
    pub amount: Amount,
    pub opened_on: String,
    /// The date by which the fund answers (acknowledgement) or the employer may appeal.
    pub deadline: String,
    /// The answer, for `dispute_answered`: `upheld` (refund) or `rejected`.
    pub outcome: Option<String>,
    pub answer_fr: Option<String>,
    pub answer_ar: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoticeSubject {
    Collection(Box<CollectionFacts>),
    Mandate(Box<MandateFacts>),
    Dispute(Box<DisputeFacts>),
}

/// Everything a notice is written from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeFacts {
    pub event_id: i64,
    pub kind: NoticeKind,
    pub dedupe_key: String,
    pub recipient: NoticeRecipient,
    pub subject: NoticeSubject,
}

/// What was sent, recorded with the sent mark.
#[derive(Clone, Debug)]
pub struct SentNotice {
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    pub language: String,
    pub body_text: String,
    /// `smtp` or `folder`.
    pub transport: String,
}

/// A notice as the portal lists it: the event, and what was sent once it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct NoticeRecord {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub subject: Option<String>,
    pub language: Option<String>,
    pub message_id: Option<String>,
    pub recipient: Option<String>,
    pub body_text: Option<String>,
}

/// A notice that failed for good, or is still being retried, for staff. No personal data:
/// ids, kind and the (address-scrubbed) error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct NoticeFailure {
    pub id: i64,
    pub employer_id: i64,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub next_attempt_at: Option<String>,
}

/// Records a notice event inside the caller's transaction; the same dedupe key twice keeps one.
pub(super) async fn record_event(
    conn: &mut AnyConnection,
    employer_id: i64,
    kind: NoticeKind,
    subject_id: i64,
    dedupe_key: &str,
    now: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO notice_events (employer_id, kind, subject_id, dedupe_key, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(employer_id)
    .bind(kind.code())
    .bind(subject_id)
    .bind(dedupe_key)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Tells each employer whose cancelled debit was announced — its advance notice went
/// out, or a worker is sending it (those not taken yet are withdrawn first, see
/// [`withdraw_unsent_advance_notices`]) — that it will not be presented: one
/// `debit_cancelled` notice per collection matched by `which` (over `collections c`, with
/// `$1` = `param`), recorded once (dedupe key), in the caller's transaction. Any advance
/// notice of the collection counts: one re-sent after a calendar move has its date in
/// its dedupe key.
pub(super) async fn notify_cancelled_debits(
    tx: &mut sqlx::AnyConnection,
    which: &str,
    param: &str,
    now: &str,
) -> StoreResult<u64> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO notice_events (employer_id, kind, subject_id, dedupe_key, created_at) \
         SELECT c.employer_id, 'debit_cancelled', c.id, 'debit_cancelled:' || CAST(c.id AS TEXT), $2 \
         FROM collections c WHERE {which} AND EXISTS (SELECT 1 FROM notice_events n \
           WHERE n.employer_id = c.employer_id AND n.kind = 'advance_notice' AND n.subject_id = c.id) \
         ON CONFLICT (dedupe_key) DO NOTHING"
    )))
    .bind(param)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Withdraws the advance notices of the collections matching `which` (SQL over `c`, `$1`
/// bound to `param`) that no worker has taken yet: an employer is not told of a debit that
/// will not happen (cancelled) or no longer on that date (moved: its new notice replaces
/// it). A notice already claimed or sent stays; it was, or is being, delivered.
pub(super) async fn withdraw_unsent_advance_notices(
    tx: &mut sqlx::AnyConnection,
    which: &str,
    param: &str,
) -> StoreResult<u64> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM notice_events WHERE kind = 'advance_notice' AND status = 'pending' \
         AND locked_by IS NULL AND subject_id IN (SELECT c.id FROM collections c WHERE {which})"
    )))
    .bind(param)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

#[derive(FromRow)]
struct CollectionRow {
    id: i64,
    employer_id: i64,
    collection_date: String,
    amount_centimes: i64,
    attempt: i64,
    channel: String,
    status: String,
    reason_code: Option<String>,
    reason_category: Option<String>,
    settled_on: Option<String>,
    reference: String,
    bank_code: String,
    masked: String,
}

#[derive(FromRow)]
struct LineRow {
    code: String,
    name: String,
    period: String,
    amount_centimes: i64,
    paid_leave_centimes: i64,
    bad_weather_employer_centimes: i64,
    bad_weather_employee_centimes: i64,
}

#[derive(FromRow)]
struct RecipientRow {
    id: i64,
    affiliation_number: String,
    name: String,
    name_ar: Option<String>,
    email: String,
    language: String,
}

const CLAIMED_COLUMNS: &str =
    "id, employer_id, kind, subject_id, dedupe_key, attempts, created_at, locked_until";

impl Store {
    /// Claims up to `limit` notices ready to send (pending, due, not locked by a live
    /// worker), oldest first, for `worker` until now + `lock`.
    pub async fn claim_notices(
        &self,
        worker: &str,
        lock: Duration,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedNotice>> {
        let now = self.now();
        let now_text = lease_timestamp(now);
        let until = lease_timestamp(now + lock);
        let ready = "status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $3) \
                     AND (locked_until IS NULL OR locked_until < $3)";
        // Concurrent workers skip each other's rows (`Backend::skip_locked_rows`). The outer
        // condition is what guarantees a row is claimed once (re-checked on the locked
        // row). The pick is a materialised CTE: as `id IN (SELECT … LIMIT n FOR UPDATE)`
        // PostgreSQL may rescan the subquery per row and claim every ready row at once.
        let skip_locked = self.backend.skip_locked_rows();
        let mut claimed = sqlx::query_as::<_, ClaimedNotice>(sqlx::AssertSqlSafe(format!(
            "WITH picked AS MATERIALIZED \
             (SELECT id FROM notice_events WHERE {ready} ORDER BY id LIMIT $4{skip_locked}) \
             UPDATE notice_events SET locked_by = $1, locked_until = $2 \
             WHERE id IN (SELECT id FROM picked) AND {ready} RETURNING {CLAIMED_COLUMNS}"
        )))
        .bind(worker)
        .bind(&until)
        .bind(&now_text)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        claimed.sort_by_key(|n| n.id);
        Ok(claimed)
    }

    /// Gives back claimed notices not attempted (the worker stops, or its lock runs short).
    pub async fn release_notices(&self, worker: &str, ids: &[i64]) -> StoreResult<()> {
        for id in ids {
            sqlx::query(
                "UPDATE notice_events SET locked_by = NULL, locked_until = NULL \
                 WHERE id = $1 AND locked_by = $2 AND status = 'pending'",
            )
            .bind(id)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Marks a notice sent and records what was sent, in one transaction. False when it
    /// was not pending any more (nothing is changed then).
    pub async fn mark_notice_sent(&self, event_id: i64, sent: &SentNotice) -> StoreResult<bool> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE notice_events SET status = 'sent', sent_at = $2, attempts = attempts + 1, \
             last_error = NULL, next_attempt_at = NULL, locked_by = NULL, locked_until = NULL \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(event_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO notice_messages (event_id, employer_id, message_id, recipient, subject, language, \
             body_text, transport, sent_at) \
             SELECT id, employer_id, $2, $3, $4, $5, $6, $7, $8 FROM notice_events WHERE id = $1",
        )
        .bind(event_id)
        .bind(&sent.message_id)
        .bind(&sent.recipient)
        .bind(&sent.subject)
        .bind(&sent.language)
        .bind(&sent.body_text)
        .bind(&sent.transport)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            &now,
            &Actor::new("notices"),
            "notice.sent",
            "notice_event",
            event_id,
            json!({ "message_id": sent.message_id, "transport": sent.transport }),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A failed attempt to retry later (server down, or a 4xx answer): unlocked, due again
    /// after `retry_in`. `error` must hold no personal data (see `notices::scrub`).
    pub async fn postpone_notice(
        &self,
        event_id: i64,
        worker: &str,
        error: &str,
        retry_in: Duration,
    ) -> StoreResult<()> {
        let retry_at = self.now() + retry_in;
        sqlx::query(
            "UPDATE notice_events SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4, \
             locked_by = NULL, locked_until = NULL WHERE id = $1 AND locked_by = $2 AND status = 'pending'",
        )
        .bind(event_id)
        .bind(worker)
        .bind(error)
        .bind(lease_timestamp(retry_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A permanent failure (a 5xx answer, an unusable address, a notice that cannot be
    /// written): recorded for staff, audited, never retried automatically.
    pub async fn fail_notice(&self, event_id: i64, worker: &str, error: &str) -> StoreResult<()> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE notice_events SET status = 'failed', attempts = attempts + 1, last_error = $3, \
             locked_by = NULL, locked_until = NULL WHERE id = $1 AND locked_by = $2 AND status = 'pending'",
        )
        .bind(event_id)
        .bind(worker)
        .bind(error)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 1 {
            audit::record(
                &mut tx,
                &now,
                &Actor::new("notices"),
                "notice.failed",
                "notice_event",
                event_id,
                json!({ "error": error }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Puts a failed notice back in the queue (after staff fixed the address, say). Audited.
    pub async fn requeue_notice(&self, actor: &Actor, event_id: i64) -> StoreResult<()> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE notice_events SET status = 'pending', next_attempt_at = NULL WHERE id = $1 AND status = 'failed'",
        )
        .bind(event_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::Conflict(format!(
                "notice {event_id} is not a failed notice; only failed notices can be sent again"
            )));
        }
        audit::record(
            &mut tx,
            &now,
            actor,
            "notice.requeued",
            "notice_event",
            event_id,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The notices of one employer, newest first, with what was sent (for the portal).
    pub async fn notices_for_employer(
        &self,
        employer_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<NoticeRecord>> {
        self.employer(employer_id).await?;
        Ok(sqlx::query_as::<_, NoticeRecord>(
            "SELECT e.id, e.kind, e.status, e.created_at, e.sent_at, m.subject, m.language, m.message_id, \
             m.recipient, m.body_text FROM notice_events e LEFT JOIN notice_messages m ON m.event_id = e.id \
             WHERE e.employer_id = $1 ORDER BY e.id DESC LIMIT $2",
        )
        .bind(employer_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
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

    /// Notices that failed for good (`failed_only`), or also those waiting for a retry.
    pub async fn notice_failures(
        &self,
        failed_only: bool,
        limit: i64,
    ) -> StoreResult<Vec<NoticeFailure>> {
        Ok(sqlx::query_as::<_, NoticeFailure>(
            "SELECT id, employer_id, kind, status, attempts, last_error, created_at, next_attempt_at \
             FROM notice_events WHERE status = 'failed' OR ($1 = 0 AND status = 'pending' AND attempts > 0) \
             ORDER BY id LIMIT $2",
        )
        .bind(i64::from(failed_only))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many notices are still to send, and when the earliest retry is due (None: now).
    pub async fn pending_notices(&self) -> StoreResult<(i64, Option<String>)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), MIN(next_attempt_at) FROM notice_events WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// The facts a notice is written from. Receipts get their number here, once.
    /// Errors other than [`StoreError::Database`] mean the notice cannot be written
    /// (unknown kind, missing subject) and will not become writable by waiting.
    pub async fn notice_facts(&self, notice: &ClaimedNotice) -> StoreResult<NoticeFacts> {
        let kind = NoticeKind::from_code(&notice.kind)
            .ok_or_else(|| StoreError::Invalid(format!("unknown notice kind {:?}", notice.kind)))?;
        let recipient = sqlx::query_as::<_, RecipientRow>(
            "SELECT id, affiliation_number, name, name_ar, email, language FROM employers WHERE id = $1",
        )
        .bind(notice.employer_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("employer", notice.employer_id))?;
        let recipient = NoticeRecipient {
            employer_id: recipient.id,
            affiliation_number: recipient.affiliation_number,
            name: recipient.name,
            name_ar: recipient.name_ar,
            email: recipient.email,
            language: recipient.language,
        };
        let (subject, owner) = match kind {
            NoticeKind::AdvanceNotice
            | NoticeKind::Receipt
            | NoticeKind::FailureNotice
            | NoticeKind::DebitCancelled => {
                let facts = self
                    .collection_facts(notice.subject_id, kind == NoticeKind::Receipt)
                    .await?;
                let owner = facts.employer_id;
                (NoticeSubject::Collection(Box::new(facts)), owner)
            }
            NoticeKind::MandateSigned
            | NoticeKind::MandateReplaced
            | NoticeKind::MandateRevoked
            | NoticeKind::MandateSuspended => {
                let facts = self.mandate_facts(notice.subject_id).await?;
                let owner = facts.mandate.employer_id;
                (NoticeSubject::Mandate(Box::new(facts)), owner)
            }
            NoticeKind::DisputeAcknowledged | NoticeKind::DisputeAnswered => {
                let (owner, facts) = self.dispute_facts(notice.subject_id).await?;
                (NoticeSubject::Dispute(Box::new(facts)), owner)
            }
        };
        // A notice is only ever written to the employer its subject belongs to.
        if owner != notice.employer_id {
            return Err(StoreError::Invalid(format!(
                "notice {} is about another employer's {}",
                notice.id, notice.kind
            )));
        }
        Ok(NoticeFacts {
            event_id: notice.id,
            kind,
            dedupe_key: notice.dedupe_key.clone(),
            recipient,
            subject,
        })
    }

    pub(crate) async fn collection_facts(
        &self,
        id: i64,
        with_receipt: bool,
    ) -> StoreResult<CollectionFacts> {
        let row = sqlx::query_as::<_, CollectionRow>(
            "SELECT c.id, c.employer_id, c.collection_date, c.amount_centimes, c.attempt, c.channel, c.status, \
             c.reason_code, c.reason_category, c.settled_on, m.reference, a.bank_code, a.masked \
             FROM collections c JOIN mandates m ON m.id = c.mandate_id JOIN accounts a ON a.id = m.account_id \
             WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("collection", id))?;
        let lines = sqlx::query_as::<_, LineRow>(
            "SELECT w.code, w.name, d.period, cl.amount_centimes, l.paid_leave_centimes, \
             l.bad_weather_employer_centimes, l.bad_weather_employee_centimes \
             FROM collection_lines cl JOIN declaration_lines l ON l.id = cl.declaration_line_id \
             JOIN declarations d ON d.id = l.declaration_id JOIN worksites w ON w.id = l.worksite_id \
             WHERE cl.collection_id = $1 ORDER BY w.code, d.period",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let next_attempt: Option<(String, i64)> = sqlx::query_as(
            "SELECT collection_date, amount_centimes FROM collections WHERE retry_of = $1 \
             AND status <> 'cancelled' ORDER BY id LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let receipt_number = if with_receipt {
            Some(self.receipt_number(id, &row.collection_date).await?)
        } else {
            None
        };
        Ok(CollectionFacts {
            id: row.id,
            employer_id: row.employer_id,
            collection_date: row.collection_date,
            amount: Amount::from_centimes(row.amount_centimes),
            attempt: row.attempt,
            channel: row.channel,
            status: row.status,
            reason_code: row.reason_code,
            reason_category: row.reason_category,
            settled_on: row.settled_on,
            mandate_reference: row.reference,
            bank_name: self.banks.name(&row.bank_code).map(str::to_owned),
            bank_code: row.bank_code,
            account_masked: row.masked,
            lines: lines
                .into_iter()
                .map(|l| BreakdownLine {
                    worksite_code: l.code,
                    worksite_name: l.name,
                    period: l.period,
                    amount: Amount::from_centimes(l.amount_centimes),
                    paid_leave: Amount::from_centimes(l.paid_leave_centimes),
                    bad_weather_employer: Amount::from_centimes(l.bad_weather_employer_centimes),
                    bad_weather_employee: Amount::from_centimes(l.bad_weather_employee_centimes),
                })
                .collect(),
            next_attempt: next_attempt.map(|(date, c)| (date, Amount::from_centimes(c))),
            receipt_number,
        })
    }

    async fn mandate_facts(&self, id: i64) -> StoreResult<MandateFacts> {
        let mandate = self.mandate(id).await?;
        let replaced: Option<(String, String)> = sqlx::query_as(
            "SELECT m.reference, a.masked FROM mandates m JOIN accounts a ON a.id = m.account_id \
             WHERE m.superseded_by = $1 AND m.signed_at IS NOT NULL ORDER BY m.id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let suspension_reason: Option<String> = sqlx::query_scalar(
            "SELECT reason_category FROM collections WHERE mandate_id = $1 AND reason_category IS NOT NULL \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(MandateFacts {
            mandate,
            replaced,
            suspension_reason,
        })
    }
}

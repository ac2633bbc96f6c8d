//! Notices to employers: the events recorded by state changes (a transactional outbox:
//! each is written in the transaction of the change it tells of, once per dedupe key), and
//! what an employer was sent. Delivering them is `delivery`; the facts a notice is written
//! from are `facts`.
//!
//! Must not know: how a notice is written or sent (`crate::notices` renders and mails it).

use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

use super::{Store, StoreError, StoreResult};

pub(super) mod delivery;
pub(super) mod facts;

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

impl Store {
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
}

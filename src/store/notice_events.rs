//! Notice events, the outbox of notices to employers: each state change that an employer
//! is told of records its event in its own transaction, once per dedupe key (recorded
//! twice, kept once). A change that cancels an announced debit tells of it; one that
//! cancels or moves a debit not yet announced withdraws the announcement.
//!
//! Must not know: delivering and writing notices (`notices`, `crate::notices`).

use sqlx::AnyConnection;

use super::StoreResult;

::mandates::stored_codes! {
    /// What a notice is about. The code is what `notice_events.kind` holds.
    pub enum NoticeKind("notice kind") {
        /// A collection is planned: amount, date, account (masked), breakdown, how to contest.
        AdvanceNotice = "advance_notice",
        /// A collection settled: receipt number, amount, date, breakdown.
        Receipt = "receipt",
        /// A collection was rejected or returned: reason, what to do, next attempt.
        FailureNotice = "failure_notice",
        /// A debit already announced by an advance notice that went out will not be
        /// presented (cancelled by the run's re-check or a calendar change): why, and that
        /// the amounts stay owed. (An advance notice not yet sent is withdrawn instead.)
        DebitCancelled = "debit_cancelled",
        MandateSigned = "mandate_signed",
        /// A newly signed mandate superseded the active one (new account).
        MandateReplaced = "mandate_replaced",
        MandateRevoked = "mandate_revoked",
        /// Suspended after a hard return (account closed, no mandate, refused).
        MandateSuspended = "mandate_suspended",
        /// A case opened or reopened by the employer, and the fund's answer: recorded by
        /// the disputes store with `subject_id` = the case message they are about.
        DisputeAcknowledged = "dispute_acknowledged",
        DisputeAnswered = "dispute_answered",
    }
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
    .bind(kind.as_str())
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

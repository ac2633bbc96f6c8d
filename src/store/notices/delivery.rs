//! Delivering notices: claiming the events ready to send, and marking each sent (with what
//! was sent), postponed, failed or queued again.
//!
//! An event is claimed by one worker at a time — a conditional UPDATE only one worker wins,
//! with a lock that expires so a dead worker's notices are taken over (the jobs pattern;
//! PostgreSQL adds `FOR UPDATE SKIP LOCKED` so concurrent workers take different rows
//! instead of waiting on each other). It is marked sent, with what was sent, in one
//! transaction right after the server accepted it.
//!
//! Must not know: how a notice is written or sent (`crate::notices`).

use chrono::Duration;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use mandates::NoticeLanguage;

use super::NoticeStatus;
use crate::store::leases::Queue;
use crate::store::{
    Actor, NoticeKind, Store, StoreError, StoreResult, audit::Audit, lease_timestamp,
};

/// A notice event claimed for delivery by one worker until `locked_until`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ClaimedNotice {
    pub id: i64,
    pub employer_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: NoticeKind,
    pub subject_id: i64,
    pub dedupe_key: String,
    /// Delivery attempts made before this one.
    pub attempts: i64,
    pub created_at: String,
    pub locked_until: String,
}

/// What was sent, recorded with the sent mark.
#[derive(Clone, Debug)]
pub struct SentNotice {
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    pub language: NoticeLanguage,
    pub body_text: String,
    /// `smtp` or `folder`.
    pub transport: String,
}

/// A notice that failed for good, or is still being retried, for staff. No personal data:
/// ids, kind and the (address-scrubbed) error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct NoticeFailure {
    pub id: i64,
    pub employer_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: NoticeKind,
    #[sqlx(try_from = "String")]
    pub status: NoticeStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub next_attempt_at: Option<String>,
}

/// The notices still to send.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct PendingNotices {
    pub count: i64,
    /// When the earliest retry is due; `None`: now (or nothing pending).
    pub next_retry_at: Option<String>,
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
        let mut claimed: Vec<ClaimedNotice> = self
            .claim_ready(Queue::Notices, CLAIMED_COLUMNS, worker, lock, limit)
            .await?;
        claimed.sort_by_key(|n| n.id);
        Ok(claimed)
    }

    /// Gives back claimed notices not attempted (the worker stops, or its lock runs short).
    pub async fn release_notices(&self, worker: &str, ids: &[i64]) -> StoreResult<()> {
        self.release_claimed(Queue::Notices, worker, ids).await
    }

    /// Marks a notice sent and records what was sent, in one transaction. False when it
    /// was not pending any more (nothing is changed then).
    pub async fn mark_notice_sent(&self, event_id: i64, sent: &SentNotice) -> StoreResult<bool> {
        let marked = self
            .mark_notices_sent(std::slice::from_ref(&(event_id, sent.clone())))
            .await?;
        Ok(marked.first().copied().unwrap_or(false))
    }

    /// Marks several notices sent, each with what was sent, in one transaction (the
    /// delivery worker's group commit). For each, false when it was not pending any more
    /// (nothing is changed for it then).
    pub async fn mark_notices_sent(&self, sent: &[(i64, SentNotice)]) -> StoreResult<Vec<bool>> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let mut marked = Vec::with_capacity(sent.len());
        for (event_id, sent) in sent {
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
            marked.push(updated == 1);
            if updated != 1 {
                continue;
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
            .bind(sent.language.as_str())
            .bind(&sent.body_text)
            .bind(&sent.transport)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        // The audit entries last, after every row write (the chain's head is held to commit).
        for ((event_id, sent), marked) in sent.iter().zip(&marked) {
            if *marked {
                Audit::new(&Actor::new("notices"), "notice.sent")
                    .on("notice_event", *event_id)
                    .detail(json!({ "message_id": sent.message_id, "transport": sent.transport }))
                    .record(&mut tx, &now)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(marked)
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
            Audit::new(&Actor::new("notices"), "notice.failed")
                .on("notice_event", event_id)
                .detail(json!({ "error": error }))
                .record(&mut tx, &now)
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
        Audit::new(actor, "notice.requeued")
            .on("notice_event", event_id)
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(())
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

    /// How many notices are still to send, and when the earliest retry is due.
    pub async fn pending_notices(&self) -> StoreResult<PendingNotices> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*) AS count, MIN(next_attempt_at) AS next_retry_at FROM notice_events \
             WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?)
    }
}

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

use std::collections::HashSet;

use chrono::Duration;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use mandates::NoticeLanguage;

use super::NoticeStatus;
use crate::store::dialect::JsonArrayRows;
use crate::store::leases::Queue;
use crate::store::{
    Actor, Bind, NoticeKind, Store, StoreError, StoreResult,
    audit::{Audit, AuditRows},
    lease_timestamp,
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
    /// delivery worker's group commit), set-based: one statement marks them, one records
    /// what was sent, one batch of audit entries (`notice.sent`), whatever their number.
    /// For each, false when it was not pending any more (nothing is changed for it then).
    pub async fn mark_notices_sent(&self, sent: &[(i64, SentNotice)]) -> StoreResult<Vec<bool>> {
        if sent.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.now_text();
        let JsonArrayRows { from: source, .. } = self.backend.json_array_rows();
        let mut tx = self.begin_write().await?;
        let ids: Vec<[i64; 1]> = sent.iter().map(|(id, _)| [*id]).collect();
        let marked: HashSet<i64> = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "UPDATE notice_events SET status = 'sent', sent_at = $1, attempts = attempts + 1, \
             last_error = NULL, next_attempt_at = NULL, locked_by = NULL, locked_until = NULL \
             WHERE id IN (SELECT CAST(j.value ->> 0 AS BIGINT) FROM {source}) AND status = 'pending' \
             RETURNING id"
        )))
        .bind(&now)
        .bind(json_text(&ids)?)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        // What was sent, for the notices this transaction marked: [id, message id,
        // recipient, subject, language, text, transport, the audit entry's detail].
        let rows: Vec<serde_json::Value> = sent
            .iter()
            .filter(|(id, _)| marked.contains(id))
            .map(|(id, sent)| {
                let detail = json!({ "message_id": sent.message_id, "transport": sent.transport });
                json!([
                    id,
                    sent.message_id,
                    sent.recipient,
                    sent.subject,
                    sent.language.as_str(),
                    sent.body_text,
                    sent.transport,
                    detail.to_string(),
                ])
            })
            .collect();
        if !rows.is_empty() {
            let rows = json_text(&rows)?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO notice_messages (event_id, employer_id, message_id, recipient, subject, language, \
                 body_text, transport, sent_at) \
                 SELECT e.id, e.employer_id, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, \
                 j.value ->> 5, j.value ->> 6, $1 \
                 FROM {source} JOIN notice_events e ON e.id = CAST(j.value ->> 0 AS BIGINT)"
            )))
            .bind(&now)
            .bind(&rows)
            .execute(&mut *tx)
            .await?;
            // The audit entries last, after every row write (the chain's head is held to
            // commit), in the order the notices were given.
            AuditRows {
                action: "'notice.sent'",
                entity: "notice_event",
                id: "CAST(j.value ->> 0 AS BIGINT)",
                detail: "j.value ->> 7",
                from: self.backend.json_array_rows_first(),
            }
            .record(&mut tx, &now, &Actor::new("notices"), &[Bind::Text(&rows)])
            .await?;
        }
        tx.commit().await?;
        Ok(sent.iter().map(|(id, _)| marked.contains(id)).collect())
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

/// Rows as the JSON text a statement unpacks ([`Backend::json_array_rows`](crate::store::Backend)).
fn json_text<T: Serialize>(rows: &T) -> StoreResult<String> {
    serde_json::to_string(rows)
        .map_err(|err| StoreError::Other(anyhow::Error::new(err).context("notices to mark sent")))
}

//! Notices to employers once recorded (`notice_events` records them): delivering them
//! (`delivery`), the facts each is written from (`facts`), and what an employer was sent.
//!
//! Must not know: how a notice is written or sent (`crate::notices` renders and mails it).

use mandates::NoticeLanguage;
use serde::Serialize;
use sqlx::FromRow;

use super::{NoticeKind, OptionalCode, Store, StoreError, StoreResult};

pub(super) mod delivery;
pub(super) mod facts;

::mandates::stored_codes! {
    /// Where a notice is in its delivery.
    pub enum NoticeStatus("notice status") {
        /// Still to send (or to retry).
        Pending = "pending",
        Sent = "sent",
        /// Failed for good: staff may queue it again.
        Failed = "failed",
    }
}

/// A notice as the portal lists it: the event, and what was sent once it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct NoticeRecord {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: NoticeKind,
    #[sqlx(try_from = "String")]
    pub status: NoticeStatus,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub subject: Option<String>,
    /// What the notice was written in, once sent.
    #[sqlx(try_from = "OptionalCode")]
    pub language: Option<NoticeLanguage>,
    pub message_id: Option<String>,
    pub recipient: Option<String>,
    pub body_text: Option<String>,
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

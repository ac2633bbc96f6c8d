//! A debit's timeline for staff: everything that happened to it, oldest first — its
//! audited changes (planned, amended, moved, in a file, settled, failed, held, released,
//! cancelled, re-presented) with who made them (a staff member by name), each advance
//! notice version and every other notice sent about it, the file it went out in, and each
//! item of a bank report that answered it. Read from the rows themselves (the audit
//! trail, `notice_events`, `bank_files`, `report_items`): nothing is kept twice.
//!
//! Must not know: how a page writes a moment or a word.

use bank_formats::reasons::ReasonCategory;
use chrono::NaiveDateTime;
use serde::Serialize;
use sqlx::FromRow;

use crate::store::{
    Effect, NoticeKind, NoticeStatus, OptionalCode, Store, StoreError, StoreResult, parse_timestamp,
};

::mandates::stored_codes! {
    /// An audited change of a debit: the audit action written on entity `collection`.
    pub enum DebitChange("debit change") {
        Planned = "collection.planned",
        /// New lines or a correction changed its amount (and its notice).
        Amended = "collection.amended",
        /// A calendar change moved its date.
        Rescheduled = "collection.rescheduled",
        Submitted = "collection.submitted",
        Settled = "collection.settled",
        Rejected = "collection.rejected",
        Returned = "collection.returned",
        RetryPlanned = "collection.retry_planned",
        Cancelled = "collection.cancelled",
        Held = "collection.held",
        Released = "collection.released",
        Represented = "collection.represented",
        OverCeiling = "collection.over_ceiling",
    }
}

::mandates::stored_codes! {
    /// What a report's item did (`report_items.outcome`).
    pub enum ItemOutcome("report item outcome") {
        Applied = "applied",
        /// Information only (an acceptance, a pending status).
        Info = "info",
        Unmatched = "unmatched",
        AmountMismatch = "amount_mismatch",
        Duplicate = "duplicate",
        Conflict = "conflict",
    }
}

/// Who made a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Who {
    /// A person: their name (their e-mail when they gave no name).
    Person(String),
    /// The service itself (planning, a run, an import, the scheduler, a command).
    Service,
}

/// One moment of a debit's life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    /// The stored UTC timestamp.
    pub at: String,
    pub event: TimelineEvent,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum TimelineEvent {
    /// An audited change (`None`: an action this version has no word for).
    Changed {
        change: Option<DebitChange>,
        who: Who,
        /// The reason a staff member gave, or why the service cancelled it.
        reason: Option<String>,
    },
    /// An advance notice, version `version` (1, then one more each time planning changed
    /// the amount; `None`: announced again because a calendar change moved its date).
    Announced {
        version: Option<i64>,
        status: NoticeStatus,
        sent_at: Option<String>,
    },
    /// Another notice about this debit (receipt, failure notice, cancellation).
    Notice {
        kind: NoticeKind,
        status: NoticeStatus,
        sent_at: Option<String>,
    },
    /// Written to a debit file.
    InFile {
        file_id: i64,
        run_id: i64,
        file_name: String,
        sequence: i64,
    },
    /// An item of a bank report about it.
    Reported {
        report_id: i64,
        report_file: String,
        effect: Effect,
        /// The ISO (or layout) status and reason code, as the bank wrote them.
        status: Option<String>,
        reason_code: Option<String>,
        reason_category: Option<ReasonCategory>,
        outcome: Option<ItemOutcome>,
    },
}

#[derive(FromRow)]
struct AuditRow {
    at: String,
    actor: String,
    action: String,
    detail: String,
    display_name: Option<String>,
    email: Option<String>,
}

#[derive(FromRow)]
struct NoticeRow {
    created_at: String,
    #[sqlx(try_from = "String")]
    kind: NoticeKind,
    dedupe_key: String,
    #[sqlx(try_from = "String")]
    status: NoticeStatus,
    sent_at: Option<String>,
}

#[derive(FromRow)]
struct FileRow {
    id: i64,
    run_id: i64,
    file_name: String,
    sequence: i64,
    created_at: String,
}

#[derive(FromRow)]
struct ItemRow {
    report_id: i64,
    file_name: String,
    imported_at: String,
    #[sqlx(try_from = "String")]
    effect: Effect,
    status: Option<String>,
    reason_code: Option<String>,
    #[sqlx(try_from = "OptionalCode")]
    reason_category: Option<ReasonCategory>,
    #[sqlx(try_from = "OptionalCode")]
    outcome: Option<ItemOutcome>,
}

impl Store {
    /// Everything that happened to debit `id`, oldest first ("not found" when there is no
    /// such debit).
    pub async fn debit_timeline(&self, id: i64) -> StoreResult<Vec<TimelineEntry>> {
        let employer_id: Option<i64> =
            sqlx::query_scalar("SELECT employer_id FROM collections WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let employer_id = employer_id.ok_or_else(|| StoreError::not_found("collection", id))?;
        let mut entries = Vec::new();
        // Staff act as `user:N`; their name is read here, the service's actors are not
        // people.
        let audit = sqlx::query_as::<_, AuditRow>(
            "SELECT a.at, a.actor, a.action, a.detail, u.display_name, u.email FROM audit_log a \
             LEFT JOIN users u ON a.actor LIKE 'user:%' AND CAST(u.id AS TEXT) = SUBSTR(a.actor, 6) \
             WHERE a.entity = 'collection' AND a.entity_id = $1 ORDER BY a.id",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        for row in audit {
            let who = match (row.actor.starts_with("user:"), row.display_name, row.email) {
                (true, Some(name), _) if !name.trim().is_empty() => Who::Person(name),
                (true, _, Some(email)) => Who::Person(email),
                _ => Who::Service,
            };
            entries.push(TimelineEntry {
                at: row.at,
                event: TimelineEvent::Changed {
                    change: DebitChange::parse(&row.action).ok(),
                    who,
                    reason: reason_of(&row.detail),
                },
            });
        }
        let notices = sqlx::query_as::<_, NoticeRow>(
            "SELECT created_at, kind, dedupe_key, status, sent_at FROM notice_events \
             WHERE employer_id = $1 AND subject_id = $2 \
             AND kind IN ('advance_notice', 'receipt', 'failure_notice', 'debit_cancelled') ORDER BY id",
        )
        .bind(employer_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for row in notices {
            let event = match row.kind {
                NoticeKind::AdvanceNotice => TimelineEvent::Announced {
                    version: notice_version(&row.dedupe_key),
                    status: row.status,
                    sent_at: row.sent_at,
                },
                kind => TimelineEvent::Notice {
                    kind,
                    status: row.status,
                    sent_at: row.sent_at,
                },
            };
            entries.push(TimelineEntry {
                at: row.created_at,
                event,
            });
        }
        let file = sqlx::query_as::<_, FileRow>(
            "SELECT f.id, f.run_id, f.file_name, f.sequence, f.created_at FROM collections c \
             JOIN bank_files f ON f.id = c.bank_file_id WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(f) = file {
            entries.push(TimelineEntry {
                at: file_time_utc(&f.created_at),
                event: TimelineEvent::InFile {
                    file_id: f.id,
                    run_id: f.run_id,
                    file_name: f.file_name,
                    sequence: f.sequence,
                },
            });
        }
        let items = sqlx::query_as::<_, ItemRow>(
            "SELECT i.report_id, r.file_name, r.imported_at, i.effect, i.status, i.reason_code, \
             i.reason_category, i.outcome FROM report_items i JOIN reports r ON r.id = i.report_id \
             WHERE i.collection_id = $1 ORDER BY i.report_id, i.item",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for i in items {
            entries.push(TimelineEntry {
                at: i.imported_at,
                event: TimelineEvent::Reported {
                    report_id: i.report_id,
                    report_file: i.file_name,
                    effect: i.effect,
                    status: i.status,
                    reason_code: i.reason_code,
                    reason_category: i.reason_category,
                    outcome: i.outcome,
                },
            });
        }
        // By moment; within one (planning and its notice share their transaction's
        // moment, and so may a file, its report and a notice in a fast test), by the order
        // a debit's life has; the sort is stable, keeping each source's own order.
        entries.sort_by_cached_key(|e| (parse_timestamp(&e.at), e.event.rank()));
        Ok(entries)
    }
}

impl TimelineEvent {
    /// Where an event falls among those of the same moment.
    fn rank(&self) -> u8 {
        match self {
            TimelineEvent::Changed {
                change:
                    Some(
                        DebitChange::Planned
                        | DebitChange::Amended
                        | DebitChange::Rescheduled
                        | DebitChange::OverCeiling,
                    ),
                ..
            } => 0,
            TimelineEvent::Announced { .. } => 1,
            TimelineEvent::Changed {
                change:
                    Some(
                        DebitChange::Held
                        | DebitChange::Released
                        | DebitChange::Cancelled
                        | DebitChange::Represented,
                    ),
                ..
            } => 2,
            TimelineEvent::InFile { .. } => 3,
            TimelineEvent::Changed {
                change: Some(DebitChange::Submitted),
                ..
            } => 4,
            TimelineEvent::Reported { .. } => 5,
            TimelineEvent::Changed {
                change:
                    Some(
                        DebitChange::Settled
                        | DebitChange::Rejected
                        | DebitChange::Returned
                        | DebitChange::RetryPlanned,
                    ),
                ..
            } => 6,
            TimelineEvent::Notice { .. } => 7,
            TimelineEvent::Changed { change: None, .. } => 8,
        }
    }
}

/// A file's creation time as the other moments are stored (UTC, RFC 3339): files record
/// it in Algiers time, as their headers carry it (`YYYY-MM-DDTHH:MM:SS`, UTC+1 all year).
fn file_time_utc(algiers: &str) -> String {
    match NaiveDateTime::parse_from_str(algiers, "%Y-%m-%dT%H:%M:%S") {
        Ok(local) => (local - chrono::Duration::hours(1))
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        Err(_) => algiers.to_owned(),
    }
}

/// The version of an advance notice from its dedupe key (`advance_notice:ID`, then
/// `advance_notice:ID:vN`); `None` for one sent after a move (`advance_notice:ID:DATE`).
fn notice_version(key: &str) -> Option<i64> {
    let mut parts = key.split(':').skip(2);
    match parts.next() {
        None => Some(1),
        Some(again) => again.strip_prefix('v').and_then(|n| n.parse().ok()),
    }
}

/// The reason in an audit entry's detail (a staff action's `reason`, or a cancellation's
/// `reason_code`), when it has one.
fn reason_of(detail: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(detail).ok()?;
    ["reason", "reason_code"]
        .iter()
        .find_map(|key| value.get(key).and_then(|v| v.as_str()).map(str::to_owned))
        .filter(|r| !r.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_notice_versions_are_read_from_their_keys() {
        assert_eq!(notice_version("advance_notice:42"), Some(1));
        assert_eq!(notice_version("advance_notice:42:v3"), Some(3));
        assert_eq!(notice_version("advance_notice:42:2026-12-15"), None);
    }

    #[test]
    fn a_files_algiers_time_is_read_as_utc() {
        assert_eq!(file_time_utc("2026-12-08T09:30:00"), "2026-12-08T08:30:00Z");
        assert_eq!(file_time_utc("garbled"), "garbled");
    }

    #[test]
    fn a_reason_is_found_in_an_audit_detail() {
        assert_eq!(
            reason_of(r#"{"reason":"bank asked"}"#).as_deref(),
            Some("bank asked")
        );
        assert_eq!(
            reason_of(r#"{"reason_code":"notice_late"}"#).as_deref(),
            Some("notice_late")
        );
        assert_eq!(reason_of(r#"{"amount_centimes":5}"#), None);
        assert_eq!(reason_of("not json"), None);
    }
}

//! Disputes: an employer contests one of its collections (a reason from a fixed list and
//! a plain-text message) and gets a case number at once; the fund answers with an outcome.
//!
//! One case per collection (`disputes.collection_id` is unique): contesting the same
//! collection again adds a message to the existing case. Lifecycle (the deadlines, how
//! many messages, what a message may be are `mandates::dispute`'s rules):
//!
//! - `open`: the fund answers by `deadline` (30 calendar days after the case was opened or
//!   reopened, [`DISPUTE_DAYS`](mandates::dispute::DISPUTE_DAYS)); past it the case is
//!   overdue.
//! - `answered` (outcome `upheld` or `rejected`): the employer may write again until
//!   `deadline` (30 days after the answer), which reopens the case with a new answer date;
//!   after that the case is closed (derived, nothing to write).
//!
//! Every collection that is or was presented can be contested — planned (the advance
//! notice invites contesting before the debit), submitted, settled, rejected, returned,
//! retried — but not a cancelled one, which never reached the bank. Every change is one
//! transaction with its audit entry and, when it opens, reopens or answers a case, its
//! notice event (`dispute_acknowledged`, `dispute_answered`; subject: the message).

use chrono::NaiveDate;
use mandates::dispute::{DisputeRefusal, check_room, deadline_after, dispute_message, is_past};
use mandates::{Amount, ChannelPolicy, CollectionStatus, DebitAction, algiers_time};
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::dispute_effects::{actions_for, answer_effects, hold_for_dispute};
use super::notice_events::{NoticeEvent, NoticeKind};
use super::notices::facts::DisputeFacts;
use super::{Actor, OptionalCode, Store, StoreError, StoreResult, audit::Audit, parse_timestamp};

::mandates::stored_codes! {
    /// Why an employer contests a collection.
    pub enum DisputeReason("dispute reason") {
        AmountWrong = "amount_wrong",
        AlreadyPaid = "already_paid",
        NotAuthorised = "not_authorised",
        DuplicateDebit = "duplicate_debit",
        Other = "other",
    }
}

::mandates::stored_codes! {
    /// The fund's decision on a case.
    pub enum DisputeOutcome("dispute outcome") {
        /// The employer is right (the debit is corrected or refunded).
        Upheld = "upheld",
        Rejected = "rejected",
    }
}

::mandates::stored_codes! {
    /// What an upheld answer does about the money (issue 15 point 5).
    pub enum DisputeAction("dispute action") {
        /// The disputed amount credited to the employer and refunded (approved by the
        /// answerer; sent with the next refund file).
        Refund = "refund",
        /// The disputed amount credited to the employer, kept for its next due dates.
        Credit = "credit",
        /// The planned debit cancelled (its lines owed again).
        CancelDebit = "cancel_debit",
        /// The planned debit kept out of the files until staff release it.
        HoldDebit = "hold_debit",
    }
}

::mandates::stored_codes! {
    /// What a case waits for, as stored (see [`DisputeState`] for closed and overdue).
    pub enum DisputeStatus("dispute status") {
        /// The fund's answer.
        Open = "open",
        /// Nothing, unless the employer writes again.
        Answered = "answered",
    }
}

::mandates::stored_codes! {
    /// Who wrote a case's message.
    pub enum MessageAuthor("message author") {
        Employer = "employer",
        Fund = "fund",
    }
}

/// A case with its collection and employer, as the portal and the console list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct DisputeRecord {
    pub id: i64,
    pub case_number: String,
    pub collection_id: i64,
    pub employer_id: i64,
    pub employer_name: String,
    pub affiliation_number: String,
    #[sqlx(try_from = "String")]
    pub reason: DisputeReason,
    /// Open or answered (see [`DisputeRecord::state`] for closed and overdue).
    #[sqlx(try_from = "String")]
    pub status: DisputeStatus,
    #[sqlx(try_from = "OptionalCode")]
    pub outcome: Option<DisputeOutcome>,
    /// `YYYY-MM-DD`: the answer date when open, the last day to write again when answered.
    pub deadline: String,
    pub opened_at: String,
    pub answered_at: Option<String>,
    pub collection_date: String,
    pub amount_centimes: i64,
    #[sqlx(try_from = "String")]
    pub collection_status: CollectionStatus,
    pub messages: i64,
}

/// Where a case stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisputeState {
    Open { overdue: bool },
    Answered,
    Closed,
}

impl DisputeRecord {
    pub fn state(&self, today: NaiveDate) -> DisputeState {
        match (self.status, is_past(&self.deadline, today)) {
            (DisputeStatus::Open, overdue) => DisputeState::Open { overdue },
            (DisputeStatus::Answered, false) => DisputeState::Answered,
            (DisputeStatus::Answered, true) => DisputeState::Closed,
        }
    }
}

/// One message of a case, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct DisputeMessage {
    pub id: i64,
    pub dispute_id: i64,
    #[sqlx(try_from = "String")]
    pub author: MessageAuthor,
    /// Who wrote it (`user:42`).
    pub actor: String,
    #[sqlx(try_from = "OptionalCode")]
    pub reason: Option<DisputeReason>,
    #[sqlx(try_from = "OptionalCode")]
    pub outcome: Option<DisputeOutcome>,
    pub body: String,
    pub deadline: String,
    pub created_at: String,
}

/// What a contest did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContestKind {
    /// A new case.
    Opened,
    /// A message added to the open case of the collection.
    Joined,
    /// An answered case opened again by the employer's new message.
    Reopened,
    /// The same message as the case's last one (a form sent twice): nothing recorded.
    Repeated,
}

/// The case a contest went to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contested {
    pub dispute_id: i64,
    pub case_number: String,
    pub kind: ContestKind,
}

const DISPUTE_SELECT: &str = "SELECT d.id, d.case_number, d.collection_id, d.employer_id, \
     e.name AS employer_name, e.affiliation_number, d.reason, d.status, d.outcome, d.deadline, \
     d.opened_at, d.answered_at, c.collection_date, c.amount_centimes, \
     c.status AS collection_status, \
     (SELECT COUNT(*) FROM dispute_messages m WHERE m.dispute_id = d.id) AS messages \
     FROM disputes d JOIN collections c ON c.id = d.collection_id \
     JOIN employers e ON e.id = d.employer_id";

#[derive(FromRow)]
struct CaseRow {
    id: i64,
    case_number: String,
    #[sqlx(try_from = "String")]
    status: DisputeStatus,
    deadline: String,
}

#[derive(FromRow)]
struct FactsRow {
    employer_id: i64,
    case_number: String,
    #[sqlx(try_from = "OptionalCode")]
    outcome: Option<DisputeOutcome>,
    body: String,
    deadline: String,
    created_at: String,
    collection_date: String,
    amount_centimes: i64,
}

/// The Algiers day of a stored UTC timestamp, as `YYYY-MM-DD`.
pub(super) fn algiers_day(timestamp: &str) -> String {
    parse_timestamp(timestamp).map_or_else(
        || timestamp.get(..10).unwrap_or(timestamp).to_owned(),
        |t| algiers_time(t).date().to_string(),
    )
}

impl Store {
    /// The employer contests its collection: a new case, or a message added to the
    /// collection's case (reopening it when answered). `Ok(Err(_))` is a refusal; nothing
    /// is recorded then. Another employer's collection is "not found".
    pub async fn contest_collection(
        &self,
        actor: &Actor,
        employer_id: i64,
        collection_id: i64,
        reason: &str,
        message: &str,
    ) -> StoreResult<Result<Contested, DisputeRefusal>> {
        let Ok(reason) = DisputeReason::parse(reason.trim()) else {
            return Ok(Err(DisputeRefusal::UnknownReason));
        };
        let body = match dispute_message(message) {
            Ok(body) => body,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let now = self.now_text();
        let today = self.clock.today();
        let answer_by = deadline_after(today).to_string();
        let mut tx = self.begin_write().await?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM collections WHERE id = $1 AND employer_id = $2")
                .bind(collection_id)
                .bind(employer_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(status) = status else {
            return Err(StoreError::not_found("collection", collection_id));
        };
        let status = CollectionStatus::parse(&status)?;
        if status == CollectionStatus::Cancelled {
            return Ok(Err(DisputeRefusal::NotContestable { status }));
        }
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO disputes (collection_id, employer_id, reason, status, deadline, opened_at, updated_at) \
             VALUES ($1, $2, $3, 'open', $4, $5, $5) ON CONFLICT (collection_id) DO NOTHING RETURNING id",
        )
        .bind(collection_id)
        .bind(employer_id)
        .bind(reason.as_str())
        .bind(&answer_by)
        .bind(&now)
        .fetch_optional(&mut *tx)
        .await?;
        let (case, kind) = match inserted {
            Some(id) => {
                let year = today.format("%Y");
                let case_number = format!("RCL-{year}-{id:06}");
                sqlx::query("UPDATE disputes SET case_number = $2 WHERE id = $1")
                    .bind(id)
                    .bind(&case_number)
                    .execute(&mut *tx)
                    .await?;
                let case = CaseRow {
                    id,
                    case_number,
                    status: DisputeStatus::Open,
                    deadline: answer_by.clone(),
                };
                (case, ContestKind::Opened)
            }
            None => {
                let case = sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT id, case_number, status, deadline FROM disputes WHERE collection_id = $1{}",
                    self.backend.lock_rows()
                )))
                .bind(collection_id)
                .fetch_one(&mut *tx)
                .await?;
                let (count, last): (i64, Option<String>) = sqlx::query_as(
                    "SELECT COUNT(*), (SELECT body FROM dispute_messages WHERE dispute_id = $1 \
                     AND author = 'employer' AND id = (SELECT MAX(id) FROM dispute_messages WHERE dispute_id = $1)) \
                     FROM dispute_messages WHERE dispute_id = $1",
                )
                .bind(case.id)
                .fetch_one(&mut *tx)
                .await?;
                if last.as_deref() == Some(body.as_str()) {
                    return Ok(Ok(Contested {
                        dispute_id: case.id,
                        case_number: case.case_number,
                        kind: ContestKind::Repeated,
                    }));
                }
                if case.status == DisputeStatus::Answered && is_past(&case.deadline, today) {
                    return Ok(Err(DisputeRefusal::Closed {
                        case_number: case.case_number,
                        deadline: case.deadline,
                    }));
                }
                if let Err(refusal) = check_room(&case.case_number, count) {
                    return Ok(Err(refusal));
                }
                let kind = if case.status == DisputeStatus::Answered {
                    sqlx::query(
                        "UPDATE disputes SET status = 'open', outcome = NULL, deadline = $2, updated_at = $3 \
                         WHERE id = $1",
                    )
                    .bind(case.id)
                    .bind(&answer_by)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                    ContestKind::Reopened
                } else {
                    sqlx::query("UPDATE disputes SET updated_at = $2 WHERE id = $1")
                        .bind(case.id)
                        .bind(&now)
                        .execute(&mut *tx)
                        .await?;
                    ContestKind::Joined
                };
                (case, kind)
            }
        };
        // An employer's message carries the answer date in force after it.
        let deadline = match kind {
            ContestKind::Joined => case.deadline.clone(),
            _ => answer_by.clone(),
        };
        let message_id: i64 = sqlx::query_scalar(
            "INSERT INTO dispute_messages (dispute_id, author, actor, reason, body, deadline, created_at) \
             VALUES ($1, 'employer', $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(case.id)
        .bind(actor.as_str())
        .bind(reason.as_str())
        .bind(&body)
        .bind(&deadline)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        // A case open on a planned debit holds it until answered (ARCHITECTURE, "Refunds,
        // and disputes with money effects"): kept out of the files, released or acted on
        // by the answer. Before the audit entries (the console's totals first).
        if status == CollectionStatus::Planned {
            hold_for_dispute(
                &mut tx,
                actor,
                (collection_id, case.id),
                &now,
                self.backend.lock_rows(),
            )
            .await?;
        }
        let action = match kind {
            ContestKind::Opened => "dispute.opened",
            ContestKind::Reopened => "dispute.reopened",
            _ => "dispute.message",
        };
        Audit::new(actor, action)
            .on("dispute", case.id)
            .detail(json!({
                "case_number": case.case_number,
                "collection_id": collection_id,
                "reason": reason.as_str(),
                "message_id": message_id,
                "deadline": deadline,
            }))
            .record(&mut tx, &now)
            .await?;
        // Opening and reopening are acknowledged by email with the answer date; a message
        // added to an open case is not (it changes no date), the page shows it.
        if matches!(kind, ContestKind::Opened | ContestKind::Reopened) {
            NoticeEvent::new(NoticeKind::DisputeAcknowledged, employer_id, message_id)
                .record(&mut tx, &now)
                .await?;
        }
        tx.commit().await?;
        Ok(Ok(Contested {
            dispute_id: case.id,
            case_number: case.case_number,
            kind,
        }))
    }

    /// The fund answers an open case with an outcome and a message; the employer may
    /// write again for [`DISPUTE_DAYS`](mandates::dispute::DISPUTE_DAYS) days. Audited,
    /// with its `dispute_answered` notice.
    ///
    /// An upheld answer may take one `action` that fits the case's debit
    /// ([`Store::dispute_actions`]): a refund (the disputed amount credited and an
    /// approved refund of it, by the answerer) or a credit, in this transaction; cancelling
    /// or holding the planned debit, as staff's debit actions right after it. A debit the
    /// case held is released by any other answer (`policy`: its channel's timing, as for
    /// a release by staff).
    pub async fn answer_dispute(
        &self,
        actor: &Actor,
        dispute_id: i64,
        outcome: &str,
        message: &str,
        action: Option<DisputeAction>,
        policy: &ChannelPolicy,
    ) -> StoreResult<Result<DisputeRecord, DisputeRefusal>> {
        let Ok(outcome) = DisputeOutcome::parse(outcome.trim()) else {
            return Ok(Err(DisputeRefusal::UnknownOutcome));
        };
        let body = match dispute_message(message) {
            Ok(body) => body,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let now = self.now_text();
        let write_again_until = deadline_after(self.clock.today()).to_string();
        let mut tx = self.begin_write().await?;
        let case: Option<(String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT case_number, status, employer_id FROM disputes WHERE id = $1{}",
            self.backend.lock_rows()
        )))
        .bind(dispute_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((case_number, status, employer_id)) = case else {
            return Err(StoreError::not_found("dispute", dispute_id));
        };
        if DisputeStatus::parse(&status)? != DisputeStatus::Open {
            return Ok(Err(DisputeRefusal::NotOpen { case_number }));
        }
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM dispute_messages WHERE dispute_id = $1")
                .bind(dispute_id)
                .fetch_one(&mut *tx)
                .await?;
        if let Err(refusal) = check_room(&case_number, count) {
            return Ok(Err(refusal));
        }
        sqlx::query(
            "UPDATE disputes SET status = 'answered', outcome = $2, deadline = $3, answered_at = $4, \
             updated_at = $4 WHERE id = $1 AND status = 'open'",
        )
        .bind(dispute_id)
        .bind(outcome.as_str())
        .bind(&write_again_until)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let message_id: i64 = sqlx::query_scalar(
            "INSERT INTO dispute_messages (dispute_id, author, actor, outcome, body, deadline, created_at) \
             VALUES ($1, 'fund', $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(dispute_id)
        .bind(actor.as_str())
        .bind(outcome.as_str())
        .bind(&body)
        .bind(&write_again_until)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        Audit::new(actor, "dispute.answered")
            .on("dispute", dispute_id)
            .detail(json!({
                "case_number": case_number,
                "outcome": outcome.as_str(),
                "message_id": message_id,
                "deadline": write_again_until,
            }))
            .record(&mut tx, &now)
            .await?;
        NoticeEvent::new(NoticeKind::DisputeAnswered, employer_id, message_id)
            .record(&mut tx, &now)
            .await?;
        let debit = answer_effects(
            &mut tx,
            actor,
            (dispute_id, &case_number, employer_id),
            outcome,
            action,
            &now,
            self.backend.lock_rows(),
        )
        .await?;
        tx.commit().await?;
        // The planned debit: cancelled, held, or released when the case held it — staff's
        // debit actions, each audited, with the case as their reason.
        let reason = format!("dispute {case_number} answered");
        let debit_action = match (action, debit.held_by_case) {
            (Some(DisputeAction::CancelDebit), _) => Some(DebitAction::Cancel),
            (Some(DisputeAction::HoldDebit), false) => Some(DebitAction::Hold),
            (Some(DisputeAction::HoldDebit), true) => None,
            (_, true) => Some(DebitAction::Release),
            (_, false) => None,
        };
        if let Some(debit_action) = debit_action
            && debit.planned
        {
            self.act_on_debit(actor, debit.collection_id, debit_action, &reason, policy)
                .await?;
        }
        self.dispute(dispute_id).await.map(Ok)
    }

    /// The actions an upheld answer can take on the case, from its debit's state: a
    /// settled debit can be refunded or credited; a planned one cancelled or held.
    pub async fn dispute_actions(&self, dispute_id: i64) -> StoreResult<Vec<DisputeAction>> {
        let status: Option<String> = sqlx::query_scalar(
            "SELECT c.status FROM disputes d JOIN collections c ON c.id = d.collection_id WHERE d.id = $1",
        )
        .bind(dispute_id)
        .fetch_optional(&self.pool)
        .await?;
        let status = status.ok_or_else(|| StoreError::not_found("dispute", dispute_id))?;
        Ok(actions_for(CollectionStatus::parse(&status)?))
    }

    /// One case.
    pub async fn dispute(&self, id: i64) -> StoreResult<DisputeRecord> {
        sqlx::query_as::<_, DisputeRecord>(sqlx::AssertSqlSafe(format!(
            "{DISPUTE_SELECT} WHERE d.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("dispute", id))
    }

    pub async fn collection_dispute(
        &self,
        collection_id: i64,
    ) -> StoreResult<Option<DisputeRecord>> {
        Ok(
            sqlx::query_as::<_, DisputeRecord>(sqlx::AssertSqlSafe(format!(
                "{DISPUTE_SELECT} WHERE d.collection_id = $1"
            )))
            .bind(collection_id)
            .fetch_optional(&self.pool)
            .await?,
        )
    }

    /// The messages of a case, oldest first.
    pub async fn dispute_messages(&self, dispute_id: i64) -> StoreResult<Vec<DisputeMessage>> {
        Ok(sqlx::query_as::<_, DisputeMessage>(
            "SELECT id, dispute_id, author, actor, reason, outcome, body, deadline, created_at \
             FROM dispute_messages WHERE dispute_id = $1 ORDER BY id",
        )
        .bind(dispute_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// An employer's cases, newest first.
    pub async fn employer_disputes(&self, employer_id: i64) -> StoreResult<Vec<DisputeRecord>> {
        Ok(
            sqlx::query_as::<_, DisputeRecord>(sqlx::AssertSqlSafe(format!(
                "{DISPUTE_SELECT} WHERE d.employer_id = $1 ORDER BY d.id DESC"
            )))
            .bind(employer_id)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// The staff queue: open cases by answer date (the most urgent first), then the
    /// `answered` most recently answered ones (at most `answered` of them).
    pub async fn dispute_queue(&self, answered: i64) -> StoreResult<Vec<DisputeRecord>> {
        let mut queue = sqlx::query_as::<_, DisputeRecord>(sqlx::AssertSqlSafe(format!(
            "{DISPUTE_SELECT} WHERE d.status = 'open' ORDER BY d.deadline, d.id"
        )))
        .fetch_all(&self.pool)
        .await?;
        queue.extend(
            sqlx::query_as::<_, DisputeRecord>(sqlx::AssertSqlSafe(format!(
                "{DISPUTE_SELECT} WHERE d.status = 'answered' ORDER BY d.answered_at DESC, d.id DESC LIMIT $1"
            )))
            .bind(answered)
            .fetch_all(&self.pool)
            .await?,
        );
        Ok(queue)
    }

    /// What a dispute notice says, from the message it is about (`subject_id`): the case,
    /// the collection, and the deadline and answer as that message set them. With the
    /// employer the case belongs to.
    pub(super) async fn dispute_facts(&self, message_id: i64) -> StoreResult<(i64, DisputeFacts)> {
        let row = sqlx::query_as::<_, FactsRow>(
            "SELECT d.employer_id, d.case_number, m.outcome, m.body, m.deadline, m.created_at, \
             c.collection_date, c.amount_centimes FROM dispute_messages m \
             JOIN disputes d ON d.id = m.dispute_id JOIN collections c ON c.id = d.collection_id \
             WHERE m.id = $1",
        )
        .bind(message_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("dispute message", message_id))?;
        // One answer text, shown in both languages' parts; filed under the script it is in.
        let arabic = row
            .body
            .chars()
            .any(|c| ('\u{600}'..='\u{6ff}').contains(&c));
        let answer = row.outcome.is_some().then_some(row.body);
        let (answer_ar, answer_fr) = if arabic {
            (answer, None)
        } else {
            (None, answer)
        };
        Ok((
            row.employer_id,
            DisputeFacts {
                case_number: row.case_number,
                collection_date: row.collection_date,
                amount: Amount::from_centimes(row.amount_centimes),
                opened_on: algiers_day(&row.created_at),
                deadline: row.deadline,
                outcome: row.outcome,
                answer_fr,
                answer_ar,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_outcomes_are_a_fixed_list() {
        for reason in DisputeReason::ALL {
            assert_eq!(DisputeReason::parse(reason.as_str()), Ok(reason));
        }
        assert!(DisputeReason::parse("AMOUNT_WRONG").is_err());
        assert_eq!(DisputeOutcome::parse("upheld"), Ok(DisputeOutcome::Upheld));
        assert!(DisputeOutcome::parse("maybe").is_err());
    }

    #[test]
    fn a_case_is_overdue_or_closed_after_its_deadline() {
        let mut case = DisputeRecord {
            id: 1,
            case_number: "RCL-2026-000001".to_owned(),
            collection_id: 1,
            employer_id: 1,
            employer_name: String::new(),
            affiliation_number: String::new(),
            reason: DisputeReason::Other,
            status: DisputeStatus::Open,
            outcome: None,
            deadline: "2026-12-31".to_owned(),
            opened_at: "2026-12-01T09:00:00Z".to_owned(),
            answered_at: None,
            collection_date: "2026-11-15".to_owned(),
            amount_centimes: 100,
            collection_status: CollectionStatus::Settled,
            messages: 1,
        };
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        assert_eq!(case.state(day(31)), DisputeState::Open { overdue: false });
        assert_eq!(
            case.state(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            DisputeState::Open { overdue: true }
        );
        case.status = DisputeStatus::Answered;
        assert_eq!(case.state(day(31)), DisputeState::Answered);
        assert_eq!(
            case.state(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            DisputeState::Closed
        );
        assert_eq!(algiers_day("2026-12-31T23:30:00Z"), "2027-01-01");
    }
}

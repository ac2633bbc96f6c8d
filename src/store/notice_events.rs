//! Notice events, the outbox of notices to employers: each state change that an employer
//! is told of records its event in its own transaction, once per dedupe key (recorded
//! twice, kept once). Every event is written here, by one statement: one event by
//! [`NoticeEvent`], one per row of a query by [`NoticeEvents`], each key by
//! [`dedupe_key`]. A change that cancels an announced debit tells of it; one that cancels
//! or moves a debit not yet announced withdraws the announcement.
//!
//! Must not know: delivering and writing notices (`notices`, `crate::notices`).

use sqlx::AnyConnection;

use super::{Bind, StoreResult, sql_literal};

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
        /// What the employer owes for a collection date is above its mandate's ceiling:
        /// nothing is debited; raise the ceiling before the deadline, or pay another way.
        /// `subject_id` = the `ceiling_shortfalls` row (one per employer and date).
        OverCeiling = "over_ceiling",
        /// A surcharge recorded by the daily job: what it is for and how it is computed
        /// (base, rate, period, deadline, days late, rule). `subject_id` = the surcharge.
        SurchargeNotice = "surcharge_notice",
        /// A provisional assessment of a period whose declaration is missing: the base
        /// (the last declaration's contributions), the increase, the rule, and that the
        /// declaration replaces it. `subject_id` = the `provisional_assessments` row.
        ProvisionalAssessment = "provisional_assessment",
        /// A payment plan set by staff: its instalments (days, amounts). `subject_id` = the
        /// plan; one notice per plan and event (`plan_set:PLAN`).
        PlanSet = "plan_set",
        /// A plan request refused by staff, with their reason.
        PlanRefused = "plan_refused",
        /// A plan broken by the daily review: an instalment unpaid past the grace.
        PlanBroken = "plan_broken",
        /// A plan in force cancelled by staff, with their reason.
        PlanCancelled = "plan_cancelled",
        /// A plan whose every line is paid.
        PlanCompleted = "plan_completed",
    }
}

/// A notice event to record: `NoticeEvent::new(kind, employer_id, subject_id).record(&mut
/// tx, &now)`. The set-based counterpart, one event per row of a query, is [`NoticeEvents`].
#[must_use = "a notice event is written by `record`"]
#[derive(Clone, Copy, Debug)]
pub(super) struct NoticeEvent {
    kind: NoticeKind,
    employer_id: i64,
    subject_id: i64,
}

impl NoticeEvent {
    pub(super) fn new(kind: NoticeKind, employer_id: i64, subject_id: i64) -> NoticeEvent {
        NoticeEvent {
            kind,
            employer_id,
            subject_id,
        }
    }

    /// Records the event inside the caller's transaction; recorded twice, kept once.
    pub(super) async fn record(self, conn: &mut AnyConnection, now: &str) -> StoreResult<()> {
        let values = NoticeEvents {
            kind: self.kind,
            instead: None,
            employer: "$1".to_owned(),
            subject: "$2".to_owned(),
            again: None,
            from: None,
        };
        let binds = [Bind::Int(self.employer_id), Bind::Int(self.subject_id)];
        values.record(conn, now, &binds).await?;
        Ok(())
    }
}

/// One notice event for each row of a query, in one `INSERT … SELECT` (set-based: a plan
/// announces every debit it made in one statement): `NoticeEvents::new(kind, "c",
/// "collections c WHERE …").record(&mut tx, &now, &[Bind::Text(&date)])`. `rows` is the
/// alias, in `from`, of the table the events are about: its `employer_id` and `id` are
/// each event's employer and subject. The caller's values are `$1`… of `from`.
#[must_use = "notice events are written by `record`"]
#[derive(Clone, Debug)]
pub(super) struct NoticeEvents<'a> {
    kind: NoticeKind,
    instead: Option<(&'a str, NoticeKind)>,
    /// SQL: each event's employer and subject.
    employer: String,
    subject: String,
    again: Option<&'a str>,
    /// SQL after `FROM`; none for the one event of [`NoticeEvent`].
    from: Option<&'a str>,
}

impl<'a> NoticeEvents<'a> {
    pub(super) fn new(kind: NoticeKind, rows: &str, from: &'a str) -> NoticeEvents<'a> {
        NoticeEvents {
            kind,
            instead: None,
            employer: format!("{rows}.employer_id"),
            subject: format!("{rows}.id"),
            again: None,
            from: Some(from),
        }
    }

    /// `kind` instead for the rows where the SQL `condition` holds.
    pub(super) fn when(mut self, condition: &'a str, kind: NoticeKind) -> Self {
        self.instead = Some((condition, kind));
        self
    }

    /// An SQL value added to each dedupe key, for a subject that may be told of again
    /// (a new date, another report): see [`dedupe_key`].
    pub(super) fn again(mut self, value: &'a str) -> Self {
        self.again = Some(value);
        self
    }

    /// Records the events inside the caller's transaction, each once (`now` is bound
    /// after `binds`). Returns how many were new. This is the one statement that writes
    /// notice events.
    pub(super) async fn record(
        self,
        conn: &mut AnyConnection,
        now: &str,
        binds: &[Bind<'_>],
    ) -> StoreResult<u64> {
        let NoticeEvents {
            kind,
            instead,
            employer,
            subject,
            again,
            from,
        } = self;
        let kind = match instead {
            None => sql_literal(kind.as_str()),
            Some((condition, instead)) => format!(
                "CASE WHEN {condition} THEN {} ELSE {} END",
                sql_literal(instead.as_str()),
                sql_literal(kind.as_str())
            ),
        };
        let key = dedupe_key(&kind, &subject, again);
        let now_n = binds.len() + 1;
        let from = from.map(|from| format!(" FROM {from}")).unwrap_or_default();
        // Each new event also gets its webhook deliveries, in this transaction.
        let before = super::webhooks::last_event_id(&mut *conn).await?;
        let sql = format!(
            "INSERT INTO notice_events (employer_id, kind, subject_id, dedupe_key, created_at) \
             SELECT {employer}, {kind}, {subject}, {key}, ${now_n}{from} \
             ON CONFLICT (dedupe_key) DO NOTHING"
        );
        let recorded = Bind::all(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if recorded > 0 {
            super::webhooks::record_deliveries(conn, before, now).await?;
        }
        Ok(recorded)
    }
}

/// The dedupe key of a notice event, as SQL: `kind:subject`, and `kind:subject:again` where
/// one subject may be told of more than once (a debit moved to a new date, a mandate
/// suspended by another report). Every event's key is written here: a key recorded
/// before must still match a new event's, so each event leads to one email.
fn dedupe_key(kind: &str, subject: &str, again: Option<&str>) -> String {
    let key = format!("{kind} || ':' || CAST({subject} AS TEXT)");
    match again {
        Some(again) => format!("{key} || ':' || CAST({again} AS TEXT)"),
        None => key,
    }
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
    let from = format!(
        "collections c WHERE {which} AND EXISTS (SELECT 1 FROM notice_events n \
         WHERE n.employer_id = c.employer_id AND n.kind = 'advance_notice' AND n.subject_id = c.id)"
    );
    NoticeEvents::new(NoticeKind::DebitCancelled, "c", &from)
        .record(tx, now, &[Bind::Text(param)])
        .await
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
    let withdrawn = format!(
        "SELECT id FROM notice_events WHERE kind = 'advance_notice' AND status = 'pending' \
         AND locked_by IS NULL AND subject_id IN (SELECT c.id FROM collections c WHERE {which})"
    );
    super::webhooks::withdraw_unsent_deliveries(&mut *tx, &withdrawn, param).await?;
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM notice_events WHERE kind = 'advance_notice' AND status = 'pending' \
         AND locked_by IS NULL AND subject_id IN (SELECT c.id FROM collections c WHERE {which})"
    )))
    .bind(param)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::dedupe_key;

    #[test]
    fn dedupe_keys_are_kind_subject_and_what_makes_it_new() {
        assert_eq!(
            dedupe_key("'receipt'", "c.id", None),
            "'receipt' || ':' || CAST(c.id AS TEXT)"
        );
        assert_eq!(
            dedupe_key("'advance_notice'", "c.id", Some("c.collection_date")),
            "'advance_notice' || ':' || CAST(c.id AS TEXT) || ':' || CAST(c.collection_date AS TEXT)"
        );
    }
}

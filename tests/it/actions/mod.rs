//! Staff actions on a debit (issue 14, item 5), on both databases: hold keeps a debit out
//! of the file and release puts it back, cancel owes its lines again, re-present plans one
//! attempt on the next possible date with a notice; a debit has at most one next attempt
//! whoever plans it (a unique key); an exception resolved by an action says so. Through
//! the store here; the admin API, the console and the command line in `surfaces`.

use bank_formats::reasons::{ReasonCategory, RetryClass};
use chrono::NaiveDate;
use mandates::{ChannelPolicy, DebitAction, representation_date};
use tahsil::clock::{Clock, start_of_algiers_day};
use tahsil::cycle::CycleSettings;
use tahsil::store::{
    CollectionRecord, Effect, ImportSummary, NewReport, ReconcilePolicy, ReportItem, Store,
    StoreError,
};

mod deadlock;
mod surfaces;

use crate::both_backends;
use crate::harness::fixtures::{actor, assert_totals_kept, d, planned, scalar};
use crate::harness::{TestDb, settings};

const DATE: (i32, u32, u32) = (2026, 12, 15);

fn date() -> NaiveDate {
    d(DATE.0, DATE.1, DATE.2)
}

/// A clock standing at noon in Algiers on 1 December 2026 (the notice day of `planned`).
fn first_of_december() -> Clock {
    Clock::fixed_on(d(2026, 12, 1))
}

fn set_day(clock: &Clock, day: NaiveDate) {
    clock.set(start_of_algiers_day(day) + chrono::Duration::hours(12));
}

async fn run(store: &Store, settings: &CycleSettings, date: NaiveDate) {
    tahsil::cycle::run::run_date(store, settings, &actor(), date, "test")
        .await
        .unwrap();
}

/// The bank rejects `c` (`retry`: what the taxonomy says to do next) in a report applied
/// on `today`; an automatic retry would fall on the 22nd.
async fn reject(
    store: &Store,
    c: &CollectionRecord,
    retry: RetryClass,
    name: &str,
    today: NaiveDate,
) -> ImportSummary {
    let category = match retry {
        RetryClass::RetryLater => ReasonCategory::InsufficientFunds,
        _ => ReasonCategory::TechnicalOrFormat,
    };
    store
        .apply_report(
            &actor(),
            &NewReport {
                institution: None,
                file_name: format!("{name}.xml"),
                sha256: format!("{name:0>64}"),
                format: "test".to_owned(),
                message_id: None,
                original_message_id: None,
                items: vec![ReportItem {
                    end_to_end_id: Some(c.end_to_end_id.clone()),
                    mandate_reference: None,
                    amount: Some(c.amount),
                    status: Some("RJCT".to_owned()),
                    reason_code: Some("FF01".to_owned()),
                    reason_category: Some(category),
                    retry_class: Some(retry),
                    effect: Effect::Reject,
                    facts: Default::default(),
                }],
            },
            ReconcilePolicy {
                today,
                retry_date: d(2026, 12, 22),
                max_attempts: 3,
            },
        )
        .await
        .unwrap()
}

async fn act(
    store: &Store,
    id: i64,
    action: DebitAction,
    reason: &str,
) -> Result<tahsil::store::ActionOutcome, StoreError> {
    store
        .act_on_debit(&actor(), id, action, reason, &ChannelPolicy::default())
        .await
}

fn conflict(result: Result<tahsil::store::ActionOutcome, StoreError>) -> String {
    match result {
        Err(StoreError::Conflict(message)) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn collection(store: &Store, id: i64) -> (String, Option<String>) {
    sqlx::query_as("SELECT status, held_at FROM collections WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

both_backends!(
    a_held_debit_stays_out_of_the_file_and_a_released_one_goes_in,
    |db: TestDb| async move {
        let store = db.store_with_clock(first_of_december()).await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 50_000);
        assert_eq!(planned(&store, 3).await, 3);
        let c = store.collections_on(date()).await.unwrap();
        let (kept, released, other) = (c[0].id, c[1].id, c[2].id);

        let held = act(
            &store,
            kept,
            DebitAction::Hold,
            "employer disputes the amount",
        )
        .await
        .unwrap();
        assert!(held.debit.held);
        assert_eq!(
            held.debit.possible_actions,
            vec![DebitAction::Release, DebitAction::Cancel]
        );
        act(&store, released, DebitAction::Hold, "checking")
            .await
            .unwrap();
        let back = act(&store, released, DebitAction::Release, "checked")
            .await
            .unwrap();
        assert!(!back.debit.held && !back.missed_its_date);
        // Held twice: the answer says the state and what is possible.
        let message = conflict(act(&store, kept, DebitAction::Hold, "again").await);
        assert!(
            message.contains("planned and held") && message.contains("possible: release, cancel"),
            "{message}"
        );

        run(&store, &settings, date()).await;
        assert_eq!(
            collection(&store, kept).await.0,
            "planned",
            "held: not in the file"
        );
        assert_eq!(collection(&store, released).await.0, "submitted");
        assert_eq!(collection(&store, other).await.0, "submitted");
        let in_files = scalar(
            &store,
            "SELECT CAST(SUM(transactions) AS BIGINT) FROM bank_files",
        )
        .await;
        assert_eq!(in_files, 2);
        assert!(
            !store.planned_dates().await.unwrap().contains(&date()),
            "nothing left to file on the date"
        );

        // Released after its date's files: it cannot go out on its date, so it is
        // cancelled and its lines owed again, collected at the next date.
        let late = act(&store, kept, DebitAction::Release, "dispute settled")
            .await
            .unwrap();
        assert!(late.missed_its_date);
        assert_eq!(late.debit.status.as_str(), "cancelled");
        assert_eq!(
            late.debit.reason_code.as_deref(),
            Some("held_past_its_date")
        );
        let next = d(2027, 1, 17);
        store
            .plan_collections(&actor(), next, d(2026, 12, 20))
            .await
            .unwrap();
        let again = store.collections_on(next).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(
            (again[0].employer_id, again[0].amount),
            (c[0].employer_id, c[0].amount)
        );

        let trail = store.audit_trail("collection", kept).await.unwrap();
        let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
        assert!(
            actions.contains(&"collection.held") && actions.contains(&"collection.released"),
            "{actions:?}"
        );
        let held_entry = trail
            .iter()
            .find(|e| e.action == "collection.held")
            .unwrap();
        assert!(
            held_entry
                .detail
                .to_string()
                .contains("employer disputes the amount"),
            "{:?}",
            held_entry.detail
        );
        assert_totals_kept(&store).await;
    }
);

both_backends!(
    a_cancelled_debit_owes_its_lines_again_and_tells_the_employer_only_when_announced,
    |db: TestDb| async move {
        let store = db.store_with_clock(first_of_december()).await;
        assert_eq!(planned(&store, 2).await, 2);
        let c = store.collections_on(date()).await.unwrap();
        let (announced, unannounced) = (c[0].id, c[1].id);
        // The first one's advance notice went out; the second's is still pending.
        sqlx::query("UPDATE notice_events SET status = 'sent' WHERE kind = 'advance_notice' AND subject_id = $1")
            .bind(announced)
            .execute(store.pool())
            .await
            .unwrap();

        let empty = act(&store, announced, DebitAction::Cancel, "  ").await;
        assert!(
            matches!(empty, Err(StoreError::Refused { .. })),
            "{empty:?}"
        );
        assert!(matches!(
            act(&store, 999_999, DebitAction::Cancel, "x").await,
            Err(StoreError::NotFound { .. })
        ));

        for id in [announced, unannounced] {
            let done = act(
                &store,
                id,
                DebitAction::Cancel,
                "employer paid at the counter",
            )
            .await
            .unwrap();
            assert_eq!(done.debit.status.as_str(), "cancelled");
            assert_eq!(done.debit.reason_code.as_deref(), Some("staff_cancelled"));
        }
        let events = |kind: &'static str, id: i64| {
            let store = store.clone();
            async move {
                scalar(&store, &format!("SELECT COUNT(*) FROM notice_events WHERE kind = '{kind}' AND subject_id = {id}")).await
            }
        };
        assert_eq!(
            events("debit_cancelled", announced).await,
            1,
            "told: its notice went out"
        );
        assert_eq!(events("debit_cancelled", unannounced).await, 0);
        assert_eq!(
            events("advance_notice", unannounced).await,
            0,
            "the unsent notice is withdrawn"
        );
        let unpaid = scalar(
            &store,
            &format!(
                "SELECT COUNT(*) FROM declaration_line_states s JOIN collection_lines cl \
                 ON cl.declaration_line_id = s.declaration_line_id WHERE cl.collection_id IN ({announced}, {unannounced}) \
                 AND s.state = 'unpaid'"
            ),
        )
        .await;
        assert_eq!(unpaid, 6, "their lines are owed again");
        let message = conflict(act(&store, announced, DebitAction::Cancel, "again").await);
        assert!(
            message.contains("cancelled") && message.contains("no staff action"),
            "{message}"
        );

        // Owed again: collected at the next date, for the same amounts.
        let next = d(2027, 1, 17);
        store
            .plan_collections(&actor(), next, d(2026, 12, 20))
            .await
            .unwrap();
        let again = store.collections_on(next).await.unwrap();
        assert_eq!(
            again
                .iter()
                .map(|x| (x.employer_id, x.amount))
                .collect::<Vec<_>>(),
            c.iter()
                .map(|x| (x.employer_id, x.amount))
                .collect::<Vec<_>>()
        );
        assert_totals_kept(&store).await;
    }
);

both_backends!(
    a_hold_loses_to_the_run_that_filed_the_debit_and_names_the_file,
    |db: TestDb| async move {
        let store = db.store_with_clock(first_of_december()).await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 50_000);
        planned(&store, 1).await;
        let id = store.collections_on(date()).await.unwrap()[0].id;
        run(&store, &settings, date()).await;
        let file: String = sqlx::query_scalar("SELECT file_name FROM bank_files")
            .fetch_one(store.pool())
            .await
            .unwrap();
        let message = conflict(act(&store, id, DebitAction::Hold, "too late").await);
        assert!(
            message.contains(&format!("already in file {file}")),
            "{message}"
        );
        assert!(message.contains("submitted"), "{message}");
        assert_totals_kept(&store).await;
    }
);

both_backends!(
    a_re_presentation_is_planned_on_the_next_possible_date_with_notice_and_resolves_the_exception,
    |db: TestDb| async move {
        let clock = first_of_december();
        let store = db.store_with_clock(clock.clone()).await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 50_000);
        planned(&store, 1).await;
        let failed = store.collections_on(date()).await.unwrap().remove(0);
        run(&store, &settings, date()).await;
        let today = d(2026, 12, 16);
        set_day(&clock, today);
        let summary = reject(&store, &failed, RetryClass::NeedsStaff, "technical", today).await;
        assert_eq!(
            (
                summary.rejected,
                summary.retries_planned,
                summary.exceptions
            ),
            (1, 0, 1)
        );
        let exception = store.exceptions(true).await.unwrap().remove(0);
        assert_eq!(exception.collection_id, Some(failed.id));

        let done = act(
            &store,
            failed.id,
            DebitAction::Represent,
            "bank fixed its file reader",
        )
        .await
        .unwrap();
        let next = done.next_attempt.clone().unwrap();
        let calendar = store.calendar().await.unwrap();
        let expected = representation_date(today, &calendar, &ChannelPolicy::default());
        assert_eq!(
            expected,
            d(2026, 12, 21),
            "five days' notice, a business day"
        );
        assert_eq!(next.collection_date, expected.to_string());
        assert_eq!(next.noticed_on, today.to_string());
        assert_eq!(
            (next.attempt, next.retry_of, next.amount),
            (2, Some(failed.id), failed.amount)
        );
        assert_eq!(next.status.as_str(), "planned");
        assert_eq!(done.debit.status.as_str(), "retry_planned");
        assert_eq!(done.debit.next_attempt, Some(next.id));
        assert_eq!(done.exceptions_resolved, vec![exception.id]);
        let notices = scalar(&store, &format!("SELECT COUNT(*) FROM notice_events WHERE kind = 'advance_notice' AND subject_id = {}", next.id)).await;
        assert_eq!(notices, 1, "the employer is told in advance");
        let resolved = store.exceptions(false).await.unwrap().remove(0);
        assert_eq!(resolved.resolved_by_action, Some(DebitAction::Represent));
        assert_eq!(
            resolved.resolution.as_deref(),
            Some("bank fixed its file reader")
        );
        assert_eq!(resolved.resolved_by.as_deref(), Some("test"));

        let message = conflict(act(&store, failed.id, DebitAction::Represent, "twice").await);
        assert!(
            message.contains(&format!("already re-presented as #{}", next.id)),
            "{message}"
        );

        // The new attempt goes out on its date like any planned debit.
        run(&store, &settings, expected).await;
        assert_eq!(collection(&store, next.id).await.0, "submitted");
        assert_totals_kept(&store).await;
    }
);

both_backends!(
    a_debit_has_one_next_attempt_whoever_plans_it,
    |db: TestDb| async move {
        let clock = first_of_december();
        let store = db.store_with_clock(clock.clone()).await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 50_000);
        planned(&store, 2).await;
        let c = store.collections_on(date()).await.unwrap();
        run(&store, &settings, date()).await;
        let today = d(2026, 12, 16);
        set_day(&clock, today);
        let next_attempts = |id: i64| {
            let store = store.clone();
            async move {
                scalar(
                    &store,
                    &format!("SELECT COUNT(*) FROM collections WHERE retry_of = {id}"),
                )
                .await
            }
        };

        // The automatic retry first: the clerk's re-presentation is refused, naming it.
        let summary = reject(&store, &c[0], RetryClass::RetryLater, "funds", today).await;
        assert_eq!(summary.retries_planned, 1);
        let automatic = scalar(
            &store,
            &format!("SELECT id FROM collections WHERE retry_of = {}", c[0].id),
        )
        .await;
        let message = conflict(act(&store, c[0].id, DebitAction::Represent, "by hand").await);
        assert!(
            message.contains(&format!("already re-presented as #{automatic}")),
            "{message}"
        );
        assert_eq!(next_attempts(c[0].id).await, 1);

        // The database refuses a second attempt of the same debit, whoever writes it.
        let second = sqlx::query(
            "INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, status, \
             attempt, retry_of, end_to_end_id, noticed_on, created_at, updated_at) \
             SELECT employer_id, mandate_id, channel, '2027-01-03', amount_centimes, 'planned', attempt + 1, id, \
             'TSECOND', '2026-12-16', '2026-12-16T11:00:00Z', '2026-12-16T11:00:00Z' FROM collections WHERE id = $1",
        )
        .bind(c[0].id)
        .execute(store.pool())
        .await;
        let error = second.expect_err("a second next attempt must be refused");
        assert!(
            error
                .as_database_error()
                .is_some_and(|e| e.is_unique_violation()),
            "{error}"
        );

        // Clerks racing to re-present the same debit: one attempt, the others told which.
        reject(&store, &c[1], RetryClass::NeedsStaff, "technical", today).await;
        let racers: Vec<_> = (0..5)
            .map(|n| {
                let store = store.clone();
                let id = c[1].id;
                tokio::spawn(async move {
                    act(&store, id, DebitAction::Represent, &format!("clerk {n}")).await
                })
            })
            .collect();
        let mut won = 0;
        for racer in racers {
            match racer.await.unwrap() {
                Ok(outcome) => {
                    won += 1;
                    assert!(outcome.next_attempt.is_some());
                }
                Err(StoreError::Conflict(message)) => {
                    assert!(message.contains("already re-presented"), "{message}")
                }
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(won, 1);
        assert_eq!(next_attempts(c[1].id).await, 1);
        assert_totals_kept(&store).await;
    }
);

both_backends!(
    a_re_presentation_takes_only_the_lines_no_other_debit_holds,
    |db: TestDb| async move {
        let clock = first_of_december();
        let store = db.store_with_clock(clock.clone()).await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 50_000);
        planned(&store, 2).await;
        let c = store.collections_on(date()).await.unwrap();
        run(&store, &settings, date()).await;
        let today = d(2026, 12, 16);
        set_day(&clock, today);
        reject(&store, &c[0], RetryClass::NeedsStaff, "tech0", today).await;
        reject(&store, &c[1], RetryClass::NeedsStaff, "tech1", today).await;

        // Re-presented first: the next date's planning leaves its lines alone.
        let represented = act(&store, c[1].id, DebitAction::Represent, "file fixed")
            .await
            .unwrap();
        let next = d(2027, 1, 17);
        store.plan_collections(&actor(), next, today).await.unwrap();
        let planned_next = store.collections_on(next).await.unwrap();
        assert_eq!(
            planned_next
                .iter()
                .map(|x| x.employer_id)
                .collect::<Vec<_>>(),
            vec![c[0].employer_id],
            "the re-presented debit's lines are not planned twice"
        );
        assert_eq!(represented.next_attempt.unwrap().amount, c[1].amount);

        // Planned into the next date first: nothing is left to present by hand.
        let message = conflict(act(&store, c[0].id, DebitAction::Represent, "by hand").await);
        assert!(message.contains("nothing left to present"), "{message}");
        assert_eq!(
            scalar(
                &store,
                &format!(
                    "SELECT COUNT(*) FROM collections WHERE retry_of = {}",
                    c[0].id
                )
            )
            .await,
            0
        );
        assert_totals_kept(&store).await;
    }
);

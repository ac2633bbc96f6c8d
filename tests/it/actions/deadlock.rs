//! A debit action and the resolution of the same debit's exception at the same moment, on
//! PostgreSQL (issue 17): an audit entry holds the chain's head until commit, so the action
//! resolves the exception before it audits, and the staff member resolving it waits for
//! the action instead of deadlocking with it (40P01). SQLite has one writer: nothing to
//! interleave. The two are made to meet by holding the head in a third transaction until
//! both wait.

use std::time::Duration;

use bank_formats::reasons::RetryClass;
use mandates::DebitAction;
use sqlx::{Connection, Executor, PgConnection};

use super::{act, date, first_of_december, reject, run, set_day};
use crate::harness::fixtures::{actor, d, planned};
use crate::harness::{TestDb, settings};

/// Transactions of the store waiting for a lock, as PostgreSQL sees them.
async fn waiting(store: &tahsil::store::Store) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
}

async fn until_waiting(store: &tahsil::store::Store, count: i64) {
    for _ in 0..200 {
        if waiting(store).await >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{count} transactions never waited for a lock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_and_a_resolution_of_its_exception_at_once_do_not_deadlock() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let clock = first_of_december();
    let store = db.store_with_clock(clock.clone()).await;
    let exchange = tempfile::tempdir().unwrap();
    let settings = settings(exchange.path(), 50_000);
    planned(&store, 1).await;
    let failed = store.collections_on(date()).await.unwrap().remove(0);
    run(&store, &settings, date()).await;
    let today = d(2026, 12, 16);
    set_day(&clock, today);
    reject(&store, &failed, RetryClass::NeedsStaff, "technical", today).await;
    let exception = store.exceptions(true).await.unwrap().remove(0);
    assert_eq!(exception.collection_id, Some(failed.id));

    // The head held elsewhere: the action, then the resolution, queue behind it.
    let mut holder = PgConnection::connect(&db.url).await.unwrap();
    holder.execute("BEGIN").await.unwrap();
    holder
        .execute("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
        .await
        .unwrap();
    let action = tokio::spawn({
        let store = store.clone();
        async move {
            act(
                &store,
                failed.id,
                DebitAction::Represent,
                "bank fixed its reader",
            )
            .await
        }
    });
    until_waiting(&store, 1).await;
    let resolution = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .resolve_exception(&actor(), exception.id, "resolved by hand")
                .await
        }
    });
    until_waiting(&store, 2).await;
    holder.execute("COMMIT").await.unwrap();

    let limit = Duration::from_secs(20);
    let action = tokio::time::timeout(limit, action).await.unwrap().unwrap();
    let resolution = tokio::time::timeout(limit, resolution)
        .await
        .unwrap()
        .unwrap();
    // The action went first: it resolved the exception, and the staff member is told so.
    let done = action.expect("the action succeeds");
    assert_eq!(done.exceptions_resolved, vec![exception.id]);
    let refused = resolution.expect_err("the exception was resolved by the action");
    assert!(
        refused.to_string().contains("already resolved"),
        "{refused}"
    );
}

/// Presenting a debit again takes planning's turn (PostgreSQL's planning lock), like a
/// payment: a payment of the failed debit's lines queued first goes first, and the
/// re-presentation then finds nothing left to present — it never copies lines a payment
/// is paying. SQLite has one writer: nothing to interleave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presenting_again_waits_for_a_payment_of_the_same_lines() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let clock = first_of_december();
    let store = db.store_with_clock(clock.clone()).await;
    let exchange = tempfile::tempdir().unwrap();
    let settings = settings(exchange.path(), 50_000);
    planned(&store, 1).await;
    let failed = store.collections_on(date()).await.unwrap().remove(0);
    run(&store, &settings, date()).await;
    let today = d(2026, 12, 16);
    set_day(&clock, today);
    reject(&store, &failed, RetryClass::NeedsStaff, "technical", today).await;
    let (failed_id, employer_id, amount) = (failed.id, failed.employer_id, failed.amount);

    // Planning's turn held elsewhere: the payment, then the action, queue behind it.
    let mut holder = PgConnection::connect(&db.url).await.unwrap();
    holder.execute("BEGIN").await.unwrap();
    holder
        .execute("SELECT pg_advisory_xact_lock(7268657)")
        .await
        .unwrap();
    let payment = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .record_payment(
                    &actor(),
                    tahsil::store::NewPayment {
                        employer_id,
                        amount,
                        received_on: today,
                        channel: tahsil::store::PaymentChannel::Transfer,
                        reference: "VIR-RACE".to_owned(),
                        note: None,
                    },
                )
                .await
        }
    });
    until_waiting(&store, 1).await;
    let action = tokio::spawn({
        let store = store.clone();
        async move { act(&store, failed_id, DebitAction::Represent, "file fixed").await }
    });
    until_waiting(&store, 2).await;
    holder.execute("COMMIT").await.unwrap();

    let limit = Duration::from_secs(20);
    let paid = tokio::time::timeout(limit, payment)
        .await
        .unwrap()
        .unwrap()
        .expect("the payment is recorded");
    assert!(paid.lines_paid > 0, "{paid:?}");
    let action = tokio::time::timeout(limit, action).await.unwrap().unwrap();
    let refused = action.expect_err("the lines were paid first");
    assert!(
        refused.to_string().contains("nothing left to present"),
        "{refused}"
    );
    let retries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM collections WHERE retry_of = $1")
        .bind(failed_id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(retries, 0);
}

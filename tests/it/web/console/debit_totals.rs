//! The debit list's totals (issue 15, item 7), on both databases: a filter of dates,
//! channel, state and reason is answered from the totals kept per date
//! (`collection_totals`), and for every such filter they equal a count and sum over the
//! debits — after a run and its reports (settled, rejected, returned, retries planned), a
//! hold, a cancellation, a payment that reduces a planned debit and a calendar change that
//! moves a date. Tampering with the kept totals shows in the list's totals, so they are
//! what is read; a filter naming an employer or an amount range still counts the debits.

use bank_formats::reasons::ReasonCategory;
use chrono::NaiveDate;
use mandates::{Amount, Channel, ChannelPolicy, CollectionStatus, DebitAction};
use tahsil::store::{CalendarChange, DebitFilter, Store};

use super::whole_cycle;
use crate::both_backends;
use crate::harness::fixtures::{actor, scalar};
use crate::harness::{TestDb, WebApp};
use crate::ledger::pay;

/// The filters compared: none, each day (alone, from, up to) and a day without debits,
/// each channel and state and reason, and their pairs.
fn filters(days: &[NaiveDate]) -> Vec<DebitFilter> {
    let none = DebitFilter::default;
    let mut all = vec![none()];
    let empty_day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    for &day in days.iter().chain([&empty_day]) {
        all.push(DebitFilter {
            from: Some(day),
            to: Some(day),
            ..none()
        });
        all.push(DebitFilter {
            from: Some(day),
            ..none()
        });
        all.push(DebitFilter {
            to: Some(day),
            ..none()
        });
        for status in CollectionStatus::ALL {
            all.push(DebitFilter {
                from: Some(day),
                to: Some(day),
                status: Some(status),
                ..none()
            });
        }
    }
    for channel in Channel::ALL {
        all.push(DebitFilter {
            channel: Some(channel),
            ..none()
        });
        for status in CollectionStatus::ALL {
            all.push(DebitFilter {
                channel: Some(channel),
                status: Some(status),
                ..none()
            });
        }
    }
    for status in CollectionStatus::ALL {
        all.push(DebitFilter {
            status: Some(status),
            ..none()
        });
    }
    for reason in ReasonCategory::ALL {
        all.push(DebitFilter {
            reason: Some(reason),
            ..none()
        });
        for status in [CollectionStatus::RetryPlanned, CollectionStatus::Returned] {
            all.push(DebitFilter {
                reason: Some(reason),
                status: Some(status),
                channel: Some(Channel::Bank),
                ..none()
            });
        }
    }
    all
}

/// The days debits are collected on now.
async fn days(store: &Store) -> Vec<NaiveDate> {
    let days: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT collection_date FROM collections ORDER BY 1")
            .fetch_all(store.pool())
            .await
            .unwrap();
    days.iter().map(|d| d.parse().unwrap()).collect()
}

/// For every filter, the list's totals equal a count over the debits; the states found.
async fn totals_match_a_count(store: &Store, after: &str) -> Vec<CollectionStatus> {
    let mut found = Vec::new();
    for filter in filters(&days(store).await) {
        let listed = store.debit_totals(&filter).await.unwrap();
        let counted = store.counted_debit_totals(&filter).await.unwrap();
        assert_eq!(listed, counted, "after {after}: {filter:?}");
        if let (Some(status), true) = (filter.status, counted.count > 0)
            && !found.contains(&status)
        {
            found.push(status);
        }
    }
    // And the count itself is that of the debits, asked plainly.
    let all = store.debit_totals(&DebitFilter::default()).await.unwrap();
    assert_eq!(
        (all.count, all.amount.centimes()),
        (
            scalar(store, "SELECT COUNT(*) FROM collections").await,
            scalar(
                store,
                "SELECT CAST(SUM(amount_centimes) AS BIGINT) FROM collections"
            )
            .await
        ),
        "after {after}"
    );
    found
}

/// The planned debits not held, by id.
async fn planned_debits(store: &Store) -> Vec<(i64, i64)> {
    sqlx::query_as(
        "SELECT id, employer_id FROM collections WHERE status = 'planned' AND held_at IS NULL ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

both_backends!(
    the_list_totals_kept_per_date_equal_a_count_of_the_debits_through_a_cycles_changes,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let store = &app.store;
        whole_cycle(&app, 80).await;
        let found = totals_match_a_count(store, "the run and its reports").await;
        for status in [
            CollectionStatus::Settled,
            CollectionStatus::Planned,
            CollectionStatus::RetryPlanned,
        ] {
            assert!(found.contains(&status), "some {status:?} debits: {found:?}");
        }
        let planned = planned_debits(store).await;
        assert!(planned.len() >= 4, "retries planned: {planned:?}");

        // A hold, then a cancellation.
        let policy = ChannelPolicy::default();
        let held = store
            .act_on_debit(
                &actor(),
                planned[0].0,
                DebitAction::Hold,
                "dispute",
                &policy,
            )
            .await
            .unwrap();
        assert!(held.debit.held);
        totals_match_a_count(store, "a hold").await;
        let cancelled = store
            .act_on_debit(
                &actor(),
                planned[1].0,
                DebitAction::Cancel,
                "paid at the counter",
                &policy,
            )
            .await
            .unwrap();
        assert_eq!(cancelled.debit.status, CollectionStatus::Cancelled);
        let found = totals_match_a_count(store, "a cancellation").await;
        assert!(found.contains(&CollectionStatus::Cancelled), "{found:?}");

        // A payment of the first of a planned debit's lines reduces it.
        let (debit, employer) = planned[2];
        let before = store.debit(debit).await.unwrap().amount;
        let first_line = scalar(
            store,
            &format!(
                "SELECT l.total_centimes FROM collection_lines cl \
                 JOIN declaration_lines l ON l.id = cl.declaration_line_id \
                 JOIN declarations d ON d.id = l.declaration_id \
                 WHERE cl.collection_id = {debit} AND cl.live = 1 \
                 ORDER BY d.due_from, d.period, l.id LIMIT 1"
            ),
        )
        .await;
        let paid = pay(
            store,
            employer,
            Amount::from_centimes(first_line),
            "VIR-TOTALS",
        )
        .await;
        assert_eq!(paid.debits_reduced, vec![debit], "{paid:?}");
        let after = store.debit(debit).await.unwrap().amount;
        assert_eq!(after.centimes(), before.centimes() - first_line);
        totals_match_a_count(store, "a payment reducing a planned debit").await;

        // A holiday on the retries' date moves them to the next business day.
        let day: NaiveDate = store
            .debit(planned[3].0)
            .await
            .unwrap()
            .collection_date
            .parse()
            .unwrap();
        let moved = store
            .change_calendar(
                &actor(),
                &CalendarChange::Add {
                    date: day,
                    name: "Journée de test".to_owned(),
                    lunar: false,
                    confirmed: true,
                },
            )
            .await
            .unwrap();
        assert!(!moved.moved.is_empty(), "the planned debits moved");
        let now_on: NaiveDate = store
            .debit(planned[3].0)
            .await
            .unwrap()
            .collection_date
            .parse()
            .unwrap();
        assert!(now_on > day, "{now_on} after {day}");
        totals_match_a_count(store, "a moved date").await;

        // The list's totals are the kept ones: a row changed by hand shows in them (and
        // not in a filter naming an employer, still counted over the debits).
        let by_employer = DebitFilter {
            employer: Some(
                sqlx::query_scalar::<_, String>(
                    "SELECT affiliation_number FROM employers WHERE id = $1",
                )
                .bind(employer)
                .fetch_one(store.pool())
                .await
                .unwrap(),
            ),
            ..DebitFilter::default()
        };
        let employer_totals = store.debit_totals(&by_employer).await.unwrap();
        assert!(employer_totals.count > 0);
        sqlx::query("UPDATE collection_totals SET debits = debits + 1 WHERE status = 'settled'")
            .execute(store.pool())
            .await
            .unwrap();
        let all = DebitFilter::default();
        let listed = store.debit_totals(&all).await.unwrap();
        let counted = store.counted_debit_totals(&all).await.unwrap();
        assert!(listed.count > counted.count, "{listed:?} {counted:?}");
        assert_eq!(
            store.debit_totals(&by_employer).await.unwrap(),
            employer_totals
        );
    }
);

//! Scale-out: two instances against one database. Exactly one holds the scheduler lease,
//! a job is claimed once, and a due date is run once.

use chrono::{Duration, NaiveDate};
use tahsil::config::Config;
use tahsil::cycle::scheduler::{SCHEDULER_LEASE, pass};
use tahsil::locale::today_in_algiers;
use tahsil::store::Actor;

use crate::both_backends;
use crate::harness::fixtures::scalar;
use crate::harness::{TestDb, settings};
use crate::run::check_invariants;

both_backends!(
    two_schedulers_run_a_due_date_once,
    |db: TestDb| async move {
        // Two instances: two stores (two pools), one database.
        let first = db.store().await;
        let second = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 30);
        let due_dates = Config::default().due_date_schedule;

        // Collections due on the next business day: their files are due today.
        let today = today_in_algiers(chrono::Utc::now());
        let calendar = first.calendar().await.unwrap();
        let date: NaiveDate = calendar.add_business_days(today, 1);
        tahsil::demo::seed(&first, 100, 2, "2026-10", 3, |_| {})
            .await
            .unwrap();
        let plan = first
            .plan_collections(&Actor::new("test"), date, today - Duration::days(10))
            .await
            .unwrap();
        assert_eq!(plan.planned, 100);

        // Both instances pass three times, concurrently.
        for _ in 0..3 {
            let (a, b) = tokio::join!(
                pass(
                    &first,
                    &settings,
                    &due_dates,
                    "instance-a",
                    Duration::seconds(30)
                ),
                pass(
                    &second,
                    &settings,
                    &due_dates,
                    "instance-b",
                    Duration::seconds(30)
                ),
            );
            a.unwrap();
            b.unwrap();
        }
        let holders = scalar(
            &first,
            &format!("SELECT COUNT(*) FROM leases WHERE name = '{SCHEDULER_LEASE}'"),
        )
        .await;
        assert_eq!(holders, 1);
        let run_jobs = scalar(
            &first,
            &format!(
                "SELECT COUNT(*) FROM jobs WHERE dedupe_key = 'run:{date}' AND status = 'done'"
            ),
        )
        .await;
        if run_jobs != 1 {
            let jobs: Vec<(String, String, Option<String>)> =
                sqlx::query_as("SELECT dedupe_key, status, last_error FROM jobs ORDER BY id")
                    .fetch_all(first.pool())
                    .await
                    .unwrap();
            panic!("one run job, done once; the jobs: {jobs:?}");
        }
        let attempts = scalar(
            &first,
            &format!("SELECT attempts FROM jobs WHERE dedupe_key = 'run:{date}'"),
        )
        .await;
        assert_eq!(attempts, 1, "claimed by one worker only");
        assert_eq!(
            scalar(
                &first,
                &format!("SELECT COUNT(*) FROM runs WHERE collection_date = '{date}'")
            )
            .await,
            1
        );
        let files = scalar(
            &first,
            &format!("SELECT COUNT(*) FROM bank_files WHERE collection_date = '{date}'"),
        )
        .await;
        let submitted = scalar(&first, &format!(
        "SELECT COUNT(*) FROM collections WHERE collection_date = '{date}' AND status = 'submitted'"
    )).await;
        assert_eq!(submitted, 100, "every debit in a file");
        let bank = scalar(&first, &format!("SELECT COUNT(*) FROM collections WHERE collection_date = '{date}' AND channel = 'bank'")).await;
        let expected_files = (bank + 29) / 30 + (100 - bank + 29) / 30;
        assert_eq!(files, expected_files, "each file written once");
        check_invariants(&first, exchange.path()).await;
    }
);

both_backends!(
    a_lease_has_one_holder_until_it_expires,
    |db: TestDb| async move {
        let first = db.store().await;
        let second = db.store().await;
        let (a, b) = tokio::join!(
            first.acquire_lease("job", "a", Duration::milliseconds(300)),
            second.acquire_lease("job", "b", Duration::milliseconds(300)),
        );
        assert!(a.unwrap() ^ b.unwrap(), "exactly one holder");
        let winner = if first
            .acquire_lease("job", "a", Duration::milliseconds(300))
            .await
            .unwrap()
        {
            "a"
        } else {
            "b"
        };
        let loser_store = if winner == "a" { &second } else { &first };
        let loser = if winner == "a" { "b" } else { "a" };
        assert!(
            !loser_store
                .acquire_lease("job", loser, Duration::milliseconds(300))
                .await
                .unwrap()
        );
        // The holder dies (stops renewing): the other takes over once it expires.
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        assert!(
            loser_store
                .acquire_lease("job", loser, Duration::milliseconds(300))
                .await
                .unwrap()
        );
    }
);

both_backends!(
    a_job_is_queued_once_and_claimed_by_one_worker,
    |db: TestDb| async move {
        let first = db.store().await;
        let second = db.store().await;
        assert!(
            first
                .enqueue_job("run", "run:2026-12-15", "2026-12-15")
                .await
                .unwrap()
        );
        assert!(
            !second
                .enqueue_job("run", "run:2026-12-15", "2026-12-15")
                .await
                .unwrap()
        );
        let (a, b) = tokio::join!(
            first.claim_job("a", Duration::minutes(1)),
            second.claim_job("b", Duration::minutes(1)),
        );
        let claimed: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(claimed.len(), 1, "{claimed:?}");
    }
);

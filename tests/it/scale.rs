//! Scale-out: two instances against one database. Exactly one holds the scheduler lease,
//! a job is claimed once, a due date is run once, and a report in the inboxes both watch
//! is applied once without failing either.

use chrono::{Duration, NaiveDate};
use tahsil::config::Config;
use tahsil::cycle::banksim::BankSim;
use tahsil::cycle::exchange::{Folder, waiting_files};
use tahsil::cycle::import::{ImportOutcome, import_inboxes};
use tahsil::cycle::scheduler::{SCHEDULER_LEASE, pass};
use tahsil::locale::today_in_algiers;
use tahsil::store::Actor;

use crate::both_backends;
use crate::harness::fixtures::{PLANNED_DATE, d, planned, scalar};
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

both_backends!(
    two_instances_import_one_inbox_each_report_once_without_failing,
    |db: TestDb| async move {
        // Two instances (two stores) watch the same inboxes. Whichever takes a report
        // first applies it; the other finds it gone, or applied, or being applied, and
        // goes on: neither pass fails (a failed pass skips its work on the queue).
        let first = db.store().await;
        let second = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 3);
        planned(&first, 40).await;
        let date = d(PLANNED_DATE.0, PLANNED_DATE.1, PLANNED_DATE.2);
        tahsil::cycle::run::run_date(&first, &settings, &Actor::new("test"), date, "test")
            .await
            .unwrap();
        let bank = BankSim {
            reject_per_mille: 200,
            return_per_mille: 100,
            transfer_reject_per_mille: 0,
            seed: 3,
            today: date,
            layouts: &[],
        };
        let mut reports = 0;
        for institution in &settings.institutions {
            let name = institution.name.as_str();
            reports += bank
                .answer(
                    &settings.folder(name, Folder::Outbox),
                    &settings.folder(name, Folder::Inbox),
                )
                .unwrap()
                .len();
        }
        assert!(reports >= 20, "{reports} reports");
        let inbox = Actor::new("inbox");
        let (a, b) = tokio::join!(
            import_inboxes(&first, &settings, &inbox, date),
            import_inboxes(&second, &settings, &inbox, date),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let applied = a
            .iter()
            .chain(&b)
            .filter(|outcome| {
                matches!(
                    outcome,
                    ImportOutcome::Applied { .. } | ImportOutcome::Empty { .. }
                )
            })
            .count();
        assert_eq!(
            applied, reports,
            "each report applied (or found empty) once: {a:?} {b:?}"
        );
        assert_eq!(
            scalar(&first, "SELECT COUNT(*) FROM reports").await,
            i64::try_from(reports).unwrap()
        );
        assert_eq!(
            scalar(&first, "SELECT COUNT(*) FROM quarantined_files").await,
            0
        );
        for institution in &settings.institutions {
            let name = institution.name.as_str();
            assert!(waiting_files(&settings.folder(name, Folder::Inbox)).is_empty());
        }
    }
);

//! The job queue under contention and over its life, on both databases: many workers on
//! separate connections (and, on PostgreSQL, separate instances) claim every job once and
//! none comes back empty while jobs remain; a failing job is retried after its backoff,
//! given up after its last attempt with its error kept (scrubbed), and put back by staff.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use tahsil::store::{Actor, ClaimedJob, JobStatus, Refusal, Store, StoreError};

use crate::both_backends;
use crate::harness::TestDb;
use crate::harness::fixtures::scalar;

/// Instances (stores, each its own pool) × workers in each, all claiming at once.
const INSTANCES: usize = 2;
const WORKERS_PER_INSTANCE: usize = 4;
/// Claims each worker makes: as many jobs as claims in all.
const CLAIMS_PER_WORKER: usize = 6;

both_backends!(
    many_workers_claim_every_job_once_and_none_comes_back_empty,
    |db: TestDb| async move {
        let mut stores = Vec::new();
        for _ in 0..INSTANCES {
            stores.push(db.store().await);
        }
        let workers = INSTANCES * WORKERS_PER_INSTANCE;
        let jobs = workers * CLAIMS_PER_WORKER;
        for n in 0..jobs {
            let key = format!("run:job-{n:03}");
            assert!(
                stores[0]
                    .enqueue_job("run", &key, "2026-12-15")
                    .await
                    .unwrap()
            );
        }
        // Every worker starts claiming at the same instant, each on its own connection.
        let start = Arc::new(tokio::sync::Barrier::new(workers));
        let mut tasks = Vec::new();
        for w in 0..workers {
            let store: Store = stores[w % INSTANCES].clone();
            let start = start.clone();
            tasks.push(tokio::spawn(async move {
                let worker = format!("worker-{w}");
                let mut connection = store.pool().acquire().await.unwrap();
                let _: i64 = sqlx::query_scalar("SELECT 1")
                    .fetch_one(&mut *connection)
                    .await
                    .unwrap();
                start.wait().await;
                drop(connection);
                let mut claimed = Vec::new();
                for _ in 0..CLAIMS_PER_WORKER {
                    let job = store
                        .claim_job(&worker, Duration::minutes(15))
                        .await
                        .unwrap();
                    claimed.push(job.map(|j| (j.id, j.attempts)));
                }
                (worker, claimed)
            }));
        }
        let mut claims: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for task in tasks {
            let (worker, claimed) = task.await.unwrap();
            for claim in claimed {
                let Some((id, attempts)) = claim else {
                    panic!("{worker} came back empty while jobs remained");
                };
                assert_eq!(attempts, 1, "job {id}: a first attempt");
                claims.entry(id).or_default().push(worker.clone());
            }
        }
        assert_eq!(claims.len(), jobs, "every job claimed");
        let twice: Vec<_> = claims.iter().filter(|(_, by)| by.len() > 1).collect();
        assert!(twice.is_empty(), "claimed more than once: {twice:?}");
        let running = scalar(
            &stores[0],
            "SELECT COUNT(*) FROM jobs WHERE status = 'running' AND attempts = 1",
        )
        .await;
        assert_eq!(running, i64::try_from(jobs).unwrap());
        // The queue is empty now: a claim finds nothing.
        assert!(
            stores[1]
                .claim_job("late", Duration::minutes(15))
                .await
                .unwrap()
                .is_none()
        );
    }
);

/// A claim by `worker`, its lock held 15 minutes.
async fn claim(store: &Store, worker: &str) -> Option<ClaimedJob> {
    store
        .claim_job(worker, Duration::minutes(15))
        .await
        .unwrap()
}

both_backends!(
    a_failing_job_waits_its_backoff_fails_for_good_and_staff_put_it_back,
    |db: TestDb| async move {
        let store = db.store().await;
        assert!(
            store
                .enqueue_job("run", "run:2026-12-15", "2026-12-15")
                .await
                .unwrap()
        );
        // A writer error quoting the account it refused: kept for staff, masked.
        let error = "writing a file failed: detail 1, field account: \"00400174401001050486\" has 20 digits; the field holds 18";
        let first = claim(&store, "a").await.unwrap();
        assert_eq!(first.attempts, 1);
        store
            .finish_job(&first, "a", Some(error), Duration::hours(1), 3)
            .await
            .unwrap();
        // Queued again, but not before its backoff has elapsed.
        assert!(claim(&store, "b").await.is_none());
        let waits = scalar(
            &store,
            "SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND run_after > created_at",
        )
        .await;
        assert_eq!(waits, 1, "due again after the backoff");
        // The hour passes.
        sqlx::query("UPDATE jobs SET run_after = '2000-01-01T00:00:00.000Z'")
            .execute(store.pool())
            .await
            .unwrap();
        for attempt in [2, 3] {
            let job = claim(&store, "b").await.unwrap();
            assert_eq!((job.id, job.attempts), (first.id, attempt));
            store
                .finish_job(&job, "b", Some(error), Duration::zero(), 3)
                .await
                .unwrap();
        }
        // The last allowed attempt failed: failed for good, shown with its error, masked.
        assert!(claim(&store, "c").await.is_none());
        let failed = store.failed_jobs(100).await.unwrap();
        assert_eq!(failed.len(), 1);
        let job = &failed[0];
        assert_eq!(
            (
                job.id,
                job.kind.as_str(),
                job.dedupe_key.as_str(),
                job.status,
                job.attempts
            ),
            (first.id, "run", "run:2026-12-15", JobStatus::Failed, 3)
        );
        let kept = job.last_error.as_deref().unwrap();
        assert!(
            kept.contains("****************0486") && !kept.contains("00400174401001050486"),
            "{kept}"
        );
        assert!(job.finished_at.is_some());

        // Staff put it back: queued, due now, its attempts afresh; audited with what failed.
        let staff = Actor::new("user:7");
        let retried = store.retry_job(&staff, first.id).await.unwrap();
        assert_eq!(retried.attempts, 3);
        assert!(store.failed_jobs(100).await.unwrap().is_empty());
        let trail = store.audit_trail("job", first.id).await.unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(
            (trail[0].actor.as_str(), trail[0].action.as_str()),
            ("user:7", "job.retried")
        );
        assert!(
            trail[0].detail.contains("run:2026-12-15") && trail[0].detail.contains("****0486"),
            "{}",
            trail[0].detail
        );
        // Only a failed job can be put back, and only once.
        let again = store.retry_job(&staff, first.id).await.unwrap_err();
        assert!(
            matches!(
                again,
                StoreError::Refused {
                    refusal: Refusal::JobNotFailed,
                    ..
                }
            ),
            "{again:?}"
        );
        assert!(matches!(
            store.retry_job(&staff, first.id + 100).await.unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert_eq!(store.audit_trail("job", first.id).await.unwrap().len(), 1);
        // It runs again from a first attempt, and is done.
        let job = claim(&store, "d").await.unwrap();
        assert_eq!((job.id, job.attempts), (first.id, 1));
        store
            .finish_job(&job, "d", None, Duration::zero(), 3)
            .await
            .unwrap();
        let done = scalar(
            &store,
            "SELECT COUNT(*) FROM jobs WHERE status = 'done' AND finished_at IS NOT NULL",
        )
        .await;
        assert_eq!(done, 1);
        assert!(matches!(
            store.retry_job(&staff, first.id).await.unwrap_err(),
            StoreError::Refused {
                refusal: Refusal::JobNotFailed,
                ..
            }
        ));
    }
);

both_backends!(
    a_dead_workers_job_is_claimed_again_once_its_lock_expires,
    |db: TestDb| async move {
        let first = db.store().await;
        let second = db.store().await;
        assert!(
            first
                .enqueue_job("settle", "settle:2026-12-15", "2026-12-15")
                .await
                .unwrap()
        );
        let dead = first
            .claim_job("a", Duration::milliseconds(300))
            .await
            .unwrap()
            .unwrap();
        // Its lock holds: nobody else takes it.
        assert!(claim(&second, "b").await.is_none());
        // Worker a dies; once its lock expires, b takes the job over (a second attempt).
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let taken = claim(&second, "b").await.unwrap();
        assert_eq!((taken.id, taken.attempts), (dead.id, 2));
        // A worker that was only slow cannot end the job it lost.
        first
            .finish_job(&dead, "a", Some("late"), Duration::zero(), 5)
            .await
            .unwrap();
        let running = scalar(
            &first,
            "SELECT COUNT(*) FROM jobs WHERE status = 'running' AND locked_by = 'b'",
        )
        .await;
        assert_eq!(running, 1);
        second
            .finish_job(&taken, "b", None, Duration::zero(), 5)
            .await
            .unwrap();
        let done = scalar(
            &first,
            "SELECT COUNT(*) FROM jobs WHERE status = 'done' AND last_error IS NULL",
        )
        .await;
        assert_eq!(done, 1);
    }
);

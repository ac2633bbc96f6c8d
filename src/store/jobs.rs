//! The job queue and named leases, in the database so several instances share them.
//!
//! A job is idempotent by its `dedupe_key` (enqueuing it twice keeps one) and claimed by
//! one worker at a time: the claim is a conditional UPDATE that only one transaction can
//! win, with a lock that expires so a dead worker's job is claimed again. A lease (the
//! scheduler's) has one holder until it expires; the holder renews it.
//!
//! The queue stores a job's kind, key and payload as plain text and knows nothing of what
//! they mean: the kinds of work are the cycle's (`cycle::jobs::Job` writes and reads
//! them), and the store must not depend on the cycle above it.

use chrono::Duration;
use serde::Serialize;
use sqlx::FromRow;

use super::{Store, StoreResult, lease_timestamp, timestamp};

/// A claimed job, as stored (`cycle::jobs::Job::parse` reads its kind and payload).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub dedupe_key: String,
    pub payload: String,
    pub attempts: i64,
}

::mandates::stored_codes! {
    /// Where a job is in the queue.
    pub enum JobStatus("job status") {
        Queued = "queued",
        /// Claimed by a worker until its lock expires.
        Running = "running",
        Done = "done",
        /// Failed its last allowed attempt.
        Failed = "failed",
    }
}

/// How many jobs of a kind are in a state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct JobCount {
    /// The cycle's code for the kind of work (`cycle::jobs::Job`).
    pub kind: String,
    #[sqlx(try_from = "String")]
    pub status: JobStatus,
    pub count: i64,
}

impl Store {
    /// Takes or renews the lease `name` for `holder`; false when another holder has it.
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let now = self.now();
        let now_text = lease_timestamp(now);
        let until = lease_timestamp(now + ttl);
        sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(holder)
        .bind(&until)
        .execute(&self.pool)
        .await?;
        let taken = sqlx::query(
            "UPDATE leases SET holder = $2, expires_at = $3 WHERE name = $1 AND (holder = $2 OR expires_at < $4)",
        )
        .bind(name)
        .bind(holder)
        .bind(&until)
        .bind(&now_text)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    /// Gives a lease up (on shutdown), so another instance takes over at once.
    pub async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Queues a job unless one with the same key exists; true when queued now. The kind,
    /// key and payload are `cycle::jobs::Job`'s.
    pub async fn enqueue_job(
        &self,
        kind: &str,
        dedupe_key: &str,
        payload: &str,
    ) -> StoreResult<bool> {
        Ok(sqlx::query(
            "INSERT INTO jobs (kind, dedupe_key, payload, status, run_after, created_at) \
             VALUES ($1, $2, $3, 'queued', $4, $5) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(kind)
        .bind(dedupe_key)
        .bind(payload)
        .bind(lease_timestamp(self.now()))
        .bind(self.now_text())
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Claims the oldest ready job (queued, or running with an expired lock) for `worker`.
    pub async fn claim_job(&self, worker: &str, lock: Duration) -> StoreResult<Option<ClaimedJob>> {
        let now = self.now();
        let now_text = lease_timestamp(now);
        let until = lease_timestamp(now + lock);
        for _ in 0..5 {
            let candidate: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM jobs WHERE (status = 'queued' AND run_after <= $1) \
                 OR (status = 'running' AND locked_until < $1) ORDER BY id LIMIT 1",
            )
            .bind(&now_text)
            .fetch_optional(&self.pool)
            .await?;
            let Some(id) = candidate else { return Ok(None) };
            let won = sqlx::query(
                "UPDATE jobs SET status = 'running', locked_by = $2, locked_until = $3, attempts = attempts + 1 \
                 WHERE id = $1 AND ((status = 'queued' AND run_after <= $4) OR (status = 'running' AND locked_until < $4))",
            )
            .bind(id)
            .bind(worker)
            .bind(&until)
            .bind(&now_text)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if won == 1 {
                return Ok(sqlx::query_as::<_, ClaimedJob>(
                    "SELECT id, kind, dedupe_key, payload, attempts FROM jobs WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?);
            }
        }
        Ok(None)
    }

    /// Ends a job: done, or back in the queue after `retry_in` (failed for good after
    /// `max_attempts`).
    pub async fn finish_job(
        &self,
        job: &ClaimedJob,
        worker: &str,
        error: Option<&str>,
        retry_in: Duration,
        max_attempts: i64,
    ) -> StoreResult<()> {
        let now = self.now();
        let (status, run_after) = match error {
            None => (JobStatus::Done, lease_timestamp(now)),
            Some(_) if job.attempts >= max_attempts => (JobStatus::Failed, lease_timestamp(now)),
            Some(_) => (JobStatus::Queued, lease_timestamp(now + retry_in)),
        };
        sqlx::query(
            "UPDATE jobs SET status = $3, run_after = $4, last_error = $5, locked_by = NULL, locked_until = NULL, \
             finished_at = CASE WHEN $3 = 'queued' THEN NULL ELSE $6 END WHERE id = $1 AND locked_by = $2",
        )
        .bind(job.id)
        .bind(worker)
        .bind(status.as_str())
        .bind(run_after)
        .bind(error.map(str::to_owned))
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Jobs counted by kind and status (for /metrics).
    pub async fn job_counts(&self) -> StoreResult<Vec<JobCount>> {
        Ok(sqlx::query_as(
            "SELECT kind, status, COUNT(*) AS count FROM jobs GROUP BY kind, status ORDER BY kind, status",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

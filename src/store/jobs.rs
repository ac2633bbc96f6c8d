//! The job queue and named leases, in the database so several instances share them.
//!
//! A job is idempotent by its `dedupe_key` (enqueuing it twice keeps one) and claimed by
//! one worker at a time: the claim is one conditional `UPDATE … RETURNING` that only one
//! transaction can win (on PostgreSQL its pick skips the rows other workers are claiming),
//! with a lock that expires so a dead worker's job is claimed again. A failing job goes
//! back in the queue after a delay, and fails for good after its last allowed attempt,
//! its error kept for staff (scrubbed of personal data, [`scrub_error`]), until staff put
//! it back ([`Store::retry_job`], audited). A lease (the scheduler's) has one holder until
//! it expires; the holder renews it.
//!
//! The queue stores a job's kind, key and payload as plain text and knows nothing of what
//! they mean: the kinds of work are the cycle's (`cycle::jobs::Job` writes and reads
//! them), and the store must not depend on the cycle above it.

use chrono::Duration;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::audit::Audit;
use super::{Actor, Refusal, Store, StoreError, StoreResult, lease_timestamp, timestamp};

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

/// A job as staff see it: what it is, where it is, how often it was tried, its last error
/// (scrubbed) and when it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct JobRecord {
    pub id: i64,
    /// The cycle's code for the kind of work (`cycle::jobs::Job`).
    pub kind: String,
    pub dedupe_key: String,
    #[sqlx(try_from = "String")]
    pub status: JobStatus,
    /// Attempts made since it was queued (or put back by staff).
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    /// When it was done, or failed for good.
    pub finished_at: Option<String>,
}

const JOB_COLUMNS: &str =
    "id, kind, dedupe_key, status, attempts, last_error, created_at, finished_at";

/// How many digits in a row make an error's number an account number to mask: a RIB or a
/// RIP has 20, a CCP number up to 10 (dates, ids and amounts in errors have fewer).
const ACCOUNT_DIGITS: usize = 10;

/// An error text fit for the staff's pages and the logs, whatever the error quoted: a word
/// that looks like an e-mail address becomes `<address>` (SMTP servers quote the
/// recipient), and a run of [`ACCOUNT_DIGITS`] or more digits (a file writer quoting the
/// value it refused) is masked as accounts are everywhere, its last 4 digits only.
pub fn scrub_error(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "<address>".to_owned()
            } else {
                masked_numbers(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `word` with each run of [`ACCOUNT_DIGITS`] or more digits masked.
fn masked_numbers(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut digits = String::new();
    let flush = |out: &mut String, digits: &mut String| {
        if digits.len() >= ACCOUNT_DIGITS {
            out.push_str(&::mandates::mask_digits(digits));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in word.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut out, &mut digits);
            out.push(c);
        }
    }
    flush(&mut out, &mut digits);
    out
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

    /// Claims the oldest ready job (queued and due, or running with an expired lock: its
    /// worker died) for `worker` until now + `lock`, counting the attempt.
    ///
    /// One statement, so one transaction: it picks the row and claims it. On PostgreSQL
    /// the pick is `FOR UPDATE SKIP LOCKED` (`Backend::skip_locked_rows`): concurrent
    /// workers lock different rows instead of all choosing the oldest and all but one
    /// finding it taken, and a row claimed meanwhile is re-read and passed over, so a
    /// worker comes back empty only when no ready job is left. SQLite runs one writer at a
    /// time and a writing statement takes the write lock before it reads, so the same
    /// conditional `UPDATE … RETURNING` sees every earlier claim: nothing to skip. The
    /// outer condition, re-checked on the claimed row, is what makes a job claimed once.
    pub async fn claim_job(&self, worker: &str, lock: Duration) -> StoreResult<Option<ClaimedJob>> {
        let now = self.now();
        let ready =
            "(status = 'queued' AND run_after <= $3) OR (status = 'running' AND locked_until < $3)";
        let skip_locked = self.backend.skip_locked_rows();
        // Materialised: as `id IN (SELECT … LIMIT 1 FOR UPDATE)` PostgreSQL may run the
        // subquery again per row (see `claim_notices`).
        Ok(sqlx::query_as::<_, ClaimedJob>(sqlx::AssertSqlSafe(format!(
            "WITH picked AS MATERIALIZED \
             (SELECT id FROM jobs WHERE {ready} ORDER BY id LIMIT 1{skip_locked}) \
             UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM picked) AND ({ready}) \
             RETURNING id, kind, dedupe_key, payload, attempts"
        )))
        .bind(worker)
        .bind(lease_timestamp(now + lock))
        .bind(lease_timestamp(now))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Ends a job: done, or back in the queue after `retry_in` (failed for good after
    /// `max_attempts`). The error is kept scrubbed ([`scrub_error`]): staff read it.
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
        .bind(error.map(scrub_error))
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

    /// The jobs that failed for good, the latest failure first, at most `limit`.
    pub async fn failed_jobs(&self, limit: i64) -> StoreResult<Vec<JobRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE status = 'failed' \
             ORDER BY finished_at DESC, id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Puts a failed job back in the queue, due now, its attempts counted afresh (its last
    /// error stays until the next attempt ends); audited as `job.retried` with what had
    /// failed. Returns the job as it was. A job that is not failed is refused: queued or
    /// running, it will run anyway; done, there is nothing to do again.
    pub async fn retry_job(&self, actor: &Actor, id: i64) -> StoreResult<JobRecord> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let job: Option<JobRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1{}",
            self.backend.lock_rows()
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(job) = job else {
            return Err(StoreError::not_found("job", id));
        };
        if job.status != JobStatus::Failed {
            // Ended now, not when the dropped transaction is rolled back in the background:
            // its row lock would make a worker claiming with SKIP LOCKED pass the job by.
            tx.rollback().await?;
            return Err(StoreError::refused(
                Refusal::JobNotFailed,
                format!(
                    "job {id} ({}) is {}, not failed: only a failed job can be put back in the queue",
                    job.dedupe_key, job.status
                ),
            ));
        }
        sqlx::query(
            "UPDATE jobs SET status = 'queued', attempts = 0, run_after = $2, finished_at = NULL \
             WHERE id = $1 AND status = 'failed'",
        )
        .bind(id)
        .bind(lease_timestamp(now))
        .execute(&mut *tx)
        .await?;
        Audit::new(actor, "job.retried")
            .on("job", id)
            .detail(json!({
                "kind": job.kind,
                "dedupe_key": job.dedupe_key,
                "attempts": job.attempts,
                "last_error": job.last_error,
            }))
            .record(&mut tx, &timestamp(now))
            .await?;
        tx.commit().await?;
        Ok(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_scrubbed_of_addresses_and_account_numbers() {
        assert_eq!(
            scrub_error(
                "detail 3, field account: \"00400174401001050486\" has 20 digits; the field holds 18"
            ),
            "detail 3, field account: \"****************0486\" has 20 digits; the field holds 18"
        );
        assert_eq!(
            scrub_error("debtor account \"DZ5800400174401001050486\" is not a valid IBAN"),
            "debtor account \"DZ******************0486\" is not a valid IBAN"
        );
        assert_eq!(
            scrub_error("550 5.1.1 <compta@example.dz>: Recipient address rejected"),
            "550 5.1.1 <address> Recipient address rejected"
        );
        // Dates, ids, file names and amounts stay readable.
        let plain = "run:2026-12-15: cannot create bank-20261215-000001.xml for collection 123456789 (1234567,89)";
        assert_eq!(scrub_error(plain), plain);
    }
}

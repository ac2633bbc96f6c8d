//! Runs: the SQL side of building debit files for a collection date. The run module
//! (`crate::cycle::run`) writes the bytes; this records them.
//!
//! Order of a run, chosen so a crash at any point leaves the invariants true:
//! 1. take the date's run lock (`runs`, a lease a dead holder loses when it expires);
//! 2. re-check planned collections (mandate active, ceiling, notice), cancelling the rest;
//! 3. list the eligible collections, write each file under a temporary name, fsync;
//! 4. **one transaction** records every file (sequence, hash, counts, control sum) and
//!    marks its collections `submitted` — all or nothing. It is opened while the files
//!    are written (`begin_recording`: the rows as planned, the collections marked, their
//!    audit entries; the writers read the committed, still planned, rows) and commits
//!    once every file is written and matches its plan (`FileRecording::finish`);
//! 5. rename the files into place; mark the run complete.
//!
//! A crash before 4 leaves temporary files only (removed by the next run); a crash between
//! 4 and 5 leaves a run `building` with recorded files, which the next run finishes by
//! renaming the temporary file or regenerating the same bytes from the records (the
//! generation is deterministic and checked against the recorded hash).
//!
//! Here: the run lock (a lease per collection date) and the dates still to run. Beside it:
//! `recheck` (step 2), `debits` (step 3: how a run splits into files and what the writers
//! read), `recording` (step 4). The recorded files themselves are `bank_files`.
//!
//! Must not know: file formats and bytes (`bank-formats`, `crate::cycle::run`).

use chrono::{Duration, NaiveDate};

use super::{Store, StoreError, StoreResult};

pub(super) mod debits;
pub(super) mod recheck;
pub(super) mod recording;

::mandates::stored_codes! {
    /// Where a collection date's run is.
    pub enum RunStatus("run status") {
        /// Files being written and recorded (or left so by a holder that died).
        Building = "building",
        /// Its files in place.
        Complete = "complete",
    }
}

/// A run left `building` by a holder whose lease expired.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UnfinishedRun {
    pub id: i64,
    pub collection_date: String,
}

/// The lock on one collection date's run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunLock {
    pub run_id: i64,
    pub collection_date: NaiveDate,
    pub holder: String,
    /// True when the previous holder left the run half-done (files recorded, maybe not in place).
    pub resumed: bool,
}

impl Store {
    /// Takes the run lock of `date` for `lease`, or says who holds it.
    pub async fn lock_run(
        &self,
        date: NaiveDate,
        holder: &str,
        lease: Duration,
    ) -> StoreResult<RunLock> {
        let now = self.now();
        let until = super::lease_timestamp(now + lease);
        let now_text = super::lease_timestamp(now);
        let date_text = date.to_string();
        let mut tx = self.begin_write().await?;
        // Takes turns with a replacement mandate's hand-over of planned debits (PostgreSQL;
        // SQLite has one writer): a hand-over committed first is what the file streams
        // read; one after sees the run `building` and leaves the date's debits alone.
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let previous: Option<String> =
            sqlx::query_scalar("SELECT status FROM runs WHERE collection_date = $1")
                .bind(&date_text)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO runs (collection_date, status, holder, lease_until, started_at) \
             VALUES ($1, 'complete', '', $2, $2) ON CONFLICT (collection_date) DO NOTHING",
        )
        .bind(&date_text)
        .bind(&now_text)
        .execute(&mut *tx)
        .await?;
        // Take it if it is complete (a new pass) or its lease ran out (the holder died).
        let taken = sqlx::query(
            "UPDATE runs SET status = 'building', holder = $2, lease_until = $3, started_at = $4, finished_at = NULL \
             WHERE collection_date = $1 AND (status = 'complete' OR lease_until < $4 OR holder = $2)",
        )
        .bind(&date_text)
        .bind(holder)
        .bind(&until)
        .bind(&now_text)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let (run_id, current_holder, lease_until): (i64, String, String) =
            sqlx::query_as("SELECT id, holder, lease_until FROM runs WHERE collection_date = $1")
                .bind(&date_text)
                .fetch_one(&mut *tx)
                .await?;
        if taken == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!(
                "the run of {date} is in progress on {current_holder} (lease until {lease_until}); wait for it, or retry after the lease expires"
            )));
        }
        tx.commit().await?;
        Ok(RunLock {
            run_id,
            collection_date: date,
            holder: holder.to_owned(),
            resumed: previous.as_deref() == Some("building"),
        })
    }

    /// Ends a run: its files are in place.
    pub async fn complete_run(&self, lock: &RunLock) -> StoreResult<()> {
        sqlx::query(
            "UPDATE runs SET status = 'complete', finished_at = $2 WHERE id = $1 AND holder = $3",
        )
        .bind(lock.run_id)
        .bind(self.now_text())
        .bind(&lock.holder)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Runs left `building` by a holder whose lease expired, or by `holder` itself.
    pub async fn unfinished_runs(&self) -> StoreResult<Vec<UnfinishedRun>> {
        Ok(sqlx::query_as(
            "SELECT id, collection_date FROM runs WHERE status = 'building' AND lease_until < $1 ORDER BY id",
        )
        .bind(super::lease_timestamp(self.now()))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Dates that have planned collections to file (not held), oldest first.
    pub async fn planned_dates(&self) -> StoreResult<Vec<NaiveDate>> {
        let dates: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT collection_date FROM collections WHERE status = 'planned' AND held_at IS NULL \
             ORDER BY collection_date",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(dates
            .iter()
            .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .collect())
    }
}

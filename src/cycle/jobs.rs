//! The jobs of the scheduler as one closed enum, and the one place where a job becomes the
//! queue's row (kind, dedupe key, payload) and a stored row becomes a job again.
//!
//! Why the enum lives here and not in the store: the kinds of work are the cycle's words
//! (plan a date, run it, settle), while the queue in `store::jobs` is plain storage —
//! idempotent by key, claimed by one worker, retried — that must not depend on `cycle`
//! (the store is below it). So the store takes and returns the kind, key and payload as
//! text, and inside the crate only [`Job`] writes them ([`Job::kind`], [`Job::dedupe_key`],
//! [`Job::payload`]) and reads them back ([`Job::parse`]).
//!
//! The rows are byte for byte those the scheduler has always written, so a queue filled by
//! an earlier version is read the same: kind `plan`, `run`, `settle` or `summary`, key
//! `KIND:DATE` (`plan:2026-12-15`), payload the date (`2026-12-15`); a plan may also be keyed
//! `plan:DATE:MARK` ([`Job::enqueue_marked`]: queued again whenever what it would plan changed). A stored row of a kind this
//! version does not know is an error naming it (the job fails and is retried like any
//! failing job), never a panic. This module knows neither SQL nor what a job does (that is
//! `scheduler::execute`).

use chrono::NaiveDate;

use crate::store::{Store, StoreResult};

mandates::stored_codes! {
    /// The kinds of work in the queue, as its `kind` column stores them; what staff read
    /// of a stored job before its payload (the console's jobs page words each).
    pub enum JobKind("job kind") {
        Plan = "plan",
        Run = "run",
        Settle = "settle",
        Summary = "summary",
        Surcharges = "surcharges",
    }
}

/// A job of the scheduler, with its typed payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Job {
    /// Plan the collections of a collection date (the next one the due-date schedule and
    /// the advance notice allow), recording the advance notices.
    Plan { date: NaiveDate },
    /// Build and file the debit files of a collection date whose file day has come.
    Run { date: NaiveDate },
    /// Settle the debits whose settlement window has elapsed. One a `day`: the day is the
    /// job's identity in the queue; the work settles what has elapsed by the day it runs.
    Settle { day: NaiveDate },
    /// Record and log what happened on a `day` that has ended (counts only).
    Summary { day: NaiveDate },
    /// Compute the surcharges due by a `day` into the ledger (idempotent: a month of delay
    /// is surcharged once however often it runs).
    Surcharges { day: NaiveDate },
}

/// A stored job that [`Job::parse`] cannot read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("unknown job kind {0:?}")]
    UnknownKind(String),
    #[error("a {kind} job's payload {payload:?} is not a date (YYYY-MM-DD)")]
    BadDate { kind: &'static str, payload: String },
}

impl Job {
    /// The queue's `kind` column.
    pub fn kind(&self) -> JobKind {
        match self {
            Job::Plan { .. } => JobKind::Plan,
            Job::Run { .. } => JobKind::Run,
            Job::Settle { .. } => JobKind::Settle,
            Job::Summary { .. } => JobKind::Summary,
            Job::Surcharges { .. } => JobKind::Surcharges,
        }
    }

    /// The date the job is about (its payload and the second half of its key).
    fn date(&self) -> NaiveDate {
        match *self {
            Job::Plan { date } | Job::Run { date } => date,
            Job::Settle { day } | Job::Summary { day } | Job::Surcharges { day } => day,
        }
    }

    /// The queue's `dedupe_key`: `KIND:YYYY-MM-DD`, so a job is queued once.
    pub fn dedupe_key(&self) -> String {
        self.to_string()
    }

    /// The queue's `payload`: the date, `YYYY-MM-DD`.
    pub fn payload(&self) -> String {
        self.date().to_string()
    }

    /// The job of a stored row, from its kind and payload.
    pub fn parse(kind: &str, payload: &str) -> Result<Job, JobError> {
        let kind = JobKind::parse(kind).map_err(|unknown| JobError::UnknownKind(unknown.code))?;
        let date =
            NaiveDate::parse_from_str(payload, "%Y-%m-%d").map_err(|_| JobError::BadDate {
                kind: kind.as_str(),
                payload: payload.to_owned(),
            })?;
        Ok(match kind {
            JobKind::Plan => Job::Plan { date },
            JobKind::Run => Job::Run { date },
            JobKind::Settle => Job::Settle { day: date },
            JobKind::Summary => Job::Summary { day: date },
            JobKind::Surcharges => Job::Surcharges { day: date },
        })
    }

    /// Queues this job unless the same one is queued or done already; true when queued now.
    pub async fn enqueue(&self, store: &Store) -> StoreResult<bool> {
        store
            .enqueue_job(self.kind().as_str(), &self.dedupe_key(), &self.payload())
            .await
    }

    /// Queues this job under the key `KIND:DATE:MARK` (same kind and payload): a job that
    /// may be needed again for the same date whenever `mark` changes — the plan of a date
    /// while it is open, `mark` being what planning would take in
    /// (`Store::planning_mark`). True when queued now.
    pub async fn enqueue_marked(&self, store: &Store, mark: &str) -> StoreResult<bool> {
        store
            .enqueue_job(
                self.kind().as_str(),
                &format!("{}:{mark}", self.dedupe_key()),
                &self.payload(),
            )
            .await
    }
}

impl std::fmt::Display for Job {
    /// The dedupe key: how the logs name a job.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind(), self.date())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn jobs_are_stored_as_the_scheduler_always_wrote_them() {
        let date = d(2026, 12, 15);
        for (job, kind, key) in [
            (Job::Plan { date }, "plan", "plan:2026-12-15"),
            (Job::Run { date }, "run", "run:2026-12-15"),
            (Job::Settle { day: date }, "settle", "settle:2026-12-15"),
            (Job::Summary { day: date }, "summary", "summary:2026-12-15"),
            (
                Job::Surcharges { day: date },
                "surcharges",
                "surcharges:2026-12-15",
            ),
        ] {
            assert_eq!(job.kind().as_str(), kind);
            assert_eq!(job.dedupe_key(), key);
            assert_eq!(job.to_string(), key);
            assert_eq!(job.payload(), "2026-12-15");
            assert_eq!(Job::parse(kind, "2026-12-15"), Ok(job));
        }
    }

    #[test]
    fn a_stored_job_of_an_unknown_kind_or_a_bad_date_is_an_error_naming_it() {
        let unknown = Job::parse("import", "2026-12-15").unwrap_err();
        assert_eq!(unknown, JobError::UnknownKind("import".to_owned()));
        assert_eq!(unknown.to_string(), "unknown job kind \"import\"");
        let bad = Job::parse("run", "15/12/2026").unwrap_err();
        assert_eq!(
            bad.to_string(),
            "a run job's payload \"15/12/2026\" is not a date (YYYY-MM-DD)"
        );
    }
}

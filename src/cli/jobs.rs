//! `tahsil jobs`: the scheduler's queue counted by kind and state, the jobs that failed for
//! good listed with their error (`--failed`), one put back in the queue (`--retry ID`,
//! audited as `cli`). The queue is `crate::store`'s; the work is `crate::cycle`'s.

use std::process::ExitCode;

use crate::app;
use crate::config::Config;
use crate::locale::{Lang, Word};
use crate::store::Actor;

/// Failed jobs listed at most.
const FAILED_LISTED: i64 = 1000;

/// `tahsil jobs`: puts a failed job back (`--retry`), then counts and lists (`--failed`).
pub(super) async fn jobs(
    config: Config,
    failed: bool,
    retry: Option<i64>,
) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    if let Some(id) = retry {
        let job = store.retry_job(&Actor::new("cli"), id).await?;
        println!(
            "job {id} ({}) is queued again after {} failed attempts: the scheduler's next pass runs it",
            job.dedupe_key, job.attempts
        );
    }
    let counts = store.job_counts().await?;
    if counts.is_empty() {
        println!("the scheduler's queue is empty: no work recorded yet");
    }
    for c in &counts {
        // The state in the one word the command line uses for it (French, as in the
        // console), never its stored code (issue 20).
        println!(
            "{:<8} {:<12} {:>8}",
            c.kind,
            c.status.word(Lang::Fr),
            c.count
        );
    }
    if failed {
        let jobs = store.failed_jobs(FAILED_LISTED).await?;
        if jobs.is_empty() {
            println!("no job has given up");
        }
        for job in jobs {
            println!(
                "#{} {}: {} after {} attempts, at {}: {}",
                job.id,
                job.dedupe_key,
                crate::store::JobStatus::Failed.word(Lang::Fr),
                job.attempts,
                super::moment(&job.finished_at.unwrap_or_default()),
                job.last_error.unwrap_or_default()
            );
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
